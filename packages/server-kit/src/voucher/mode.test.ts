import { type ErrorCode, isCaisseError, type Mode, PROTOCOL_VERSION, TOKEN_TYPES } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { frozenReplayStore, ISSUER, MERCHANT_ID, NOW, NOW_SECONDS, parties } from '../__fixtures__/parties.js';
import { verifyNotification } from '../notification/verify.js';
import { type VerifyVoucherOptions, verifyVoucher } from './verify.js';

/**
 * Test mode (issue 16): a token signed by a payment server in test mode carries
 * `test: true`; a live merchant refuses it, and a merchant with a test key refuses any
 * token without it. Each case here passes the other checks, so only the mode refuses it.
 */
async function rejection(promise: Promise<unknown>): Promise<{ code: ErrorCode; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isCaisseError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a rejection');
}

const checkout = parties();
const options = (mode: Mode | undefined, overrides: Partial<VerifyVoucherOptions> = {}): VerifyVoucherOptions => ({
  issuer: ISSUER,
  audience: MERCHANT_ID,
  keys: checkout.serverKeys,
  replayStore: frozenReplayStore(),
  now: () => NOW,
  ticket: () => undefined,
  ...(mode === undefined ? {} : { mode }),
  ...overrides,
});

function refusal(test: boolean): { token: string; ticket: ReturnType<typeof checkout.ticket> } {
  const ticket = checkout.ticket();
  const claims = {
    ver: PROTOCOL_VERSION,
    iss: ISSUER,
    aud: MERCHANT_ID,
    jti: `f_${Math.random().toString(36).slice(2, 12)}`,
    iat: NOW_SECONDS,
    exp: NOW_SECONDS + 60,
    ticket: { jti: ticket.id, sha256: ticket.sha256 },
    serial: ticket.claims.serial,
    amount: ticket.claims.amount,
    currency: ticket.claims.currency,
    reason: 'customer_declined',
    state: ticket.claims.state,
    ...(test ? { test: true } : {}),
  };
  return { token: checkout.sign(TOKEN_TYPES.refusal, claims), ticket };
}

function notification(test: boolean): string {
  return checkout.sign(TOKEN_TYPES.notification, {
    ver: PROTOCOL_VERSION,
    iss: ISSUER,
    aud: MERCHANT_ID,
    jti: `n_${Math.random().toString(36).slice(2, 12)}`,
    iat: NOW_SECONDS,
    exp: NOW_SECONDS + 300,
    event: 'settlement.paid',
    settlement: { id: 'st_1', date: '2026-11-22', amount: 1590, currency: 'EUR' },
    ...(test ? { test: true } : {}),
  });
}

describe('a live merchant (the default)', () => {
  it('refuses a test voucher: token_test_mode, saying no money moved', async () => {
    const ticket = checkout.ticket();
    const token = checkout.voucher(ticket, { test: true });
    for (const mode of [undefined, 'live'] as const) {
      const error = await rejection(verifyVoucher(token, options(mode, { ticket: ticket.reference })));
      expect(error.code).toBe('token_test_mode');
      expect(error.message).toContain('test mode (test: true) and this merchant is live: no money moved, deliver nothing');
    }
  });

  it('refuses a test refusal and a test notification: token_test_mode', async () => {
    const { token, ticket } = refusal(true);
    expect((await rejection(verifyVoucher(token, options(undefined, { ticket: ticket.reference })))).code).toBe('token_test_mode');
    const event = notification(true);
    expect(await rejection(verifyNotification(event, options(undefined)))).toMatchObject({ code: 'token_test_mode' });
  });

  it('accepts what carries no marker, as before test mode', async () => {
    const ticket = checkout.ticket();
    await expect(verifyVoucher(checkout.voucher(ticket), options('live', { ticket: ticket.reference }))).resolves.toBeDefined();
    await expect(verifyNotification(notification(false), options(undefined))).resolves.toMatchObject({ event: 'settlement.paid' });
  });

  it('does not use up a token it refuses for its mode', async () => {
    const ticket = checkout.ticket();
    const token = checkout.voucher(ticket, { test: true });
    const replayStore = frozenReplayStore();
    expect((await rejection(verifyVoucher(token, options('live', { replayStore, ticket: ticket.reference })))).code).toBe(
      'token_test_mode',
    );
    await expect(verifyVoucher(token, options('test', { replayStore, ticket: ticket.reference }))).resolves.toMatchObject({ test: true });
  });
});

describe('a merchant in test mode', () => {
  it('refuses a live voucher, refusal and notification: token_test_mode, naming the way out', async () => {
    const ticket = checkout.ticket();
    const voucher = await rejection(verifyVoucher(checkout.voucher(ticket), options('test', { ticket: ticket.reference })));
    expect(voucher.code).toBe('token_test_mode');
    expect(voucher.message).toContain('comes from a live payment server and this merchant uses a test key');
    const { token, ticket: refused } = refusal(false);
    expect((await rejection(verifyVoucher(token, options('test', { ticket: refused.reference })))).code).toBe('token_test_mode');
    expect((await rejection(verifyNotification(notification(false), options('test')))).code).toBe('token_test_mode');
  });

  it('accepts test tokens', async () => {
    const ticket = checkout.ticket();
    await expect(
      verifyVoucher(checkout.voucher(ticket, { test: true }), options('test', { ticket: ticket.reference })),
    ).resolves.toMatchObject({
      test: true,
    });
    await expect(verifyNotification(notification(true), options('test'))).resolves.toMatchObject({ test: true });
  });

  it('takes only live or test as a mode', async () => {
    const ticket = checkout.ticket();
    await expect(verifyVoucher(checkout.voucher(ticket), options('sandbox' as Mode, { ticket: ticket.reference }))).rejects.toThrow(
      TypeError,
    );
  });
});
