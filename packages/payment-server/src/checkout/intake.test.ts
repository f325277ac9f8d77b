import { LIMITS, PROTOCOL_VERSION, type RefusalReason, type TicketClaims, TOKEN_TYPES } from '@caisse/protocol';
import { createState, createTicket, decodeJws, generateKey, signJws, staticKeySet, type TicketInput } from '@caisse/server-kit';
import { describe, expect, it } from 'vitest';
import { forge as forgeWith, unsigned } from '../__fixtures__/forge.js';
import { PROBLEM_STATUS, type ProblemCode } from '../http/problem.js';
import { isOriginIn } from '../merchants/origins.js';
import { checkTicket, type MerchantDirectory, TICKET_CLOCK_TOLERANCE } from './intake.js';

const ISSUER = 'https://pay.caisse.test';
const NOW = new Date('2026-11-22T10:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const merchantKey = generateKey();
const strangerKey = generateKey();

/** One registered merchant, `bookshop`, as the merchant service would describe it. */
const merchants: MerchantDirectory = {
  ticketPolicy: async (merchantId) =>
    merchantId === 'bookshop'
      ? { keys: staticKeySet(merchantKey.jwks), isRegisteredOrigin: (url) => isOriginIn(['https://shop.example'], url) }
      : undefined,
};

function ticket(input: Partial<TicketInput> = {}, options: { audience?: string; now?: Date } = {}) {
  return createTicket(
    {
      serial: 'order-42',
      currency: 'EUR',
      items: [{ id: 'b1', label: 'Le Petit Prince', quantity: 1, unitAmount: 1290, vatRate: 550 }],
      returnUrl: 'https://shop.example/paid',
      cancelUrl: 'https://shop.example/basket',
      state: createState(),
      ...input,
    },
    {
      merchantId: 'bookshop',
      paymentServer: options.audience ?? ISSUER,
      payEndpoint: `${ISSUER}/pay`,
      signingKey: merchantKey.signingKey,
      now: () => options.now ?? NOW,
    },
  );
}

const claims = (): TicketClaims => ticket().claims;
/** Claims the kit would refuse to sign (bad sums, odd dates), signed as they are with the merchant's key. */
const signed = (payload: object, key = merchantKey) => signJws(TOKEN_TYPES.ticket, payload, key.signingKey);

/** For headers the kit never writes; signed with the merchant's key unless `key` says otherwise. */
const forge = (header: object | string, payload: object | string | Uint8Array, key = merchantKey) =>
  forgeWith(header, payload, key.signingKey);
const header = (extra: Record<string, unknown> = {}) => ({ alg: 'EdDSA', typ: TOKEN_TYPES.ticket, kid: merchantKey.kid, ...extra });

/** A signed ticket padded, by an ignored header member and a claim, to exactly `length` characters. */
function ticketOfLength(length: number): string {
  // Base64url grows by 4 characters per 3 bytes: some lengths need the header to shift by a character or two.
  for (let shift = 0; shift < 3; shift++) {
    const base = forge(header({ shift: 'x'.repeat(shift) }), { ...claims(), padding: '' }).length;
    const padding = 'p'.repeat(Math.floor(((length - base) * 3) / 4));
    const token = forge(header({ shift: 'x'.repeat(shift) }), { ...claims(), padding });
    if (token.length === length) return token;
  }
  throw new Error(`no padding gives a token of ${length} characters`);
}

const check = (token: unknown) => checkTicket(token, { merchants, issuer: ISSUER, now: () => NOW });

/**
 * Every way intake refuses a ticket, one row each, as the ticket intake table in the
 * README's "Errors" lists them: the code (the problem of `POST /v1/payments`, the log
 * line of `/pay`), its HTTP status, the refusal reason the hosted page shows, and whether
 * the ticket is trusted enough to be answered at its cancel URL.
 */
const REFUSALS: [
  what: string,
  code: ProblemCode,
  status: number,
  reason: RefusalReason,
  token: () => unknown,
  answeredAtCancelUrl?: true,
][] = [
  ['no ticket', 'request_invalid', 400, 'ticket_invalid', () => undefined],
  ['an empty ticket', 'request_invalid', 400, 'ticket_invalid', () => ''],
  ['a ticket field that is not text', 'request_invalid', 400, 'ticket_invalid', () => ['a.b.c']],
  [
    'a 20 kB ticket signed by a registered merchant',
    'token_too_large',
    413,
    'ticket_invalid',
    () => signed({ ...claims(), padding: 'p'.repeat(20_000) }),
  ],
  ['a ticket one character over the limit', 'token_too_large', 413, 'ticket_invalid', () => ticketOfLength(LIMITS.tokenLength + 1)],
  ['20 kB of anything', 'token_too_large', 413, 'ticket_invalid', () => 'a'.repeat(20_000)],
  ['text that is not a JWS', 'token_malformed', 400, 'ticket_invalid', () => 'not a token'],
  ['two parts', 'token_malformed', 400, 'ticket_invalid', () => ticket().token.split('.').slice(0, 2).join('.')],
  ['four parts', 'token_malformed', 400, 'ticket_invalid', () => `${ticket().token}.AAAA`],
  ['base64 padding', 'token_malformed', 400, 'ticket_invalid', () => ticket().token.replace('.', '==.')],
  ['a header that is not JSON', 'token_malformed', 400, 'ticket_invalid', () => forge('not json', claims())],
  ['a header that is an array', 'token_malformed', 400, 'ticket_invalid', () => forge('["EdDSA"]', claims())],
  [
    'a header repeating a member',
    'duplicate_member',
    400,
    'ticket_invalid',
    () => forge(`{"alg":"EdDSA","typ":"${TOKEN_TYPES.ticket}","typ":"${TOKEN_TYPES.ticket}","kid":"${merchantKey.kid}"}`, claims()),
  ],
  ['alg none, unsigned', 'algorithm_not_allowed', 400, 'ticket_invalid', () => unsigned(header({ alg: 'none' }), claims())],
  ['alg HS256', 'algorithm_not_allowed', 400, 'ticket_invalid', () => forge(header({ alg: 'HS256' }), claims())],
  ['a key in the header', 'header_key_refused', 400, 'ticket_invalid', () => forge(header({ jwk: merchantKey.publicJwk }), claims())],
  [
    'a key URL in the header',
    'header_key_refused',
    400,
    'ticket_invalid',
    () => forge(header({ jku: 'https://evil.example/jwks.json' }), claims()),
  ],
  ['a crit header', 'header_unsupported', 400, 'ticket_invalid', () => forge(header({ crit: ['exp'] }), claims())],
  [
    'a voucher posted as a ticket',
    'type_mismatch',
    400,
    'ticket_invalid',
    () => signJws(TOKEN_TYPES.voucher, claims(), merchantKey.signingKey),
  ],
  [
    'an assertion from an unknown party posted as a ticket',
    'type_mismatch',
    400,
    'ticket_invalid',
    () => signJws(TOKEN_TYPES.assertion, { ...claims(), iss: 'stranger' }, strangerKey.signingKey),
  ],
  ['no typ', 'type_mismatch', 400, 'ticket_invalid', () => forge(header({ typ: undefined }), claims())],
  ['a kid that cannot be a kid', 'token_malformed', 400, 'ticket_invalid', () => forge(header({ kid: '../../keys' }), claims())],
  [
    'a merchant nobody registered',
    'merchant_unknown',
    400,
    'merchant_unknown',
    () => signed({ ...claims(), iss: 'stranger' }, strangerKey),
  ],
  ['a payload without iss', 'merchant_unknown', 400, 'merchant_unknown', () => signed({ ...claims(), iss: undefined })],
  ['a payload that is not JSON, so names no merchant', 'merchant_unknown', 400, 'merchant_unknown', () => forge(header(), 'not json')],
  ['a kid the merchant did not register', 'key_unknown', 401, 'ticket_invalid', () => signed(claims(), strangerKey)],
  ['ES256 said for an Ed25519 key', 'algorithm_not_allowed', 400, 'ticket_invalid', () => forge(header({ alg: 'ES256' }), claims())],
  [
    'a signature by another key under the merchant’s kid',
    'signature_invalid',
    401,
    'ticket_invalid',
    () => forge(header(), claims(), strangerKey),
  ],
  [
    'a payload changed after signing',
    'signature_invalid',
    401,
    'ticket_invalid',
    () => `${signed({ ...claims(), amount: 1 }).replace(/\.[^.]*$/, '')}.${signed(claims()).split('.')[2]}`,
  ],
  [
    'a signed payload that is not UTF-8',
    'token_malformed',
    400,
    'ticket_invalid',
    () => forge(header(), Buffer.concat([Buffer.from(JSON.stringify(claims()).slice(0, -1)), Buffer.from(',"x":"\xff"}', 'latin1')])),
  ],
  [
    'a signed payload repeating a member',
    'duplicate_member',
    400,
    'ticket_invalid',
    () => forge(header(), `${JSON.stringify(claims()).slice(0, -1)},"amount":1290}`),
  ],
  [
    'a protocol version this server does not read',
    'version_unsupported',
    400,
    'ticket_invalid',
    () => signed({ ...claims(), ver: PROTOCOL_VERSION + 1 }),
  ],
  ['an unknown claim', 'claims_invalid', 400, 'ticket_invalid', () => signed({ ...claims(), discount: 100 })],
  ['a missing jti', 'claims_invalid', 400, 'ticket_invalid', () => signed({ ...claims(), jti: undefined })],
  ['an amount that is not the sum of the items', 'amount_mismatch', 400, 'ticket_invalid', () => signed({ ...claims(), amount: 1 })],
  ['a VAT that is not the sum of the items’ VAT', 'vat_mismatch', 400, 'ticket_invalid', () => signed({ ...claims(), vat: 0 })],
  [
    'items adding up to more than the largest amount',
    'amount_invalid',
    400,
    'ticket_invalid',
    () =>
      signed({
        ...claims(),
        items: ['a', 'b'].map((id) => ({ id, label: 'A yacht', quantity: 1, unitAmount: 600_000_000_000, vatRate: 0 })),
        amount: LIMITS.amount,
        vat: 0,
      }),
  ],
  [
    'a currency that is not ISO 4217, named in the issues',
    'claims_invalid',
    400,
    'ticket_invalid',
    () => signed({ ...claims(), currency: 'ZZZ' }),
  ],
  [
    'another payment server’s audience',
    'audience_mismatch',
    401,
    'ticket_invalid',
    () => ticket({}, { audience: 'https://other-pay.example' }).token,
  ],
  [
    'a returnUrl outside the registered origins',
    'return_origin_unregistered',
    400,
    'ticket_invalid',
    () => ticket({ returnUrl: 'https://evil.example/paid' }).token,
  ],
  [
    'a cancelUrl on a look-alike host',
    'return_origin_unregistered',
    400,
    'ticket_invalid',
    () => ticket({ cancelUrl: 'https://shop.example.evil.example/' }).token,
  ],
  [
    'a returnUrl on another port',
    'return_origin_unregistered',
    400,
    'ticket_invalid',
    () => ticket({ returnUrl: 'https://shop.example:8443/paid' }).token,
  ],
  [
    'a notifyUrl outside the registered origins',
    'return_origin_unregistered',
    400,
    'ticket_invalid',
    () => ticket({ notifyUrl: 'https://evil.example/hook' }).token,
  ],
  [
    'an expired ticket returning to an unregistered origin',
    'return_origin_unregistered',
    400,
    'ticket_invalid',
    () => ticket({ returnUrl: 'https://evil.example/paid', lifetime: 60 }, { now: new Date(NOW.getTime() - 3_600_000) }).token,
  ],
  [
    'a ticket issued beyond the clock tolerance in the future',
    'token_not_yet_valid',
    401,
    'ticket_invalid',
    () => signed({ ...claims(), iat: NOW_SECONDS + TICKET_CLOCK_TOLERANCE + 1, exp: NOW_SECONDS + 600 }),
  ],
  [
    'a ticket expired by the clock tolerance',
    'ticket_expired',
    410,
    'ticket_expired',
    () => signed({ ...claims(), iat: NOW_SECONDS - 600, exp: NOW_SECONDS - TICKET_CLOCK_TOLERANCE }),
    true,
  ],
];

describe('checkTicket', () => {
  it('accepts a ticket signed with a registered key and keeps the hash of its exact bytes', async () => {
    const created = ticket();
    expect(await check(created.token)).toEqual({
      accepted: true,
      ticket: { claims: created.claims, sha256: created.sha256 },
      kid: decodeJws(created.token, [TOKEN_TYPES.ticket]).kid,
    });
  });

  it.each(REFUSALS)('refuses %s: %s, %i, reason %s', async (_what, code, status, reason, token, answeredAtCancelUrl) => {
    const outcome = await check(token());
    expect(outcome).toMatchObject({ accepted: false, code, reason, detail: expect.any(String) });
    expect(PROBLEM_STATUS[code]).toBe(status);
    // Only a signed ticket whose URLs are registered may send the customer anywhere.
    if (answeredAtCancelUrl) expect(outcome).toHaveProperty('ticket.claims.cancelUrl', 'https://shop.example/basket');
    else expect(outcome).not.toHaveProperty('ticket');
  });

  it('reads a ticket of exactly 16 384 characters: refused for its extra claim, not its size', async () => {
    expect(await check(ticketOfLength(LIMITS.tokenLength))).toMatchObject({ accepted: false, code: 'claims_invalid' });
  });

  it('accepts a ticket up to the clock tolerance early or late (a second more is refused above)', async () => {
    const early = signed({ ...claims(), iat: NOW_SECONDS + TICKET_CLOCK_TOLERANCE, exp: NOW_SECONDS + 600 });
    expect(await check(early)).toMatchObject({ accepted: true });
    const late = signed({ ...claims(), iat: NOW_SECONDS - 600, exp: NOW_SECONDS - TICKET_CLOCK_TOLERANCE + 1 });
    expect(await check(late)).toMatchObject({ accepted: true });
  });

  it('never puts the token into the detail', async () => {
    const token = signed({ ...claims(), amount: 1 });
    const outcome = await check(token);
    expect(outcome).toMatchObject({ accepted: false });
    expect(JSON.stringify(outcome)).not.toContain(token.split('.')[2]);
  });
});
