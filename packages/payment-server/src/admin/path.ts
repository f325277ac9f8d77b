import { resolve } from 'node:path';
import type { Config } from '../config.js';

/** The admin socket's file name in CAISSE_DATA_DIR, beside the database it serves. */
export const ADMIN_SOCKET_NAME = 'admin.sock';

/**
 * Where a payment server on the embedded database listens for admin commands: in its data
 * folder, which only its owner may enter. Undefined with PostgreSQL (every command opens
 * its own connection) and in memory (no other process could reach the data anyway).
 * @example adminSocketPath({ DATABASE_URL: undefined, CAISSE_DATA_DIR: '.data/pay' }) // '/srv/caisse/.data/pay/admin.sock'
 */
export function adminSocketPath(config: Pick<Config, 'DATABASE_URL' | 'CAISSE_DATA_DIR'>, cwd = process.cwd()): string | undefined {
  if (config.DATABASE_URL !== undefined || config.CAISSE_DATA_DIR === '') return undefined;
  return resolve(cwd, config.CAISSE_DATA_DIR, ADMIN_SOCKET_NAME);
}
