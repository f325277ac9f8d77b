import { ProblemError } from '../http/problem.js';

/**
 * A wrong PIN proof, with the tries left before the account locks (the same counter as
 * wrong access keys).
 * @example if (error instanceof PinInvalidError) showAttemptsLeft(error.attemptsLeft)
 */
export class PinInvalidError extends ProblemError {
  readonly attemptsLeft: number;

  constructor(attemptsLeft: number) {
    super(
      'pin_invalid',
      `The PIN is wrong. ${attemptsLeft} ${attemptsLeft === 1 ? 'attempt' : 'attempts'} left before the account is locked.`,
      {
        extensions: { attemptsLeft },
      },
    );
    this.attemptsLeft = attemptsLeft;
  }
}

export function enrollmentCodeInvalid(): ProblemError {
  return new ProblemError('enrollment_code_invalid');
}

/** Also for a bad signature: the answer does not tell a forged token from an unknown key. */
export function deviceUnknown(): ProblemError {
  return new ProblemError('device_unknown');
}

export function deviceRevoked(): ProblemError {
  return new ProblemError('device_revoked');
}

/** The same for a request of another customer as for one that does not exist. */
export function confirmationUnknown(): ProblemError {
  return new ProblemError('confirmation_unknown');
}

export function confirmationMismatch(fact: string): ProblemError {
  return new ProblemError(
    'confirmation_mismatch',
    `The signed answer's ${fact} differs from the request: sign exactly what the request says.`,
  );
}

/** An approval without the PIN proof that the request asks for: refused before the lockout counts it. */
export function pinRequired(): ProblemError {
  return new ProblemError('pin_required');
}
