import type { Messages } from '../messages.js';

/**
 * The French texts (`@caisse/widget/locales/fr`), for the `locales` option. The
 * script-tag file includes them; with the ESM build, import them where French is wanted.
 * @example
 * import { mount } from '@caisse/widget';
 * import { fr } from '@caisse/widget/locales/fr';
 * mount(element, { ticket, server: 'https://pay.example', locales: { fr } }); // French for fr and fr-* languages
 */
export const fr: Messages = {
  pay: 'Payer {amount}',
  authenticate: 'Continuer avec Caisse',
  allow: 'Autoriser jusqu’à {amount}',
  quote: 'Voir le prix et payer',
  serial: 'Commande {serial}',
  items: 'Articles ({count})',
  item: '{quantity} × {label}',
  timeLeft: 'Temps restant : {time}',
  opening: 'Ouverture de la page de paiement…',
  dialogTitle: 'Paiement en cours',
  waiting: 'Terminez le paiement dans la fenêtre de paiement.',
  confirming: 'Confirmez le paiement sur votre téléphone.',
  showWindow: 'Afficher la fenêtre de paiement',
  cancel: 'Annuler',
  verifying: 'Vérification du paiement…',
  paid: 'Paiement de {amount} reçu. Merci\u00a0!',
  authenticated: 'Identité confirmée. Merci\u00a0!',
  granted: 'Provision de {amount} accordée.',
  refused: 'Paiement refusé. {reason}',
  cancelled: 'Paiement annulé.',
  expired: 'Ce lien de paiement a expiré, rechargez la page.',
  offline: 'Vous êtes hors ligne. Reconnectez-vous pour payer.',
  error: 'Le paiement n’a pas pu être vérifié.',
  errorFinal: 'Le paiement n’a pas pu être confirmé. Rechargez la page ou contactez la boutique.',
  setupError: 'Ce bouton de paiement est mal configuré.',
  retry: 'Réessayer',
  reload: 'Recharger la page',
  reason_insufficient_funds: 'Solde du portefeuille insuffisant.',
  reason_ceiling_exceeded: 'Votre plafond de dépenses serait dépassé.',
  reason_authentication_failed: 'Vous n’avez pas pu être identifié.',
  reason_account_locked: 'Votre compte est bloqué.',
  reason_customer_declined: 'Vous l’avez refusé.',
  reason_confirmation_expired: 'Il n’a pas été confirmé à temps.',
  reason_bank_declined: 'Votre banque l’a refusé.',
  reason_ticket_expired: 'Le lien de paiement a expiré.',
  reason_ticket_invalid: 'La demande de paiement n’est pas valide.',
  reason_ticket_replayed: 'La demande de paiement a déjà servi.',
  reason_merchant_unknown: 'La boutique est inconnue du service de paiement.',
  reason_other: 'Aucune raison n’a été donnée.',
};
