import type { AllowanceTerms, RequestedData, TicketClaims } from '@caisse/protocol';
import { bdi, cleanText, type Html, h, localPath } from './html.js';
import { formatAmount, formatDateTime, formatNumber, formatRelative, formatTime, type Locale, t, text } from './i18n.js';
import { buttonForm, type IdentifyError, identifyForm } from './identify.js';
import { context, layout, type PageBase, type PageContext } from './layout.js';
import { type SharedForm, sharedDataFields } from './shared-data.js';

/** One line of the order, as in the ticket (`Item` from `@caisse/protocol` fits). */
export interface CheckoutItemView {
  /** Merchant text: shown escaped, in a bidi isolate, without bidi overrides. */
  label: string;
  quantity: number;
  /** Price of one unit, VAT included, in minor units. */
  unitAmount: number;
}

/** The first hosted page: what is paid, to whom, and the identification form. */
export interface CheckoutView extends PageBase {
  /**
   * `authentication` (amount 0, no items) turns every "Pay" text into "Sign in to";
   * `allowance` (no items, `amount` the maximum) shows what the merchant may charge, from `allowance`.
   */
  kind: TicketClaims['kind'];
  /** The terms of an `allowance` ticket (required for that kind, ignored for the others). */
  allowance?: AllowanceTerms;
  /** The merchant's registered display name (not a name from the ticket). */
  merchantName: string;
  /** The merchant's order serial. */
  serial: string;
  items: readonly CheckoutItemView[];
  /** Total in minor units: the sum of the lines (checked at ticket intake). */
  amount: number;
  /** VAT included in the total, minor units. */
  vat: number;
  currency: string;
  /** `deferred`: the page says the money is held until delivery. */
  fulfilment?: 'immediate' | 'deferred';
  /**
   * Customer data the merchant asks for: the customer fills it in the identification
   * form, so both ways of confirming (access key, phone) send it.
   */
  requested?: readonly RequestedData[];
  /** What the customer typed in the requested fields, and what is wrong with it, when the form comes back. */
  sharedForm?: SharedForm;
  /** When the checkout session expires. */
  expiresAt: Date;
  csrfToken: string;
  actions: {
    /** POST: `csrf`, `account`, `accessKey`, and for a purchase {@link USE_POINTS_FIELD} when ticked. */
    identify: string;
    /** POST: `csrf`. */
    cancel: string;
    /**
     * POST: `csrf`. When the ticket names the customer: "Confirm on my phone", the page's
     * primary action, so paying can take that one click and the phone's approval.
     */
    phone?: string;
  };
  /** Account id to show in the form: the ticket's customer hint, or what was typed before. */
  account?: string;
  /** "Use my loyalty points" shows ticked: the customer ticked it before the form came back. */
  usePoints?: boolean;
  /** Set when the form comes back with a problem. */
  error?: IdentifyError;
  /**
   * A ticket the merchant made as a quote: how long its price holds, the units left when
   * the merchant said, and whether the page shows a fresh quote after the last ran out.
   */
  quote?: { expiresAt: Date; stock?: number; requoted?: boolean };
}

/** The "Use my loyalty points" checkbox: its form field, sent with this value when ticked, and nothing when not. */
export const USE_POINTS_FIELD = 'usePoints';
export const USE_POINTS_VALUE = 'yes';

/**
 * "Use my loyalty points", in each form that pays a purchase (the phone's and the access
 * key's), so either way carries the customer's choice. The balance is not shown: the page
 * does not know who the customer is yet.
 */
function pointsChoice(locale: Locale, id: string, ticked: boolean): Html {
  return h`<div class="field choice">
<input type="checkbox" id="${id}" name="${USE_POINTS_FIELD}" value="${USE_POINTS_VALUE}" aria-describedby="${id}-hint"${ticked ? h` checked` : ''}>
<label for="${id}">${t(locale, 'checkout.usePoints')}</label>
<p class="hint" id="${id}-hint">${t(locale, 'checkout.usePointsHint')}</p>
</div>
`;
}

/** `<time>` with the time of day, its zone and, while still ahead, how far off it is. */
export function deadline(date: Date, ctx: PageContext): Html {
  const time = formatTime(date, ctx.locale, ctx.timeZone);
  const relative = formatRelative(date, ctx.now, ctx.locale);
  const shown = relative === undefined ? time : text(ctx.locale, 'time.until', { time, relative });
  return h`<time datetime="${date.toISOString()}">${shown}</time>`;
}

/** The terms of an allowance ticket: the page cannot say what is granted without them. */
export function allowanceOf(view: { kind: TicketClaims['kind']; allowance?: AllowanceTerms | undefined }): AllowanceTerms | undefined {
  if (view.kind !== 'allowance') return undefined;
  if (view.allowance === undefined) throw new TypeError('A page for an allowance ticket needs its terms (`allowance`).');
  return view.allowance;
}

/**
 * What an allowance grants, as the checkout and the "confirm on your phone" pages say it:
 * "<merchant> asks for an allowance: up to <maximum> until <date and time>", whether it
 * renews each period, and the most one charge may take. The end is a date: an allowance
 * may last longer than a day.
 */
export function allowanceTermsLines(
  terms: AllowanceTerms,
  money: { amount: number; currency: string },
  merchant: Html,
  ctx: PageContext,
): Html {
  const { locale } = ctx;
  const end = new Date(terms.expiresAt * 1000);
  const time = h`<time datetime="${end.toISOString()}">${formatDateTime(end, locale, ctx.timeZone)}</time>`;
  const maximum = formatAmount(money.amount, money.currency, locale);
  return h`<p class="allowance-terms">${t(locale, 'checkout.allowanceTerms', { merchant, maximum, time })}</p>
${terms.period === undefined ? '' : h`<p>${t(locale, `checkout.allowanceRenews.${terms.period}` as const)}</p>`}
${terms.chargeCap === undefined ? '' : h`<p>${t(locale, 'checkout.allowanceCap', { cap: formatAmount(terms.chargeCap, money.currency, locale) })}</p>`}`;
}

function allowanceSection(view: CheckoutView, terms: AllowanceTerms, merchant: Html, ctx: PageContext): Html {
  return h`<section class="card" aria-labelledby="allowance-heading">
<h2 id="allowance-heading">${t(ctx.locale, 'checkout.allowanceHeading')}</h2>
${allowanceTermsLines(terms, view, merchant, ctx)}
<p class="muted">${t(ctx.locale, 'checkout.allowanceHow', { merchant })}</p>
</section>`;
}

function itemsSection(view: CheckoutView, locale: Locale): Html {
  const money = (amount: number) => formatAmount(amount, view.currency, locale);
  const lines = view.items.map((item) => {
    const unitPrice = money(item.unitAmount);
    return h`<li>
<span class="label">${bdi(item.label)}</span>
<span class="qty">${t(locale, 'checkout.itemQuantity', { quantity: formatNumber(item.quantity, locale), unitPrice })}</span>
<span class="line-total"><span class="visually-hidden">${t(locale, 'checkout.itemSubtotal')} </span>${money(item.quantity * item.unitAmount)}</span>
</li>`;
  });
  return h`<section class="card" aria-labelledby="order-heading">
<h2 id="order-heading">${t(locale, 'checkout.orderHeading')}</h2>
<ul class="items">${lines}</ul>
<dl class="totals">
<dt>${t(locale, 'checkout.vatIncluded')}</dt>
<dd class="num">${money(view.vat)}</dd>
<dt class="grand">${t(locale, 'checkout.total')}</dt>
<dd class="grand num">${money(view.amount)}</dd>
</dl>
</section>`;
}

/**
 * The order summary and the identification form: merchant, order serial, lines, VAT,
 * total, session expiry, the data the merchant asks for, the account id + access key
 * form and the cancel form. For an authentication ticket: "Sign in to <merchant>", no
 * lines and no amounts. For an allowance ticket: what the merchant may charge and until
 * when, instead of lines and total, and that it is confirmed on the phone (the access
 * key alone never grants one).
 */
export function checkoutPage(view: CheckoutView, locale: Locale): string {
  const ctx = context(view, locale);
  const merchant = bdi(view.merchantName);
  const signIn = view.kind === 'authentication';
  const terms = allowanceOf(view);
  // Points pay for a purchase: signing in and granting an allowance buy nothing yet.
  const paying = view.kind === 'purchase';
  const merchantText = cleanText(view.merchantName);
  const titleKey = signIn ? 'checkout.titleSignIn' : terms ? 'checkout.titleAllowance' : 'checkout.titlePay';
  const title = text(locale, titleKey, { merchant: merchantText });
  const total = formatAmount(view.amount, view.currency, locale);
  const submitLabel = signIn
    ? t(locale, 'checkout.signInButton')
    : terms
      ? t(locale, 'checkout.allowanceButton', { amount: total })
      : t(locale, 'checkout.payButton', { amount: total });
  const requested = view.requested ?? [];
  // With data to fill in, one form carries it to either step; its first button (what Enter
  // presses) identifies, which itself asks the phone of a customer who has one.
  const asking = requested.length > 0;
  const ticked = view.usePoints ?? false;
  const phoneInForm =
    view.actions.phone === undefined
      ? h``
      : h`<div class="actions">
<button type="submit" class="button button-secondary" formaction="${localPath(view.actions.phone)}">${t(locale, 'checkout.phoneButton')}</button>
</div>
<p class="hint">${t(locale, 'checkout.phoneHint', { operator: ctx.operator })}</p>`;

  const summary = signIn
    ? h`<p>${t(locale, 'checkout.signInIntro', { merchant, operator: ctx.operator })}</p>`
    : terms
      ? h`${allowanceSection(view, terms, merchant, ctx)}
<p class="notice">${t(locale, 'checkout.allowancePhone', { operator: ctx.operator })}</p>`
      : itemsSection(view, locale);

  const main = h`<h1>${t(locale, titleKey, { merchant })}</h1>
<p class="muted">${t(locale, 'checkout.serial', { serial: bdi(view.serial) })}</p>
${summary}
${view.quote?.requoted ? h`<p class="notice" role="status">${t(locale, 'checkout.requoted', { merchant })}</p>` : ''}
${paying && view.fulfilment === 'deferred' ? h`<p class="notice">${t(locale, 'checkout.deferred', { merchant })}</p>` : ''}
${
  view.quote === undefined
    ? ''
    : h`<p class="muted">${t(locale, 'checkout.quoteHolds', { time: deadline(view.quote.expiresAt, ctx) })}${
        view.quote.stock === undefined ? '' : h` ${t(locale, 'checkout.quoteStock', { count: formatNumber(view.quote.stock, locale) })}`
      }</p>`
}
<p class="muted">${t(locale, 'checkout.expires', { time: deadline(view.expiresAt, ctx) })}</p>
${
  view.actions.phone === undefined || asking
    ? ''
    : h`<div class="card">
${buttonForm(
  view.actions.phone,
  view.csrfToken,
  t(locale, 'checkout.phoneButton'),
  'primary',
  paying ? pointsChoice(locale, 'use-points-phone', ticked) : h``,
)}
<p class="hint">${t(locale, 'checkout.phoneHint', { operator: ctx.operator })}</p>
</div>`
}
${identifyForm({
  ...(asking ? { before: sharedDataFields({ locale, requested, merchant, form: view.sharedForm }), after: phoneInForm } : {}),
  locale,
  action: view.actions.identify,
  csrfToken: view.csrfToken,
  account: view.account,
  error: view.error,
  ...(paying ? { choices: pointsChoice(locale, 'use-points', ticked) } : {}),
  submitLabel,
  accountHint: t(locale, 'identify.accountHint', { operator: ctx.operator }),
  accessKeyHint: t(locale, 'identify.accessKeyHint', { merchant }),
})}
${buttonForm(view.actions.cancel, view.csrfToken, t(locale, 'checkout.cancelButton', { merchant }))}`;

  return layout(view, locale, { title, error: view.error !== undefined, main });
}
