import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

/** The header a request id comes in and goes back out in (a proxy or the client may have set it). */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What an incoming id may look like to be kept: short, and of characters that are safe in
 * a header, a log line and a URL. Anything else (too long, spaces, quotes, CR/LF) is
 * replaced, so a client cannot forge log lines or inject headers through it.
 */
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

interface RequestContext {
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/**
 * The id of the request being served, wherever the code runs while serving it (domain
 * code, the logger, the problem writer); `undefined` outside any request (background jobs).
 * @example log.info('payment.authorised', { requestId: currentRequestId() })
 */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/**
 * The id a request is served under: the one it came with when well formed, else a fresh one.
 * @example requestIdOf('lb-7f3a') // 'lb-7f3a'; requestIdOf('a b') // 'req_…'
 */
export function requestIdOf(presented: string | undefined): string {
  return presented !== undefined && WELL_FORMED_REQUEST_ID.test(presented) ? presented : `req_${randomBytes(12).toString('base64url')}`;
}

/**
 * Serves each request inside its own context (AsyncLocalStorage), so every log line and
 * problem written while serving it names its id without passing it through every call,
 * and answers with the id in `X-Request-Id`: what an operator greps for when a merchant
 * or a customer quotes it. Goes first, so everything after it runs in the context.
 * @example app.use(requestContext())
 */
export function requestContext(): MiddlewareHandler {
  return async (c, next) => {
    const requestId = requestIdOf(c.req.header(REQUEST_ID_HEADER));
    await storage.run({ requestId }, next);
    c.res.headers.set(REQUEST_ID_HEADER, requestId);
  };
}
