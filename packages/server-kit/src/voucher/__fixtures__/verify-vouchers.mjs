// One of the merchant backend instances in verify.processes.test.ts: the real
// verifyVoucher (TypeScript source) with its own pool on the shared PostgreSQL replay
// store. Says "ready", waits for "go", verifies every voucher at once and prints which
// ones it accepted and the error codes of the rest.
//
// Environment: VERIFY_DATABASE_URL, VERIFY_JWKS, VERIFY_CASES (JSON [{ token, reference }]),
// VERIFY_ISSUER, VERIFY_AUDIENCE, VERIFY_NOW (ms).
import { register } from 'node:module';
import { createInterface } from 'node:readline';

register('@caisse/testing/typescript-hooks', import.meta.url);

const { default: pg } = await import('pg');
const { verifyVoucher } = await import('../verify.ts');
const { staticKeySet } = await import('../../keys/import.ts');
const { postgresReplayStore } = await import('../../replay/postgres.ts');

const cases = JSON.parse(process.env.VERIFY_CASES);
const pool = new pg.Pool({ connectionString: process.env.VERIFY_DATABASE_URL, max: 10 });
const options = {
  issuer: process.env.VERIFY_ISSUER,
  audience: process.env.VERIFY_AUDIENCE,
  keys: staticKeySet(JSON.parse(process.env.VERIFY_JWKS)),
  replayStore: postgresReplayStore({ client: pool }),
  now: () => new Date(Number(process.env.VERIFY_NOW)),
};
const opened = await Promise.all(Array.from({ length: 10 }, () => pool.connect()));
for (const connection of opened) connection.release();

const lines = createInterface({ input: process.stdin });
const go = new Promise((resolve) => lines.once('line', resolve));
process.stdout.write('ready\n');
await go;
lines.close();

const outcomes = await Promise.allSettled(cases.map(({ token, reference }) => verifyVoucher(token, { ...options, ticket: reference })));
const accepted = [];
const refused = [];
outcomes.forEach((outcome, index) => {
  if (outcome.status === 'fulfilled') accepted.push(index);
  else refused.push(outcome.reason.code ?? String(outcome.reason));
});
process.stdout.write(`${JSON.stringify({ accepted, refused })}\n`);
await pool.end();
