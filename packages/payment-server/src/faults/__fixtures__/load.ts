import { setTimeout as delay } from 'node:timers/promises';
import { createState, decodeJws } from '@caisse/server-kit';
import { expect, vi } from 'vitest';
import { ScriptedBrowser } from '../../__fixtures__/browser.js';
import { ACCESS_KEY, type AfterPaymentWorld } from '../../after-payment/__fixtures__/world.js';
import { verifyAudit } from '../../audit/verify.js';

/**
 * A ticket of the world's merchant for one book at `amount` cents, with a fresh browser
 * binding; naming `customer` offers "Confirm on my phone".
 */
export function bookOrder(world: AfterPaymentWorld, serial: string, amount: number, customer?: string) {
  return world.merchant.createTicket({
    serial,
    currency: 'EUR',
    items: [{ id: 'book', label: 'A book', quantity: 1, unitAmount: amount, vatRate: 550 }],
    returnUrl: 'https://shop.example/paid',
    cancelUrl: 'https://shop.example/basket',
    state: createState(),
    ...(customer === undefined ? {} : { customer: { account: customer } }),
  });
}

/** A refusal the shopper was shown: 503 `service_unavailable`, with the seconds to wait. */
export interface Refusal {
  status: number;
  retryAfter: string | null;
}

/** The problem code a hosted error page shows, for support. */
const shownCode = (html: string | undefined) => /\b(service_unavailable|internal_error|[a-z]+_[a-z_]+)\b/.exec(html ?? '')?.[1];

/** A voucher's payment id (`jti`). */
const paymentId = (voucher: string) =>
  (JSON.parse(Buffer.from(decodeJws(voucher, ['caisse-voucher+jwt']).encodedPayload, 'base64url').toString()) as { jti: string }).jti;

/**
 * Pays with an access key through the hosted pages, as a shopper told "try again in a few
 * seconds" does: each step that answered 503 `service_unavailable` is sent again from the
 * same browser after the `Retry-After` it gave (quartered, to keep the test short). Returns
 * the payment id and every refusal met; any other answer fails, with what the page said.
 * `origin`: the payment server's public origin (its issuer), which its forms must come from.
 * `stopAfterRefusal`: give up at the first refusal (to see one), returning no id.
 */
export async function payPatiently(
  instanceUrl: string,
  ticket: string,
  accountId: string,
  origin: string,
  options: { stopAfterRefusal?: boolean } = {},
): Promise<{ id?: string; refusals: Refusal[] }> {
  const browser = new ScriptedBrowser(instanceUrl);
  const refusals: Refusal[] = [];
  /** Sends one step until it is not refused; undefined when told to stop at a refusal. */
  async function step(url: string, form: Record<string, string>) {
    for (let attempt = 0; attempt < 60; attempt++) {
      const answer = await browser.go(url, { form, origin });
      if (answer.page?.status !== 503) return answer;
      if (!answer.html?.includes('service_unavailable')) throw new Error(`503 without service_unavailable: ${shownCode(answer.html)}`);
      refusals.push({ status: 503, retryAfter: answer.page.headers.get('retry-after') });

      if (options.stopAfterRefusal) return undefined;
      await delay(Number(answer.page.headers.get('retry-after') ?? 1) * 250);
    }
    throw new Error(`still refused after 60 attempts: ${url}`);
  }
  const summary = await step('/pay', { ticket });
  if (summary === undefined) return { refusals };
  if (!summary.html?.includes('/identify')) throw new Error(`no checkout page (${summary.page?.status} ${shownCode(summary.html)})`);
  const paid = await step(ScriptedBrowser.action(summary.html, '/identify'), {
    csrf: ScriptedBrowser.csrf(summary.html),
    account: accountId,
    accessKey: ACCESS_KEY,
  });
  if (paid === undefined) return { refusals };
  const voucher = paid.leftTo?.searchParams.get('caisse_voucher');
  if (!voucher) throw new Error(`no voucher (${paid.page?.status} ${shownCode(paid.html)})`);
  return { id: paymentId(voucher), refusals };
}

/**
 * What every fault must leave behind: the ledger's invariants and the audit register
 * whole, each ticket paid at most once (and those the shoppers saw paid, exactly once,
 * under the payment id they were given), and every notification delivered to the merchant.
 */
export async function expectBooksWhole(world: AfterPaymentWorld, paid: ReadonlyMap<string, string>) {
  expect(await world.invariants()).toEqual({ ok: true, findings: [] });
  const audit = await verifyAudit(world.server.db);
  expect(audit.findings).toEqual([]);
  expect(audit.ok).toBe(true);
  const { rows: twice } = await world.server.db.query(
    'SELECT ticket_jti, count(*) AS n FROM payments GROUP BY ticket_jti HAVING count(*) > 1',
  );
  expect(twice).toEqual([]);
  const { rows } = await world.server.db.query<{ ticket_jti: string; id: string }>(
    `SELECT ticket_jti, 'pay_' || serial AS id FROM payments WHERE ticket_jti = ANY($1)`,
    [[...paid.keys()]],
  );
  expect(new Map(rows.map((row) => [row.ticket_jti, row.id]))).toEqual(paid);
  // A notification whose sends failed during the fault waits out its backoff (full jitter: up to 10, 20, 40, 80 s after
  // the 1st to 4th failure); a longer fault, on a busy machine, fails more of them more often.
  await vi.waitFor(async () => expect(await world.count(`SELECT count(*) AS n FROM notifications WHERE status <> 'delivered'`)).toBe(0), {
    timeout: 90_000,
    interval: 200,
  });
  const delivered = new Set(world.receiver.processed.map((event) => event.jti));
  const { rows: sent } = await world.server.db.query<{ id: string }>('SELECT id FROM notifications');
  expect(sent.filter((row) => !delivered.has(row.id))).toEqual([]);
}
