import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import type { Database } from '../storage/database.js';
import { openDatabase } from '../storage/open.js';
import { createServerMetrics } from './registry.js';

let db: Database;
beforeAll(async () => {
  db = await openDatabase();
});
afterAll(async () => {
  await db.close();
});

describe('a server metrics page', () => {
  it('serves the rest of the page when one cannot be read, and logs which', async () => {
    const logged: Record<string, unknown>[] = [];
    const metrics = createServerMetrics({ db, log: createLogger({ write: (line) => logged.push(JSON.parse(line)) }) });
    expect(await metrics.scrape()).toMatch(/^caisse_receipts_due 0$/m);

    await db.query('ALTER TABLE receipts RENAME TO receipts_elsewhere');
    try {
      const page = await metrics.scrape();
      // Left out, not 0: a number there would say all is well.
      expect(page).not.toContain('caisse_receipts_due');
      expect(page).toMatch(/^caisse_alerts_open 0$/m);
      expect(page).toMatch(/^caisse_notifications_pending 0$/m);
      expect(page).toMatch(/^process_resident_memory_bytes \d+/m);
      expect(logged).toEqual([
        expect.objectContaining({
          level: 'warn',
          event: 'metrics.collect_failed',
          metric: 'caisse_receipts_due',
          error: expect.anything(),
        }),
      ]);
    } finally {
      await db.query('ALTER TABLE receipts_elsewhere RENAME TO receipts');
    }
    expect(await metrics.scrape()).toMatch(/^caisse_receipts_due 0$/m);
  });

  it('keeps each server its own metrics, sharing only the process ones', async () => {
    const log = createLogger({ write: () => {} });
    const [one, other] = [createServerMetrics({ db, log }), createServerMetrics({ db, log })];
    one.onSettled({ key: 'cs_1', outcome: 'paid', means: 'wallet', at: new Date(0) });
    expect(await one.scrape()).toMatch(/^caisse_payments_total\{outcome="paid",means="wallet"\} 1$/m);
    expect(await other.scrape()).not.toMatch(/^caisse_payments_total\{/m);
  });
});
