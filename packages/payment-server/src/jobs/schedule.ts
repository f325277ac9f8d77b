import { sealAudit } from '../audit/seal.js';
import type { Config } from '../config.js';
import { configuredRetention, housekeepingJob } from '../housekeeping/index.js';
import { rollUpBalances } from '../ledger/rollups.js';
import type { PaymentServer } from '../server.js';
import { createScheduler, type ScheduledJob } from './scheduler.js';

/**
 * Every periodic job of the payment server, in one place: what runs, how often and why
 * then, and why it is safe on every instance at once (N instances run the same list on
 * one PostgreSQL; nothing here is elected or kept in memory). A job's own logic stays in
 * its domain; this file only says when. The README's "Periodic jobs" table mirrors it.
 */
export const JOB_INTERVALS_MS = {
  /**
   * Bank operations a time-out left pending (`acquirer/operations.ts`): 15 s is a few
   * bank time-outs, so a customer waiting on a bank payment hears soon. Safe: rows are
   * claimed `FOR UPDATE SKIP LOCKED`, then pushed back in time.
   */
  bankReconcile: 15_000,
  /**
   * Phone confirmations nobody answered in time are refused and the merchant told, also
   * when no page or poll looks at them: 5 s past a deadline of minutes. Safe: a session
   * leaves `confirming` once, by a compare-and-set on its state.
   */
  phoneConfirmationsDue: 5_000,
  /**
   * Allowances expired, at their maximum or at a period's end are settled, also when no
   * charge or read comes: 15 s. Safe: each settlement locks its row and settles only what
   * is still due.
   */
  allowancesDue: 15_000,
  /**
   * Dispute deadlines count in days: a minute is on time. Safe: each dispute is decided
   * under its row lock by compare-and-set, an overdue alert by an update only one run sees
   * succeed, a refund by its claim and key.
   */
  disputeDeadlines: 60_000,
  /**
   * Committed transfers sealed into the hash-linked audit register: 5 s keeps the unsealed
   * tail short, and the barrier it takes holds payments for an instant only. Safe: sealers
   * take turns on an advisory lock, and the database refuses a batch that does not extend
   * the chain.
   */
  auditSeal: 5_000,
  /**
   * Derived accounts' entries folded into their roll-up (`ledger/rollups.ts`), so a till's
   * balance reads a minute of entries at most, not its history; it takes the same barrier
   * as the sealer, so not more often. Safe: runs take turns on an advisory lock, and a
   * roll-up only moves forward (`as_of_serial` must grow).
   */
  ledgerRollUp: 60_000,
  /**
   * Escrow time-outs, captures of bank payments, the due settlement, and bank legs a crash
   * left pending (`after-payment/`): they count in days or wait on a bank, a minute is on
   * time. Safe: each row is claimed `FOR UPDATE SKIP LOCKED`, each bank leg has its key.
   */
  afterPayment: 60_000,
  /**
   * Dead rows deleted in short batches (`housekeeping/`): their retentions count in days,
   * and 5 minutes keeps each pass's backlog small. Safe: each batch locks the rows it
   * deletes `FOR UPDATE SKIP LOCKED`, a row already deleted is simply not found.
   */
  housekeeping: 5 * 60_000,
  /**
   * Due receipts sent: a receipt reaches the customer seconds after the payment. Safe:
   * rows are claimed `FOR UPDATE SKIP LOCKED` under a lease.
   */
  receipts: 5_000,
  /**
   * The notification outbox (`notifications/dispatcher.ts`), on its own loop: a pass every
   * 2 s, and the next at once when a pass was full, so a backlog drains without waiting;
   * its stop aborts the merchant requests in flight. Safe: rows are claimed `FOR UPDATE
   * SKIP LOCKED` under a lease.
   */
  notifications: 2_000,
} as const;

export interface PaymentServerJobs {
  /** What runs on the scheduler, in order; the notification dispatcher runs besides, on its own loop. */
  readonly scheduled: readonly ScheduledJob[];
  /** Stops every job: timers cleared, runs in flight ended after their current step and waited for. */
  stop(): Promise<void>;
}

export interface PaymentServerJobsDeps {
  config: Pick<Config, 'CAISSE_NOTIFICATION_RETENTION_DAYS'>;
  now: () => Date;
  /** Told of every failed run besides the log line `job.failed`. */
  onError?: (job: string, error: unknown) => void;
}

/**
 * Starts every periodic job of `server`; `startPaymentServer` calls it and stops them in `close`.
 * @example const jobs = startPaymentServerJobs(server, { config, now: () => new Date() }); … await jobs.stop();
 */
export function startPaymentServerJobs(server: PaymentServer, deps: PaymentServerJobsDeps): PaymentServerJobs {
  const scheduler = createScheduler({ log: server.log, ...(deps.onError ? { onError: deps.onError } : {}) });
  const every = JOB_INTERVALS_MS;
  scheduler.every('bank.reconcile', every.bankReconcile, () => server.bank.reconcile());
  scheduler.every('checkout.settle_confirmations', every.phoneConfirmationsDue, () => server.phoneCheckout.settleDue());
  scheduler.every('allowances.settle_due', every.allowancesDue, () => server.allowanceSettlement.settleDue());
  scheduler.every('disputes.deadlines', every.disputeDeadlines, () => server.disputes.applyDeadlines());
  scheduler.every('audit.seal', every.auditSeal, () => sealAudit(server.db));
  scheduler.every('ledger.roll_up', every.ledgerRollUp, () => rollUpBalances(server.db));
  scheduler.every('after_payment', every.afterPayment, () => server.afterPayment.runOnce());
  // Its own stop ends a pass after the batch in flight (it logs what it pruned and what failed).
  const housekeeping = housekeepingJob({ db: server.db, now: deps.now, log: server.log, retention: configuredRetention(deps.config) });
  scheduler.every('housekeeping.prune', every.housekeeping, () => housekeeping.run());
  scheduler.every('receipts.send', every.receipts, () => server.receipts.runOnce());
  const dispatching = server.notificationDispatcher.start({ intervalMs: every.notifications });
  return {
    scheduled: scheduler.jobs,
    async stop() {
      await Promise.all([scheduler.stop(), housekeeping.stop(), dispatching.stop()]);
    },
  };
}
