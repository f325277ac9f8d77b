import { currencyExponent, isCurrencyCode, LIMITS } from '@caisse/protocol';
import { z } from 'zod';
import { ID_PATTERN } from '../merchants/input.js';
import { LOCALES, type Locale } from '../pages/i18n.js';

/** Wrong access keys in a row that lock an account (DESIGN.md; also written in migration 0003). */
export const MAX_FAILED_ATTEMPTS = 5;

/** The limits of one customer in one currency, in minor units. */
export interface CurrencyLimits {
  readonly currency: string;
  /** Most the wallet may hold; enforced by the ledger on the wallet's balance row. */
  readonly walletCap: bigint;
  /** Most the customer may pay per calendar day (wallet and bank together). */
  readonly dailyCeiling: bigint;
  /** Most the customer may pay per calendar month. */
  readonly monthlyCeiling: bigint;
}

export interface Customer {
  /** The account id the customer types on the hosted page; also the ledger owner of their wallets. */
  readonly id: string;
  /** E.164, unique. */
  readonly phone: string;
  /** One entry per currency the customer has a wallet in, ordered by currency. */
  readonly limits: readonly CurrencyLimits[];
  /** Wrong access keys since the last right one (0 to {@link MAX_FAILED_ATTEMPTS}). */
  readonly failedAttempts: number;
  /** When the account was locked after too many wrong keys; null when it is not locked. */
  readonly lockedAt: Date | null;
  readonly createdAt: Date;
  /** The language of the customer's receipts (`en` by default): set by the operator, kept when the customer picks one on the account page. */
  readonly locale: Locale;
}

/**
 * Defaults, in major units of the currency: wallet cap 150, daily ceiling 300, monthly
 * ceiling 1 000 (150.00 / 300.00 / 1 000.00 EUR). They are scaled by each currency's ISO
 * exponent (so 150 JPY, 150.000 KWD); set explicit limits for currencies whose unit is
 * worth much more or much less than a euro. The ceilings cover wallet and bank payments;
 * the cap only bounds what the wallet holds.
 */
export const DEFAULT_LIMITS = { walletCap: 150, dailyCeiling: 300, monthlyCeiling: 1_000 } as const;

/** The currency a customer gets a wallet in when `add` is given no limits. */
export const DEFAULT_CURRENCY = 'EUR';

/** Access keys are 8–128 characters as typed (compared after NFC normalisation). */
export const ACCESS_KEY_LENGTH = { min: 8, max: 128 } as const;

/** Most currencies one customer holds wallets in. */
export const MAX_CURRENCIES = 16;

export function defaultLimits(currency: string): CurrencyLimits {
  const unit = 10n ** BigInt(currencyExponent(currency));
  return {
    currency,
    walletCap: BigInt(DEFAULT_LIMITS.walletCap) * unit,
    dailyCeiling: BigInt(DEFAULT_LIMITS.dailyCeiling) * unit,
    monthlyCeiling: BigInt(DEFAULT_LIMITS.monthlyCeiling) * unit,
  };
}

export interface LimitsInput {
  walletCap?: bigint;
  dailyCeiling?: bigint;
  monthlyCeiling?: bigint;
}

export interface AddCustomerInput {
  accountId: string;
  /** E.164, e.g. `+33612345678`. */
  phone: string;
  /** Given to the customer by the operator; stored only as a scrypt hash. */
  accessKey: string;
  /** Per currency; a missing field takes its default. Default: `{ EUR: {} }`. */
  limits?: Readonly<Record<string, LimitsInput>>;
  /** The language of the customer's receipts. Default `en`. */
  locale?: Locale;
}

const amount = z.bigint('must be a bigint of minor units').min(0n).max(BigInt(LIMITS.amount));

export const accountId = z.string().regex(ID_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit');
export const phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number such as +33612345678');
export const currency = z.string().refine(isCurrencyCode, 'must be an active ISO 4217 currency code such as EUR');
export const locale = z.enum(LOCALES, `must be one of ${LOCALES.join(', ')}`);

export const limitsInput = z
  .strictObject({ walletCap: amount.optional(), dailyCeiling: amount.optional(), monthlyCeiling: amount.optional() })
  .refine(
    (limits) => limits.dailyCeiling === undefined || limits.monthlyCeiling === undefined || limits.dailyCeiling <= limits.monthlyCeiling,
    { message: 'the daily ceiling must not exceed the monthly ceiling', path: ['dailyCeiling'] },
  );

export const addCustomerInput = z.strictObject({
  accountId,
  phone,
  accessKey: z
    .string()
    .min(ACCESS_KEY_LENGTH.min)
    .max(ACCESS_KEY_LENGTH.max)
    .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters'),
  limits: z
    .record(z.string(), limitsInput)
    .refine((limits) => Object.keys(limits).length >= 1 && Object.keys(limits).length <= MAX_CURRENCIES, {
      message: `must list 1 to ${MAX_CURRENCIES} currencies`,
    })
    .refine((limits) => Object.keys(limits).every((code) => isCurrencyCode(code)), {
      message: 'keys must be active ISO 4217 currency codes',
    })
    .optional(),
  locale: locale.optional(),
});

/** Fills the fields left out from `base` (the current limits, or the defaults); the caller checks daily ≤ monthly. */
export function resolveLimits(
  currencyCode: string,
  input: LimitsInput,
  base: CurrencyLimits = defaultLimits(currencyCode),
): CurrencyLimits {
  return {
    currency: currencyCode,
    walletCap: input.walletCap ?? base.walletCap,
    dailyCeiling: input.dailyCeiling ?? base.dailyCeiling,
    monthlyCeiling: input.monthlyCeiling ?? base.monthlyCeiling,
  };
}
