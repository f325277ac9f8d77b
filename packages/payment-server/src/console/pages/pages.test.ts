import { describe, expect, test } from 'vitest';
import { LOCALES, type Locale } from '../../pages/i18n.js';
import type { ConsolePayment } from '../queries.js';
import { activityPage } from './activity.js';
import { alertsPage } from './alerts.js';
import { auditPage } from './audit.js';
import { CONSOLE_CSS, CONSOLE_CSS_HREF, CONSOLE_CSS_INTEGRITY } from './css.js';
import { customerPage, customersPage } from './customers.js';
import { consoleErrorPage } from './error.js';
import { escrowPage } from './escrow.js';
import type { ConsoleView } from './layout.js';
import { merchantPage, merchantsPage } from './merchants.js';
import { notificationsPage } from './notifications.js';
import { operatorsPage } from './operators.js';
import { paymentPage, paymentsPage } from './payments.js';
import { settlementPage, settlementReportPage } from './settlement.js';
import { signInPage } from './sign-in.js';

const at = new Date('2026-03-10T09:00:00Z');
const base: ConsoleView = { signedIn: { id: 'ada', displayName: 'Ada <Lovelace>', role: 'admin', csrf: 'token-123' }, lang: 'fr' };
const payment: ConsolePayment = {
  serial: 42n,
  id: 'pay_42',
  merchantId: 'bookshop',
  merchantName: 'La Librairie \u202eevil',
  orderSerial: 'order-42',
  ticketJti: 't_1',
  customerId: 'gina',
  amount: 4_000n,
  points: 100n,
  refunded: 1_000n,
  currency: 'EUR',
  funding: 'wallet',
  status: 'authorised',
  acquirer: null,
  createdAt: at,
};

/** Every console page, in each of its states worth drawing, in one language. */
function everyPage(locale: Locale): string[] {
  return [
    signInPage({ stage: 'password', lang: 'fr', csrf: 'c', operatorId: 'ada', error: { code: 'operator_credentials_invalid' } }, locale),
    signInPage(
      { stage: 'code', lang: 'fr', csrf: 'c', error: { code: 'operator_code_invalid', attemptsLeft: 2 }, notice: 'session_ended' },
      locale,
    ),
    paymentsPage({ ...base, query: 'order-42', payments: [payment] }, locale),
    paymentPage(
      {
        ...base,
        payment,
        postings: [
          {
            serial: 7n,
            at,
            key: 'ticket:bookshop:t_1',
            lines: [
              { accountType: 'customer_wallet', owner: 'gina', currency: 'EUR', amount: -4_000n },
              { accountType: 'merchant_till', owner: 'bookshop', currency: 'EUR', amount: 4_000n },
            ],
          },
        ],
        refunds: [{ id: 'rf_1', amount: 1_000, status: 'succeeded', reason: 'Damaged', createdAt: at }],
        notifications: [{ id: 'n_1', event: 'payment.authorised', status: 'delivered', attempts: 1, createdAt: at }],
        canRefund: true,
        refund: { requestKey: '00000000-0000-4000-8000-000000000000', amount: '50', error: 'Too much.' },
        done: 'refunded',
      },
      locale,
    ),
    merchantsPage(
      {
        ...base,
        query: '',
        merchants: [{ id: 'bookshop', displayName: 'La Librairie', status: 'suspended', activeKeys: 1, createdAt: at }],
      },
      locale,
    ),
    merchantPage(
      {
        ...base,
        merchant: {
          id: 'bookshop',
          displayName: 'La Librairie',
          status: 'active',
          returnOrigins: ['https://bookshop.example'],
          notifyUrl: null,
          quoteUrl: 'https://bookshop.example/quote',
          createdAt: at,
          keys: [
            { kid: 'k1', addedAt: at, retiredAt: null },
            { kid: 'k0', addedAt: at, retiredAt: at },
          ],
        },
        history: [{ from: 'pending', to: 'active', by: 'operator:ada', reason: null, at }],
        can: { approve: false, suspend: true, resume: false, keys: true, origins: true },
        error: { field: 'reason', message: 'Say why.' },
      },
      locale,
    ),
    customersPage({ ...base, query: '+33600000000' }, locale),
    customerPage(
      {
        ...base,
        customer: {
          id: 'gina',
          phone: '+33650000001',
          limits: [{ currency: 'EUR', walletCap: 15_000n, dailyCeiling: 30_000n, monthlyCeiling: 100_000n }],
          failedAttempts: 5,
          lockedAt: at,
          createdAt: at,
          locale: 'fr',
        },
        wallets: [{ currency: 'EUR', balance: 2_000n, reserved: 0n, cap: 15_000n }],
        devices: [{ id: 'dev-x', customerId: 'gina', alg: 'EdDSA', name: 'Pixel', createdAt: at, revokedAt: null }],
        can: { lock: true, unlock: true, revoke: true },
        done: 'unlocked',
      },
      locale,
    ),
    customerPage(
      {
        ...base,
        customer: { id: 'hugo', phone: '+33650000002', limits: [], failedAttempts: 1, lockedAt: null, createdAt: at, locale: 'en' },
        wallets: [],
        devices: [],
        can: { lock: true, unlock: true, revoke: true },
        error: { field: 'reason', message: 'Say why.' },
      },
      locale,
    ),
    escrowPage({ ...base, held: [{ ...payment, status: 'held' }], canResolve: true, done: 'released' }, locale),
    settlementPage(
      {
        ...base,
        date: '2026-03-09',
        settlements: [{ id: 's1', merchantId: 'bookshop', currency: 'EUR', amount: 3_000n, status: 'paid', acquirer: 'sandbox' }],
      },
      locale,
    ),
    settlementReportPage(
      {
        ...base,
        report: {
          merchantId: 'bookshop',
          date: '2026-03-09',
          currencies: [
            {
              currency: 'EUR',
              period: { from: '2026-03-08T22:00:00Z', to: '2026-03-09T22:00:00Z' },
              openingBalance: 0,
              payments: { count: 1, amount: 4_000 },
              escrowReleases: { count: 0, amount: 0 },
              allowances: { count: 0, amount: 0 },
              refunds: { count: 1, amount: 1_000 },
              other: { count: 0, amount: 0 },
              payout: { id: 's1', status: 'paid', amount: 3_000, reference: 'bank-1' },
              closingBalance: 0,
            },
          ],
        },
      },
      locale,
    ),
    notificationsPage({ ...base, notifications: [], canResend: true, resent: 'n_1' }, locale),
    alertsPage(
      {
        ...base,
        alerts: [
          {
            id: 'a1',
            kind: 'operator_locked',
            subject: 'bob',
            details: { attempts: 5 },
            createdAt: at,
            acknowledgedAt: null,
            acknowledgedBy: null,
          },
        ],
        canAcknowledge: true,
      },
      locale,
    ),
    auditPage(
      {
        ...base,
        last: {
          seq: 3n,
          operatorId: 'ada',
          action: 'audit.verify',
          subject: 'register',
          details: {
            ok: false,
            findings: 1,
            batches: 2,
            sealedTransfers: 9,
            unsealedTransfers: 0,
            head: '2:ab',
            finding_1: 'transfer_edited: Transfer 4…',
          },
          client: '127.0.0.1',
          at,
          prevHash: '0'.repeat(64),
          hash: '1'.repeat(64),
        },
        canVerify: true,
      },
      locale,
    ),
    activityPage({ ...base, filter: { operator: 'ada', subject: '' }, actions: [], older: '/console/activity?before=3' }, locale),
    operatorsPage(
      {
        ...base,
        operators: [{ id: 'bob', displayName: 'Bob', role: 'support', failedAttempts: 5, lockedAt: at, disabledAt: null, createdAt: at }],
        canManage: true,
        enrollment: { operatorId: 'bob', totp: { secret: 'ABCDEFGH', uri: 'otpauth://totp/x' } },
      },
      locale,
    ),
    consoleErrorPage({ ...base, status: 403, code: 'operator_role_forbidden', back: '/console/merchants/bookshop' }, locale),
  ];
}

describe.each(LOCALES)('console pages (%s)', (locale) => {
  const pages = everyPage(locale);

  test('each is a whole document with one h1, the console stylesheet with its integrity, and no script', () => {
    for (const html of pages) {
      expect(html.match(/<h1>/g)).toHaveLength(1);
      expect(html).toContain(`<link rel="stylesheet" href="${CONSOLE_CSS_HREF}" integrity="${CONSOLE_CSS_INTEGRITY}">`);
      expect(html).not.toMatch(/<script|\son[a-z]+=|style=/i);
    }
  });

  test('every POST form carries the form token and keeps the chosen language; every link stays on this server', () => {
    for (const html of pages) {
      for (const [form] of html.matchAll(/<form method="post"[\s\S]*?<\/form>/g)) {
        expect(form).toMatch(/<input type="hidden" name="csrf" value="[^"]+">/);
        expect(form).toMatch(/action="\/console\/[^"]*\?lang=fr"/);
      }
      for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^(\/[^/]|data:,|#main)/);
    }
  });

  test('text from merchants and operators is escaped and isolated', () => {
    const all = pages.join('\n');
    expect(all).not.toContain('Ada <Lovelace>');
    expect(all).toContain('Ada &lt;Lovelace&gt;');
    expect(all).not.toContain('\u202e');
  });

  test('every class the pages use is styled', () => {
    const classes = new Set(
      pages.flatMap((html) => [...html.matchAll(/\sclass="([^"]*)"/g)].flatMap((match) => (match[1] as string).split(' '))),
    );
    expect(classes.size).toBeGreaterThan(15);
    for (const name of classes) expect(CONSOLE_CSS, name).toMatch(new RegExp(`\\.${name}(?![\\w-])`));
  });
});
