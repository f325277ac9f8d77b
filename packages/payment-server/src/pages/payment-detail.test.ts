import { describe, expect, test } from 'vitest';
import { LOCALES, type Locale } from './i18n.js';
import { type PaymentDetailView, paymentDetailPage } from './payment-detail.js';
import { expectWellFormedPage, mainOf, plain } from './test-support.js';

const AT = new Date('2026-03-10T09:01:00Z');

function detailView(payment: Partial<PaymentDetailView['payment']> = {}, extra: Partial<PaymentDetailView> = {}): PaymentDetailView {
  return {
    now: AT,
    timeZone: 'Europe/Paris',
    payment: {
      id: 'pay_1042',
      at: AT,
      merchantName: 'The Bookshop',
      orderSerial: 'order-42',
      amount: 4_000,
      points: 0,
      currency: 'EUR',
      means: 'wallet',
      status: 'authorised',
      items: [{ label: 'A book', quantity: 2, unitAmount: 2_000 }],
      refunds: [],
      ...payment,
    },
    links: { back: '/account', voucher: '/account/payments/pay_1042/voucher', dispute: '/account/payments/pay_1042/dispute' },
    verify: { issuer: 'https://pay.example', jwksUrl: 'https://pay.example/.well-known/jwks.json', audience: 'bookshop', testMode: false },
    ...extra,
  };
}

/** Every state of the page: each must be well formed and accessible in each language. */
const STATES: [string, (locale: Locale) => string][] = [
  ['paid from the wallet', (locale) => paymentDetailPage(detailView(), locale)],
  [
    'refunded in part, one refund pending and one declined',
    (locale) =>
      paymentDetailPage(
        detailView({
          refunds: [
            { amount: 1_000, status: 'succeeded', at: AT },
            { amount: 500, status: 'pending', at: AT },
            { amount: 300, status: 'declined', at: AT },
          ],
        }),
        locale,
      ),
  ],
  [
    'held, from the bank, points, no items stored',
    (locale) => paymentDetailPage(detailView({ status: 'held', means: 'bank', points: 300, items: [] }), locale),
  ],
  [
    'an allowance charge in test mode',
    (locale) =>
      paymentDetailPage(detailView({ means: 'allowance' }, { testMode: true, verify: { ...detailView().verify, testMode: true } }), locale),
  ],
];

describe.each(LOCALES)('the payment detail page in %s', (locale) => {
  test.each(STATES)('%s is well formed and accessible', (_name, render) => {
    expectWellFormedPage(render(locale), locale);
  });
});

describe('the payment detail page', () => {
  test('names the merchant as isolated text and says how to verify the voucher, with --test in test mode', () => {
    const html = paymentDetailPage(detailView({ merchantName: 'Evil\u202eShop <b>' }), 'en');
    expect(mainOf(html)).toContain('<bdi>EvilShop &lt;b&gt;</bdi>');
    expect(plain(html)).toContain(
      'caisse voucher verify - --jwks jwks.json --issuer https://pay.example --audience bookshop --at 2026-03-10T09:01:00Z < pay_1042.jwt',
    );
    const test = paymentDetailPage(detailView({}, { verify: { ...detailView().verify, testMode: true } }), 'en');
    expect(plain(test)).toContain('--at 2026-03-10T09:01:00Z --test < pay_1042.jwt');
  });

  test('says a payment was refunded in full, and that nothing was refunded when nothing was', () => {
    expect(plain(paymentDetailPage(detailView(), 'en'))).toContain('Nothing was refunded.');
    const refunded = plain(paymentDetailPage(detailView({ refunds: [{ amount: 4_000, status: 'succeeded', at: AT }] }), 'fr'));
    expect(refunded).toContain('Statut Remboursé');
  });
});
