import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A proxy in front of the sandbox bank that can keep one answer to itself: the request
 * reaches the bank (which acts on it), and the bank's answer never comes back, as when
 * the payment server dies while the bank is answering. Or it keeps the request itself,
 * which then never reaches the bank, as when the payment server dies while sending it.
 */
export async function startHoldingProxy(target: string) {
  let hold: { pattern: RegExp; forward: boolean; arrived: () => void } | undefined;
  const held: ServerResponse[] = [];

  async function body(request: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  const server = createServer((request, response) => {
    void (async () => {
      const sent = await body(request);
      if (hold?.pattern.test(request.url ?? '') && !hold.forward) {
        const { arrived } = hold;
        hold = undefined;
        held.push(response);
        arrived();
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'idempotency-key', 'accept']) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const upstream = await fetch(`${target}${request.url}`, {
        method: request.method ?? 'GET',
        headers,
        ...(request.method === 'GET' ? {} : { body: new Uint8Array(sent) }),
      });
      const text = await upstream.text();
      if (hold?.pattern.test(request.url ?? '')) {
        const { arrived } = hold;
        hold = undefined;
        held.push(response);
        arrived();
        return;
      }
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(text);
    })().catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    /**
     * The next request whose path matches reaches the bank; its answer is kept. Resolves once
     * the bank has acted. With `forward: false` the request itself is kept: the bank never sees it.
     */
    holdNext(pattern: RegExp, options: { forward?: boolean } = {}): Promise<void> {
      return new Promise((resolve) => {
        hold = { pattern, forward: options.forward ?? true, arrived: resolve };
      });
    },
    async close() {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
