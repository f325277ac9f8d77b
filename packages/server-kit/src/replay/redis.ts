import { CaisseError } from '@caisse/protocol';
import { assertKey, assertTime, clockReading } from './arguments.js';
import type { ReplayStore } from './store.js';

/**
 * An ioredis client (`Redis` or `Cluster`): commands go through `call`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const client: IoredisClient = new Redis(process.env.REDIS_URL);
 * ```
 */
export interface IoredisClient {
  call(command: string, ...args: string[]): Promise<unknown>;
}

/**
 * A node-redis (v4 or later) client: commands go through `sendCommand`.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const client: NodeRedisClient = await createClient({ url: process.env.REDIS_URL }).connect();
 * ```
 */
export interface NodeRedisClient {
  sendCommand(args: string[]): Promise<unknown>;
}

/** Options of {@link redisReplayStore}. */
export interface RedisReplayStoreOptions {
  /** An ioredis or node-redis client; which one is detected from its methods. */
  client: IoredisClient | NodeRedisClient;
  /** Prepended to every key (default `caisse:replay:`), so replay records never collide with the application's own keys. */
  prefix?: string;
  /** The clock, in milliseconds since the epoch (default `Date.now`); it turns `expiresAt` into the record's time to live. */
  now?: () => number;
}

/**
 * A replay store shared by every process that reaches one Redis, so a token is accepted
 * once across all the merchant's server instances.
 *
 * A claim is `SET <prefix><key> 1 PX <ttl> NX`: Redis runs commands one at a time, so of
 * concurrent claimers exactly one sets the key, and Redis itself forgets it when the
 * time to live ends. Keys travel as separate protocol arguments, never spliced into
 * command text. Redis expires records by its own clock, so keep it in time with the
 * verifier's. Give the client a `commandTimeout` (ioredis) or equivalent: a claim waits
 * as long as the client does, and only then rejects.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisReplayStore } from '@caisse/server-kit';
 *
 * const replay = redisReplayStore({ client: new Redis(process.env.REDIS_URL, { commandTimeout: 2_000 }) });
 * if (!(await replay.claim(`voucher:${claims.jti}`, claims.exp * 1000))) refuse('token_replayed');
 * ```
 */
export function redisReplayStore(options: RedisReplayStoreOptions): ReplayStore {
  const { client, prefix = 'caisse:replay:', now = Date.now } = options;
  if (typeof prefix !== 'string') throw new TypeError('redisReplayStore: prefix must be a string');
  const send = commandSender(client);

  async function run(args: string[], doing: string): Promise<unknown> {
    try {
      return await send(args);
    } catch (cause) {
      throw new CaisseError('replay_store_unavailable', `The Redis replay store could not ${doing}.`, { cause });
    }
  }

  return {
    async claim(key, expiresAt, callerNow) {
      assertKey(key);
      assertTime(expiresAt, 'expiresAt');
      const at = clockReading(callerNow, now);
      // PX must be a positive integer; rounding up never shortens the record.
      const ttl = Math.max(1, Math.ceil(expiresAt - at));
      const doing = 'record the claim; the token is refused rather than risk accepting it twice';
      const reply = await run(['SET', prefix + key, '1', 'PX', String(ttl), 'NX'], doing);
      if (reply === 'OK') return true;
      if (reply === null) return false;
      throw new CaisseError('replay_store_unavailable', `The Redis replay store could not ${doing}: SET answered neither OK nor nil.`);
    },
    async release(key) {
      assertKey(key);
      await run(['DEL', prefix + key], 'release the key');
    },
  };
}

function commandSender(client: IoredisClient | NodeRedisClient): (args: string[]) => Promise<unknown> {
  // ioredis also has a `sendCommand`, but it takes a Command object: look for `call` first.
  if (typeof (client as Partial<IoredisClient> | undefined)?.call === 'function') {
    const ioredis = client as IoredisClient;
    return ([command, ...args]) => ioredis.call(command as string, ...args);
  }
  if (typeof (client as Partial<NodeRedisClient> | undefined)?.sendCommand === 'function') {
    const nodeRedis = client as NodeRedisClient;
    return (args) => nodeRedis.sendCommand(args);
  }
  throw new TypeError('redisReplayStore: client must be an ioredis client (with call) or a node-redis client (with sendCommand)');
}
