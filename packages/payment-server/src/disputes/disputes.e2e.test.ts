import { describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { createTestDevice, type TestDevice } from '../__fixtures__/device.js';
import { ACCESS_KEY, type AfterPaymentWorld, worldPerSuite } from '../after-payment/__fixtures__/world.js';
import { serverDrivers } from '../api/__fixtures__/api-server.js';
import type { CliIo } from '../cli/commands.js';
import { disputesCommand } from './cli.js';
import { DAY_MS } from './model.js';

describe.each(await serverDrivers('disputes'))('disputes on $name', ({ url }) => {
  let world: AfterPaymentWorld;
  worldPerSuite(url, (made) => {
    world = made;
  });

  /**
   * A customer with a funded wallet who paid `amounts` on the hosted pages (with the access
   * key: a customer with a phone confirms there instead), then enrolled a phone, on the world's clock.
   */
  async function customerWithPhone(...amounts: number[]): Promise<{ customer: string; phone: TestDevice; payments: string[] }> {
    const customer = await world.customer();
    const payments: string[] = [];
    for (const amount of amounts) payments.push((await world.pay(customer, amount)).id);
    const phone = createTestDevice(world.url, { now: world.clock.now });
    const enrolled = await phone.enroll((await world.server.devices.createCode(customer)).code, { pin: '4821' });
    expect(enrolled.status).toBe(201);
    return { customer, phone, payments };
  }

  const open = (phone: TestDevice, body: unknown) => phone.call('/device/disputes', { method: 'POST', body });
  const answer = (id: string, body: unknown, init: Parameters<AfterPaymentWorld['call']>[1] = {}) =>
    world.call(`/v1/disputes/${id}/answer`, { body, ...init });
  const disputes = () => world.count('SELECT count(*) AS n FROM disputes');
  const refundsOf = (id: string) => world.count(`SELECT count(*) AS n FROM refunds WHERE request_key = $1`, [`dispute:${id}`]);
  const noticesOf = async (event: string, id: string) =>
    (await world.outbox(event)).filter((row) => (row.payload.dispute as { id: string }).id === id);

  /** Runs `caisse-server disputes …` in-process against the world's server. */
  async function cli(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      out: (line) => void out.push(line),
      err: (line) => void err.push(line),
      env: {},
      readStdin: async () => '',
      stopSignal: () => new Promise(() => {}),
    };
    const code = await disputesCommand(argv, io, (_io, run) => run(world.server));
    return { code, out, err };
  }

  /** Moves the shared clock for one test, then puts it back: the other tests keep their days. */
  async function later<T>(ms: number, run: () => Promise<T>): Promise<T> {
    const offset = world.clock.offset;
    world.clock.advance(ms);
    try {
      return await run();
    } finally {
      world.clock.offset = offset;
    }
  }

  it('lives end to end: opened from the phone, answered by the merchant, held, decided for the customer, refunded once', async () => {
    const { customer, phone, payments } = await customerWithPhone(2_400);
    const [payment] = payments as [string];
    const tillAfterPayment = await world.till();

    const opened = await open(phone, { payment, reason: 'not_received', message: 'The parcel never came.\r\nI waited three weeks.' });
    expect(opened.status).toBe(201);
    const dispute = await opened.json();
    expect(dispute).toMatchObject({
      payment,
      reason: 'not_received',
      amount: 2_400,
      currency: 'EUR',
      state: 'awaiting_merchant',
      outcome: null,
      resolvedAt: null,
      merchant: { id: world.merchantId },
    });
    expect(dispute.id).toMatch(/^dp_/);
    expect(dispute.answerDueAt - dispute.openedAt).toBe(7 * 86_400);
    const [notice] = await noticesOf('dispute.opened', dispute.id);
    expect(notice?.payload.dispute).toMatchObject({
      payment,
      message: 'The parcel never came.\nI waited three weeks.',
      state: 'awaiting_merchant',
    });
    expect((await (await phone.call('/device/disputes')).json()).disputes.map((item: { id: string }) => item.id)).toContain(dispute.id);

    // The merchant sees it and answers with evidence.
    const listed = await (await world.call('/v1/disputes?state=awaiting_merchant')).json();
    expect(listed.disputes.map((item: { id: string }) => item.id)).toContain(dispute.id);
    const evidence = { text: 'Shipped on the 2nd, signed for on the 4th.', carrier: 'La Poste', trackingReference: 'LP123456789FR' };
    const answered = await answer(dispute.id, evidence);
    expect(answered.status).toBe(200);
    expect(await answered.json()).toMatchObject({ state: 'awaiting_decision', evidence, held: false, refund: null });
    expect(await noticesOf('dispute.answered', dispute.id)).toHaveLength(1);

    // The operator holds the amount: it leaves the till, so no payout takes it.
    expect(await cli(['disputes', 'hold', dispute.id])).toMatchObject({ code: 0 });
    expect(await world.till()).toBe(tillAfterPayment - 2_400n);
    expect((await world.server.disputes.hold(dispute.id)).hold_transfer).not.toBeNull();
    expect(await world.till()).toBe(tillAfterPayment - 2_400n);

    // Decided for the customer twice at once, then again: one refund, one movement, one notice.
    const walletBefore = (await world.wallet(customer)).balance;
    await Promise.all([
      world.server.disputes.decide(dispute.id, 'for_customer'),
      world.server.disputes.decide(dispute.id, 'for_customer', { note: 'No proof of delivery to this address.' }),
    ]);
    const again = await cli(['disputes', 'decide', dispute.id, '--for', 'customer']);
    expect(again.code).toBe(0);
    expect(again.out.join('\n')).toContain('refunded (rf_');
    expect(await refundsOf(dispute.id)).toBe(1);
    expect((await world.wallet(customer)).balance).toBe(walletBefore + 2_400n);
    expect(await world.till()).toBe(tillAfterPayment - 2_400n);
    expect(await noticesOf('dispute.resolved', dispute.id)).toHaveLength(1);
    const resolved = await (await world.call(`/v1/disputes/${dispute.id}`)).json();
    expect(resolved).toMatchObject({ state: 'resolved', outcome: 'for_customer', held: false });
    expect(resolved.refund).toMatch(/^rf_/);

    // The other way now is refused, and changes nothing.
    const before = await world.footprint();
    await expect(cli(['disputes', 'decide', dispute.id, '--for', 'merchant'])).rejects.toMatchObject({ code: 'dispute_resolved' });
    await expect(world.server.disputes.hold(dispute.id)).rejects.toMatchObject({ code: 'dispute_resolved' });
    expect(await world.footprint()).toEqual(before);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it('is opened from the account page, which then shows its status; another customer gets not found', async () => {
    const { customer, payments } = await customerWithPhone(1_500);
    const [payment] = payments as [string];
    const stranger = await world.customer();
    const signIn = async (account: string) => {
      const browser = new ScriptedBrowser(world.url);
      const page = await browser.go('/account');
      await browser.go('/account/identify', { form: { csrf: ScriptedBrowser.csrf(page.html), account, accessKey: ACCESS_KEY } });
      return browser;
    };
    const browser = await signIn(customer);
    const form = await browser.go(`/account/payments/${payment}/dispute`);
    expect(form.page?.status).toBe(200);
    expect(form.html).toContain('<legend>What went wrong?</legend>');
    const csrf = ScriptedBrowser.csrf(form.html);

    const before = await disputes();
    const bad = await browser.go(`/account/payments/${payment}/dispute`, { form: { csrf, reason: 'not_received', message: '' } });
    expect(bad.page?.status).toBe(400);
    expect(bad.html).toContain('role="alert"');
    expect(bad.html).toContain('aria-invalid="true"');
    expect(await disputes()).toBe(before);

    const sent = await browser.go(`/account/payments/${payment}/dispute`, {
      form: { csrf, reason: 'not_received', message: 'Still waiting for the parcel.' },
    });
    expect(sent.page?.status).toBe(200);
    expect(sent.html).toContain('Waiting for the merchant’s answer');
    const opened = (await world.server.disputes.ofPayment(customer, BigInt(payment.slice(4)))) ?? expect.fail('no dispute');
    expect(opened).toMatchObject({ reason: 'not_received', amount: 1_500n, state: 'awaiting_merchant' });
    expect(await noticesOf('dispute.opened', opened.id)).toHaveLength(1);

    const again = await browser.go(`/account/payments/${payment}/dispute?lang=fr`);
    expect(again.html).toContain('Votre contestation');

    const other = await signIn(stranger);
    const refused = await other.go(`/account/payments/${payment}/dispute`, {
      form: { csrf: ScriptedBrowser.csrf((await other.go('/account')).html), reason: 'other', message: 'Mine?' },
    });
    expect(refused.page?.status).toBe(404);
    expect((await other.go(`/account/payments/${payment}/dispute`)).page?.status).toBe(404);
    const forged = await browser.go(`/account/payments/${payment}/dispute`, { form: { csrf: 'forged', reason: 'other', message: 'x' } });
    expect(forged.page?.status).toBe(403);
    expect(await disputes()).toBe(before + 1);
  });

  it('decided for the merchant: nothing refunded, the hold back in the till', async () => {
    const { customer, phone, payments } = await customerWithPhone(1_800);
    const [payment] = payments as [string];
    const tillAfterPayment = await world.till();
    const dispute = await (await open(phone, { payment, reason: 'duplicate', message: 'Charged twice?', amount: 900 })).json();
    expect(dispute.amount).toBe(900);
    await world.server.disputes.hold(dispute.id);
    expect(await world.till()).toBe(tillAfterPayment - 900n);
    const walletBefore = (await world.wallet(customer)).balance;

    const decided = await cli(['disputes', 'decide', dispute.id, '--for', 'merchant', '--note', 'One charge only in the register.']);
    expect(decided).toMatchObject({ code: 0 });
    expect(await world.till()).toBe(tillAfterPayment);
    expect((await world.wallet(customer)).balance).toBe(walletBefore);
    expect(await refundsOf(dispute.id)).toBe(0);
    const shown = await cli(['disputes', 'show', dispute.id]);
    expect(shown.out).toEqual(
      expect.arrayContaining(['state\tresolved', 'held\treleased', 'note\tOne charge only in the register.', 'amount\t9.00 EUR']),
    );
    expect((await world.server.disputes.decide(dispute.id, 'for_merchant')).outcome).toBe('for_merchant');
    expect(await noticesOf('dispute.resolved', dispute.id)).toHaveLength(1);
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });

  it("refuses another customer's payment exactly as an unknown one, changing nothing", async () => {
    const alice = await customerWithPhone(700);
    const bob = await customerWithPhone();
    const [alicePayment] = alice.payments as [string];
    const before = { footprint: await world.footprint(), disputes: await disputes() };

    // One request id for both, so the bodies (which name it) can be compared whole.
    const sent = (payment: string) =>
      bob.phone.call('/device/disputes', {
        method: 'POST',
        body: { payment, reason: 'unauthorised', message: 'Not me.' },
        headers: { 'x-request-id': 'same-request' },
      });
    const other = await sent(alicePayment);
    const unknown = await sent('pay_999999999');
    expect(other.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(await other.json()).toEqual(await unknown.json());
    await expect(
      world.server.disputes.open(bob.customer, { payment: alicePayment, reason: 'other', message: 'Mine?' }),
    ).rejects.toMatchObject({ code: 'payment_unknown' });
    expect({ footprint: await world.footprint(), disputes: await disputes() }).toEqual(before);
  });

  it('refuses bad input and a second dispute with stable codes, changing nothing', async () => {
    const { phone, payments } = await customerWithPhone(1_000, 500);
    const [payment, freshId] = payments as [string, string];
    const fresh = { id: freshId };
    const dispute = await (await open(phone, { payment, reason: 'not_as_described', message: 'Torn cover.' })).json();
    const other = await world.addMerchant();
    const before = { footprint: await world.footprint(), disputes: await disputes() };

    const opening: [unknown, number, string][] = [
      [{ payment: fresh.id, reason: 'bogus', message: 'x' }, 400, 'request_invalid'],
      [{ payment: fresh.id, reason: 'other', message: '' }, 400, 'request_invalid'],
      [{ payment: fresh.id, reason: 'other', message: '   ' }, 400, 'request_invalid'],
      [{ payment: fresh.id, reason: 'other', message: 'bell \u0007' }, 400, 'request_invalid'],
      [{ payment: fresh.id, reason: 'other', message: 'x'.repeat(2_001) }, 400, 'request_invalid'],
      [{ payment: fresh.id, reason: 'other', message: 'x', amount: 0 }, 400, 'request_invalid'],
      [{ payment: fresh.id, reason: 'other', message: 'x', amount: 1.5 }, 400, 'request_invalid'],
      [{ payment: fresh.id, reason: 'other', message: 'x', amount: 501 }, 409, 'dispute_exceeds_payment'],
      [{ payment: fresh.id, reason: 'other', message: 'x', extra: true }, 400, 'request_invalid'],
      [{ payment: '42', reason: 'other', message: 'x' }, 400, 'request_invalid'],
      [{ reason: 'other', message: 'x' }, 400, 'request_invalid'],
      [{ payment, reason: 'other', message: 'Again.' }, 409, 'dispute_exists'],
    ];
    for (const [body, status, code] of opening) {
      const response = await open(phone, body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect((await response.json()).code, JSON.stringify(body)).toBe(code);
    }
    const malformed = await phone.call('/device/disputes', {
      method: 'POST',
      body: '{"payment":',
      headers: { 'content-type': 'application/json' },
    });
    expect((await malformed.json()).code).toBe('request_invalid');

    const answering: [string, unknown, number, string, Parameters<AfterPaymentWorld['call']>[1]?][] = [
      [dispute.id, {}, 400, 'request_invalid'],
      [dispute.id, { text: '' }, 400, 'request_invalid'],
      [dispute.id, { text: 'x'.repeat(4_001) }, 400, 'request_invalid'],
      [dispute.id, { text: 'ok', trackingReference: 'x'.repeat(101) }, 400, 'request_invalid'],
      [dispute.id, { text: 'ok', deliveredAt: 'yesterday' }, 400, 'request_invalid'],
      [dispute.id, { text: 'ok', photo: 'data:…' }, 400, 'request_invalid'],
      [dispute.id, { text: 'ok' }, 404, 'dispute_unknown', { as: other }],
      ['dp_AAAAAAAAAAAAAAAAAAAAAA', { text: 'ok' }, 404, 'dispute_unknown'],
      ['nonsense', { text: 'ok' }, 404, 'dispute_unknown'],
    ];
    for (const [id, body, status, code, init] of answering) {
      const response = await answer(id, body, init ?? {});
      expect(response.status, `${id} ${JSON.stringify(body)}`).toBe(status);
      expect((await response.json()).code).toBe(code);
    }
    expect((await (await world.call(`/v1/disputes/${dispute.id}`, { as: other })).json()).code).toBe('dispute_unknown');
    expect((await (await world.call('/v1/disputes?state=lost')).json()).code).toBe('request_invalid');
    expect((await (await world.call('/v1/disputes?limit=5')).json()).code).toBe('request_invalid');
    await expect(world.server.disputes.decide(dispute.id, 'for_customer', { note: '' })).rejects.toMatchObject({ code: 'request_invalid' });
    await expect(cli(['disputes', 'decide', dispute.id, '--for', 'nobody'])).rejects.toThrow('--for is customer or merchant.');
    expect({ footprint: await world.footprint(), disputes: await disputes() }).toEqual(before);
    expect((await world.server.disputes.get(dispute.id)).state).toBe('awaiting_merchant');
  });

  it('applies the time limits on the clock: the opening window, a silent merchant, an overdue operator', async () => {
    const { customer, phone, payments } = await customerWithPhone(600, 1_100, 1_300);
    const [old, silent, slow] = (payments as [string, string, string]).map((id) => ({ id })) as [
      { id: string },
      { id: string },
      { id: string },
    ];
    const silentDispute = await (await open(phone, { payment: silent.id, reason: 'not_received', message: 'Nothing came.' })).json();
    const slowDispute = await (await open(phone, { payment: slow.id, reason: 'other', message: 'Wrong size.' })).json();
    expect((await answer(slowDispute.id, { text: 'Size as ordered.' })).status).toBe(200);
    const walletBefore = (await world.wallet(customer)).balance;

    // Just before each deadline nothing happens.
    await later(7 * DAY_MS - 60_000, async () => {
      await world.server.disputes.applyDeadlines();
      expect((await world.server.disputes.get(silentDispute.id)).state).toBe('awaiting_merchant');
      expect(await world.server.alerts.list({ kind: 'dispute_decision_overdue' })).toEqual([]);
    });

    await later(8 * DAY_MS, async () => {
      const late = await answer(silentDispute.id, { text: 'Too late?' });
      expect(late.status).toBe(409);
      expect((await late.json()).code).toBe('dispute_not_awaiting_answer');
      const run = await world.server.disputes.applyDeadlines();
      expect(run.decided).toBeGreaterThanOrEqual(1);
      const decided = await world.server.disputes.get(silentDispute.id);
      expect(decided).toMatchObject({ state: 'resolved', outcome: 'for_customer', decided_by: 'deadline' });
      expect(decided.refund_id).toMatch(/^rf_/);
      expect((await world.wallet(customer)).balance).toBe(walletBefore + 1_100n);
      expect(await world.server.disputes.applyDeadlines()).toMatchObject({ decided: 0 });
      expect(await refundsOf(silentDispute.id)).toBe(1);
    });

    await later(15 * DAY_MS, async () => {
      await world.server.disputes.applyDeadlines();
      await world.server.disputes.applyDeadlines();
      const alerts = (await world.server.alerts.list({ kind: 'dispute_decision_overdue' })).filter((a) => a.subject === slowDispute.id);
      expect(alerts).toHaveLength(1);
      expect((await world.server.disputes.get(slowDispute.id)).state).toBe('awaiting_decision');
    });

    await later(61 * DAY_MS, async () => {
      const before = await disputes();
      const closed = await open(phone, { payment: old.id, reason: 'other', message: 'Late.' });
      expect(closed.status).toBe(409);
      expect((await closed.json()).code).toBe('dispute_window_closed');
      expect(await disputes()).toBe(before);
    });
    expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  });
});
