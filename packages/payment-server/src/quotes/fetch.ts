import { randomBytes } from 'node:crypto';
import { LIMITS, type Mode, PROTOCOL_VERSION, parseMessage, type QuoteRequestClaims, quoteAnswer, TOKEN_TYPES } from '@caisse/protocol';
import { findDuplicateMember, signJws } from '@caisse/server-kit';
import { type ContentDirectory, checkTicket, type MerchantDirectory } from '../checkout/intake.js';
import type { ReceivedTicket } from '../checkout/sessions.js';
import { ProblemError } from '../http/problem.js';
import type { ServerKeys } from '../keys/service.js';
import type { Logger } from '../log.js';
import type { MerchantService } from '../merchants/service.js';
import { assertMerchantMayTakePayments } from '../merchants/status.js';

/** What a quote is asked for: the merchant, its item reference, how many, and the browser binding when a browser asks. */
export interface QuoteQuery {
  merchantId: string;
  item: string;
  quantity: number;
  state?: string;
  locale?: 'en' | 'fr';
}

/** A quote the merchant signed and this server verified: a ticket as intake accepts it, answering this request. */
export interface FetchedQuote {
  token: string;
  ticket: ReceivedTicket;
}

export interface QuoteFetcher {
  /**
   * Asks the merchant's quote endpoint, server to server, with a signed `caisse-quote+jwt`,
   * and checks the answer as any ticket (the merchant's key, our audience, registered
   * URLs, amounts, a stored digital good) and as the answer to this very request
   * (`quote.request`, item and quantity).
   * @throws ProblemError `merchant_unknown`, `merchant_pending`, `merchant_suspended`, `quote_endpoint_missing`, `quote_unavailable` (with the merchant's message), `quote_failed`
   * @example const { token } = await quotes.fetch({ merchantId: 'newsstand', item: 'tides', quantity: 1 })
   */
  fetch(query: QuoteQuery): Promise<FetchedQuote>;
}

/** How long the merchant has to answer. */
export const QUOTE_TIMEOUT_MS = 5_000;
/** The largest answer read: a ticket and a few words. */
const ANSWER_LIMIT = LIMITS.tokenLength + 2_048;

export function createQuoteFetcher(deps: {
  issuer: string;
  merchants: Pick<MerchantService, 'get'> & MerchantDirectory;
  contents?: ContentDirectory;
  keys: Pick<ServerKeys, 'signingKey'>;
  mode?: Mode;
  log: Logger;
  now?: () => Date;
  timeoutMs?: number;
}): QuoteFetcher {
  const now = deps.now ?? (() => new Date());

  /** The merchant's endpoint did not give a usable quote: logged for the operator with what went wrong, never a token. */
  function failed(query: QuoteQuery, why: string, extra: Record<string, unknown> = {}): never {
    deps.log.warn('quote.failed', { merchant: query.merchantId, item: query.item, why, ...extra });
    throw new ProblemError('quote_failed');
  }

  async function ask(url: string, token: string, query: QuoteQuery): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/jwt', accept: 'application/json' },
        body: token,
        // A redirect could lead the payment server anywhere: the registered URL answers itself.
        redirect: 'error',
        signal: AbortSignal.timeout(deps.timeoutMs ?? QUOTE_TIMEOUT_MS),
      });
    } catch (error) {
      return failed(query, 'unreachable', { error: error instanceof Error ? error.name : 'unknown' });
    }
    const text = await boundedText(response);
    if (text === undefined) return failed(query, 'answer_too_large');
    if (response.status !== 200) return failed(query, 'status', { status: response.status });
    if (findDuplicateMember(text) !== undefined) return failed(query, 'duplicate_member');
    try {
      return JSON.parse(text);
    } catch {
      return failed(query, 'not_json');
    }
  }

  return {
    async fetch(query) {
      const merchant = await deps.merchants.get(query.merchantId);
      // Before the merchant is called: a merchant that may not take payments is not asked for a price.
      assertMerchantMayTakePayments(merchant);
      if (merchant.quoteUrl === null) throw new ProblemError('quote_endpoint_missing');
      const iat = Math.floor(now().getTime() / 1000);
      const claims: QuoteRequestClaims = {
        ver: PROTOCOL_VERSION,
        iss: deps.issuer,
        aud: merchant.id,
        jti: `q_${randomBytes(16).toString('base64url')}`,
        iat,
        exp: iat + LIMITS.quoteRequestLifetime,
        item: query.item,
        quantity: query.quantity,
        ...(query.state === undefined ? {} : { state: query.state }),
        ...(query.locale === undefined ? {} : { locale: query.locale }),
        ...(deps.mode === 'test' ? { test: true as const } : {}),
      };
      const request = signJws(TOKEN_TYPES.quote, claims, await deps.keys.signingKey());
      const body = await ask(merchant.quoteUrl, request, query);
      let answer: ReturnType<typeof quoteAnswer.parse>;
      try {
        answer = parseMessage(quoteAnswer, body);
      } catch {
        return failed(query, 'answer_invalid');
      }
      if (!answer.available) {
        // The merchant's own words, for the customer: an extension, so the problem's detail stays ours.
        throw new ProblemError(
          'quote_unavailable',
          undefined,
          answer.message === undefined ? {} : { extensions: { message: answer.message } },
        );
      }
      const intake = await checkTicket(answer.ticket, {
        merchants: deps.merchants,
        issuer: deps.issuer,
        now,
        ...(deps.contents ? { contents: deps.contents } : {}),
      });
      if (!intake.accepted) return failed(query, 'ticket_refused', { code: intake.code, detail: intake.detail });
      const { claims: ticket } = intake.ticket;
      const quote = ticket.quote;
      if (ticket.iss !== merchant.id || quote === undefined || quote.request !== claims.jti) {
        return failed(query, 'not_this_request', { ticket: ticket.jti });
      }
      if (quote.item !== query.item || quote.quantity !== query.quantity || ticket.state !== (query.state ?? ticket.state)) {
        return failed(query, 'other_item', { ticket: ticket.jti });
      }
      deps.log.info('quote.fetched', { merchant: merchant.id, item: query.item, ticket: ticket.jti, amount: ticket.amount });
      return { token: answer.ticket, ticket: intake.ticket };
    },
  };
}

/** The body as text, or undefined past the limit (read no further). */
async function boundedText(response: Response): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > ANSWER_LIMIT) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
