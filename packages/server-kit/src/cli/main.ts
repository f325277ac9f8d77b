import { wantsJson } from './args.js';
import { CliError, EXIT, type ExitCode } from './errors.js';
import { EVIDENCE_VERIFY_USAGE, evidenceVerify } from './evidence-verify.js';
import type { CliIo } from './io.js';
import { KEYS_NEW_USAGE, keysNew } from './keys-new.js';
import { fail } from './output.js';
import { TICKET_INSPECT_USAGE, ticketInspect } from './ticket-inspect.js';
import { VOUCHER_VERIFY_USAGE, voucherVerify } from './voucher-verify.js';

export const MAIN_USAGE = `Usage: caisse <command> [options]

Merchant tools for Caisse payment tickets and cash vouchers.

Commands:
  keys new         Generate a merchant signing key (private JWK and public JWKS).
  ticket inspect   Decode a payment ticket and check it; verify its signature with --jwks.
  voucher verify   Verify a cash voucher exactly as your server would.
  evidence verify  Check a payment's evidence bundle (ticket, voucher, phone approval, audit batch) offline.

Every command takes --help and --json (one JSON object on stdout).
Exit codes: 0 success, 1 invalid token or failed operation, 2 usage.

Run "caisse <command> --help" for a command's options.
`;

type Command = (argv: readonly string[], io: CliIo) => Promise<ExitCode>;

const COMMANDS: Record<string, Record<string, { run: Command; usage: string }>> = {
  keys: { new: { run: keysNew, usage: KEYS_NEW_USAGE } },
  ticket: { inspect: { run: ticketInspect, usage: TICKET_INSPECT_USAGE } },
  voucher: { verify: { run: voucherVerify, usage: VOUCHER_VERIFY_USAGE } },
  evidence: { verify: { run: evidenceVerify, usage: EVIDENCE_VERIFY_USAGE } },
};

function isHelp(word: string | undefined): boolean {
  return word === '--help' || word === '-h' || word === 'help';
}

/**
 * Runs `caisse` with the arguments after the program name and returns the exit code.
 * Never throws: every failure is reported on `io` with a stable code.
 * @example process.exitCode = await runCli(process.argv.slice(2), nodeIo())
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [group, name, ...rest] = argv;
  const json = wantsJson(argv);
  if (group === undefined) {
    io.stderr(MAIN_USAGE);
    return EXIT.usage;
  }
  if (isHelp(group)) {
    // `caisse help voucher verify` shows that command's help.
    const command = name === undefined ? undefined : COMMANDS[name]?.[rest[0] ?? ''];
    io.stdout(command?.usage ?? MAIN_USAGE);
    return EXIT.ok;
  }
  const commands = Object.hasOwn(COMMANDS, group) ? COMMANDS[group] : undefined;
  if (commands === undefined) {
    return fail(
      io,
      json,
      new CliError(
        'usage',
        `Unknown command "${group.slice(0, 40)}"; the commands are keys new, ticket inspect, voucher verify, evidence verify.`,
      ),
      EXIT.usage,
    );
  }
  const command = name !== undefined && Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    const known = Object.keys(commands).map((sub) => `${group} ${sub}`);
    if (isHelp(name)) {
      io.stdout(commands[Object.keys(commands)[0] as string]?.usage ?? MAIN_USAGE);
      return EXIT.ok;
    }
    const what =
      name === undefined || name.startsWith('-') ? `"${group}" needs a subcommand` : `Unknown command "${group} ${name.slice(0, 40)}"`;
    return fail(io, json, new CliError('usage', `${what}: ${known.join(', ')}.`), EXIT.usage);
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    // The commands report their own failures; this is a bug, and a bug never accepts a token.
    return fail(io, json, error, EXIT.invalid);
  }
}
