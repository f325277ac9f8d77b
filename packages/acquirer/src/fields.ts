import { isCurrencyCode, LIMITS } from '@caisse/protocol';
import { z } from 'zod';

/**
 * The field rules of a bank operation, as zod schemas: the payment server checks every
 * request with them before it reaches an adapter, and a bank's API may reuse them (the
 * sandbox bank's does), since they mirror the `Acquirer` requests.
 */

/** Visible ASCII, 1–255 characters: what an idempotency key may hold. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** @example idempotencyKey.safeParse('acq:authorise:shop-1:T-42').success // true */
export const idempotencyKey = z.string().regex(IDEMPOTENCY_KEY, 'must be 1–255 visible ASCII characters');

/**
 * Bank and merchant references: 1–64 of `A-Z a-z 0-9 . _ : -` (an IBAN fits).
 * @example reference.parse('auth_3f2a')
 */
export const reference = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'must be 1–64 characters of A-Z a-z 0-9 . _ : -');

/**
 * Minor units; a bank operation always moves something.
 * @example amount.parse(12_500) // 125.00 EUR
 */
export const amount = z.int().min(1).max(LIMITS.amount);

/** @example currency.parse('EUR') */
export const currency = z.string().refine(isCurrencyCode, 'must be an active ISO 4217 currency code such as EUR');

/**
 * Shown on the customer's bank statement.
 * @example description.parse('Order 42')
 */
export const description = z
  .string()
  .max(LIMITS.labelLength)
  .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters');
