import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Issue } from '@caisse/protocol';
import { ASSERTION_SCHEME, type AssertionSigner, signAssertion } from './assertion.js';
import { MerchantApiError, MerchantTransportError } from './errors.js';
import { type AttemptOutcome, parseRetryAfter, type RetryOptions, retryDelay } from './retry.js';
import type { ApiEndpoint } from './server.js';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * Per-call options of every client method.
 * @example await client.payments.get({ id: 'pay_1042' }, { timeout: 2_000, signal: AbortSignal.timeout(10_000) })
 */
export interface CallOptions {
  /** Stops the call, retries included; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Milliseconds for each attempt, response body included (default the client's). */
  timeout?: number;
}

/**
 * Per-call options of the methods that POST.
 * @example await client.refunds.create({ id: 'pay_1042' }, { amount: 500 }, { idempotencyKey: `refund-${returnId}` })
 */
export interface PostOptions extends CallOptions {
  /**
   * The request's `Idempotency-Key` (1–255 printable ASCII characters, no spaces). Default
   * a fresh UUID, reused by the client's own retries. Pass your own — derived from your
   * order or operation id — to make a request safe to repeat across restarts of your
   * process: the payment server acts once per key and answers repeats with the first response.
   */
  idempotencyKey?: string;
}

/** One merchant API request, before signing. */
export interface ApiRequest {
  /** PUT, like GET, is idempotent (RFC 9110 §9.2.2): it is retried without an `Idempotency-Key`. */
  method: 'GET' | 'POST' | 'PUT';
  /** Below `apiBase`, starting with `/`, segments already encoded. */
  path: string;
  query?: URLSearchParams;
  /** Serialised to JSON once; the exact bytes are hashed into the assertion and sent. */
  body?: unknown;
  /** What a success carries: JSON (parsed), or CSV (as text). */
  expect: 'json' | 'csv';
  options?: PostOptions;
  /**
   * What authenticates the request: a signed assertion (the default), or a signed ticket in
   * its body (an allowance charge), which also makes it idempotent: then neither an
   * assertion nor an `Idempotency-Key` is sent.
   */
  credential?: 'assertion' | 'ticket';
}

export interface TransportConfig {
  endpoint: () => Promise<ApiEndpoint>;
  signer: Omit<AssertionSigner, 'audience'>;
  timeout: number;
  retry: Required<RetryOptions>;
  fetch?: typeof globalThis.fetch;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const ACCEPT = { json: 'application/json, application/problem+json', csv: 'text/csv, application/problem+json' } as const;
const MEDIA_TYPE = { json: 'application/json', csv: 'text/csv' } as const;

type Attempt = { ok: true; value: unknown } | { ok: false; outcome: AttemptOutcome; error: MerchantApiError | MerchantTransportError };

function mediaType(response: Response): string {
  return (response.headers.get('content-type') ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isIssue(value: unknown): value is Issue {
  const issue = value as Partial<Issue> | null;
  return typeof issue === 'object' && issue !== null && typeof issue.path === 'string' && typeof issue.message === 'string';
}

/** An error response as the server's problem document describes it (RFC 9457), or `http_error` when it has none. */
function apiError(
  response: Response,
  text: string,
  context: { idempotencyKey: string | undefined; attempts: number; retryAfter: number | undefined },
) {
  const type = mediaType(response);
  const problem = type === 'application/problem+json' || type === 'application/json' ? parseJson(text) : undefined;
  const fields = (typeof problem === 'object' && problem !== null ? problem : {}) as Record<string, unknown>;
  const code = typeof fields.code === 'string' && fields.code !== '' ? fields.code : undefined;
  const title = typeof fields.title === 'string' ? fields.title : undefined;
  const detail = typeof fields.detail === 'string' ? fields.detail : (title ?? `HTTP ${response.status} without a problem document.`);
  return new MerchantApiError({
    status: response.status,
    code: code ?? 'http_error',
    detail,
    title,
    issues: Array.isArray(fields.issues) ? fields.issues.filter(isIssue) : [],
    ...context,
  });
}

/**
 * Sends merchant API requests: a fresh assertion for every attempt (assertions are single
 * use), the same `Idempotency-Key` on every attempt of one POST, a deadline per attempt
 * that covers the body too, and the retry policy of {@link retryDelay}. `fetch` sends each
 * attempt; the loop is ours because a generic retry would re-send one signed request.
 * @example const payment = await createTransport(config).send({ method: 'GET', path: '/payments/pay_1042', expect: 'json' })
 */
export function createTransport(config: TransportConfig) {
  async function attempt(
    endpoint: ApiEndpoint,
    request: ApiRequest,
    url: string,
    body: Uint8Array<ArrayBuffer> | undefined,
    idempotencyKey: string | undefined,
    attempts: number,
  ): Promise<Attempt> {
    const { signal, timeout = config.timeout } = request.options ?? {};
    const headers: Record<string, string> = { accept: ACCEPT[request.expect] };
    if (request.credential !== 'ticket') {
      const assertion = signAssertion(
        { ...config.signer, audience: endpoint.issuer },
        { method: request.method, url, ...(body ? { body } : {}) },
      );
      headers.authorization = `${ASSERTION_SCHEME} ${assertion}`;
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()] = idempotencyKey;

    // One deadline for headers and body (a fetch's own promise settles at the headers). A
    // timer cleared once the body is read, rather than AbortSignal.timeout, whose timer
    // cannot be cleared: a busy client would keep one live timer and signal per request
    // of the last `timeout` ms (thousands at a few hundred calls a second).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException('The attempt timed out.', 'TimeoutError')), timeout);
    // As AbortSignal.timeout's: the deadline alone does not keep the process running.
    timer.unref();
    // The caller's signal aborts the deadline's controller, and is let go of once the
    // attempt ends. Not AbortSignal.any: on Node 20 each signal it makes stays attached to
    // a long-lived caller signal for ever (nodejs/node#55351).
    const onAbort = () => deadline.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const failed = (code: 'timeout' | 'network_error', message: string, cause: unknown): Attempt => ({
      ok: false,
      outcome: { kind: code === 'timeout' ? 'timeout' : 'network' },
      error: new MerchantTransportError(code, message, { idempotencyKey, attempts, cause }),
    });
    let response: Response;
    let text: string;
    try {
      // fetch itself, not ky: with its retries, time-out and HTTP errors all off (the loop
      // below owns them) ky only added a Request built around the body, a clone of it (a
      // teed body stream) and another AbortController per attempt: a large share of the
      // client's CPU per call, which an allowance charge pays every time.
      response = await (config.fetch ?? globalThis.fetch)(url, {
        method: request.method,
        headers,
        ...(body ? { body } : {}),
        signal: deadline.signal,
        // The API never redirects: a 3xx is reported, not followed to wherever it points.
        redirect: 'manual',
        credentials: 'omit',
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (deadline.signal.aborted) return failed('timeout', `${request.method} ${url}: no complete response within ${timeout} ms.`, error);
      return failed('network_error', `${request.method} ${url}: the payment server could not be reached.`, error);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }

    if (response.ok) {
      if (response.status === 204) return { ok: true, value: undefined };
      if (mediaType(response) === MEDIA_TYPE[request.expect]) {
        const value = request.expect === 'csv' ? text : parseJson(text);
        if (value !== undefined) return { ok: true, value };
      }
      return {
        ok: false,
        outcome: { kind: 'response_invalid' },
        error: new MerchantTransportError(
          'response_invalid',
          `${request.method} ${url}: HTTP ${response.status} with a body that is not ${request.expect === 'csv' ? 'CSV' : 'JSON'} (${mediaType(response) || 'no content type'}).`,
          { idempotencyKey, attempts },
        ),
      };
    }
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
    const error = apiError(response, text, { idempotencyKey, attempts, retryAfter });
    return { ok: false, outcome: { kind: 'status', status: response.status, code: error.code, retryAfter }, error };
  }

  return {
    async send(request: ApiRequest): Promise<unknown> {
      const { signal } = request.options ?? {};
      signal?.throwIfAborted();
      const idempotencyKey =
        request.method === 'POST' && request.credential !== 'ticket' ? (request.options?.idempotencyKey ?? randomUUID()) : undefined;
      if (idempotencyKey !== undefined && !KEY_PATTERN.test(idempotencyKey)) {
        throw new TypeError(`${IDEMPOTENCY_KEY_HEADER} must be 1–255 printable ASCII characters without spaces, such as a UUID.`);
      }
      const endpoint = await config.endpoint();
      const search = request.query?.toString() ?? '';
      // As fetch will serialise it, so that the assertion's `htu` is the URL the server receives.
      const url = new URL(`${endpoint.apiBase}${request.path}${search === '' ? '' : `?${search}`}`).href;
      // Serialised once: the bytes hashed into each attempt's assertion are the bytes sent.
      const body = request.body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(request.body));

      for (let attempts = 1; ; attempts++) {
        const result = await attempt(endpoint, request, url, body, idempotencyKey, attempts);
        if (result.ok) return result.value;
        const delay = retryDelay(result.outcome, attempts, config.retry);
        if (delay === undefined) throw result.error;
        await sleep(delay, undefined, signal ? { signal } : undefined).catch(() => {
          throw signal?.reason;
        });
      }
    },
  };
}
