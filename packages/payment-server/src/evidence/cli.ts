import { writeFile } from 'node:fs/promises';
import { PAYMENT_ID_FORM, paymentSerial } from '@caisse/protocol';
import { fileArgument, options, UsageError } from '../cli/args.js';
import type { CliIo } from '../cli/commands.js';
import { output } from '../cli/output.js';
import type { PaymentServer } from '../server.js';
import { EvidenceError } from './errors.js';
import { exportEvidence, type PaymentReference } from './export.js';

/** The evidence command, for the usage text of `caisse-server`. */
export const EVIDENCE_USAGE = `  evidence export               PAYMENT | --merchant ID --ticket JTI  [--out FILE]   the payment's evidence bundle
                                (ticket, voucher, the phone's signed approval, its key and certificate, the audit
                                batch), as JSON; check it anywhere with \`caisse evidence verify FILE --jwks JWKS\``;

type WithServer = <T>(io: CliIo, run: (server: PaymentServer) => Promise<T>) => Promise<T>;

/** `pay_1042`, or `--merchant ID --ticket JTI`: never both, never half of the pair. */
function reference(args: string[]): { reference: PaymentReference; out?: string } {
  const payment = args[0] !== undefined && !args[0].startsWith('-') ? args[0] : undefined;
  const found = options(payment === undefined ? args : args.slice(1), {
    merchant: { type: 'string' },
    ticket: { type: 'string' },
    out: { type: 'string' },
  });
  const out = found.out === undefined ? {} : { out: found.out };
  if (payment !== undefined) {
    if (found.merchant !== undefined || found.ticket !== undefined)
      throw new UsageError('Name the payment by its id or by --merchant and --ticket, not both.');
    const serial = paymentSerial(payment);
    if (serial === undefined) throw new UsageError(`PAYMENT is a payment id: ${PAYMENT_ID_FORM} (the voucher's jti).`);
    return { reference: { serial }, ...out };
  }
  if (!found.merchant || !found.ticket) throw new UsageError('Name the payment: PAYMENT (pay_1042), or --merchant ID --ticket JTI.');
  return { reference: { merchantId: found.merchant, ticketJti: found.ticket }, ...out };
}

/**
 * Runs `evidence export`, or answers undefined when `argv` is not it. The bundle goes to
 * stdout (or `--out FILE`), what it holds to stderr; exit 1 when the payment has no
 * evidence to export (the code says why).
 * @example const code = await evidenceCommand(['evidence', 'export', 'pay_1042', '--out', 'pay_1042.json'], io, withServer)
 */
export async function evidenceCommand(argv: string[], io: CliIo, withServer: WithServer): Promise<number | undefined> {
  const [group = '', action = '', ...rest] = argv;
  if (group !== 'evidence') return undefined;
  if (action !== 'export')
    throw new UsageError(
      `${action === '' ? '"evidence" needs a subcommand' : `Unknown command "evidence ${action}"`}: evidence export.`,
      'command_unknown',
    );
  const wanted = reference(rest);
  const print = output(io);
  try {
    const bundle = await withServer(io, (server) =>
      // The CLI's server runs on the system clock: the certificate is dated now.
      exportEvidence({ db: server.db, keys: server.keys, issuer: server.issuer, mode: server.mode }, wanted.reference),
    );
    const json = `${JSON.stringify(bundle, null, 2)}\n`;
    const out = wanted.out === undefined ? undefined : fileArgument(io, wanted.out);
    // The bundle is JSON already: on stdout it is the document, with or without --json; written to a file, the document says where.
    if (out === undefined) print.result(bundle, json.trimEnd());
    else {
      await writeFile(out, json);
      print.result({ payment: bundle.payment.id, file: out, sealed: bundle.audit.sealed }, []);
    }
    const audit = bundle.audit.sealed
      ? `sealed in audit batch ${bundle.audit.batch.seq} (${bundle.audit.batch.hash})`
      : 'not in the audit register: the payment has no posted ledger transfer (an authentication, or held in escrow)';
    print.note(
      `Evidence of ${bundle.payment.id} (${bundle.payment.merchant}, ticket ${bundle.payment.ticket}) ${wanted.out === undefined ? 'on stdout' : `in ${wanted.out}`}: ${audit}.`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof EvidenceError)) throw error;
    print.failure(error.code, error.message);
    return 1;
  }
}
