import { readFile } from 'node:fs/promises';
import { fileArgument, options, positional, UsageError } from '../cli/args.js';
import type { CliIo } from '../cli/commands.js';
import { output } from '../cli/output.js';
import { ProblemError } from '../http/problem.js';
import type { PaymentServer } from '../server.js';
import { ID_PATTERN } from './input.js';
import type { Merchant } from './model.js';
import type { MerchantStatusChange } from './status.js';

/** The merchant key commands, for the usage text of `caisse-server`. */
export const MERCHANT_KEYS_USAGE = `  merchants key add             MERCHANT JWKS_FILE   (the merchant's new public key(s), e.g. before a rotation; its tickets verify with them at once)
  merchants key retire          MERCHANT KID         (tickets signed with it are refused from now on; never the last active key)
  merchants quote-endpoint      MERCHANT URL|none    (where the payment server asks the merchant for quotes; none: no quotes)
  merchants origins             MERCHANT URL [URL …] (replaces its return origins, each exactly as https://shop.example)`;

type WithServer = <T>(io: CliIo, run: (server: PaymentServer) => Promise<T>) => Promise<T>;

/** The merchant lifecycle commands, for the usage text of `caisse-server`. */
export const MERCHANT_LIFECYCLE_USAGE = `  merchants approve             MERCHANT [--reason TEXT]   (a pending merchant takes payments from now on)
  merchants suspend             MERCHANT --reason TEXT     (no new payment, on every instance at once; refunds, escrow,
                                settlement and disputes of its past payments go on)
  merchants resume              MERCHANT [--reason TEXT]   (a suspended merchant takes payments again)
  merchants show                MERCHANT   its status, keys (kid, added, retired), origins and status history (reads only)`;

/**
 * Runs `merchants key add MERCHANT JWKS_FILE` or `merchants key retire MERCHANT KID`, or
 * answers undefined when `argv` is not one of the key commands: adds each public key of
 * the file to the merchant's active keys (`MerchantService.addKey`), what a merchant whose
 * tickets are refused `key_unknown` asks its payment operator for; or retires one.
 * @example const code = await merchantKeysCommand(['merchants', 'key', 'add', 'bookshop', 'keys/merchant-key.jwks.json'], io, withServer)
 */
export async function merchantKeysCommand(argv: string[], io: CliIo, withServer: WithServer): Promise<number | undefined> {
  const [group = '', action = '', ...rest] = argv;
  if (group === 'merchants' && action === 'quote-endpoint') return quoteEndpointCommand(rest, io, withServer);
  if (group === 'merchants' && action === 'origins') return returnOriginsCommand(rest, io, withServer);
  if (group !== 'merchants' || action !== 'key') return undefined;
  if (rest[0] === 'retire') return retireKeyCommand(rest.slice(1), io, withServer);
  const [verb, merchantId, file] = rest;
  if (verb !== 'add' || !merchantId || !file || rest.length !== 3 || rest.some((arg) => arg.startsWith('-'))) {
    throw new UsageError('merchants key add MERCHANT JWKS_FILE');
  }
  let jwks: unknown;
  try {
    jwks = JSON.parse(await readFile(fileArgument(io, file), 'utf8'));
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
  output(io).result({ merchantId, kids: added }, `Merchant ${merchantId} can now sign tickets with key(s) ${added.join(', ')}.`);
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
  output(io).result(
    { merchantId: merchant.id, quoteUrl: merchant.quoteUrl },
    merchant.quoteUrl === null
      ? `Merchant ${merchant.id} takes no quotes: its pages carry tickets it signs itself.`
      : `Merchant ${merchant.id} is asked for quotes at ${merchant.quoteUrl}.`,
  );
  return 0;
}

/**
 * `merchants origins MERCHANT URL [URL …]`: the merchant's return origins become exactly
 * these (`MerchantService.setReturnOrigins`), checked as at registration.
 * @throws ProblemError `origin_invalid`, `merchant_unknown`
 */
async function returnOriginsCommand(rest: string[], io: CliIo, withServer: WithServer): Promise<number> {
  const [merchantId, ...origins] = rest;
  if (!merchantId || origins.length === 0 || rest.some((arg) => arg.startsWith('-'))) {
    throw new UsageError('merchants origins MERCHANT URL [URL …]');
  }
  const merchant = await withServer(io, (server) => server.merchants.setReturnOrigins(merchantId, origins));
  output(io).result(
    { merchantId: merchant.id, returnOrigins: merchant.returnOrigins },
    `Merchant ${merchant.id} returns customers to ${merchant.returnOrigins.join(', ')} only.`,
  );
  return 0;
}

/**
 * `merchants key retire MERCHANT KID`: tickets signed with the key are refused
 * (`key_unknown`) from now on, on every instance; the key stays in `merchants show`.
 * @throws ProblemError `merchant_unknown`, `merchant_key_unknown`, `merchant_key_last`
 */
async function retireKeyCommand(rest: string[], io: CliIo, withServer: WithServer): Promise<number> {
  const [merchantId, kid] = rest;
  if (!merchantId || !kid || rest.length !== 2 || rest.some((arg) => arg.startsWith('-'))) {
    throw new UsageError('merchants key retire MERCHANT KID');
  }
  const merchant = await withServer(io, (server) => server.merchants.retireKey(merchantId, kid));
  const active = merchant.keys.filter((key) => key.retiredAt === null).map((key) => key.kid);
  output(io).result(
    { merchantId: merchant.id, retired: kid, activeKids: active },
    `Key ${kid} of merchant ${merchant.id} is retired: tickets signed with it are refused. Active key(s): ${active.join(', ')}.`,
  );
  return 0;
}

/** A merchant as the CLI prints it with `--json`: its keys by kid, never the JWK itself. */
export function merchantJson({ jwks, keys, ...merchant }: Merchant) {
  return { ...merchant, keys: keys.map(({ kid, addedAt, retiredAt }) => ({ kid, addedAt, retiredAt })) };
}

/**
 * Who the CLI says made a status change: `cli:<user>` with the operator's login name
 * (`USER`), or `cli` when there is none of the id form (it is stored, and shown).
 */
function changedBy(io: CliIo): string {
  const user = io.env.USER;
  return user !== undefined && ID_PATTERN.test(user) ? `cli:${user}` : 'cli';
}

/**
 * Runs `merchants approve|suspend|resume|show`, or answers undefined when `argv` is not one
 * of them. The moves go through `MerchantService` (`approve`, `suspend`, `resume`), so the
 * CLI and the console change a merchant the same way and both land in its history.
 * @example const code = await merchantLifecycleCommand(['merchants', 'suspend', 'bookshop', '--reason', 'Chargebacks'], io, withServer)
 */
export async function merchantLifecycleCommand(argv: string[], io: CliIo, withServer: WithServer): Promise<number | undefined> {
  const [group = '', action = '', ...rest] = argv;
  if (group !== 'merchants') return undefined;
  if (action === 'show') return showCommand(rest, io, withServer);
  if (action !== 'approve' && action !== 'suspend' && action !== 'resume') return undefined;
  const [merchantId = '', ...flags] = rest;
  if (merchantId === '' || merchantId.startsWith('-')) throw new UsageError(`Give the MERCHANT to ${action}.`);
  const { reason } = options(flags, { reason: { type: 'string' } });
  if (action === 'suspend' && !reason) throw new UsageError('--reason is required: a suspension always says why.');
  const by = changedBy(io);
  const merchant = await withServer(io, (server) => {
    if (action === 'suspend') return server.merchants.suspend(merchantId, { by, reason: reason ?? '' });
    const change = reason === undefined ? { by } : { by, reason };
    return action === 'approve' ? server.merchants.approve(merchantId, change) : server.merchants.resume(merchantId, change);
  });
  output(io).result(
    merchantJson(merchant),
    merchant.status === 'active'
      ? `Merchant ${merchant.id} is active: it takes payments from now on.`
      : `Merchant ${merchant.id} is suspended: its new tickets and payments are refused (merchant_suspended); refunds, escrow, settlement and disputes of its past payments go on.`,
  );
  return 0;
}

/** `merchants show MERCHANT`: one tab-separated line per field, then one per key and per status change. */
async function showCommand(rest: string[], io: CliIo, withServer: WithServer): Promise<number> {
  const merchantId = positional(rest, 'MERCHANT');
  const { merchant, history } = await withServer(io, async (server) => ({
    merchant: await server.merchants.get(merchantId),
    history: await server.merchants.statusHistory(merchantId),
  }));
  const change = (entry: MerchantStatusChange) =>
    `history\t${entry.at.toISOString()}\t${entry.from} -> ${entry.to}\t${entry.by}${entry.reason === null ? '' : `\t${entry.reason}`}`;
  output(io).result({ ...merchantJson(merchant), history }, [
    `id\t${merchant.id}`,
    `name\t${merchant.displayName}`,
    `status\t${merchant.status}`,
    `registered\t${merchant.createdAt.toISOString()}`,
    `origins\t${merchant.returnOrigins.join(' ')}`,
    `notify-url\t${merchant.notifyUrl ?? 'none'}`,
    `quote-url\t${merchant.quoteUrl ?? 'none'}`,
    ...merchant.keys.map(
      (key) =>
        `key\t${key.kid}\tadded ${key.addedAt.toISOString()}\t${key.retiredAt === null ? 'active' : `retired ${key.retiredAt.toISOString()}`}`,
    ),
    ...history.map(change),
  ]);
  return 0;
}
