import pg from 'pg';
import { checkChannel, type ListenOptions } from './database.js';

export interface PgListenerOptions {
  url: string;
  types: pg.CustomTypesConfig;
  /** A lost connection, a failed reconnection, or a listener that threw. */
  onError?: (error: Error) => void;
  /** How long to wait for the connection to open. */
  connectTimeoutMs?: number;
}

export interface PgListener {
  listen(channel: string, onPayload: (payload: string) => void, options?: ListenOptions): Promise<() => Promise<void>>;
  /** `up` when the connection listens, `down` while it reconnects, `idle` when nothing listens. */
  state(): 'up' | 'down' | 'idle';
  close(): Promise<void>;
}

/** Shown in `pg_stat_activity`, so an operator can tell the listening connection from the pool's. */
export const LISTENER_APPLICATION_NAME = 'caisse-listener';

const FIRST_RETRY_MS = 250;
const LAST_RETRY_MS = 10_000;
/**
 * A connection that only listens sends nothing, so a network that silently drops packets
 * would leave it deaf for as long as TCP keep-alive takes (minutes to hours): it is asked
 * a trivial query this often, and dropped and reopened when it does not answer in time.
 */
const HEARTBEAT_EVERY_MS = 10_000;
const HEARTBEAT_TIMEOUT_MS = 5_000;

interface Listener {
  onPayload(payload: string): void;
  onResume?: (() => void) | undefined;
}

/**
 * Every listener of one database shares one dedicated connection, outside the pool: a
 * pooled connection goes back to the pool between queries, and LISTEN lasts as long as its
 * session. Opened on the first listen; when it drops, it is reopened (with backoff), every
 * channel still wanted is listened to again, and every listener is told to re-read.
 */
export function createPgListener(options: PgListenerOptions): PgListener {
  const channels = new Map<string, Set<Listener>>();
  let connection: Promise<pg.Client> | undefined;
  let live: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelay = FIRST_RETRY_MS;
  let closed = false;
  let heartbeat: NodeJS.Timeout | undefined;
  // LISTEN and UNLISTEN go one at a time: pg is deprecating concurrent queries on one client.
  let commands: Promise<unknown> = Promise.resolve();

  function command(client: pg.Client, sql: string | pg.QueryConfig): Promise<unknown> {
    const result = commands.then(() => client.query(sql));
    commands = result.catch(() => undefined);
    return result;
  }

  const report = (error: unknown) => options.onError?.(error instanceof Error ? error : new Error(String(error)));

  function call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      report(error);
    }
  }

  function dispatch(channel: string, payload: string): void {
    for (const listener of channels.get(channel) ?? []) call(() => listener.onPayload(payload));
  }

  function resume(): void {
    for (const set of channels.values()) for (const { onResume } of set) if (onResume !== undefined) call(onResume);
  }

  function lost(client: pg.Client): void {
    if (live !== client) return;
    live = undefined;
    connection = undefined;
    clearInterval(heartbeat);
    heartbeat = undefined;
    // end() waits for the server's goodbye, which a cut network never sends: close the socket.
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    client.end().catch(() => undefined);
    scheduleReconnect();
  }

  function watch(client: pg.Client): void {
    clearInterval(heartbeat);
    heartbeat = setInterval(() => {
      // `query_timeout` is read by pg per query, though its types do not list it.
      const ping = { text: 'SELECT 1', query_timeout: HEARTBEAT_TIMEOUT_MS } as pg.QueryConfig;
      command(client, ping).catch((error: unknown) => {
        report(error);
        lost(client);
      });
    }, HEARTBEAT_EVERY_MS);
    heartbeat.unref();
  }

  function scheduleReconnect(): void {
    if (closed || channels.size === 0 || retryTimer !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect().then(
        () => {
          retryDelay = FIRST_RETRY_MS;
          resume();
        },
        (error: unknown) => {
          report(error);
          retryDelay = Math.min(retryDelay * 2, LAST_RETRY_MS);
          scheduleReconnect();
        },
      );
    }, retryDelay);
    retryTimer.unref();
  }

  function connect(): Promise<pg.Client> {
    if (connection !== undefined) return connection;
    const client = new pg.Client({
      connectionString: options.url,
      types: options.types,
      application_name: LISTENER_APPLICATION_NAME,
      keepAlive: true,
      ...(options.connectTimeoutMs === undefined ? {} : { connectionTimeoutMillis: options.connectTimeoutMs }),
    });
    client.on('notification', (message) => dispatch(message.channel, message.payload ?? ''));
    client.on('error', (error) => {
      report(error);
      lost(client);
    });
    client.on('end', () => lost(client));
    live = client;
    const opening = (async () => {
      await client.connect();
      for (const channel of channels.keys()) await command(client, `LISTEN "${channel}"`);
      watch(client);
      return client;
    })();
    connection = opening;
    opening.catch(() => {
      if (live === client) {
        live = undefined;
        connection = undefined;
      }
      client.end().catch(() => undefined);
    });
    return opening;
  }

  return {
    async listen(channel, onPayload, options) {
      if (closed) throw new Error('The database is closed.');
      checkChannel(channel);
      // An object of its own, so the same function listening twice is stopped twice.
      const listener: Listener = { onPayload, onResume: options?.onResume };
      const set = channels.get(channel) ?? new Set();
      set.add(listener);
      channels.set(channel, set);
      try {
        const client = await connect();
        await command(client, `LISTEN "${channel}"`);
      } catch (error) {
        set.delete(listener);
        if (set.size === 0) channels.delete(channel);
        throw error;
      }
      let stopped = false;
      return async () => {
        if (stopped) return;
        stopped = true;
        set.delete(listener);
        if (set.size > 0 || channels.get(channel) !== set) return;
        channels.delete(channel);
        // A connection that is down listens to nothing; the next one will not listen to this channel.
        if (live !== undefined && connection !== undefined) {
          await command(await connection, `UNLISTEN "${channel}"`).catch(report);
        }
      };
    },

    state: () => (channels.size === 0 ? 'idle' : live !== undefined && connection !== undefined && heartbeat !== undefined ? 'up' : 'down'),

    async close() {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(heartbeat);
      channels.clear();
      const client = live;
      live = undefined;
      connection = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}
