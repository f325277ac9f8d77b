import { randomUUID } from 'node:crypto';
import { paymentId, paymentSerial, type VoucherClaims } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { createTestDevice } from '../__fixtures__/device.js';
import { bankAuthorisationKey, bankCaptureKey, bankRefundKey, bankVoidKey } from '../acquirer/keys.js';
import { ACCESS_KEY, type AfterPaymentWorld, worldPerSuite } from '../after-payment/__fixtures__/world.js';
import { serverDrivers } from '../api/__fixtures__/api-server.js';
import { PIN, pending } from '../checkout/__fixtures__/phone.js';
import { pointsHoldLedgerKey } from '../ledger/postings.js';

/**
 * Loyalty points as a means of payment, over real HTTP: the hosted pages in a scripted
 * browser, the sandbox bank behind the acquirer, the merchant API for refunds and escrow.
 * The loyalty rate is 10 % here (1 point = 0.01 EUR), so the numbers stay readable: 30.00
 * paid with money earns 300 points. Amounts from 50.00 go through the bank.
 */
describe.each(await serverDrivers('loyalty points'))('loyalty points at checkout on $name', ({ url }) => {
  let world: AfterPaymentWorld;
  worldPerSuite(
    url,
    (made) => {
      world = made;
    },
    { env: { CAISSE_LOYALTY_RATE: '1000' } },
  );

  /** Pays a ticket on the hosted pages with the access key, ticking "Use my loyalty points" when asked. */
  async function checkout(accountId: string, amount: number, options: { usePoints?: boolean; deferred?: boolean } = {}) {
    const ticket = world.merchant.createTicket({
      serial: `order-${randomUUID().slice(0, 8)}`,
      currency: 'EUR',
      items: [{ id: 'item', label: 'A book', quantity: 1, unitAmount: amount, vatRate: 550 }],
      returnUrl: 'https://shop.example/paid',
      cancelUrl: 'https://shop.example/basket',
      state: randomUUID(),
      ...(options.deferred ? { fulfilment: 'deferred' as const } : {}),
    });
    const browser = new ScriptedBrowser(world.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    const result = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: {
        csrf: ScriptedBrowser.csrf(summary.html),
        account: accountId,
        accessKey: ACCESS_KEY,
        ...(options.usePoints ? { usePoints: 'yes' } : {}),
      },
    });
    return { ticket, browser, result };
  }

  type Checkout = Awaited<ReturnType<typeof checkout>>;

  /** The voucher the browser carried back, as the merchant's kit verifies it. */
  function voucherOf({ ticket, result }: Pick<Checkout, 'ticket' | 'result'>): Promise<VoucherClaims> {
    return world.merchant.verifyVoucher(result.leftTo?.searchParams.get('caisse_voucher') ?? '', { ticket: ticket.reference });
  }

  /** A customer with `points` loyalty points, earned by a payment from their wallet (10 % of it). */
  async function customerWithPoints(points: number, options: { bankRef?: string } = {}) {
    const customer = await world.customer(options);
    await voucherOf(await checkout(customer, points * 10));
    expect(await world.loyalty(customer)).toBe(BigInt(points));
    return customer;
  }

  async function loyaltyAccount(accountId: string) {
    const { rows } = await world.server.db.query<{ balance: bigint; pending_debits: bigint }>(
      `SELECT b.balance, b.pending_debits FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id
        WHERE a.type = 'loyalty' AND a.owner_id = $1 AND a.currency = 'EUR'`,
      [accountId],
    );
    return { balance: BigInt(rows[0]?.balance ?? 0), pendingDebits: BigInt(rows[0]?.pending_debits ?? 0) };
  }

  /** The ledger transfers made for a ticket, and their lines by account type. */
  async function moved(jti: string) {
    const { rows } = await world.server.db.query<{ serial: bigint; type: string; amount: bigint }>(
      `SELECT t.serial, a.type, e.amount FROM ledger_transfers t
         JOIN ledger_entries e ON e.serial = t.serial JOIN ledger_accounts a ON a.id = e.account_id
        WHERE t.metadata->>'ticket' = $1`,
      [jti],
    );
    return {
      transfers: new Set(rows.map((row) => String(row.serial))).size,
      lines: Object.fromEntries(rows.map((row) => [row.type, BigInt(row.amount)])),
    };
  }

  async function paymentRow(jti: string) {
    const { rows } = await world.server.db.query<{ serial: bigint; points: bigint }>(
      'SELECT serial, points FROM payments WHERE merchant_id = $1 AND ticket_jti = $2',
      [world.merchantId, jti],
    );
    const row = rows[0];
    if (!row) throw new Error(`no payment for ticket ${jti}`);
    return { id: paymentId(row.serial), points: BigInt(row.points) };
  }

  /** How the points hold of a ticket was resolved (`points_hold:…`), or undefined when it never had one. */
  async function pointsHold(jti: string) {
    const { rows } = await world.server.db.query<{ outcome: string | null }>(
      `SELECT r.outcome FROM ledger_pending p LEFT JOIN ledger_pending_resolutions r ON r.pending_id = p.id WHERE p.idempotency_key = $1`,
      [pointsHoldLedgerKey(world.merchantId, jti)],
    );
    return rows[0] === undefined ? undefined : (rows[0].outcome ?? 'pending');
  }

  /** What the sandbox bank did under one of our keys. */
  const atBank = (key: string) => world.sandbox.bank.statement().filter((operation) => operation.idempotencyKey === key);

  const refund = (id: string, amount: number) => world.call(`/v1/payments/${id}/refunds`, { body: { amount } });

  it('spends the points at a later checkout with the box ticked: one balanced transfer, the voucher and notification say how much', async () => {
    const customer = await world.customer();
    const earning = await checkout(customer, 3_000);
    expect(await voucherOf(earning)).not.toHaveProperty('points');
    expect(await world.loyalty(customer)).toBe(300n);

    const spending = await checkout(customer, 1_000, { usePoints: true });
    const voucher = await voucherOf(spending);
    expect(voucher).toMatchObject({ amount: 1_000, funding: 'wallet', status: 'authorised', points: 300 });
    // The points pay 3.00, the wallet 7.00, and 10 % of the 7.00 is earned: points never earn points.
    expect(await moved(spending.ticket.claims.jti)).toEqual({
      transfers: 1,
      lines: { customer_wallet: -700n, merchant_till: 1_000n, loyalty: 70n - 300n, loyalty_funding: -70n },
    });
    expect(await world.loyalty(customer)).toBe(70n);
    expect((await world.wallet(customer)).balance).toBe(20_000n - 3_000n - 700n);
    expect((await paymentRow(spending.ticket.claims.jti)).points).toBe(300n);

    const told = await world.outbox('payment.authorised');
    const paymentOf = (jti: string) =>
      told.map((row) => row.payload.payment as { ticket: { jti: string }; points?: number }).find((sent) => sent.ticket.jti === jti);
    expect(paymentOf(spending.ticket.claims.jti)).toMatchObject({ amount: 1_000, funding: 'wallet', points: 300 });
    expect(paymentOf(earning.ticket.claims.jti)).not.toHaveProperty('points');
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('spends nothing when the box is not ticked, whatever the customer has', async () => {
    const customer = await customerWithPoints(300);
    const plain = await checkout(customer, 1_000);
    expect(await voucherOf(plain)).not.toHaveProperty('points');
    expect(await moved(plain.ticket.claims.jti)).toMatchObject({ lines: { customer_wallet: -1_000n, loyalty: 100n } });
    expect(await world.loyalty(customer)).toBe(400n);
    expect((await paymentRow(plain.ticket.claims.jti)).points).toBe(0n);
  });

  it('pays a whole amount with points: the wallet is not touched and nothing is earned', async () => {
    const customer = await customerWithPoints(300);
    const wallet = await world.wallet(customer);
    const paid = await checkout(customer, 200, { usePoints: true });
    expect(await voucherOf(paid)).toMatchObject({ amount: 200, funding: 'wallet', points: 200 });
    expect(await moved(paid.ticket.claims.jti)).toEqual({ transfers: 1, lines: { merchant_till: 200n, loyalty: -200n } });
    expect(await world.wallet(customer)).toEqual(wallet);
    expect(await world.loyalty(customer)).toBe(100n);
  });

  it('asks the bank for what the points leave, holds the points while it answers, then books both in one transfer', async () => {
    const customer = await customerWithPoints(400);
    const paid = await checkout(customer, 6_000, { usePoints: true });
    const { jti } = paid.ticket.claims;
    expect(await voucherOf(paid)).toMatchObject({ amount: 6_000, funding: 'bank', points: 400 });
    expect(atBank(bankAuthorisationKey(world.merchantId, jti)).map((operation) => operation.amount)).toEqual([5_600]);
    expect(await moved(jti)).toEqual({
      transfers: 1,
      lines: { bank_clearing: -5_600n, merchant_till: 6_000n, loyalty: 560n - 400n, loyalty_funding: -560n },
    });
    expect(await pointsHold(jti)).toBe('voided');
    expect(await loyaltyAccount(customer)).toEqual({ balance: 560n, pendingDebits: 0n });

    // The bank captures what it authorised, not the ticket's amount.
    await world.server.afterPayment.captures.run();
    expect(atBank(bankCaptureKey(world.merchantId, jti)).map(({ amount, status }) => ({ amount, status }))).toEqual([
      { amount: 5_600, status: 'approved' },
    ]);
  });

  it('gives the points back when the bank declines', async () => {
    const customer = await customerWithPoints(400, { bankRef: 'test_insufficient_funds' });
    const refused = await checkout(customer, 6_000, { usePoints: true });
    const { jti } = refused.ticket.claims;
    expect(refused.result.html).toContain('bank_declined');
    expect(atBank(bankAuthorisationKey(world.merchantId, jti)).map(({ amount, status }) => ({ amount, status }))).toEqual([
      { amount: 5_600, status: 'declined' },
    ]);
    expect(await pointsHold(jti)).toBe('voided');
    expect(await moved(jti)).toEqual({ transfers: 0, lines: {} });
    expect(await loyaltyAccount(customer)).toEqual({ balance: 400n, pendingDebits: 0n });
  });

  it('never spends the same points twice: not while the bank answers, not in two checkouts at once', async () => {
    const waiting = await customerWithPoints(400, { bankRef: 'test_timeout' });
    const atTheBank = await checkout(waiting, 6_000, { usePoints: true });
    expect(atTheBank.result.html).toMatch(/bank/i);
    expect(await pointsHold(atTheBank.ticket.claims.jti)).toBe('pending');
    expect(await loyaltyAccount(waiting)).toEqual({ balance: 400n, pendingDebits: 400n });

    const meanwhile = await checkout(waiting, 1_000, { usePoints: true });
    expect(await voucherOf(meanwhile)).not.toHaveProperty('points');
    expect(await loyaltyAccount(waiting)).toEqual({ balance: 500n, pendingDebits: 400n });

    // Past the acquirer's retry delay, reconciliation finds the bank's approval.
    world.clock.advance(60_000);
    expect(await world.server.bank?.reconcile()).toMatchObject({ approved: 1 });
    const done = await atTheBank.browser.go(/href="(\/checkout\/[^"]+)"/.exec(atTheBank.result.html ?? '')?.[1] ?? '');
    expect(await voucherOf({ ticket: atTheBank.ticket, result: done })).toMatchObject({ funding: 'bank', points: 400 });
    expect(await loyaltyAccount(waiting)).toEqual({ balance: 500n - 400n + 560n, pendingDebits: 0n });

    const customer = await customerWithPoints(300);
    const both = await Promise.all([checkout(customer, 1_000, { usePoints: true }), checkout(customer, 1_000, { usePoints: true })]);
    const spent = await Promise.all(both.map(async (paid) => (await voucherOf(paid)).points ?? 0));
    // They queue on the customer's lock: the first spends the 300 points and earns 70 on its
    // 7.00 of money; the second can spend only those 70, and earns 93 on its 9.30.
    expect(spent.sort((a, b) => a - b)).toEqual([70, 300]);
    expect(await world.loyalty(customer)).toBe(93n);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('carries the choice through "Confirm on my phone" to the approval, stored with the session', async () => {
    const customer = await customerWithPoints(300);
    const phone = createTestDevice(world.url, { now: world.clock.now });
    const { code } = await world.server.devices.createCode(customer);
    expect((await phone.enroll(code, { pin: PIN })).status).toBe(201);

    const ticket = world.merchant.createTicket({
      serial: `order-${randomUUID().slice(0, 8)}`,
      currency: 'EUR',
      items: [{ id: 'item', label: 'A book', quantity: 1, unitAmount: 1_000, vatRate: 550 }],
      returnUrl: 'https://shop.example/paid',
      cancelUrl: 'https://shop.example/basket',
      state: randomUUID(),
      customer: { account: customer },
    });
    const browser = new ScriptedBrowser(world.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    expect(summary.html).toContain('id="use-points-phone" name="usePoints" value="yes"');
    const page = await browser.go(ScriptedBrowser.action(summary.html, '/phone'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), usePoints: 'yes' },
    });
    const sessionPath = new URL(page.page?.url ?? '').pathname;
    const { rows } = await world.server.db.query<{ state: string; use_points: boolean }>(
      'SELECT state, use_points FROM checkout_sessions WHERE merchant_id = $1 AND ticket_jti = $2',
      [world.merchantId, ticket.claims.jti],
    );
    expect(rows).toEqual([{ state: 'confirming', use_points: true }]);

    const request = (await pending(phone)).find((open) => open.ticket.jti === ticket.claims.jti);
    if (!request) throw new Error('no request for this ticket on the phone');
    expect((await phone.send(request, 'approve', PIN)).status).toBe(200);
    const paid = await browser.go(sessionPath);
    expect(await voucherOf({ ticket, result: paid })).toMatchObject({ funding: 'wallet', points: 300, confirmation: { method: 'device' } });
    expect(await world.loyalty(customer)).toBe(70n);
  });

  it('refuses a choice our page never sends, and changes nothing', async () => {
    const customer = await customerWithPoints(300);
    const ticket = world.merchant.createTicket({
      serial: `order-${randomUUID().slice(0, 8)}`,
      currency: 'EUR',
      items: [{ id: 'item', label: 'A book', quantity: 1, unitAmount: 1_000, vatRate: 550 }],
      returnUrl: 'https://shop.example/paid',
      cancelUrl: 'https://shop.example/basket',
      state: randomUUID(),
    });
    const browser = new ScriptedBrowser(world.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    const form = { csrf: ScriptedBrowser.csrf(summary.html), account: customer, accessKey: ACCESS_KEY };
    const before = await world.footprint();
    const bad = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), { form: { ...form, usePoints: 'all of them' } });
    expect(bad.page?.status).toBe(400);
    expect(await world.footprint()).toEqual(before);
    expect(await world.loyalty(customer)).toBe(300n);

    const again = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), { form: { ...form, usePoints: 'yes' } });
    expect(await voucherOf({ ticket, result: again })).toMatchObject({ points: 300 });
  });

  it('refunds money first, up to what money paid, then the points, and takes back the points earned', async () => {
    const customer = await customerWithPoints(300);
    const wallet = (await world.wallet(customer)).balance;
    const paid = await checkout(customer, 1_000, { usePoints: true });
    expect(await voucherOf(paid)).toMatchObject({ points: 300 });
    const { id } = await paymentRow(paid.ticket.claims.jti);
    expect(await world.loyalty(customer)).toBe(70n);

    // 6.00 of the 7.00 paid from the wallet; 60 % of the 70 points earned go back.
    const first = await refund(id, 600);
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ amount: 600, funding: 'wallet', status: 'succeeded' });
    expect((await world.wallet(customer)).balance).toBe(wallet - 700n + 600n);
    expect(await world.loyalty(customer)).toBe(70n - 42n);

    // The last 1.00 of money, then the 3.00 of points; the rest of the points earned go back.
    expect((await refund(id, 400)).status).toBe(201);
    expect((await world.wallet(customer)).balance).toBe(wallet);
    expect(await world.loyalty(customer)).toBe(300n);
    const { rows } = await world.server.db.query<{ amount: bigint; points: bigint }>(
      'SELECT amount, points FROM refunds WHERE payment_serial = $1 ORDER BY created_at, id',
      [paymentSerial(id)],
    );
    expect(rows.map((row) => [BigInt(row.amount), BigInt(row.points)])).toEqual([
      [600n, 0n],
      [400n, 300n],
    ]);
    expect((await refund(id, 1)).status).toBe(409);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('refunds a bank payment paid partly with points: the bank gives back its part, the points need no bank', async () => {
    const customer = await customerWithPoints(400);
    const paid = await checkout(customer, 6_000, { usePoints: true });
    expect(await voucherOf(paid)).toMatchObject({ funding: 'bank', points: 400 });
    const { id } = await paymentRow(paid.ticket.claims.jti);

    // All the money: the bank captures and refunds the 56.00 it took; ⌊560 × 5600 / 6000⌋ points earned go back.
    const money = await refund(id, 5_600);
    expect(money.status).toBe(201);
    const moneyBack = await money.json();
    expect(moneyBack).toMatchObject({ funding: 'bank', status: 'succeeded' });
    expect(atBank(bankRefundKey(world.merchantId, moneyBack.id)).map((operation) => operation.amount)).toEqual([5_600]);
    expect(atBank(bankCaptureKey(world.merchantId, paid.ticket.claims.jti)).map((operation) => operation.amount)).toEqual([5_600]);
    expect(await loyaltyAccount(customer)).toEqual({ balance: 560n - 522n, pendingDebits: 0n });
    const bankAfterMoney = world.sandbox.bank.statement().length;

    const points = await refund(id, 400);
    expect(points.status).toBe(201);
    expect(await points.json()).toMatchObject({ amount: 400, status: 'succeeded' });
    expect(world.sandbox.bank.statement()).toHaveLength(bankAfterMoney);
    // Every point earned on the 56.00 is taken back, every point spent is given back.
    expect(await loyaltyAccount(customer)).toEqual({ balance: 400n, pendingDebits: 0n });
  });

  it('holds the points with a deferred payment: a cancellation gives them back, a delivery spends them', async () => {
    const customer = await customerWithPoints(300);
    const held = await checkout(customer, 1_000, { usePoints: true, deferred: true });
    expect(await voucherOf(held)).toMatchObject({ status: 'held', funding: 'wallet', points: 300 });
    expect(await loyaltyAccount(customer)).toEqual({ balance: 300n, pendingDebits: 300n });
    const cancelled = await world.call(`/v1/payments/${(await paymentRow(held.ticket.claims.jti)).id}/cancellation`, { body: {} });
    expect(cancelled.status).toBe(200);
    expect(await loyaltyAccount(customer)).toEqual({ balance: 300n, pendingDebits: 0n });

    const delivered = await checkout(customer, 1_000, { usePoints: true, deferred: true });
    const { id } = await paymentRow(delivered.ticket.claims.jti);
    expect((await world.call(`/v1/payments/${id}/deliveries`, { body: {} })).status).toBe(200);
    expect(await moved(delivered.ticket.claims.jti)).toEqual({
      transfers: 1,
      lines: { customer_wallet: -700n, merchant_till: 1_000n, loyalty: -300n },
    });
    expect(await loyaltyAccount(customer)).toEqual({ balance: 0n, pendingDebits: 0n });

    // Through the bank: the hold carries the points, and a cancellation releases at the bank what it authorised.
    const banked = await customerWithPoints(400);
    const atBankHeld = await checkout(banked, 6_000, { usePoints: true, deferred: true });
    expect(await voucherOf(atBankHeld)).toMatchObject({ status: 'held', funding: 'bank', points: 400 });
    const bankId = (await paymentRow(atBankHeld.ticket.claims.jti)).id;
    expect((await world.call(`/v1/payments/${bankId}/cancellation`, { body: {} })).status).toBe(200);
    expect(atBank(bankVoidKey(world.merchantId, atBankHeld.ticket.claims.jti)).map(({ amount, status }) => ({ amount, status }))).toEqual([
      { amount: 5_600, status: 'approved' },
    ]);
    expect(await loyaltyAccount(banked)).toEqual({ balance: 400n, pendingDebits: 0n });
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });
});
