import type { MiddlewareHandler } from 'hono';

/**
 * `Connection: close` on every 413. A body over an endpoint's limit is refused unread (its
 * Content-Length is enough, or counting stops at the limit), so the rest of it still waits
 * on the connection: @hono/node-server drains it for at most 500 ms and then drops the
 * socket, while the 413 had said keep-alive, and the client's next request on that
 * connection failed. Reading the rest instead would let any client make us read any size,
 * so the connection is closed and the 413 says so (RFC 9110 §15.5.14; RFC 9112 §9.6: the
 * client then opens a new one). The server kit's Node adapter does the same.
 * @example app.use(closeAfterTooLarge())
 */
export function closeAfterTooLarge(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.res.status === 413) c.res.headers.set('connection', 'close');
  };
}
