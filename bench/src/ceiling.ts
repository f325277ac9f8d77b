import { performance } from 'node:perf_hooks';
import type pg from 'pg';

/**
 * The ceiling the database benches measure themselves against, in the same run, on the
 * same database and through the same driver (`pg`): the smallest double-entry
 * transaction — BEGIN; INSERT one transfer row; UPDATE two random rows of 100,000
 * accounts (lower id first, so none deadlock); COMMIT — on scratch tables made for the
 * run ({@link createScratch}) and dropped after it ({@link dropScratch}).
 */

/** Rows of the scratch accounts table. */
export const ACCOUNTS = 100_000;

export async function createScratch(pool: pg.Pool): Promise<void> {
  await pool.query(`CREATE TABLE bench_scratch_accounts (id int PRIMARY KEY, balance bigint NOT NULL)`);
  await pool.query(
    `CREATE TABLE bench_scratch_transfers (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       debit_account int NOT NULL, credit_account int NOT NULL, amount bigint NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now())`,
  );
  await pool.query(`INSERT INTO bench_scratch_accounts SELECT n, 1000000000 FROM generate_series(1, ${ACCOUNTS}) n`);
  await pool.query('VACUUM ANALYZE bench_scratch_accounts');
}

export async function dropScratch(pool: pg.Pool): Promise<void> {
  await pool.query('DROP TABLE IF EXISTS bench_scratch_transfers, bench_scratch_accounts');
}

/** Double-entry transactions per elapsed second over `ms`, on `connections` connections at once (the pool must allow as many). */
export async function ceilingRound(pool: pg.Pool, ms: number, connections: number): Promise<number> {
  let committed = 0;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = await pool.connect();
      try {
        while (performance.now() < deadline) {
          const a = 1 + Math.floor(Math.random() * ACCOUNTS);
          let b = 1 + Math.floor(Math.random() * (ACCOUNTS - 1));
          if (b >= a) b++;
          const amount = 1 + Math.floor(Math.random() * 1000);
          await client.query('BEGIN');
          await client.query('INSERT INTO bench_scratch_transfers (debit_account, credit_account, amount) VALUES ($1, $2, $3)', [
            a,
            b,
            amount,
          ]);
          // Lower id first, so two transactions on the same pair queue instead of deadlocking.
          for (const [id, delta] of a < b
            ? [
                [a, -amount],
                [b, amount],
              ]
            : [
                [b, amount],
                [a, -amount],
              ]) {
            await client.query('UPDATE bench_scratch_accounts SET balance = balance + $2 WHERE id = $1', [id, delta]);
          }
          await client.query('COMMIT');
          committed++;
        }
      } finally {
        client.release();
      }
    }),
  );
  return (committed * 1000) / (performance.now() - started);
}
