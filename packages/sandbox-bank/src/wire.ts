import { amount, currency, description, IDEMPOTENCY_KEY, reference } from '@caisse/acquirer';
import { z } from 'zod';

/**
 * The sandbox bank's HTTP API, as zod schemas: the bank validates requests with them and
 * the sandbox acquirer (`adapter.ts`) validates the bank's answers with them.
 *
 * POST /v1/authorisations                  AuthoriseBody   → BankOperation
 * POST /v1/authorisations/:id/captures     AmountBody      → BankOperation
 * POST /v1/authorisations/:id/refunds      AmountBody      → BankOperation
 * POST /v1/authorisations/:id/voids        AmountBody      → BankOperation
 * POST /v1/payouts                         PayoutBody      → BankOperation
 * GET  /v1/operations?idempotencyKey=…                     → BankOperation | 404 operation_unknown
 * GET  /v1/statement[?account=ref]                         → { operations: BankOperation[] }
 *
 * Every POST needs an `Idempotency-Key` header. Approved and declined operations both
 * answer 200: a decline is an answer, not an error. Errors are `application/problem+json`;
 * an authorisation or payout in a currency the bank does not process is 400
 * `currency_unsupported`, and is not recorded.
 */

export { IDEMPOTENCY_KEY };

/** Every request body is strict: a member the bank does not know (a card number…) is refused, not ignored. */
export const authoriseBody = z.strictObject({
  customerBankRef: reference,
  amount,
  currency,
  merchantId: reference,
  description,
});
export type AuthoriseBody = z.infer<typeof authoriseBody>;

export const amountBody = z.strictObject({ amount });
export type AmountBody = z.infer<typeof amountBody>;

export const payoutBody = z.strictObject({
  merchantId: reference,
  // An IBAN (up to 34 characters) or an account reference.
  accountRef: reference,
  amount,
  currency,
});
export type PayoutBody = z.infer<typeof payoutBody>;

export const WIRE_KINDS = ['authorise', 'capture', 'refund', 'payout', 'void'] as const;
export const WIRE_STATUSES = ['approved', 'declined'] as const;

/** An operation as the bank recorded it: the answer to a POST, a lookup, a statement line. */
export const bankOperation = z.object({
  idempotencyKey: z.string().regex(IDEMPOTENCY_KEY),
  kind: z.enum(WIRE_KINDS),
  status: z.enum(WIRE_STATUSES),
  reference: z.string().min(1).max(64),
  // Free text on the wire: a bank may add reasons; the client maps those it does not know.
  declineReason: z.string().max(64).nullable(),
  /** The account debited or credited (customer reference, or payout account). */
  account: z.string().max(64).nullable(),
  /** For captures, refunds and voids: the authorisation they apply to. */
  authorisationId: z.string().max(64).nullable(),
  amount,
  /** Null when the bank could not tell (a capture, refund or void of an authorisation it does not know). */
  currency: currency.nullable(),
  createdAt: z.iso.datetime(),
});
export type BankOperation = z.infer<typeof bankOperation>;

export const statement = z.object({ operations: z.array(bankOperation) });
export type Statement = z.infer<typeof statement>;

export const problem = z.object({ code: z.string(), detail: z.string().optional() });
