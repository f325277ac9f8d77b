import { createHash, randomBytes } from 'node:crypto';
import {
  type Algorithm,
  canonicalJson,
  LIMITS,
  modeOfKid,
  type NotificationClaims,
  notificationClaims,
  PROTOCOL_VERSION,
  type PublicJwks,
  parseMessage,
  parseTicketClaims,
  type QuoteRequestClaims,
  quoteRequestClaims,
  type RefusalClaims,
  type RefusalReason,
  refusalClaims,
  type SharedData,
  type TicketClaims,
  TOKEN_TYPES,
  type VoucherClaims,
  voucherClaims,
} from '@caisse/protocol';
import { decodeJws, decodePart } from '../jws/decode.js';
import { parseJsonObject } from '../jws/json.js';
import { signJws } from '../jws/sign.js';
import { generateKey } from '../keys/generate.js';
import { staticKeySet } from '../keys/import.js';
import type { KeySet } from '../keys/types.js';
import type { PaymentServer } from '../merchant.js';
import { NOTIFICATION_MAX_AGE } from '../notification/verify.js';
import type { CreatedTicket, TicketReference } from '../ticket/create.js';

/**
 * The issuer of a test payment server unless you choose one.
 * @example createMerchant({ merchantId: 'shop-1', signingKey, paymentServer: createTestPaymentServer() }).paymentServer.issuer // TEST_ISSUER
 */
export const TEST_ISSUER = 'https://pay.caisse.test';

/**
 * Options of {@link createTestPaymentServer}.
 * @example createTestPaymentServer({ now: () => new Date('2026-11-22T10:00:00Z') })
 */
export interface TestPaymentServerOptions {
  /** The issuer (`iss` of every token, and the `aud` of tickets). Default {@link TEST_ISSUER}. */
  issuer?: string;
  /** The server key's algorithm: `EdDSA` (default) or `ES256`. */
  alg?: Algorithm;
  /**
   * The clock every token is dated by (default the system clock). A test that freezes the
   * merchant's `now` freezes this one with it, to the same instant.
   */
  now?: () => Date;
  /** Seconds a voucher or refusal lives, as CAISSE_VOUCHER_LIFETIME: default 60, at most 600. */
  voucherLifetime?: number;
  /**
   * Your merchant id, for tokens made from a bare `TicketReference` or for a notification
   * that names no ticket (`settlement.paid`, `allowance.settled`): their audience.
   */
  merchantId?: string;
}

/**
 * A ticket as a test has it: what `createTicket` returned, the ticket token itself, or the
 * `reference` you stored (then the audience is the server's `merchantId` or an override,
 * and the items digest is that of no items: the kit does not compare it).
 * @example server.voucherFor(ticket) // or server.voucherFor(ticket.token), server.voucherFor(ticket.reference, { aud: 'shop-1' })
 */
export type TestTicket = CreatedTicket | string | TicketReference;

/**
 * Claims of a test voucher you may change. `test` is not one of them: everything a test
 * payment server signs is marked `test: true`.
 * @example server.voucherFor(ticket, { exp: Math.floor(Date.now() / 1000) - 1 }) // an expired voucher
 */
export type VoucherOverrides = Partial<Omit<VoucherClaims, 'test'>>;
/** @example server.refusalFor(ticket, 'insufficient_funds', { state: 'another-browser-state-1234' }) */
export type RefusalOverrides = Partial<Omit<RefusalClaims, 'test'>>;
/** @example server.notificationFor({ event: 'payment.authorised', ticket }, { jti: 'n_fixed' }) */
export type NotificationOverrides = Partial<Pick<NotificationClaims, 'aud' | 'jti' | 'iat' | 'exp'>>;
/** What a quote request asks: the item, and optionally how many (1), the browser binding, the language, whose (`merchantId`). */
export interface TestQuoteRequest {
  item: string;
  quantity?: number;
  state?: string;
  locale?: 'en' | 'fr';
  merchantId?: string;
}
export type QuoteRequestOverrides = Partial<Omit<QuoteRequestClaims, 'test'>>;

type Envelope = 'ver' | 'iss' | 'aud' | 'jti' | 'iat' | 'exp' | 'test';
type Distribute<T> = T extends unknown ? Omit<T, Envelope> : never;

/**
 * What a notification says besides its envelope, exactly as the protocol spells it.
 * @example { event: 'settlement.paid', settlement: { id: 'st_1', date: '2026-11-22', amount: 1590, currency: 'EUR' } }
 */
export type NotificationContent = Distribute<NotificationClaims>;

/**
 * A notification about one of your tickets, the way the payment server would send it: the
 * payment (its id the same as the voucher's for this ticket), a refusal with its
 * `reason`, or a refund of `amount` (default the whole payment).
 * @example { event: 'payment.authorised', ticket } // or { event: 'refund.succeeded', ticket, amount: 500 }
 */
export type TicketNotification =
  | { event: 'payment.authorised' | 'payment.held' | 'payment.released' | 'payment.voided'; ticket: TestTicket }
  | { event: 'payment.refused'; ticket: TestTicket; reason?: RefusalReason }
  | { event: 'refund.succeeded'; ticket: TestTicket; amount?: number };

/**
 * A stand-in for the payment server in a merchant's own tests: a real key pair, and the
 * tokens the server would sign, all in test mode (`test: true`). Pass it as `paymentServer`
 * to `createMerchant` (with a test key, from {@link testMerchant}); a live merchant refuses
 * everything it makes.
 * @example
 * const server = createTestPaymentServer()
 * const merchant = createMerchant({ merchantId: 'shop-1', signingKey: testMerchant().privateJwk, paymentServer: server })
 */
export interface TestPaymentServer extends PaymentServer {
  readonly issuer: string;
  /** `<issuer>/pay`: nothing listens there; it is only written into tickets' forms. */
  readonly payEndpoint: string;
  /** The server's public keys, ready for `createMerchant` or `verifyVoucher`. */
  readonly keys: KeySet;
  /** Always `test`. */
  readonly mode: 'test';
  /** The same public keys as a JWKS, e.g. for `caisse voucher verify --jwks` or a stubbed `/.well-known/jwks.json`. */
  readonly jwks: PublicJwks;
  /**
   * The voucher the payment server would sign for this ticket once paid: its amount,
   * currency, serial, state and hash; status `authorised` (`held` for deferred
   * fulfilment, `authenticated` with no money for an authentication ticket, `granted` for
   * an allowance), and the customer data the ticket requested. Overrides are applied last;
   * the result must still be a valid voucher (`claims_invalid` otherwise). Each ticket gets
   * one payment id (`pay_<n>`), the same in its notifications.
   * @throws TypeError for a ticket signed with a live key: a test payment server never pays one.
   * @example const voucher = await merchant.verifyVoucher(server.voucherFor(ticket), { ticket: ticket.reference })
   */
  voucherFor(ticket: TestTicket, overrides?: VoucherOverrides): string;
  /**
   * The refusal the payment server would sign for this ticket.
   * @example await expect(merchant.verifyVoucher(server.refusalFor(ticket, 'insufficient_funds'), { ticket: ticket.reference })).rejects.toMatchObject({ reason: 'insufficient_funds' })
   */
  refusalFor(ticket: TestTicket, reason: RefusalReason, overrides?: RefusalOverrides): string;
  /**
   * A signed notification, fresh (`iat` now), with a new event id unless you give one.
   * @example await notificationHandler(new Request(url, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: server.notificationFor({ event: 'payment.authorised', ticket }) }))
   */
  notificationFor(event: TicketNotification | NotificationContent, overrides?: NotificationOverrides): string;
  /**
   * The quote request the payment server would POST to your quote endpoint
   * (`caisse-quote+jwt`, fresh, living 60 s), to test a `createQuoteHandler` without one running.
   * @example const answer = await quoteHandler(new Request(url, { method: 'POST', headers: { 'content-type': 'application/jwt' }, body: server.quoteRequestFor({ item: 'tides' }) }))
   */
  quoteRequestFor(request: TestQuoteRequest, overrides?: QuoteRequestOverrides): string;
}

/** A ticket's facts as a token needs them; `claims` is undefined for a bare reference. */
interface TicketFacts {
  jti: string;
  sha256: string;
  serial: string;
  amount: number;
  currency: string;
  state: string;
  merchantId: string | undefined;
  claims: TicketClaims | undefined;
}

const EMPTY_ITEMS_DIGEST = createHash('sha256').update('[]').digest('base64url');

/** The items digest of the protocol (SHA-256 of the RFC 8785 JSON, base64url), computed as the payment server does. */
function itemsDigest(items: TicketClaims['items']): string {
  return createHash('sha256').update(canonicalJson(items), 'utf8').digest('base64url');
}

function liveTicket(jti: string): TypeError {
  return new TypeError(
    `Ticket "${jti}" was signed with a live key: a payment server in test mode refuses it (ticket_invalid). Sign your test tickets with a test key (testMerchant()).`,
  );
}

function ticketFacts(ticket: TestTicket): TicketFacts {
  if (typeof ticket === 'string') {
    // Decoded, not verified: the test server has no merchant keys, and only reads what it answers.
    const { encodedPayload, kid } = decodeJws(ticket, [TOKEN_TYPES.ticket]);
    const claims = parseTicketClaims(parseJsonObject(decodePart(encodedPayload, 'payload'), 'payload'));
    if (modeOfKid(kid) !== 'test') throw liveTicket(claims.jti);
    return factsOf(claims, createHash('sha256').update(ticket).digest('base64url'));
  }
  if ('claims' in ticket) return factsOf(ticket.claims, ticket.sha256);
  const { id, sha256, serial, amount, currency, state } = ticket;
  return { jti: id, sha256, serial, amount, currency, state, merchantId: undefined, claims: undefined };
}

function factsOf(claims: TicketClaims, sha256: string): TicketFacts {
  if (claims.test !== true) throw liveTicket(claims.jti);
  const { jti, serial, amount, currency, state, iss } = claims;
  return { jti, sha256, serial, amount, currency, state, merchantId: iss, claims };
}

/** Sample customer data for what a ticket requested, as if the customer agreed to share it. */
function sharedFor(requested: TicketClaims['requested']): SharedData | undefined {
  if (!requested?.length) return undefined;
  const shared: SharedData = {};
  if (requested.includes('shipping_address')) {
    shared.shippingAddress = { name: 'Ada Lovelace', line1: '12 rue des Tests', postalCode: '75001', city: 'Paris', country: 'FR' };
  }
  if (requested.includes('email')) shared.email = 'ada@example.com';
  if (requested.includes('name')) shared.name = 'Ada Lovelace';
  return shared;
}

/**
 * A payment server for a merchant's own tests, with no server, database or network: it
 * holds a fresh key pair and signs vouchers, refusals and notifications the way the real
 * one does in test mode. Everything it signs carries `test: true`, so none of it is
 * accepted by a live merchant (one whose key is not a test key).
 *
 * @example
 * import { createMerchant } from '@caisse/server-kit';
 * import { createTestPaymentServer, testMerchant } from '@caisse/server-kit/testing';
 *
 * const server = createTestPaymentServer();
 * const merchant = createMerchant({ merchantId: 'bookshop', signingKey: testMerchant().privateJwk, paymentServer: server });
 * const ticket = merchant.createTicket({ serial: 'order-42', currency: 'EUR', state, returnUrl, cancelUrl,
 *   items: [{ id: 'b1', label: 'Le Petit Prince', quantity: 1, unitAmount: 1290, vatRate: 550 }] });
 * const voucher = await merchant.verifyVoucher(server.voucherFor(ticket), { ticket: ticket.reference });
 */
export function createTestPaymentServer(options: TestPaymentServerOptions = {}): TestPaymentServer {
  const issuer = options.issuer ?? TEST_ISSUER;
  const lifetime = options.voucherLifetime ?? 60;
  if (!Number.isSafeInteger(lifetime) || lifetime < 1 || lifetime > 600) {
    throw new TypeError('voucherLifetime must be a whole number of seconds from 1 to 600.');
  }
  const key = generateKey({ alg: options.alg ?? 'EdDSA' });
  const now = () => Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  // One payment per ticket, as on the real server: its voucher and its notifications name the same id.
  const payments = new Map<string, string>();
  let lastPayment = 0;
  const paymentIdOf = (ticketJti: string) => {
    let id = payments.get(ticketJti);
    if (id === undefined) {
      lastPayment += 1;
      id = `pay_${lastPayment}`;
      payments.set(ticketJti, id);
    }
    return id;
  };
  const audienceOf = (facts: TicketFacts | undefined, override: string | undefined): string => {
    const audience = override ?? facts?.merchantId ?? options.merchantId;
    if (audience === undefined) {
      throw new TypeError(
        'Whose token is this? Pass the ticket (or its token) rather than its reference, or set merchantId in createTestPaymentServer, or aud in the overrides.',
      );
    }
    return audience;
  };
  const subjectOf = (merchantId: string) =>
    `c_${createHash('sha256').update(`test customer\0${merchantId}`).digest().subarray(0, 16).toString('base64url')}`;

  function voucherClaimsFor(facts: TicketFacts, overrides: VoucherOverrides): VoucherClaims {
    const iat = now();
    const aud = audienceOf(facts, overrides.aud);
    const claims = facts.claims;
    const paid = facts.amount > 0;
    const kind = claims?.kind ?? (paid ? 'purchase' : 'authentication');
    const allowance =
      kind === 'allowance'
        ? {
            id: `al_${randomBytes(16).toString('base64url')}`,
            remaining: facts.amount,
            expiresAt: claims?.allowance?.expiresAt ?? iat + 3600,
          }
        : claims?.allowanceId !== undefined
          ? { id: claims.allowanceId, remaining: 0, expiresAt: iat + 3600 }
          : undefined;
    const status: VoucherClaims['status'] =
      kind === 'authentication'
        ? 'authenticated'
        : kind === 'allowance'
          ? 'granted'
          : claims?.fulfilment === 'deferred'
            ? 'held'
            : 'authorised';
    const shared = sharedFor(claims?.requested);
    return {
      ver: PROTOCOL_VERSION,
      iss: issuer,
      aud,
      jti: paymentIdOf(facts.jti),
      iat,
      exp: iat + lifetime,
      ticket: { jti: facts.jti, sha256: facts.sha256 },
      serial: facts.serial,
      amount: facts.amount,
      currency: facts.currency,
      items: claims === undefined ? EMPTY_ITEMS_DIGEST : itemsDigest(claims.items),
      ...(paid ? { funding: allowance === undefined ? 'wallet' : 'allowance' } : {}),
      status,
      sub: subjectOf(aud),
      confirmation: { method: claims?.allowanceId !== undefined ? 'allowance' : 'device', at: iat },
      ...(shared === undefined ? {} : { shared }),
      state: facts.state,
      ...(allowance === undefined ? {} : { allowance }),
      ...overrides,
      test: true,
    };
  }

  function paymentOf(facts: TicketFacts, status: 'authorised' | 'held' | 'released' | 'voided') {
    if (facts.amount === 0) {
      throw new TypeError(`Ticket "${facts.jti}" moves no money (amount 0): the payment server sends no payment notification for it.`);
    }
    const funding: 'wallet' | 'allowance' =
      facts.claims?.kind === 'allowance' || facts.claims?.allowanceId !== undefined ? 'allowance' : 'wallet';
    return {
      id: paymentIdOf(facts.jti),
      ticket: { jti: facts.jti, sha256: facts.sha256 },
      serial: facts.serial,
      amount: facts.amount,
      currency: facts.currency,
      status,
      funding,
    };
  }

  function contentOf(event: TicketNotification, facts: TicketFacts): NotificationContent {
    switch (event.event) {
      case 'payment.authorised':
      case 'payment.held':
      case 'payment.released':
      case 'payment.voided':
        return { event: event.event, payment: paymentOf(facts, event.event.slice('payment.'.length) as 'authorised') };
      case 'payment.refused': {
        const { jti, sha256, serial, amount, currency } = facts;
        return {
          event: 'payment.refused',
          refusal: { ticket: { jti, sha256 }, serial, amount, currency, reason: event.reason ?? 'customer_declined' },
        };
      }
      case 'refund.succeeded': {
        const refunded = event.amount ?? facts.amount;
        return {
          event: 'refund.succeeded',
          payment: paymentOf(facts, 'authorised'),
          refund: { id: `rf_${randomBytes(16).toString('base64url')}`, amount: refunded, currency: facts.currency },
        };
      }
    }
  }

  return {
    issuer,
    payEndpoint: `${issuer}/pay`,
    keys: staticKeySet(key.jwks),
    mode: 'test',
    jwks: key.jwks,

    voucherFor(ticket, overrides = {}) {
      const claims = parseMessage(voucherClaims, voucherClaimsFor(ticketFacts(ticket), overrides), 'claims_invalid');
      return signJws(TOKEN_TYPES.voucher, claims, key.signingKey);
    },

    refusalFor(ticket, reason, overrides = {}) {
      const facts = ticketFacts(ticket);
      const iat = now();
      const claims = parseMessage(
        refusalClaims,
        {
          ver: PROTOCOL_VERSION,
          iss: issuer,
          aud: audienceOf(facts, overrides.aud),
          jti: `f_${randomBytes(12).toString('base64url')}`,
          iat,
          exp: iat + lifetime,
          ticket: { jti: facts.jti, sha256: facts.sha256 },
          serial: facts.serial,
          amount: facts.amount,
          currency: facts.currency,
          reason,
          state: facts.state,
          ...overrides,
          test: true,
        },
        'claims_invalid',
      );
      return signJws(TOKEN_TYPES.refusal, claims, key.signingKey);
    },

    quoteRequestFor(request, overrides = {}) {
      const iat = now();
      const claims = parseMessage(
        quoteRequestClaims,
        {
          ver: PROTOCOL_VERSION,
          iss: issuer,
          aud: audienceOf(undefined, overrides.aud ?? request.merchantId),
          jti: `q_${randomBytes(16).toString('base64url')}`,
          iat,
          exp: iat + LIMITS.quoteRequestLifetime,
          item: request.item,
          quantity: request.quantity ?? 1,
          ...(request.state === undefined ? {} : { state: request.state }),
          ...(request.locale === undefined ? {} : { locale: request.locale }),
          ...overrides,
          test: true,
        },
        'claims_invalid',
      );
      return signJws(TOKEN_TYPES.quote, claims, key.signingKey);
    },

    notificationFor(event, overrides = {}) {
      const facts = 'ticket' in event ? ticketFacts(event.ticket) : undefined;
      const content = 'ticket' in event ? contentOf(event, facts as TicketFacts) : event;
      const iat = now();
      const claims = parseMessage(
        notificationClaims,
        {
          ver: PROTOCOL_VERSION,
          iss: issuer,
          jti: `n_${randomBytes(16).toString('base64url')}`,
          iat,
          exp: iat + NOTIFICATION_MAX_AGE,
          ...content,
          ...overrides,
          aud: audienceOf(facts, overrides.aud),
          test: true,
        },
        'claims_invalid',
      );
      return signJws(TOKEN_TYPES.notification, claims, key.signingKey);
    },
  };
}
