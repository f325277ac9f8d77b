import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIo } from './commands.js';
import type { CliErrorCode } from './errors.js';

/**
 * A command line the operator got wrong: the CLI prints it with the usage and exits 2.
 * `command_unknown` when no command has these words (the CLI suggests the nearest one),
 * `usage_invalid` when the command exists and its options or arguments are wrong.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code: Extract<CliErrorCode, 'usage_invalid' | 'command_unknown'>;

  constructor(message: string, code: UsageError['code'] = 'usage_invalid') {
    super(message);
    this.code = code;
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
type OptionValue<O extends OptionSpec[string]> = O['type'] extends 'string' ? string : boolean;
type OptionValues<T extends OptionSpec> = { [K in keyof T]?: T[K] extends { multiple: true } ? OptionValue<T[K]>[] : OptionValue<T[K]> };

/** Parses `--name value` options strictly; anything unknown or malformed is a {@link UsageError}. */
export function options<T extends OptionSpec>(args: string[], spec: T): OptionValues<T> {
  try {
    return parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values as OptionValues<T>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required.`);
  return value;
}

/** The one positional argument of a command (`devices code alice`). */
export function positional(args: string[], name: string): string {
  const [value, ...more] = args;
  if (value === undefined || value === '' || value.startsWith('-') || more.length > 0) throw new UsageError(`Give exactly one ${name}.`);
  return value;
}

/**
 * A file named on the command line, from the operator's working directory: through the
 * admin socket the command runs in the server's process, whose directory is not theirs.
 * @example await readFile(fileArgument(io, 'keys/shop.jwks.json'), 'utf8')
 */
export function fileArgument(io: CliIo, file: string): string {
  return resolve(io.cwd ?? process.cwd(), file);
}
