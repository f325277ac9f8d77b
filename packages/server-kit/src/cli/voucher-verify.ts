import { currencyExponent, isAmount, type Mode, REFUSAL_REASONS, toMinorUnits } from '@caisse/protocol';
import { DEFAULT_CLOCK_TOLERANCE } from '../claims.js';
import { memoryReplayStore } from '../replay/memory.js';
import { PaymentRefusedError, type TicketLookup, type Voucher, verifyVoucher } from '../voucher/verify.js';
import { type ParsedArgs, parseCommandArgs, parseInstant, requiredOption, stringOption, tokenArgument, wantsJson } from './args.js';
import { CliError, EXIT, type ExitCode } from './errors.js';
import { type CliIo, readToken } from './io.js';
import { type LoadedKeys, loadJwksFile } from './keyset.js';
import { amountsView, describeError, fail, lifetimeView, peek, printable, showAmounts, showLifetime, toJson, writeJson } from './output.js';

export const VOUCHER_VERIFY_USAGE = `Usage: caisse voucher verify <token|-> --jwks FILE --issuer ISS --audience MERCHANT_ID
         [--ticket-id ID --ticket-hash H --amount N --currency C] [--state S]
         [--at ISO-DATE] [--test] [--json]

Verifies a cash voucher with the checks verifyVoucher() makes in your server: the
signature by a key of the payment server's JWKS (before any claim is read), typ,
mode, issuer, audience, expiry (${DEFAULT_CLOCK_TOLERANCE} s tolerance), the ticket it answers, and single use.
A refusal token is reported with its reason.

Arguments:
  <token|->         The voucher (compact JWS), or - to read it from stdin, which
                    keeps it out of your shell history.

Options:
  --jwks FILE       The payment server's public JWKS.
  --issuer ISS      The payment server's issuer identifier.
  --audience MERCHANT_ID
                    Your merchant id: the voucher's audience.
  --ticket-id ID    The ticket the voucher must answer: its id,
  --ticket-hash H   its SHA-256 (base64url, as "caisse ticket inspect" prints it),
  --amount N        its amount in minor units (1590) or as a decimal (15.90),
  --currency C      and its currency code. Give all four or none: without them
                    the voucher is NOT matched to any ticket, and the output says so.
  --state S         The browser-session state the voucher must echo.
  --at ISO-DATE     Judge expiry at this time instead of now, to check an old
                    voucher: 2026-11-22 or 2026-11-22T10:00:00Z (Z or an offset).
  --test            Expect a voucher from a payment server in test mode (test: true),
                    as a merchant with a test key does. Without it, as a live
                    merchant: a test voucher is refused (token_test_mode).
  --json            Print one JSON object on stdout.
  -h, --help        Show this help.

Single use is checked against an in-memory store that lives for this run only:
the CLI cannot tell whether your server has already accepted this voucher.

Exit codes: 0 verified, 1 invalid or refused, 2 usage or unreadable/invalid JWKS file.
`;

const TICKET_OPTIONS = ['ticket-id', 'ticket-hash', 'amount', 'currency'] as const;
const SHA256 = /^[A-Za-z0-9_-]{43}$/;
const TICKET_NOT_CHECKED =
  'ticket NOT checked: give --ticket-id, --ticket-hash, --amount and --currency to match the voucher to your ticket.';
const REPLAY_NOTE = 'single use checked in memory for this run only';

interface ExpectedTicket {
  id: string;
  sha256: string;
  amount: number;
  currency: string;
}

interface VerifyOptions {
  token: string;
  keys: LoadedKeys;
  issuer: string;
  audience: string;
  ticket?: ExpectedTicket;
  state?: string;
  at?: Date;
  mode: Mode;
}

function parseAmount(text: string, currency: string): number {
  if (/^\d{1,13}$/.test(text) && isAmount(Number(text))) return Number(text);
  if (/^\d+\.\d+$/.test(text)) {
    try {
      return toMinorUnits(text, currency);
    } catch (error) {
      throw new CliError('usage', `--amount: ${describeError(error).message}`);
    }
  }
  throw new CliError('usage', '--amount must be a whole number of minor units (1590) or a decimal with a dot (15.90).');
}

function expectedTicket(args: ParsedArgs): ExpectedTicket | undefined {
  const given = TICKET_OPTIONS.filter((name) => stringOption(args, name) !== undefined);
  if (given.length === 0) return undefined;
  if (given.length < TICKET_OPTIONS.length) {
    const missing = TICKET_OPTIONS.filter((name) => !given.includes(name));
    throw new CliError(
      'usage',
      `Give all of --ticket-id, --ticket-hash, --amount and --currency, or none; missing ${missing.map((name) => `--${name}`).join(', ')}.`,
    );
  }
  const currency = requiredOption(args, 'currency');
  try {
    currencyExponent(currency);
  } catch (error) {
    throw new CliError('usage', `--currency: ${describeError(error).message}`);
  }
  const sha256 = requiredOption(args, 'ticket-hash');
  if (!SHA256.test(sha256)) throw new CliError('usage', '--ticket-hash must be a base64url SHA-256 (43 characters).');
  return { id: requiredOption(args, 'ticket-id'), sha256, amount: parseAmount(requiredOption(args, 'amount'), currency), currency };
}

/**
 * Without an expected ticket the voucher's own figures stand in, read from the same bytes
 * whose signature verifyVoucher checks first: the ticket match then always holds, and the
 * output says it was not checked.
 */
function lookupFor(expected: ExpectedTicket | undefined, token: string): TicketLookup {
  if (expected !== undefined) return expected;
  const payload = peek(token).payload;
  const ticket = payload?.ticket as { sha256?: unknown } | undefined;
  return (ticketId) =>
    typeof ticket?.sha256 === 'string' && typeof payload?.amount === 'number' && typeof payload.currency === 'string'
      ? { id: ticketId, sha256: ticket.sha256, amount: payload.amount, currency: payload.currency }
      : undefined;
}

/** `caisse voucher verify`: the full verifyVoucher path with a memory replay store. */
export async function voucherVerify(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let json = wantsJson(argv);
  let options: VerifyOptions;
  try {
    const args = parseCommandArgs(argv, {
      jwks: { type: 'string' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
      'ticket-id': { type: 'string' },
      'ticket-hash': { type: 'string' },
      amount: { type: 'string' },
      currency: { type: 'string' },
      state: { type: 'string' },
      at: { type: 'string' },
      test: { type: 'boolean' },
    });
    if (args.values.help) {
      io.stdout(VOUCHER_VERIFY_USAGE);
      return EXIT.ok;
    }
    json = args.values.json === true;
    const argument = tokenArgument(args, 'voucher');
    const jwks = requiredOption(args, 'jwks');
    const issuer = requiredOption(args, 'issuer');
    const audience = requiredOption(args, 'audience');
    const ticket = expectedTicket(args);
    const state = stringOption(args, 'state');
    const atOption = stringOption(args, 'at');
    const at = atOption === undefined ? undefined : parseInstant(atOption, 'at');
    const keys = await loadJwksFile(jwks);
    options = {
      token: await readToken(argument, io),
      keys,
      issuer,
      audience,
      ...(ticket ? { ticket } : {}),
      ...(state !== undefined ? { state } : {}),
      ...(at !== undefined ? { at } : {}),
      mode: args.values.test === true ? 'test' : 'live',
    };
  } catch (error) {
    return fail(io, json, error, describeError(error).code === 'token_too_large' ? EXIT.invalid : EXIT.usage, 'voucher verify');
  }

  const clock = options.at ?? io.now();
  let voucher: Voucher;
  try {
    voucher = await verifyVoucher(options.token, {
      issuer: options.issuer,
      audience: options.audience,
      keys: options.keys.keys,
      replayStore: memoryReplayStore({ now: () => clock.getTime() }),
      ticket: lookupFor(options.ticket, options.token),
      ...(options.state !== undefined ? { state: options.state } : {}),
      mode: options.mode,
      now: () => clock,
    });
  } catch (error) {
    if (error instanceof PaymentRefusedError) return refused(io, json, error, clock);
    return rejected(io, json, error);
  }
  return verified(io, json, voucher, options, clock);
}

function verified(io: CliIo, json: boolean, voucher: Voucher, options: VerifyOptions, clock: Date): ExitCode {
  const kid = peek(options.token).header?.kid as string;
  const warnings = options.ticket ? [] : [TICKET_NOT_CHECKED];
  const amounts = amountsView(voucher);
  const lifetime = lifetimeView(voucher, clock);
  if (json) {
    writeJson(io, {
      ok: true,
      voucher,
      amounts,
      lifetime,
      checks: {
        signature: { kid, jwks: options.keys.file },
        issuer: options.issuer,
        audience: options.audience,
        mode: options.mode,
        expiry: { at: clock.toISOString(), tolerance: DEFAULT_CLOCK_TOLERANCE },
        ticket: options.ticket ?? null,
        state: options.state !== undefined,
        replay: REPLAY_NOTE,
      },
      warnings,
    });
    return EXIT.ok;
  }
  for (const warning of warnings) io.stderr(`caisse: WARNING: ${warning}\n`);
  const ticket = options.ticket
    ? `${printable(voucher.ticket.jti, 64)}: id, hash, amount (${amounts.amount.decimal}) and currency match`
    : `${printable(voucher.ticket.jti, 64)}: NOT checked (no --ticket-id, --ticket-hash, --amount, --currency)`;
  const lines = [
    `Voucher ${voucher.jti} VERIFIED`,
    `  signature  key "${kid}" from ${printable(options.keys.file, 300)}`,
    `  issuer     ${voucher.iss}`,
    `  audience   ${voucher.aud}`,
    `  mode       ${options.mode}${options.mode === 'test' ? ' (--test): a test voucher, no money moved' : ''}`,
    `  expiry     live at ${clock.toISOString()}${options.at ? ' (--at)' : ''}, ${DEFAULT_CLOCK_TOLERANCE} s tolerance`,
    `  ticket     ${ticket}`,
    `  state      ${options.state !== undefined ? 'matches --state' : 'not checked (no --state)'}`,
    `  replay     ${REPLAY_NOTE}`,
    `  status     ${voucher.status}${voucher.funding ? `, funded by ${voucher.funding}` : ''}`,
    '',
    'Voucher',
    toJson(voucher),
    '',
    'Amounts',
    ...showAmounts(amounts),
    '',
    'Lifetime',
    ...showLifetime(lifetime),
  ];
  io.stdout(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

function refused(io: CliIo, json: boolean, error: PaymentRefusedError, clock: Date): ExitCode {
  const { refusal, reason } = error;
  const amounts = amountsView(refusal);
  if (json) {
    writeJson(io, {
      ok: false,
      error: { code: error.code, message: printable(error.message), reason, reasonText: REFUSAL_REASONS[reason] },
      refusal,
      amounts,
      lifetime: lifetimeView(refusal, clock),
    });
    return EXIT.invalid;
  }
  const lines = [
    `Payment REFUSED: ${reason}: ${REFUSAL_REASONS[reason]}`,
    `  code       ${error.code}`,
    `  ticket     ${refusal.ticket.jti}, serial ${refusal.serial}, ${amounts.amount.decimal ?? refusal.amount}`,
    // A ticket refused at intake: the precise cause and what to fix.
    ...(refusal.detail ? [`  detail     ${refusal.detail.code}: ${printable(refusal.detail.message)}`] : []),
    '  (the refusal token is genuine: signature, issuer, audience, expiry and ticket checked)',
    '',
    'Refusal',
    toJson(refusal),
  ];
  io.stdout(`${lines.join('\n')}\n`);
  return EXIT.invalid;
}

function rejected(io: CliIo, json: boolean, error: unknown): ExitCode {
  const { code, message, problems } = describeError(error);
  if (json) {
    const issues = problems.filter((problem) => problem.path !== undefined).map(({ path, message }) => ({ path, message }));
    writeJson(io, { ok: false, error: { code, message, ...(issues.length > 0 ? { issues } : {}) } });
    return EXIT.invalid;
  }
  const lines = [`Voucher REJECTED: ${code}: ${message}`];
  for (const problem of problems)
    if (problem.path !== undefined) lines.push(`  - ${problem.path || '(whole message)'}: ${problem.message}`);
  io.stdout(`${lines.join('\n')}\n`);
  return EXIT.invalid;
}
