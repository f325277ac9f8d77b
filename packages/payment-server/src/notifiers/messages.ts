import { type ConfirmationRequest, formatMoney } from '@caisse/protocol';
import { cleanText } from '../pages/html.js';
import { formatAmount, formatDateTime, type Locale } from '../pages/i18n.js';
import type { Receipt } from './notifier.js';

/**
 * The texts a customer receives outside the app. The nudges and codes are in English;
 * receipts are in the customer's language (`customers.locale`). They carry no secret but
 * the enrollment code itself.
 */
export function confirmationText(request: ConfirmationRequest, operatorName: string): string {
  const amount = formatMoney({ amount: request.amount, currency: request.currency }, 'en-GB');
  return request.amount === 0
    ? `${request.payee.name} asks you to sign in. Open your ${operatorName} app to confirm or decline.`
    : `${request.payee.name} asks you to pay ${amount}. Open your ${operatorName} app to confirm or decline.`;
}

export function enrollmentText(code: string, operatorName: string): string {
  return `Your ${operatorName} enrollment code is ${code}. It is valid for 10 minutes. Never give it to anyone.`;
}

/**
 * The text of a receipt in the customer's language: payee, amount, payment id and when,
 * dated in the operator's time zone (`CAISSE_TIME_ZONE`, UTC by default) with the zone
 * written out. The payee is the merchant's name, cleaned of control and bidi characters.
 * @example receiptText({ kind: 'payment', paymentId: 'pay_1042', payee: 'The Bookshop', amount: 1290n, currency: 'EUR', at }, 'fr', 'Caisse', 'Europe/Paris')
 * // 'Caisse – reçu : vous avez payé 12,90 € à The Bookshop le 10 mars 2026, 10:00 UTC+1. Paiement pay_1042.'
 */
export function receiptText(receipt: Receipt, locale: Locale, operatorName: string, timeZone = 'UTC'): string {
  const texts = RECEIPT_TEXTS[locale];
  const fields = {
    operator: operatorName,
    payee: cleanText(receipt.payee),
    amount: formatAmount(Number(receipt.amount), receipt.currency, locale),
    paymentId: receipt.paymentId,
    at: formatDateTime(receipt.at, locale, timeZone),
  };
  return receipt.kind === 'payment'
    ? texts.payment(fields)
    : texts.refund({ ...fields, paid: formatAmount(Number(receipt.paid), receipt.currency, locale) });
}

interface ReceiptFields {
  operator: string;
  payee: string;
  amount: string;
  paymentId: string;
  at: string;
}

/** One text per kind and language; a language of `LOCALES` without its texts fails to compile. */
const RECEIPT_TEXTS: Readonly<
  Record<Locale, { payment(fields: ReceiptFields): string; refund(fields: ReceiptFields & { paid: string }): string }>
> = {
  en: {
    payment: (f) => `${f.operator} receipt: you paid ${f.amount} to ${f.payee} on ${f.at}. Payment ${f.paymentId}.`,
    refund: (f) => `${f.operator} receipt: ${f.payee} refunded you ${f.amount} of your payment ${f.paymentId} of ${f.paid} on ${f.at}.`,
  },
  fr: {
    payment: (f) => `Reçu ${f.operator} : vous avez payé ${f.amount} à ${f.payee} le ${f.at}. Paiement ${f.paymentId}.`,
    refund: (f) =>
      `Reçu ${f.operator} : ${f.payee} vous a remboursé ${f.amount} sur votre paiement ${f.paymentId} de ${f.paid} le ${f.at}.`,
  },
};
