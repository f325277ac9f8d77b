/**
 * The English texts, built in: every key the widget shows. `{name}` marks a value filled
 * in at display time. Other languages are separate modules (`@caisse/widget/locales/fr`)
 * given through the `locales` option, so a page that shows only English does not
 * download French; any text can also be replaced through the `messages` option.
 * @example en.pay // 'Pay {amount}'
 */
export const en = {
  pay: 'Pay {amount}',
  authenticate: 'Continue with Caisse',
  allow: 'Allow up to {amount}',
  quote: 'See the price and pay',
  serial: 'Order {serial}',
  items: 'Items ({count})',
  item: '{quantity} × {label}',
  timeLeft: 'Time left: {time}',
  opening: 'Opening the payment page…',
  dialogTitle: 'Payment in progress',
  waiting: 'Finish paying in the payment window.',
  confirming: 'Confirm the payment on your phone.',
  showWindow: 'Show the payment window',
  cancel: 'Cancel',
  verifying: 'Checking the payment…',
  paid: 'Payment of {amount} received. Thank you!',
  authenticated: 'Identity confirmed. Thank you!',
  granted: 'Allowance of {amount} granted.',
  refused: 'Payment refused. {reason}',
  cancelled: 'Payment cancelled.',
  expired: 'This payment link has expired, reload the page.',
  offline: 'You are offline. Reconnect to pay.',
  error: 'The payment could not be checked.',
  errorFinal: 'The payment could not be confirmed. Reload the page or contact the shop.',
  setupError: 'This payment button is not set up correctly.',
  retry: 'Try again',
  reload: 'Reload the page',
  reason_insufficient_funds: 'Not enough money in your wallet.',
  reason_ceiling_exceeded: 'It would go over your spending limit.',
  reason_authentication_failed: 'You could not be identified.',
  reason_account_locked: 'Your account is locked.',
  reason_customer_declined: 'You declined it.',
  reason_confirmation_expired: 'It was not confirmed in time.',
  reason_bank_declined: 'Your bank declined it.',
  reason_ticket_expired: 'The payment link expired.',
  reason_ticket_invalid: 'The payment request is not valid.',
  reason_ticket_replayed: 'The payment request was already used.',
  reason_merchant_unknown: 'The shop is unknown to the payment service.',
  reason_other: 'No reason was given.',
};

/** The key of every message; the README lists them. */
export type MessageKey = keyof typeof en;
/** A full set of texts in one language. */
export type Messages = Record<MessageKey, string>;
/** Texts by primary language subtag (`fr`, `de`, …); a missing text falls back to English. */
export type Locales = Record<string, Partial<Messages>>;

/** A translator: the texts of one language with the merchant's overrides applied. */
export interface Translator {
  /** The locale for `Intl` (the `lang` given, or the browser's). */
  locale: string;
  t(key: MessageKey, values?: Record<string, string | number>): string;
}

/**
 * Chooses the texts of `locales` for the primary subtag of `lang` (`fr` for `fr-CA`), or
 * of the browser's language when `lang` is absent; English for any language, or any
 * single text, that `locales` does not have. Overrides win; those that are not strings
 * are ignored.
 * @example translator('fr-CA', { pay: 'Acheter pour {amount}' }, { fr }).t('pay', { amount: '12,90 $' })
 */
export function translator(lang: string | undefined, overrides: Partial<Messages> | undefined, locales?: Locales): Translator {
  const locale = lang || navigator.language || 'en';
  const tag = (locale.split('-')[0] as string).toLowerCase();
  // Own members only: a tag such as `constructor` must not find Object's.
  const texts = locales && Object.hasOwn(locales, tag) ? locales[tag] : undefined;
  return {
    locale,
    t: (key, values = {}) =>
      ([overrides?.[key], texts?.[key]].find((text) => typeof text === 'string') ?? en[key]).replace(/\{(\w+)\}/g, (whole, name: string) =>
        name in values ? `${values[name]}` : whole,
      ),
  };
}

/**
 * The message key for a refusal reason: `reason_<reason>` for the reasons this version
 * knows, `reason_other` for any other.
 * @example reasonKey('bank_declined') // 'reason_bank_declined'
 */
export function reasonKey(reason: string | undefined): MessageKey {
  const key = `reason_${reason}`;
  return Object.hasOwn(en, key) ? (key as MessageKey) : 'reason_other';
}
