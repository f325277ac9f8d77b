import { randomBytes } from 'node:crypto';
import { createSandboxAcquirer, type RunningSandboxBank, startSandboxBank } from '@caisse/sandbox-bank';
import { createState, type Merchant } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { SHOP_ORIGIN, startTestServer } from '../__fixtures__/payment-server.js';
import { journalSize } from '../ledger/test-fixtures.js';
import type { Receiver } from '../notifications/__fixtures__/receiver.js';
import { registerNotifiedMerchant } from '../notifications/__fixtures__/shop-merchant.js';

const ACCESS_KEY = 'plan customer key';

/**
 * Each customer's payment plan decides which means pays, over real HTTP: the hosted pages,
 * the sandbox bank, and a merchant that verifies vouchers, refusals and notifications.
 */
describe("the customer's payment plan at checkout", () => {
  let bank: RunningSandboxBank;
  let shop: Awaited<ReturnType<typeof startTestServer>>;
  let merchant: Merchant;
  let receiver: Receiver;
  /**
   * One frozen clock for the server, the shop and the bank: the ceilings count calendar
   * days, so a real clock would make the test depend on when it runs. Moved by hand past
   * an offer's deadline.
   */
  let clock = Date.parse('2026-03-14T10:00:00Z');
  const now = () => new Date(clock);

  beforeAll(async () => {
    bank = await startSandboxBank({ now });
    shop = await startTestServer({
      acquirer: createSandboxAcquirer({ url: bank.url }),
      env: { CAISSE_WALLET_THRESHOLDS: '*:5000' },
      now,
    });
    // The shop dates its tickets and checks vouchers by the payment server's clock.
    ({ merchant, receiver } = await registerNotifiedMerchant(shop, { now }));
    for (const [accountId, phone, wallet] of [
      ['anna', '+33612345611', 10_000n],
      ['bruno', '+33612345612', 10_000n],
      ['chloe', '+33612345613', 500n],
      ['denis', '+33612345614', 10_000n],
      ['emma', '+33612345615', 10_000n],
      ['felix', '+33612345616', 500n],
      ['gina', '+33612345617', 500n],
    ] as const) {
      await shop.server.customers.add({ accountId, phone, accessKey: ACCESS_KEY, limits: { EUR: { walletCap: 20_000n } } });
      await shop.server.customers.walletCredit(accountId, 'EUR', wallet, { idempotencyKey: `top-up-${accountId}` });
      // Gina has no bank: nothing can be offered when her wallet is short.
      if (accountId !== 'gina') await shop.server.customers.setBankRef(accountId, 'test_approve');
    }
  });
  afterAll(async () => {
    await receiver?.close();
    await shop?.close();
    await bank?.close();
  });

  async function pay(account: string, amount: number) {
    const ticket = merchant.createTicket({
      serial: `order-${randomBytes(3).toString('hex')}`,
      currency: 'EUR',
      items: [{ id: 'book', label: 'A book', quantity: 1, unitAmount: amount, vatRate: 550 }],
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
    });
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    const result = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account, accessKey: ACCESS_KEY },
    });
    return { ticket, browser, result };
  }

  const voucherOf = ({ ticket, result }: Awaited<ReturnType<typeof pay>>) =>
    merchant.verifyVoucher(result.leftTo?.searchParams.get('caisse_voucher') ?? '', { ticket: ticket.reference });

  /** The customer follows the refusal page's link back to the shop, which verifies the signed refusal. */
  async function refusalOf({ ticket, browser, result }: Awaited<ReturnType<typeof pay>>) {
    const back = await browser.go(/href="([^"]+\/return)"/.exec(result.html ?? '')?.[1] ?? '');
    return merchant.verifyVoucher(back.leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: ticket.reference }).then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  const authorisedAtBank = (amount: number) =>
    bank.bank.statement('test_approve').filter((operation) => operation.kind === 'authorise' && operation.amount === amount).length;

  it('pays one amount from the wallet for one customer and through the bank for another, as their plans say', async () => {
    await shop.server.plans.set('bruno', 'EUR', { means: ['bank', 'wallet'] });
    expect(await voucherOf(await pay('anna', 2_001))).toMatchObject({ amount: 2_001, funding: 'wallet' });
    expect(await voucherOf(await pay('bruno', 2_001))).toMatchObject({ amount: 2_001, funding: 'bank' });
    expect(authorisedAtBank(2_001)).toBe(1);
  });

  it('lets the wallet pay only below the upper amount the customer chose', async () => {
    await shop.server.plans.set('anna', 'EUR', { walletBelow: 1_000 });
    expect(await voucherOf(await pay('anna', 999))).toMatchObject({ funding: 'wallet' });
    expect(await voucherOf(await pay('anna', 1_000))).toMatchObject({ funding: 'bank' });
  });

  /** The customer is back on the checkout page, which offers the bank; a form there is posted in one step. */
  const post = (paid: Awaited<ReturnType<typeof pay>>, path: '/bank' | '/cancel') =>
    paid.browser.go(ScriptedBrowser.action(paid.result.html, path), { form: { csrf: ScriptedBrowser.csrf(paid.result.html) } });

  it('offers the bank when the wallet is short and the plan has it, and pays from the bank in one step', async () => {
    const before = await journalSize(shop.server.db);
    const short = await pay('chloe', 2_002);
    expect(short.result.page?.status).toBe(200);
    expect(short.result.html).toContain('Your wallet is short');
    expect(short.result.html).toContain('5.00');
    expect(short.result.html).toContain('/account#top-up');
    expect(await journalSize(shop.server.db)).toEqual(before);
    expect(authorisedAtBank(2_002)).toBe(0);

    const paid = await post(short, '/bank');
    const voucher = await merchant.verifyVoucher(paid.leftTo?.searchParams.get('caisse_voucher') ?? '', { ticket: short.ticket.reference });
    // The confirmation the customer gave before the offer stands for it.
    expect(voucher).toMatchObject({ amount: 2_002, funding: 'bank', confirmation: { method: 'access_key' } });
    expect(authorisedAtBank(2_002)).toBe(1);
  });

  it('pays a short wallet from the bank unasked when the plan says so', async () => {
    await shop.server.plans.set('chloe', 'EUR', { bankWhenShort: true });
    expect(await voucherOf(await pay('chloe', 2_004))).toMatchObject({ amount: 2_004, funding: 'bank' });
  });

  it('refuses a short wallet outright when there is no bank to offer', async () => {
    const short = await pay('gina', 2_005);
    expect(await refusalOf(short)).toMatchObject({ reason: 'insufficient_funds' });
  });

  it('refuses an offer the customer cancels, or lets lapse, and charges nothing', async () => {
    const cancelled = await pay('felix', 2_006);
    const left = await post(cancelled, '/cancel');
    await expect(
      merchant.verifyVoucher(left.leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: cancelled.ticket.reference }),
    ).rejects.toMatchObject({ reason: 'customer_declined' });

    const lapsed = await pay('felix', 2_007);
    clock += 6 * 60_000;
    const taken = await post(lapsed, '/bank');
    expect(taken.html).toContain('insufficient_funds');
    expect(authorisedAtBank(2_006) + authorisedAtBank(2_007)).toBe(0);
  });

  it("refuses as the customer's own no an amount no means of their plan pays", async () => {
    await shop.server.plans.set('denis', 'EUR', { means: ['wallet'] });
    const refused = await pay('denis', 6_000);
    expect(await refusalOf(refused)).toMatchObject({ reason: 'customer_declined' });
    expect(authorisedAtBank(6_000)).toBe(0);
  });

  it('refuses past the ceiling the customer set, on the page, in the signed refusal and in the notification', async () => {
    await shop.server.plans.set('emma', 'EUR', { dailyCeiling: 3_000 });
    expect(await voucherOf(await pay('emma', 2_500))).toMatchObject({ funding: 'wallet' });
    const before = await journalSize(shop.server.db);
    const refused = await pay('emma', 600);
    expect(refused.result.html).toContain('ceiling_exceeded');
    expect(await refusalOf(refused)).toMatchObject({ reason: 'ceiling_exceeded' });
    expect(await journalSize(shop.server.db)).toEqual(before);
    await shop.server.notificationDispatcher.runOnce();
    expect(
      receiver.processed.filter((event) => event.event === 'payment.refused' && event.refusal.ticket.jti === refused.ticket.id),
    ).toEqual([expect.objectContaining({ refusal: expect.objectContaining({ reason: 'ceiling_exceeded', amount: 600 }) })]);
    // Back to the operator's ceiling (300.00 a day): the same amount pays.
    await shop.server.plans.set('emma', 'EUR', { dailyCeiling: null });
    expect(await voucherOf(await pay('emma', 600))).toMatchObject({ funding: 'wallet' });
  });

  it('keeps every plan within the operator bounds, and changes nothing when it refuses', async () => {
    const before = await shop.server.plans.get('anna', 'EUR');
    for (const change of [{ walletBelow: 5_001 }, { tapBelow: 2_001 }, { dailyCeiling: 30_001 }, { monthlyCeiling: 100_001 }]) {
      await expect(shop.server.plans.set('anna', 'EUR', change)).rejects.toMatchObject({
        code: 'plan_out_of_bounds',
        issues: [expect.objectContaining({ path: Object.keys(change)[0] })],
      });
    }
    await expect(shop.server.plans.set('anna', 'EUR', { means: ['bank', 'bank'] })).rejects.toMatchObject({ code: 'request_invalid' });
    await expect(shop.server.plans.set('anna', 'EUR', { dailyCeiling: 5_000, monthlyCeiling: 4_000 })).rejects.toMatchObject({
      code: 'request_invalid',
    });
    expect(await shop.server.plans.get('anna', 'EUR')).toEqual(before);
  });
});
