import { isCurrencyCode, LIMITS } from '@caisse/protocol';
import { z } from 'zod';

/**
 * The field rules of a bank operation, checked by the operations service at its
 * boundary. The sandbox bank's API reuses them (`sandbox-bank/wire.ts`), since it was
 * made to mirror the adapter interface.
 */

/** Visible ASCII, 1–255 characters: what an idempotency key may hold. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export const idempotencyKey = z.string().regex(IDEMPOTENCY_KEY, 'must be 1–255 visible ASCII characters');

/** Bank and merchant references: 1–64 of `A-Z a-z 0-9 . _ : -` (an IBAN fits). */
export const reference = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'must be 1–64 characters of A-Z a-z 0-9 . _ : -');

/** Minor units; a bank operation always moves something. */
export const amount = z.int().min(1).max(LIMITS.amount);

export const currency = z.string().refine(isCurrencyCode, 'must be an active ISO 4217 currency code such as EUR');

/** Shown on the customer's bank statement. */
export const description = z
  .string()
  .max(LIMITS.labelLength)
  .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters');
