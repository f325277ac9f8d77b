import { CaisseError, isCaisseError, LIMITS, type RefusalReason, TOKEN_TYPES } from '@caisse/protocol';
import { decodeJws } from '../jws/decode.js';
import type { Merchant } from '../merchant.js';
import { readStateCookie } from '../state.js';
import { type PaymentRefusedError, type TicketLookup, type VerifyVoucherOptions, type Voucher, verifyVoucher } from '../voucher/verify.js';
import {
  internalErrorResponse,
  isClientError,
  jsonResponse,
  mediaType,
  problemResponse,
  readBoundedText,
  SECURITY_HEADERS,
} from './problem.js';
import { resultPage } from './result-page.js';

/**
 * The query parameter carrying the voucher to the merchant's `returnUrl`.
 * @example new URL(request.url).searchParams.has(VOUCHER_PARAM)
 */
export const VOUCHER_PARAM = 'caisse_voucher';
/**
 * The query parameter carrying the signed refusal to the merchant's `cancelUrl`.
 * @example new URL(request.url).searchParams.has(REFUSAL_PARAM)
 */
export const REFUSAL_PARAM = 'caisse_refusal';
/**
 * Added to the default redirect after a failure: the error code (`server_error` for a failure of ours), so the page can say what went wrong.
 * @example const code = new URL(location.href).searchParams.get(ERROR_PARAM) // e.g. 'token_replayed'
 */
export const ERROR_PARAM = 'caisse_error';
/**
 * Added to the default redirect, when no hook named a page: `paid`, `refused` or `failed`.
 * The handler answers a request carrying it (and no token) with its own small result
 * page, so the default redirect always lands on a page, never on an error.
 * @example const outcome = url.searchParams.get(RESULT_PARAM) // 'paid'
 */
export const RESULT_PARAM = 'caisse_result';
/**
 * Added to the default redirect after a refusal: the refusal reason.
 * @example const reason = url.searchParams.get(REASON_PARAM) as RefusalReason // show REFUSAL_REASONS[reason]
 */
export const REASON_PARAM = 'caisse_reason';

/**
 * Looks up the ticket you saved when you created it (its `reference`), by ticket id; `undefined` if you have none.
 * @example const findTicket: TicketFinder = (id) => db.tickets.findReference(id)
 */
export type TicketFinder = Extract<TicketLookup, (ticketId: string) => unknown>;

/**
 * Where to send the browser next: a path (`/orders/42`) or an absolute URL; nothing for the default.
 * @example onPaid: (voucher): RedirectTarget => `/orders/${voucher.serial}`
 */
// biome-ignore lint/suspicious/noConfusingVoidType: lets `async onPaid(voucher) { await save(voucher) }` type-check without a `return undefined`.
export type RedirectTarget = string | URL | undefined | void;

/**
 * What verifies the voucher when no {@link Merchant} is given: the payment server trust and your merchant id.
 * @example const trust: VoucherTrust = { issuer: 'https://pay.example', keys, replayStore, audience: 'shop-1' }
 */
export type VoucherTrust = Omit<VerifyVoucherOptions, 'ticket' | 'state'>;

/**
 * The voucher as sent back to the page: without `state`, which is the value of an HttpOnly cookie.
 * @example if (result.status === 'paid') show(result.voucher.serial, result.voucher.amount)
 */
export type PageVoucher = Omit<Voucher, 'state'>;

/**
 * The JSON answer to a `POST` of `{ "token": "…" }`; failures are `application/problem+json`.
 * @example const result = (await (await fetch('/caisse/return', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) })).json()) as ReturnResult
 */
export type ReturnResult =
  | { status: 'paid'; voucher: PageVoucher; redirectTo?: string }
  | { status: 'refused'; reason: RefusalReason; redirectTo?: string };

/**
 * What the merchant plugs into {@link createReturnHandler}.
 * @example const hooks: ReturnHandlerHooks = { findTicket: (id) => db.tickets.findReference(id), onPaid: (voucher) => db.orders.markPaid(voucher.serial) }
 */
export interface ReturnHandlerHooks {
  /** Finds the saved ticket reference by id (what `createTicket` returned as `reference`). */
  findTicket: TicketFinder;
  /**
   * The voucher verified: deliver, or mark the order paid. Called once per voucher. The
   * notification for the same payment may arrive first or instead: make both paths
   * idempotent on the ticket id or `voucher.jti`. May return where to send the browser.
   * If it throws, the voucher stays used; the notification carries the same payment.
   */
  onPaid(voucher: Voucher, request: Request): RedirectTarget | Promise<RedirectTarget>;
  /**
   * The payment server refused, with `error.reason` (show `REFUSAL_REASONS[reason]`) and, for a
   * ticket it refused at intake, `error.detail` (the precise code and what to fix: log it, never
   * show it). May return where to send the browser. Without it, the refusal is written to
   * `console.warn`: `caisse: payment refused <reason> (<detail.code>): <detail.message>`.
   */
  onRefused?(error: PaymentRefusedError, request: Request): RedirectTarget | Promise<RedirectTarget>;
  /**
   * Anything else went wrong: a `CaisseError` whose `code` says what (a replayed or
   * expired voucher, another browser's voucher…), or an unexpected failure. May return
   * where to send the browser. Without it, failures that are not the client's are
   * written to `console.error`. `request.url` may still hold the token: do not log it.
   */
  onError?(error: unknown, request: Request): RedirectTarget | Promise<RedirectTarget>;
  /**
   * Where to send the browser when no hook says, with {@link RESULT_PARAM} (and
   * {@link REASON_PARAM} or {@link ERROR_PARAM}) added: default this handler's own URL
   * without the token, where it shows a small result page of its own — "Payment received",
   * "Payment not completed" with the reason in words, or, after a failure, that a payment
   * made is still confirmed to the shop by the payment server. Never an error page.
   */
  redirectTo?: string | URL | ((request: Request) => string | URL);
  /** The "Continue" link of the handler's own result page (default `/`). */
  homeUrl?: string;
  /** The browser session's state; default the `caisse_state` cookie ({@link readStateCookie}). */
  readState?(request: Request): string | undefined | Promise<string | undefined>;
  /** Largest `POST` body, in bytes (default the token limit plus 1 KiB). */
  maxBodyBytes?: number;
}

/**
 * Options of {@link createReturnHandler}: the hooks, and either a `merchant` or the verification options.
 * @example const options: ReturnHandlerOptions = { issuer, keys, replayStore, audience: 'shop-1', findTicket, onPaid }
 */
export type ReturnHandlerOptions = ReturnHandlerHooks & ({ merchant: Merchant } | VoucherTrust);

/**
 * A web-standard request handler, as Hono, Next.js route handlers, Bun and Deno take.
 * @example Bun.serve({ fetch: returnHandler satisfies WebHandler })
 */
export type WebHandler = (request: Request) => Promise<Response>;

const TOKEN_PARAMS = [VOUCHER_PARAM, REFUSAL_PARAM] as const;
const OUR_PARAMS = [VOUCHER_PARAM, REFUSAL_PARAM, ERROR_PARAM, REASON_PARAM, RESULT_PARAM];
const RESULTS = ['paid', 'refused', 'failed'] as const;
type Result = (typeof RESULTS)[number];
/**
 * Stands for "no state" when the browser has none. It can never equal a voucher's state
 * (at least 16 characters), so the verifier refuses with `state_mismatch` — after the
 * signature checks, and without using up the voucher the right browser may still bring.
 */
const NO_STATE = '';

type Outcome =
  | { status: 'paid'; voucher: Voucher; target: RedirectTarget }
  /** The browser that paid came back with its voucher again (Back, reload): paid, and delivered already. */
  | { status: 'paid_before'; error: CaisseError; target: RedirectTarget }
  | { status: 'refused'; error: PaymentRefusedError; target: RedirectTarget }
  | { status: 'failed'; error: unknown; target: RedirectTarget };

/**
 * Whether a request carries a voucher or refusal for the return handler. Mount the
 * handler in front of your return page with it, since the default redirect comes back
 * to that page without the token.
 * @example app.get('/paid', (c, next) => (hasReturnToken(c.req.raw) ? returnHandler(c.req.raw) : next()))
 */
export function hasReturnToken(request: Request): boolean {
  const { searchParams } = new URL(request.url);
  return TOKEN_PARAMS.some((name) => searchParams.has(name));
}

/**
 * The request's URL without the token parameters, as a path: relative so it holds behind
 * proxies, and with leading slashes collapsed so `//evil.example/` cannot become a
 * protocol-relative redirect to another site.
 */
function cleanTarget(url: URL): string {
  const params = new URLSearchParams(url.search);
  for (const name of OUR_PARAMS) params.delete(name);
  const search = params.toString();
  return `/${url.pathname.replace(/^[/\\]+/, '')}${search === '' ? '' : `?${search}`}`;
}

function withParams(target: string, params: Record<string, string>): string {
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(target);
  const url = new URL(target, 'http://relative.invalid');
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return absolute ? url.href : `${url.pathname}${url.search}${url.hash}`;
}

function isRefusal(error: unknown): error is PaymentRefusedError {
  return isCaisseError(error, 'payment_refused') && typeof (error as Partial<PaymentRefusedError>).reason === 'string';
}

/**
 * What the default logs of a refusal: its reason and, for a ticket refused at intake, the
 * precise code and what to fix (`caisse: payment refused ticket_invalid (key_unknown): The
 * key kid … is not registered …`). Never the token.
 */
function refusedLine(error: PaymentRefusedError): string {
  const { detail } = error;
  return detail === undefined
    ? `caisse: payment refused ${error.reason}`
    : `caisse: payment refused ${error.reason} (${detail.code}): ${detail.message}`;
}

/** Whether a token's header says voucher; read only once the token verified, to tell a voucher from a refusal. */
function isVoucher(token: string): boolean {
  try {
    decodeJws(token, [TOKEN_TYPES.voucher]);
    return true;
  } catch {
    return false;
  }
}

function visible(voucher: Voucher): PageVoucher {
  const { state: _state, ...rest } = voucher;
  return rest;
}

/**
 * The handler for the merchant's return and cancel URLs. The payment server sends the
 * browser to `returnUrl?caisse_voucher=…` or `cancelUrl?caisse_refusal=…`; this verifies
 * the token against the saved ticket and the browser's `caisse_state` cookie (a voucher
 * copied to another browser is refused), calls `onPaid` or `onRefused`, and answers
 * `303 See Other` to a URL without the token, so it stays out of the address bar,
 * history and `Referer`.
 *
 * It also takes `POST` `{ "token": "…" }` (the widget's `handleReturn({ verifyUrl })`) and
 * answers {@link ReturnResult} as JSON, or `application/problem+json` with the error `code`.
 * Every response carries `Cache-Control: no-store` and `Referrer-Policy: no-referrer`.
 *
 * @example
 * const returnHandler = createReturnHandler({
 *   merchant,
 *   findTicket: (id) => db.tickets.reference(id),
 *   onPaid: async (voucher) => { await db.orders.markPaid(voucher.serial, voucher.jti); return `/orders/${voucher.serial}` },
 *   onRefused: (error) => `/basket?refused=${error.reason}`,
 * })
 * // Hono: app.on(['GET', 'POST'], '/caisse/return', (c) => returnHandler(c.req.raw))
 * // Next.js: export const GET = returnHandler, POST = returnHandler
 */
export function createReturnHandler(options: ReturnHandlerOptions): WebHandler {
  const maxBodyBytes = options.maxBodyBytes ?? LIMITS.tokenLength + 1024;
  const readState = options.readState ?? readStateCookie;
  const verify =
    'merchant' in options
      ? (token: string, state: string) => options.merchant.verifyVoucher(token, { ticket: options.findTicket, state })
      : (token: string, state: string) =>
          verifyVoucher(token, {
            issuer: options.issuer,
            keys: options.keys,
            replayStore: options.replayStore,
            audience: options.audience,
            now: options.now,
            clockTolerance: options.clockTolerance,
            ticket: options.findTicket,
            state,
          });

  async function failed(error: unknown, request: Request): Promise<Outcome> {
    // Always, hooks or not: the real code is what the merchant needs to fix an integration.
    if (isClientError(error)) console.warn(`caisse: the return handler did not accept the token: ${error.code}: ${error.message}`);
    else console.error('caisse: the return handler failed', error);
    if (options.onError === undefined) return { status: 'failed', error, target: undefined };
    try {
      return { status: 'failed', error, target: await options.onError(error, request) };
    } catch (hookError) {
      console.error('caisse: onError threw', hookError);
      return { status: 'failed', error, target: undefined };
    }
  }

  async function settle(token: string, request: Request): Promise<Outcome> {
    let voucher: Voucher;
    try {
      voucher = await verify(token, (await readState(request)) ?? NO_STATE);
    } catch (error) {
      // Checked after the signature and this browser's state: this browser's own payment, accepted before.
      if (options.onError === undefined && isCaisseError(error, 'token_replayed') && isVoucher(token)) {
        return { status: 'paid_before', error, target: undefined };
      }
      if (!isRefusal(error)) return failed(error, request);
      if (options.onRefused === undefined) console.warn(refusedLine(error));
      try {
        return { status: 'refused', error, target: await options.onRefused?.(error, request) };
      } catch (hookError) {
        return failed(hookError, request);
      }
    }
    try {
      return { status: 'paid', voucher, target: await options.onPaid(voucher, request) };
    } catch (hookError) {
      return failed(hookError, request);
    }
  }

  function defaultTarget(request: Request, result: Result, params: Record<string, string> = {}): string {
    const configured = typeof options.redirectTo === 'function' ? options.redirectTo(request) : options.redirectTo;
    return withParams(configured === undefined ? cleanTarget(new URL(request.url)) : String(configured), {
      [RESULT_PARAM]: result,
      ...params,
    });
  }

  function redirect(location: string): Response {
    return new Response(null, { status: 303, headers: { location, ...SECURITY_HEADERS } });
  }

  async function handleGet(request: Request): Promise<Response> {
    const { searchParams } = new URL(request.url);
    const tokens = TOKEN_PARAMS.flatMap((name) => searchParams.getAll(name));
    if (tokens.length === 0) {
      const result = searchParams.get(RESULT_PARAM);
      if (RESULTS.includes(result as Result)) return resultPage(result as Result, searchParams, options.homeUrl ?? '/');
      return problemResponse(new CaisseError('token_malformed', `Expected a ${VOUCHER_PARAM} or ${REFUSAL_PARAM} query parameter.`));
    }
    const outcome =
      tokens.length === 1
        ? await settle(tokens[0] as string, request)
        : await failed(new CaisseError('token_malformed', 'The URL carries more than one token.'), request);
    if (outcome.target !== undefined) return redirect(String(outcome.target));
    if (outcome.status === 'paid' || outcome.status === 'paid_before') return redirect(defaultTarget(request, 'paid'));
    if (outcome.status === 'refused')
      return redirect(defaultTarget(request, 'refused', { [ERROR_PARAM]: 'payment_refused', [REASON_PARAM]: outcome.error.reason }));
    const code = isCaisseError(outcome.error) ? outcome.error.code : 'server_error';
    return redirect(defaultTarget(request, 'failed', { [ERROR_PARAM]: code }));
  }

  async function readToken(request: Request): Promise<string> {
    if (mediaType(request) !== 'application/json') {
      // Also what keeps other sites from posting here with a plain form: JSON needs a CORS preflight.
      throw new CaisseError('message_invalid', 'Send the token as application/json: { "token": "…" }.');
    }
    const text = await readBoundedText(request, maxBodyBytes);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (cause) {
      throw new CaisseError('message_invalid', 'The request body is not JSON.', { cause });
    }
    const token = (body as { token?: unknown } | null)?.token;
    if (typeof token !== 'string') {
      throw new CaisseError('message_invalid', 'The request body must be { "token": "…" }.', {
        issues: [{ path: 'token', message: 'must be a string' }],
      });
    }
    return token;
  }

  async function handlePost(request: Request): Promise<Response> {
    let token: string;
    try {
      token = await readToken(request);
    } catch (error) {
      if (isClientError(error)) return problemResponse(error, mediaType(request) === 'application/json' ? {} : { status: 415 });
      // Ours, with a code that says what to fix (e.g. `body_unavailable`: a body parser ran first).
      if (isCaisseError(error)) {
        console.error(`caisse: the return handler could not read the request: ${error.code}: ${error.message}`);
        return problemResponse(error);
      }
      throw error;
    }
    const outcome = await settle(token, request);
    const redirectTo = outcome.target === undefined ? {} : { redirectTo: String(outcome.target) };
    if (outcome.status === 'paid')
      return jsonResponse({ status: 'paid', voucher: visible(outcome.voucher), ...redirectTo } satisfies ReturnResult, 200);
    if (outcome.status === 'refused')
      return jsonResponse({ status: 'refused', reason: outcome.error.reason, ...redirectTo } satisfies ReturnResult, 200);
    return isCaisseError(outcome.error) ? problemResponse(outcome.error) : internalErrorResponse();
  }

  return async (request) => {
    try {
      if (request.method === 'GET') return await handleGet(request);
      if (request.method === 'POST') return await handlePost(request);
      return problemResponse(new CaisseError('message_invalid', 'Only GET and POST are allowed here.'), {
        status: 405,
        headers: { allow: 'GET, POST' },
      });
    } catch (error) {
      console.error('caisse: the return handler failed', error);
      return internalErrorResponse();
    }
  };
}
