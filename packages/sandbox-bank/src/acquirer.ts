import { createSandboxAcquirer, type SandboxAcquirer } from './adapter.js';

/**
 * An adapter module, as the payment server's `CAISSE_ACQUIRERS` names one: its default
 * export makes the acquirer from the entry's `options`. This one plugs in a sandbox bank,
 * for development and demos; name it once per bank to run several.
 * @example
 * CAISSE_ACQUIRERS='[{ "name": "sandbox", "module": "@caisse/sandbox-bank/acquirer", "options": { "url": "http://127.0.0.1:4010" } }]'
 */
export default function sandboxAcquirer(options: Record<string, unknown>): SandboxAcquirer {
  const { url, timeoutMs } = options;
  // Checked here: a malformed URL would otherwise surface only as every payment left pending.
  if (typeof url !== 'string' || !URL.canParse(url)) {
    throw new Error(
      'The sandbox acquirer needs options.url, the sandbox bank’s URL, e.g. http://127.0.0.1:4010 (start one with `caisse-sandbox-bank`).',
    );
  }
  if (timeoutMs !== undefined && typeof timeoutMs !== 'number')
    throw new Error('The sandbox acquirer’s options.timeoutMs must be a number of milliseconds.');
  return createSandboxAcquirer({ url, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
}
