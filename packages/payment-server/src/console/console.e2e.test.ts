import { generateKey } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { type ApiTestServer, payAs, startApiTestServer } from '../api/__fixtures__/api-server.js';
import { verifyAudit } from '../audit/verify.js';
import { addOperator, codeAt, deferredTicket, OPERATOR_PASSWORD, signedInBrowser, type TestOperator } from './__fixtures__/console.js';
import { listActions } from './activity.js';

/** Posts a form of the page `html` (its token) with `fields`, as the browser that got the page. */
const post = (browser: ScriptedBrowser, path: string, html: string | undefined, fields: Record<string, string> = {}) =>
  browser.go(path, { form: { csrf: ScriptedBrowser.csrf(html), ...fields } });

/** The console over real HTTP: sign-in with the second factor, sessions, form tokens, roles, and the register of what operators did. */
// Each test signs in (scrypt, then the code) and pays through real HTTP: seconds alone, several times that while the
// whole suite shares the machine's two cores with the other packages' browsers.
describe('the operator console, over HTTP', { timeout: 120_000 }, () => {
  let at = new Date('2026-03-10T09:00:00Z');
  const clock = { now: () => at, tick: () => (at = new Date(at.getTime() + 30_000)) };
  let shop: ApiTestServer;
  let admin: TestOperator;
  let viewer: TestOperator;

  beforeAll(async () => {
    shop = await startApiTestServer({ now: clock.now });
    admin = await addOperator(shop.server, 'alice', 'admin');
    viewer = await addOperator(shop.server, 'victor', 'viewer');
  });
  afterAll(async () => {
    await shop?.close();
  });

  it('sends a visitor to the sign-in page, and signs in with the password and then the code', async () => {
    const browser = new ScriptedBrowser(shop.url);
    const first = await browser.go(`/console/merchants/${shop.merchantId}`);
    expect(first.page?.url).toMatch(/\/console\/sign-in$/);
    expect(first.html).toContain('Sign in to the console');

    clock.tick();
    const wrong = await post(browser, '/console/sign-in', first.html, { operator: admin.id, password: 'not the passphrase' });
    expect(wrong.page?.status).toBe(401);
    expect(wrong.html).toContain('The operator id or the password is wrong.');

    const code = await post(browser, '/console/sign-in', wrong.html, { operator: admin.id, password: OPERATOR_PASSWORD });
    expect(code.html).toContain('Enter your code');
    // The password alone opens nothing.
    expect((await browser.go('/console/payments')).html).toContain('Sign in to the console');

    const badCode = await post(browser, '/console/sign-in/code', code.html, {
      code: String((Number(codeAt(admin, at)) + 1) % 1_000_000).padStart(6, '0'),
    });
    expect(badCode.page?.status).toBe(401);
    expect(badCode.html).toContain('3 attempts left before the account is locked.');

    const signedIn = await post(browser, '/console/sign-in/code', badCode.html, { code: codeAt(admin, at) });
    expect(signedIn.page?.url).toMatch(/\/console\/payments$/);
    expect(signedIn.html).toContain('Signed in as Alice Example (admin)');
    const actions = await listActions(shop.server.db, { operatorId: admin.id, limit: 10 });
    expect(actions.map((action) => [action.action, action.details])).toEqual([
      ['sign_in', {}],
      ['sign_in.refused', { factor: 'code', code: 'operator_code_invalid' }],
      ['sign_in.refused', { factor: 'password', code: 'operator_credentials_invalid' }],
    ]);
    // A whole sign-in clears the count of wrong attempts.
    expect((await shop.server.operators.get(admin.id)).failedAttempts).toBe(0);
  });

  it('takes a code once: the same code again, even within its 30 seconds, is refused', async () => {
    const { html } = await signedInBrowser(shop.url, admin, clock);
    expect(html).toContain('Signed in as');
    const again = new ScriptedBrowser(shop.url);
    const form = await again.go('/console/sign-in');
    const code = await post(again, '/console/sign-in', form.html, { operator: admin.id, password: OPERATOR_PASSWORD });
    const replayed = await post(again, '/console/sign-in/code', code.html, { code: codeAt(admin, at) });
    expect(replayed.page?.status).toBe(401);
    expect(replayed.html).toContain('The code is wrong, expired or already used.');
    // The next step's code is taken.
    clock.tick();
    const next = await post(again, '/console/sign-in/code', replayed.html, { code: codeAt(admin, at) });
    expect(next.html).toContain('Signed in as');
  });

  it('refuses a form without this browser’s token, or from another origin, and changes nothing', async () => {
    const { browser, html } = await signedInBrowser(shop.url, admin, clock);
    const page = await browser.go(`/console/merchants/${shop.merchantId}`);
    expect(page.html).toContain('Suspend: it takes no new payments');
    const noToken = await browser.go(`/console/merchants/${shop.merchantId}/suspend`, { form: { reason: 'Forged' } });
    expect(noToken.page?.status).toBe(403);
    expect(noToken.html).toContain('csrf_invalid');
    const otherSite = await browser.go(`/console/merchants/${shop.merchantId}/suspend`, {
      form: { csrf: ScriptedBrowser.csrf(html), reason: 'Forged' },
      origin: 'https://evil.example',
    });
    expect(otherSite.page?.status).toBe(403);
    const stranger = new ScriptedBrowser(shop.url);
    const theirs = await stranger.go(`/console/merchants/${shop.merchantId}/suspend`, {
      form: { csrf: ScriptedBrowser.csrf(html), reason: 'Forged' },
    });
    expect(theirs.html).toContain('Sign in to the console');
    expect((await shop.server.merchants.get(shop.merchantId)).status).toBe('active');
  });

  it('refuses a viewer’s hand-made POST with 403 operator_role_forbidden, shows them no action, and records the attempt', async () => {
    const { browser, html } = await signedInBrowser(shop.url, viewer, clock);
    const page = await browser.go(`/console/merchants/${shop.merchantId}`);
    expect(page.html).not.toContain('/suspend');
    expect(page.html).not.toContain('<form method="post" action="/console/merchants');
    const forged = await post(browser, `/console/merchants/${shop.merchantId}/suspend`, html, { reason: 'I should not' });
    expect(forged.page?.status).toBe(403);
    expect(forged.html).toContain('operator_role_forbidden');
    expect((await shop.server.merchants.get(shop.merchantId)).status).toBe('active');
    const [attempt] = await listActions(shop.server.db, { operatorId: viewer.id, actions: ['merchant.suspend'] });
    expect(attempt?.details).toEqual({ reason: 'I should not', role: 'viewer', outcome: 'forbidden' });
  });

  it('suspends and resumes a merchant as admin, each move recorded in the chained register that audit verify checks', async () => {
    const { browser } = await signedInBrowser(shop.url, admin, clock);
    const page = await browser.go(`/console/merchants/${shop.merchantId}`);
    const suspended = await post(browser, `/console/merchants/${shop.merchantId}/suspend`, page.html, {
      reason: 'Chargebacks under review',
    });
    expect(suspended.page?.url).toContain('done=suspended');
    expect(suspended.html).toContain('The merchant is suspended');
    expect((await shop.server.merchants.get(shop.merchantId)).status).toBe('suspended');
    expect(await shop.server.merchants.statusHistory(shop.merchantId)).toMatchObject([
      { from: 'active', to: 'suspended', by: `operator:${admin.id}`, reason: 'Chargebacks under review' },
    ]);
    const resumed = await post(browser, `/console/merchants/${shop.merchantId}/resume`, suspended.html);
    expect(resumed.html).toContain('The merchant takes payments again.');

    const [resume, suspend] = await listActions(shop.server.db, { subject: shop.merchantId, limit: 2 });
    expect(suspend).toMatchObject({
      operatorId: admin.id,
      action: 'merchant.suspend',
      details: { reason: 'Chargebacks under review', outcome: 'done' },
    });
    expect(resume).toMatchObject({ action: 'merchant.resume', prevHash: suspend?.hash });
    expect(suspend?.client).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
    expect((await verifyAudit(shop.server.db)).findings).toEqual([]);

    // The register refuses edits; one made behind the triggers' back is found by audit verify.
    await expect(shop.server.db.query(`UPDATE operator_actions SET details = '{}' WHERE seq = $1`, [suspend?.seq])).rejects.toThrow(
      /append-only/,
    );
    await shop.server.db.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(`UPDATE operator_actions SET details = jsonb_set(details, '{reason}', '"Routine check"') WHERE seq = $1`, [
        suspend?.seq,
      ]);
    });
    const report = await verifyAudit(shop.server.db);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual([expect.objectContaining({ kind: 'operator_action_edited', field: 'hash', expected: suspend?.hash })]);
    await shop.server.db.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(`UPDATE operator_actions SET details = $2::text::jsonb WHERE seq = $1`, [
        suspend?.seq,
        JSON.stringify(suspend?.details),
      ]);
    });
    expect((await verifyAudit(shop.server.db)).ok).toBe(true);
  });

  it('ends a session left idle, and one signed out, on every page', async () => {
    const { browser, html } = await signedInBrowser(shop.url, viewer, clock);
    at = new Date(at.getTime() + 16 * 60_000);
    const idle = await browser.go('/console/payments');
    expect(idle.page?.url).toContain('notice=session_ended');
    const again = await signedInBrowser(shop.url, viewer, clock);
    const out = await post(again.browser, '/console/sign-out', again.html);
    expect(out.html).toContain('You are signed out.');
    expect((await again.browser.go('/console/payments')).html).toContain('Sign in to the console');
    expect(html).toContain('Sign out');
  });

  it('locks an operator after 5 wrong passwords, raises an alert, and refuses even the right one until unlocked', async () => {
    const locked = await addOperator(shop.server, 'lena', 'support');
    const browser = new ScriptedBrowser(shop.url);
    let page = await browser.go('/console/sign-in');
    for (let attempt = 0; attempt < 5; attempt++) {
      page = await post(browser, '/console/sign-in', page.html, { operator: locked.id, password: 'wrong passphrase!' });
    }
    expect(page.page?.status).toBe(423);
    expect(page.html).toContain('This account is locked');
    const right = await post(browser, '/console/sign-in', page.html, { operator: locked.id, password: OPERATOR_PASSWORD });
    expect(right.page?.status).toBe(423);
    expect((await shop.server.alerts.list({ kind: 'operator_locked' })).map((alert) => alert.subject)).toEqual([locked.id]);
    await shop.server.operators.unlock(locked.id);
    expect((await signedInBrowser(shop.url, locked, clock)).html).toContain('Signed in as');
  });

  it('releases a held payment to the merchant (finance); support sees it but may not', async () => {
    await shop.server.customers.add({ accountId: 'hugo', phone: '+33650000077', accessKey: 'correct horse battery' });
    await shop.server.customers.walletCredit('hugo', 'EUR', 10_000n, { idempotencyKey: 'fund-hugo' });
    const held = await payAs(shop.url, deferredTicket(shop, 'order-held'), 'hugo', 'correct horse battery');
    const support = await signedInBrowser(shop.url, await addOperator(shop.server, 'sybil', 'support'), clock);
    const seen = await support.browser.go('/console/escrow');
    expect(seen.html).toContain(held);
    expect(seen.html).not.toContain(`/console/payments/${held}/release`);
    expect((await post(support.browser, `/console/payments/${held}/release`, seen.html)).page?.status).toBe(403);

    const finance = await signedInBrowser(shop.url, await addOperator(shop.server, 'felix', 'finance'), clock);
    const page = await finance.browser.go('/console/escrow');
    const released = await post(finance.browser, `/console/payments/${held}/release`, page.html);
    expect(released.html).toContain('The payment is released to the merchant.');
    expect(released.html).toContain('No payment is held.');
    const detail = await finance.browser.go(`/console/payments/${held}`);
    expect(detail.html).toContain('Released to the merchant');
    // Released twice: the escrow service's code, on a page, recorded as refused.
    const again = await post(finance.browser, `/console/payments/${held}/release`, page.html);
    expect(again.page?.status).toBe(409);
    expect(again.html).toContain('escrow_already_released');
    const [refused, done] = await listActions(shop.server.db, { subject: held, limit: 2 });
    expect([refused?.details, done?.details]).toEqual([
      { merchant: shop.merchantId, outcome: 'refused', code: 'escrow_already_released' },
      { merchant: shop.merchantId, outcome: 'done' },
    ]);
  });

  it('refunds from the payment page (finance): a refund above what is left is refused with its words, and nothing moves', async () => {
    const { id } = await shop.pay(2_000, { serial: 'order-refund' });
    const { browser } = await signedInBrowser(shop.url, await addOperator(shop.server, 'frank', 'finance'), clock);
    const page = await browser.go(`/console/payments/${id}`);
    expect(page.html).toContain('At most €20.00.');
    const tooMuch = await post(browser, `/console/payments/${id}/refunds`, page.html, {
      amount: '25,00',
      confirm: 'yes',
      request: crypto.randomUUID(),
    });
    expect(tooMuch.page?.status).toBe(409);
    expect(tooMuch.html).toContain('Refunds of this payment would add up to more than was paid.');
    expect(await shop.server.afterPayment.refunds.list(shop.merchantId, BigInt(id.slice(4)))).toEqual([]);
    const request = crypto.randomUUID();
    const done = await post(browser, `/console/payments/${id}/refunds`, page.html, {
      amount: '12,50',
      confirm: 'yes',
      request,
      reason: 'Damaged',
    });
    expect(done.html).toContain('The refund was made.');
    // The same form sent twice (a double click, a reload) refunds once.
    await post(browser, `/console/payments/${id}/refunds`, page.html, { amount: '12,50', confirm: 'yes', request, reason: 'Damaged' });
    expect((await shop.server.afterPayment.refunds.list(shop.merchantId, BigInt(id.slice(4)))).map((refund) => refund.amount)).toEqual([
      1_250,
    ]);
  });

  it('finds a customer by phone, and unlocks them (support)', async () => {
    await shop.server.customers.add({ accountId: 'ines', phone: '+33650000088', accessKey: 'correct horse battery' });
    for (let attempt = 0; attempt < 5; attempt++) await shop.server.customers.identify('ines', 'wrong key!!').catch(() => undefined);
    const { browser } = await signedInBrowser(shop.url, await addOperator(shop.server, 'suzy', 'support'), clock);
    const found = await browser.go('/console/customers?q=%2B33650000088');
    expect(found.page?.url).toMatch(/\/console\/customers\/ines$/);
    expect(found.html).toContain('Locked since');
    const unlocked = await post(browser, '/console/customers/ines/unlock', found.html);
    expect(unlocked.html).toContain('The account is unlocked.');
    expect((await shop.server.customers.get('ines')).lockedAt).toBeNull();
  });

  it('locks a customer with a reason (support): their next payment is refused account_locked, and once unlocked they pay', async () => {
    await shop.server.customers.add({ accountId: 'jade', phone: '+33650000099', accessKey: 'correct horse battery' });
    await shop.server.customers.walletCredit('jade', 'EUR', 5_000n, { idempotencyKey: 'fund-jade' });
    const support = await signedInBrowser(shop.url, await addOperator(shop.server, 'stan', 'support'), clock);
    const page = await support.browser.go('/console/customers/jade');
    expect(page.html).toContain('Lock the account');
    const noReason = await post(support.browser, '/console/customers/jade/lock', page.html, { reason: '  ' });
    expect(noReason.page?.status).toBe(400);
    expect(noReason.html).toContain('Say why the account is locked');
    expect((await shop.server.customers.get('jade')).lockedAt).toBeNull();

    const locked = await post(support.browser, '/console/customers/jade/lock', page.html, { reason: 'Phone reported stolen' });
    expect(locked.page?.url).toContain('done=locked');
    expect(locked.html).toContain('The account is locked');
    expect(locked.html).toContain('Unlock the account');
    const [action] = await listActions(shop.server.db, { subject: 'jade', actions: ['customer.lock'] });
    expect(action).toMatchObject({ operatorId: 'stan', details: { reason: 'Phone reported stolen', outcome: 'done' } });

    // At the checkout, the right access key is refused as after a lock-out.
    const checkout = new ScriptedBrowser(shop.url);
    const summary = await checkout.go('/pay', { form: { ticket: shop.ticket(1_000).token } });
    const refused = await checkout.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account: 'jade', accessKey: 'correct horse battery' },
    });
    expect(refused.html).toContain('account_locked');

    await post(support.browser, '/console/customers/jade/unlock', locked.html);
    expect(await payAs(shop.url, shop.ticket(1_000).token, 'jade', 'correct horse battery')).toMatch(/^pay_\d+$/);
  });

  it('refuses a viewer’s lock with 403 operator_role_forbidden, shows them no lock form, and locks nothing', async () => {
    await shop.server.customers.add({ accountId: 'kim', phone: '+33650000098', accessKey: 'correct horse battery' });
    const { browser, html } = await signedInBrowser(shop.url, viewer, clock);
    const page = await browser.go('/console/customers/kim');
    expect(page.html).not.toContain('/console/customers/kim/lock');
    const forged = await post(browser, '/console/customers/kim/lock', html, { reason: 'I should not' });
    expect(forged.page?.status).toBe(403);
    expect(forged.html).toContain('operator_role_forbidden');
    expect((await shop.server.customers.get('kim')).lockedAt).toBeNull();
    const [attempt] = await listActions(shop.server.db, { subject: 'kim', actions: ['customer.lock'] });
    expect(attempt?.details).toEqual({ reason: 'I should not', role: 'viewer', outcome: 'forbidden' });
  });

  it('replaces a merchant’s return origins, one a line (admin); a refused list is shown again and changes nothing', async () => {
    const other = await shop.addMerchant();
    const path = `/console/merchants/${other.merchantId}`;
    const { browser } = await signedInBrowser(shop.url, admin, clock);
    const page = await browser.go(path);
    expect(page.html).toContain('>https://other.example</textarea>');

    const malformed = await post(browser, `${path}/origins`, page.html, {
      origins: 'https://other.example\nhttps://www.other.example/shop',
    });
    expect(malformed.page?.status).toBe(400);
    expect(malformed.html).toContain('origin_invalid');
    expect(malformed.html).toContain('https://other.example\nhttps://www.other.example/shop</textarea>');
    const empty = await post(browser, `${path}/origins`, page.html, { origins: '\n  \n' });
    expect(empty.html).toContain('Register at least one return origin. (origin_invalid)');
    expect((await shop.server.merchants.get(other.merchantId)).returnOrigins).toEqual(['https://other.example']);

    const saved = await post(browser, `${path}/origins`, page.html, {
      origins: 'https://other.example\r\n\r\nhttps://www.other.example\r\n',
    });
    expect(saved.html).toContain('The return origins are saved');
    expect((await shop.server.merchants.get(other.merchantId)).returnOrigins).toEqual([
      'https://other.example',
      'https://www.other.example',
    ]);
    expect(await shop.server.merchants.isRegisteredOrigin(other.merchantId, 'https://www.other.example/paid')).toBe(true);
    const [action] = await listActions(shop.server.db, { subject: other.merchantId, actions: ['merchant.origins'] });
    expect(action?.details).toEqual({ origins: 'https://other.example https://www.other.example', outcome: 'done' });

    const viewers = await signedInBrowser(shop.url, viewer, clock);
    expect((await viewers.browser.go(path)).html).not.toContain(`${path}/origins`);
    expect((await post(viewers.browser, `${path}/origins`, viewers.html, { origins: 'https://evil.example' })).page?.status).toBe(403);
    expect((await shop.server.merchants.get(other.merchantId)).returnOrigins).toHaveLength(2);
  });

  it('adds and retires a merchant key (admin); a key that is not JSON is refused on the form', async () => {
    const { browser } = await signedInBrowser(shop.url, admin, clock);
    const page = await browser.go(`/console/merchants/${shop.merchantId}`);
    const notJson = await post(browser, `/console/merchants/${shop.merchantId}/keys`, page.html, { jwk: '{not json' });
    expect(notJson.page?.status).toBe(400);
    expect(notJson.html).toContain('keys_invalid');
    const key = generateKey();
    const added = await post(browser, `/console/merchants/${shop.merchantId}/keys`, page.html, { jwk: JSON.stringify(key.publicJwk) });
    expect(added.html).toContain('The key is added.');
    const retired = await post(browser, `/console/merchants/${shop.merchantId}/keys/retire`, page.html, { kid: key.publicJwk.kid });
    expect(retired.html).toContain('The key is retired');
    expect(
      (await shop.server.merchants.get(shop.merchantId)).keys.find((each) => each.kid === key.publicJwk.kid)?.retiredAt,
    ).not.toBeNull();
  });

  it('manages operators (admin): a new second factor is shown once and the old codes stop; the last admin cannot be disabled', async () => {
    const { browser, html } = await signedInBrowser(shop.url, admin, clock);
    const bob = await addOperator(shop.server, 'bob', 'support');
    const bobs = await signedInBrowser(shop.url, bob, clock);
    const reset = await post(browser, '/console/operators/reset-totp', html, { operator: bob.id });
    expect(reset.page?.headers.get('cache-control')).toBe('no-store');
    const secret = /<p class="secret">([A-Z2-7]+)<\/p>/.exec(reset.html ?? '')?.[1];
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    // Their session ended with the reset; the old secret signs in no more, the new one does.
    expect((await bobs.browser.go('/console/payments')).html).toContain('Sign in to the console');
    await expect(signedInBrowser(shop.url, bob, clock)).rejects.toThrow(/sign-in failed/);
    await shop.server.operators.unlock(bob.id);
    expect((await signedInBrowser(shop.url, { ...bob, secret: secret as string }, clock)).html).toContain('Signed in as');

    const disabled = await post(browser, '/console/operators/disable', html, { operator: bob.id });
    expect(disabled.html).toContain('The operator is disabled and signed out.');
    const last = await post(browser, '/console/operators/disable', html, { operator: admin.id });
    expect(last.page?.status).toBe(409);
    expect(last.html).toContain('operator_last_admin');
  });

  it('runs audit verify from the console (finance); the result is kept with the action and shown to everyone', async () => {
    const { browser, html } = await signedInBrowser(shop.url, await addOperator(shop.server, 'fay', 'finance'), clock);
    const ran = await post(browser, '/console/audit/verify', html);
    expect(ran.html).toContain('Audit passed: no row was edited, inserted or deleted.');
    const viewer = await signedInBrowser(shop.url, await addOperator(shop.server, 'val', 'viewer'), clock);
    const page = await viewer.browser.go('/console/audit');
    expect(page.html).toContain('Run by <bdi>fay</bdi>');
    expect(page.html).not.toContain('<li><bdi>');
    expect(page.html).not.toContain('/console/audit/verify');
    expect((await viewer.browser.go('/console/activity?operator=fay')).html).toContain('audit.verify');
  });

  it('answers a page of its own for what does not exist, whatever the path or query holds', async () => {
    const { browser } = await signedInBrowser(shop.url, viewer, clock);
    for (const path of [
      '/console/merchants/%C3%A9t%C3%A9',
      '/console/payments/pay_99999',
      '/console/nowhere/%E2%80%AE',
      '/console/customers/%00',
    ]) {
      const page = await browser.go(path);
      expect(page.page?.status, path).toBe(404);
      expect(page.html, path).toContain('There is nothing at this address in the console.');
    }
    const search = await browser.go('/console/payments?q=%C3%A9%E2%80%AE%3Cscript%3E');
    expect(search.page?.status).toBe(200);
    expect(search.html).toContain('&lt;script&gt;');
    expect(search.html).not.toContain('\u202e');
  });
});

/** The console's sign-in throttle: wrong passwords and codes per client address, whatever operator id they name. */
describe('the console sign-in, throttled per address', () => {
  let at = new Date('2026-03-10T09:00:00Z');
  const clock = { now: () => at, tick: () => (at = new Date(at.getTime() + 30_000)) };
  let shop: ApiTestServer;
  let alice: TestOperator;
  let bob: TestOperator;

  beforeAll(async () => {
    // Three wrong attempts per 10 minutes: one comes back every 200 seconds.
    shop = await startApiTestServer({ now: clock.now, env: { CAISSE_IDENTIFY_LIMIT: '3' } });
    alice = await addOperator(shop.server, 'alice', 'admin');
    bob = await addOperator(shop.server, 'bob', 'viewer');
  });
  afterAll(async () => {
    await shop?.close();
  });

  it('takes nothing for right sign-ins, and answers the 4th wrong one of an address allowed 3 with 429 and Retry-After', async () => {
    // More right sign-ins than the limit: none is slowed.
    for (let signIn = 0; signIn < 4; signIn++) expect((await signedInBrowser(shop.url, alice, clock)).html).toContain('Signed in as');

    const browser = new ScriptedBrowser(shop.url);
    const form = await browser.go('/console/sign-in');
    const wrongAlice = await post(browser, '/console/sign-in', form.html, { operator: alice.id, password: 'not the passphrase' });
    expect(wrongAlice.page?.status).toBe(401);
    const wrongBob = await post(browser, '/console/sign-in', form.html, { operator: bob.id, password: 'not the passphrase' });
    expect(wrongBob.page?.status).toBe(401);
    // A wrong code counts as a wrong password does.
    const code = await post(browser, '/console/sign-in', form.html, { operator: bob.id, password: OPERATOR_PASSWORD });
    const wrongCode = await post(browser, '/console/sign-in/code', code.html, {
      code: String((Number(codeAt(bob, at)) + 1) % 1_000_000).padStart(6, '0'),
    });
    expect(wrongCode.page?.status).toBe(401);

    const fourth = await post(browser, '/console/sign-in', form.html, { operator: alice.id, password: 'not the passphrase' });
    expect(fourth.page?.status).toBe(429);
    expect(fourth.page?.headers.get('retry-after')).toBe('200');
    expect(fourth.html).toContain('Too many attempts from this address.');
    // Nothing is checked while the address waits: not the right code either, and the operators' own counts stay.
    const rightCode = await post(browser, '/console/sign-in/code', wrongCode.html, { code: codeAt(bob, at) });
    expect(rightCode.page?.status).toBe(429);
    expect((await shop.server.operators.get(alice.id)).failedAttempts).toBe(1);
    expect((await shop.server.operators.get(bob.id)).failedAttempts).toBe(2);

    at = new Date(at.getTime() + 200_000);
    expect((await signedInBrowser(shop.url, alice, clock)).html).toContain('Signed in as');
  });
});
