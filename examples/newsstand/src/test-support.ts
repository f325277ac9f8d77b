// What the newsstand's tests share: a free port, and the newsstand registered with a payment
// server at the address it will listen on, as an operator registers it before it starts.
import { createServer } from 'node:net';
import type { startPaymentServer } from '@caisse/example-e2e';

/** A port free now, on 127.0.0.1 where the newsstand listens. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Registers the newsstand that will listen on `port` (`http://localhost:<port>`): its key,
 * return origin, notification URL and quote endpoint. Before it starts: at start-up it
 * stores its articles on the payment server, which needs to know it.
 */
export async function registerNewsstand(
  payment: Awaited<ReturnType<typeof startPaymentServer>>,
  jwks: { keys: Record<string, unknown>[] },
  port: number,
): Promise<string> {
  const url = `http://localhost:${port}`;
  await payment.server.merchants.register({
    id: 'newsstand',
    displayName: 'Le Kiosque',
    jwks,
    returnOrigins: [url],
    notifyUrl: `${url}/caisse/notify`,
    quoteUrl: `${url}/caisse/quote`,
  });
  return url;
}
