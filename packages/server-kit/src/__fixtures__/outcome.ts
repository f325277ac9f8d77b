import { type ErrorCode, isCaisseError } from '@caisse/protocol';

/**
 * What a verification came to: `'accepted'`, or the code of the CaisseError it threw.
 * Anything but a CaisseError (a TypeError, a crash) is thrown again, failing the test.
 * @example expect(await outcome(verifyVoucher(token, options))).toBe('token_replayed')
 */
export async function outcome(promise: Promise<unknown>): Promise<ErrorCode | 'accepted'> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    if (isCaisseError(error)) return error.code;
    throw error;
  }
}
