import { PROTOCOL_VERSION, type QuoteRequestClaims, TOKEN_TYPES } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { outcome } from '../__fixtures__/outcome.js';
import { ISSUER, MERCHANT_ID, NOW, NOW_SECONDS, parties } from '../__fixtures__/parties.js';
import { createSignature } from '../jws/signature.js';
import { generateKey } from '../keys/generate.js';
import { createMerchant } from '../merchant.js';
import { createState } from '../state.js';
import { type VerifyQuoteRequestOptions, verifyQuoteRequest } from './verify-request.js';

const checkout = parties();

function claims(overrides: Partial<QuoteRequestClaims> = {}): QuoteRequestClaims {
  return {
    ver: PROTOCOL_VERSION,
    iss: ISSUER,
    aud: MERCHANT_ID,
    jti: 'q_1',
    iat: NOW_SECONDS,
    exp: NOW_SECONDS + 60,
    item: 'article-42',
    quantity: 2,
    ...overrides,
  };
}

const request = (overrides: Partial<QuoteRequestClaims> = {}) => checkout.sign(TOKEN_TYPES.quote, claims(overrides));

const options = (overrides: Partial<VerifyQuoteRequestOptions> = {}): VerifyQuoteRequestOptions => ({
  issuer: ISSUER,
  audience: MERCHANT_ID,
  keys: checkout.serverKeys,
  now: () => NOW,
  ...overrides,
});

const verdict = (token: string, overrides?: Partial<VerifyQuoteRequestOptions>) => outcome(verifyQuoteRequest(token, options(overrides)));

describe('verifyQuoteRequest', () => {
  it('returns the claims of a fresh request signed by the payment server', async () => {
    const state = createState();
    await expect(verifyQuoteRequest(request({ state, locale: 'fr' }), options())).resolves.toEqual(claims({ state, locale: 'fr' }));
  });

  it('accepts the same request twice: a replay only makes the merchant quote again', async () => {
    const token = request();
    expect(await verdict(token)).toBe('accepted');
    expect(await verdict(token)).toBe('accepted');
  });

  it('refuses a ticket, or a voucher, presented as a quote request: type_mismatch', async () => {
    expect(await verdict(checkout.ticket().token)).toBe('type_mismatch');
    expect(await verdict(checkout.sign(TOKEN_TYPES.voucher, claims()))).toBe('type_mismatch');
  });

  it('refuses a request signed with another key than the payment server’s', async () => {
    // Another key that claims the payment server's kid: the signature does not verify.
    const impostor = generateKey({ kid: checkout.server.kid });
    expect(await verdict(checkout.sign(TOKEN_TYPES.quote, claims(), impostor.signingKey))).toBe('signature_invalid');
    // The merchant's own key is not trusted to ask for quotes.
    expect(await verdict(checkout.sign(TOKEN_TYPES.quote, claims(), checkout.merchant.signingKey))).toBe('key_unknown');
  });

  it('refuses a request for another merchant: audience_mismatch', async () => {
    expect(await verdict(request({ aud: 'newsstand' }))).toBe('audience_mismatch');
  });

  it('refuses a request from another issuer: issuer_mismatch', async () => {
    expect(await verdict(request({ iss: 'https://other-pay.example' }))).toBe('issuer_mismatch');
  });

  it('refuses an expired request, past the clock tolerance: token_expired', async () => {
    const old = request({ iat: NOW_SECONDS - 70, exp: NOW_SECONDS - 10 });
    expect(await verdict(old)).toBe('token_expired');
    expect(await verdict(old, { clockTolerance: 11 })).toBe('accepted');
  });

  it('refuses a request dated in the future: token_not_yet_valid', async () => {
    expect(await verdict(request({ iat: NOW_SECONDS + 30, exp: NOW_SECONDS + 90 }))).toBe('token_not_yet_valid');
  });

  it('refuses a request that lives more than 60 s: claims_invalid', async () => {
    expect(await verdict(request({ exp: NOW_SECONDS + 61 }))).toBe('claims_invalid');
  });

  it('refuses a request of the other mode: token_test_mode', async () => {
    expect(await verdict(request({ test: true }))).toBe('token_test_mode');
    expect(await verdict(request(), { mode: 'test' })).toBe('token_test_mode');
    expect(await verdict(request({ test: true }), { mode: 'test' })).toBe('accepted');
  });

  it('refuses a payload with a duplicate member, even validly signed: duplicate_member', async () => {
    // The parser would keep the last `aud`; the token must not mean two things.
    const payload = JSON.stringify(claims()).replace('"aud":"bookshop"', '"aud":"newsstand","aud":"bookshop"');
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: TOKEN_TYPES.quote, kid: checkout.server.kid })).toString('base64url');
    const signingInput = `${header}.${Buffer.from(payload).toString('base64url')}`;
    const token = `${signingInput}.${createSignature('EdDSA', checkout.server.signingKey.key, signingInput).toString('base64url')}`;
    expect(await verdict(token)).toBe('duplicate_member');
  });

  it('refuses unknown claims and a bad item: claims_invalid', async () => {
    expect(await verdict(checkout.sign(TOKEN_TYPES.quote, { ...claims(), amount: 1 }))).toBe('claims_invalid');
    expect(await verdict(request({ item: '../etc' }))).toBe('claims_invalid');
    expect(await verdict(request({ quantity: 0 }))).toBe('claims_invalid');
  });
});

describe('merchant.verifyQuoteRequest', () => {
  it('verifies for the merchant’s id and mode', async () => {
    const paymentServer = { issuer: ISSUER, payEndpoint: `${ISSUER}/pay`, keys: checkout.serverKeys };
    const merchant = createMerchant({ merchantId: MERCHANT_ID, signingKey: checkout.merchant.signingKey, paymentServer, now: () => NOW });
    await expect(merchant.verifyQuoteRequest(request())).resolves.toMatchObject({ jti: 'q_1', item: 'article-42', quantity: 2 });
    expect(await outcome(merchant.verifyQuoteRequest(request({ aud: 'newsstand' })))).toBe('audience_mismatch');
    const testMerchant = createMerchant({
      merchantId: MERCHANT_ID,
      signingKey: generateKey({ test: true }).signingKey,
      paymentServer,
      now: () => NOW,
    });
    expect(await outcome(testMerchant.verifyQuoteRequest(request()))).toBe('token_test_mode');
  });
});
