import { createHash } from 'node:crypto';
import type { TicketClaims } from '@caisse/protocol';
import { generateKey, signJws, type TicketReference } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { SHOP_ORIGIN } from '../__fixtures__/payment-server.js';
import { type ApiTestServer, startApiTestServer } from '../api/__fixtures__/api-server.js';
import type { ProblemCode } from '../http/problem.js';

/**
 * The ticket intake rows of the README over real HTTP: the hosted page (`POST /pay`,
 * `GET /pay`) sends a ticket of a registered merchant whose cancel URL is on a registered
 * origin back there with a signed refusal carrying the precise code (`detail.code`), and
 * shows any other the refusal reason with status 400, never redirecting it; the decoupled
 * merchant API (`POST /v1/payments`) answers the precise code as a problem with its
 * status. Both call `checkTicket`; `intake.test.ts` has every row.
 */
describe('ticket intake refusals over HTTP', () => {
  let shop: ApiTestServer;
  let serial = 0;

  beforeAll(async () => {
    shop = await startApiTestServer();
  });
  afterAll(async () => {
    await shop?.close();
  });

  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const claims = (): TicketClaims => shop.ticket(100, { serial: `intake-${++serial}` }).claims;
  const resigned = (changes: Record<string, unknown>) => shop.resign({ ...claims(), ...changes } as TicketClaims).token;
  const stranger = generateKey();

  /** The merchant's saved reference of a ticket, as `createTicket` would have given it. */
  const referenceOf = (token: string): TicketReference => {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as TicketClaims;
    const sha256 = createHash('sha256').update(token).digest('base64url');
    return { id: payload.jti, sha256, amount: payload.amount, currency: payload.currency, serial: payload.serial, state: payload.state };
  };

  /** `answered`: the merchant gets a signed refusal at its cancel URL, with the code. */
  const ROWS: [what: string, code: ProblemCode, status: number, reason: string, token: () => string, answered?: true][] = [
    // A merchant's 20 kB ticket was `merchant_unknown`: its `iss` was not read past 16 384 characters.
    ['a 20 kB ticket', 'token_too_large', 413, 'ticket_invalid', () => resigned({ padding: 'p'.repeat(20_000) })],
    ['text that is not a JWS', 'token_malformed', 400, 'ticket_invalid', () => 'not a token'],
    [
      'a token of another kind from an unknown party',
      'type_mismatch',
      400,
      'ticket_invalid',
      () => signJws('caisse-assertion+jwt', { ...claims(), iss: 'stranger' }, stranger.signingKey),
    ],
    [
      'a ticket from a merchant nobody registered',
      'merchant_unknown',
      400,
      'merchant_unknown',
      () => signJws('caisse-ticket+jwt', { ...claims(), iss: 'stranger' }, stranger.signingKey),
    ],
    [
      'a key the merchant did not register',
      'key_unknown',
      401,
      'ticket_invalid',
      () => signJws('caisse-ticket+jwt', claims(), stranger.signingKey),
      true,
    ],
    ['a forged signature', 'signature_invalid', 401, 'ticket_invalid', () => `${resigned({}).slice(0, -4)}AAAA`, true],
    ['amounts that do not add up', 'amount_mismatch', 400, 'ticket_invalid', () => resigned({ amount: 1 }), true],
    [
      'another payment server’s audience',
      'audience_mismatch',
      401,
      'ticket_invalid',
      () => resigned({ aud: 'https://other-pay.example' }),
      true,
    ],
    [
      'an unregistered return origin',
      'return_origin_unregistered',
      400,
      'ticket_invalid',
      () => resigned({ returnUrl: 'https://evil.example/paid' }),
      true,
    ],
    [
      'an unregistered return and cancel origin',
      'return_origin_unregistered',
      400,
      'ticket_invalid',
      () => resigned({ returnUrl: 'https://evil.example/paid', cancelUrl: 'https://evil.example/basket' }),
    ],
    [
      'a ticket dated in the future',
      'token_not_yet_valid',
      401,
      'ticket_invalid',
      () => resigned({ iat: nowSeconds() + 120, exp: nowSeconds() + 600 }),
      true,
    ],
  ];

  /** Where the browser was sent, and what the merchant's kit reads from the refusal it carries. */
  async function answeredRefusal(leftTo: URL | undefined, token: string) {
    expect(`${leftTo?.origin}${leftTo?.pathname}`).toBe(`${SHOP_ORIGIN}/basket`);
    return shop.merchant.verifyVoucher(leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: referenceOf(token) }).catch((e) => e);
  }

  /** The reason the refusal page gives for support. */
  const shownReason = (html: string | undefined) => /Reference for support: (?:<[^>]*>)*([a-z_]+)/.exec(html ?? '')?.[1];

  it.each(ROWS)('POST /pay refuses %s (%s, %i on the API): a signed refusal with the code, or a 400 page showing %s', async (...row) => {
    const [, code, , reason, token, answered] = row;
    const sent = token();
    const result = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: sent } });
    if (answered) {
      expect(await answeredRefusal(result.leftTo, sent)).toMatchObject({ code: 'payment_refused', reason, detail: { code } });
    } else {
      expect(result.leftTo).toBeUndefined();
      expect(result.page?.status).toBe(400);
      expect(shownReason(result.html)).toBe(reason);
    }
  });

  it.each(ROWS.filter(([, code]) => code !== 'token_too_large'))('GET /pay refuses %s alike', async (...row) => {
    const [, code, , reason, token, answered] = row;
    const sent = token();
    const result = await new ScriptedBrowser(shop.url).go(`/pay?ticket=${encodeURIComponent(sent)}`);
    if (answered) {
      expect(await answeredRefusal(result.leftTo, sent)).toMatchObject({ code: 'payment_refused', reason, detail: { code } });
    } else {
      expect(result.leftTo).toBeUndefined();
      expect(result.page?.status).toBe(400);
      expect(shownReason(result.html)).toBe(reason);
    }
  });

  it('GET /pay cannot carry a ticket over the limit: Node refuses the URL first, 431 with no page', async () => {
    const response = await fetch(`${shop.url}/pay?ticket=${resigned({ padding: 'p'.repeat(20_000) })}`);
    expect(response.status).toBe(431);
  });

  const payments = (ticket: string, as?: Awaited<ReturnType<ApiTestServer['addMerchant']>>) => {
    const body = JSON.stringify({ ticket, phone: '+33612345678' });
    return shop.call('/v1/payments', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'idempotency-key': `intake-${++serial}` },
      ...(as ? { as } : {}),
    });
  };

  it.each([
    ...ROWS,
    ['an expired ticket', 'ticket_expired', 410, 'ticket_expired', () => resigned({ iat: nowSeconds() - 600, exp: nowSeconds() - 60 })],
    [
      'a ticket asking for data only the hosted page collects',
      'requested_data_unavailable',
      422,
      '',
      () => resigned({ requested: ['email'] }),
    ],
  ] as typeof ROWS)('POST /v1/payments refuses %s as %s, %i', async (_what, code, status, _reason, token) => {
    const response = await payments(token());
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ code, status });
  });

  it('POST /v1/payments refuses a ticket of 40 000 characters as token_too_large, 413, like the hosted page', async () => {
    const response = await payments('a'.repeat(40_000));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'token_too_large' });
  });

  it('POST /v1/payments refuses another merchant’s ticket as ticket_invalid, 400', async () => {
    const response = await payments(resigned({}), await shop.addMerchant());
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'ticket_invalid' });
  });
});
