import { Gauge, type Registry } from 'prom-client';
import type { Queryable } from '../storage/database.js';

/** A number read from the database at each scrape: one count over a partial index (or a small table). */
interface DatabaseGauge {
  readonly name: string;
  readonly help: string;
  readonly sql: string;
}

/**
 * What an operator watches between payments. Every instance reports the same numbers (they
 * are the database's): aggregate them with `max`, not `sum`.
 */
const DATABASE_GAUGES: readonly DatabaseGauge[] = [
  {
    name: 'caisse_notifications_pending',
    help: 'The notification outbox depth: notifications to merchants not yet acknowledged, parked ones left out.',
    sql: `SELECT count(*) AS n FROM notifications WHERE status = 'pending'`,
  },
  {
    name: 'caisse_notifications_parked',
    help: 'Notifications parked after 3 days without an acknowledgement: `caisse-server notifications resend` puts them back.',
    sql: `SELECT count(*) AS n FROM notifications WHERE status = 'parked'`,
  },
  {
    name: 'caisse_customers_locked',
    help: 'Account ids locked after 5 wrong access keys or PINs (unknown ids lock too): `caisse-server customers unlock` lifts one.',
    sql: 'SELECT count(*) AS n FROM customer_attempts WHERE locked_at IS NOT NULL',
  },
  {
    name: 'caisse_receipts_due',
    help: 'Receipts to customers waiting to be sent (or to be tried again).',
    sql: `SELECT count(*) AS n FROM receipts WHERE status = 'due'`,
  },
  {
    name: 'caisse_alerts_open',
    help: 'Operator alerts not acknowledged yet: `caisse-server alerts list`.',
    sql: 'SELECT count(*) AS n FROM alerts WHERE acknowledged_at IS NULL',
  },
];

/**
 * Registers the gauges read from the database when Prometheus scrapes, one query each: one
 * that cannot be read (the database slow to answer, a table missing before a migration)
 * throws, and the scrape leaves it out and serves the rest (registry.ts).
 * @example databaseGauges(registry, db)
 */
export function databaseGauges(registry: Registry, db: Pick<Queryable, 'query'>): void {
  for (const { name, help, sql } of DATABASE_GAUGES) {
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const { rows } = await db.query<{ n: bigint }>(sql);
        this.set(Number(rows[0]?.n ?? 0));
      },
    });
  }
}
