import { type Html, h, localPath } from './html.js';
import { currencyName, formatAmount, type Locale, t } from './i18n.js';
import type { PageContext } from './layout.js';

/** The orders of means a customer may choose (`name="means"`). */
export const PLAN_MEANS_CHOICES = ['wallet-first', 'bank-first', 'wallet-only', 'bank-only'] as const;
export type PlanMeansChoice = (typeof PLAN_MEANS_CHOICES)[number];

/** The amount fields of the plan form, by their `name`. */
export const PLAN_AMOUNT_FIELDS = ['walletBelow', 'tapBelow', 'dailyCeiling', 'monthlyCeiling'] as const;
export type PlanAmountField = (typeof PLAN_AMOUNT_FIELDS)[number];
export type PlanField = 'means' | PlanAmountField;

/**
 * Why a field of the plan form came back:
 * - `amount_invalid`: not an amount such as 20.00 (or left empty where one is needed);
 * - `over_bound`: above the operator's bound shown next to the field;
 * - `over_monthly`: a daily ceiling above the monthly one;
 * - `means_invalid`: no order of means chosen.
 */
export type PlanFieldError = 'amount_invalid' | 'over_bound' | 'over_monthly' | 'means_invalid';

/** The fields as shown: the plan as saved, or the form as the customer sent it. Amounts in major units, as typed. */
export interface PlanFormValues {
  means?: PlanMeansChoice;
  walletBelow: string;
  bankWhenShort: boolean;
  tapBelow: string;
  /** Empty: the operator's ceiling. */
  dailyCeiling: string;
  monthlyCeiling: string;
}

/** The "Your payment plan" form of the account page, for one currency. */
export interface PlanFormView {
  /** POST: `csrf`, `currency`, `means`, `walletBelow`, `bankWhenShort` (`yes` when ticked), `tapBelow`, `dailyCeiling`, `monthlyCeiling`. */
  action: string;
  currency: string;
  values: PlanFormValues;
  /** What the operator allows, minor units: shown next to each field. */
  bounds: { walletThreshold: number; tapLimit: number; dailyCeiling: number; monthlyCeiling: number };
  errors?: Partial<Record<PlanField, PlanFieldError>>;
  /** The plan was just saved. */
  saved?: boolean;
}

const FIELD_ORDER: readonly PlanField[] = ['means', ...PLAN_AMOUNT_FIELDS];

function errorText(locale: Locale, error: PlanFieldError, bound: string): Html {
  return error === 'over_bound' ? t(locale, 'plan.error.over_bound', { bound }) : t(locale, `plan.error.${error}`);
}

/**
 * The payment plan form: the order of means, the wallet's upper amount, the bank when the
 * wallet is short, the tap threshold and the customer's own ceilings, each amount with the
 * operator's bound next to it; an error summary and per-field errors when it comes back.
 */
export function planSection(view: PlanFormView, csrfToken: string, ctx: PageContext): Html {
  const { locale, operator } = ctx;
  const prefix = `plan-${view.currency.toLowerCase()}`;
  const money = (value: number) => formatAmount(value, view.currency, locale);
  const bounds: Record<PlanAmountField, string> = {
    walletBelow: money(view.bounds.walletThreshold),
    tapBelow: money(view.bounds.tapLimit),
    dailyCeiling: money(view.bounds.dailyCeiling),
    monthlyCeiling: money(view.bounds.monthlyCeiling),
  };
  const errors = view.errors ?? {};
  const fieldError = (field: PlanField): Html | undefined => {
    const error = errors[field];
    return error === undefined ? undefined : errorText(locale, error, field === 'means' ? '' : bounds[field]);
  };
  const listed = FIELD_ORDER.filter((field) => errors[field] !== undefined);

  const amountField = (field: PlanAmountField, label: Html, hint: Html) => {
    const id = `${prefix}-${field}`;
    const error = fieldError(field);
    const described = error === undefined ? `${id}-hint` : `${id}-hint ${id}-error`;
    return h`<div class="field">
<label for="${id}">${label}</label>
<p class="hint" id="${id}-hint">${hint}</p>
${error === undefined ? '' : h`<p class="field-error" id="${id}-error">${error}</p>`}
<input type="text" id="${id}" name="${field}" inputmode="decimal" autocomplete="off" value="${view.values[field]}" aria-describedby="${described}"${error === undefined ? '' : h` aria-invalid="true"`}>
</div>`;
  };

  const meansError = fieldError('means');
  const currency = view.currency;
  const boundHint = (field: PlanAmountField) => t(locale, 'plan.boundHint', { bound: bounds[field], operator });
  return h`<section aria-labelledby="${prefix}-heading">
<h2 id="${prefix}-heading">${t(locale, 'plan.title', { currency: currencyName(currency, locale) })}</h2>
<p>${t(locale, 'plan.intro', { operator })}</p>
${view.saved ? h`<div role="status"><p>${t(locale, 'plan.saved')}</p></div>` : ''}
${
  listed.length === 0
    ? ''
    : h`<div class="error-summary" role="alert" aria-labelledby="${prefix}-error-heading">
<h3 id="${prefix}-error-heading">${t(locale, 'plan.errorHeading')}</h3>
<ul>${listed.map((field) => h`<li><a href="#${prefix}-${field}">${fieldError(field)}</a></li>`)}</ul>
</div>`
}
<form method="post" action="${localPath(view.action)}" novalidate>
<input type="hidden" name="csrf" value="${csrfToken}">
<input type="hidden" name="currency" value="${currency}">
<fieldset class="field" id="${prefix}-means"${meansError === undefined ? '' : h` aria-describedby="${prefix}-means-error"`}>
<legend>${t(locale, 'plan.means')}</legend>
${meansError === undefined ? '' : h`<p class="field-error" id="${prefix}-means-error">${meansError}</p>`}
${PLAN_MEANS_CHOICES.map(
  (choice) => h`<div class="choice">
<input type="radio" id="${prefix}-means-${choice}" name="means" value="${choice}"${view.values.means === choice ? h` checked` : ''}>
<label for="${prefix}-means-${choice}">${t(locale, `plan.means.${choice}`)}</label>
</div>`,
)}
</fieldset>
${amountField('walletBelow', t(locale, 'plan.walletBelow', { currency }), h`${t(locale, 'plan.walletBelowHint')} ${boundHint('walletBelow')}`)}
<div class="choice">
<input type="checkbox" id="${prefix}-bankWhenShort" name="bankWhenShort" value="yes"${view.values.bankWhenShort ? h` checked` : ''}>
<label for="${prefix}-bankWhenShort">${t(locale, 'plan.bankWhenShort')}</label>
</div>
${amountField('tapBelow', t(locale, 'plan.tapBelow', { currency }), h`${t(locale, 'plan.tapBelowHint')} ${boundHint('tapBelow')}`)}
${amountField('dailyCeiling', t(locale, 'plan.dailyCeiling', { currency }), t(locale, 'plan.ceilingHint', { bound: bounds.dailyCeiling, operator }))}
${amountField('monthlyCeiling', t(locale, 'plan.monthlyCeiling', { currency }), t(locale, 'plan.ceilingHint', { bound: bounds.monthlyCeiling, operator }))}
<div class="actions"><button type="submit" class="button button-primary">${t(locale, 'plan.submit')}</button></div>
</form>
</section>`;
}
