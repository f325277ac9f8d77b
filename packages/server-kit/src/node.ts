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
 * A Node `http` request listener, also usable as Express or Connect middleware.
 * @example const listener: NodeHandler = toNodeHandler(notificationHandler); http.createServer(listener)
 */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

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

/** Express strips its mount path from `req.url` and keeps the whole one in `originalUrl`; the handler needs the whole one to redirect. */
function pathOf(req: IncomingMessage): string {
  const target = (req as { originalUrl?: unknown }).originalUrl;
  const path = typeof target === 'string' ? target : (req.url ?? '/');
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

/** A body an Express parser (express.json, express.text, express.raw) already read, turned back into bytes. */
function parsedBody(req: IncomingMessage): Buffer | undefined {
  const body = (req as { body?: unknown }).body;
  if (!req.readableEnded || body === undefined) return undefined;
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(JSON.stringify(body));
}

/** Buffers the body up to `maxBytes`, refusing a larger one as soon as it is declared or crosses the bound. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  const parsed = parsedBody(req);
  if (parsed !== undefined) return parsed.length > maxBytes ? Promise.reject(tooLarge(maxBytes)) : Promise.resolve(parsed);
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
      resolve(Buffer.concat(chunks));
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

async function toRequest(req: IncomingMessage, res: ServerResponse, options: NodeHandlerOptions, maxBodyBytes: number): Promise<Request> {
  const url = `${originOf(req, options)}${pathOf(req)}`;
  const headers = new Headers();
  try {
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] as string;
      // HTTP/2 pseudo-headers (":path") are not header names a Request accepts.
      if (!name.startsWith(':')) headers.append(name, req.rawHeaders[i + 1] as string);
    }
  } catch {
    // Node's parser is more lenient than the Fetch standard about header values.
    throw new RequestRefused(
      problemResponse(new CaisseError('message_invalid', 'The request carries a header value that is not allowed.')),
    );
  }
  const method = req.method ?? 'GET';
  const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req, maxBodyBytes);
  const controller = new AbortController();
  // A client that hangs up aborts `request.signal`, so a handler can stop work nobody will receive.
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  // Node's Buffers are Uint8Arrays over a plain ArrayBuffer; the DOM typings only want to hear the latter.
  return new Request(url, { method, headers, body: body as Uint8Array<ArrayBuffer> | undefined, signal: controller.signal });
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

function bareOrigin(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== text.replace(/\/$/, '')) {
    throw new TypeError('toNodeHandler: origin must be a bare origin such as https://shop.example.');
  }
  return url.origin;
}

/**
 * Adapts a web-standard handler (`createReturnHandler`, `createNotificationHandler`, or
 * any `(Request) => Response`) to Node's `http` and to Express. The request URL is built
 * from `origin`, or from the `Host` header (and `X-Forwarded-*` with `trustProxy`); the
 * body is bounded; the response is streamed back with every `Set-Cookie` intact. A handler
 * that throws gets a bare `500` problem: the error goes to `onError`, never to the client.
 *
 * @example
 * import { toNodeHandler } from '@caisse/server-kit/node'
 * http.createServer(toNodeHandler(returnHandler, { origin: 'https://shop.example' })).listen(3000)
 * // Express
 * app.post('/caisse/notify', toNodeHandler(notificationHandler))
 * app.get('/caisse/return', toNodeHandler(returnHandler, { trustProxy: true }))
 */
export function toNodeHandler(handler: (request: Request) => Response | Promise<Response>, options: NodeHandlerOptions = {}): NodeHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0)
    throw new TypeError('toNodeHandler: maxBodyBytes must be a non-negative integer.');
  const settings: NodeHandlerOptions = { ...options, origin: options.origin === undefined ? undefined : bareOrigin(options.origin) };
  const report = options.onError ?? ((error: unknown) => console.error('caisse: the request handler failed', error));

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let response: Response;
    try {
      response = await handler(await toRequest(req, res, settings, maxBodyBytes));
    } catch (error) {
      if (error instanceof ClientGone) {
        res.destroy();
        return;
      }
      if (error instanceof RequestRefused) response = error.response;
      else {
        report(error);
        response = internalErrorResponse();
      }
    }
    try {
      await send(res, response, req.method);
    } catch (error) {
      // A client that went away is routine; anything else is a broken response body.
      if ((error as { code?: unknown }).code !== 'ERR_STREAM_PREMATURE_CLOSE') report(error);
      if (!res.headersSent) {
        await send(res, internalErrorResponse(), req.method).catch(() => undefined);
      } else res.destroy();
    }
  }

  return (req, res) => {
    void serve(req, res);
  };
}
