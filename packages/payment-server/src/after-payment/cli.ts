import { readFile } from 'node:fs/promises';
import { reference } from '@caisse/acquirer';
import { fileArgument, options, required, UsageError } from '../cli/args.js';
import type { CliIo } from '../cli/commands.js';
import { jsonMoney, output } from '../cli/output.js';
import { ProblemError } from '../http/problem.js';
import type { PaymentServer } from '../server.js';
import { settlementCsv } from '../settlement/csv.js';

/** The after-payment commands, for the usage text of `caisse-server`. */
export const AFTER_PAYMENT_USAGE = `  merchants carrier-key add     MERCHANT JWKS_FILE   (a carrier's public keys: they may confirm deliveries, nothing else)
  merchants bank-ref            --id ID --ref REF     (the merchant's bank account for payouts)
  settle                        --date YYYY-MM-DD [--merchant ID]   (pays out each till for that day, once)
  settlements report            --merchant ID --date YYYY-MM-DD [--csv]`;

type WithServer = <T>(io: CliIo, run: (server: PaymentServer) => Promise<T>) => Promise<T>;

/**
 * Runs an after-payment command, or answers undefined when `argv` is not one of them.
 * Usage errors are thrown as errors named `UsageError`, which the CLI answers with exit 2.
 * @example const code = await afterPaymentCommand(['settle', '--date', '2026-03-01'], io, withServer)
 */
export async function afterPaymentCommand(argv: string[], io: CliIo, withServer: WithServer): Promise<number | undefined> {
  const [group = '', action = '', ...rest] = argv;
  const print = output(io);
  if (group === 'merchants' && action === 'carrier-key') {
    const [verb, merchantId, file] = rest;
    if (verb !== 'add' || !merchantId || !file || rest.length !== 3 || rest.some((arg) => arg.startsWith('-'))) {
      throw new UsageError('merchants carrier-key add MERCHANT JWKS_FILE');
    }
    const jwks = JSON.parse(await readFile(fileArgument(io, file), 'utf8')) as unknown;
    const added = await withServer(io, (server) => server.afterPayment.carriers.add(merchantId, jwks));
    print.result(
      { merchantId: added.merchantId, kids: added.kids },
      `Carrier key(s) ${added.kids.join(', ')} may now confirm deliveries of ${added.merchantId}'s payments.`,
    );
    return 0;
  }
  if (group === 'merchants' && action === 'bank-ref') {
    const found = options(rest, { id: { type: 'string' }, ref: { type: 'string' } });
    const merchantId = required(found, 'id');
    const ref = required(found, 'ref');
    if (!reference.safeParse(ref).success) {
      throw new ProblemError('request_invalid', 'ref: a bank reference is 1–64 characters of A-Z a-z 0-9 . _ : - (an IBAN fits).');
    }
    const { rowCount } = await withServer(io, (server) =>
      server.db.query('UPDATE merchants SET bank_ref = $2 WHERE id = $1', [merchantId, ref]),
    );
    if (rowCount !== 1) throw new ProblemError('merchant_unknown');
    print.result({ merchantId, bankRef: ref }, `Merchant ${merchantId} is paid out to ${ref}.`);
    return 0;
  }
  if (group === 'settle') {
    const found = options([action, ...rest].filter(Boolean), { date: { type: 'string' }, merchant: { type: 'string' } });
    const date = required(found, 'date');
    const merchant = found.merchant as string | undefined;
    const results = await withServer(io, (server) => server.afterPayment.settlement.settle(date, merchant ? { merchantId: merchant } : {}));
    print.list(results, {
      line: (result) => {
        const what =
          result.status === 'skipped'
            ? `skipped: ${result.skipped}`
            : `${result.status} ${result.amount}${result.replayed ? ' (already settled)' : ''}`;
        return `${result.merchantId}\t${result.date}\t${result.currency}\t${result.id ?? '-'}\t${what}`;
      },
      json: ({ amount, currency, skipped, ...result }) => ({ ...result, amount: jsonMoney(amount, currency), skipped: skipped ?? null }),
      empty: `No merchant till to settle for ${date}.`,
    });
    return 0;
  }
  if (group === 'settlements' && action === 'report') {
    const found = options(rest, { merchant: { type: 'string' }, date: { type: 'string' }, csv: { type: 'boolean' } });
    if (found.csv && print.json) throw new UsageError('--csv or --json: one of them.');
    const report = await withServer(io, (server) =>
      server.afterPayment.settlement.report(required(found, 'merchant'), required(found, 'date')),
    );
    // The merchant API's own document (GET /v1/settlements/:date), with or without --json: one format for one report.
    if (found.csv) io.out(settlementCsv(report).trimEnd().replaceAll('\r\n', '\n'));
    else print.result(report, JSON.stringify(report, null, 2));
    return 0;
  }
  return undefined;
}
