import { options, positional, UsageError } from '../cli/args.js';
import type { CliIo } from '../cli/commands.js';
import { output } from '../cli/output.js';
import type { PaymentServer } from '../server.js';
import { LIST_DEFAULT, LIST_MAX, REFUSAL_RETENTION_DAYS } from './model.js';

/** The ticket refusal commands, for the usage text of `caisse-server`. */
export const TICKET_REFUSALS_USAGE = `  merchants refusals MERCHANT   [--limit ${LIST_DEFAULT}]   the tickets refused at intake that named MERCHANT (${REFUSAL_RETENTION_DAYS} days, most recent
                                first): last seen, code, count, first seen, last ticket id, what to do (reads only)`;

type WithServer = <T>(io: CliIo, run: (server: PaymentServer) => Promise<T>) => Promise<T>;

/**
 * Runs `merchants refusals MERCHANT`, or answers undefined when `argv` is not it: what the
 * merchant API's `GET /v1/ticket-refusals` lists, for the operator helping a merchant.
 * One tab-separated line per refusal on stdout, the message last.
 * @example const code = await ticketRefusalsCommand(['merchants', 'refusals', 'bookshop'], io, withServer)
 */
export async function ticketRefusalsCommand(argv: string[], io: CliIo, withServer: WithServer): Promise<number | undefined> {
  const [group = '', action = '', ...rest] = argv;
  if (group !== 'merchants' || action !== 'refusals') return undefined;
  const [merchantId = '', ...flags] = rest;
  positional([merchantId], 'MERCHANT');
  const found = options(flags, { limit: { type: 'string' } });
  const limit = found.limit === undefined ? LIST_DEFAULT : Number(found.limit);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > LIST_MAX)
    throw new UsageError(`--limit is a whole number from 1 to ${LIST_MAX}.`);
  const refusals = await withServer(io, async (server) => {
    await server.merchants.get(merchantId);
    return server.ticketRefusals.list(merchantId, { limit });
  });
  const print = output(io);
  if (refusals.length === 0) print.note(`No ticket naming ${merchantId} was refused in the last ${REFUSAL_RETENTION_DAYS} days.`);
  print.list(refusals, {
    line: (refusal) =>
      `${refusal.lastSeenAt}\t${refusal.code}\t${refusal.count}\t${refusal.firstSeenAt}\t${refusal.ticket ?? '-'}\t${refusal.message}`,
    json: (refusal) => refusal,
  });
  return 0;
}
