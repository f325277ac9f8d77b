import type { Hono } from 'hono';
import type { AcquirerOperations } from '../acquirer/operations.js';
import type { BankMetadata, PurposeHandlers } from '../acquirer/purposes.js';
import type { AssertionKeys } from '../api/assertion.js';
import type { ApiEnv } from '../api/context.js';
import { type CaptureService, captureHandler, createCaptureService, reversalHandler } from '../captures/service.js';
import { type CarrierKeyService, createCarrierKeyService } from '../escrow/carriers.js';
import type { EscrowTimeoutPolicy } from '../escrow/model.js';
import { escrowEndpoints } from '../escrow/routes.js';
import { createEscrowService, type EscrowService } from '../escrow/service.js';
import type { Logger } from '../log.js';
import { refundEndpoints } from '../refunds/routes.js';
import { createRefundService, declineRefundsAwaitingCapture, type RefundService, refundHandler } from '../refunds/service.js';
import type { Cutoff } from '../settlement/cutoff.js';
import { settlementEndpoints } from '../settlement/routes.js';
import { createSettlementService, type SettlementService, settlementHandler } from '../settlement/service.js';
import type { Database } from '../storage/database.js';
import { createTopUpService, type TopUpService, topUpHandler } from '../top-ups/service.js';

export interface AfterPaymentDeps {
  db: Database;
  escrow: { timeoutDays: number; policy: EscrowTimeoutPolicy };
  cutoff: Cutoff;
  /** The acquirers' recorded operations (with no acquirer configured, nothing routes and bank work waits). */
  bank: AcquirerOperations<BankMetadata>;
  now?: () => Date;
  log?: Logger;
}

export interface AfterPayment {
  escrow: EscrowService;
  carriers: CarrierKeyService;
  refunds: RefundService;
  captures: CaptureService;
  settlement: SettlementService;
  topUps: TopUpService;
  /** The merchant API endpoints of escrow, refunds and settlements (`ApiDeps.endpoints`). */
  endpoints: ((api: Hono<ApiEnv>) => void)[];
  /** Keys for the delivery endpoint (`ApiDeps.deliveryKeys`). */
  deliveryKeys(merchants: AssertionKeys): AssertionKeys;
  /**
   * One pass of the background work: escrow time-outs, captures of bank payments, the due
   * settlement, and bank legs left pending by a crash. Safe on every instance at once; the
   * payment server's scheduler runs one a minute (jobs/schedule.ts). Never rejects: each
   * step's failure is logged (`after_payment.<step>_failed`) and the next steps run.
   */
  runOnce(): Promise<void>;
}

/**
 * Escrow, refunds, settlement and top-ups, built over one database and wired for the
 * payment server: its API endpoints and its background jobs (its purpose handlers are `afterPaymentHandlers`).
 * @example const after = createAfterPayment({ db, escrow: { timeoutDays: 14, policy: 'void' }, cutoff, bank: operations })
 */
export function createAfterPayment(deps: AfterPaymentDeps): AfterPayment {
  const base = { db: deps.db, ...(deps.now ? { now: deps.now } : {}), ...(deps.log ? { log: deps.log } : {}) };
  const { bank } = deps;
  const carriers = createCarrierKeyService(base);
  const refunds = createRefundService({ ...base, bank });
  const captures = createCaptureService({ ...base, bank });
  const escrow = createEscrowService({
    ...base,
    timeoutDays: deps.escrow.timeoutDays,
    policy: deps.escrow.policy,
    afterBankVoid: (payment) => captures.reverse(payment),
  });
  const settlement = createSettlementService({ ...base, cutoff: deps.cutoff, bank });
  const topUps = createTopUpService({ ...base, bank });

  async function step(name: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (error) {
      deps.log?.error(`after_payment.${name}_failed`, { error });
    }
  }

  async function runOnce(): Promise<void> {
    await step('escrow_sweep', () => escrow.sweep());
    // Before the payout: the operator collects what it is about to pay out (nothing without a bank).
    await step('captures', () => captures.run());
    await step('settle', () => settlement.settleDue());
    await step('refunds_resume', () => refunds.resume());
    await step('settlement_resume', () => settlement.resume());
    await step('top_ups_resume', () => topUps.resume());
  }

  return {
    escrow,
    carriers,
    refunds,
    captures,
    settlement,
    topUps,
    endpoints: [escrowEndpoints({ escrow, carriers }), refundEndpoints({ refunds }), settlementEndpoints({ settlement })],
    deliveryKeys: (merchants) => carriers.withCarrierKeys(merchants),
    runOnce,
  };
}

/**
 * The handlers of the bank operations these services send, one per purpose: they book in
 * the transaction that settles an operation and need no acquirer, so they exist before
 * the acquirers' operations service that calls them.
 */
export function afterPaymentHandlers(deps: { now?: () => Date; log?: Logger }): Omit<PurposeHandlers, 'checkout'> {
  return {
    capture: captureHandler({ ...deps, onDeclined: (tx, payment, reason) => declineRefundsAwaitingCapture(tx, deps, payment, reason) }),
    reversal: reversalHandler(deps),
    refund: refundHandler(deps),
    settlement: settlementHandler(deps),
    top_up: topUpHandler(deps),
  };
}
