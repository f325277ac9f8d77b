import { createHash } from 'node:crypto';
import { isCaisseError, parseTicketClaims, type RefusalReason, type TicketClaims, TOKEN_TYPES } from '@caisse/protocol';
import { decodeJws, unverifiedIssuer, verifyJws } from '@caisse/server-kit';
import type { ProblemCode } from '../http/problem.js';
import type { TicketPolicy } from '../merchants/service.js';
import type { ReceivedTicket } from './sessions.js';

/** What ticket intake needs to know about merchants. */
export interface MerchantDirectory {
  /** The merchant's registered public keys and return origins (one read), or undefined for an unknown merchant. */
  ticketPolicy(merchantId: string): Promise<TicketPolicy | undefined>;
}

export type IntakeResult =
  /** `kid`: the key that signed it, for callers that check it again at their write (allowance charges). */
  | { accepted: true; ticket: ReceivedTicket; kid: string }
  | {
      accepted: false;
      reason: RefusalReason;
      code: ProblemCode;
      detail: string;
      /** Present when the ticket itself is trustworthy (signed, URLs registered): the customer may be sent to its cancel URL with a signed refusal. */
      ticket?: ReceivedTicket;
    };

/** Tolerated difference between the merchant's clock and ours. */
export const TICKET_CLOCK_TOLERANCE = 30;

function refuse(reason: RefusalReason, code: ProblemCode, detail: string, ticket?: ReceivedTicket): IntakeResult {
  return ticket ? { accepted: false, reason, code, detail, ticket } : { accepted: false, reason, code, detail };
}

/** A failed token or claims check: the ticket cannot be trusted, so no redirect. */
function invalid(error: unknown): IntakeResult {
  if (!isCaisseError(error)) throw error;
  return refuse('ticket_invalid', error.code, error.message);
}

/**
 * Checks a ticket arriving from a browser, in an order that never trusts what it has
 * not verified: size, shape and header (`typ` included), then the merchant's registered
 * key and the signature before any claim, the claims and the rule that amounts add up,
 * our audience, registered return and cancel origins (no open redirect), then time.
 * Single use is enforced when the checkout session is stored. Only a signed ticket with
 * registered URLs may be answered by a redirect to its cancel URL.
 */
export async function checkTicket(
  token: unknown,
  deps: { merchants: MerchantDirectory; issuer: string; now?: () => Date },
): Promise<IntakeResult> {
  if (typeof token !== 'string' || token.length === 0) return refuse('ticket_invalid', 'request_invalid', 'No ticket was sent.');
  // Before the issuer is read: a token too large or not a JWS at all has no readable
  // `iss`, and would otherwise be called `merchant_unknown` instead of what is wrong.
  let kid: string;
  try {
    ({ kid } = decodeJws(token, [TOKEN_TYPES.ticket]));
  } catch (error) {
    return invalid(error);
  }
  const merchantId = unverifiedIssuer(token);
  const merchant = merchantId === undefined ? undefined : await deps.merchants.ticketPolicy(merchantId);
  if (merchantId === undefined || merchant === undefined)
    return refuse('merchant_unknown', 'merchant_unknown', 'The ticket does not come from a registered merchant.');

  let claims: TicketClaims;
  try {
    const verified = await verifyJws(token, [TOKEN_TYPES.ticket], merchant.keys);
    claims = parseTicketClaims(verified.payload);
  } catch (error) {
    return invalid(error);
  }
  if (claims.iss !== merchantId) return refuse('ticket_invalid', 'issuer_mismatch', 'The ticket issuer changed between reads.');
  if (claims.aud !== deps.issuer)
    return refuse('ticket_invalid', 'audience_mismatch', `The ticket is meant for "${claims.aud}", not this payment server.`);
  for (const field of ['returnUrl', 'cancelUrl', 'notifyUrl'] as const) {
    const url = claims[field];
    if (url !== undefined && !merchant.isRegisteredOrigin(url)) {
      return refuse('ticket_invalid', 'return_origin_unregistered', `The ticket's ${field} is not on an origin the merchant registered.`);
    }
  }

  const ticket: ReceivedTicket = { claims, sha256: createHash('sha256').update(token).digest('base64url') };
  const now = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  if (claims.iat > now + TICKET_CLOCK_TOLERANCE)
    return refuse('ticket_invalid', 'token_not_yet_valid', 'The ticket is dated in the future.');
  if (now >= claims.exp + TICKET_CLOCK_TOLERANCE) return refuse('ticket_expired', 'ticket_expired', 'The ticket has expired.', ticket);
  return { accepted: true, ticket, kid };
}
