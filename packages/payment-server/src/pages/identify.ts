import { LIMITS } from '@caisse/protocol';
import { cleanText, type Html, h, localPath } from './html.js';
import { type Locale, plural, t } from './i18n.js';

/** The two fields of the identification form (`name` attributes `account` and `accessKey`). */
export type IdentifyField = 'account' | 'accessKey';

/**
 * Why the identification form is shown again.
 * - `credentials_invalid`: the account id or the access key is wrong (one message for
 *   both, so the page does not say which accounts exist); `attemptsLeft`, when given, is
 *   how many wrong keys remain before the lock (the route decides whether to disclose it).
 *   When none remain, show `refusalPage` with `account_locked` instead.
 * - `missing`: fields sent empty (forms carry `novalidate`, so this is the server's
 *   message, in the page language, rather than the browser's). Not a wrong attempt.
 * - `too_many_requests`: the route throttles this browser.
 * - `phone_requests_limited`: the account's phone got too many requests lately without
 *   an approval (checkout/phone.ts); none is sent.
 */
export type IdentifyError =
  | { code: 'credentials_invalid'; attemptsLeft?: number }
  | { code: 'missing'; fields: readonly IdentifyField[] }
  | { code: 'too_many_requests' }
  | { code: 'phone_requests_limited' };

export interface IdentifyFormOptions {
  locale: Locale;
  /** POST target (path-absolute on this server). */
  action: string;
  csrfToken: string;
  /** Value to show again in the account field (never the access key). */
  account?: string | undefined;
  error?: IdentifyError | undefined;
  submitLabel: Html;
  accountHint: Html;
  accessKeyHint: Html;
  /** Fields sent with the identification, before it (the data the merchant requests). */
  before?: Html;
  /** Choices about the payment, after the identification and just above its button. */
  choices?: Html;
  /** Other ways to send the same form, after its button (a `formaction` button). */
  after?: Html;
}

const FIELD_IDS: Record<IdentifyField, string> = { account: 'account', accessKey: 'access-key' };

/**
 * The account id + access key form, with its error summary (`role="alert"`, links to
 * the fields) and per-field errors (`aria-invalid`, `aria-describedby`).
 */
export function identifyForm(options: IdentifyFormOptions): Html {
  const { locale, error } = options;
  const missing = new Set(error?.code === 'missing' ? error.fields : []);
  const invalidCredentials = error?.code === 'credentials_invalid';

  let summary: Html | undefined;
  if (error?.code === 'credentials_invalid') {
    summary = h`<p id="identify-error-message">${t(locale, 'identify.error.credentials_invalid')}${
      error.attemptsLeft === undefined ? '' : h` ${plural(locale, 'identify.attemptsLeft', error.attemptsLeft)}`
    }</p>`;
  } else if (error?.code === 'too_many_requests' || error?.code === 'phone_requests_limited') {
    summary = h`<p id="identify-error-message">${t(locale, `identify.error.${error.code}`)}</p>`;
  } else if (error?.code === 'missing') {
    summary = h`<ul>${(['account', 'accessKey'] as const)
      .filter((field) => missing.has(field))
      .map((field) => h`<li><a href="#${FIELD_IDS[field]}">${fieldErrorText(locale, field)}</a></li>`)}</ul>`;
  }

  const field = (name: IdentifyField, label: Html, hint: Html, input: (described: string, invalid: boolean) => Html): Html => {
    const id = FIELD_IDS[name];
    const fieldMissing = missing.has(name);
    const described = [`${id}-hint`, fieldMissing ? `${id}-error` : '', invalidCredentials ? 'identify-error-message' : '']
      .filter(Boolean)
      .join(' ');
    return h`<div class="field">
<label for="${id}">${label}</label>
<p class="hint" id="${id}-hint">${hint}</p>
${fieldMissing ? h`<p class="field-error" id="${id}-error">${fieldErrorText(locale, name)}</p>` : ''}
${input(described, fieldMissing || invalidCredentials)}
</div>`;
  };

  return h`<form method="post" action="${localPath(options.action)}" novalidate aria-labelledby="identify-heading">
<h2 id="identify-heading">${t(locale, 'identify.heading')}</h2>
${
  summary === undefined
    ? ''
    : h`<div class="error-summary" role="alert" aria-labelledby="identify-error-heading">
<h3 class="visually-hidden" id="identify-error-heading">${t(locale, 'identify.errorHeading')}</h3>
${summary}
</div>`
}
<input type="hidden" name="csrf" value="${options.csrfToken}">
${options.before ?? ''}
${field(
  'account',
  t(locale, 'identify.account'),
  options.accountHint,
  (described, invalid) =>
    h`<input type="text" id="account" name="account" value="${cleanText(options.account ?? '')}" autocomplete="username" autocapitalize="none" autocorrect="off" spellcheck="false" maxlength="${LIMITS.idLength}" required aria-describedby="${described}"${invalid ? h` aria-invalid="true"` : ''}>`,
)}
${field(
  'accessKey',
  t(locale, 'identify.accessKey'),
  options.accessKeyHint,
  (described, invalid) =>
    h`<input type="password" id="access-key" name="accessKey" autocomplete="current-password" autocapitalize="none" autocorrect="off" spellcheck="false" required aria-describedby="${described}"${invalid ? h` aria-invalid="true"` : ''}>`,
)}
${options.choices ?? ''}
<div class="actions">
<button type="submit" class="button button-primary">${options.submitLabel}</button>
</div>
${options.after ?? ''}
</form>`;
}

function fieldErrorText(locale: Locale, field: IdentifyField): Html {
  return t(locale, field === 'account' ? 'identify.error.account_required' : 'identify.error.access_key_required');
}

/** A form with only a button (cancel, sign out), or a choice and its button: POST with the CSRF token. */
export function buttonForm(
  action: string,
  csrfToken: string,
  label: Html,
  style: 'primary' | 'secondary' = 'secondary',
  choice: Html = h``,
): Html {
  return h`<form method="post" action="${localPath(action)}" class="inline-form">
<input type="hidden" name="csrf" value="${csrfToken}">
${choice}<button type="submit" class="button button-${style}">${label}</button>
</form>`;
}
