import type { RefusalReason, VoucherClaims } from '@caisse/protocol';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * How a payment ended: `paid` (the money moved, or is held in escrow), `authenticated` (a
 * ticket of amount 0: no money, a proof of who the customer is), `refused` (a decline, a
 * short wallet, an expired confirmation…) or `cancelled` (the customer left).
 */
export type PaymentOutcome = 'paid' | 'authenticated' | 'refused' | 'cancelled';

/** What paid, as the payment's `funding` names it: `wallet` (loyalty points alone too), `bank`, `allowance`. */
export type PaymentMeans = NonNullable<VoucherClaims['funding']>;

/** A payment that reached its final state, as the payment core tells it. */
export interface SettledPayment {
  /**
   * What makes this settlement one: the checkout session's id, a charge's ticket. The payment
   * core tells it from inside the payment's transaction, which a deadlock may run again:
   * told again under the same key and outcome, it is counted once.
   */
  readonly key: string;
  readonly outcome: PaymentOutcome;
  /** For a payment: what paid. */
  readonly means?: PaymentMeans;
  /** For a refusal or a cancellation: why. */
  readonly reason?: RefusalReason;
  /** When the checkout opened (the ticket's intake), for how long paying took. */
  readonly startedAt?: Date;
  readonly at: Date;
}

/** What the payment core calls as a payment reaches its final state. */
export type OnSettled = (settled: SettledPayment) => void;

/** Keys remembered to count a settlement told twice once; the oldest are forgotten first. */
const REMEMBERED_KEYS = 10_000;

/** From the ticket's intake to paid: a customer reading a page, typing a key, approving on a phone. */
const PAYMENT_SECONDS_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900];

/**
 * `caisse_payments_total{outcome,means,reason}`, counted by this instance as each payment
 * it settles reaches its final state, and `caisse_payment_duration_seconds{means}`, from a
 * checkout's intake to paid.
 * @example const onSettled = paymentMetrics(registry); onSettled({ key: session.id, outcome: 'paid', means: 'wallet', at })
 */
export function paymentMetrics(registry: Registry): OnSettled {
  const payments = new Counter({
    name: 'caisse_payments_total',
    help: 'Payments that reached their final state on this instance, by outcome (paid, authenticated, refused, cancelled), means that paid and reason refused.',
    labelNames: ['outcome', 'means', 'reason'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'caisse_payment_duration_seconds',
    help: "Time from a checkout's intake to its payment, by means.",
    labelNames: ['means'] as const,
    buckets: PAYMENT_SECONDS_BUCKETS,
    registers: [registry],
  });
  const counted = new Set<string>();

  return (settled) => {
    const key = `${settled.outcome}:${settled.key}`;
    if (counted.has(key)) return;
    counted.add(key);
    if (counted.size > REMEMBERED_KEYS) counted.delete(counted.values().next().value as string);
    const { outcome, means, reason, startedAt, at } = settled;
    payments.inc({ outcome, ...(means === undefined ? {} : { means }), ...(reason === undefined ? {} : { reason }) });
    if (outcome === 'paid' && means !== undefined && startedAt !== undefined) {
      duration.observe({ means }, Math.max(0, at.getTime() - startedAt.getTime()) / 1000);
    }
  };
}
