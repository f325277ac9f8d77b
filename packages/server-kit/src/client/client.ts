import { signingKeyOf } from '../keys/import.js';
import type { SigningKey } from '../keys/types.js';
import { DEFAULT_ASSERTION_LIFETIME } from './assertion.js';
import { type RetryOptions, retryPolicy } from './retry.js';
import { apiEndpoint, type MerchantApiServer } from './server.js';
import { type CallOptions, createTransport, type PostOptions } from './transport.js';
import type {
  AllowanceChargeResult,
  ApiAllowance,
  ApiPayment,
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

/** The client's resources, each method one endpoint. */
export interface MerchantClient {
  payments: {
    /** `GET /v1/payments/:serial`: one of your payments (`payment_unknown` for any other). */
    get(serial: string | bigint, options?: CallOptions): Promise<ApiPayment>;
    /** `GET /v1/payments?from&to&limit&after`: one page of the payments created in `[from, to)`, oldest first. */
    list(query: PaymentListQuery, options?: CallOptions): Promise<PaymentPage>;
    /** Every payment created in `[from, to)`, oldest first, fetching page after page as you iterate. */
    listAll(query: PaymentListQuery, options?: CallOptions): AsyncIterableIterator<ApiPayment>;
    /** `POST /v1/payments`: a decoupled payment: sends the ticket's confirmation request to the customer's phone. */
    request(input: { ticket: string | { token: string }; phone: string }, options?: PostOptions): Promise<DecoupledPayment>;
    /** `GET /v1/payments/by-ticket/:jti`: where the payment of this ticket stands, with its voucher or refusal once decided. */
    byTicket(ticket: string | { id: string }, options?: CallOptions): Promise<DecoupledPayment>;
    /** `POST /v1/payments/:serial/cancellation`: a held payment's funds go back to the customer. */
    cancel(serial: string | bigint, input?: { reason?: string }, options?: PostOptions): Promise<EscrowResolution>;
  };
  deliveries: {
    /** `POST /v1/payments/:serial/deliveries`: the order was delivered; a held payment's funds go to your till. */
    create(serial: string | bigint, input?: { reference?: string }, options?: PostOptions): Promise<EscrowResolution>;
  };
  refunds: {
    /** `POST /v1/payments/:serial/refunds`: gives back `amount` (minor units, at most what remains) of a payment. */
    create(serial: string | bigint, input: { amount: number; reason?: string }, options?: PostOptions): Promise<Refund>;
    /** `GET /v1/payments/:serial/refunds`: the payment's refunds. */
    list(serial: string | bigint, options?: CallOptions): Promise<Refund[]>;
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
}

const SERIAL = /^[1-9][0-9]{0,18}$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const ALLOWANCE_ID = /^al_[A-Za-z0-9_-]{22}$/;

/** An allowance id as a path segment; checked here because `..` or `/` would reach another endpoint. */
function allowanceSegment(id: string): string {
  if (typeof id !== 'string' || !ALLOWANCE_ID.test(id))
    throw new TypeError("An allowance id is `al_` and 22 base64url characters (the voucher's allowance.id).");
  return id;
}

/** A serial as a path segment; checked here because `..` or `/` would reach another endpoint. */
function serialSegment(serial: string | bigint): string {
  const text = String(serial);
  if (!SERIAL.test(text)) throw new TypeError('A payment serial is a positive whole number in decimal, such as "1042".');
  return text;
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
  if (query.after !== undefined) parameters.set('after', serialSegment(query.after));
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
 * const payment = await client.payments.get('1042')
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

  const payments: MerchantClient['payments'] = {
    get: async (serial, callOptions) => get<ApiPayment>(`/payments/${serialSegment(serial)}`, callOptions),
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
    cancel: async (serial, input = {}, callOptions) =>
      post<EscrowResolution>(`/payments/${serialSegment(serial)}/cancellation`, input, callOptions),
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
      create: async (serial, input = {}, callOptions) =>
        post<EscrowResolution>(`/payments/${serialSegment(serial)}/deliveries`, input, callOptions),
    },
    refunds: {
      create: async (serial, input, callOptions) => post<Refund>(`/payments/${serialSegment(serial)}/refunds`, input, callOptions),
      list: async (serial, callOptions) =>
        (await get<{ refunds: Refund[] }>(`/payments/${serialSegment(serial)}/refunds`, callOptions)).refunds,
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
  };
}
