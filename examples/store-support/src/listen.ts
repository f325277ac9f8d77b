import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export interface ListenOptions {
  /** 0: any free port. */
  port: number;
  /** Default 127.0.0.1. */
  hostname?: string;
  /** The store's public URL; default `http://localhost:<port>`. */
  shopUrl?: string;
}

/**
 * Listens first, then makes the store: its tickets carry return URLs with the port it got,
 * which with `port: 0` is known only once it listens. Requests before then get a 503.
 * @example const shop = await listen({ port: 4100 }, (shopUrl) => createBookshop({ ...config, shopUrl }))
 */
export async function listen<Store extends { app: { fetch(request: Request): Response | Promise<Response> } }>(
  options: ListenOptions,
  create: (shopUrl: string) => Promise<Store>,
) {
  let store: Store | undefined;
  const server = serve({
    fetch: (request) => store?.app.fetch(request) ?? new Response('starting', { status: 503 }),
    port: options.port,
    hostname: options.hostname ?? '127.0.0.1',
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const url = options.shopUrl ?? `http://localhost:${(server.address() as AddressInfo).port}`;
  try {
    store = await create(url);
  } catch (error) {
    server.close();
    throw error;
  }
  return {
    ...store,
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
