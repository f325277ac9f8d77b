import { fileURLToPath } from 'node:url';
import { freshDatabase, requirePostgres } from '@caisse/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISSUER, MERCHANT_ID, NOW, parties } from '../__fixtures__/parties.js';
import { type Racer, race, spawnRacer } from '../__fixtures__/racing-process.js';
import { postgresReplayStore } from '../replay/postgres.js';

const hasPostgres = await requirePostgres('verifyVoucher across processes');
const INSTANCE = fileURLToPath(new URL('./__fixtures__/verify-vouchers.mjs', import.meta.url));

type Outcome = { accepted: number[]; refused: string[] };

describe.runIf(hasPostgres)('verifyVoucher on two merchant instances sharing a PostgreSQL replay store', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  const instances: Racer<Outcome>[] = [];

  beforeAll(async () => {
    database = await freshDatabase('verify_processes');
    const pool = new pg.Pool({ connectionString: database.url });
    await postgresReplayStore({ client: pool }).ensureSchema();
    await pool.end();
  });

  afterAll(async () => {
    for (const instance of instances) if (instance.process.exitCode === null) instance.process.kill();
    await database?.drop();
  });

  it('accepts each of 50 vouchers exactly once when both instances receive all of them at the same moment', async () => {
    const checkout = parties();
    const cases = Array.from({ length: 50 }, () => {
      const ticket = checkout.ticket();
      return { token: checkout.voucher(ticket), reference: ticket.reference };
    });
    const env = {
      VERIFY_DATABASE_URL: database.url,
      VERIFY_JWKS: JSON.stringify(checkout.server.jwks),
      VERIFY_CASES: JSON.stringify(cases),
      VERIFY_ISSUER: ISSUER,
      VERIFY_AUDIENCE: MERCHANT_ID,
      VERIFY_NOW: String(NOW.getTime()),
    };
    instances.push(spawnRacer(INSTANCE, env), spawnRacer(INSTANCE, env));
    const [first, second] = (await race(instances)) as [Outcome, Outcome];

    for (let index = 0; index < cases.length; index++) {
      expect(Number(first.accepted.includes(index)) + Number(second.accepted.includes(index)), `voucher ${index}`).toBe(1);
    }
    expect([...first.refused, ...second.refused]).toEqual(Array.from({ length: 50 }, () => 'token_replayed'));
  }, 60_000);
});
