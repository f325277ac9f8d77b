import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../__fixtures__/payment-server.js';
import { generateSecret } from '../secrets.js';
import { type DeviceWorld, serverDrivers, sseReader, startDeviceWorld } from './__fixtures__/world.js';

const postgres = (await serverDrivers('devices instances')).find((driver) => driver.name === 'postgres');

describe.runIf(postgres !== undefined)('phone streams across instances on postgres', () => {
  let world: DeviceWorld;
  let second: Awaited<ReturnType<typeof startTestServer>>;
  let drop = async () => {};

  beforeAll(async () => {
    const database = await (postgres as NonNullable<typeof postgres>).url();
    drop = database.drop;
    // Two instances of one payment server: one database, one secret, one public issuer.
    const secret = generateSecret();
    world = await startDeviceWorld(database.url, { CAISSE_SECRET: secret });
    second = await startTestServer({ databaseUrl: database.url as string, env: { CAISSE_SECRET: secret, CAISSE_ISSUER: world.shop.url } });
  });
  afterAll(async () => {
    await second?.close();
    await world?.close();
    await drop();
  });

  it('delivers a request opened on one instance to a stream held by another, and ends it on a revocation made on the first', async () => {
    const alice = await world.customer();
    const phone = await world.phone(alice);
    const response = await fetch(`${second.url}/device/requests`, {
      headers: {
        accept: 'text/event-stream',
        authorization: `Caisse-Device ${phone.assertion({ method: 'GET', path: '/device/requests' })}`,
      },
    });
    expect(response.status).toBe(200);
    // The stream answers only once it is subscribed, on the second instance: nothing to wait for.
    const events = sseReader(response);
    const { request, seq } = await world.request(alice);
    const event = await events.next();
    expect(event).toMatchObject({ id: String(seq), event: 'request' });
    expect(JSON.parse(event?.data as string)).toEqual(request);
    expect((await phone.call('/device', { method: 'DELETE' })).status).toBe(204);
    expect(await events.ended()).toBe(true);
    expect(second.server.deviceStreams.size()).toBe(0);
  });
});
