import { parseMessage, type QuoteRequestClaims, quoteRequestClaims, TOKEN_TYPES } from '@caisse/protocol';
import { checkExpiry, checkIssuedAt, checkMode, checkParty, resolveClock, resolveMode } from '../claims.js';
import { verifyJws } from '../jws/verify.js';
import type { PaymentServerTrust } from '../voucher/verify.js';

/**
 * A verified quote request: the payment server asking, now, what `quantity` of `item` costs.
 * @example const { item, quantity, jti } = await merchant.verifyQuoteRequest(await request.text())
 */
export type QuoteRequest = QuoteRequestClaims;

/**
 * Whom a quote request must come from and be for. The payment server's trust without a
 * replay store: see {@link verifyQuoteRequest} for why none is needed.
 * @example const options: VerifyQuoteRequestOptions = { issuer: 'https://pay.example', keys, audience: 'newsstand' }
 */
export interface VerifyQuoteRequestOptions extends Omit<PaymentServerTrust, 'replayStore'> {
  /** Your merchant id: the request's audience. */
  audience: string;
}

/**
 * Verifies a `caisse-quote+jwt`, the payment server asking your quote endpoint for a price:
 * its type (a ticket, voucher or notification is refused, `type_mismatch`), its signature by
 * the payment server's keys (checked before any claim is read), its claims (at most 60 s
 * from `iat` to `exp`, `LIMITS.quoteRequestLifetime`; no unknown or duplicate member),
 * its mode, issuer and audience (your merchant id), that it has not expired and is not dated
 * in the future. Returns its claims.
 *
 * No replay store: a request replayed within its minute only makes you quote again, a fresh
 * ticket bound to that same request (`quote.request`) that the customer still has to pay
 * with their own confirmation. It moves no money and delivers nothing, so remembering
 * request ids would cost a shared store write per quote for no protection.
 * @example
 * const request = await verifyQuoteRequest(await httpRequest.text(), { issuer, keys, audience: 'newsstand' })
 * const ticket = merchant.createTicket({ …, quote: { request: request.jti, item: request.item, quantity: request.quantity } })
 */
export async function verifyQuoteRequest(token: string, options: VerifyQuoteRequestOptions): Promise<QuoteRequest> {
  const { nowSeconds, tolerance } = resolveClock(options);
  const mode = resolveMode(options.mode);
  const jws = await verifyJws(token, [TOKEN_TYPES.quote], options.keys);
  const claims = parseMessage(quoteRequestClaims, jws.payload, 'claims_invalid');
  checkMode(claims, mode, 'quote request');
  checkParty('iss', claims.iss, options.issuer);
  checkParty('aud', claims.aud, options.audience);
  const now = nowSeconds();
  checkExpiry(claims.exp, now, tolerance);
  checkIssuedAt(claims.iat, now, tolerance);
  return claims;
}
