import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDevice } from '../__fixtures__/device.js';
import { cliInTempFolder } from '../cli/__fixtures__/run.js';
import { configSchema } from '../config.js';
import { createLogger } from '../log.js';
import { createPaymentServer } from '../server.js';

let cli: Awaited<ReturnType<typeof cliInTempFolder>>;

beforeAll(async () => {
  cli = await cliInTempFolder('caisse-devices-cli-');
});
afterAll(async () => {
  await cli.remove();
});

/** Runs `fn` with the server on the CLI's data folder (the CLI is not running meanwhile: PGlite takes one process). */
async function withServer<T>(fn: (server: Awaited<ReturnType<typeof createPaymentServer>>) => Promise<T>): Promise<T> {
  const config = configSchema.parse({ CAISSE_DATA_DIR: cli.dir, LOG_LEVEL: 'error' });
  const server = await createPaymentServer(config, { log: createLogger({ level: 'error', write: () => {} }) });
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

describe('caisse-server devices', () => {
  it('prints a one-time code alone on stdout, lists the phone it enrolled, and revokes it', async () => {
    expect((await cli.run(['customers', 'add', '--account', 'alice', '--phone', '+33612345678'], 'correct horse battery\n')).code).toBe(0);
    const printed = await cli.run(['devices', 'code', 'alice']);
    expect(printed.code).toBe(0);
    expect(printed.out).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect(printed.err).toContain('valid until');

    const phone = createTestDevice('http://localhost:4000');
    await withServer((server) =>
      server.devices.enroll(phone.id, { code: printed.out, jwk: phone.jwk, pinVerifier: phone.verifier('4821') }),
    );
    expect((await cli.run(['devices', 'list', 'alice'])).out).toMatch(new RegExp(`^${phone.id}\\tactive\\t-\\t\\d{4}-`));

    expect((await cli.run(['devices', 'revoke', phone.id])).out).toBe(`Device ${phone.id} of alice revoked.`);
    expect((await cli.run(['devices', 'list', 'alice'])).out).toContain(`${phone.id}\trevoked `);
  });

  it('refuses an unknown customer or device with its code, and a missing argument as usage', async () => {
    expect(await cli.run(['devices', 'code', 'nobody'])).toMatchObject({ code: 1, err: expect.stringContaining('customer_unknown') });
    expect(await cli.run(['devices', 'revoke', `dev-${'A'.repeat(43)}`])).toMatchObject({
      code: 1,
      err: expect.stringContaining('device_unknown'),
    });
    expect((await cli.run(['devices', 'code'])).code).toBe(2);
  });
});
