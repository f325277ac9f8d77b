import { CaisseError, type ErrorCode, type Issue, isCaisseError } from '@caisse/protocol';

/**
 * The HTTP status each error code answers with, in one place. A `Record` over every
 * code, so adding a code to the protocol does not compile until it has a status here.
 * 4xx: the request (or the token it carries) is at fault and retrying it unchanged will
 * not help; 5xx: something on our side (key source, replay store) failed and a retry may.
 * @example return new Response(null, { status: ERROR_HTTP_STATUS[error.code] })
 */
export const ERROR_HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  token_malformed: 400,
  token_too_large: 413,
  duplicate_member: 400,
  type_mismatch: 400,
  algorithm_not_allowed: 400,
  header_key_refused: 400,
  header_unsupported: 400,
  key_unknown: 401,
  keys_invalid: 502,
  keys_unavailable: 503,
  signature_invalid: 401,
  claims_invalid: 400,
  version_unsupported: 400,
  token_expired: 401,
  token_not_yet_valid: 401,
  audience_mismatch: 401,
  issuer_mismatch: 401,
  ticket_mismatch: 400,
  state_mismatch: 403,
  token_replayed: 409,
  payment_refused: 402,
  // A token of the other mode is not for this merchant, like one for another audience.
  token_test_mode: 401,
  message_invalid: 400,
  amount_mismatch: 400,
  vat_mismatch: 400,
  currency_unknown: 400,
  amount_invalid: 400,
  replay_store_full: 503,
  replay_store_unavailable: 503,
  // The merchant's server is set up so the handler cannot see the body: its fix, not the sender's; a retry after it works.
  body_unavailable: 500,
};

/**
 * On every response: tokens travel in URLs and bodies here, so nothing may be cached and
 * no next page may learn this URL from `Referer` (RFC 9111 §5.2.2.5, W3C Referrer Policy).
 * @example new Response(null, { status: 303, headers: { location: '/paid', ...SECURITY_HEADERS } })
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * An RFC 9457 problem: `code` is the stable Caisse error code, absent for failures that are not the client's to act on.
 * @example const problem = (await response.json()) as Problem; if (problem.code === 'token_replayed') showOrder()
 */
export interface Problem {
  type: 'about:blank';
  title: string;
  status: number;
  code?: ErrorCode;
  detail?: string;
  issues?: readonly Issue[];
}

/**
 * An `application/problem+json` response with the security headers.
 * @example return problemResponse(new CaisseError('token_malformed', 'No token in the body.'))
 */
export function problemResponse(error: CaisseError, options: { status?: number; headers?: Record<string, string> } = {}): Response {
  const status = options.status ?? ERROR_HTTP_STATUS[error.code];
  const body: Problem = { type: 'about:blank', title: TITLES[status] ?? 'Error', status, code: error.code, detail: error.message };
  if (error.issues.length > 0) body.issues = error.issues;
  return jsonResponse(body, status, { 'content-type': 'application/problem+json', ...options.headers });
}

/**
 * The 500 for a failure that is ours, not the client's: nothing about it leaves the server.
 * @example return internalErrorResponse()
 */
export function internalErrorResponse(): Response {
  const body: Problem = { type: 'about:blank', title: TITLES[500] as string, status: 500 };
  return jsonResponse(body, 500, { 'content-type': 'application/problem+json' });
}

/**
 * A JSON response with the security headers.
 * @example return jsonResponse({ status: 'paid', voucher }, 200)
 */
export function jsonResponse(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers, ...SECURITY_HEADERS },
  });
}

/**
 * Reads a request body as UTF-8 text, refusing more than `maxBytes` (`token_too_large`)
 * before buffering it, bytes that are not UTF-8 (`token_malformed`), and a body something
 * else already read (`body_unavailable`).
 * @example const text = await readBoundedText(request, 17_408)
 */
export async function readBoundedText(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () => new CaisseError('token_too_large', `The request body is larger than ${maxBytes} bytes.`);
  const declared = Number(request.headers.get('content-length'));
  if (declared > maxBytes) {
    await request.body?.cancel();
    throw tooLarge();
  }
  if (request.bodyUsed) {
    throw new CaisseError(
      'body_unavailable',
      'The request body was read before the Caisse handler got it: pass the request untouched, or request.clone().',
    );
  }
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch (cause) {
    throw new CaisseError('token_malformed', 'The request body is not valid UTF-8.', { cause });
  }
}

/**
 * The media type of a request without parameters, lower-cased.
 * @example mediaType(request) === 'application/json' // also for `application/json; charset=utf-8`
 */
export function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/**
 * Whether a failure is the client's (a Caisse error with a 4xx status) rather than ours.
 * @example if (!isClientError(error)) report(error)
 */
export function isClientError(error: unknown): error is CaisseError {
  return isCaisseError(error) && ERROR_HTTP_STATUS[error.code] < 500;
}

/** Media types a token may come labelled with from the payment server (RFC 7515 §9.2.1); text and none are accepted too. */
const TOKEN_MEDIA_TYPES = new Set(['application/jose', 'application/jwt', 'text/plain', '']);

/**
 * The answer to a request a token handler cannot read: not a POST (`405` with `Allow`), or
 * not labelled as a token (`415`); undefined when the body may be read.
 * @example const refused = refuseTokenPost(request, 'Notifications are POSTed.', 'Send the notification token as application/jose.'); if (refused) return refused
 */
export function refuseTokenPost(request: Request, notPost: string, notToken: string): Response | undefined {
  if (request.method !== 'POST') {
    return problemResponse(new CaisseError('message_invalid', notPost), { status: 405, headers: { allow: 'POST' } });
  }
  if (!TOKEN_MEDIA_TYPES.has(mediaType(request))) return problemResponse(new CaisseError('message_invalid', notToken), { status: 415 });
  return undefined;
}

/**
 * A handler's report of failures that are not the sender's: to `onError`, or the console
 * when there is none; a throwing `onError` is logged, never thrown into the answer.
 * @example const report = failureReporter(options.onError, 'quote'); report(error, request)
 */
export function failureReporter(
  onError: ((error: unknown, request: Request) => void) | undefined,
  handler: string,
): (error: unknown, request: Request) => void {
  return (error, request) => {
    try {
      if (onError) onError(error, request);
      else console.error(`caisse: the ${handler} handler failed`, error);
    } catch (hookError) {
      console.error('caisse: onError threw', hookError);
    }
  };
}
