/**
 * Codes of the CLI itself, on top of those of the domains (a refused credit keeps its
 * `wallet_cap_exceeded`): what `--json` prints as `{"error": {"code", "message"}}`.
 */
export const CLI_ERROR_CODES = {
  usage_invalid: 'The command exists, but its options or arguments are wrong: `caisse-server COMMAND --help` says how to write them.',
  command_unknown: 'No command has these words; the message names the nearest one.',
  server_running:
    'This command cannot run while the payment server runs on the embedded database (start, migrate, restore): stop the server first.',
  admin_connection_lost:
    'The running payment server closed the admin connection before the command finished: it may have been applied; check before running it again.',
  audit_failed: 'The audit register has findings (rows edited, inserted or deleted): the report on stdout lists them.',
  refund_not_made: 'The dispute was decided for the customer, but the refund was not made yet; run the same command again to retry.',
  command_failed: 'The command failed for a reason without a code of its own; the message says which.',
} as const;

export type CliErrorCode = keyof typeof CLI_ERROR_CODES;

/**
 * A command the CLI refuses or could not finish, with its stable code (exit 1).
 * @example throw new CliError('server_running', 'A payment server already runs on this data folder.')
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;

  constructor(code: CliErrorCode, message: string = CLI_ERROR_CODES[code]) {
    super(message);
    this.code = code;
  }
}

/** Every typed error of the payment server has a snake_case code; SQLSTATEs (`23505`) and Node's `ENOENT` are not ones. */
const STABLE_CODE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/**
 * The stable code of an error a command threw: its own (a `ProblemError`, `StorageError`,
 * `AcquirerError`… each carries one), or `command_failed`.
 * @example errorCode(new ProblemError('customer_unknown')) // 'customer_unknown'
 */
export function errorCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && STABLE_CODE.test(code) ? code : 'command_failed';
}
