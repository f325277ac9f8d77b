import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { TLSSocket } from 'node:tls';
import { CaisseError } from '@caisse/protocol';
import { internalErrorResponse, problemResponse } from './handlers/problem.js';

/**
 * Options of {@link toNodeHandler}.
 * @example toNodeHandler(returnHandler, { origin: 'https://shop.example', maxBodyBytes: 32_768 })
 */
export interface NodeHandlerOptions {
  /** Largest request body, in bytes (default 65,536); a larger one is answered `413` without being buffered. */
  maxBodyBytes?: number;
  /**
   * Your public origin, e.g. `https://shop.example`: the request URL the handler sees is
   * built on it. Set it behind a proxy you cannot configure to send trusted headers.
   */
  origin?: string;
  /**
   * Believe `X-Forwarded-Proto` and `X-Forwarded-Host` (first value). Only behind a proxy
   * that sets them: otherwise any client picks the host your handler thinks it serves.
   * Default false: the socket's TLS state and the `Host` header.
   */
  trustProxy?: boolean;
  /** Told about a handler that threw or a response that failed mid-stream (default `console.error`); the client gets a bare `500`. */
  onError?: (error: unknown) => void;
}

/**
 * A Node `http` request listener, also usable as Express or Connect middleware. The promise
 * settles once the response is sent or the client is gone, and never rejects: a framework
 * that awaits its middleware (Koa) does not answer in its place.
 * @example const listener: NodeHandler = toNodeHandler(notificationHandler); http.createServer(listener)
 */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * A body a framework's parser already read off the socket: `raw` if it kept the bytes
 * (`rawBody` of @koa/bodyparser, fastify-raw-body, or an Express `verify` hook), else what it
 * `parsed` (`req.body`: a Buffer, a string, or JSON such as `{ token }`).
 */
interface BodyCopy {
  raw?: unknown;
  parsed?: unknown;
}

/** One request as a framework hands it over: Node's pair, the URL path as the client sent it, and any copy of the body. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  copy: BodyCopy;
}

/** Any web-standard handler: `createReturnHandler`, `createNotificationHandler`, or your own. */
type Handler = (request: Request) => Response | Promise<Response>;

const DEFAULT_MAX_BODY_BYTES = 65_536;
/** A reg-name or IPv4 host (RFC 3986 §3.2.2) or a bracketed IPv6 literal, with an optional port. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

class RequestRefused extends Error {
  constructor(readonly response: Response) {
    super('request refused');
  }
}

/** The client went away before its body arrived: nobody to answer, nothing to report. */
class ClientGone extends Error {}

function firstValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const first = text?.split(',', 1)[0]?.trim();
  return first === '' ? undefined : first;
}

function originOf(req: IncomingMessage, options: NodeHandlerOptions): string {
  if (options.origin !== undefined) return options.origin;
  const forwarded = (name: string) => (options.trustProxy ? firstValue(req.headers[name]) : undefined);
  const protocol = forwarded('x-forwarded-proto')?.toLowerCase() ?? ((req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http');
  const host = forwarded('x-forwarded-host') ?? req.headers.host;
  if ((protocol !== 'http' && protocol !== 'https') || host === undefined || !HOST.test(host)) {
    throw new RequestRefused(problemResponse(new CaisseError('message_invalid', 'The request has no valid Host.')));
  }
  return `${protocol}://${host}`;
}

/** Express and Koa strip a mount path from `req.url` and keep the whole one in `originalUrl`; the handler needs the whole one to redirect. */
function pathOf(req: IncomingMessage, originalUrl: unknown = (req as { originalUrl?: unknown }).originalUrl): string {
  const path = typeof originalUrl === 'string' ? originalUrl : (req.url ?? '/');
  if (path.startsWith('/')) return path;
  // Absolute-form (RFC 9112 §3.2.2) keeps only its path: the host comes from the checks above.
  try {
    const url = new URL(path);
    return `${url.pathname}${url.search}`;
  } catch {
    return '/';
  }
}

function tooLarge(maxBytes: number): RequestRefused {
  return new RequestRefused(
    problemResponse(new CaisseError('token_too_large', `The request body is larger than ${maxBytes} bytes.`), {
      headers: { connection: 'close' },
    }),
  );
}

function bytesOf(value: unknown): Buffer | undefined {
  if (typeof value === 'string') return Buffer.from(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  return undefined;
}

/**
 * The framework's copy of a body it already read: its raw bytes, else what it parsed turned
 * back into bytes (a JSON object such as `{ token }` re-serialised: the token inside is the
 * same string). `undefined` when it kept nothing.
 */
function copiedBody(copy: BodyCopy): Buffer | undefined {
  const raw = bytesOf(copy.raw);
  if (raw !== undefined) return raw;
  if (copy.parsed === undefined || copy.parsed === null) return undefined;
  return bytesOf(copy.parsed) ?? Buffer.from(JSON.stringify(copy.parsed));
}

/** Whether something read the body off the socket before us: waiting for it would wait forever. */
function alreadyRead(req: IncomingMessage): boolean {
  return req.readableEnded || req.readableDidRead;
}

const BODY_UNAVAILABLE =
  'The request body was read before the Caisse handler got it (a body parser ran first) and no copy of it was passed on. ' +
  'Mount the handler before body parsers, or use the adapter made for your framework: toFastifyPlugin, toKoaMiddleware; ' +
  'with Express, express.json() and express.raw() are fine.';

/** A body read: from the socket, as sent; or the framework's `copy`, already decoded if it was compressed. */
interface ReadBody {
  bytes: Buffer;
  copied: boolean;
}

/** The body as the client sent it: straight from the socket if nobody read it yet, else the framework's copy; bounded to `maxBytes`. */
function readBody(req: IncomingMessage, copy: BodyCopy, maxBytes: number, report: (error: unknown) => void): Promise<ReadBody> {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  if (alreadyRead(req)) {
    const copied = copiedBody(copy);
    if (copied === undefined) {
      const error = new CaisseError('body_unavailable', BODY_UNAVAILABLE);
      report(error);
      return Promise.reject(new RequestRefused(problemResponse(error)));
    }
    return copied.length > maxBytes ? Promise.reject(tooLarge(maxBytes)) : Promise.resolve({ bytes: copied, copied: true });
  }
  // Unread and already torn down: the client left before its body arrived, and 'close' will not come again.
  if (req.destroyed) return Promise.reject(new ClientGone());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        // Stop reading without destroying the socket, so the 413 still reaches the client; `Connection: close` ends it after.
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ bytes: Buffer.concat(chunks), copied: false });
    };
    // An aborted upload may end in 'error' or only in 'close'; either way the promise must settle, or it leaks.
    const onGone = () => {
      cleanup();
      reject(new ClientGone());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

/** How the body was framed on the wire; the Request gets the length of the bytes it carries instead. */
const BODY_FRAMING = new Set(['content-length', 'transfer-encoding']);

async function toRequest(exchange: Exchange, settings: Settings): Promise<Request> {
  const { req, res } = exchange;
  const url = `${originOf(req, settings)}${exchange.path}`;
  const headers = new Headers();
  try {
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] as string;
      // HTTP/2 pseudo-headers (":path") are not header names a Request accepts.
      if (!name.startsWith(':') && !BODY_FRAMING.has(name.toLowerCase())) headers.append(name, req.rawHeaders[i + 1] as string);
    }
  } catch {
    // Node's parser is more lenient than the Fetch standard about header values.
    throw new RequestRefused(
      problemResponse(new CaisseError('message_invalid', 'The request carries a header value that is not allowed.')),
    );
  }
  const method = req.method ?? 'GET';
  const body =
    method === 'GET' || method === 'HEAD' ? undefined : await readBody(req, exchange.copy, settings.maxBodyBytes, settings.report);
  if (body !== undefined) {
    headers.set('content-length', String(body.bytes.length));
    // Body parsers inflate what they read: the copy is no longer in the sent Content-Encoding.
    if (body.copied) headers.delete('content-encoding');
  }
  const controller = new AbortController();
  // A client that hangs up aborts `request.signal`, so a handler can stop work nobody will receive.
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  // Node's Buffers are Uint8Arrays over a plain ArrayBuffer; the DOM typings only want to hear the latter.
  return new Request(url, { method, headers, body: body?.bytes as Uint8Array<ArrayBuffer> | undefined, signal: controller.signal });
}

async function send(res: ServerResponse, response: Response, method: string | undefined): Promise<void> {
  const headers: OutgoingHttpHeaders = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  // Headers joins repeated fields with commas, which breaks Set-Cookie (RFC 6265 §3): send each one.
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(response.status, headers);
  if (response.body === null || method === 'HEAD') {
    await response.body?.cancel();
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res);
}

/** The options of every adapter, checked once when it is made. */
interface Settings {
  origin?: string;
  trustProxy?: boolean;
  maxBodyBytes: number;
  report: (error: unknown) => void;
}

function settingsOf(adapter: string, options: NodeHandlerOptions): Settings {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0)
    throw new TypeError(`${adapter}: maxBodyBytes must be a non-negative integer.`);
  return {
    origin: options.origin === undefined ? undefined : bareOrigin(adapter, options.origin),
    trustProxy: options.trustProxy,
    maxBodyBytes,
    report: options.onError ?? ((error: unknown) => console.error('caisse: the request handler failed', error)),
  };
}

function bareOrigin(adapter: string, text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== text.replace(/\/$/, '')) {
    throw new TypeError(`${adapter}: origin must be a bare origin such as https://shop.example.`);
  }
  return url.origin;
}

/** Runs one exchange through the handler; settles when the response is sent or the client is gone, never rejects. */
async function serve(handler: Handler, settings: Settings, exchange: Exchange): Promise<void> {
  const { req, res } = exchange;
  let response: Response;
  try {
    response = await handler(await toRequest(exchange, settings));
  } catch (error) {
    if (error instanceof ClientGone) {
      res.destroy();
      return;
    }
    if (error instanceof RequestRefused) response = error.response;
    else {
      settings.report(error);
      response = internalErrorResponse();
    }
  }
  try {
    await send(res, response, req.method);
  } catch (error) {
    // A client that went away is routine; anything else is a broken response body.
    if ((error as { code?: unknown }).code !== 'ERR_STREAM_PREMATURE_CLOSE') settings.report(error);
    if (!res.headersSent) {
      await send(res, internalErrorResponse(), req.method).catch(() => undefined);
    } else res.destroy();
  }
}

/**
 * Adapts a web-standard handler (`createReturnHandler`, `createNotificationHandler`, or
 * any `(Request) => Response`) to Node's `http` and to Express. The request URL is built
 * from `origin`, or from the `Host` header (and `X-Forwarded-*` with `trustProxy`); the
 * body is bounded; the response is streamed back with every `Set-Cookie` intact. A handler
 * that throws gets a bare `500` problem: the error goes to `onError`, never to the client.
 *
 * The body is read from the socket; if a body parser got there first (`express.json()`,
 * `express.raw()`), its copy is used: `req.rawBody`, else `req.body`. If it kept none, the
 * answer is a `500` problem with code `body_unavailable` saying what to change — never a
 * request left hanging. Fastify and Koa keep their copy elsewhere: use
 * {@link toFastifyPlugin} and {@link toKoaMiddleware}.
 *
 * @example
 * import { toNodeHandler } from '@caisse/server-kit/node'
 * http.createServer(toNodeHandler(returnHandler, { origin: 'https://shop.example' })).listen(3000)
 * // Express
 * app.post('/caisse/notify', toNodeHandler(notificationHandler))
 * app.all('/caisse/return', toNodeHandler(returnHandler, { trustProxy: true }))
 */
export function toNodeHandler(handler: Handler, options: NodeHandlerOptions = {}): NodeHandler {
  const settings = settingsOf('toNodeHandler', options);
  return (req, res) => {
    const { rawBody, body } = req as { rawBody?: unknown; body?: unknown };
    return serve(handler, settings, { req, res, path: pathOf(req), copy: { raw: rawBody, parsed: body } });
  };
}

/**
 * The parts of a Koa context {@link toKoaMiddleware} uses (Koa's `Context` has them all).
 * @example const middleware: (ctx: KoaContextLike) => Promise<void> = toKoaMiddleware(notificationHandler)
 */
export interface KoaContextLike {
  req: IncomingMessage;
  res: ServerResponse;
  originalUrl: string;
  /** Koa's request; a body parser leaves `body` (and `rawBody`) on it. */
  request: object;
  respond?: boolean;
}

/**
 * Adapts a web-standard handler to Koa, as the last middleware of its route: the handler
 * answers on Node's response itself (`ctx.respond = false`), and the returned promise
 * settles once it has. A body already read by `@koa/bodyparser` (or `koa-bodyparser`) is
 * taken from `ctx.request.rawBody`, else `ctx.request.body`; the notification's
 * `application/jose` body is left to the handler by those parsers and read raw.
 * Options as {@link toNodeHandler}.
 *
 * @example
 * import { toKoaMiddleware } from '@caisse/server-kit/node'
 * router.all('/caisse/return', toKoaMiddleware(returnHandler))
 * router.post('/caisse/notify', toKoaMiddleware(notificationHandler))
 */
export function toKoaMiddleware(handler: Handler, options: NodeHandlerOptions = {}): (ctx: KoaContextLike) => Promise<void> {
  const settings = settingsOf('toKoaMiddleware', options);
  return (ctx) => {
    ctx.respond = false;
    const { rawBody, body } = ctx.request as { rawBody?: unknown; body?: unknown };
    return serve(handler, settings, {
      req: ctx.req,
      res: ctx.res,
      path: pathOf(ctx.req, ctx.originalUrl),
      copy: { raw: rawBody, parsed: body },
    });
  };
}

/** The parts of a Fastify request and reply {@link toFastifyPlugin} uses. */
interface FastifyRequestLike {
  raw: IncomingMessage;
  body?: unknown;
}
interface FastifyReplyLike {
  raw: ServerResponse;
  hijack(): unknown;
}
type ContentTypeParserDone = (error: Error | null, body?: unknown) => void;

/**
 * The parts of a Fastify instance {@link toFastifyPlugin} uses (Fastify's has them all).
 * @example const plugin: (app: FastifyLike) => Promise<void> = toFastifyPlugin('/caisse/notify', notificationHandler)
 */
export interface FastifyLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    contentType: string,
    parser: (request: unknown, payload: IncomingMessage, done: ContentTypeParserDone) => void,
  ): void;
  all(url: string, handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<void>): void;
}

/**
 * A Fastify plugin serving a web-standard handler at `url`, for every method (the
 * handler answers `405` to those it does not take). Fastify parses bodies before the
 * route runs and refuses media types it has no parser for (`415` to the payment server's
 * `application/jose` notifications); inside this plugin's own scope no parser runs, so the
 * handler reads the body exactly as it was sent, and the rest of your app keeps its parsers.
 * Takes `prefix` like any plugin; options as {@link toNodeHandler}.
 *
 * @example
 * import { toFastifyPlugin } from '@caisse/server-kit/node'
 * await app.register(toFastifyPlugin('/caisse/return', returnHandler))
 * await app.register(toFastifyPlugin('/caisse/notify', notificationHandler))
 */
export function toFastifyPlugin(url: string, handler: Handler, options: NodeHandlerOptions = {}): (app: FastifyLike) => Promise<void> {
  const settings = settingsOf('toFastifyPlugin', options);
  return async (app) => {
    app.removeAllContentTypeParsers();
    // Leave every body on the socket, whatever its type (also none): the handler reads it.
    app.addContentTypeParser('*', (_request, _payload, done) => done(null));
    app.all(url, (request, reply) => {
      reply.hijack();
      return serve(handler, settings, { req: request.raw, res: reply.raw, path: pathOf(request.raw), copy: { parsed: request.body } });
    });
  };
}
