import type { Logger } from '../log.js';
import { confirmationText, enrollmentText } from './messages.js';
import type { Notifier, Recipient } from './notifier.js';

export interface SmsGatewayOptions {
  /** The gateway's endpoint (`CAISSE_SMS_URL`): it receives `POST {"to":"+33…","text":"…"}`. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` (`CAISSE_SMS_TOKEN`); never logged. */
  token: string;
  log: Logger;
  operatorName?: string;
  /** Milliseconds before giving up on one message; default 5 000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * `CAISSE_NOTIFIER=sms`: one HTTP POST per message to an SMS gateway. A 2xx is sent;
 * anything else (a status, a time-out, a refused connection) is logged and dropped —
 * never retried, because a gateway that timed out may still have sent it, and two SMS
 * for one request confuse more than none (the device stream carries the request anyway).
 * Logs name the kind of message and the customer, never the text nor the token.
 * @example const notifier = smsNotifier({ url: config.CAISSE_SMS_URL, token: config.CAISSE_SMS_TOKEN, log })
 */
export function smsNotifier(options: SmsGatewayOptions): Notifier {
  const send = options.fetch ?? fetch;
  const operatorName = options.operatorName ?? 'Caisse';
  const timeoutMs = options.timeoutMs ?? 5_000;

  async function post(to: Recipient, kind: 'confirmation_request' | 'enrollment_code', text: string): Promise<void> {
    const fields = { channel: 'sms', kind, customerId: to.id };
    try {
      const response = await send(options.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ to: to.phone, text }),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // The answer's body says nothing we act on; let it go without waiting for it.
      response.body?.cancel().catch(() => {});
      if (response.status >= 200 && response.status < 300) options.log.info('notifier.sent', fields);
      else options.log.warn('notifier.failed', { ...fields, status: response.status });
    } catch (error) {
      options.log.warn('notifier.failed', { ...fields, error: error instanceof Error ? error.name : 'unknown' });
    }
  }

  return {
    confirmationRequested: (to, request) => post(to, 'confirmation_request', confirmationText(request, operatorName)),
    enrollmentCode: (to, code) => post(to, 'enrollment_code', enrollmentText(code, operatorName)),
  };
}
