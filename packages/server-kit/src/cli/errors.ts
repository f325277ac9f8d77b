/** Exit codes of every `caisse` command. */
export const EXIT = {
  /** The key was made, the ticket is valid, the voucher verified. */
  ok: 0,
  /** The token is invalid or refused, a key file would be overwritten, or the check could not be completed. */
  invalid: 1,
  /** The command line is wrong, or a file it names cannot be read or is not what it should be. */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Codes of the errors the CLI itself raises. Errors about tokens and keys carry the kit's
 * codes (`ERROR_CODES` of `@caisse/protocol`) instead.
 */
export const CLI_ERROR_CODES = {
  usage: 'The command line is wrong: unknown command or option, missing or repeated option, bad value.',
  input_unreadable: 'A file or stdin named on the command line could not be read.',
  input_invalid: 'A file named on the command line is not JSON, or too large.',
  file_exists: 'A key file already exists; the CLI never overwrites one.',
  write_failed: 'A key file could not be written.',
  internal_error: 'An unexpected failure; the token is not accepted.',
} as const;

export type CliErrorCode = keyof typeof CLI_ERROR_CODES;

/** An error of the CLI itself, with its stable code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
