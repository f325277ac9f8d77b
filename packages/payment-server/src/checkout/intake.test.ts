import { createHash } from 'node:crypto';
import { LIMITS, PROTOCOL_VERSION, type RefusalReason, type TicketClaims, TOKEN_TYPES } from '@caisse/protocol';
import { createState, createTicket, decodeJws, generateKey, signJws, staticKeySet, type TicketInput } from '@caisse/server-kit';
import { describe, expect, it } from 'vitest';
import { forge as forgeWith, unsigned } from '../__fixtures__/forge.js';
import { PROBLEM_STATUS, type ProblemCode } from '../http/problem.js';
import { isOriginIn } from '../merchants/origins.js';
import { checkTicket, type MerchantDirectory, type RefusedFor, TICKET_CLOCK_TOLERANCE } from './intake.js';

const sha256 = (token: string) => createHash('sha256').update(token).digest('base64url');
/** A claim of a token's payload, read without verifying it, as the payment server reads `iss` before it can. */
function readClaim(token: string, name: 'iss' | 'jti'): string | undefined {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))[name];
  } catch {
    return undefined;
  }
}

const ISSUER = 'https://pay.caisse.test';
const NOW = new Date('2026-11-22T10:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const merchantKey = generateKey();
const strangerKey = generateKey();

/** One registered merchant, `bookshop`, as the merchant service would describe it. */
const merchants: MerchantDirectory = {
  ticketPolicy: async (merchantId) =>
    merchantId === 'bookshop'
      ? {
          keys: staticKeySet(merchantKey.jwks),
          isRegisteredOrigin: (url) => isOriginIn(['https://shop.example'], url),
          returnOrigins: ['https://shop.example'],
          status: 'active',
        }
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
  it('accepts a ticket signed with a registered key and keeps its exact bytes and their hash', async () => {
    const created = ticket();
    expect(await check(created.token)).toEqual({
      accepted: true,
      ticket: { claims: created.claims, sha256: created.sha256, token: created.token },
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

  it.each(REFUSALS)('tells %s to the merchant its iss names, when registered: %s', async (_what, code, _status, _reason, token) => {
    const sent = token();
    const outcome = await check(sent);
    if (outcome.accepted) throw new Error('accepted');
    const iss = typeof sent === 'string' ? readClaim(sent, 'iss') : undefined;
    if (iss === 'bookshop' && code !== 'token_too_large') expect(outcome.merchant?.id).toBe('bookshop');
    else expect(outcome).not.toHaveProperty('merchant');
    // Text for a merchant, never a token: not its payload, not its signature.
    if (typeof sent === 'string' && sent.split('.').length === 3) {
      for (const part of sent.split('.').slice(1)) if (part.length > 20) expect(outcome.detail).not.toContain(part.slice(0, 20));
    }
    expect([...outcome.detail].length).toBeLessThanOrEqual(1000);
    expect(outcome.detail).not.toMatch(/[\p{Cc}]/u);
  });

  it('says exactly which key: the kid is not registered for the merchant, and what to do', async () => {
    const sent = signed(claims(), strangerKey);
    const outcome = await check(sent);
    expect(outcome).toMatchObject({ accepted: false, reason: 'ticket_invalid', code: 'key_unknown' });
    if (outcome.accepted) return;
    expect(outcome.detail).toBe(
      `The key kid ${strangerKey.kid} is not registered for merchant bookshop, or was retired: have the payment operator register its public key (caisse-server merchants key add bookshop JWKS_FILE), or sign tickets with a key registered for bookshop.`,
    );
    // Unverified, but on the merchant's own cancel URL and answering these exact bytes; a
    // key registered later would make them acceptable, so they must be spent before any refusal.
    expect(outcome.merchant).toEqual({
      id: 'bookshop',
      ticketId: readClaim(sent, 'jti'),
      answerable: { claims: expect.objectContaining({ iss: 'bookshop', cancelUrl: 'https://shop.example/basket' }), sha256: sha256(sent) },
      final: false,
    });
    expect(outcome).not.toHaveProperty('ticket');
  });

  it('tells which origin is not registered and which are; answers at the cancel URL only when it is registered', async () => {
    const returnOff = await check(ticket({ returnUrl: 'https://evil.example/paid' }).token);
    expect(returnOff).toMatchObject({ code: 'return_origin_unregistered', merchant: { id: 'bookshop', final: false } });
    if (returnOff.accepted) return;
    expect(returnOff.detail).toContain('returnUrl is on the origin https://evil.example, which merchant bookshop has not registered');
    expect(returnOff.detail).toContain('(registered: https://shop.example)');
    expect(returnOff.merchant?.answerable?.claims.cancelUrl).toBe('https://shop.example/basket');

    const cancelOff = await check(ticket({ cancelUrl: 'https://evil.example/basket' }).token);
    expect(cancelOff).toMatchObject({ code: 'return_origin_unregistered', merchant: { id: 'bookshop' } });
    expect(cancelOff).not.toHaveProperty('merchant.answerable');
  });

  it('reads the notifyUrl of a refused ticket only when it is on a registered origin', async () => {
    const registered = await check(signed(ticket({ notifyUrl: 'https://shop.example/hook' }).claims, strangerKey));
    expect(registered).toMatchObject({ code: 'key_unknown', merchant: { notifyUrl: 'https://shop.example/hook' } });
    const elsewhere = await check(signed(ticket({ notifyUrl: 'https://evil.example/hook' }).claims, strangerKey));
    expect(elsewhere).toMatchObject({ code: 'key_unknown', merchant: { id: 'bookshop' } });
    expect(elsewhere).not.toHaveProperty('merchant.notifyUrl');
  });

  it('calls final only what these exact bytes can never undo: a bad signature, bad amounts, an expired ticket', async () => {
    const finalOf = async (token: string) => ((await check(token)) as { merchant?: RefusedFor }).merchant?.final;
    expect(await finalOf(forge(header(), claims(), strangerKey))).toBe(true);
    expect(await finalOf(signed({ ...claims(), amount: 1 }))).toBe(true);
    expect(await finalOf(signed({ ...claims(), iat: NOW_SECONDS - 600, exp: NOW_SECONDS - TICKET_CLOCK_TOLERANCE }))).toBe(true);
    // An unknown key that signed an expired ticket: no key registered later can make it acceptable.
    expect(await finalOf(signed({ ...claims(), iat: NOW_SECONDS - 600, exp: NOW_SECONDS - TICKET_CLOCK_TOLERANCE }, strangerKey))).toBe(
      true,
    );
    expect(await finalOf(signed(claims(), strangerKey))).toBe(false);
    expect(await finalOf(signed({ ...claims(), iat: NOW_SECONDS + TICKET_CLOCK_TOLERANCE + 1, exp: NOW_SECONDS + 600 }))).toBe(false);
  });

  it('never puts the token into the detail', async () => {
    const token = signed({ ...claims(), amount: 1 });
    const outcome = await check(token);
    expect(outcome).toMatchObject({ accepted: false });
    expect(JSON.stringify(outcome)).not.toContain(token.split('.')[2]);
  });
});
