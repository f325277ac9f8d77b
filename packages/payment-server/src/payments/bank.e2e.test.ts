import { createSandboxAcquirer, type RunningSandboxBank, startSandboxBank } from '@caisse/sandbox-bank';
import { createState } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { SHOP_ORIGIN, startTestServer } from '../__fixtures__/payment-server.js';
import { journalSize } from '../ledger/test-fixtures.js';

/** Amounts at or above the wallet threshold (50.00 EUR here) go through the bank, over real HTTP to the sandbox bank. */
describe('paying through the bank', () => {
  let bank: RunningSandboxBank;
  let shop: Awaited<ReturnType<typeof startTestServer>>;
  /** The server's clock, moved forward past the acquirer's retry delay instead of waiting for it. */
  let offsetMs = 0;

  beforeAll(async () => {
    bank = await startSandboxBank({ timeoutDelayMs: 2_500 });
    shop = await startTestServer({
      acquirer: createSandboxAcquirer({ url: bank.url, timeoutMs: 1_000 }),
      env: { CAISSE_WALLET_THRESHOLDS: '*:5000' },
      now: () => new Date(Date.now() + offsetMs),
    });
    for (const [account, phone, bankRef] of [
      ['carol', '+33612345601', 'test_approve'],
      ['dave', '+33612345602', 'test_insufficient_funds'],
      ['erin', '+33612345603', 'test_timeout'],
    ] as const) {
      await shop.server.customers.add({
        accountId: account,
        phone,
        accessKey: 'bank customer key',
        limits: { EUR: { dailyCeiling: 100_000n, monthlyCeiling: 100_000n } },
      });
      await shop.server.customers.setBankRef(account, bankRef);
    }
  });
  afterAll(async () => {
    await shop?.close();
    await bank?.close();
  });

  async function pay(account: string, amount: number) {
    const ticket = shop.ticket(amount);
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    const result = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account, accessKey: 'bank customer key' },
    });
    return { ticket, browser, result };
  }

  it('pays through the bank when the bank approves, and the voucher says so', async () => {
    const { ticket, result } = await pay('carol', 12_000);
    const voucher = await shop.merchant.verifyVoucher(result.leftTo?.searchParams.get('caisse_voucher') ?? '', {
      ticket: ticket.reference,
    });
    expect(voucher).toMatchObject({ amount: 12_000, funding: 'bank', status: 'authorised' });
    expect(
      bank.bank
        .statement('test_approve')
        .filter((operation) => operation.kind === 'authorise')
        .map((operation) => operation.amount),
    ).toEqual([12_000]);
  });

  it('puts the address the customer gave into the voucher of a bank payment', async () => {
    const ticket = shop.merchant.createTicket({
      serial: 'order-bank-shared',
      currency: 'EUR',
      items: [{ id: 'atlas', label: 'An atlas', quantity: 1, unitAmount: 9_000, vatRate: 550 }],
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
      requested: ['shipping_address'],
    });
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    const address = { name: 'Carol Shaw', line1: '3 rue de la Paix', postalCode: '75002', city: 'Paris', country: 'FR' };
    const result = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: {
        csrf: ScriptedBrowser.csrf(summary.html),
        account: 'carol',
        accessKey: 'bank customer key',
        shippingName: address.name,
        shippingLine1: address.line1,
        shippingPostalCode: address.postalCode,
        shippingCity: address.city,
        shippingCountry: address.country,
      },
    });
    const voucher = await shop.merchant.verifyVoucher(result.leftTo?.searchParams.get('caisse_voucher') ?? '', {
      ticket: ticket.reference,
    });
    expect(voucher).toMatchObject({ funding: 'bank', shared: { shippingAddress: address } });
  });

  it('refuses with bank_declined when the bank declines, moving nothing', async () => {
    const before = await journalSize(shop.server.db);
    const { ticket, browser, result } = await pay('dave', 6_000);
    expect(result.html).toContain('bank_declined');
    const back = await browser.go(/href="([^"]+\/return)"/.exec(result.html ?? '')?.[1] ?? '');
    await expect(
      shop.merchant.verifyVoucher(back.leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: ticket.reference }),
    ).rejects.toMatchObject({
      reason: 'bank_declined',
    });
    expect(await journalSize(shop.server.db)).toEqual(before);
  });

  it('waits for the bank after a time-out, then settles by reconciliation and charges once', async () => {
    const { ticket, browser, result } = await pay('erin', 7_500);
    expect(result.page?.status).toBe(200);
    expect(result.html).toMatch(/bank/i);
    offsetMs = 60_000;
    const report = await shop.server.bank?.reconcile();
    expect(report).toMatchObject({ approved: 1 });
    // The clock stays where it was moved: the reconciliation signed the voucher then, and the
    // merchant's kit (on the same clock) would see a clock set back as a voucher from the future.
    const done = await browser.go(/href="(\/checkout\/[^"]+)"/.exec(result.html ?? '')?.[1] ?? '');
    const voucher = await shop.merchant.verifyVoucher(done.leftTo?.searchParams.get('caisse_voucher') ?? '', { ticket: ticket.reference });
    expect(voucher).toMatchObject({ amount: 7_500, funding: 'bank' });
    expect(bank.bank.statement('test_timeout').filter((operation) => operation.kind === 'authorise')).toHaveLength(1);
  });
});
