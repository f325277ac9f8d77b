import type { Logger } from '../log.js';
import type { Notifier } from './notifier.js';

/**
 * The development notifier (`CAISSE_NOTIFIER=console`, the default): logs that a message
 * was sent, to whom and of what kind, never its text (an enrollment code is a secret).
 * Read the code from where the operator created it instead.
 * @example const notifier = consoleNotifier(log)
 */
export function consoleNotifier(log: Logger): Notifier {
  return {
    async confirmationRequested(to, request) {
      log.info('notifier.sent', { channel: 'console', kind: 'confirmation_request', customerId: to.id, request: request.id });
    },
    async enrollmentCode(to) {
      log.info('notifier.sent', { channel: 'console', kind: 'enrollment_code', customerId: to.id });
    },
    async receipt(to, receipt) {
      log.info('notifier.sent', {
        channel: 'console',
        kind: 'receipt',
        customerId: to.id,
        payment: receipt.paymentId,
        receiptKind: receipt.kind,
      });
      return { status: 'sent' };
    },
  };
}

/** `CAISSE_NOTIFIER=stream`: the device stream alone, nothing else is sent; receipts are `skipped`, never retried. */
export function streamOnlyNotifier(): Notifier {
  return {
    async confirmationRequested() {},
    async enrollmentCode() {},
    async receipt() {
      return { status: 'skipped' };
    },
  };
}
