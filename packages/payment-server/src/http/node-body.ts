import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * A request body read straight from Node's `IncomingMessage`, for a hot endpoint served
 * by @hono/node-server. Hono's own reading (`c.req.text()`, and `bodyLimit`, which looks
 * at `c.req.raw.body`) first turns the lightweight request into a full web `Request`:
 * headers copied into a `Headers`, an `AbortController`, the socket wrapped in a web
 * `ReadableStream` (`Readable.toWeb`) and read back through it, about a quarter of a
 * millisecond of CPU per request. Reading the few bytes from the socket as Node hands
 * them over costs a tenth of that. The limit is the same: a `Content-Length` over it is
 * refused unread, and counting stops at the limit for a body without one.
 *
 * Only for a route nothing else reads the body of (no assertion hashing it, no
 * middleware touching `c.req.raw.body`).
 */

/** A request body as {@link limitedNodeBody} read it. */
export interface RawBody {
  text: string;
  contentType: string | undefined;
}

type Incoming = Readable & { headers: IncomingHttpHeaders };

/** The `IncomingMessage` behind a request served by @hono/node-server (`c.env.incoming`), if unread; undefined elsewhere (tests' `app.request`, other runtimes). */
function unreadIncoming(c: Context): Incoming | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return incoming instanceof Readable && 'headers' in incoming && !incoming.readableDidRead && !incoming.readableEnded
    ? (incoming as Incoming)
    : undefined;
}

/** Decodes as `Request.text()` does (UTF-8, a leading BOM dropped, invalid bytes replaced), so both paths read the same text. */
const decoder = new TextDecoder();

function readLimited(incoming: Incoming, maxSize: number, tooLarge: () => Error): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxSize) {
        // Stop reading: the 413 closes the connection (close-after-too-large.ts), so the rest is never read.
        incoming.off('data', onData);
        incoming.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    incoming.on('data', onData);
    incoming.once('end', () => resolve(decoder.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size))));
    incoming.once('error', reject);
  });
}

/**
 * A route's body limit and body reader as one pair: `limit` enforces `maxSize` (Hono's
 * `bodyLimit` where the Node path is not taken), and `read(c)` reads the body and its
 * Content-Type, from the socket under @hono/node-server, through Hono elsewhere.
 * @example const body = limitedNodeBody({ maxSize, tooLarge }); app.post(path, body.limit, async (c) => use(await body.read(c)))
 */
export function limitedNodeBody(options: { maxSize: number; tooLarge: () => Error }): {
  limit: MiddlewareHandler;
  read(c: Context): Promise<RawBody>;
} {
  const { maxSize, tooLarge } = options;
  const fallback = bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge();
    },
  });
  return {
    limit: async (c, next) => {
      const incoming = unreadIncoming(c);
      if (incoming === undefined) return fallback(c, next);
      const declared = incoming.headers['content-length'];
      // As bodyLimit: a declared length over the limit is refused before reading anything.
      if (declared !== undefined && incoming.headers['transfer-encoding'] === undefined && Number.parseInt(declared, 10) > maxSize) {
        throw tooLarge();
      }
      await next();
    },
    async read(c) {
      const incoming = unreadIncoming(c);
      if (incoming === undefined) return { text: await c.req.text(), contentType: c.req.header('content-type') };
      return { text: await readLimited(incoming, maxSize, tooLarge), contentType: incoming.headers['content-type'] };
    },
  };
}
