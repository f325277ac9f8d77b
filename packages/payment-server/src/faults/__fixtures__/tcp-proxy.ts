import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy the test controls, between an instance of the payment server and something
 * it needs (its database, its bank): `cut()` makes a network partition, `heal()` ends it.
 * A partition drops packets, it does not refuse them: during a cut, connections already
 * open stop carrying anything and new ones are accepted and then hear nothing, so the
 * instance only learns of it through its own time-outs — the fault that hangs requests
 * and holds locks when nobody set one.
 */
export async function startTcpProxy(target: { host?: string; port: number }) {
  const host = target.host ?? '127.0.0.1';
  const pairs = new Set<[Socket, Socket | undefined]>();
  let cut = false;

  function silence(pair: [Socket, Socket | undefined]): void {
    for (const socket of pair) {
      if (socket === undefined) continue;
      socket.unpipe();
      socket.pause();
    }
  }

  const server = createServer((client) => {
    const pair: [Socket, Socket | undefined] = [client, undefined];
    pairs.add(pair);
    const forget = () => {
      pairs.delete(pair);
      for (const socket of pair) socket?.destroy();
    };
    client.on('error', forget).on('close', forget);
    if (cut) {
      client.pause();
      return;
    }
    const upstream = connect({ host, port: target.port });
    pair[1] = upstream;
    upstream.on('error', forget).on('close', forget);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    port,
    /** Starts the partition: nothing crosses in either direction, nothing is closed. */
    cut() {
      cut = true;
      for (const pair of pairs) silence(pair);
    },
    /**
     * Ends it. The connections that lived through it are closed (their peers gave up on
     * them, or will when they next send); new ones go through.
     */
    heal() {
      cut = false;
      for (const pair of [...pairs]) for (const socket of pair) socket?.destroy();
      pairs.clear();
    },
    /** Connections open through the proxy now. */
    get connections() {
      return pairs.size;
    },
    async close() {
      for (const pair of pairs) for (const socket of pair) socket?.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
