import { type NotificationClaims, PROTOCOL_VERSION, TOKEN_TYPES } from '@caisse/protocol';
import { describe, expect, it } from 'vitest';
import { frozenReplayStore, ISSUER, MERCHANT_ID, NOW, NOW_SECONDS, parties } from '../__fixtures__/parties.js';
import { notificationReplayKey, type VerifyNotificationOptions, verifyNotification } from './verify.js';

const checkout = parties();
const ticket = checkout.ticket();

function notification(overrides: Partial<NotificationClaims> = {}): NotificationClaims {
  return {
    ver: PROTOCOL_VERSION,
    iss: ISSUER,
    aud: MERCHANT_ID,
    jti: 'evt_1',
    iat: NOW_SECONDS,
    exp: NOW_SECONDS + 600,
    event: 'payment.authorised',
    payment: {
      id: 'r_1',
      ticket: { jti: ticket.id, sha256: ticket.sha256 },
      serial: 'order-42',
      amount: 1590,
      currency: 'EUR',
      status: 'authorised',
      funding: 'wallet',
    },
    ...overrides,
  } as NotificationClaims;
}

const options = (overrides: Partial<VerifyNotificationOptions> = {}): VerifyNotificationOptions => ({
  issuer: ISSUER,
  audience: MERCHANT_ID,
  keys: checkout.serverKeys,
  replayStore: frozenReplayStore(),
  now: () => NOW,
  ...overrides,
});

describe('verifyNotification', () => {
  it('returns the event of a fresh, signed notification', async () => {
    const event = await verifyNotification(checkout.sign(TOKEN_TYPES.notification, notification()), options());
    expect(event).toMatchObject({ event: 'payment.authorised', payment: { amount: 1590, status: 'authorised' } });
  });

  it('drops a redelivery of the same event, even re-signed later: token_replayed', async () => {
    const shared = options();
    await verifyNotification(checkout.sign(TOKEN_TYPES.notification, notification()), shared);
    const resent = checkout.sign(TOKEN_TYPES.notification, notification({ iat: NOW_SECONDS + 1 }));
    await expect(verifyNotification(resent, shared)).rejects.toMatchObject({ code: 'token_replayed' });
  });

  it('processes a redelivery again once the claim was released after a failure', async () => {
    const shared = options();
    const event = await verifyNotification(checkout.sign(TOKEN_TYPES.notification, notification()), shared);
    await shared.replayStore.release(notificationReplayKey(event));
    await expect(verifyNotification(checkout.sign(TOKEN_TYPES.notification, notification()), shared)).resolves.toMatchObject({
      jti: 'evt_1',
    });
  });

  it('accepts iat up to 5 minutes off either way and refuses beyond', async () => {
    await expect(
      verifyNotification(checkout.sign(TOKEN_TYPES.notification, notification({ iat: NOW_SECONDS - 300 })), options()),
    ).resolves.toBeDefined();
    await expect(
      verifyNotification(checkout.sign(TOKEN_TYPES.notification, notification({ iat: NOW_SECONDS + 300 })), options()),
    ).resolves.toBeDefined();
    await expect(
      verifyNotification(checkout.sign(TOKEN_TYPES.notification, notification({ iat: NOW_SECONDS - 301 })), options()),
    ).rejects.toMatchObject({
      code: 'token_expired',
    });
    await expect(
      verifyNotification(checkout.sign(TOKEN_TYPES.notification, notification({ iat: NOW_SECONDS + 301 })), options()),
    ).rejects.toMatchObject({
      code: 'token_not_yet_valid',
    });
  });

  it('refuses a voucher presented as a notification: type_mismatch', async () => {
    await expect(verifyNotification(checkout.voucher(ticket), options())).rejects.toMatchObject({ code: 'type_mismatch' });
  });

  it('refuses a notification for another merchant: audience_mismatch', async () => {
    await expect(
      verifyNotification(checkout.sign(TOKEN_TYPES.notification, notification({ aud: 'newsstand' })), options()),
    ).rejects.toMatchObject({
      code: 'audience_mismatch',
    });
  });

  it('refuses an unknown event: claims_invalid', async () => {
    const token = checkout.sign(TOKEN_TYPES.notification, { ...notification(), event: 'payment.stolen' });
    await expect(verifyNotification(token, options())).rejects.toMatchObject({ code: 'claims_invalid' });
  });
});
