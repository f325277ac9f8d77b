import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createSandboxBank, type SandboxBank, type SandboxBankOptions } from './app.js';

export interface StartSandboxBankOptions extends SandboxBankOptions {
  /** Default 0: a free port, chosen by the system. */
  readonly port?: number;
  /** Default `127.0.0.1`: the sandbox bank is for this machine only. */
  readonly host?: string;
}

export interface RunningSandboxBank {
  /** `http://host:port`, without a trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly bank: SandboxBank;
  /** Stops listening, cuts delayed answers short and drops open connections. Calling it again is harmless. */
  close(): Promise<void>;
}

/**
 * Serves the sandbox bank over HTTP with @hono/node-server.
 * @example
 * const bank = await startSandboxBank({ port: 0, timeoutDelayMs: 400 });
 * const acquirer = createSandboxAcquirer({ url: bank.url, timeoutMs: 200 });
 * try { … } finally { await bank.close(); }
 */
export async function startSandboxBank(options: StartSandboxBankOptions = {}): Promise<RunningSandboxBank> {
  const { port = 0, host = '127.0.0.1', ...bankOptions } = options;
  const bank = createSandboxBank(bankOptions);
  let server: Server | undefined;
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    // overrideGlobalObjects: false, so that serving the bank inside the payment server's
    // process does not swap the global Request and Response the rest of it uses.
    server = serve({ fetch: bank.app.fetch, port, hostname: host, overrideGlobalObjects: false }, resolve) as Server;
    server.once('error', reject);
  });
  const listening = server as Server;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${hostInUrl}:${info.port}`,
    port: info.port,
    bank,
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        bank.abort();
        listening.close((error) => (error ? reject(error) : resolve()));
        listening.closeAllConnections();
      });
      return closed;
    },
  };
}
