import { h } from '../../pages/html.js';
import { type Locale, plural, t, text } from '../../pages/i18n.js';
import { type ConsoleView, consoleLayout, doneNotice, errorSummary, hidden, withLang } from './layout.js';

/** Why the sign-in page is shown again, in words: the code of what was refused. */
export type SignInError =
  | 'missing'
  | 'operator_credentials_invalid'
  | 'operator_code_invalid'
  | 'operator_locked'
  | 'operator_disabled'
  | 'too_many_requests';

export interface SignInView extends ConsoleView {
  /** `password`: id and password; `code`: the authenticator app's code, once the password was right. */
  stage: 'password' | 'code';
  /** The form token of this browser (no operator is signed in yet). */
  csrf: string;
  /** The id typed, kept after a refusal. */
  operatorId?: string;
  error?: { code: SignInError; attemptsLeft?: number };
  /** Why the operator is here: they signed out, or their session ended. */
  notice?: 'signed_out' | 'session_ended';
}

/** The two steps of signing in to the console: id and password, then the code of the authenticator app. */
export function signInPage(view: SignInView, locale: Locale): string {
  const error = view.error;
  const title = text(locale, view.stage === 'password' ? 'console.signIn.title' : 'console.signIn.codeTitle');
  const messages =
    error === undefined
      ? []
      : [
          h`${t(locale, `console.signIn.error.${error.code}`)}${
            error.attemptsLeft === undefined ? '' : h` ${plural(locale, 'console.signIn.attemptsLeft', error.attemptsLeft)}`
          }`,
        ];
  const invalid = error === undefined ? '' : h` aria-invalid="true" aria-describedby="sign-in-error"`;
  const fields =
    view.stage === 'password'
      ? h`<div class="field">
<label for="operator">${t(locale, 'console.signIn.operator')}</label>
<input type="text" id="operator" name="operator" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="64" value="${view.operatorId ?? ''}"${invalid}>
</div>
<div class="field">
<label for="password">${t(locale, 'console.signIn.password')}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required maxlength="128"${invalid}>
</div>`
      : h`<p>${t(locale, 'console.signIn.codeIntro')}</p>
<div class="field">
<label for="code">${t(locale, 'console.signIn.code')}</label>
<p class="hint" id="code-hint">${t(locale, 'console.signIn.codeHint')}</p>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required aria-describedby="code-hint"${
          error === undefined ? '' : h` aria-invalid="true"`
        }>
</div>`;
  const action = view.stage === 'password' ? '/console/sign-in' : '/console/sign-in/code';
  const main = h`<h1>${title}</h1>
${doneNotice(view.notice === undefined ? undefined : t(locale, `console.signIn.notice.${view.notice}`))}
${error === undefined ? '' : h`<div id="sign-in-error">${errorSummary(locale, messages)}</div>`}
<form method="post" action="${withLang(action, view.lang)}">
${hidden('csrf', view.csrf)}
${fields}
<div class="actions"><button type="submit" class="button button-primary">${t(locale, view.stage === 'password' ? 'console.signIn.next' : 'console.signIn.submit')}</button></div>
</form>`;
  return consoleLayout(view, locale, { title, error: error !== undefined, main });
}
