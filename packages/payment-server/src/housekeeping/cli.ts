import { options } from '../cli/args.js';
import type { CliIo } from '../cli/commands.js';
import { type Output, output } from '../cli/output.js';
import type { Config } from '../config.js';
import type { PaymentServer } from '../server.js';
import { isPruneError, PRUNED_TABLES, type PruneReport, pruneExpired } from './prune.js';
import { configuredRetention } from './retention.js';

/** The housekeeping command, for the usage text of `caisse-server`. */
export const HOUSEKEEPING_USAGE = `  prune                         [--dry-run]  delete the rows that serve nothing any more (expired replay entries, old
                                notifications, unpaid checkouts, …) as the server does every 5 minutes, until none
                                is left; one line per table (rows); --dry-run counts them and deletes nothing`;

type WithServer = <T>(io: CliIo, run: (server: PaymentServer, config: Config) => Promise<T>) => Promise<T>;

function show(print: Output, report: PruneReport, dryRun: boolean): void {
  print.result(
    { dryRun, ...report },
    PRUNED_TABLES.map((table) => `${table}\t${report.deleted[table]}`),
  );
}

/**
 * Runs `prune [--dry-run]`, or answers undefined when `argv` is not it. On the system
 * clock and `CAISSE_NOTIFICATION_RETENTION_DAYS`, as the server's job; in batches, but
 * with no limit on their number. One tab-separated line per table on stdout (table, rows
 * deleted or, dry run, to delete), the summary on stderr; exit 1 when a kind of row could
 * not be pruned (the rest was).
 * @example const code = await housekeepingCommand(['prune', '--dry-run'], io, withServer)
 */
export async function housekeepingCommand(argv: string[], io: CliIo, withServer: WithServer): Promise<number | undefined> {
  const [group = '', ...rest] = argv;
  if (group !== 'prune') return undefined;
  const dryRun = options(rest, { 'dry-run': { type: 'boolean' } })['dry-run'] === true;
  const print = output(io);
  try {
    const report = await withServer(io, (server, config) =>
      pruneExpired(server.db, { now: new Date(), retention: configuredRetention(config), maxBatches: Number.POSITIVE_INFINITY, dryRun }),
    );
    show(print, report, dryRun);
    print.note(dryRun ? `Dry run: ${report.total} row(s) would be deleted; nothing was.` : `Deleted ${report.total} row(s).`);
    return 0;
  } catch (error) {
    if (!isPruneError(error)) throw error;
    show(print, error.report, dryRun);
    for (const failure of error.failures)
      print.note(`caisse-server: ${failure.kind}: ${(failure.error as Error)?.message ?? String(failure.error)}`);
    print.failure(
      error.code,
      `${error.failures.length} kind(s) of row could not be ${dryRun ? 'counted' : 'pruned (run it again)'}: ${error.failures.map((failure) => failure.kind).join(', ')}; the report is the rest.`,
    );
    return 1;
  }
}
