import { DISPUTE_STATES } from '@caisse/protocol';
import { z } from 'zod';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import { parseInput } from '../merchants/input.js';
import type { RefundService } from '../refunds/service.js';
import type { Database } from '../storage/database.js';
import { answerDispute } from './answer.js';
import type { DisputeContext } from './context.js';
import { applyDeadlines, type DeadlineRun } from './deadlines.js';
import { decideDispute, holdDispute } from './decide.js';
import { DEFAULT_DEADLINES, type DisputeDeadlines, type DisputeOutcome, type DisputeRow, type DisputeState } from './model.js';
import { type OpenDisputeInput, openDispute } from './open.js';
import { disputeById, disputeOfPayment, listDisputes } from './store.js';

export interface DisputeDeps {
  db: Database;
  refunds: Pick<RefundService, 'create'>;
  /** Default: 60 days to open, 7 to answer, 14 to decide. */
  deadlines?: Partial<DisputeDeadlines>;
  now?: () => Date;
  log?: Logger;
}

export interface DisputeService {
  /** The customer opens a dispute. @throws ProblemError see {@link openDispute} */
  open(customerId: string, input: OpenDisputeInput): Promise<DisputeRow>;
  /** The customer's disputes, newest first. */
  listForCustomer(customerId: string): Promise<DisputeRow[]>;
  /** The dispute of one of the customer's payments; undefined when none (or not theirs). */
  ofPayment(customerId: string, serial: bigint): Promise<DisputeRow | undefined>;
  /** @throws ProblemError `request_invalid` (state) */
  listForMerchant(merchantId: string, options?: { state?: string }): Promise<DisputeRow[]>;
  /** @throws ProblemError `dispute_unknown` (also another merchant's) */
  getForMerchant(merchantId: string, id: string): Promise<DisputeRow>;
  /** @throws ProblemError see {@link answerDispute} */
  answer(merchantId: string, id: string, evidence: unknown): Promise<DisputeRow>;
  /** Every dispute, for the operator. @throws ProblemError `request_invalid` (state) */
  list(options?: { state?: string }): Promise<DisputeRow[]>;
  /** @throws ProblemError `dispute_unknown` */
  get(id: string): Promise<DisputeRow>;
  /** @throws ProblemError see {@link holdDispute} */
  hold(id: string): Promise<DisputeRow>;
  /** @throws ProblemError see {@link decideDispute} */
  decide(id: string, outcome: DisputeOutcome, options?: { note?: string }): Promise<DisputeRow>;
  /** The periodic job: see {@link applyDeadlines}. */
  applyDeadlines(options?: { limit?: number }): Promise<DeadlineRun>;
}

const stateFilter = z.enum(DISPUTE_STATES).optional();

/**
 * Disputes: opened by customers (account page, phone), answered by merchants (API),
 * decided by the operator (CLI) or by the answer deadline; a decision for the customer
 * refunds through `refunds` once. Every step is a top-level function over one context
 * (open.ts, answer.ts, decide.ts, deadlines.ts); this wires them.
 * @example const disputes = createDisputeService({ db, refunds: afterPayment.refunds, deadlines: { openDays: 60 } })
 */
export function createDisputeService(deps: DisputeDeps): DisputeService {
  const ctx: DisputeContext = {
    db: deps.db,
    refunds: deps.refunds,
    deadlines: { ...DEFAULT_DEADLINES, ...deps.deadlines },
    now: deps.now ?? (() => new Date()),
    ...(deps.log ? { log: deps.log } : {}),
  };
  const state = (value: string | undefined): DisputeState | undefined => parseInput(stateFilter, value);
  const known = (row: DisputeRow | undefined): DisputeRow => {
    if (row === undefined) throw new ProblemError('dispute_unknown');
    return row;
  };

  return {
    open: (customerId, input) => openDispute(ctx, customerId, input),
    listForCustomer: (customerId) => listDisputes(ctx.db, { customerId }),
    ofPayment: (customerId, serial) => disputeOfPayment(ctx.db, customerId, serial),
    listForMerchant: (merchantId, options = {}) => {
      const only = state(options.state);
      return listDisputes(ctx.db, { merchantId, ...(only ? { state: only } : {}) });
    },
    getForMerchant: async (merchantId, id) => known(await disputeById(ctx.db, id, { merchantId })),
    answer: (merchantId, id, evidence) => answerDispute(ctx, merchantId, id, evidence),
    list: (options = {}) => {
      const only = state(options.state);
      return listDisputes(ctx.db, only ? { state: only } : {});
    },
    get: async (id) => known(await disputeById(ctx.db, id)),
    hold: (id) => holdDispute(ctx, id),
    decide: (id, outcome, options) => decideDispute(ctx, id, outcome, options),
    applyDeadlines: (options) => applyDeadlines(ctx, options),
  };
}
