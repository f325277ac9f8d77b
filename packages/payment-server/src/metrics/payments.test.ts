import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { paymentMetrics } from './payments.js';

const OPENED = new Date('2030-01-02T10:00:00Z');
const seconds = (n: number) => new Date(OPENED.getTime() + n * 1000);

describe('caisse_payments_total', () => {
  it('counts a settlement told again by a retried transaction once, and a later outcome of the same checkout apart', async () => {
    const registry = new Registry();
    const onSettled = paymentMetrics(registry);
    onSettled({ key: 'cs_a', outcome: 'paid', means: 'bank', startedAt: OPENED, at: seconds(12) });
    onSettled({ key: 'cs_a', outcome: 'paid', means: 'bank', startedAt: OPENED, at: seconds(13) });
    onSettled({ key: 'cs_b', outcome: 'refused', reason: 'bank_declined', at: seconds(20) });
    onSettled({ key: 'cs_c', outcome: 'cancelled', reason: 'customer_declined', at: seconds(20) });
    onSettled({ key: 'cs_d', outcome: 'authenticated', startedAt: OPENED, at: seconds(3) });

    const counted = await registry.getSingleMetricAsString('caisse_payments_total');
    expect(counted.split('\n').filter((line) => !line.startsWith('#'))).toEqual([
      'caisse_payments_total{outcome="paid",means="bank"} 1',
      'caisse_payments_total{outcome="refused",reason="bank_declined"} 1',
      'caisse_payments_total{outcome="cancelled",reason="customer_declined"} 1',
      'caisse_payments_total{outcome="authenticated"} 1',
    ]);
    const durations = await registry.getSingleMetricAsString('caisse_payment_duration_seconds');
    expect(durations).toContain('caisse_payment_duration_seconds_sum{means="bank"} 12');
    expect(durations).toContain('caisse_payment_duration_seconds_count{means="bank"} 1');
    expect(durations).toContain('caisse_payment_duration_seconds_bucket{le="10",means="bank"} 0');
    expect(durations).toContain('caisse_payment_duration_seconds_bucket{le="20",means="bank"} 1');
  });
});
