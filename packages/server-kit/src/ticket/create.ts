import * as nodeCrypto from 'node:crypto';
import {
  type AllowanceTerms,
  type CustomerHint,
  type Item,
  isCaisseError,
  modeOfKid,
  PROTOCOL_VERSION,
  parseTicketClaims,
  type RequestedData,
  type TicketClaims,
  type TicketDelivery,
  type TicketQuote,
  TOKEN_TYPES,
  totals,
} from '@caisse/protocol';
import { signJws } from '../jws/sign.js';
import type { SigningKey } from '../keys/types.js';

/** What the merchant describes; the kit fills in ids, times, totals and the signature. */
export interface TicketInput {
  /** Your order number, echoed in the voucher. */
  serial: string;
  currency: string;
  /** Lines with VAT-inclusive unit amounts in minor units. Empty for an authentication ticket. */
  items?: Item[];
  returnUrl: string;
  cancelUrl: string;
  /** The browser-session binding from {@link ensureState} (the hash of the browser's cookie secret); the voucher echoes it. */
  state: string;
  /** Defaults to `allowance` with `allowance` terms, else `authentication` when there are no items, else `purchase`. */
  kind?: TicketClaims['kind'];
  /**
   * A session allowance: the customer confirms once that you may charge up to `amount`
   * (the maximum; required) until `expiresAt` (seconds since the epoch), each `period` when
   * it recurs, at most `chargeCap` a charge. The voucher's `allowance.id` names it.
   */
  allowance?: AllowanceTerms;
  /** Charges this purchase under the allowance with this id (`client.allowances.charge`): no confirmation. */
  allowanceId?: string;
  /** If given, must equal the sum of the items: a cross-check against your own cart total. */
  amount?: number;
  customer?: CustomerHint;
  notifyUrl?: string;
  fulfilment?: TicketClaims['fulfilment'];
  requested?: RequestedData[];
  /**
   * The quote request this ticket answers (`createQuoteHandler` fills it in): the payment
   * server pays it only for that request and only before `exp`, then asks again. A purchase only.
   */
  quote?: TicketQuote;
  /**
   * A digital good you stored with `client.contents.put(ref, …)`, released by the payment
   * server to the browser that paid, once, after the payment is authorised. A purchase with
   * immediate fulfilment only, not a charge under an allowance.
   */
  delivery?: TicketDelivery;
  /** Ticket id; a random one by default. */
  id?: string;
  /** Seconds the ticket stays valid (default 900, at most 86400). */
  lifetime?: number;
}

export interface TicketConfig {
  /** Your merchant id, as registered with the payment server. */
  merchantId: string;
  /** The payment server's issuer identifier (its discovery document's `issuer`). */
  paymentServer: string;
  /** Where the browser sends the ticket (the discovery document's `payEndpoint`). */
  payEndpoint: string;
  /** Your key. A test key (`kid` starting with `test_`, from `generateKey({ test: true })`) makes test tickets (`test: true`). */
  signingKey: SigningKey;
  now?: () => Date;
}

/** What to keep server-side to verify the voucher that answers this ticket. */
export interface TicketReference {
  id: string;
  sha256: string;
  serial: string;
  amount: number;
  currency: string;
  state: string;
}

export interface CreatedTicket {
  token: string;
  id: string;
  /** SHA-256 of the token, base64url: the voucher must carry exactly this. */
  sha256: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  claims: TicketClaims;
  reference: TicketReference;
  /** How the widget (or a plain HTML form) sends the ticket. */
  form: { action: string; method: 'POST'; fields: { ticket: string } };
}

export const DEFAULT_TICKET_LIFETIME = 900;

/** 128 bits per ticket id; ids are drawn from a pool of 256 at a time. */
const ID_BYTES = 16;
const ID_POOL_BYTES = 256 * ID_BYTES;
let idPool = Buffer.alloc(0);
let idPoolOffset = 0;

/**
 * A fresh random ticket id. One `randomBytes` call per id cost 1.5–2.5 µs, about 5 % of
 * `createTicket` (bench/ticket-sign); drawing 4 KiB at once, as node:crypto's own
 * `randomUUID` does, makes that 0.1 µs. Each id still gets 128 CSPRNG bits of its own:
 * no byte of the pool is used twice.
 */
function randomTicketId(): string {
  if (idPoolOffset + ID_BYTES > idPool.length) {
    idPool = nodeCrypto.randomBytes(ID_POOL_BYTES);
    idPoolOffset = 0;
  }
  const id = idPool.toString('base64url', idPoolOffset, idPoolOffset + ID_BYTES);
  idPoolOffset += ID_BYTES;
  return `t_${id}`;
}

/**
 * SHA-256 of the token, base64url. The one-shot `crypto.hash` (Node 20.12+) skips the
 * Hash object and is about 0.4 µs faster on a ticket; `createHash` covers Node 20.11.
 */
const sha256Base64url: (text: string) => string =
  typeof nodeCrypto.hash === 'function'
    ? (text) => nodeCrypto.hash('sha256', text, 'base64url')
    : (text) => nodeCrypto.createHash('sha256').update(text).digest('base64url');

/**
 * Totals of items not yet validated. Items of the wrong shape cannot be added up: then
 * zero stands in, and parsing the claims reports exactly which field is wrong.
 */
function sumsOrZero(items: Item[]): { amount: number; vat: number } {
  try {
    return totals(items);
  } catch (error) {
    if (isCaisseError(error)) throw error;
    return { amount: 0, vat: 0 };
  }
}

/**
 * Validates and signs a payment ticket; signed with a test key (`test_` kid), it is a
 * test ticket (`test: true`), which only a payment server in test mode accepts. Throws `message_invalid` naming each bad field,
 * `amount_mismatch` if `amount` is given and differs from the items, `amount_invalid`
 * on overflow.
 * @example
 * const ticket = createTicket({ serial: 'order-42', currency: 'EUR', state,
 *   items: [{ id: 'book-1', label: 'Le Petit Prince', quantity: 1, unitAmount: 1290, vatRate: 550 }],
 *   returnUrl: 'https://shop.example/paid', cancelUrl: 'https://shop.example/basket' }, config)
 */
export function createTicket(input: TicketInput, config: TicketConfig): CreatedTicket {
  const items = input.items ?? [];
  const sums = sumsOrZero(items);
  const iat = Math.floor((config.now?.() ?? new Date()).getTime() / 1000);
  const claims = parseTicketClaims(
    {
      ver: PROTOCOL_VERSION,
      iss: config.merchantId,
      aud: config.paymentServer,
      jti: input.id ?? randomTicketId(),
      iat,
      exp: iat + (input.lifetime ?? DEFAULT_TICKET_LIFETIME),
      serial: input.serial,
      kind: input.kind ?? (input.allowance ? 'allowance' : items.length === 0 ? 'authentication' : 'purchase'),
      items,
      amount: input.amount ?? sums.amount,
      vat: sums.vat,
      currency: input.currency,
      customer: input.customer,
      returnUrl: input.returnUrl,
      cancelUrl: input.cancelUrl,
      notifyUrl: input.notifyUrl,
      fulfilment: input.fulfilment ?? 'immediate',
      requested: input.requested,
      state: input.state,
      allowance: input.allowance,
      allowanceId: input.allowanceId,
      quote: input.quote,
      delivery: input.delivery,
      // Read from the key, never set apart from it: a test key can only sign test tickets, a live key only live ones.
      test: modeOfKid(config.signingKey.kid) === 'test' ? true : undefined,
    },
    'message_invalid',
  );
  const token = signJws(TOKEN_TYPES.ticket, claims, config.signingKey);
  const sha256 = sha256Base64url(token);
  return {
    token,
    id: claims.jti,
    sha256,
    expiresAt: claims.exp,
    claims,
    reference: { id: claims.jti, sha256, serial: claims.serial, amount: claims.amount, currency: claims.currency, state: claims.state },
    form: { action: config.payEndpoint, method: 'POST', fields: { ticket: token } },
  };
}
