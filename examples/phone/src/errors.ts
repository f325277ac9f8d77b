import type { CaisseDeviceError, DeviceErrorCode } from '@caisse/sdk';

const TEXTS: Partial<Record<DeviceErrorCode, string>> = {
  pin_malformed: 'A PIN is 4 to 12 digits.',
  pin_required: 'This payment needs your PIN.',
  account_locked: 'Your account is locked after too many wrong PINs. Contact your payment operator to unlock it.',
  plan_out_of_bounds: 'A value is over the limit your payment operator sets. Lower it and try again.',
  plan_invalid: 'A value of the plan is not valid. Check the amounts and try again.',
  currency_unknown: 'The payment server does not know this currency.',
  confirmation_expired: 'This request has expired. Start the payment again.',
  confirmation_answered: 'This request was already answered or cancelled.',
  confirmation_unknown: 'This request no longer exists.',
  confirmation_mismatch: 'The payment server refused the answer: the request changed. Nothing was paid.',
  device_revoked: 'This phone was removed from the account. Add it again with a new code.',
  device_unknown: 'The payment server does not know this phone. Add it again with a new code.',
  enrollment_code_invalid: 'This code is wrong, used or expired. Ask for a new one.',
  server_invalid: 'Type the payment server address, starting with https://.',
  payment_unknown: 'The payment server does not know this payment.',
  dispute_exists: 'This payment is already disputed.',
  dispute_window_closed: 'The time to dispute this payment has passed.',
  dispute_exceeds_payment: 'This payment was refunded in full: there is nothing left to dispute.',
  offline: 'No connection to the payment server. Check your connection and try again.',
};

/** The words a customer reads for an SDK error. */
export function errorText(error: CaisseDeviceError): string {
  if (error.code === 'pin_invalid') {
    const left = error.attemptsLeft;
    return left === undefined ? 'Wrong PIN.' : `Wrong PIN, ${left} ${left === 1 ? 'attempt' : 'attempts'} left.`;
  }
  return TEXTS[error.code] ?? 'Something went wrong on the payment server. Try again.';
}
