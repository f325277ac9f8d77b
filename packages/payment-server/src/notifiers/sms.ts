import type { Logger } from '../log.js';
import { confirmationText, enrollmentText, receiptText } from './messages.js';
import type { Notifier, ReceiptOutcome, Recipient } from './notifier.js';

export interface SmsGatewayOptions {
  /** The gateway's endpoint (`CAISSE_SMS_URL`): it receives `POST {"to":"+33…","text":"…"}`. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` (`CAISSE_SMS_TOKEN`); never logged. */
  token: string;
  log: Logger;
  operatorName?: string;
  /** IANA time zone receipts are dated in (`CAISSE_TIME_ZONE`); default UTC. */
  timeZone?: string;
  /** Milliseconds before giving up on one message; default 5 000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * `CAISSE_NOTIFIER=sms`: one HTTP POST per message to an SMS gateway. A 2xx is sent;
 * anything else (a status, a time-out, a refused connection) is logged and dropped —
 * never retried, because a gateway that timed out may still have sent it, and two SMS
 * for one request confuse more than none (the device stream carries the request anyway).
 * Receipts are the exception: their outcome goes back to the receipt sender, which tries
 * a failed one again (a receipt twice after a time-out is better than none).
 * Logs name the kind of message and the customer, never the text nor the token.
 * @example const notifier = smsNotifier({ url: config.CAISSE_SMS_URL, token: config.CAISSE_SMS_TOKEN, log })
 */
export function smsNotifier(options: SmsGatewayOptions): Notifier {
  const send = options.fetch ?? fetch;
  const operatorName = options.operatorName ?? 'Caisse';
  const timeoutMs = options.timeoutMs ?? 5_000;

  async function post(to: Recipient, kind: 'confirmation_request' | 'enrollment_code' | 'receipt', text: string): Promise<ReceiptOutcome> {
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
      if (response.status >= 200 && response.status < 300) {
        options.log.info('notifier.sent', fields);
        return { status: 'sent' };
      }
      options.log.warn('notifier.failed', { ...fields, status: response.status });
      return { status: 'failed', error: `http ${response.status}` };
    } catch (error) {
      const name = error instanceof Error ? error.name : 'unknown';
      options.log.warn('notifier.failed', { ...fields, error: name });
      return { status: 'failed', error: name };
    }
  }

  return {
    confirmationRequested: async (to, request) => {
      await post(to, 'confirmation_request', confirmationText(request, operatorName));
    },
    enrollmentCode: async (to, code) => {
      await post(to, 'enrollment_code', enrollmentText(code, operatorName));
    },
    receipt: (to, receipt) => post(to, 'receipt', receiptText(receipt, to.locale, operatorName, options.timeZone)),
  };
}
