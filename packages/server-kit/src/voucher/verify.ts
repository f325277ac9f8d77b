import {
  CaisseError,
  parseMessage,
  type RefusalClaims,
  type RefusalReason,
  refusalClaims,
  TOKEN_TYPES,
  type VoucherClaims,
  voucherClaims,
} from '@caisse/protocol';
import { type ClockOptions, checkLifetime, checkParty, resolveClock } from '../claims.js';
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
  /** Remembers used token ids: share one across all your instances (PostgreSQL or Redis). */
  replayStore: ReplayStore;
}

export interface VerifyVoucherOptions extends PaymentServerTrust {
  /** Your merchant id: the voucher's audience. */
  audience: string;
  ticket: TicketLookup;
  /** The state read back from the browser session (e.g. {@link readStateCookie}); must equal the voucher's. */
  state?: string;
}

/** The payment server refused the payment. `reason` is stable; show `REFUSAL_REASONS[reason]` to people. */
export class PaymentRefusedError extends CaisseError {
  override readonly name = 'PaymentRefusedError';
  readonly reason: RefusalReason;
  readonly refusal: RefusalClaims;

  constructor(refusal: RefusalClaims) {
    super('payment_refused', `The payment server refused ticket "${refusal.ticket.jti}": ${refusal.reason}.`);
    this.reason = refusal.reason;
    this.refusal = refusal;
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
 * key (checked before any claim), `typ`, issuer, audience, expiry, the exact ticket it
 * answers (id, hash, amount, currency, state), and single use. A refusal token throws
 * {@link PaymentRefusedError} with its reason.
 * @example
 * const voucher = await verifyVoucher(token, { issuer, keys, replayStore, audience: 'shop-1', ticket: savedReference })
 */
export async function verifyVoucher(token: string, options: VerifyVoucherOptions): Promise<Voucher> {
  const { nowSeconds, tolerance } = resolveClock(options);
  const jws = await verifyJws(token, [TOKEN_TYPES.voucher, TOKEN_TYPES.refusal], options.keys);
  const refused = jws.typ === TOKEN_TYPES.refusal;
  const claims = refused
    ? parseMessage(refusalClaims, jws.payload, 'claims_invalid')
    : parseMessage(voucherClaims, jws.payload, 'claims_invalid');
  checkParty('iss', claims.iss, options.issuer);
  checkParty('aud', claims.aud, options.audience);
  checkLifetime(claims, nowSeconds(), tolerance);
  checkAnswersTicket(claims, await lookupTicket(options.ticket, claims.ticket.jti), options.state);
  const replayKey = voucherReplayKey(claims, refused ? 'refusal' : 'voucher');
  if (!(await options.replayStore.claim(replayKey, (claims.exp + tolerance) * 1000))) {
    throw new CaisseError('token_replayed', `Voucher "${claims.jti}" has already been used.`);
  }
  if (refused) throw new PaymentRefusedError(claims as RefusalClaims);
  return claims as VoucherClaims;
}
