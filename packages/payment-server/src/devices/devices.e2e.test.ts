import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDevice } from '../__fixtures__/device.js';
import { type DeviceWorld, problem, serverDrivers, sseReader, startDeviceWorld } from './__fixtures__/world.js';

const drivers = await serverDrivers('devices');

describe.each(drivers)('devices over real HTTP on $name', (driver) => {
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

  const devicesOf = async (customerId: string) =>
    (await world.server.db.query('SELECT id FROM devices WHERE customer_id = $1', [customerId])).rows.length;

  describe('enrollment', () => {
    it('enrolls a key with a one-time code and names the customer', async () => {
      const alice = await world.customer();
      const { code, expiresAt } = await world.server.devices.createCode(alice);
      expect(code).toMatch(/^\d{4} \d{4} \d{4}$/);
      expect(expiresAt.getTime() - Date.now()).toBeGreaterThan(9 * 60_000);
      const phone = createTestDevice(world.shop.url);
      const response = await phone.enroll(code, { name: 'Pixel' });
      expect(response.status).toBe(201);
      expect(await response.json()).toMatchObject({ device: { id: phone.id, name: 'Pixel' }, customer: { account: alice } });
      const stored = await world.server.db.query<{ pin_verifier_sealed: string }>('SELECT pin_verifier_sealed FROM devices WHERE id = $1', [
        phone.id,
      ]);
      // Sealed, never the verifier itself.
      expect(stored.rows[0]?.pin_verifier_sealed).not.toContain(phone.verifier('4821'));
    });

    it('refuses a used code, an expired code and an unknown code, enrolling nothing', async () => {
      const alice = await world.customer();
      const { code } = await world.server.devices.createCode(alice);
      expect((await createTestDevice(world.shop.url).enroll(code)).status).toBe(201);
      expect(await problem(await createTestDevice(world.shop.url).enroll(code))).toEqual({ status: 400, code: 'enrollment_code_invalid' });

      const expired = await world.server.devices.createCode(alice);
      await world.server.db.query(
        "UPDATE enrollment_codes SET created_at = created_at - interval '11 minutes', expires_at = expires_at - interval '11 minutes' WHERE used_at IS NULL AND customer_id = $1",
        [alice],
      );
      expect(await problem(await createTestDevice(world.shop.url).enroll(expired.code))).toEqual({
        status: 400,
        code: 'enrollment_code_invalid',
      });
      expect(await problem(await createTestDevice(world.shop.url).enroll('0000 0000 0000'))).toEqual({
        status: 400,
        code: 'enrollment_code_invalid',
      });
      expect(await devicesOf(alice)).toBe(1);
    });

    it('refuses an enrollment signed by another key than the one enrolled', async () => {
      const alice = await world.customer();
      const { code } = await world.server.devices.createCode(alice);
      const phone = createTestDevice(world.shop.url);
      const thief = createTestDevice(world.shop.url);
      const body = JSON.stringify({ code, jwk: phone.jwk, pinVerifier: phone.verifier('1234') });
      const response = await fetch(`${world.shop.url}/device/enroll`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Caisse-Device ${thief.assertion({ method: 'POST', path: '/device/enroll', body }, { iss: phone.id })}`,
        },
        body,
      });
      expect(await problem(response)).toEqual({ status: 401, code: 'device_unknown' });
      expect(await devicesOf(alice)).toBe(0);
      // The code was not spent.
      expect((await phone.enroll(code)).status).toBe(201);
    });
  });

  describe('assertions', () => {
    it('refuses a replayed assertion', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const authorization = `Caisse-Device ${phone.assertion({ method: 'GET', path: '/device/requests' })}`;
      const first = await fetch(`${world.shop.url}/device/requests`, { headers: { authorization } });
      expect(first.status).toBe(200);
      expect(await problem(await fetch(`${world.shop.url}/device/requests`, { headers: { authorization } }))).toMatchObject({
        code: 'token_replayed',
      });
    });

    it('refuses an unknown device and an assertion living longer than 60 s', async () => {
      const stranger = createTestDevice(world.shop.url);
      expect(await problem(await stranger.call('/device/requests'))).toEqual({ status: 401, code: 'device_unknown' });
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const iat = Math.floor(Date.now() / 1000);
      expect(await problem(await phone.call('/device/requests', { claims: { iat, exp: iat + 120 } }))).toMatchObject({
        code: 'claims_invalid',
      });
    });

    it('answers CORS preflights and puts CORS headers on errors too', async () => {
      const preflight = await fetch(`${world.shop.url}/device/requests`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://phone.example',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('last-event-id');
      // A top-up from a phone web app carries its Idempotency-Key cross-origin.
      expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key');
      expect(preflight.headers.get('access-control-max-age')).toBe('600');
      expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
      const refused = await fetch(`${world.shop.url}/device/requests`, { headers: { origin: 'https://phone.example' } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('access-control-allow-origin')).toBe('*');
      // A phone web app reads the server's time from Date to correct its clock.
      expect(refused.headers.get('access-control-expose-headers')?.toLowerCase()).toBe('date');
    });
  });

  describe('answers', () => {
    it('approves with the right PIN, once', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const { request } = await world.request(alice);
      const pending = await phone.call('/device/requests', { headers: { accept: 'application/json' } });
      expect((await pending.json()) as unknown).toEqual({ requests: [request] });
      const token = phone.answer(request, 'approve', '4821');
      const send = () =>
        fetch(`${world.shop.url}/device/requests/${request.id}/answer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token }),
        });
      const approved = await send();
      expect(approved.status).toBe(200);
      expect(await approved.json()).toEqual({ state: 'approved' });
      expect(await problem(await send())).toEqual({ status: 409, code: 'confirmation_answered' });
      expect(await world.state(request.id)).toBe('approved');
    });

    it('declines without a PIN', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const { request } = await world.request(alice);
      const response = await phone.send(request, 'decline');
      expect(await response.json()).toEqual({ state: 'declined' });
    });

    it('refuses a device of another customer as if the request did not exist', async () => {
      const alice = await world.customer();
      const bob = await world.customer();
      await world.phone(alice);
      const bobsPhone = await world.phone(bob);
      const { request } = await world.request(alice);
      expect(await problem(await bobsPhone.send(request, 'approve', '4821'))).toEqual({ status: 404, code: 'confirmation_unknown' });
      expect(await world.state(request.id)).toBe('open');
    });

    it('refuses an approval replayed for a second request', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const first = await world.request(alice);
      const second = await world.request(alice);
      const token = phone.answer(first.request, 'approve', '4821');
      const post = (id: string) =>
        fetch(`${world.shop.url}/device/requests/${id}/answer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token }),
        });
      expect((await post(first.request.id)).status).toBe(200);
      expect(await problem(await post(second.request.id))).toEqual({ status: 422, code: 'confirmation_mismatch' });
      expect(await world.state(second.request.id)).toBe('open');
    });

    it('refuses an answer whose amount, payee, ticket, currency or challenge differs (dynamic linking)', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const { request } = await world.request(alice, 1250);
      for (const claims of [
        { amount: 125 },
        { payee: 'another-shop' },
        { ticket: 'A'.repeat(43) },
        { currency: 'USD' },
        { challenge: 'B'.repeat(43) },
      ]) {
        expect(await problem(await phone.send(request, 'approve', '4821', claims))).toEqual({ status: 422, code: 'confirmation_mismatch' });
      }
      expect(await world.state(request.id)).toBe('open');
      const customer = await world.server.customers.get(alice);
      expect(customer.failedAttempts).toBe(0);
    });

    it('refuses an answer after expiry', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const { request } = await world.request(alice);
      // Ten minutes back from its own times, which the server's clock wrote: the database's now() is another clock.
      await world.server.db.query(
        "UPDATE confirmation_requests SET created_at = created_at - interval '10 minutes', expires_at = expires_at - interval '10 minutes' WHERE id = $1",
        [request.id],
      );
      expect(await problem(await phone.send(request, 'approve', '4821'))).toEqual({ status: 410, code: 'confirmation_expired' });
      expect(await world.state(request.id)).toBe('open');
    });

    it('counts wrong PINs with wrong access keys, locks at the 5th, alerts, and then refuses the right PIN', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const { request } = await world.request(alice);
      // One wrong access key first: the same counter.
      await expect(world.server.customers.identify(alice, 'not the key')).rejects.toMatchObject({ code: 'authentication_failed' });
      for (const attemptsLeft of [3, 2, 1]) {
        expect(await problem(await phone.send(request, 'approve', '0000'))).toEqual({ status: 401, code: 'pin_invalid', attemptsLeft });
      }
      expect(await problem(await phone.send(request, 'approve', '0000'))).toEqual({ status: 423, code: 'account_locked' });
      const alerts = await world.server.alerts.list();
      expect(alerts.filter((alert) => alert.kind === 'account_locked' && alert.subject === alice)).toHaveLength(1);
      expect(await problem(await phone.send(request, 'approve', '4821'))).toEqual({ status: 423, code: 'account_locked' });
      expect(await world.state(request.id)).toBe('open');
    });

    it('refuses a sixth attempt after five wrong PINs, even with the right PIN', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const { request } = await world.request(alice);
      for (const attemptsLeft of [4, 3, 2, 1]) {
        expect(await problem(await phone.send(request, 'approve', '0000'))).toEqual({ status: 401, code: 'pin_invalid', attemptsLeft });
      }
      expect(await problem(await phone.send(request, 'approve', '0000'))).toEqual({ status: 423, code: 'account_locked' });
      expect(await problem(await phone.send(request, 'approve', '4821'))).toEqual({ status: 423, code: 'account_locked' });
      expect((await world.server.alerts.list()).some((alert) => alert.kind === 'account_locked' && alert.subject === alice)).toBe(true);
      expect((await world.server.customers.get(alice)).lockedAt).not.toBeNull();
      expect(await world.state(request.id)).toBe('open');
    });

    it("never lets one signed answer's jti close a second request", async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const first = await world.request(alice);
      const second = await world.request(alice);
      const jti = `answer-${Math.random().toString(36).slice(2)}`;
      expect((await phone.send(first.request, 'decline', undefined, { jti })).status).toBe(200);
      expect(await problem(await phone.send(second.request, 'decline', undefined, { jti }))).toEqual({
        status: 409,
        code: 'token_replayed',
      });
      expect(await world.state(second.request.id)).toBe('open');
    });

    it('resets the count after a right PIN', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const first = await world.request(alice);
      expect((await phone.send(first.request, 'approve', '0000')).status).toBe(401);
      expect((await world.server.customers.get(alice)).failedAttempts).toBe(1);
      expect((await phone.send(first.request, 'approve', '4821')).status).toBe(200);
      expect((await world.server.customers.get(alice)).failedAttempts).toBe(0);
    });

    it('refuses a revoked device', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const spare = await world.phone(alice);
      const { request } = await world.request(alice);
      expect((await phone.call('/device', { method: 'DELETE' })).status).toBe(204);
      expect(await problem(await phone.send(request, 'approve', '4821'))).toEqual({ status: 403, code: 'device_revoked' });
      expect(await problem(await phone.call('/device/requests'))).toEqual({ status: 403, code: 'device_revoked' });
      expect(await world.state(request.id)).toBe('open');
      expect((await spare.send(request, 'approve', '4821')).status).toBe(200);
    });
  });

  describe('PIN change', () => {
    it('changes the PIN with a proof of the old one', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice, '1111');
      const method = 'POST';
      const path = '/device/pin';
      const jti = `pin-${Math.random().toString(36).slice(2)}`;
      const body = JSON.stringify({ pinProof: phone.pinProof('1111', 'pin-change', jti), pinVerifier: phone.verifier('2222') });
      const response = await fetch(`${world.shop.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Caisse-Device ${phone.assertion({ method, path, body }, { jti })}` },
        body,
      });
      expect(response.status).toBe(204);
      const { request } = await world.request(alice);
      expect((await phone.send(request, 'approve', '1111')).status).toBe(401);
      expect((await phone.send(request, 'approve', '2222')).status).toBe(200);
    });

    it('counts a wrong old PIN and changes nothing', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice, '1111');
      const jti = `pin-${Math.random().toString(36).slice(2)}`;
      const body = JSON.stringify({ pinProof: phone.pinProof('9999', 'pin-change', jti), pinVerifier: phone.verifier('2222') });
      const response = await fetch(`${world.shop.url}/device/pin`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Caisse-Device ${phone.assertion({ method: 'POST', path: '/device/pin', body }, { jti })}`,
        },
        body,
      });
      expect(await problem(response)).toEqual({ status: 401, code: 'pin_invalid', attemptsLeft: 4 });
      expect((await world.server.customers.get(alice)).failedAttempts).toBe(1);
      const { request } = await world.request(alice);
      expect((await phone.send(request, 'approve', '1111')).status).toBe(200);
    });
  });

  describe('the stream', () => {
    it("sends open requests, then new ones of the device's customer only, and closed events", async () => {
      const alice = await world.customer();
      const bob = await world.customer();
      const alicesPhone = await world.phone(alice);
      await world.phone(bob);
      const before = await world.request(alice);
      const response = await alicesPhone.call('/device/requests', { headers: { accept: 'text/event-stream' } });
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const events = sseReader(response);
      const first = await events.next();
      expect(first).toMatchObject({ id: String(before.seq), event: 'request' });
      expect(JSON.parse(first?.data as string)).toEqual(before.request);

      await world.request(bob);
      const live = await world.request(alice);
      const next = await events.next();
      expect(next).toMatchObject({ id: String(live.seq), event: 'request' });
      expect(JSON.parse(next?.data as string)).toEqual(live.request);

      await world.server.db.transaction((tx) => world.confirmations.close(tx, live.sessionId, 'cancelled'));
      expect(await events.next()).toEqual({ event: 'closed', data: JSON.stringify({ id: live.request.id, state: 'cancelled' }) });
      await events.cancel();
    });

    it('resumes after Last-Event-ID', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const first = await world.request(alice);
      const second = await world.request(alice);
      const response = await phone.call('/device/requests', {
        headers: { accept: 'text/event-stream', 'last-event-id': String(first.seq) },
      });
      const events = sseReader(response);
      expect(await events.next()).toMatchObject({ id: String(second.seq), event: 'request' });
      const third = await world.request(alice);
      expect(await events.next()).toMatchObject({ id: String(third.seq), event: 'request' });
      await events.cancel();
    });

    it('ends when the device is revoked', async () => {
      const alice = await world.customer();
      const phone = await world.phone(alice);
      const response = await phone.call('/device/requests', { headers: { accept: 'text/event-stream' } });
      const events = sseReader(response);
      await world.server.devices.revoke(phone.id);
      expect(await events.ended()).toBe(true);
    });
  });
});
