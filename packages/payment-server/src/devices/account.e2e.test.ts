import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { createTestDevice } from '../__fixtures__/device.js';
import { startTestServer } from '../__fixtures__/payment-server.js';

describe('phones on the hosted account page', () => {
  let shop: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    shop = await startTestServer();
    await shop.server.customers.add({ accountId: 'gina', phone: '+33612345622', accessKey: 'ginas access key' });
    await shop.server.customers.add({ accountId: 'hugo', phone: '+33612345633', accessKey: 'hugos access key' });
  });
  afterAll(async () => {
    await shop?.close();
  });

  async function signedIn(account: string, accessKey: string) {
    const browser = new ScriptedBrowser(shop.url);
    const signIn = await browser.go('/account');
    const page = await browser.go('/account/identify', { form: { csrf: ScriptedBrowser.csrf(signIn.html), account, accessKey } });
    return { browser, html: page.html as string };
  }

  it('shows a one-time code once, which enrolls a phone listed on the page, and revokes it', async () => {
    const { browser, html } = await signedIn('gina', 'ginas access key');
    expect(html).toContain('No phone is enrolled yet.');
    const withCode = await browser.go(ScriptedBrowser.action(html, '/account/devices/code'), {
      form: { csrf: ScriptedBrowser.csrf(html) },
    });
    expect(withCode.page?.headers.get('cache-control')).toBe('no-store');
    const code = /<p class="code"><strong>(\d{4} \d{4} \d{4})<\/strong><\/p>/.exec(withCode.html as string)?.[1] as string;
    expect(code).toBeDefined();

    const phone = createTestDevice(shop.url);
    expect((await phone.enroll(code, { name: 'Gina’s phone' })).status).toBe(201);
    const listed = await browser.go('/account');
    expect(listed.html).toContain('Gina’s phone');
    expect(listed.html).not.toContain(code);
    expect(listed.html).toContain(`name="device" value="${phone.id}"`);

    await browser.go('/account/devices/revoke', { form: { csrf: ScriptedBrowser.csrf(listed.html), device: phone.id } });
    expect((await shop.server.devices.list('gina'))[0]?.revokedAt).not.toBeNull();
    expect((await phone.call('/device/requests')).status).toBe(403);
  });

  it("does not revoke another customer's phone", async () => {
    const hugosPhone = createTestDevice(shop.url);
    const { code } = await shop.server.devices.createCode('hugo');
    expect((await hugosPhone.enroll(code)).status).toBe(201);
    const { browser, html } = await signedIn('gina', 'ginas access key');
    const refused = await browser.go('/account/devices/revoke', { form: { csrf: ScriptedBrowser.csrf(html), device: hugosPhone.id } });
    expect(refused.page?.status).toBe(401);
    expect((await shop.server.devices.list('hugo'))[0]?.revokedAt).toBeNull();
  });

  it('refuses a code request without the form token', async () => {
    const { browser } = await signedIn('gina', 'ginas access key');
    const refused = await browser.go('/account/devices/code', { form: { csrf: 'forged' } });
    expect(refused.page?.status).toBe(403);
    expect(refused.html).not.toMatch(/\d{4} \d{4} \d{4}/);
  });
});
