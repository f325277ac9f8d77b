/**
 * Every error any Caisse package raises carries one of these codes. The codes are part
 * of the public API: they never change meaning, and new ones are only ever added.
 * The payment server returns the same codes in `application/problem+json` bodies.
 */
export const ERROR_CODES = {
  // Token shape
  token_malformed: 'The token is not a compact JWS of three base64url parts with JSON header and payload.',
  token_too_large: 'The token is longer than the protocol allows.',
  duplicate_member: 'A JSON object in the token or request body repeats a member name.',
  type_mismatch: 'The token header `typ` is not the kind of token expected here.',
  algorithm_not_allowed: 'The token header `alg` is not EdDSA or ES256, or does not fit the key.',
  header_key_refused:
    'The token header carries its own key or key location (`jwk`, `jku`, `x5u`, `x5c`, `x5t`, `x5t#S256`); keys only come from the registered key set.',
  header_unsupported: 'The token header asks for an extension (`crit`) this implementation does not support.',
  // Keys and signatures
  key_unknown: 'No key in the trusted key set has the token `kid`.',
  keys_invalid: 'A key set is malformed, holds a private key, or repeats a `kid`.',
  keys_unavailable: 'The key set could not be fetched in time.',
  signature_invalid: 'The signature does not verify with the trusted key.',
  // Claims
  claims_invalid: 'The token payload does not match the message schema.',
  version_unsupported: 'The token uses a protocol version this implementation does not know.',
  token_expired: 'The token `exp` has passed (beyond the clock tolerance).',
  token_not_yet_valid: 'The token `iat` or `nbf` lies in the future (beyond the clock tolerance).',
  audience_mismatch: 'The token `aud` is not this party.',
  issuer_mismatch: 'The token `iss` is not the expected issuer.',
  ticket_mismatch: 'The voucher does not answer this exact ticket (id, hash, amount or currency differ).',
  state_mismatch: 'The voucher `state` does not match the browser session that started the checkout.',
  token_replayed: 'This token has already been used.',
  payment_refused: 'The payment server refused the payment; the refusal carries its reason.',
  token_test_mode:
    'The token was signed in the other mode: a test token (`test: true`) reached a live merchant, or a live token reached a merchant using a test key.',
  // Messages and money
  message_invalid: 'The message does not match its schema.',
  amount_mismatch: 'The amount is not the sum of the items.',
  vat_mismatch: 'The VAT is not the sum of the VAT of the items.',
  currency_unknown: 'The currency is not an active ISO 4217 code.',
  amount_invalid: 'The amount is not a whole number of minor units within the allowed range.',
  // Storage
  replay_store_full: 'The in-memory replay store is full of live entries; it refuses rather than forgets.',
  replay_store_unavailable: 'The replay store could not be reached; the token is refused rather than accepted twice.',
  // Framework integration
  body_unavailable:
    'The request body was read by a body parser before the Caisse handler got it, and no copy was passed on: mount the handler before the parser, or use the adapter for your framework.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The reasons a payment server gives when it refuses a ticket (DESIGN.md, "Refusal"). */
export const REFUSAL_REASONS = {
  insufficient_funds: 'The wallet does not hold enough money for this payment.',
  ceiling_exceeded: "The payment would exceed the customer's daily or monthly ceiling.",
  authentication_failed: 'The customer could not be identified.',
  account_locked: 'The account is locked after too many wrong attempts.',
  customer_declined: 'The customer declined the payment.',
  confirmation_expired: 'The customer did not confirm in time.',
  bank_declined: "The customer's bank declined the payment.",
  ticket_expired: 'The payment ticket expired before it reached the payment server.',
  ticket_invalid: 'The payment ticket is not valid.',
  ticket_replayed: 'The payment ticket has already been used.',
  merchant_unknown: 'The merchant is not registered with this payment server.',
} as const;

export type RefusalReason = keyof typeof REFUSAL_REASONS;

/** One field-level problem found while validating a message. */
export interface Issue {
  /** Dotted path to the offending field, e.g. `items.2.unitAmount`; empty for the whole message. */
  path: string;
  message: string;
}

/**
 * Base class of every Caisse error. Compare `code`, never the message; use
 * {@link isCaisseError} rather than `instanceof` when the error may come from another
 * realm (an iframe, a popup, a second copy of the package).
 */
export class CaisseError extends Error {
  override readonly name: string = 'CaisseError';
  readonly code: ErrorCode;
  readonly issues: readonly Issue[];

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; issues?: readonly Issue[] }) {
    super(message ?? ERROR_CODES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options?.issues ?? [];
  }
}

/**
 * @example
 * try { await verifyVoucher(token, opts) } catch (err) { if (isCaisseError(err, 'token_expired')) … }
 */
export function isCaisseError<C extends ErrorCode>(error: unknown, code?: C): error is CaisseError & { code: C } {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { code?: unknown; issues?: unknown };
  // Own members only: `in` would also accept inherited names such as `toString`.
  if (typeof candidate.code !== 'string' || !Object.hasOwn(ERROR_CODES, candidate.code)) return false;
  if (!Array.isArray(candidate.issues)) return false;
  return code === undefined || candidate.code === code;
}
