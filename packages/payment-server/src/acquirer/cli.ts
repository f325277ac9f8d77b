import { toDecimalString } from '@caisse/protocol';
import { options, UsageError } from '../cli/args.js';
import type { CliIo } from '../cli/commands.js';
import { jsonMoney, output } from '../cli/output.js';
import type { PaymentServer } from '../server.js';
import { isDate } from '../settlement/cutoff.js';
import type { AcquirerRoute } from './routing.js';
import { acquirerTotals } from './totals.js';

/** The acquirer commands, for the usage text of `caisse-server`. */
export const ACQUIRER_USAGE = `  acquirers list                the configured acquirers (CAISSE_ACQUIRERS), in routing order, with their routes
  acquirers totals              [--from YYYY-MM-DD] [--to YYYY-MM-DD]   (approved operations per acquirer: reconcile with each bank's statement)
  acquirers pending             bank operations whose outcome is not known yet (reconciliation settles them)`;

type WithServer = <T>(io: CliIo, run: (server: PaymentServer) => Promise<T>) => Promise<T>;

function describeRoute(route: AcquirerRoute): string {
  const parts = [
    route.currencies && `currencies ${route.currencies.join(' ')}`,
    route.minAmount !== undefined && `from ${route.minAmount}`,
    route.maxAmount !== undefined && `below ${route.maxAmount}`,
    route.merchants && `merchants ${route.merchants.join(' ')}`,
  ].filter(Boolean);
  return parts.length === 0 ? 'everything' : parts.join(', ');
}

function day(value: unknown, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  if (!isDate(text)) throw new UsageError(`--${name}: must be a calendar date written YYYY-MM-DD.`);
  return new Date(`${text}T00:00:00Z`);
}

/**
 * Runs an acquirer command, or answers undefined when `argv` is not one of them.
 * @example const code = await acquirerCommand(['acquirers', 'totals', '--from', '2026-12-01'], io, withServer)
 */
export async function acquirerCommand(argv: string[], io: CliIo, withServer: WithServer): Promise<number | undefined> {
  const [group = '', action = '', ...rest] = argv;
  if (group !== 'acquirers') return undefined;
  const print = output(io);
  switch (action) {
    case 'list': {
      options(rest, {});
      const acquirers = await withServer(io, async (server) => server.acquirers);
      print.list(acquirers, {
        line: (acquirer) => `${acquirer.name}\t${(acquirer.routes ?? [{}]).map(describeRoute).join(' | ')}`,
        // The adapter object is code, and its options may hold credentials: the name and routes only.
        json: (acquirer) => ({ name: acquirer.name, routes: acquirer.routes ?? [] }),
        empty: 'No acquirer is configured (CAISSE_ACQUIRERS): bank amounts are declined.',
      });
      return 0;
    }
    case 'totals': {
      const values = options(rest, { from: { type: 'string' }, to: { type: 'string' } });
      const from = day(values.from, 'from');
      const to = day(values.to, 'to');
      const totals = await withServer(io, (server) =>
        acquirerTotals(server.db, { ...(from ? { from } : {}), ...(to ? { to: new Date(to.getTime() + 86_400_000) } : {}) }),
      );
      print.list(totals, {
        line: (total) =>
          `${total.acquirer}\t${total.currency}\t${total.kind}\t${total.count}\t${toDecimalString({ amount: total.amount, currency: total.currency })}`,
        json: (total) => ({
          acquirer: total.acquirer,
          kind: total.kind,
          count: total.count,
          amount: jsonMoney(total.amount, total.currency),
        }),
        empty: 'No approved bank operation in this period.',
      });
      return 0;
    }
    case 'pending': {
      options(rest, {});
      const pending = await withServer(io, (server) => server.bank.listPending());
      print.list(pending, {
        line: (operation) => {
          const amount = toDecimalString({ amount: operation.amount, currency: operation.currency });
          return `${operation.acquirer}\t${operation.idempotencyKey}\t${operation.kind}\t${amount} ${operation.currency}\t${operation.attempts} attempt(s)\t${operation.lastError ?? ''}`;
        },
        json: (operation) => ({
          acquirer: operation.acquirer,
          idempotencyKey: operation.idempotencyKey,
          kind: operation.kind,
          amount: jsonMoney(operation.amount, operation.currency),
          attempts: operation.attempts,
          lastError: operation.lastError ?? null,
        }),
        empty: 'No bank operation is pending.',
      });
      return 0;
    }
    default:
      throw new UsageError(`Unknown command "acquirers ${action}".`, 'command_unknown');
  }
}
