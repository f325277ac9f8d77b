import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Acquirer } from '@caisse/acquirer';
import type { AcquirerEntry } from '../config.js';
import { type AcquirerConfig, checkAcquirers } from './routing.js';

/**
 * What an adapter module exports by default: a function that makes the acquirer from the
 * entry's `options` (a base URL, credentials read from the environment…).
 * @example export default function createMyBank(options: { url: string }): Acquirer { … }
 */
export type AcquirerFactory = (options: Record<string, unknown>) => Acquirer | Promise<Acquirer>;

/** A path (`./adapters/my-bank.js`, absolute) is taken from `cwd`; any other name is a package (`@my-org/caisse-my-bank`). */
function specifierOf(module: string, cwd: string): string {
  if (module.startsWith('.') || isAbsolute(module)) return pathToFileURL(resolve(cwd, module)).href;
  return module;
}

/**
 * Loads the adapter module of each configured acquirer (CAISSE_ACQUIRERS) and makes the
 * acquirers, in routing order.
 * @throws Error naming the acquirer whose module cannot be loaded or exports no factory
 * @example const acquirers = await loadAcquirers(config.CAISSE_ACQUIRERS ?? [])
 */
export async function loadAcquirers(entries: readonly AcquirerEntry[], cwd = process.cwd()): Promise<AcquirerConfig[]> {
  const loaded: AcquirerConfig[] = [];
  for (const entry of entries) {
    let module: { default?: unknown };
    try {
      module = (await import(specifierOf(entry.module, cwd))) as { default?: unknown };
    } catch (error) {
      throw new Error(`Acquirer ${entry.name}: cannot load its module ${entry.module}.`, { cause: error });
    }
    if (typeof module.default !== 'function') {
      throw new Error(`Acquirer ${entry.name}: ${entry.module} must export by default a function (options) => Acquirer.`);
    }
    const acquirer = await (module.default as AcquirerFactory)(entry.options);
    loaded.push({ name: entry.name, acquirer, ...(entry.routes === undefined ? {} : { routes: entry.routes }) });
  }
  return [...checkAcquirers(loaded)];
}
