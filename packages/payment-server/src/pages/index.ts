/**
 * Presentation of the hosted customer pages: pure functions from a view model and a
 * locale to a complete HTML document (a string). No I/O, no routes, no sessions; see
 * README-section.md.
 */
export { type AllowanceEntry, type AllowancesView, allowancesSection } from './allowances.js';
export { type CheckoutItemView, type CheckoutView, checkoutPage } from './checkout.js';
export { CONFIRM_LIVE_SCRIPT, CONFIRM_LIVE_SCRIPT_PATH, type ConfirmOnPhoneView, confirmOnPhonePage } from './confirm.js';
export {
  CHECKOUT_CSS,
  CHECKOUT_CSS_HREF,
  CHECKOUT_CSS_INTEGRITY,
  CHECKOUT_CSS_PATH,
  CHECKOUT_CSS_SHA256,
} from './css.js';
export { type DeviceEntry, type DevicesView, devicesSection } from './devices.js';
export { ERROR_PAGE_CODES, type ErrorPageCode, type ErrorView, errorPage, isErrorPageCode } from './error.js';
export { type HistoryEntry, type HistoryStatus, type HistoryTotal, type HistoryView, historyPage, totalsByCurrency } from './history.js';
export {
  type Catalogue,
  DEFAULT_LOCALE,
  LOCALE_TAGS,
  LOCALES,
  type Locale,
  MESSAGES,
  type MessageKey,
  pickLocale,
} from './i18n.js';
export type { IdentifyError, IdentifyField } from './identify.js';
export { DEFAULT_OPERATOR, DEFAULT_TIME_ZONE, type PageBase } from './layout.js';
export { type PendingBankView, pendingBankPage } from './pending.js';
export { DEFAULT_LOCK_THRESHOLD, type RefusalView, refusalPage } from './refusal.js';
export { type ResultOutcome, type ResultRedirectView, resultRedirectPage } from './result.js';
