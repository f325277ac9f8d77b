import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDevice } from '../__fixtures__/device.js';
import { type DeviceWorld, problem, serverDrivers, startDeviceWorld } from './__fixtures__/world.js';

describe.each(await serverDrivers('devices_json_body'))('device API request bodies on $name', (driver) => {
  let world: DeviceWorld;
  let drop = async () => {};

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    world = await startDeviceWorld(database.url);
  });
  afterAll(async () => {
    await world?.close();
    await drop();
  });

  /** POSTs `body` exactly as written, signed by `phone` when given. */
  function post(path: string, body: string, phone?: ReturnType<typeof createTestDevice>, claims?: Record<string, unknown>) {
    return fetch(`${world.shop.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
        ...(phone ? { authorization: `Caisse-Device ${phone.assertion({ method: 'POST', path, body }, claims)}` } : {}),
      },
      body,
    });
  }

  it('refuses an answer whose body repeats "token" (decline, then approve), leaving the request open', async () => {
    const alice = await world.customer();
    const phone = await world.phone(alice);
    const { request } = await world.request(alice);
    const declined = phone.answer(request, 'decline');
    const approved = phone.answer(request, 'approve', '4821');

    const response = await post(`/device/requests/${request.id}/answer`, `{"token":"${declined}","token":"${approved}"}`);
    expect(await problem(response.clone())).toEqual({ status: 400, code: 'duplicate_member' });
    expect((await response.json()).detail).toContain('"token"');
    expect(await world.state(request.id)).toBe('open');
  });

  it('refuses a PIN change whose body repeats "pinVerifier", keeping the old PIN', async () => {
    const alice = await world.customer();
    const phone = await world.phone(alice, '1111');
    const jti = `pin-${randomUUID()}`;
    const proof = phone.pinProof('1111', 'pin-change', jti);
    const body = `{"pinProof":"${proof}","pinVerifier":"${phone.verifier('2222')}","pinVerifier":"${phone.verifier('3333')}"}`;

    expect(await problem(await post('/device/pin', body, phone, { jti }))).toEqual({ status: 400, code: 'duplicate_member' });
    const { request } = await world.request(alice);
    expect((await phone.send(request, 'approve', '1111')).status).toBe(200);
  });

  it('refuses an enrollment and a top-up with a repeated member, enrolling and moving nothing', async () => {
    const alice = await world.customer();
    const { code } = await world.server.devices.createCode(alice);
    const newcomer = createTestDevice(world.shop.url);
    const enrollment = JSON.stringify({ code, jwk: newcomer.jwk, pinVerifier: newcomer.verifier('4821') });
    const repeated = `${enrollment.slice(0, -1)},"jwk":${JSON.stringify({ ...newcomer.jwk, x: 'A'.repeat(43) })}}`;
    expect(await problem(await post('/device/enroll', repeated, newcomer, { iss: newcomer.id }))).toEqual({
      status: 400,
      code: 'duplicate_member',
    });
    expect((await world.server.db.query('SELECT 1 FROM devices WHERE id = $1', [newcomer.id])).rows).toEqual([]);
    // The code was not spent: the same phone enrolls with it.
    expect((await post('/device/enroll', enrollment, newcomer, { iss: newcomer.id })).status).toBe(201);

    const topUp = await post('/device/top-ups', '{"amount":100,"currency":"EUR","amount":10000}', newcomer);
    expect(await problem(topUp)).toEqual({ status: 400, code: 'duplicate_member' });
  });
});
