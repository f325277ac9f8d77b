import type { MerchantStatus } from '../../merchants/status.js';
import { bdi, type Html, h } from '../../pages/html.js';
import { type Locale, t, text } from '../../pages/i18n.js';
import {
  type ConsoleView,
  consoleContext,
  consoleLayout,
  doneNotice,
  errorSummary,
  hidden,
  hintedField,
  postForm,
  searchForm,
  table,
  when,
  withLang,
} from './layout.js';

export interface MerchantEntry {
  id: string;
  displayName: string;
  status: MerchantStatus;
  activeKeys: number;
  createdAt: Date;
}

export interface MerchantsView extends ConsoleView {
  /** The search typed (id or name), kept in its field. */
  query: string;
  merchants: readonly MerchantEntry[];
}

/** The merchants, with a search by id or name, each linking to its page. */
export function merchantsPage(view: MerchantsView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const title = text(locale, 'console.merchants.title');
  const rows = view.merchants.map(
    (merchant) => h`<tr>
<td><a href="${withLang(`/console/merchants/${encodeURIComponent(merchant.id)}`, ctx.lang)}">${bdi(merchant.id)}</a></td>
<td>${bdi(merchant.displayName)}</td>
<td>${t(locale, `console.merchant.status.${merchant.status}`)}</td>
<td class="num">${merchant.activeKeys}</td>
<td>${when(merchant.createdAt, ctx)}</td>
</tr>`,
  );
  const main = h`<h1>${title}</h1>
${searchForm(ctx, '/console/merchants', 'merchant-query', t(locale, 'console.merchants.search'), view.query)}
${
  view.merchants.length === 0
    ? h`<p>${t(locale, 'console.merchants.none')}</p>`
    : table(
        'merchants-caption',
        t(locale, 'console.merchants.caption'),
        [
          t(locale, 'console.col.id'),
          t(locale, 'console.col.name'),
          t(locale, 'console.col.status'),
          t(locale, 'console.merchants.col.keys'),
          t(locale, 'console.col.created'),
        ],
        rows,
      )
}`;
  return consoleLayout({ ...view, section: 'merchants' }, locale, { title, main });
}

export interface MerchantDetailView extends ConsoleView {
  merchant: {
    id: string;
    displayName: string;
    status: MerchantStatus;
    returnOrigins: readonly string[];
    notifyUrl: string | null;
    quoteUrl: string | null;
    createdAt: Date;
    keys: readonly { kid: string; addedAt: Date; retiredAt: Date | null }[];
  };
  /** Its status changes, oldest first. */
  history: readonly { from: MerchantStatus; to: MerchantStatus; by: string; reason: string | null; at: Date }[];
  /** The moves, key and origin changes the signed-in operator may make now (their role, the merchant's status). */
  can: { approve: boolean; suspend: boolean; resume: boolean; keys: boolean; origins: boolean };
  /** What a form just did (`?done=`). */
  done?: 'approved' | 'suspended' | 'resumed' | 'key_added' | 'key_retired' | 'origins_set';
  /** A form just refused, with the service's words. */
  error?: { field: 'reason' | 'jwk' | 'origins'; message: string };
  /** The origins as typed in a refused form, shown again to be corrected; default the registered ones, one a line. */
  originsTyped?: string;
}

/** One merchant: status and its history, keys, origins, and the moves the operator's role allows. */
export function merchantPage(view: MerchantDetailView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const { merchant } = view;
  const base = `/console/merchants/${encodeURIComponent(merchant.id)}`;
  const title = text(locale, 'console.merchant.title', { id: merchant.id });
  const fact = (label: Html, value: Html | string) => h`<dt>${label}</dt><dd>${value}</dd>`;
  const none = t(locale, 'console.none');
  const keyRows = merchant.keys.map(
    (key) => h`<tr>
<td>${bdi(key.kid)}</td>
<td>${when(key.addedAt, ctx)}</td>
<td>${key.retiredAt === null ? t(locale, 'console.merchant.keyActive') : h`${t(locale, 'console.merchant.keyRetired')} ${when(key.retiredAt, ctx)}`}</td>
<td>${
      view.can.keys && key.retiredAt === null
        ? postForm(ctx, `${base}/keys/retire`, hidden('kid', key.kid), t(locale, 'console.merchant.retireKey'), { inline: true })
        : ''
    }</td>
</tr>`,
  );
  const historyRows = view.history.map(
    (change) => h`<tr>
<td>${when(change.at, ctx)}</td>
<td>${t(locale, `console.merchant.status.${change.from}`)} → ${t(locale, `console.merchant.status.${change.to}`)}</td>
<td>${bdi(change.by)}</td>
<td>${change.reason === null ? '' : bdi(change.reason)}</td>
</tr>`,
  );
  const originsForm = postForm(
    ctx,
    `${base}/origins`,
    hintedField(
      {
        id: 'origins',
        label: t(locale, 'console.merchant.originsLabel'),
        hint: t(locale, 'console.merchant.originsHint'),
        error: view.error?.field === 'origins' ? view.error.message : undefined,
      },
      (aria) =>
        h`<textarea id="origins" name="origins" rows="3" maxlength="10000" required spellcheck="false" autocapitalize="none"${aria}>${view.originsTyped ?? merchant.returnOrigins.join('\n')}</textarea>`,
    ),
    t(locale, 'console.merchant.originsButton'),
  );
  const moves = h`${view.can.approve ? postForm(ctx, `${base}/approve`, '', t(locale, 'console.merchant.approve')) : ''}
${
  view.can.suspend
    ? postForm(
        ctx,
        `${base}/suspend`,
        hintedField(
          {
            id: 'suspend-reason',
            label: t(locale, 'console.merchant.reason'),
            hint: t(locale, 'console.merchant.reasonHint'),
            error: view.error?.field === 'reason' ? view.error.message : undefined,
          },
          (aria) => h`<input type="text" id="suspend-reason" name="reason" maxlength="500" required${aria}>`,
        ),
        t(locale, 'console.merchant.suspend'),
      )
    : ''
}
${view.can.resume ? postForm(ctx, `${base}/resume`, '', t(locale, 'console.merchant.resume')) : ''}`;
  const main = h`<h1>${title}</h1>
${doneNotice(view.done === undefined ? undefined : t(locale, `console.merchant.done.${view.done}`))}
${errorSummary(locale, view.error === undefined ? [] : [h`${view.error.message}`])}
<dl class="facts">
${fact(t(locale, 'console.col.name'), bdi(merchant.displayName))}
${fact(t(locale, 'console.col.status'), t(locale, `console.merchant.status.${merchant.status}`))}
${fact(t(locale, 'console.merchant.origins'), merchant.returnOrigins.length === 0 ? none : h`${merchant.returnOrigins.map((origin, index) => h`${index > 0 ? ', ' : ''}${bdi(origin)}`)}`)}
${fact(t(locale, 'console.merchant.notifyUrl'), merchant.notifyUrl === null ? none : bdi(merchant.notifyUrl))}
${fact(t(locale, 'console.merchant.quoteUrl'), merchant.quoteUrl === null ? none : bdi(merchant.quoteUrl))}
${fact(t(locale, 'console.col.created'), when(merchant.createdAt, ctx))}
</dl>
${view.can.approve || view.can.suspend || view.can.resume ? h`<section aria-labelledby="moves-heading"><h2 id="moves-heading">${t(locale, 'console.merchant.moves')}</h2>${moves}</section>` : ''}
${
  view.can.origins
    ? h`<h2>${t(locale, 'console.merchant.origins')}</h2>
${originsForm}`
    : ''
}
<h2>${t(locale, 'console.merchant.keys')}</h2>
${table('keys-caption', t(locale, 'console.merchant.keysCaption'), [t(locale, 'console.merchant.col.kid'), t(locale, 'console.merchant.col.added'), t(locale, 'console.col.status'), h`<span class="visually-hidden">${t(locale, 'console.col.actions')}</span>`], keyRows)}
${
  view.can.keys
    ? postForm(
        ctx,
        `${base}/keys`,
        hintedField(
          {
            id: 'jwk',
            label: t(locale, 'console.merchant.addKey'),
            hint: t(locale, 'console.merchant.addKeyHint'),
            error: view.error?.field === 'jwk' ? view.error.message : undefined,
          },
          (aria) => h`<textarea id="jwk" name="jwk" rows="4" maxlength="4000" required spellcheck="false"${aria}></textarea>`,
        ),
        t(locale, 'console.merchant.addKeyButton'),
      )
    : ''
}
<h2>${t(locale, 'console.merchant.history')}</h2>
${
  view.history.length === 0
    ? h`<p>${t(locale, 'console.merchant.noHistory')}</p>`
    : table(
        'history-caption',
        t(locale, 'console.merchant.historyCaption'),
        [
          t(locale, 'console.col.at'),
          t(locale, 'console.merchant.col.change'),
          t(locale, 'console.col.by'),
          t(locale, 'console.merchant.reason'),
        ],
        historyRows,
      )
}
<p><a href="${withLang(`/console/activity?subject=${encodeURIComponent(merchant.id)}`, ctx.lang)}">${t(locale, 'console.activity.ofSubject')}</a></p>`;
  return consoleLayout({ ...view, section: 'merchants' }, locale, { title, error: view.error !== undefined, main });
}
