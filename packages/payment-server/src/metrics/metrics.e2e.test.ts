import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { startTestServer } from '../__fixtures__/payment-server.js';

/**
 * What Prometheus scrapes from a real payment server over real HTTP while customers pay:
 * the payment counted by outcome and means, the request durations by route, the database
 * gauges, the process metrics; and the token that keeps the page to the operator.
 */

const TOKEN = 'metrics-token-0123456789abcdef';
const ACCESS_KEY = 'correct horse battery';

let shop: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  shop = await startTestServer({ env: { CAISSE_METRICS_TOKEN: TOKEN } });
  for (const [accountId, phone] of [
    ['alice', '+33612345678'],
    ['bob', '+33612345679'],
  ] as const) {
    await shop.server.customers.add({ accountId, phone, accessKey: ACCESS_KEY, limits: { EUR: { walletCap: 50_000n } } });
  }
  const alice = await shop.server.customers.identify('alice', ACCESS_KEY);
  await shop.server.customers.walletCredit(alice.id, 'EUR', 2_000n, { idempotencyKey: 'metrics-top-up' });
});
afterAll(async () => {
  await shop?.close();
});

/** Pays `amount` as alice on the hosted pages, the way her browser does. */
async function pay(amount: number) {
  const browser = new ScriptedBrowser(shop.url);
  const summary = await browser.go('/pay', { form: { ticket: shop.ticket(amount).token } });
  return browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
    form: { csrf: ScriptedBrowser.csrf(summary.html), account: 'alice', accessKey: ACCESS_KEY },
  });
}

const scrape = (authorization?: string) => fetch(`${shop.url}/metrics`, authorization ? { headers: { authorization } } : {});

/** The value of the sample with exactly these labels, in any order. */
function sample(page: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of page.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map(([, key, value]) => [key, value]));
    if (JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('shows a payment once it is paid, and a refusal with its reason', async () => {
    const before = await (await scrape(`Bearer ${TOKEN}`)).text();
    expect(sample(before, 'caisse_payments_total', { outcome: 'paid', means: 'wallet' })).toBeUndefined();

    expect((await pay(1_290)).leftTo?.pathname).toBe('/paid');
    // 710 left in the wallet, no bank: the hosted page says so, the checkout is closed refused.
    expect((await pay(1_500)).html).toContain('insufficient_funds');

    const response = await scrape(`Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const page = await response.text();
    expect(page).toMatch(/^caisse_payments_total\{(?=[^}]*outcome="paid")(?=[^}]*means="wallet")[^}]*\} 1$/m);
    expect(sample(page, 'caisse_payments_total', { outcome: 'paid', means: 'wallet' })).toBe(1);
    expect(sample(page, 'caisse_payments_total', { outcome: 'refused', reason: 'insufficient_funds' })).toBe(1);
    expect(sample(page, 'caisse_payment_duration_seconds_count', { means: 'wallet' })).toBe(1);
    // Each step of the checkout under its route pattern, never its session id: the paid one left with a 303.
    const identify = { method: 'POST', route: '/checkout/:id/identify', status: '303' };
    expect(sample(page, 'caisse_http_request_duration_seconds_count', identify)).toBe(1);
    expect(sample(page, 'caisse_http_request_duration_seconds_bucket', { ...identify, le: '+Inf' })).toBe(1);
    expect(page).not.toMatch(/cs_[A-Za-z0-9_-]{10}/);
    // The paid payment's receipt waits for the sender, which this test server does not run.
    expect(sample(page, 'caisse_receipts_due')).toBe(1);
    expect(sample(page, 'caisse_notifications_pending')).toBe(0);
    expect(sample(page, 'caisse_notifications_parked')).toBe(0);
    expect(page).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(page).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
  });

  it('counts lock-outs and the alerts they raise', async () => {
    const gauges = async () => {
      const page = await (await scrape(`Bearer ${TOKEN}`)).text();
      return { locked: sample(page, 'caisse_customers_locked'), alerts: sample(page, 'caisse_alerts_open') };
    };
    expect(await gauges()).toEqual({ locked: 0, alerts: 0 });
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await expect(shop.server.customers.identify('bob', 'wrong key')).rejects.toMatchObject({ name: 'ProblemError' });
    }
    expect(await gauges()).toEqual({ locked: 1, alerts: 1 });
  });

  it('answers 401 metrics_unauthorized without the token, or with another one', async () => {
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN]) {
      const response = await scrape(authorization);
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      const body = await response.json();
      expect(body).toMatchObject({ status: 401, code: 'metrics_unauthorized', requestId: response.headers.get('x-request-id') });
      expect(JSON.stringify(body)).not.toContain(TOKEN);
    }
    expect((await scrape(`bearer ${TOKEN}`)).status).toBe(200);
  });
});
