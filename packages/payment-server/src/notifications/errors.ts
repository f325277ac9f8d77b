/** What the operator side of the outbox (list, resend) can refuse. Sending never throws: a failed attempt is a retry. */
export const NOTIFICATION_ERROR_CODES = {
  notification_unknown: 'No notification has this id.',
  notification_not_parked: 'Only a parked notification can be resent; this one is still being retried or was delivered.',
  request_invalid: 'The request is malformed (id, status or limit).',
} as const;

export type NotificationErrorCode = keyof typeof NOTIFICATION_ERROR_CODES;

/**
 * @example
 * try { await notifications.resend(id) } catch (error) {
 *   if (isNotificationError(error, 'notification_not_parked')) console.log(error.details.status)
 * }
 */
export class NotificationError<C extends NotificationErrorCode = NotificationErrorCode> extends Error {
  override readonly name = 'NotificationError';
  readonly code: C;
  /** Facts that help the caller act, e.g. `{ status: 'delivered' }`. Never a token. */
  readonly details: Readonly<Record<string, string>>;

  constructor(code: C, message?: string, options?: { details?: Readonly<Record<string, string>> }) {
    super(message ?? NOTIFICATION_ERROR_CODES[code]);
    this.code = code;
    this.details = options?.details ?? {};
  }
}

/** Compares `name` and `code`, not the prototype, so it works across copies of the package. */
export function isNotificationError<C extends NotificationErrorCode>(error: unknown, code?: C): error is NotificationError<C> {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (
    candidate.name !== 'NotificationError' ||
    typeof candidate.code !== 'string' ||
    !Object.hasOwn(NOTIFICATION_ERROR_CODES, candidate.code)
  )
    return false;
  return code === undefined || candidate.code === code;
}
