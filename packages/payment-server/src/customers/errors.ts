import { ProblemError } from '../http/problem.js';
import { isLedgerError } from '../ledger/index.js';
import { MAX_FAILED_ATTEMPTS } from './model.js';

/**
 * A wrong account id or access key, with the tries left before the account locks. The
 * message is the same whether the account exists or not.
 * @example if (error instanceof AuthenticationFailedError) page.warn(error.attemptsLeft)
 */
export class AuthenticationFailedError extends ProblemError {
  readonly attemptsLeft: number;

  constructor(attemptsLeft: number) {
    super(
      'authentication_failed',
      `The account id or the access key is wrong. ${attemptsLeft} ${attemptsLeft === 1 ? 'attempt' : 'attempts'} left before the account is locked.`,
    );
    this.attemptsLeft = attemptsLeft;
  }
}

export function accountLocked(): ProblemError {
  return new ProblemError(
    'account_locked',
    `This account is locked after ${MAX_FAILED_ATTEMPTS} wrong access keys or PINs. The operator has been alerted and can unlock it.`,
  );
}

/** Which ceiling a payment would exceed. */
export class CeilingExceededError extends ProblemError {
  readonly period: 'day' | 'month';

  constructor(period: 'day' | 'month') {
    super('ceiling_exceeded', `This payment would exceed the customer's ${period === 'day' ? 'daily' : 'monthly'} ceiling.`);
    this.period = period;
  }
}

/** A wrong account id or access key, the one that locks the account included: what the hosted pages' throttle counts. */
export function isWrongCredentials(error: unknown): boolean {
  return error instanceof AuthenticationFailedError || (error instanceof ProblemError && error.code === 'account_locked');
}

/** Turns the ledger's refusals a customer operation can meet into problems; anything else is returned as it is. */
export function fromLedgerError(error: unknown): unknown {
  if (isLedgerError(error, 'wallet_cap_exceeded')) {
    return new ProblemError('wallet_cap_exceeded', 'The wallet would hold more than its cap; nothing was credited.', { cause: error });
  }
  if (isLedgerError(error, 'idempotency_conflict')) {
    return new ProblemError('idempotency_conflict', 'This idempotency key was already used for another wallet credit.', { cause: error });
  }
  if (isLedgerError(error, 'insufficient_funds')) return new ProblemError('insufficient_funds', undefined, { cause: error });
  return error;
}
