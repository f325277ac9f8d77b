/**
 * Every text the widget shows: key, English, French. `{name}` marks a value filled in at
 * display time. Any text can be replaced through the `messages` option or property.
 * One table rather than one object per language: a translator sees both side by side,
 * and the script-tag file carries each key once.
 */
const TEXTS = [
  ['pay', 'Pay {amount}', 'Payer {amount}'],
  ['authenticate', 'Continue with Caisse', 'Continuer avec Caisse'],
  ['serial', 'Order {serial}', 'Commande {serial}'],
  ['items', 'Items ({count})', 'Articles ({count})'],
  ['item', '{quantity} × {label}', '{quantity} × {label}'],
  ['timeLeft', 'Time left: {time}', 'Temps restant : {time}'],
  ['opening', 'Opening the payment page…', 'Ouverture de la page de paiement…'],
  ['dialogTitle', 'Payment in progress', 'Paiement en cours'],
  ['waiting', 'Finish paying in the payment window.', 'Terminez le paiement dans la fenêtre de paiement.'],
  ['confirming', 'Confirm the payment on your phone.', 'Confirmez le paiement sur votre téléphone.'],
  ['showWindow', 'Show the payment window', 'Afficher la fenêtre de paiement'],
  ['cancel', 'Cancel', 'Annuler'],
  ['verifying', 'Checking the payment…', 'Vérification du paiement…'],
  ['paid', 'Payment of {amount} received. Thank you!', 'Paiement de {amount} reçu. Merci\u00a0!'],
  ['authenticated', 'Identity confirmed. Thank you!', 'Identité confirmée. Merci\u00a0!'],
  ['refused', 'Payment refused. {reason}', 'Paiement refusé. {reason}'],
  ['cancelled', 'Payment cancelled.', 'Paiement annulé.'],
  ['expired', 'This payment link has expired, reload the page.', 'Ce lien de paiement a expiré, rechargez la page.'],
  ['offline', 'You are offline. Reconnect to pay.', 'Vous êtes hors ligne. Reconnectez-vous pour payer.'],
  ['error', 'The payment could not be checked.', 'Le paiement n’a pas pu être vérifié.'],
  [
    'errorFinal',
    'The payment could not be confirmed. Reload the page or contact the shop.',
    'Le paiement n’a pas pu être confirmé. Rechargez la page ou contactez la boutique.',
  ],
  ['setupError', 'This payment button is not set up correctly.', 'Ce bouton de paiement est mal configuré.'],
  ['retry', 'Try again', 'Réessayer'],
  ['reload', 'Reload the page', 'Recharger la page'],
  ['reason_insufficient_funds', 'Not enough money in your wallet.', 'Solde du portefeuille insuffisant.'],
  ['reason_ceiling_exceeded', 'It would go over your spending limit.', 'Votre plafond de dépenses serait dépassé.'],
  ['reason_authentication_failed', 'You could not be identified.', 'Vous n’avez pas pu être identifié.'],
  ['reason_account_locked', 'Your account is locked.', 'Votre compte est bloqué.'],
  ['reason_customer_declined', 'You declined it.', 'Vous l’avez refusé.'],
  ['reason_confirmation_expired', 'It was not confirmed in time.', 'Il n’a pas été confirmé à temps.'],
  ['reason_bank_declined', 'Your bank declined it.', 'Votre banque l’a refusé.'],
  ['reason_ticket_expired', 'The payment link expired.', 'Le lien de paiement a expiré.'],
  ['reason_ticket_invalid', 'The payment request is not valid.', 'La demande de paiement n’est pas valide.'],
  ['reason_ticket_replayed', 'The payment request was already used.', 'La demande de paiement a déjà servi.'],
  ['reason_merchant_unknown', 'The shop is unknown to the payment service.', 'La boutique est inconnue du service de paiement.'],
  ['reason_other', 'No reason was given.', 'Aucune raison n’a été donnée.'],
] as const;

/** The key of every message; the README lists them with their English and French texts. */
export type MessageKey = (typeof TEXTS)[number][0];
/** A full set of texts in one language. */
export type Messages = Record<MessageKey, string>;

const language = (column: 1 | 2) => Object.fromEntries(TEXTS.map((row) => [row[0], row[column]])) as Messages;

/**
 * The built-in texts by language.
 * @example MESSAGES.fr.pay // 'Payer {amount}'
 */
export const MESSAGES: Readonly<Record<'en' | 'fr', Messages>> = { en: language(1), fr: language(2) };

/** A translator: the texts of one language with the merchant's overrides applied. */
export interface Translator {
  /** The locale for `Intl` (the `lang` given, or the browser's). */
  locale: string;
  t(key: MessageKey, values?: Record<string, string | number>): string;
}

/**
 * Chooses French for any `fr` language and English otherwise; `lang` wins over the
 * browser's language. Overrides that are not strings are ignored.
 * @example translator('fr-CA', { pay: 'Acheter pour {amount}' }).t('pay', { amount: '12,90 $' })
 */
export function translator(lang: string | undefined, overrides: Partial<Messages> | undefined): Translator {
  const locale = lang || navigator.language || 'en';
  const base = MESSAGES[/^fr\b/i.test(locale) ? 'fr' : 'en'];
  return {
    locale,
    t: (key, values = {}) =>
      (typeof overrides?.[key] === 'string' ? (overrides[key] as string) : base[key]).replace(/\{(\w+)\}/g, (whole, name: string) =>
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
  return Object.hasOwn(MESSAGES.en, key) ? (key as MessageKey) : 'reason_other';
}
