import {
  CaisseError,
  type Mode,
  parseMessage,
  type RefusalClaims,
  type RefusalDetail,
  type RefusalReason,
  refusalClaims,
  TOKEN_TYPES,
  type VoucherClaims,
  voucherClaims,
} from '@caisse/protocol';
import { type ClockOptions, checkExpiry, checkIssuedAt, checkMode, checkParty, resolveClock, resolveMode } from '../claims.js';
import { verifyJws } from '../jws/verify.js';
import type { KeySet } from '../keys/types.js';
import { safeEqual } from '../lib/safe-equal.js';
import type { ReplayStore } from '../replay/store.js';
import type { TicketReference } from '../ticket/create.js';

/** A verified voucher: the payment server's signed word that this ticket is paid (or the customer authenticated). */
export type Voucher = VoucherClaims;

/** The ticket the voucher must answer: what `createTicket` returned as `reference`, or a lookup by ticket id. */
export type TicketLookup =
  | (Pick<TicketReference, 'id' | 'sha256' | 'amount' | 'currency'> & Partial<Pick<TicketReference, 'serial' | 'state'>>)
  | ((ticketId: string) => TicketLookupResult | Promise<TicketLookupResult>);
type TicketLookupResult = (Pick<TicketReference, 'id' | 'sha256' | 'amount' | 'currency'> & Partial<TicketReference>) | undefined;

export interface PaymentServerTrust extends ClockOptions {
  /** The payment server's issuer identifier. */
  issuer: string;
  /** The payment server's keys: `staticKeySet(jwks)` or `remoteKeySet({ jwksUri })`, or `discoverPaymentServer(url)`. */
  keys: KeySet;
  /** Remembers used token ids: share one across all your instances (PostgreSQL or Redis). It is given this clock with each claim. */
  replayStore: ReplayStore;
  /**
   * The mode you run in. `live` (the default) refuses every token marked `test: true`;
   * `test` refuses every token without it (`token_test_mode` either way). `createMerchant`
   * sets it from your key: a `test_` kid is a test merchant.
   */
  mode?: Mode;
}

export interface VerifyVoucherOptions extends PaymentServerTrust {
  /** Your merchant id: the voucher's audience. */
  audience: string;
  ticket: TicketLookup;
  /** The state read back from the browser session (e.g. {@link readStateCookie}); must equal the voucher's. */
  state?: string;
  /**
   * How long a used voucher is remembered, in seconds (default 4 days, at least its own
   * lifetime). The payment server sends the browser the voucher it signed at payment,
   * so a late copy is expired anyway; remembering it longer makes that copy answer
   * `token_replayed`, which says "already delivered", rather than `token_expired`.
   */
  replayWindow?: number;
}

/** Remembering used vouchers as long as notifications are, so both paths of one payment answer alike. */
export const DEFAULT_VOUCHER_REPLAY_WINDOW = 4 * 24 * 3600;

/**
 * The payment server refused the payment. `reason` is stable; show `REFUSAL_REASONS[reason]` to people.
 * `detail`, when the payment server refused the ticket itself (its key, signature, claims,
 * URLs or time), is for you, not the customer: the precise `code` and a `message` saying what to fix.
 * @example if (error instanceof PaymentRefusedError && error.detail) log.warn(`${error.detail.code}: ${error.detail.message}`)
 */
export class PaymentRefusedError extends CaisseError {
  override readonly name = 'PaymentRefusedError';
  readonly reason: RefusalReason;
  readonly refusal: RefusalClaims;
  /** Why the ticket was refused at intake (`key_unknown`, `return_origin_unregistered`, …) and what to do; absent for the customer's refusals. */
  readonly detail: RefusalDetail | undefined;

  constructor(refusal: RefusalClaims) {
    super('payment_refused', `The payment server refused ticket "${refusal.ticket.jti}": ${refusal.reason}.`);
    this.reason = refusal.reason;
    this.refusal = refusal;
    this.detail = refusal.detail;
  }
}

/** The replay-store key of a voucher or refusal, e.g. to `release` it when delivering failed and the customer may retry. */
export function voucherReplayKey(
  claims: Pick<VoucherClaims | RefusalClaims, 'iss' | 'jti'>,
  kind: 'voucher' | 'refusal' = 'voucher',
): string {
  return `${kind}:${claims.iss}:${claims.jti}`;
}

async function lookupTicket(lookup: TicketLookup, ticketId: string): Promise<TicketLookupResult> {
  return typeof lookup === 'function' ? lookup(ticketId) : lookup;
}

function checkAnswersTicket(claims: VoucherClaims | RefusalClaims, lookup: TicketLookupResult, state: string | undefined): void {
  if (lookup === undefined) throw new CaisseError('ticket_mismatch', `No ticket "${claims.ticket.jti}" is waiting for a voucher.`);
  const differences: string[] = [];
  if (claims.ticket.jti !== lookup.id) differences.push('ticket id');
  if (claims.ticket.sha256 !== lookup.sha256) differences.push('ticket hash');
  if (claims.amount !== lookup.amount) differences.push('amount');
  if (claims.currency !== lookup.currency) differences.push('currency');
  if (lookup.serial !== undefined && claims.serial !== lookup.serial) differences.push('serial');
  if (differences.length > 0) {
    throw new CaisseError(
      'ticket_mismatch',
      `The voucher does not answer ticket "${lookup.id}": ${differences.join(', ')} ${differences.length === 1 ? 'differs' : 'differ'}.`,
    );
  }
  for (const expected of [lookup.state, state]) {
    if (expected !== undefined && !safeEqual(claims.state, expected)) {
      throw new CaisseError('state_mismatch', 'The voucher belongs to another browser session than the one returning it.');
    }
  }
}

/**
 * Verifies a cash voucher before you deliver: signature by a trusted payment server
 * key (checked before any claim), `typ`, its mode (a test voucher never passes a live
 * merchant, nor a live one a test merchant), issuer, audience, the exact ticket it answers
 * (id, hash, amount, currency, state), single use, and expiry. A refusal token throws
 * {@link PaymentRefusedError} with its reason.
 *
 * Single use is checked before expiry, so a voucher already accepted is `token_replayed`
 * however late it comes back (within `replayWindow`): the caller knows it was delivered.
 * @example
 * const voucher = await verifyVoucher(token, { issuer, keys, replayStore, audience: 'shop-1', ticket: savedReference })
 */
export async function verifyVoucher(token: string, options: VerifyVoucherOptions): Promise<Voucher> {
  const { nowMs, tolerance } = resolveClock(options);
  const mode = resolveMode(options.mode);
  const window = options.replayWindow ?? DEFAULT_VOUCHER_REPLAY_WINDOW;
  if (!Number.isSafeInteger(window) || window < 0) {
    throw new TypeError('replayWindow must be a whole number of seconds.');
  }
  const jws = await verifyJws(token, [TOKEN_TYPES.voucher, TOKEN_TYPES.refusal], options.keys);
  const refused = jws.typ === TOKEN_TYPES.refusal;
  const claims = refused
    ? parseMessage(refusalClaims, jws.payload, 'claims_invalid')
    : parseMessage(voucherClaims, jws.payload, 'claims_invalid');
  checkMode(claims, mode, refused ? 'refusal' : 'voucher');
  checkParty('iss', claims.iss, options.issuer);
  checkParty('aud', claims.aud, options.audience);
  // One reading of the clock for every decision below, handed to the replay store too,
  // so a record lives exactly as long as this verifier says.
  const at = nowMs();
  const now = Math.floor(at / 1000);
  checkIssuedAt(claims.iat, now, tolerance);
  checkAnswersTicket(claims, await lookupTicket(options.ticket, claims.ticket.jti), options.state);
  const replayKey = voucherReplayKey(claims, refused ? 'refusal' : 'voucher');
  const rememberUntil = Math.max(claims.exp + tolerance, now + window) * 1000;
  if (!(await options.replayStore.claim(replayKey, rememberUntil, at))) {
    throw new CaisseError('token_replayed', `Voucher "${claims.jti}" has already been used.`);
  }
  try {
    checkExpiry(claims.exp, now, tolerance);
  } catch (error) {
    // Never accepted, so not used: the record would only turn the next answer into a wrong
    // `token_replayed`. If the store cannot forget it now, expiry is still the answer to give.
    await options.replayStore.release(replayKey).catch(() => undefined);
    throw error;
  }
  if (refused) throw new PaymentRefusedError(claims as RefusalClaims);
  return claims as VoucherClaims;
}
