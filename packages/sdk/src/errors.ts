import type { Issue } from '@caisse/protocol';

/**
 * Every error the SDK raises carries one of these codes. They are part of the public API:
 * they never change meaning, and new ones are only ever added. Most are the payment
 * server's problem codes from the device API, passed through unchanged.
 */
export const DEVICE_ERROR_CODES = {
  pin_invalid: 'The PIN is wrong. `attemptsLeft` says how many tries remain before the account locks.',
  pin_malformed: 'A PIN is 4 to 12 digits.',
  pin_required: 'This request is approved with the PIN (only a tap request is approved without one).',
  account_locked: 'The account is locked after 5 wrong PINs or access keys; the operator can unlock it.',
  plan_out_of_bounds:
    "A payment plan stays within the operator's bounds: a customer may lower the wallet's upper amount, the tap threshold and the ceilings, never raise them past the operator's. `issues` say which field.",
  plan_invalid:
    'The plan change is not a plan: an amount that is not a whole number of minor units, no means or one twice, an unknown field, a daily ceiling over the monthly one. `issues` say which field.',
  currency_unknown: 'The currency is not an ISO 4217 code the payment server knows.',
  allowance_unknown: "No such session allowance for this device's customer.",
  confirmation_expired: 'The request expired before it was answered.',
  confirmation_answered: 'The request was already approved, declined or cancelled.',
  confirmation_unknown: "No such request for this device's customer.",
  confirmation_mismatch: 'A signed fact of the answer differs from the request the server holds.',
  device_revoked: 'This device was revoked; enrol it again with a new code.',
  device_unknown: 'The payment server does not know this device (or its signature did not verify).',
  enrollment_code_invalid: 'The enrolment code is unknown, already used or expired (codes last 10 minutes).',
  server_invalid: 'The payment server URL must be https (http only for localhost), without query or fragment.',
  payment_unknown: "No such payment of this device's customer (another customer's payment reads the same).",
  dispute_exists: 'This payment was already disputed: `account.disputes()` lists where that dispute stands.',
  dispute_window_closed: 'The time to dispute this payment has passed.',
  dispute_exceeds_payment: 'Nothing of this payment is left to dispute: it was refunded in full.',
  account_unknown: 'This device holds no such account.',
  message_invalid: 'The payment server sent a message that does not match the protocol.',
  store_failed: 'The device store could not be read or written.',
  offline: 'The payment server could not be reached.',
  server_error: 'The payment server answered with an error the SDK does not expect; see `serverCode` and `status`.',
} as const;

export type DeviceErrorCode = keyof typeof DEVICE_ERROR_CODES;

const NAME = 'CaisseDeviceError';

/**
 * The one error class of the SDK. Compare `code`, never the message; use
 * {@link isCaisseDeviceError} rather than `instanceof` when the error may come from
 * another realm or another copy of the package.
 * @example
 * try { await account.approve(request, pin) } catch (error) {
 *   if (isCaisseDeviceError(error, 'pin_invalid')) show(`Wrong PIN, ${error.attemptsLeft} attempts left`);
 * }
 */
export class CaisseDeviceError extends Error {
  override readonly name = NAME;
  readonly code: DeviceErrorCode;
  /** With `pin_invalid`: wrong PINs still allowed before the account locks. */
  declare readonly attemptsLeft?: number;
  /** With `plan_out_of_bounds`, `plan_invalid` (and a `server_error` whose problem had them): each field at fault and why. */
  declare readonly issues?: readonly Issue[];
  /** The HTTP status, when the payment server answered. */
  declare readonly status?: number;
  /** The payment server's own problem code, when it answered with one (also for `server_error`). */
  declare readonly serverCode?: string;

  constructor(
    code: DeviceErrorCode,
    message?: string,
    options: { cause?: unknown; attemptsLeft?: number; issues?: readonly Issue[]; status?: number; serverCode?: string } = {},
  ) {
    super(message ?? DEVICE_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.attemptsLeft !== undefined) this.attemptsLeft = options.attemptsLeft;
    if (options.issues !== undefined) this.issues = options.issues;
    if (options.status !== undefined) this.status = options.status;
    if (options.serverCode !== undefined) this.serverCode = options.serverCode;
  }
}

/**
 * True for a {@link CaisseDeviceError}, also from another realm (an iframe, a worker's
 * copy): it compares `name` and `code`, not the prototype. Optionally for one code.
 * @example if (isCaisseDeviceError(error, 'offline')) retryLater()
 */
export function isCaisseDeviceError<C extends DeviceErrorCode>(error: unknown, code?: C): error is CaisseDeviceError & { code: C } {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (candidate.name !== NAME || typeof candidate.code !== 'string' || !Object.hasOwn(DEVICE_ERROR_CODES, candidate.code)) return false;
  return code === undefined || candidate.code === code;
}
