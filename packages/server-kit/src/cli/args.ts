import { parseArgs } from 'node:util';
import { CliError } from './errors.js';
import { printable } from './output.js';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Options every command takes. */
const COMMON: OptionSpec = { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } };

/**
 * getopt's rule for an option that takes a value: the next argument is its value, even
 * when it starts with a dash. parseArgs refuses `--ticket-hash -Xb…` as ambiguous, and one
 * SHA-256 in 64 starts with `-` in base64url; `--name=value` is what parseArgs accepts.
 */
function attachValues(argv: readonly string[], options: OptionSpec): string[] {
  const attached: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '--') return [...attached, ...argv.slice(index)];
    const next = argv[index + 1];
    if (arg.startsWith('--') && options[arg.slice(2)]?.type === 'string' && next !== undefined) {
      attached.push(`${arg}=${next}`);
      index++;
    } else {
      attached.push(arg);
    }
  }
  return attached;
}

/**
 * Strict `node:util` parseArgs, plus: an option given twice is an error rather than the
 * last one silently winning (`--issuer a --issuer b` must not mean either), and an
 * option's value may start with a dash.
 * Messages never repeat a positional argument: it may be a token.
 */
export function parseCommandArgs(argv: readonly string[], options: OptionSpec): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: attachValues(argv, options),
      options: { ...options, ...COMMON },
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    const text = error instanceof Error ? error.message : 'Cannot parse the arguments';
    const message = (text.split('. To specify a positional')[0] ?? '').replace(/\s*\n\s*/g, ' ').replace(/\.$/, '');
    throw new CliError('usage', `${printable(message, 300)}.`);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name)) throw new CliError('usage', `--${token.name} is given more than once.`);
    seen.add(token.name);
  }
  return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals };
}

/** True when `--json` appears before any `--`: errors found while parsing are then written as JSON too. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function requiredOption(args: ParsedArgs, name: string): string {
  const value = stringOption(args, name);
  if (value === undefined || value === '') throw new CliError('usage', `--${name} is required.`);
  return value;
}

/** The one token argument (`-` for stdin); the token itself is never echoed in the error. */
export function tokenArgument(args: ParsedArgs, what: string): string {
  if (args.positionals.length === 0) throw new CliError('usage', `Give the ${what} as an argument, or - to read it from stdin.`);
  if (args.positionals.length > 1) throw new CliError('usage', `Give exactly one ${what}; got ${args.positionals.length} arguments.`);
  return args.positionals[0] as string;
}

/** `--at`: an ISO 8601 date, or date-time with an explicit zone (a time without zone would depend on the machine). */
export function parseInstant(text: string, option: string): Date {
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/.exec(text);
  const date = new Date(text);
  // Date rolls 2026-02-30 over to March 2nd; a date that does not exist is a typo, not a time.
  const day = iso ? new Date(Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]))) : undefined;
  if (!iso || !day || Number.isNaN(date.getTime()) || day.getUTCDate() !== Number(iso[3]) || day.getUTCMonth() !== Number(iso[2]) - 1) {
    throw new CliError('usage', `--${option} must be an ISO 8601 date such as 2026-11-22 or 2026-11-22T10:00:00Z (with Z or an offset).`);
  }
  return date;
}
