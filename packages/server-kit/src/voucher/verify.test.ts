import { type ErrorCode, isCaisseError, TOKEN_TYPES } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { frozenReplayStore, ISSUER, MERCHANT_ID, NOW, NOW_SECONDS, parties } from '../__fixtures__/parties.js';
import { generateKey } from '../keys/generate.js';
import { staticKeySet } from '../keys/import.js';
import { PaymentRefusedError, type VerifyVoucherOptions, verifyVoucher } from './verify.js';

async function rejection(promise: Promise<unknown>): Promise<ErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (isCaisseError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe.each(['EdDSA', 'ES256'] as const)('verifyVoucher with a %s payment server key', (serverAlg) => {
  const checkout = parties({ serverAlg });
  const options = (overrides: Partial<VerifyVoucherOptions> = {}): VerifyVoucherOptions => ({
    issuer: ISSUER,
    audience: MERCHANT_ID,
    keys: checkout.serverKeys,
    replayStore: frozenReplayStore(),
    now: () => NOW,
    ticket: () => undefined,
    ...overrides,
  });

  it('returns the voucher for the exact ticket it answers', async () => {
    const ticket = checkout.ticket();
    const token = checkout.voucher(ticket);
    const voucher = await verifyVoucher(token, options({ ticket: ticket.reference, state: ticket.claims.state }));
    expect(voucher).toMatchObject({
      aud: MERCHANT_ID,
      iss: ISSUER,
      ticket: { jti: ticket.id, sha256: ticket.sha256 },
      amount: 1590,
      currency: 'EUR',
      status: 'authorised',
      state: ticket.claims.state,
    });
  });

  it('looks the ticket up by id when given a function', async () => {
    const ticket = checkout.ticket();
    const seen: string[] = [];
    const voucher = await verifyVoucher(
      checkout.voucher(ticket),
      options({
        ticket: async (id) => {
          seen.push(id);
          return ticket.reference;
        },
      }),
    );
    expect(seen).toEqual([ticket.id]);
    expect(voucher.serial).toBe('order-42');
  });

  it('accepts a voucher only once, also when presented concurrently', async () => {
    const ticket = checkout.ticket();
    const token = checkout.voucher(ticket);
    const shared = options({ ticket: ticket.reference });
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => verifyVoucher(token, shared)));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason.code).toBe('token_replayed');
    }
  });

  it.each([
    ['ticket hash', { sha256: 'B'.repeat(43) }],
    ['ticket id', { id: 't_other' }],
    ['amount', { amount: 1591 }],
    ['currency', { currency: 'USD' }],
    ['serial', { serial: 'order-43' }],
  ])('refuses a voucher whose %s differs from the ticket: ticket_mismatch', async (_field, change) => {
    const ticket = checkout.ticket();
    const code = await rejection(verifyVoucher(checkout.voucher(ticket), options({ ticket: { ...ticket.reference, ...change } })));
    expect(code).toBe('ticket_mismatch');
  });

  it('refuses a voucher whose amount was changed by its signer for the same ticket: ticket_mismatch', async () => {
    const ticket = checkout.ticket();
    const code = await rejection(verifyVoucher(checkout.voucher(ticket, { amount: 1 }), options({ ticket: ticket.reference })));
    expect(code).toBe('ticket_mismatch');
  });

  it('refuses a voucher when no ticket is waiting for it: ticket_mismatch', async () => {
    const ticket = checkout.ticket();
    expect(await rejection(verifyVoucher(checkout.voucher(ticket), options()))).toBe('ticket_mismatch');
  });

  it('refuses a voucher returned by another browser session: state_mismatch', async () => {
    const ticket = checkout.ticket();
    const code = await rejection(verifyVoucher(checkout.voucher(ticket), options({ ticket: ticket.reference, state: 'x'.repeat(43) })));
    expect(code).toBe('state_mismatch');
  });

  it('refuses a voucher whose state differs from the ticket: state_mismatch', async () => {
    const ticket = checkout.ticket();
    const code = await rejection(verifyVoucher(checkout.voucher(ticket, { state: 'y'.repeat(43) }), options({ ticket: ticket.reference })));
    expect(code).toBe('state_mismatch');
  });

  it('refuses another merchant’s voucher: audience_mismatch', async () => {
    const ticket = checkout.ticket();
    const code = await rejection(verifyVoucher(checkout.voucher(ticket, { aud: 'newsstand' }), options({ ticket: ticket.reference })));
    expect(code).toBe('audience_mismatch');
  });

  it('refuses a voucher from another issuer: issuer_mismatch', async () => {
    const ticket = checkout.ticket();
    const code = await rejection(
      verifyVoucher(checkout.voucher(ticket, { iss: 'https://evil.example' }), options({ ticket: ticket.reference })),
    );
    expect(code).toBe('issuer_mismatch');
  });

  it('accepts a voucher within the clock tolerance and refuses it 1 s beyond: token_expired', async () => {
    const ticket = checkout.ticket();
    const exp = NOW_SECONDS - 5;
    const atEdge = checkout.voucher(ticket, { iat: exp - 60, exp: exp + 1 });
    await expect(verifyVoucher(atEdge, options({ ticket: ticket.reference }))).resolves.toBeDefined();
    const beyond = checkout.voucher(ticket, { iat: exp - 60, exp });
    expect(await rejection(verifyVoucher(beyond, options({ ticket: ticket.reference })))).toBe('token_expired');
  });

  it('refuses a voucher issued in the future beyond the tolerance: token_not_yet_valid', async () => {
    const ticket = checkout.ticket();
    const token = checkout.voucher(ticket, { iat: NOW_SECONDS + 6, exp: NOW_SECONDS + 60 });
    expect(await rejection(verifyVoucher(token, options({ ticket: ticket.reference })))).toBe('token_not_yet_valid');
  });

  it('refuses a voucher signed by a key outside the payment server key set: key_unknown', async () => {
    const ticket = checkout.ticket();
    const stranger = generateKey({ alg: serverAlg });
    const token = checkout.sign(TOKEN_TYPES.voucher, checkout.voucherClaims(ticket), stranger.signingKey);
    expect(await rejection(verifyVoucher(token, options({ ticket: ticket.reference })))).toBe('key_unknown');
  });

  it('refuses a voucher signed by an attacker key that reuses the server kid: signature_invalid', async () => {
    const ticket = checkout.ticket();
    const attacker = generateKey({ alg: serverAlg, kid: checkout.server.kid });
    const token = checkout.sign(TOKEN_TYPES.voucher, checkout.voucherClaims(ticket), attacker.signingKey);
    expect(await rejection(verifyVoucher(token, options({ ticket: ticket.reference })))).toBe('signature_invalid');
  });

  it('refuses a voucher with a changed payload byte: signature_invalid, before any claim is read', async () => {
    const ticket = checkout.ticket();
    const [header, payload, signature] = checkout.voucher(ticket).split('.') as [string, string, string];
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString());
    forged.amount = 1;
    forged.aud = 'someone-else';
    const token = `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
    expect(await rejection(verifyVoucher(token, options({ ticket: ticket.reference })))).toBe('signature_invalid');
  });

  it('refuses a signed voucher with invalid claims: claims_invalid with the path', async () => {
    const ticket = checkout.ticket();
    const token = checkout.sign(TOKEN_TYPES.voucher, { ...checkout.voucherClaims(ticket), amount: 12.5 });
    const error = await verifyVoucher(token, options({ ticket: ticket.reference })).catch((e) => e);
    expect(error.code).toBe('claims_invalid');
    expect(error.issues[0].path).toBe('amount');
  });

  it('refuses a signed voucher from a future protocol version: version_unsupported', async () => {
    const ticket = checkout.ticket();
    const token = checkout.sign(TOKEN_TYPES.voucher, { ...checkout.voucherClaims(ticket), ver: 2 });
    expect(await rejection(verifyVoucher(token, options({ ticket: ticket.reference })))).toBe('version_unsupported');
  });

  it('refuses a ticket presented as a voucher: type_mismatch', async () => {
    const ticket = checkout.ticket();
    expect(await rejection(verifyVoucher(ticket.token, options({ ticket: ticket.reference })))).toBe('type_mismatch');
  });

  it('turns a refusal into PaymentRefusedError with its reason, once', async () => {
    const ticket = checkout.ticket();
    const token = checkout.refusal(ticket, 'insufficient_funds');
    const shared = options({ ticket: ticket.reference });
    const error = await verifyVoucher(token, shared).catch((e) => e);
    expect(error).toBeInstanceOf(PaymentRefusedError);
    expect(error.code).toBe('payment_refused');
    expect(error.reason).toBe('insufficient_funds');
    expect(error.detail).toBeUndefined();
    expect(await rejection(verifyVoucher(token, shared))).toBe('token_replayed');
  });

  it('gives a ticket refused at intake its detail: the precise code and what to do', async () => {
    const ticket = checkout.ticket();
    const detail = { code: 'key_unknown', message: 'The key kid k-2 is not registered for merchant shop-1.' };
    const error = await verifyVoucher(checkout.refusal(ticket, 'ticket_invalid', detail), options({ ticket: ticket.reference })).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(PaymentRefusedError);
    expect(error).toMatchObject({ reason: 'ticket_invalid', detail, refusal: { detail } });
  });

  it('refuses a malformed clock tolerance instead of treating it as zero', async () => {
    const ticket = checkout.ticket();
    await expect(
      verifyVoucher(checkout.voucher(ticket), options({ ticket: ticket.reference, clockTolerance: Number.NaN })),
    ).rejects.toThrow(TypeError);
  });

  it('does not consume the voucher when a check fails, so the right ticket can still be matched', async () => {
    const ticket = checkout.ticket();
    const token = checkout.voucher(ticket);
    const replayStore = frozenReplayStore();
    expect(await rejection(verifyVoucher(token, options({ replayStore, ticket: { ...ticket.reference, amount: 1 } })))).toBe(
      'ticket_mismatch',
    );
    await expect(verifyVoucher(token, options({ replayStore, ticket: ticket.reference }))).resolves.toBeDefined();
  });
});

describe('verifyVoucher keys', () => {
  it('refuses a key set whose key types do not fit the token algorithm: algorithm_not_allowed', async () => {
    const edCheckout = parties({ serverAlg: 'EdDSA' });
    const ecServer = generateKey({ alg: 'ES256', kid: edCheckout.server.kid });
    const ticket = edCheckout.ticket();
    const code = await rejection(
      verifyVoucher(edCheckout.voucher(ticket), {
        issuer: ISSUER,
        audience: MERCHANT_ID,
        keys: staticKeySet(ecServer.jwks),
        replayStore: frozenReplayStore(),
        now: () => NOW,
        ticket: ticket.reference,
      }),
    );
    expect(code).toBe('algorithm_not_allowed');
  });
});
