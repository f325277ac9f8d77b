import type { Logger } from '../log.js';
import { consoleNotifier, streamOnlyNotifier } from './console.js';
import type { Notifier } from './notifier.js';
import { smsNotifier } from './sms.js';

export { consoleNotifier, streamOnlyNotifier } from './console.js';
export { confirmationText, enrollmentText, receiptText } from './messages.js';
export type { Notifier, PaymentReceipt, Receipt, ReceiptOutcome, ReceiptRecipient, Recipient, RefundReceipt } from './notifier.js';
export { type SmsGatewayOptions, smsNotifier } from './sms.js';

export interface NotifierConfig {
  CAISSE_NOTIFIER: 'console' | 'sms' | 'stream';
  CAISSE_SMS_URL?: string | undefined;
  CAISSE_SMS_TOKEN?: string | undefined;
  /** The operator's time zone, receipts are dated in. */
  CAISSE_TIME_ZONE?: string | undefined;
}

/**
 * The notifier the configuration asks for. `sms` needs `CAISSE_SMS_URL` and
 * `CAISSE_SMS_TOKEN` (checked when the configuration is parsed).
 * @example const notifier = createNotifier(config, log)
 */
export function createNotifier(config: NotifierConfig, log: Logger, operatorName?: string): Notifier {
  switch (config.CAISSE_NOTIFIER) {
    case 'sms':
      if (!config.CAISSE_SMS_URL || !config.CAISSE_SMS_TOKEN)
        throw new Error('CAISSE_NOTIFIER=sms needs CAISSE_SMS_URL and CAISSE_SMS_TOKEN.');
      return smsNotifier({
        url: config.CAISSE_SMS_URL,
        token: config.CAISSE_SMS_TOKEN,
        log,
        ...(operatorName ? { operatorName } : {}),
        ...(config.CAISSE_TIME_ZONE ? { timeZone: config.CAISSE_TIME_ZONE } : {}),
      });
    case 'stream':
      return streamOnlyNotifier();
    case 'console':
      return consoleNotifier(log);
  }
}
