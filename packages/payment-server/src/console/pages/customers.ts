import type { Customer } from '../../customers/model.js';
import type { Device } from '../../devices/model.js';
import { bdi, h } from '../../pages/html.js';
import { type Locale, t, text } from '../../pages/i18n.js';
import type { WalletBalance } from '../queries.js';
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
} from './layout.js';
import { money } from './payments.js';

export interface CustomersView extends ConsoleView {
  /** The account id or phone number searched; '' before any search. */
  query: string;
}

/** Finds a customer by account id or phone number (a search that finds one goes straight to them). */
export function customersPage(view: CustomersView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const title = text(locale, 'console.customers.title');
  const main = h`<h1>${title}</h1>
${searchForm(ctx, '/console/customers', 'customer-query', t(locale, 'console.customers.search'), view.query)}
${view.query === '' ? '' : h`<p role="status">${t(locale, 'console.customers.none', { query: bdi(view.query) })}</p>`}`;
  return consoleLayout({ ...view, section: 'customers' }, locale, { title, main });
}

export interface CustomerDetailView extends ConsoleView {
  customer: Customer;
  wallets: readonly WalletBalance[];
  devices: readonly Device[];
  can: { lock: boolean; unlock: boolean; revoke: boolean };
  done?: 'locked' | 'unlocked' | 'device_revoked';
  /** A form just refused, in the operator's words or the service's. */
  error?: { field: 'reason'; message: string };
}

/** One customer: wallets, limits, lock state, phones; lock (with a reason), unlock and revoke for support. */
export function customerPage(view: CustomerDetailView, locale: Locale): string {
  const ctx = consoleContext(view, locale);
  const { customer } = view;
  const base = `/console/customers/${encodeURIComponent(customer.id)}`;
  const title = text(locale, 'console.customer.title', { id: customer.id });
  const fact = (label: ReturnType<typeof t>, value: ReturnType<typeof t> | string) => h`<dt>${label}</dt><dd>${value}</dd>`;
  const limits = new Map(customer.limits.map((limit) => [limit.currency, limit]));
  const walletRows = view.wallets.map((wallet) => {
    const limit = limits.get(wallet.currency);
    return h`<tr>
<td>${wallet.currency}</td>
<td class="num">${money(wallet.balance, wallet.currency, locale)}</td>
<td class="num">${money(wallet.reserved, wallet.currency, locale)}</td>
<td class="num">${wallet.cap === null ? t(locale, 'console.none') : money(wallet.cap, wallet.currency, locale)}</td>
<td class="num">${limit === undefined ? '' : money(limit.dailyCeiling, wallet.currency, locale)}</td>
<td class="num">${limit === undefined ? '' : money(limit.monthlyCeiling, wallet.currency, locale)}</td>
</tr>`;
  });
  const deviceRows = view.devices.map(
    (device) => h`<tr>
<td>${device.name === null ? t(locale, 'devices.unnamed') : bdi(device.name)}</td>
<td>${bdi(device.id)}</td>
<td>${when(device.createdAt, ctx)}</td>
<td>${device.revokedAt === null ? t(locale, 'devices.active') : h`${t(locale, 'devices.revoked')} ${when(device.revokedAt, ctx)}`}</td>
<td>${
      view.can.revoke && device.revokedAt === null
        ? postForm(ctx, `${base}/devices/revoke`, hidden('device', device.id), t(locale, 'console.customer.revoke'), { inline: true })
        : ''
    }</td>
</tr>`,
  );
  const locked = customer.lockedAt !== null;
  const lockForm = postForm(
    ctx,
    `${base}/lock`,
    hintedField(
      {
        id: 'lock-reason',
        label: t(locale, 'console.customer.lockReason'),
        hint: t(locale, 'console.customer.lockReasonHint'),
        error: view.error?.field === 'reason' ? view.error.message : undefined,
      },
      (aria) => h`<input type="text" id="lock-reason" name="reason" maxlength="500" required${aria}>`,
    ),
    t(locale, 'console.customer.lockButton'),
  );
  const main = h`<h1>${title}</h1>
${doneNotice(view.done === undefined ? undefined : t(locale, `console.customer.done.${view.done}`))}
${errorSummary(locale, view.error === undefined ? [] : [h`${view.error.message}`])}
<dl class="facts">
${fact(t(locale, 'console.customer.phone'), bdi(customer.phone))}
${fact(t(locale, 'console.customer.locale'), customer.locale)}
${fact(t(locale, 'console.col.created'), when(customer.createdAt, ctx))}
${fact(
  t(locale, 'console.customer.lock'),
  locked
    ? h`${t(locale, 'console.customer.locked')} ${when(customer.lockedAt as Date, ctx)}`
    : t(locale, 'console.customer.notLocked', { count: customer.failedAttempts }),
)}
</dl>
${locked && view.can.unlock ? postForm(ctx, `${base}/unlock`, '', t(locale, 'console.customer.unlock')) : ''}
${!locked && view.can.lock ? lockForm : ''}
<h2>${t(locale, 'console.customer.wallets')}</h2>
${
  walletRows.length === 0
    ? h`<p>${t(locale, 'console.customer.noWallets')}</p>`
    : table(
        'wallets-caption',
        t(locale, 'console.customer.walletsCaption'),
        [
          t(locale, 'console.customer.col.currency'),
          t(locale, 'console.customer.col.balance'),
          t(locale, 'console.customer.col.reserved'),
          t(locale, 'console.customer.col.cap'),
          t(locale, 'console.customer.col.daily'),
          t(locale, 'console.customer.col.monthly'),
        ],
        walletRows,
      )
}
<h2>${t(locale, 'console.customer.devices')}</h2>
${
  deviceRows.length === 0
    ? h`<p>${t(locale, 'devices.none')}</p>`
    : table(
        'devices-caption',
        t(locale, 'console.customer.devicesCaption'),
        [
          t(locale, 'devices.col.name'),
          t(locale, 'console.col.id'),
          t(locale, 'devices.col.enrolled'),
          t(locale, 'devices.col.state'),
          h`<span class="visually-hidden">${t(locale, 'console.col.actions')}</span>`,
        ],
        deviceRows,
      )
}`;
  return consoleLayout({ ...view, section: 'customers' }, locale, { title, error: view.error !== undefined, main });
}
