/** What the operator accounts and the console refuse, with a stable code each. */
export const OPERATOR_ERROR_CODES = {
  request_invalid: 'The operator id, name, role or password is malformed.',
  operator_exists: 'An operator with this id already exists.',
  operator_unknown: 'No operator has this id.',
  operator_credentials_invalid: 'The operator id or the password is wrong.',
  operator_code_invalid: 'The code is wrong, expired, or was already used: wait for the next one in the authenticator app.',
  operator_locked:
    'This operator account is locked after too many wrong passwords or codes; an admin can unlock it (caisse-server operators unlock ID).',
  operator_disabled: 'This operator account is disabled.',
  operator_last_admin: 'This is the last admin who can sign in: add another admin before disabling this one.',
  operator_role_forbidden: 'Your role does not allow this action; nothing was changed.',
} as const;

export type OperatorErrorCode = keyof typeof OPERATOR_ERROR_CODES;

/** The HTTP status of each code, for the console's pages. A `Record`, so the compiler insists every code has one. */
export const OPERATOR_ERROR_STATUS: Record<OperatorErrorCode, number> = {
  request_invalid: 400,
  operator_exists: 409,
  operator_unknown: 404,
  operator_credentials_invalid: 401,
  operator_code_invalid: 401,
  operator_locked: 423,
  operator_disabled: 403,
  operator_last_admin: 409,
  operator_role_forbidden: 403,
};

/**
 * @example
 * try { await operators.checkPassword(id, password) } catch (error) {
 *   if (isOperatorError(error, 'operator_credentials_invalid')) show(error.attemptsLeft)
 * }
 */
export class OperatorError<C extends OperatorErrorCode = OperatorErrorCode> extends Error {
  override readonly name = 'OperatorError';
  readonly code: C;
  readonly status: number;
  /** Wrong passwords or codes left before the account locks, on `operator_code_invalid`. */
  readonly attemptsLeft: number | undefined;

  constructor(code: C, message?: string, options: { attemptsLeft?: number } = {}) {
    super(message ?? OPERATOR_ERROR_CODES[code]);
    this.code = code;
    this.status = OPERATOR_ERROR_STATUS[code];
    this.attemptsLeft = options.attemptsLeft;
  }
}

/** Compares `name` and `code`, not the prototype, so it works across copies of the package. */
export function isOperatorError<C extends OperatorErrorCode>(error: unknown, code?: C): error is OperatorError<C> {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (candidate.name !== 'OperatorError' || typeof candidate.code !== 'string' || !Object.hasOwn(OPERATOR_ERROR_CODES, candidate.code))
    return false;
  return code === undefined || candidate.code === code;
}
