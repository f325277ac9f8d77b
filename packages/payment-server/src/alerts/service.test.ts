import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { problem, refusedWithoutChange } from '../merchants/test-fixtures.js';
import type { Database } from '../storage/database.js';
import { openTestDatabase, rolledBack, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { type AlertService, createAlertService } from './service.js';

const drivers = await testDrivers('payment-server alerts');

describe.each(drivers)('alerts on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;
  let alerts: AlertService;
  const clock = { now: new Date('2026-11-22T10:00:00Z') };
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'alerts');
    db = handle.db;
    const log = createLogger({ write: (line) => lines.push(JSON.parse(line)) });
    alerts = createAlertService({ db, now: () => clock.now, log });
  });
  afterAll(() => handle.close());

  it('raises, lists open alerts oldest first, and acknowledges once', async () => {
    const first = await alerts.raise({ kind: 'account_locked', subject: 'alice', details: { attempts: 5 } });
    expect(first).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      kind: 'account_locked',
      subject: 'alice',
      details: { attempts: 5 },
      createdAt: clock.now,
      acknowledgedAt: null,
      acknowledgedBy: null,
    });
    expect(lines.at(-1)).toMatchObject({
      level: 'warn',
      event: 'alert.raised',
      alertId: first.id,
      kind: 'account_locked',
      subject: 'alice',
    });

    clock.now = new Date('2026-11-22T10:05:00Z');
    const second = await alerts.raise({ kind: 'audit.mismatch', subject: 'batch 7' });
    expect(second.details).toEqual({});
    expect((await alerts.list()).map((alert) => alert.id)).toEqual([first.id, second.id]);
    expect((await alerts.list({ kind: 'account_locked' })).map((alert) => alert.id)).toEqual([first.id]);

    clock.now = new Date('2026-11-22T11:00:00Z');
    const acknowledged = await alerts.acknowledge(first.id, { by: 'ops' });
    expect(acknowledged).toMatchObject({ id: first.id, acknowledgedAt: clock.now, acknowledgedBy: 'ops' });
    expect((await alerts.list()).map((alert) => alert.id)).toEqual([second.id]);
    expect((await alerts.list({ includeAcknowledged: true })).map((alert) => alert.id)).toEqual([first.id, second.id]);

    // Acknowledging again keeps who and when it was first acknowledged.
    clock.now = new Date('2026-11-22T12:00:00Z');
    expect(await alerts.acknowledge(first.id, { by: 'someone else' })).toEqual(acknowledged);
    await alerts.acknowledge(second.id);
  });

  it('says alert_unknown for an id it does not have', async () => {
    await problem(alerts.acknowledge('00000000-0000-4000-8000-000000000000'), 'alert_unknown');
    await problem(alerts.acknowledge('not-a-uuid'), 'alert_unknown');
  });

  it.each([
    ['a kind outside the rule', { kind: 'Account Locked', subject: 'alice' }],
    ['an empty subject', { kind: 'account_locked', subject: '' }],
    ['details that are not flat', { kind: 'account_locked', subject: 'alice', details: { nested: { a: 1 } } }],
    ['a float in details', { kind: 'account_locked', subject: 'alice', details: { ratio: 0.5 } }],
    ['details too long', { kind: 'account_locked', subject: 'alice', details: { text: 'x'.repeat(5000) } }],
  ])('refuses %s and writes nothing', async (_name, input) => {
    await refusedWithoutChange(db, 'request_invalid', () => alerts.raise(input as never));
  });

  it('commits or rolls back with the transaction that raised it', async () => {
    const before = (await alerts.list({ includeAcknowledged: true })).length;
    await rolledBack(db, (tx) =>
      createAlertService({ db: tx, now: () => clock.now }).raise({ kind: 'account_locked', subject: 'rolled-back' }),
    );
    expect(await alerts.list({ includeAcknowledged: true })).toHaveLength(before);
  });
});
