import { parseArgs } from 'node:util';

/** A command line the operator got wrong: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
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
