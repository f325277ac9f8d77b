import { toDecimalString } from '@caisse/protocol';
import { ALLOWANCE_COLUMNS, type AllowanceRow, toAllowance } from '../allowances/model.js';
import { dueReason } from '../allowances/settle.js';
import { ProblemError } from '../http/problem.js';
import type { PaymentServer } from '../server.js';
import { options, positional, UsageError } from './args.js';
import type { CliIo } from './commands.js';
import { jsonMoney, output } from './output.js';

/** The session allowance commands, for the usage text of `caisse-server`. */
export const ALLOWANCES_USAGE = `  allowances show ID            one allowance: state, used and left, its current period, its charges (reads only)
  allowances settle-due         [--limit 100]   settle now the allowances due (expired, maximum reached, period over),
                                as the server's background sweep does every 15 s`;

type WithServer = <T>(io: CliIo, run: (server: PaymentServer) => Promise<T>) => Promise<T>;

/** The settled periods of an allowance: how many, and what their remittances moved. */
interface SettledRow {
  periods: bigint | string;
  used: bigint | string;
}

/**
 * Runs an `allowances` command, or answers undefined when `argv` is not one of them.
 * `show` reads and changes nothing (an allowance past its end says it is due, where the
 * merchant API's read would settle it); `settle-due` runs the settlement sweep once.
 * @example const code = await allowancesCommand(['allowances', 'settle-due'], io, withServer)
 */
export async function allowancesCommand(argv: string[], io: CliIo, withServer: WithServer): Promise<number | undefined> {
  const [group = '', action = '', ...rest] = argv;
  if (group !== 'allowances') return undefined;
  if (action === 'show') {
    const id = positional(rest, 'ID');
    const { allowance, settled, at } = await withServer(io, async (server) => {
      const { rows } = await server.db.query<AllowanceRow>(`SELECT ${ALLOWANCE_COLUMNS} FROM allowances WHERE id = $1`, [id]);
      if (rows[0] === undefined) throw new ProblemError('allowance_unknown');
      const { rows: periods } = await server.db.query<SettledRow>(
        'SELECT count(*)::int8 AS periods, coalesce(sum(used), 0)::int8 AS used FROM allowance_remittances WHERE allowance_id = $1',
        [id],
      );
      // The CLI's server runs on the system clock, as the sweep does.
      return { allowance: toAllowance(rows[0]), settled: periods[0], at: new Date() };
    });
    const { currency } = allowance;
    const decimal = (value: bigint) => toDecimalString({ amount: Number(value), currency });
    const money = (value: bigint) => jsonMoney(value, currency);
    const left = allowance.state === 'active' ? allowance.maximum - allowance.used : 0n;
    const due = dueReason(allowance, at);
    const print = output(io);
    // As `customers plan`: one line per field on stdout (name, values; tab-separated, for scripts); the rest on stderr.
    print.note(
      `Allowance ${allowance.id}, granted by ${allowance.customerId} to ${allowance.merchantId} in ${currency} on ${allowance.grantedAt.toISOString()}.`,
    );
    print.result(
      {
        id: allowance.id,
        customer: allowance.customerId,
        merchant: allowance.merchantId,
        grantedAt: allowance.grantedAt,
        state: allowance.state,
        endReason: allowance.endReason,
        endedAt: allowance.endedAt,
        due: due ?? null,
        maximum: money(allowance.maximum),
        chargeCap: allowance.chargeCap === null ? null : money(allowance.chargeCap),
        used: money(allowance.used),
        left: money(left),
        period: {
          number: allowance.periodNo,
          start: allowance.periodStart,
          end: allowance.periodEnd,
          every: allowance.period ?? 'one-off',
        },
        charges: allowance.chargeCount,
        expiresAt: allowance.expiresAt,
        settled: { periods: Number(settled?.periods ?? 0), used: money(BigInt(settled?.used ?? 0)) },
      },
      [
        `state\t${allowance.state === 'active' ? 'active' : `ended\t${allowance.endReason}\t${allowance.endedAt?.toISOString() ?? ''}`}`,
        ...(due === undefined ? [] : [`due\t${due}\t(settled by the next sweep, charge or read; or now: allowances settle-due)`]),
        `maximum\t${decimal(allowance.maximum)}`,
        `charge-cap\t${allowance.chargeCap === null ? '-' : decimal(allowance.chargeCap)}`,
        `used\t${decimal(allowance.used)}`,
        `left\t${decimal(left)}`,
        `period\t${allowance.periodNo}\t${allowance.periodStart.toISOString()}\t${allowance.periodEnd.toISOString()}\t${allowance.period ?? 'one-off'}`,
        `charges\t${allowance.chargeCount}`,
        `expires\t${allowance.expiresAt.toISOString()}`,
        `settled\t${Number(settled?.periods ?? 0)} period(s)\t${decimal(BigInt(settled?.used ?? 0))}`,
      ],
    );
    return 0;
  }
  if (action === 'settle-due') {
    const found = options(rest, { limit: { type: 'string' } });
    const limit = found.limit === undefined ? 100 : Number(found.limit);
    if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError('--limit is a whole number of at least 1.');
    const settled = await withServer(io, (server) => server.allowanceSettlement.settleDue(limit));
    output(io).result({ settled }, settled === 0 ? 'No allowance was due for settlement.' : `Settled ${settled} allowance period(s).`);
    return 0;
  }
  throw new UsageError(
    `Unknown command "${`${group} ${action}`.trim()}": allowances show ID, or allowances settle-due.`,
    'command_unknown',
  );
}
