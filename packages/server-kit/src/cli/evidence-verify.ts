import { type EvidenceBundle, evidenceBundle, isAllowedUrl, parseMessage } from '@caisse/protocol';
import { remoteKeySet } from '../keys/remote.js';
import { parseCommandArgs, requiredOption, stringOption, tokenArgument, wantsJson } from './args.js';
import { CliError, EXIT, type ExitCode } from './errors.js';
import { checkEvidence, EVIDENCE_CHECKS, type EvidenceTrust } from './evidence-checks.js';
import { type CliIo, readJsonFile } from './io.js';
import { loadJwksFile } from './keyset.js';
import { describeError, fail, printable, writeJson } from './output.js';

export const EVIDENCE_VERIFY_USAGE = `Usage: caisse evidence verify <bundle.json|-> --jwks FILE|URL [--merchant-jwks FILE] [--json]

Checks a payment's evidence bundle (as "caisse-server evidence export" writes it)
offline, trusting nothing in it but what the payment server's keys sign:
${EVIDENCE_CHECKS.map((name) => `  ${name}`).join('\n')}
The ticket is signed by the merchant; the voucher and the device certificate by a key
of the payment server's JWKS; the voucher answers the ticket (hash, amount, currency);
the certificate binds the device key (its own thumbprint); the approval is signed by
that key and approves this ticket, amount, currency and payee; the audit batch's hash
recomputes from its transfer digests, and one of them is the payment's transfer, which
credits the merchant and names the approval's SHA-256. A check whose ground failed is
skipped, and the bundle fails.

Arguments:
  <bundle.json|->   The bundle, or - to read it from stdin.

Options:
  --jwks FILE|URL   The payment server's public JWKS: a file (offline), or its URL
                    (https, or http on localhost). It must hold the key that signed the
                    voucher: a JWKS kept from then checks an old payment whose key was
                    retired since.
  --merchant-jwks FILE
                    The merchant's public JWKS, to check the ticket's signature with it;
                    without it, with the merchant key the bundle carries (the output warns).
  --json            Print one JSON object on stdout.
  -h, --help        Show this help.

Exit codes: 0 every check passed, 1 a check failed (each names its code), 2 usage or
unreadable/invalid file.
`;

/** A bundle holds one batch's digests (67 bytes each, 100,000 at most) and small tokens: 16 MiB is ample. */
const MAX_BUNDLE_BYTES = 16 * 1024 * 1024;

async function readBundle(argument: string, io: CliIo): Promise<EvidenceBundle> {
  let value: unknown;
  if (argument === '-') {
    const text = await io.readStdin(MAX_BUNDLE_BYTES);
    if (text === undefined) throw new CliError('input_invalid', `The bundle on stdin is larger than ${MAX_BUNDLE_BYTES} bytes.`);
    try {
      value = JSON.parse(text);
    } catch {
      throw new CliError('input_invalid', 'The bundle on stdin is not JSON.');
    }
  } else {
    value = await readJsonFile(argument, 'evidence bundle', MAX_BUNDLE_BYTES);
  }
  try {
    return parseMessage(evidenceBundle, value);
  } catch (error) {
    const { message, problems } = describeError(error);
    const where = problems.filter((problem) => problem.path !== undefined).map((problem) => `${problem.path}: ${problem.message}`);
    throw new CliError(
      'input_invalid',
      `The file is not an evidence bundle: ${where.length > 0 ? where.slice(0, 5).join('; ') : message}.`,
    );
  }
}

async function serverKeys(source: string): Promise<EvidenceTrust['server']> {
  if (/^https?:\/\//.test(source)) {
    if (!isAllowedUrl(source)) throw new CliError('usage', '--jwks: a URL is https (http only on localhost), without credentials.');
    const keys = remoteKeySet({ jwksUri: source });
    await keys.refresh();
    return keys;
  }
  return (await loadJwksFile(source)).keys;
}

/** `caisse evidence verify`: the checklist of evidence-checks.ts, one line per check. */
export async function evidenceVerify(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let json = wantsJson(argv);
  let bundle: EvidenceBundle;
  let trust: EvidenceTrust;
  try {
    const args = parseCommandArgs(argv, { jwks: { type: 'string' }, 'merchant-jwks': { type: 'string' } });
    if (args.values.help) {
      io.stdout(EVIDENCE_VERIFY_USAGE);
      return EXIT.ok;
    }
    json = args.values.json === true;
    const argument = tokenArgument(args, 'evidence bundle');
    const jwks = requiredOption(args, 'jwks');
    const merchantJwks = stringOption(args, 'merchant-jwks');
    bundle = await readBundle(argument, io);
    trust = {
      server: await serverKeys(jwks),
      serverSource: jwks,
      ...(merchantJwks === undefined ? {} : { merchant: (await loadJwksFile(merchantJwks)).keys, merchantSource: merchantJwks }),
    };
  } catch (error) {
    // A JWKS URL that does not answer is no usage error: the check could not be completed.
    return fail(io, json, error, describeError(error).code === 'keys_unavailable' ? EXIT.invalid : EXIT.usage, 'evidence verify');
  }

  const report = await checkEvidence(bundle, trust);
  const batch = bundle.audit.sealed ? { seq: bundle.audit.batch.seq, hash: bundle.audit.batch.hash } : null;
  if (json) {
    writeJson(io, {
      ok: report.ok,
      payment: bundle.payment,
      issuer: bundle.issuer,
      batch,
      checks: report.checks,
      warnings: report.warnings,
    });
    return report.ok ? EXIT.ok : EXIT.invalid;
  }
  const failed = report.checks.filter((check) => check.status === 'failed');
  const width = Math.max(...report.checks.map((check) => check.name.length));
  const lines = [
    `Evidence of ${bundle.payment.id} (${printable(bundle.payment.merchant, 64)}, ticket ${printable(bundle.payment.ticket, 64)}) from ${printable(bundle.issuer, 255)} ${report.ok ? 'VERIFIED' : `FAILED: ${failed.map((check) => check.name).join(', ')}`}`,
    ...report.checks.map((check) => {
      const status = check.status === 'ok' ? 'ok     ' : check.status === 'failed' ? 'FAILED ' : 'skipped';
      return `  ${status} ${check.name.padEnd(width)}  ${check.code === undefined ? '' : `${check.code}: `}${printable(check.detail, 1000)}`;
    }),
  ];
  for (const warning of report.warnings) io.stderr(`caisse: note: ${warning}\n`);
  io.stdout(`${lines.join('\n')}\n`);
  return report.ok ? EXIT.ok : EXIT.invalid;
}
