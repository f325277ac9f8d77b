import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { launchChromium } from '@caisse/testing/chromium';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startPaymentServer, type TestPaymentServer } from './payment-server.js';

/**
 * The built SDK (dist/index.js, bundled with its dependencies as an app would, once by
 * global-setup.ts) in real headless Chromium: WebCrypto keys kept in IndexedDB, the live
 * stream over fetch, CORS from the phone app's own origin, against a real payment server.
 */

let pay: TestPaymentServer;
let browser: Browser;
let phone: Server;
let phoneUrl: string;

beforeAll(async () => {
  const sdk = inject('sdkBundle');
  if (sdk === null) throw new Error('Build the SDK first (npm run build -w @caisse/sdk): this test runs the built output.');
  // The phone app's origin: 127.0.0.1, while the payment server is on localhost, so every call is cross-origin.
  phone = createServer((req, res) => {
    if (req.url === '/sdk.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
    else if (req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end("import * as sdk from '/sdk.js'; window.sdk = sdk;");
    } else if (req.url === '/') {
      res
        .writeHead(200, { 'content-type': 'text/html', 'content-security-policy': `default-src 'self'; connect-src ${pay.url}` })
        .end('<!doctype html><title>phone</title><script type="module" src="/page.js"></script>');
    } else res.writeHead(404).end();
  });
  phone.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => phone.once('listening', () => resolve()));
  phoneUrl = `http://127.0.0.1:${(phone.address() as AddressInfo).port}`;
  pay = await startPaymentServer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (phone ? phone.close(() => resolve()) : resolve()));
  await pay?.close();
});

/** A page of the phone origin with the SDK loaded as `window.sdk`. */
async function phonePage(page?: Page): Promise<Page> {
  const target = page ?? (await (await browser.newContext()).newPage());
  await target.goto(phoneUrl);
  await target.waitForFunction(() => 'sdk' in window);
  return target;
}

type Sdk = typeof import('../src/index.js');
declare global {
  interface Window {
    sdk: Sdk;
    events: { type: string; amount?: number; id?: string }[];
    streamError?: { name: string; code: string };
  }
}

describe('the built SDK in Chromium', () => {
  it('enrols with a non-extractable key in IndexedDB, streams a request after a reload, approves it with the PIN: paid', async () => {
    const page = await phonePage();
    const code = await pay.enrollmentCode();
    const enrolled = await page.evaluate(
      async ({ server, code }) => {
        const device = window.sdk.createDevice({ server, store: window.sdk.indexedDbStore() });
        const account = await device.enroll({ code, pin: '2580', name: 'Chromium' });
        // What IndexedDB holds, read without the SDK.
        const stored = await new Promise<Record<string, unknown>>((resolve, reject) => {
          const open = indexedDB.open('caisse-device');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('accounts').objectStore('accounts').get(account.deviceId);
            get.onsuccess = () => resolve(get.result as Record<string, unknown>);
          };
        });
        const key = stored.privateKey as CryptoKey;
        return {
          deviceId: account.deviceId,
          algorithm: account.algorithm,
          account: account.account,
          key: { isCryptoKey: key instanceof CryptoKey, extractable: key.extractable, algorithm: key.algorithm.name, usages: key.usages },
          exported: await crypto.subtle.exportKey('jwk', key).then(
            () => 'exported',
            (error: Error) => error.name,
          ),
          fields: Object.keys(stored).sort(),
        };
      },
      { server: pay.url, code },
    );
    expect(enrolled).toMatchObject({ algorithm: 'EdDSA', account: 'alice' });
    expect(enrolled.key).toEqual({ isCryptoKey: true, extractable: false, algorithm: 'Ed25519', usages: ['sign'] });
    expect(enrolled.exported).toBe('InvalidAccessError');
    expect(enrolled.fields).not.toContain('pin');

    // A reload: the account comes back from IndexedDB, and its stream follows new requests.
    await phonePage(page);
    await page.evaluate(async () => {
      window.events = [];
      const [account] = await window.sdk.createDevice({ store: window.sdk.indexedDbStore() }).accounts();
      (async () => {
        try {
          for await (const event of (account as NonNullable<typeof account>).requests()) {
            window.events.push(
              event.type === 'request' ? { type: event.type, amount: event.request.amount, id: event.request.id } : { type: event.type },
            );
          }
        } catch (error) {
          window.streamError = error as { name: string; code: string };
        }
      })();
    });
    await page.waitForFunction(() => window.events.some((event) => event.type === 'open'));
    const ticket = await pay.requestPayment(1290);
    await page.waitForFunction(() => window.events.some((event) => event.type === 'request' && event.amount === 1290), undefined, {
      timeout: 15_000,
    });
    const wrong = await page.evaluate(async () => {
      const [account] = await window.sdk.createDevice({ store: window.sdk.indexedDbStore() }).accounts();
      const [request] = await (account as NonNullable<typeof account>).pending();
      try {
        await (account as NonNullable<typeof account>).approve(request as NonNullable<typeof request>, '0000');
        return undefined;
      } catch (error) {
        return {
          guard: window.sdk.isCaisseDeviceError(error, 'pin_invalid'),
          attemptsLeft: (error as { attemptsLeft?: number }).attemptsLeft,
        };
      }
    });
    expect(wrong).toEqual({ guard: true, attemptsLeft: 4 });
    const state = await page.evaluate(async () => {
      const [account] = await window.sdk.createDevice({ store: window.sdk.indexedDbStore() }).accounts();
      const [request] = await (account as NonNullable<typeof account>).pending();
      return (account as NonNullable<typeof account>).approve(request as NonNullable<typeof request>, '2580');
    });
    expect(state).toBe('approved');
    expect(await pay.outcome(ticket)).toMatchObject({ state: 'paid' });
    await page.waitForFunction(() => window.events.some((event) => event.type === 'closed'));

    // Revoked by the operator: the page's stream ends with device_revoked.
    await pay.server.devices.revoke(enrolled.deviceId);
    await page.waitForFunction(() => window.streamError !== undefined, undefined, { timeout: 15_000 });
    expect(await page.evaluate(() => ({ name: window.streamError?.name, code: window.streamError?.code }))).toEqual({
      name: 'CaisseDeviceError',
      code: 'device_revoked',
    });
  });

  it('falls back to P-256 keys where asked, and they work the same', async () => {
    const page = await phonePage();
    const code = await pay.enrollmentCode('bob');
    const result = await page.evaluate(
      async ({ server, code }) => {
        const device = window.sdk.createDevice({ server, store: window.sdk.indexedDbStore({ name: 'p256' }), algorithm: 'ES256' });
        const account = await device.enroll({ code, pin: '97531' });
        return { algorithm: account.algorithm, pending: await account.pending() };
      },
      { server: pay.url, code },
    );
    expect(result).toEqual({ algorithm: 'ES256', pending: [] });
  });
});
