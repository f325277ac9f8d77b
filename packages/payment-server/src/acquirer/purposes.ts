import type { VoucherClaims } from '@caisse/protocol';
import { z } from 'zod';
import type { JsonObject } from '../ledger/model.js';
import type { Transaction } from '../storage/database.js';
import type { ApprovedOperation, DeclinedOperation } from './model.js';

/**
 * Why the payment server asked a bank for something, and the context the domain that
 * asked needs back to book the outcome. Each operation carries one purpose in its
 * metadata; when the operation settles, exactly one handler (the purpose's) runs, in the
 * transaction that settles it. Adding a purpose here makes the compiler ask for its handler
 * where the payment server is wired (`PurposeHandlers` is a mapped type).
 */
const CONTEXTS = {
  /** A checkout paid through the bank (payments/authorise.ts). */
  checkout: z.object({
    session: z.string(),
    customer: z.string(),
    method: z.enum(['device', 'tap', 'access_key', 'allowance']) satisfies z.ZodType<VoucherClaims['confirmation']['method']>,
    at: z.number(),
    /** The SHA-256 of the phone's signed approval, for the payment's ledger transfer (payments/means.ts `Confirmation`). */
    approval: z.string().optional(),
  }),
  /** The capture of a bank payment's authorisation (captures/service.ts). */
  capture: z.object({ merchant: z.string(), payment: z.string() }),
  /** The void of the authorisation of a bank payment voided in escrow (captures/service.ts). */
  reversal: z.object({ merchant: z.string(), payment: z.string() }),
  /** A refund of a bank payment (refunds/service.ts). */
  refund: z.object({ merchant: z.string(), refund: z.string() }),
  /** A merchant's daily payout (settlement/service.ts). */
  settlement: z.object({ settlement: z.string() }),
  /** A wallet top-up charged to the customer's bank (top-ups/service.ts). */
  top_up: z.object({ topUp: z.string() }),
} as const;

export type BankPurpose = keyof typeof CONTEXTS;

export type PurposeContext<P extends BankPurpose> = z.infer<(typeof CONTEXTS)[P]>;

/** What an operation carries in its metadata: its purpose and that purpose's context. */
export type BankMetadata = { [P in BankPurpose]: { readonly purpose: P } & PurposeContext<P> }[BankPurpose];

export interface PurposeHandler<P extends BankPurpose> {
  /** The bank did it: book it. Database work through `tx` only (it may be re-run after a serialization failure). */
  approved(tx: Transaction, operation: ApprovedOperation, context: PurposeContext<P>): Promise<void>;
  /** The bank refused, for good: release what was reserved, tell who must know. */
  declined(tx: Transaction, operation: DeclinedOperation, context: PurposeContext<P>): Promise<void>;
}

/** One handler per purpose, checked by the compiler. */
export type PurposeHandlers = { readonly [P in BankPurpose]: PurposeHandler<P> };

/**
 * The purpose of a stored operation. Checkout authorisations recorded before purposes
 * existed carry their context without one.
 * @throws Error when the metadata names no known purpose or misses its context: a broken invariant
 */
export function purposeOf(metadata: JsonObject): BankMetadata {
  const purpose = typeof metadata.purpose === 'string' ? metadata.purpose : 'checkout';
  if (!Object.hasOwn(CONTEXTS, purpose)) throw new Error(`Bank operation with unknown purpose ${purpose}.`);
  const context = CONTEXTS[purpose as BankPurpose].parse(metadata);
  return { ...context, purpose } as BankMetadata;
}

/** Runs the handler of the operation's purpose. */
export function dispatch(handlers: PurposeHandlers, tx: Transaction, operation: ApprovedOperation | DeclinedOperation): Promise<void> {
  const metadata = purposeOf(operation.metadata);
  // One narrowing for every purpose: the mapped type pairs each handler with its context.
  const handler = handlers[metadata.purpose] as PurposeHandler<BankPurpose>;
  const context = metadata as PurposeContext<BankPurpose>;
  return operation.status === 'approved' ? handler.approved(tx, operation, context) : handler.declined(tx, operation, context);
}
