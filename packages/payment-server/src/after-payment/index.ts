import type { Hono } from 'hono';
import type { ApprovedOperation, DeclinedOperation } from '../acquirer/model.js';
import type { AcquirerOperations } from '../acquirer/operations.js';
import type { AssertionKeys } from '../api/assertion.js';
import type { ApiEnv } from '../api/context.js';
import { type CaptureService, createCaptureService } from '../captures/service.js';
import { type CarrierKeyService, createCarrierKeyService } from '../escrow/carriers.js';
import type { EscrowTimeoutPolicy } from '../escrow/model.js';
import { escrowEndpoints } from '../escrow/routes.js';
import { createEscrowService, type EscrowService } from '../escrow/service.js';
import type { Logger } from '../log.js';
import { refundEndpoints } from '../refunds/routes.js';
import { createRefundService, type RefundService } from '../refunds/service.js';
import type { Cutoff } from '../settlement/cutoff.js';
import { settlementEndpoints } from '../settlement/routes.js';
import { createSettlementService, type SettlementService } from '../settlement/service.js';
import type { Database, Transaction } from '../storage/database.js';
import { createTopUpService, type TopUpService } from '../top-ups/service.js';

export interface AfterPaymentDeps {
  db: Database;
  escrow: { timeoutDays: number; policy: EscrowTimeoutPolicy };
  cutoff: Cutoff;
  /** The bank side, once it exists (it is built after the hooks it calls). */
  bank?: () => AcquirerOperations | undefined;
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
  /** The acquirer hooks of refunds, captures, payouts and top-ups; each ignores the operations of the others. */
  onBankApproved(tx: Transaction, operation: ApprovedOperation): Promise<void>;
  onBankDeclined(tx: Transaction, operation: DeclinedOperation): Promise<void>;
  /** Whether an acquirer operation belongs to these services (else it is a checkout's). */
  owns(operation: ApprovedOperation | DeclinedOperation): boolean;
  /**
   * One pass of the background work: escrow time-outs, captures of bank payments, the due
   * settlement, and bank legs left pending by a crash. Safe on every instance at once.
   */
  runOnce(): Promise<void>;
  /** Runs `runOnce` every `intervalMs` (default 60 s) until stopped; the timer does not keep the process alive. */
  start(options?: { intervalMs?: number }): { stop(): Promise<void> };
}

/**
 * Escrow, refunds, settlement and top-ups, built over one database and wired for the
 * payment server: its API endpoints, its acquirer hooks and its background jobs.
 * @example const after = createAfterPayment({ db, escrow: { timeoutDays: 14, policy: 'void' }, cutoff, bank: () => bank })
 */
export function createAfterPayment(deps: AfterPaymentDeps): AfterPayment {
  const base = { db: deps.db, ...(deps.now ? { now: deps.now } : {}), ...(deps.log ? { log: deps.log } : {}) };
  const bank = deps.bank ? { bank: () => deps.bank?.() as AcquirerOperations } : {};
  const hasBank = () => deps.bank?.() !== undefined;
  const escrow = createEscrowService({ ...base, timeoutDays: deps.escrow.timeoutDays, policy: deps.escrow.policy });
  const carriers = createCarrierKeyService(base);
  const refunds = createRefundService({ ...base, ...bank });
  const captures = createCaptureService({ ...base, ...bank });
  const settlement = createSettlementService({ ...base, cutoff: deps.cutoff, ...bank });
  const topUps = createTopUpService({ ...base, ...bank });
  const services = [refunds, captures, settlement, topUps];

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
    if (!hasBank()) return;
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
    async onBankApproved(tx, operation) {
      for (const service of services) await service.onBankApproved(tx, operation);
    },
    async onBankDeclined(tx, operation) {
      for (const service of services) await service.onBankDeclined(tx, operation);
    },
    owns: (operation) => typeof operation.metadata.purpose === 'string',
    runOnce,
    start(options = {}) {
      let running: Promise<void> = Promise.resolve();
      const timer = setInterval(() => {
        running = running.then(runOnce);
      }, options.intervalMs ?? 60_000);
      timer.unref();
      return {
        async stop() {
          clearInterval(timer);
          await running;
        },
      };
    },
  };
}
