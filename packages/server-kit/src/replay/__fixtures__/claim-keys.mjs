// One of the processes in the cross-process replay test (postgres.processes.test.ts).
// It loads the real store from ../postgres.ts, opens its own pool, says "ready", waits
// for "go" on stdin so that both processes start together, claims every key at once and
// prints the keys it won as one JSON line.
//
// Environment: REPLAY_DATABASE_URL, REPLAY_TABLE, REPLAY_KEYS (JSON array), REPLAY_EXPIRES_AT (ms).
import { register } from 'node:module';
import { createInterface } from 'node:readline';

register('@caisse/testing/typescript-hooks', import.meta.url);

const { default: pg } = await import('pg');
const { postgresReplayStore } = await import('../postgres.ts');

const keys = JSON.parse(process.env.REPLAY_KEYS);
const expiresAt = Number(process.env.REPLAY_EXPIRES_AT);
const connections = 10;
const pool = new pg.Pool({ connectionString: process.env.REPLAY_DATABASE_URL, max: connections });
const store = postgresReplayStore({ client: pool, table: process.env.REPLAY_TABLE });

// Open every connection before the start signal, so no claim waits for a connection
// while the other process is already claiming.
const opened = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
for (const connection of opened) connection.release();

const lines = createInterface({ input: process.stdin });
const go = new Promise((resolve) => lines.once('line', resolve));
process.stdout.write('ready\n');
await go;
lines.close();

const results = await Promise.all(keys.map((key) => store.claim(key, expiresAt)));
process.stdout.write(`${JSON.stringify({ won: keys.filter((_, index) => results[index]) })}\n`);
await pool.end();
