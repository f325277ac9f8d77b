import { isPaymentId, LIMITS, PAYMENT_ID_FORM } from '@caisse/protocol';
import { signingKeyOf } from '../keys/import.js';
import type { SigningKey } from '../keys/types.js';
import { DEFAULT_ASSERTION_LIFETIME } from './assertion.js';
import { type DisputeMethods, disputeMethods } from './disputes.js';
import { MerchantTransportError } from './errors.js';
import { type RetryOptions, retryPolicy } from './retry.js';
import { apiEndpoint, type MerchantApiServer } from './server.js';
import { type CallOptions, createTransport, type PostOptions } from './transport.js';
import type {
  AllowanceChargeResult,
  ApiAllowance,
  ApiContent,
  ApiPayment,
  ApiTicketRefusal,
  ContentInput,
  DecoupledPayment,
  EscrowResolution,
  PaymentListQuery,
  PaymentPage,
  Refund,
  SettlementReport,
} from './types.js';

/**
 * Options of {@link createMerchantClient}. Durations in milliseconds.
 * @example const options: MerchantClientOptions = { server: 'https://pay.example', merchantId: 'bookshop', key: privateJwk, timeout: 5_000 }
 */
export interface MerchantClientOptions {
  /**
   * The payment server: its issuer URL (the client reads `apiBase` from its discovery
   * document on the first call), a `discoverPaymentServer` result, or `{ issuer, apiBase? }`.
   */
  server: MerchantApiServer;
  /** Your merchant id: the `iss` of every assertion. */
  merchantId: string;
  /**
   * A private JWK registered with the payment server (as `generateKey` gave it), or an
   * imported signing key. A carrier's key, registered for your deliveries, may only call
   * `deliveries.create`.
   */
  key: SigningKey | Record<string, unknown>;
  /** Each attempt's budget, response body included (default 10,000). */
  timeout?: number;
  /** Retry policy, or the number of retries (default 2; `0` turns them off). */
  retry?: RetryOptions | number;
  /** Seconds each assertion is valid (default 60, at most 300). */
  assertionLifetime?: number;
  /** The `fetch` to use (default the global one), e.g. one with a proxy agent. */
  fetch?: typeof globalThis.fetch;
  /** The clock assertions are dated by (default the system clock). */
  now?: () => Date;
}

/**
 * Names one of your payments, always explicitly: by the payment server's payment id
 * (`{ id: 'pay_1042' }`, the voucher's `jti`) or by your own order serial
 * (`{ serial: 'order-42' }`, the ticket's `serial`). A bare string or number is refused, so
 * an order number can never be taken for another order's payment id.
 * @example await client.refunds.create({ serial: 'order-42' }, { amount: 500 })
 */
export type PaymentLookup = { id: string } | { serial: string };

/** The client's resources, each method one endpoint. */
export interface MerchantClient {
  payments: {
    /**
     * One of your payments: `GET /v1/payments/:id`, or `GET /v1/payments/by-serial/:serial`
     * (`payment_ambiguous`, with the ids, when several of your payments have that order
     * serial). `payment_unknown` for any payment that is not yours.
     */
    get(payment: PaymentLookup, options?: CallOptions): Promise<ApiPayment>;
    /** `GET /v1/payments?from&to&limit&after`: one page of the payments created in `[from, to)`, oldest first. */
    list(query: PaymentListQuery, options?: CallOptions): Promise<PaymentPage>;
    /** Every payment created in `[from, to)`, oldest first, fetching page after page as you iterate. */
    listAll(query: PaymentListQuery, options?: CallOptions): AsyncIterableIterator<ApiPayment>;
    /** `POST /v1/payments`: a decoupled payment: sends the ticket's confirmation request to the customer's phone. */
    request(input: { ticket: string | { token: string }; phone: string }, options?: PostOptions): Promise<DecoupledPayment>;
    /** `GET /v1/payments/by-ticket/:jti`: where the payment of this ticket stands, with its voucher or refusal once decided. */
    byTicket(ticket: string | { id: string }, options?: CallOptions): Promise<DecoupledPayment>;
    /** `POST /v1/payments/:id/cancellation`: a held payment's funds go back to the customer. */
    cancel(payment: PaymentLookup, input?: { reason?: string }, options?: PostOptions): Promise<EscrowResolution>;
  };
  deliveries: {
    /** `POST /v1/payments/:id/deliveries`: the order was delivered; a held payment's funds go to your till. */
    create(payment: PaymentLookup, input?: { reference?: string }, options?: PostOptions): Promise<EscrowResolution>;
  };
  refunds: {
    /**
     * `POST /v1/payments/:id/refunds`: gives back `amount` (minor units, at most what remains)
     * of a payment. By `{ serial }`, the payment of that order and no other: it is looked up
     * first, and several payments of one order serial are refused (`payment_ambiguous`).
     */
    create(payment: PaymentLookup, input: { amount: number; reason?: string }, options?: PostOptions): Promise<Refund>;
    /** `GET /v1/payments/:id/refunds`: the payment's refunds. */
    list(payment: PaymentLookup, options?: CallOptions): Promise<Refund[]>;
  };
  allowances: {
    /**
     * `POST /v1/allowances/charges`: charges a ticket made with `allowanceId` under that
     * session allowance, with no confirmation: the payment and its voucher (verify it with
     * `merchant.verifyVoucher` before you deliver), and what is left. The ticket is the
     * credential and the idempotency key: sending it again answers the same payment.
     * Refusals: `allowance_exhausted`, `allowance_expired`, `allowance_revoked`,
     * `allowance_closed`, `allowance_unfunded`, `allowance_charge_cap_exceeded`,
     * `allowance_currency_mismatch`, `allowance_unknown`, `ticket_replayed`.
     */
    charge(ticket: string | { token: string }, options?: CallOptions): Promise<AllowanceChargeResult>;
    /** `GET /v1/allowances/:id`: one of your allowances, with what is used and left and the charges of its period. */
    get(id: string, options?: CallOptions): Promise<ApiAllowance>;
    /** `POST /v1/allowances/:id/close`: no more charges; the charges are settled now, as one remittance, and the rest goes back to the customer. */
    close(id: string, options?: PostOptions): Promise<ApiAllowance>;
  };
  settlements: {
    /** `GET /v1/settlements/:date` (`YYYY-MM-DD`): the day's movements and payout per currency, as JSON or, with `format: 'csv'`, as CSV text. */
    get(date: string, options?: CallOptions & { format?: 'json' }): Promise<SettlementReport>;
    get(date: string, options: CallOptions & { format: 'csv' }): Promise<string>;
  };
  /** Your customers' disputes: list them, read one, answer with your evidence. */
  disputes: DisputeMethods;
  ticketRefusals: {
    /**
     * `GET /v1/ticket-refusals[?limit]`: the tickets the payment server refused at intake in
     * the last 30 days that named you as their issuer, one entry per code and message with a
     * count, the most recent first (`limit` 1–200, default 100). Each says what to fix: an
     * unregistered signing key, a return origin you did not register, a wrong audience…
     */
    list(query?: { limit?: number }, options?: CallOptions): Promise<ApiTicketRefusal[]>;
  };
  contents: {
    /**
     * `PUT /v1/contents/:ref`: stores a digital good on the payment server (encrypted at rest),
     * or replaces the one stored under `ref`; a ticket names it with `delivery: { content: ref }`
     * and the payment server releases it, once, to the browser that paid. `data` is sent
     * base64url-encoded (text as UTF-8), at most 512 KiB once decoded. Answers what is stored,
     * never the good itself. Safe to repeat: it is retried like a GET.
     */
    put(ref: string, content: ContentInput, options?: CallOptions): Promise<ApiContent>;
    /** `GET /v1/contents/:ref`: what is stored under `ref` (title, type, size, dates), never the good itself. */
    get(ref: string, options?: CallOptions): Promise<ApiContent>;
  };
}

const ORDER_SERIAL = /^[\x21-\x7e]{1,64}$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const ALLOWANCE_ID = /^al_[A-Za-z0-9_-]{22}$/;

/** An allowance id as a path segment; checked here because `..` or `/` would reach another endpoint. */
function allowanceSegment(id: string): string {
  if (typeof id !== 'string' || !ALLOWANCE_ID.test(id))
    throw new TypeError("An allowance id is `al_` and 22 base64url characters (the voucher's allowance.id).");
  return id;
}

/** A content ref as a path segment: the protocol id rule, checked here because `..` or `/` would reach another endpoint. */
function contentSegment(method: string, ref: string): string {
  if (typeof ref !== 'string' || !ID.test(ref))
    throw new TypeError(
      `${method}: a content ref is 1–64 of A-Z a-z 0-9 . _ : - starting with a letter or digit (as the ticket's delivery.content).`,
    );
  return encodeURIComponent(ref);
}

/**
 * The JSON body of `contents.put`, `data` in base64url. The size is checked before sending:
 * half a megabyte uploaded only to be refused is worth a line here.
 */
function contentBody(content: ContentInput): { title: string; contentType: string; data: string } {
  const { title, contentType, data } = content ?? ({} as ContentInput);
  let bytes: Buffer;
  if (typeof data === 'string') bytes = Buffer.from(data, 'utf8');
  else if (data instanceof Uint8Array) bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  else throw new TypeError('contents.put: data is the good itself, a string (sent as UTF-8) or a Uint8Array.');
  if (bytes.byteLength > LIMITS.contentBytes) {
    throw new TypeError(`contents.put: the good is ${bytes.byteLength} bytes; the payment server keeps at most ${LIMITS.contentBytes}.`);
  }
  return { title, contentType, data: bytes.toString('base64url') };
}

const LOOKUP_FORM = "{ id: 'pay_1042' } (the voucher's jti) or { serial: 'order-42' } (your order serial)";

/**
 * The path of one payment: its id checked here, because `..` or `/` would reach another
 * endpoint, or its order serial, escaped.
 */
function lookupPath(method: string, payment: PaymentLookup): string {
  const given = (payment ?? {}) as Partial<Record<'id' | 'serial', unknown>>;
  if (typeof payment !== 'object' || payment === null || ('id' in given && 'serial' in given)) {
    throw new TypeError(`${method}: name the payment as ${LOOKUP_FORM}.`);
  }
  if ('id' in given) {
    if (!isPaymentId(given.id))
      throw new TypeError(`${method}: a payment id is ${PAYMENT_ID_FORM} (the voucher's jti); for your order serial pass { serial }.`);
    return `/payments/${given.id}`;
  }
  if (typeof given.serial !== 'string' || !ORDER_SERIAL.test(given.serial)) {
    throw new TypeError(`${method}: name the payment as ${LOOKUP_FORM}; an order serial is 1–64 printable ASCII characters.`);
  }
  // A URL resolves a `.` or `..` segment, escaped or not, so such a serial would reach another endpoint.
  if (given.serial === '.' || given.serial === '..') {
    throw new TypeError(`${method}: the order serial ${JSON.stringify(given.serial)} cannot be sent in a URL; name the payment by its id.`);
  }
  return `/payments/by-serial/${encodeURIComponent(given.serial)}`;
}

function instant(value: Date | string, name: string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError(`payments.list: ${name} is an invalid Date.`);
    return value.toISOString();
  }
  return value;
}

function listParameters(query: PaymentListQuery): URLSearchParams {
  const parameters = new URLSearchParams({ from: instant(query.from, 'from'), to: instant(query.to, 'to') });
  if (query.limit !== undefined) parameters.set('limit', String(query.limit));
  if (query.after !== undefined) {
    if (!isPaymentId(query.after))
      throw new TypeError(`payments.list: after is the nextAfter of the previous page, a payment id (${PAYMENT_ID_FORM}).`);
    parameters.set('after', query.after);
  }
  return parameters;
}

/**
 * A client of the payment server's merchant API. Each request carries a fresh signed
 * assertion (`Authorization: Caisse-Assertion …`, bound to its method, URL and body);
 * each POST an `Idempotency-Key`, generated unless you pass one, and the same on every
 * retry of that POST. Failed attempts are retried only when it is safe and useful (see
 * `retryDelay`); errors are a {@link MerchantApiError} (the server answered, with a
 * stable `code`) or a {@link MerchantTransportError} (no usable answer).
 *
 * @example
 * import { createMerchantClient } from '@caisse/server-kit/client'
 * const client = createMerchantClient({ server: 'https://pay.example', merchantId: 'bookshop', key: JSON.parse(process.env.CAISSE_MERCHANT_KEY!) })
 * const payment = await client.payments.get({ serial: 'order-42' })
 * for await (const p of client.payments.listAll({ from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' })) reconcile(p)
 */
export function createMerchantClient(options: MerchantClientOptions): MerchantClient {
  const { merchantId, timeout = 10_000, assertionLifetime = DEFAULT_ASSERTION_LIFETIME } = options;
  if (typeof merchantId !== 'string' || !ID.test(merchantId))
    throw new TypeError('createMerchantClient: merchantId must be your merchant id as registered (1–64 of A-Z a-z 0-9 . _ : -).');
  if (!Number.isFinite(timeout) || timeout < 1) throw new TypeError('createMerchantClient: timeout must be at least 1 ms.');
  if (!Number.isSafeInteger(assertionLifetime) || assertionLifetime < 1 || assertionLifetime > 300) {
    throw new TypeError('createMerchantClient: assertionLifetime must be a whole number of seconds from 1 to 300.');
  }
  const key = signingKeyOf(options.key);
  const transport = createTransport({
    endpoint: apiEndpoint(options.server, { timeout, ...(options.fetch ? { fetch: options.fetch } : {}) }),
    signer: { merchantId, key, lifetime: assertionLifetime, ...(options.now ? { now: options.now } : {}) },
    timeout,
    retry: retryPolicy(options.retry),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const get = <T>(path: string, options?: CallOptions, query?: URLSearchParams) =>
    transport.send({ method: 'GET', path, expect: 'json', ...(query ? { query } : {}), ...(options ? { options } : {}) }) as Promise<T>;
  const post = <T>(path: string, body: unknown, options?: PostOptions) =>
    transport.send({ method: 'POST', path, body, expect: 'json', ...(options ? { options } : {}) }) as Promise<T>;
  const put = <T>(path: string, body: unknown, options?: CallOptions) =>
    transport.send({ method: 'PUT', path, body, expect: 'json', ...(options ? { options } : {}) }) as Promise<T>;

  /** The path of the payment's own endpoints: by serial, the payment of that order is looked up first. */
  async function paymentPath(method: string, payment: PaymentLookup, callOptions?: CallOptions): Promise<string> {
    const path = lookupPath(method, payment);
    if ('id' in payment) return path;
    const { id } = await get<ApiPayment>(path, callOptions);
    // What the server answered goes into the next path: checked like anything else put there.
    if (!isPaymentId(id)) {
      throw new MerchantTransportError(
        'response_invalid',
        `${method}: the payment server answered a payment id that is not ${PAYMENT_ID_FORM}.`,
        {
          attempts: 1,
        },
      );
    }
    return `/payments/${id}`;
  }

  const payments: MerchantClient['payments'] = {
    get: async (payment, callOptions) => get<ApiPayment>(lookupPath('payments.get', payment), callOptions),
    list: async (query, callOptions) => get<PaymentPage>('/payments', callOptions, listParameters(query)),
    async *listAll(query, callOptions) {
      // The period is fixed once, so every page lists the same one.
      let page = { ...query, from: instant(query.from, 'from'), to: instant(query.to, 'to') };
      for (;;) {
        const { payments: found, nextAfter } = await payments.list(page, callOptions);
        yield* found;
        if (nextAfter === null) return;
        page = { ...page, after: nextAfter };
      }
    },
    request: async ({ ticket, phone }, callOptions) =>
      post<DecoupledPayment>('/payments', { ticket: typeof ticket === 'string' ? ticket : ticket.token, phone }, callOptions),
    byTicket: async (ticket, callOptions) => {
      const ticketId = typeof ticket === 'string' ? ticket : ticket.id;
      if (!ID.test(ticketId)) throw new TypeError('payments.byTicket: a ticket id is 1–64 of A-Z a-z 0-9 . _ : - (the ticket `jti`).');
      return get<DecoupledPayment>(`/payments/by-ticket/${encodeURIComponent(ticketId)}`, callOptions);
    },
    cancel: async (payment, input = {}, callOptions) =>
      post<EscrowResolution>(`${await paymentPath('payments.cancel', payment, callOptions)}/cancellation`, input, callOptions),
  };

  async function settlement(date: string, callOptions?: CallOptions & { format?: 'json' | 'csv' }): Promise<SettlementReport | string> {
    if (!DATE.test(date)) throw new TypeError('settlements.get: the date is a calendar day written YYYY-MM-DD.');
    const { format = 'json', ...rest } = callOptions ?? {};
    return transport.send({ method: 'GET', path: `/settlements/${date}`, expect: format, options: rest }) as Promise<
      SettlementReport | string
    >;
  }

  return {
    payments,
    deliveries: {
      create: async (payment, input = {}, callOptions) =>
        post<EscrowResolution>(`${await paymentPath('deliveries.create', payment, callOptions)}/deliveries`, input, callOptions),
    },
    refunds: {
      create: async (payment, input, callOptions) =>
        post<Refund>(`${await paymentPath('refunds.create', payment, callOptions)}/refunds`, input, callOptions),
      list: async (payment, callOptions) =>
        (await get<{ refunds: Refund[] }>(`${await paymentPath('refunds.list', payment, callOptions)}/refunds`, callOptions)).refunds,
    },
    allowances: {
      charge: async (ticket, callOptions) =>
        transport.send({
          method: 'POST',
          path: '/allowances/charges',
          body: { ticket: typeof ticket === 'string' ? ticket : ticket.token },
          expect: 'json',
          credential: 'ticket',
          ...(callOptions ? { options: callOptions } : {}),
        }) as Promise<AllowanceChargeResult>,
      get: async (id, callOptions) => get<ApiAllowance>(`/allowances/${allowanceSegment(id)}`, callOptions),
      close: async (id, callOptions) => post<ApiAllowance>(`/allowances/${allowanceSegment(id)}/close`, {}, callOptions),
    },
    settlements: { get: settlement as MerchantClient['settlements']['get'] },
    disputes: disputeMethods({ get, post }),
    ticketRefusals: {
      list: async (query = {}, callOptions) => {
        if (query.limit !== undefined && (!Number.isSafeInteger(query.limit) || query.limit < 1 || query.limit > 200))
          throw new TypeError('ticketRefusals.list: limit is a whole number from 1 to 200.');
        const parameters = query.limit === undefined ? undefined : new URLSearchParams({ limit: String(query.limit) });
        return (await get<{ refusals: ApiTicketRefusal[] }>('/ticket-refusals', callOptions, parameters)).refusals;
      },
    },
    contents: {
      put: async (ref, content, callOptions) =>
        put<ApiContent>(`/contents/${contentSegment('contents.put', ref)}`, contentBody(content), callOptions),
      get: async (ref, callOptions) => get<ApiContent>(`/contents/${contentSegment('contents.get', ref)}`, callOptions),
    },
  };
}
