import { createHash } from 'node:crypto';
import { LIMITS, parseTicketClaims, TOKEN_TYPES } from '@caisse/protocol';
import { decodeJws, decodePart } from '../jws/decode.js';
import { parseJsonObject } from '../jws/json.js';
import { verifyJws } from '../jws/verify.js';
import { parseCommandArgs, stringOption, tokenArgument, wantsJson } from './args.js';
import { EXIT, type ExitCode } from './errors.js';
import { type CliIo, readToken } from './io.js';
import { type LoadedKeys, loadJwksFile } from './keyset.js';
import {
  amountsView,
  describeError,
  fail,
  formatProblem,
  type LifetimeView,
  lifetimeView,
  type Problem,
  peek,
  printable,
  showAmounts,
  showLifetime,
  toJson,
  writeJson,
} from './output.js';

export const TICKET_INSPECT_USAGE = `Usage: caisse ticket inspect <token|-> [--jwks FILE] [--json]

Decodes a payment ticket without trusting it and checks it as the payment server
will: header (alg, typ, kid, no embedded key), claims (schema, limits, amount and
VAT equal to the sums of the items) and, with --jwks, the signature.

Arguments:
  <token|->    The ticket (compact JWS), or - to read it from stdin, which keeps
               it out of your shell history.

Options:
  --jwks FILE  Verify the signature with the merchant's public JWKS in FILE (as
               written by "caisse keys new --out"). Without it the output says
               "signature NOT verified": nothing proves who wrote the ticket.
  --json       Print one JSON object on stdout.
  -h, --help   Show this help.

The lifetime (iat, exp) is shown against the current time but does not make the
ticket invalid: inspect judges what the ticket says, not whether it is on time.

Exit codes: 0 valid, 1 invalid, 2 usage or unreadable/invalid JWKS file.
`;

export type SignatureStatus = 'verified' | 'not_verified' | 'invalid';

/** What `caisse ticket inspect --json` prints. */
export interface TicketReport {
  ok: boolean;
  /** SHA-256 of the token as given, base64url: the hash the voucher answering it must carry. */
  sha256?: string;
  signature: { status: SignatureStatus; kid?: string; jwks?: string };
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  amounts?: ReturnType<typeof amountsView>;
  lifetime?: LifetimeView;
  problems: Problem[];
  warning?: string;
}

/** Failures that mean the signature itself did not verify; anything verifyJws reports after them concerns the payload. */
const SIGNATURE_FAILURES = new Set(['key_unknown', 'algorithm_not_allowed', 'signature_invalid', 'keys_unavailable', 'internal_error']);
const NOT_VERIFIED = 'signature NOT verified: no --jwks given, so nothing proves who wrote this ticket.';
const NOT_TRIED = 'signature NOT verified: the header is refused, so no key was tried.';

/**
 * Checks a ticket and gathers everything worth showing, also when it is invalid. Each
 * problem carries its stable code (and the claim path when there is one).
 */
export async function inspectTicket(token: string, loaded: LoadedKeys | undefined, now: Date): Promise<TicketReport> {
  const problems: Problem[] = [];
  const add = (error: unknown) => {
    for (const problem of describeError(error).problems) {
      if (!problems.some((known) => known.code === problem.code && known.path === problem.path && known.message === problem.message)) {
        problems.push(problem);
      }
    }
  };
  const shown = peek(token);
  let signature: SignatureStatus = 'not_verified';
  let payload: Record<string, unknown> | undefined;
  let kid: string | undefined;

  let encodedPayload: string | undefined;
  try {
    const decoded = decodeJws(token, [TOKEN_TYPES.ticket]);
    encodedPayload = decoded.encodedPayload;
    kid = decoded.kid;
  } catch (error) {
    add(error);
  }
  if (encodedPayload !== undefined) {
    if (loaded !== undefined) {
      try {
        payload = (await verifyJws(token, [TOKEN_TYPES.ticket], loaded.keys)).payload;
        signature = 'verified';
      } catch (error) {
        signature = SIGNATURE_FAILURES.has(describeError(error).code) ? 'invalid' : 'verified';
        add(error);
      }
    }
    if (payload === undefined) {
      try {
        payload = parseJsonObject(decodePart(encodedPayload, 'payload'), 'payload');
      } catch (error) {
        add(error);
      }
    }
    if (payload !== undefined) {
      try {
        parseTicketClaims(payload);
      } catch (error) {
        add(error);
      }
    }
  }

  const claims = payload ?? shown.payload;
  const report: TicketReport = {
    ok: problems.length === 0,
    signature: { status: signature, ...(signature !== 'not_verified' && kid ? { kid } : {}), ...(loaded ? { jwks: loaded.file } : {}) },
    problems,
  };
  if (token.length <= LIMITS.tokenLength) report.sha256 = createHash('sha256').update(token).digest('base64url');
  if (shown.header) report.header = shown.header;
  if (claims) {
    report.claims = claims;
    report.amounts = amountsView(claims);
    report.lifetime = lifetimeView(claims, now);
  }
  if (signature === 'not_verified') report.warning = loaded === undefined ? NOT_VERIFIED : NOT_TRIED;
  return report;
}

function signatureLine(report: TicketReport): string {
  const { status, kid, jwks } = report.signature;
  if (status === 'verified') return `signature verified with key "${kid}" from ${printable(jwks ?? '', 300)}`;
  if (status === 'invalid') return 'signature INVALID (see the problems below)';
  return report.warning ?? NOT_VERIFIED;
}

function render(report: TicketReport): string {
  const jti = report.claims?.jti;
  const lines = [`Ticket ${typeof jti === 'string' ? printable(jti, 64) : '(no valid id)'}`, `  ${signatureLine(report)}`];
  if (report.sha256) lines.push(`  sha256 ${report.sha256} (a voucher for this ticket carries this hash)`);
  if (report.header) lines.push('', 'Header', toJson(report.header));
  if (report.claims) lines.push('', 'Claims', toJson(report.claims));
  if (report.amounts) lines.push('', 'Amounts', ...showAmounts(report.amounts));
  if (report.lifetime) lines.push('', 'Lifetime', ...showLifetime(report.lifetime));
  if (report.problems.length > 0) lines.push('', 'Problems', ...report.problems.map((problem) => `  - ${formatProblem(problem)}`));
  const verdict = report.ok
    ? `VALID ticket, ${report.signature.status === 'verified' ? 'signature verified' : 'signature NOT verified'}`
    : `INVALID ticket (${report.problems.length} problem${report.problems.length === 1 ? '' : 's'})`;
  lines.push('', `Result: ${verdict}`);
  return `${lines.join('\n')}\n`;
}

/** `caisse ticket inspect <token|-> [--jwks FILE] [--json]`. */
export async function ticketInspect(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let json = wantsJson(argv);
  let loaded: LoadedKeys | undefined;
  let token: string;
  try {
    const args = parseCommandArgs(argv, { jwks: { type: 'string' } });
    if (args.values.help) {
      io.stdout(TICKET_INSPECT_USAGE);
      return EXIT.ok;
    }
    json = args.values.json === true;
    const argument = tokenArgument(args, 'ticket');
    const jwks = stringOption(args, 'jwks');
    if (jwks !== undefined) loaded = await loadJwksFile(jwks);
    token = await readToken(argument, io);
  } catch (error) {
    // A token too large for stdin is a verdict on the token, not on the command line.
    return fail(io, json, error, describeError(error).code === 'token_too_large' ? EXIT.invalid : EXIT.usage, 'ticket inspect');
  }

  const report = await inspectTicket(token, loaded, io.now());
  if (json) writeJson(io, report);
  else io.stdout(render(report));
  return report.ok ? EXIT.ok : EXIT.invalid;
}
