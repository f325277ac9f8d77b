import { staticKeySet } from '../keys/import.js';
import type { KeySet } from '../keys/types.js';
import { readJsonFile } from './io.js';

/** A JWKS file loaded as a static key set, with the number of keys it holds. */
export interface LoadedKeys {
  keys: KeySet;
  file: string;
  count: number;
}

/**
 * Loads `--jwks FILE`. Throws `input_unreadable`, `input_invalid` (not JSON) or the kit's
 * `keys_invalid` (a private key given by mistake lands here, and is never printed).
 */
export async function loadJwksFile(file: string): Promise<LoadedKeys> {
  const jwks = await readJsonFile(file, 'JWKS');
  const keys = staticKeySet(jwks);
  return { keys, file, count: (jwks as { keys: unknown[] }).keys.length };
}
