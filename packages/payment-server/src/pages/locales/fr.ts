import type { Catalogue } from './catalogue.js';

/**
 * Textes français des pages hébergées. Mêmes clés et mêmes `{paramètres}` que le
 * catalogue anglais (vérifié par le compilateur). Typographie : espace insécable
 * (`\u00a0`) avant « : » et dans les guillemets, espace fine insécable (`\u202f`) avant
 * « ; ! ? ».
 */
export const fr = {
  // Langue
  'language.name': 'Français',
  'language.switch': 'Langue',

  // Gabarit
  'layout.skip': 'Aller au contenu principal',
  'layout.operatedBy': 'Page de paiement exploitée par {operator}.',
  'layout.help': 'Aide de {operator}',
  'layout.errorTitle': 'Erreur\u00a0: {title}',

  // Montants et dates
  'time.until': '{time} ({relative})',

  // Paiement
  'checkout.titlePay': 'Payer {merchant}',
  'checkout.titleSignIn': 'Se connecter à {merchant}',
  'checkout.serial': 'Commande {serial}',
  'checkout.signInIntro': '{merchant} demande à {operator} de confirmer votre identité. Aucun argent n’est prélevé.',
  'checkout.orderHeading': 'Votre commande',
  'checkout.itemQuantity': '{quantity} × {unitPrice}',
  'checkout.itemSubtotal': 'Sous-total\u00a0:',
  'checkout.vatIncluded': 'Dont TVA',
  'checkout.total': 'Total',
  'checkout.expires': 'Cette page expire à {time}.',
  'checkout.deferred':
    'Votre argent est bloqué jusqu’à ce que {merchant} confirme la livraison\u202f; si la commande est annulée, il vous est rendu.',
  'checkout.requestedIntro': '{merchant} demande les informations suivantes. Elles ne sont transmises qu’après votre confirmation\u00a0:',
  'checkout.requested.shipping_address': 'Votre adresse de livraison',
  'checkout.requested.email': 'Votre adresse e-mail',
  'checkout.requested.name': 'Votre nom',
  'checkout.payButton': 'Payer {amount}',
  'checkout.signInButton': 'Se connecter',
  'checkout.cancelButton': 'Annuler et revenir chez {merchant}',

  // Identification (paiement et compte)
  'identify.heading': 'Identifiez-vous',
  'identify.account': 'Identifiant de compte',
  'identify.accountHint': 'L’identifiant de votre compte {operator}.',
  'identify.accessKey': 'Clé d’accès',
  'identify.accessKeyHint': '{merchant} ne voit jamais votre clé d’accès.',
  'identify.accessKeyHintAccount': 'Ne donnez jamais votre clé d’accès à personne, pas même au personnel de {operator}.',
  'identify.errorHeading': 'Il y a un problème',
  'identify.error.credentials_invalid': 'L’identifiant de compte ou la clé d’accès est incorrect.',
  'identify.error.account_required': 'Saisissez votre identifiant de compte.',
  'identify.error.access_key_required': 'Saisissez votre clé d’accès.',
  'identify.error.too_many_requests': 'Trop d’essais depuis ce navigateur. Attendez une minute, puis réessayez.',
  'identify.attemptsLeft_one': 'Il reste {count} essai avant le blocage du compte.',
  'identify.attemptsLeft_other': 'Il reste {count} essais avant le blocage du compte.',

  // Confirmation sur le téléphone
  'confirm.title': 'Confirmez sur votre téléphone',
  'confirm.intro':
    'Nous avons envoyé une demande à votre téléphone. Ouvrez votre application {operator}, vérifiez le bénéficiaire et le montant, puis approuvez avec votre code.',
  'confirm.introSignIn':
    'Nous avons envoyé une demande à votre téléphone. Ouvrez votre application {operator}, vérifiez que vous vous connectez à {merchant}, puis approuvez avec votre code.',
  'confirm.payee': 'Bénéficiaire',
  'confirm.signInTo': 'Connexion à',
  'confirm.amount': 'Montant',
  'confirm.deadline': 'Confirmez avant {time}.',
  'confirm.noUpdate':
    'Cette page ne se met pas à jour toute seule\u00a0: après avoir répondu sur votre téléphone, choisissez «\u00a0Vérifier à nouveau\u00a0».',
  'confirm.refresh': 'Vérifier à nouveau',

  // Attente de la banque
  'pending.title': 'En attente de votre banque',
  'pending.intro': 'Votre banque n’a pas encore répondu pour le paiement de {amount} à {merchant}.',
  'pending.once': 'Vous n’êtes débité qu’une seule fois, même si vous vérifiez plusieurs fois.',
  'pending.noUpdate':
    'Cette page ne se met pas à jour toute seule\u00a0: attendez quelques secondes, puis choisissez «\u00a0Vérifier à nouveau\u00a0».',
  'pending.refresh': 'Vérifier à nouveau',

  // Résultat (quand une simple redirection est impossible)
  'result.title.paid': 'Paiement accepté',
  'result.title.held': 'Paiement accepté, bloqué jusqu’à la livraison',
  'result.title.authenticated': 'Connexion réussie',
  'result.title.refused': 'Paiement refusé',
  'result.title.cancelled': 'Paiement annulé',
  'result.intro': 'Pour terminer, revenez chez {merchant}.',
  'result.button': 'Revenir chez {merchant}',
  'result.validity': 'Ce lien fonctionne pendant environ une minute. {merchant} est informé du résultat dans tous les cas.',

  // Refus : ce qui s’est passé, puis ce que le client peut faire
  'refusal.return': 'Revenir chez {merchant}',
  'refusal.backWithBrowser': 'Utilisez le bouton Retour de votre navigateur pour revenir à la boutique.',
  'refusal.reference': 'Référence pour l’assistance\u00a0: {code}',
  'refusal.insufficient_funds.title': 'Solde insuffisant',
  'refusal.insufficient_funds.what': 'Votre porte-monnaie {operator} ne contient pas assez d’argent pour ce paiement. Rien n’a été débité.',
  'refusal.insufficient_funds.next': 'Rechargez votre porte-monnaie, puis recommencez le paiement depuis la boutique.',
  'refusal.ceiling_exceeded.title': 'Plafond de dépenses atteint',
  'refusal.ceiling_exceeded.what': 'Ce paiement dépasserait votre plafond de dépenses journalier ou mensuel. Rien n’a été débité.',
  'refusal.ceiling_exceeded.next':
    'Payez un montant plus faible, attendez que votre plafond se renouvelle, ou demandez à {operator} de modifier vos plafonds.',
  'refusal.authentication_failed.title': 'Nous n’avons pas pu vous identifier',
  'refusal.authentication_failed.what':
    'L’identifiant de compte ou la clé d’accès était incorrect, le paiement n’a donc pas été fait. Rien n’a été débité.',
  'refusal.authentication_failed.next': 'Recommencez depuis la boutique en vérifiant votre identifiant de compte et votre clé d’accès.',
  'refusal.account_locked.title': 'Votre compte est bloqué',
  'refusal.account_locked.what': 'Votre compte est bloqué après {limit} clés d’accès erronées, pour le protéger. Rien n’a été débité.',
  'refusal.account_locked.next': 'Contactez {operator} pour le débloquer.',
  'refusal.customer_declined.title': 'Paiement refusé sur votre téléphone',
  'refusal.customer_declined.what': 'Le paiement a été refusé sur votre téléphone. Rien n’a été débité.',
  'refusal.customer_declined.next': 'S’il s’agit d’une erreur, recommencez le paiement depuis la boutique.',
  'refusal.confirmation_expired.title': 'La confirmation a pris trop de temps',
  'refusal.confirmation_expired.what': 'Le paiement n’a pas été confirmé à temps sur votre téléphone. Rien n’a été débité.',
  'refusal.confirmation_expired.next': 'Recommencez le paiement depuis la boutique et répondez sur votre téléphone en quelques minutes.',
  'refusal.bank_declined.title': 'Votre banque a refusé le paiement',
  'refusal.bank_declined.what': 'Votre banque a refusé ce paiement. Rien n’a été débité.',
  'refusal.bank_declined.next': 'Demandez la raison à votre banque, ou payez autrement.',
  'refusal.ticket_expired.title': 'Cette demande de paiement a expiré',
  'refusal.ticket_expired.what': 'La demande de paiement de la boutique est trop ancienne pour être utilisée. Rien n’a été débité.',
  'refusal.ticket_expired.next': 'Revenez à la boutique et recommencez le paiement.',
  'refusal.ticket_invalid.title': 'Cette demande de paiement n’est pas valide',
  'refusal.ticket_invalid.what':
    'La demande de paiement de la boutique n’a pas pu être vérifiée, elle n’a donc pas été utilisée. Rien n’a été débité.',
  'refusal.ticket_invalid.next': 'Revenez à la boutique et réessayez. Si cela se reproduit, prévenez la boutique.',
  'refusal.ticket_replayed.title': 'Cette demande de paiement a déjà servi',
  'refusal.ticket_replayed.what': 'Une demande de paiement ne sert qu’une fois, et celle-ci a déjà servi. Rien de plus n’a été débité.',
  'refusal.ticket_replayed.next':
    'Vérifiez votre commande auprès de la boutique avant de payer à nouveau\u202f; si besoin, recommencez un paiement depuis la boutique.',
  'refusal.merchant_unknown.title': 'Boutique non reconnue',
  'refusal.merchant_unknown.what': 'La boutique qui vous a envoyé ici n’est pas enregistrée auprès de {operator}. Rien n’a été débité.',
  'refusal.merchant_unknown.next': 'Ne saisissez pas votre clé d’accès. Revenez à la boutique et contactez-la.',

  // Pages d’erreur
  'error.status': 'Erreur {status}',
  'error.reference': 'Référence pour l’assistance\u00a0: {code}',
  'error.detail': 'Détails\u00a0: {detail}',
  'error.retry': 'Recharger la page',
  'error.back': 'Revenir à la boutique',
  'error.not_found.title': 'Page introuvable',
  'error.not_found.body': 'Il n’y a rien à cette adresse. Vérifiez l’adresse, ou revenez à la boutique et recommencez.',
  'error.method_not_allowed.title': 'Cette page ne s’utilise pas ainsi',
  'error.method_not_allowed.body': 'Revenez à la boutique et recommencez.',
  'error.request_invalid.title': 'Le formulaire n’a pas pu être lu',
  'error.request_invalid.body': 'Une donnée du formulaire manquait ou n’avait pas la forme attendue. Rechargez la page et réessayez.',
  'error.body_too_large.title': 'Le formulaire est trop volumineux',
  'error.body_too_large.body': 'Le formulaire a envoyé plus de données que cette page n’en accepte. Rechargez la page et réessayez.',
  'error.csrf_invalid.title': 'Le formulaire a expiré',
  'error.csrf_invalid.body':
    'Le formulaire était trop ancien ou n’a pas été envoyé depuis cette page. Rechargez la page et réessayez. Rien n’a été débité.',
  'error.session_unknown.title': 'Session de paiement introuvable',
  'error.session_unknown.body':
    'Cette session de paiement n’existe pas ou a été ouverte dans un autre navigateur. Revenez à la boutique et recommencez.',
  'error.session_expired.title': 'Cette session de paiement a expiré',
  'error.session_expired.body':
    'Pour votre sécurité, une page de paiement ne fonctionne que pendant un temps limité. Rien n’a été débité. Revenez à la boutique et recommencez le paiement.',
  'error.session_state.title': 'Cette étape a déjà été faite',
  'error.session_state.body':
    'Le paiement a avancé depuis l’affichage de cette page, par exemple après un double clic. Rechargez la page pour voir où il en est.',
  'error.internal_error.title': 'Un problème est survenu de notre côté',
  'error.internal_error.body': 'Rien n’a été débité deux fois. Réessayez dans un instant.',
  'error.generic.title': 'Un problème est survenu',
  'error.generic.body': 'Revenez à la boutique et réessayez.',

  // Page de compte : historique des paiements
  'history.title': 'Vos paiements',
  'history.signInIntro': 'Identifiez-vous pour voir vos paiements.',
  'history.signInButton': 'Afficher mes paiements',
  'history.account': 'Compte {account}',
  'history.signOut': 'Se déconnecter',
  'history.period': 'Période',
  'history.from': 'Du',
  'history.to': 'Au',
  'history.dateHint': 'Format\u00a0: AAAA-MM-JJ. Les deux dates sont incluses.',
  'history.show': 'Afficher',
  'history.error.period_invalid': 'Saisissez une période valide\u00a0: deux dates, la première au plus tard égale à la seconde.',
  'history.caption': 'Paiements du {from} au {to}',
  'history.empty': 'Aucun paiement du {from} au {to}.',
  'history.col.date': 'Date',
  'history.col.merchant': 'Commerçant',
  'history.col.serial': 'Commande',
  'history.col.amount': 'Montant',
  'history.col.status': 'Statut',
  'history.status.authorised': 'Payé',
  'history.status.authenticated': 'Connexion',
  'history.status.held': 'Bloqué jusqu’à la livraison',
  'history.status.refunded': 'Remboursé',
  'history.totals': 'Totaux de la période',
  'history.totalsNote': 'Les totaux comptent les paiements payés et bloqués, pas les remboursements ni les connexions.',
} as const satisfies Catalogue;
