import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import {
  type CaisseError,
  isCaisseError,
  LIMITS,
  type Mode,
  modeOfClaims,
  modeOfKid,
  parseTicketClaims,
  type RefusalReason,
  type TicketClaims,
  TOKEN_TYPES,
  ticketClaims,
} from '@caisse/protocol';
import { decodeJws, findDuplicateMember, unverifiedIssuer, verifyJws } from '@caisse/server-kit';
import type { ProblemCode } from '../http/problem.js';
import { originOf } from '../merchants/origins.js';
import type { TicketPolicy } from '../merchants/service.js';
import { merchantStatusRefusal } from '../merchants/status.js';
import type { ReceivedTicket } from './sessions.js';

/** What ticket intake needs to know about merchants. */
export interface MerchantDirectory {
  /** The merchant's registered public keys and return origins (one read), or undefined for an unknown merchant. */
  ticketPolicy(merchantId: string): Promise<TicketPolicy | undefined>;
}

/** What ticket intake needs to know about digital goods (`contents/`): a ticket may name only one its merchant stored. */
export interface ContentDirectory {
  exists(merchantId: string, ref: string): Promise<boolean>;
}

/**
 * Whom a refused ticket is attributed to, and what may answer it. Only a registered
 * merchant named by the ticket's `iss` (unverified: anyone can name a merchant in a
 * forged ticket), so what is kept per merchant must stay bounded.
 */
export interface RefusedFor {
  /** The registered merchant the ticket's unverified `iss` names. */
  id: string;
  /** The ticket's `jti` as it reads (unverified), when it has one of the form of an id. */
  ticketId?: string;
  /** The ticket's `notifyUrl`, read only when it is on an origin this merchant registered. */
  notifyUrl?: string;
  /**
   * The ticket as it reads (its claims have the ticket's shape; amounts not checked) when
   * its `cancelUrl` is on an origin the merchant registered: what a signed refusal at that
   * URL may answer. Verified or not, the refusal answers these exact bytes
   * (`ticket.sha256`), so a merchant acts on it only for a ticket it made itself.
   */
  answerable?: ReceivedTicket;
  /**
   * True when these exact bytes can never be accepted (expired, a signature that does not
   * verify with the merchant's key of that kid, claims that do not parse, another
   * audience). False when they could later (the key or the origin registered, its `iat`
   * reached): a signed refusal must first record the ticket as used, so that it is never
   * paid after the merchant was told it was refused.
   */
  final: boolean;
}

export type IntakeResult =
  /** `kid`: the key that signed it, for callers that check it again at their write (allowance charges). */
  | { accepted: true; ticket: ReceivedTicket; kid: string }
  | {
      accepted: false;
      /**
       * What the customer is told, in words: `ticket_invalid`, `ticket_expired` or `merchant_unknown`
       * (with `merchant_pending` and `merchant_suspended`, which the hosted pages show in their own words).
       */
      reason: RefusalReason;
      /** The precise code, for the merchant (the problem of `POST /v1/payments`, the refusal's `detail.code`). */
      code: ProblemCode;
      /**
       * For the merchant, never the customer: what is wrong and what to do, naming the
       * merchant, the `kid`, the origin… (the refusal's `detail.message`). Never a token.
       */
      detail: string;
      /** Present when the ticket itself is trustworthy (signed, URLs registered): the customer may be sent to its cancel URL with a signed refusal. */
      ticket?: ReceivedTicket;
      /** Present when the ticket names a registered merchant: that merchant is told (`ticket-refusals/`). */
      merchant?: RefusedFor;
    };

type IntakeRefusal = Extract<IntakeResult, { accepted: false }>;

/** Tolerated difference between the merchant's clock and ours. */
export const TICKET_CLOCK_TOLERANCE = 30;

/** Longest merchant message: the protocol's limit for `detail.message`. */
const MESSAGE_LENGTH = 1000;
/** Registered origins named in one message; the rest are counted. */
const ORIGINS_SHOWN = 5;

/**
 * The codes a ticket's exact bytes keep for ever: such a ticket can never be accepted,
 * so a refusal needs only the check that it was not presented before. Any other code
 * (`key_unknown`, `return_origin_unregistered`, `token_not_yet_valid`, and codes added
 * later) may stop applying: its ticket is recorded as used before a refusal is signed.
 * A kid is never given to another key of the same merchant, so a signature that does not
 * verify with it never will.
 */
const FINAL_CODES: ReadonlySet<ProblemCode> = new Set<ProblemCode>([
  'token_malformed',
  'duplicate_member',
  'algorithm_not_allowed',
  'header_key_refused',
  'header_unsupported',
  'type_mismatch',
  'signature_invalid',
  'version_unsupported',
  'claims_invalid',
  'amount_mismatch',
  'vat_mismatch',
  'amount_invalid',
  'issuer_mismatch',
  'audience_mismatch',
  'ticket_expired',
  // A payment server keeps its mode for life (its database is locked to it).
  'ticket_mode_mismatch',
]);

/** What a ticket has shown of itself so far, for the merchant's message and for {@link RefusedFor}. */
interface Reading {
  merchantId?: string;
  policy?: TicketPolicy;
  kid?: string;
  /** Verified claims. */
  claims?: TicketClaims;
}

function refuse(reason: RefusalReason, code: ProblemCode, detail: string, ticket?: ReceivedTicket): IntakeResult {
  const message = bounded(detail, MESSAGE_LENGTH);
  return ticket ? { accepted: false, reason, code, detail: message, ticket } : { accepted: false, reason, code, detail: message };
}

/** A failed token or claims check: the ticket cannot be trusted, so no redirect. */
function invalid(error: unknown, reading: Reading): IntakeResult {
  if (!isCaisseError(error)) throw error;
  return refuse('ticket_invalid', error.code, merchantMessage(error, reading));
}

/**
 * Checks a ticket arriving from a browser, in an order that never trusts what it has
 * not verified: size, shape and header (`typ` included), then the merchant's registered
 * key and the signature before any claim, the claims and the rule that amounts add up,
 * our audience, registered return and cancel origins (no open redirect), then time.
 * Single use is enforced when the checkout session is stored. Only a signed ticket with
 * registered URLs may be answered by a redirect to its cancel URL (`ticket`).
 *
 * Every refusal has a precise `code` and a `detail` for the merchant; a refusal of a
 * ticket naming a registered merchant says which (`merchant`), whether the ticket could
 * be verified or not: see {@link RefusedFor} for what may be done with it.
 */
export async function checkTicket(token: unknown, deps: IntakeDeps): Promise<IntakeResult> {
  const reading: Reading = {};
  const result = await verifyTicket(token, deps, reading);
  if (result.accepted || reading.merchantId === undefined || reading.policy === undefined || typeof token !== 'string') return result;
  const now = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  return { ...result, merchant: refusedFor(token, result, { ...reading, merchantId: reading.merchantId, policy: reading.policy }, now) };
}

/** What {@link checkTicket} reads: merchants, this server's issuer, the clock, and the stored digital goods (none: a ticket naming one is refused). */
export interface IntakeDeps {
  merchants: MerchantDirectory;
  issuer: string;
  now?: () => Date;
  contents?: ContentDirectory;
}

async function verifyTicket(token: unknown, deps: IntakeDeps, reading: Reading): Promise<IntakeResult> {
  if (typeof token !== 'string' || token.length === 0) return refuse('ticket_invalid', 'request_invalid', 'No ticket was sent.');
  // Before the issuer is read: a token too large or not a JWS at all has no readable
  // `iss`, and would otherwise be called `merchant_unknown` instead of what is wrong.
  let kid: string;
  try {
    ({ kid } = decodeJws(token, [TOKEN_TYPES.ticket]));
  } catch (error) {
    // Still the merchant's to learn of, when the payload names one.
    await readMerchant(token, deps.merchants, reading);
    return invalid(error, reading);
  }
  reading.kid = kid;
  const merchant = await readMerchant(token, deps.merchants, reading);
  if (merchant === undefined) return refuse('merchant_unknown', 'merchant_unknown', 'The ticket does not come from a registered merchant.');
  const merchantId = merchant.id;
  // Before the signature, from the header's kid: a refusal only, never an acceptance.
  const mode = merchant.policy.mode ?? 'live';
  if (modeOfKid(kid) !== mode) return refuse('ticket_invalid', 'ticket_mode_mismatch', keyModeMessage(merchantId, kid, mode));

  let claims: TicketClaims;
  try {
    const verified = await verifyJws(token, [TOKEN_TYPES.ticket], merchant.policy.keys);
    claims = parseTicketClaims(verified.payload);
  } catch (error) {
    return invalid(error, reading);
  }
  reading.claims = claims;
  if (modeOfClaims(claims) !== mode) return refuse('ticket_invalid', 'ticket_mode_mismatch', claimModeMessage(merchantId, mode));
  if (claims.iss !== merchantId) return refuse('ticket_invalid', 'issuer_mismatch', 'The ticket issuer changed between reads.');
  if (claims.aud !== deps.issuer) {
    return refuse(
      'ticket_invalid',
      'audience_mismatch',
      `The ticket of merchant ${merchantId} is meant for "${shown(claims.aud, 100)}", not this payment server: make tickets with the audience ${shown(deps.issuer, 100)} (createTicket's paymentServer, the issuer of its discovery document).`,
    );
  }
  // After the signature: only the merchant's own tickets are told its status. Not final: the ticket may be taken once it is active.
  const status = merchantStatusRefusal(merchantId, merchant.policy.status);
  if (status) return refuse('merchant_unknown', status.code, status.detail);
  for (const field of ['returnUrl', 'cancelUrl', 'notifyUrl'] as const) {
    const url = claims[field];
    if (url !== undefined && !merchant.policy.isRegisteredOrigin(url)) {
      return refuse('ticket_invalid', 'return_origin_unregistered', unregisteredOrigin(field, url, merchantId, merchant.policy));
    }
  }

  const ticket: ReceivedTicket = { claims, sha256: createHash('sha256').update(token).digest('base64url'), token };
  const delivery = claims.delivery?.content;
  if (delivery !== undefined && !(deps.contents && (await deps.contents.exists(merchantId, delivery)))) {
    return refuse(
      'ticket_invalid',
      'content_unknown',
      `The ticket of merchant ${merchantId} names the digital good "${delivery}", which the merchant has not stored on this payment server: store it first (PUT /v1/contents/${delivery}, client.contents.put), or make the ticket without delivery.`,
      ticket,
    );
  }
  const now = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  if (claims.iat > now + TICKET_CLOCK_TOLERANCE) {
    return refuse(
      'ticket_invalid',
      'token_not_yet_valid',
      `The ticket of merchant ${merchantId} is dated (iat) more than ${TICKET_CLOCK_TOLERANCE} s after the payment server's clock: set the clock of the server that makes tickets right (NTP), and make each ticket when the customer is about to pay.`,
    );
  }
  if (now >= claims.exp + TICKET_CLOCK_TOLERANCE) {
    return refuse(
      'ticket_expired',
      'ticket_expired',
      `The ticket of merchant ${merchantId} reached the payment server after its exp (plus ${TICKET_CLOCK_TOLERANCE} s): make the ticket when the customer is about to pay, or give it a longer lifetime (at most ${LIMITS.ticketLifetime} s); check the clock of the server that makes tickets.`,
      ticket,
    );
  }
  return { accepted: true, ticket, kid };
}

/** The registered merchant the ticket's unverified `iss` names, recorded in `reading`; one read of its keys and origins. */
async function readMerchant(
  token: string,
  merchants: MerchantDirectory,
  reading: Reading,
): Promise<{ id: string; policy: TicketPolicy } | undefined> {
  const id = unverifiedIssuer(token);
  const policy = id === undefined ? undefined : await merchants.ticketPolicy(id);
  if (id === undefined || policy === undefined) return undefined;
  reading.merchantId = id;
  reading.policy = policy;
  return { id, policy };
}

/** What the merchant is told of a failed token or claims check: what is wrong with its ticket, and what to do. */
function merchantMessage(error: CaisseError, reading: Reading): string {
  const merchant = reading.merchantId ?? 'unknown';
  const kid = reading.kid === undefined ? '' : shown(reading.kid, 64);
  switch (error.code) {
    case 'key_unknown':
      return `The key kid ${kid} is not registered for merchant ${merchant}, or was retired: have the payment operator register its public key (caisse-server merchants key add ${merchant} JWKS_FILE), or sign tickets with a key registered for ${merchant}.`;
    case 'signature_invalid':
      return `The ticket's signature does not verify with the key kid ${kid} registered for merchant ${merchant}: it was signed with another private key under that kid, or changed after signing. Sign with the private key of kid ${kid}, and send the ticket exactly as signed.`;
    case 'algorithm_not_allowed':
      return `${shown(error.message, 200)} (merchant ${merchant}): tickets are signed with EdDSA or ES256, the algorithm of the key named by kid.`;
    case 'claims_invalid':
    case 'version_unsupported': {
      const issues = error.issues.slice(0, 3).map((issue) => `${shown(issue.path || '(ticket)', 60)}: ${shown(issue.message, 120)}`);
      return `The claims of a ticket of merchant ${merchant} do not match the ticket schema${issues.length > 0 ? ` (${issues.join('; ')})` : `: ${shown(error.message, 200)}`}. Make tickets with createTicket (@caisse/server-kit), which checks them before signing.`;
    }
    case 'amount_mismatch':
    case 'vat_mismatch':
    case 'amount_invalid':
      return `A ticket of merchant ${merchant} has amounts that do not add up: ${amountProblem(error.code)} Compute amount and vat from the items, as createTicket (@caisse/server-kit) does.`;
    default:
      return `A ticket of merchant ${merchant} is not a well-formed ticket: ${shown(error.message, 300)} Make tickets with createTicket (@caisse/server-kit), which signs them as the payment server reads them.`;
  }
}

function amountProblem(code: 'amount_mismatch' | 'vat_mismatch' | 'amount_invalid'): string {
  if (code === 'amount_mismatch') return 'amount is not the sum over the items of quantity × unitAmount.';
  if (code === 'vat_mismatch')
    return "vat is not the sum of the items' VAT (each line's VAT from its vatRate in basis points, 2000 = 20 %).";
  return 'the items add up to more than the largest amount allowed.';
}

function unregisteredOrigin(field: 'returnUrl' | 'cancelUrl' | 'notifyUrl', url: string, merchantId: string, policy: TicketPolicy): string {
  const origin = originOf(url);
  const registered = policy.returnOrigins ?? [];
  const list =
    registered.length === 0
      ? ''
      : ` (registered: ${registered
          .slice(0, ORIGINS_SHOWN)
          .map((each) => shown(each, 100))
          .join(', ')}${registered.length > ORIGINS_SHOWN ? ` and ${registered.length - ORIGINS_SHOWN} more` : ''})`;
  if (origin === undefined) {
    return `The ticket's ${field} cannot be a return URL for merchant ${merchantId}: it must be an absolute https URL (http only on localhost) without user name or password${list}.`;
  }
  return `The ticket's ${field} is on the origin ${shown(origin, 120)}, which merchant ${merchantId} has not registered${list}: have the payment operator register that origin, or use a URL on a registered origin.`;
}

/** Text from a token, made fit for a message: no control or bidi characters, at most `max` characters. */
function shown(text: string, max: number): string {
  return bounded(text.replace(/[\p{Cc}\p{Cs}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, '?'), max);
}

function bounded(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** What the attributed merchant may be told and sent, from what the ticket says of itself. */
function refusedFor(
  token: string,
  refusal: IntakeRefusal,
  reading: Reading & { merchantId: string; policy: TicketPolicy },
  now: number,
): RefusedFor {
  const { merchantId, policy } = reading;
  const payload = readPayload(token);
  const jti = payload?.jti;
  const ticketId = reading.claims?.jti ?? (typeof jti === 'string' && ID.test(jti) ? jti : undefined);
  const rawNotifyUrl = reading.claims?.notifyUrl ?? payload?.notifyUrl;
  // Read only once its origin is known to be the merchant's: never a target someone else chose.
  const notifyUrl = typeof rawNotifyUrl === 'string' && policy.isRegisteredOrigin(rawNotifyUrl) ? rawNotifyUrl : undefined;
  const answerable = refusal.ticket ?? answerableTicket(token, reading.claims ?? readClaims(payload), merchantId, policy);
  return {
    id: merchantId,
    ...(ticketId === undefined ? {} : { ticketId }),
    ...(notifyUrl === undefined ? {} : { notifyUrl }),
    ...(answerable === undefined ? {} : { answerable }),
    // An expired ticket can never be accepted, whatever else is wrong with it.
    final: FINAL_CODES.has(refusal.code) || (answerable !== undefined && now >= answerable.claims.exp + TICKET_CLOCK_TOLERANCE),
  };
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

function answerableTicket(
  token: string,
  claims: TicketClaims | undefined,
  merchantId: string,
  policy: TicketPolicy,
): ReceivedTicket | undefined {
  if (claims === undefined || claims.iss !== merchantId || !policy.isRegisteredOrigin(claims.cancelUrl)) return undefined;
  // A ticket that is not a JWS of ours cannot be a ticket its merchant made.
  try {
    decodeJws(token, [TOKEN_TYPES.ticket]);
  } catch {
    return undefined;
  }
  return { claims, sha256: createHash('sha256').update(token).digest('base64url') };
}

/** The claims as the ticket states them, unverified, when they have the ticket's shape (amounts are not checked). */
function readClaims(payload: Record<string, unknown> | undefined): TicketClaims | undefined {
  const parsed = payload === undefined ? undefined : ticketClaims.safeParse(payload);
  return parsed?.success ? parsed.data : undefined;
}

/**
 * The payload of a compact JWS read without verifying it: canonical base64url, UTF-8,
 * no repeated member (so it reads the same to every parser), a JSON object. Only for
 * telling a merchant about its refused ticket; never trusted for anything else.
 */
function readPayload(token: string): Record<string, unknown> | undefined {
  if (token.length > LIMITS.tokenLength) return undefined;
  const part = token.split('.')[1] ?? '';
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part || !isUtf8(bytes)) return undefined;
  const text = bytes.toString('utf8');
  if (findDuplicateMember(text) !== undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** What the merchant is told of a ticket signed with a key of the other mode (test mode, issue 16). */
function keyModeMessage(merchant: string, kid: string, mode: Mode): string {
  return mode === 'live'
    ? `The ticket of merchant ${merchant} is signed with the test key kid ${shown(kid, 64)}, and this payment server is live: test keys only work with a payment server in test mode (such as the demo). Sign live tickets with your live key.`
    : `The ticket of merchant ${merchant} is signed with the live key kid ${shown(kid, 64)}, and this payment server runs in test mode: sign tickets for it with a test key (caisse keys new --test, kid test_…), never with your live key.`;
}

/** What the merchant is told of a ticket whose `test` claim is not that of this server's mode. */
function claimModeMessage(merchant: string, mode: Mode): string {
  return mode === 'live'
    ? `A ticket of merchant ${merchant} says test: true, and this payment server is live: a live ticket carries no test claim. Make tickets with createTicket (@caisse/server-kit) and your live key.`
    : `A ticket of merchant ${merchant} lacks test: true, and this payment server runs in test mode: make tickets with createTicket (@caisse/server-kit) and your test key, which marks them.`;
}
