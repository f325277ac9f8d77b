import { readFile } from 'node:fs/promises';
import { UsageError } from '../cli/args.js';
import type { CliIo } from '../cli/commands.js';
import { ProblemError } from '../http/problem.js';
import type { PaymentServer } from '../server.js';

/** The merchant key commands, for the usage text of `caisse-server`. */
export const MERCHANT_KEYS_USAGE = `  merchants key add             MERCHANT JWKS_FILE   (the merchant's new public key(s), e.g. before a rotation; its tickets verify with them at once)
  merchants quote-endpoint      MERCHANT URL|none    (where the payment server asks the merchant for quotes; none: no quotes)`;

type WithServer = <T>(io: CliIo, run: (server: PaymentServer) => Promise<T>) => Promise<T>;

/**
 * Runs `merchants key add MERCHANT JWKS_FILE`, or answers undefined when `argv` is not it:
 * adds each public key of the file to the merchant's active keys (`MerchantService.addKey`).
 * What a merchant whose tickets are refused `key_unknown` asks its payment operator for.
 * @example const code = await merchantKeysCommand(['merchants', 'key', 'add', 'bookshop', 'keys/merchant-key.jwks.json'], io, withServer)
 */
export async function merchantKeysCommand(argv: string[], io: CliIo, withServer: WithServer): Promise<number | undefined> {
  const [group = '', action = '', ...rest] = argv;
  if (group === 'merchants' && action === 'quote-endpoint') return quoteEndpointCommand(rest, io, withServer);
  if (group !== 'merchants' || action !== 'key') return undefined;
  const [verb, merchantId, file] = rest;
  if (verb !== 'add' || !merchantId || !file || rest.length !== 3 || rest.some((arg) => arg.startsWith('-'))) {
    throw new UsageError('merchants key add MERCHANT JWKS_FILE');
  }
  let jwks: unknown;
  try {
    jwks = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new ProblemError('keys_invalid', `${file} is not a readable JSON key set.`, { cause });
  }
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new ProblemError('keys_invalid', `${file} holds no "keys" array with a public key.`);
  const added = await withServer(io, async (server) => {
    const kids: string[] = [];
    // One key at a time: each added key stays added if a later one is refused (the message says which).
    for (const key of keys) {
      await server.merchants.addKey(merchantId, key);
      kids.push(String((key as { kid?: unknown }).kid));
    }
    return kids;
  });
  io.out(`Merchant ${merchantId} can now sign tickets with key(s) ${added.join(', ')}.`);
  return 0;
}

/**
 * `merchants quote-endpoint MERCHANT URL|none`: sets or removes the merchant's quote
 * endpoint (docs/quotes-and-delivery.md). The URL is https, or http on localhost.
 */
async function quoteEndpointCommand(rest: string[], io: CliIo, withServer: WithServer): Promise<number> {
  const [merchantId, url] = rest;
  if (!merchantId || !url || rest.length !== 2 || rest.some((arg) => arg.startsWith('-'))) {
    throw new UsageError('merchants quote-endpoint MERCHANT URL|none');
  }
  const merchant = await withServer(io, (server) => server.merchants.setQuoteUrl(merchantId, url === 'none' ? null : url));
  io.out(
    merchant.quoteUrl === null
      ? `Merchant ${merchant.id} takes no quotes: its pages carry tickets it signs itself.`
      : `Merchant ${merchant.id} is asked for quotes at ${merchant.quoteUrl}.`,
  );
  return 0;
}
