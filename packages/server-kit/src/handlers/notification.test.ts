import { CaisseError, LIMITS, type NotificationClaims, PROTOCOL_VERSION, TOKEN_TYPES } from '@caisse/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ISSUER, MERCHANT_ID, NOW, NOW_SECONDS, parties } from '../__fixtures__/parties.js';
import { generateKey } from '../keys/generate.js';
import { createMerchant, type Merchant } from '../merchant.js';
import { toNodeHandler } from '../node.js';
import type { Notification } from '../notification/verify.js';
import { memoryReplayStore } from '../replay/memory.js';
import type { ReplayStore } from '../replay/store.js';
import { type Listening, listen } from './__fixtures__/listen.js';
import { createNotificationHandler, type NotificationHandlerOptions } from './notification.js';

const party = parties();
const created = party.ticket();
let replayStore: ReplayStore;
let merchant: Merchant;
let server: Listening;
let stored: Notification[];
let errors: unknown[];

function claims(overrides: Partial<NotificationClaims> = {}): NotificationClaims {
  return {
    ver: PROTOCOL_VERSION,
    iss: ISSUER,
    aud: MERCHANT_ID,
    jti: 'evt_1',
    iat: NOW_SECONDS,
    exp: NOW_SECONDS + 300,
    event: 'payment.authorised',
    payment: {
      id: 'r_0001',
      ticket: { jti: created.id, sha256: created.sha256 },
      serial: created.claims.serial,
      amount: created.claims.amount,
      currency: created.claims.currency,
      status: 'authorised',
      funding: 'wallet',
    },
    ...overrides,
  } as NotificationClaims;
}

/** Each delivery attempt is signed anew with the same `jti`, as the payment server's outbox does. */
function notification(overrides: Partial<NotificationClaims> = {}): string {
  return party.sign(TOKEN_TYPES.notification, claims(overrides));
}

function start(overrides: Partial<NotificationHandlerOptions> = {}): Promise<Listening> {
  const handler = createNotificationHandler({
    merchant,
    onNotification: (event) => {
      stored.push(event);
    },
    onError: (error) => {
      errors.push(error);
    },
    ...overrides,
  } as NotificationHandlerOptions);
  return listen(toNodeHandler(handler));
}

function deliver(token: string, contentType = 'application/jose'): Promise<Response> {
  return fetch(`${server.origin}/caisse/notify`, { method: 'POST', headers: { 'content-type': contentType }, body: token });
}

beforeEach(async () => {
  replayStore = memoryReplayStore({ now: () => NOW.getTime() });
  merchant = createMerchant({
    merchantId: MERCHANT_ID,
    signingKey: party.merchant.signingKey,
    paymentServer: { issuer: ISSUER, payEndpoint: `${ISSUER}/pay`, keys: party.serverKeys },
    replayStore,
    now: () => NOW,
  });
  stored = [];
  errors = [];
  server = await start();
});
afterEach(() => server.close());

describe('notification handler', () => {
  it('stores the event, then acknowledges with 200', async () => {
    const response = await deliver(notification());
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'processed' });
    expect(stored).toHaveLength(1);
    expect(stored[0]?.jti).toBe('evt_1');
  });

  it('acknowledges a redelivery with 200 without processing it again', async () => {
    await deliver(notification());
    const again = await deliver(notification({ iat: NOW_SECONDS + 1 }));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'duplicate' });
    expect(stored).toHaveLength(1);
  });

  it('answers 500 while the receiver fails, and processes the event once when it recovers', async () => {
    let attempts = 0;
    await server.close();
    server = await start({
      onNotification: (event) => {
        attempts++;
        if (attempts <= 5) throw new Error(`disk full (attempt ${attempts})`);
        stored.push(event);
      },
    });
    const statuses: number[] = [];
    for (let retry = 0; retry < 7; retry++) {
      const response = await deliver(notification({ iat: NOW_SECONDS + retry }));
      statuses.push(response.status);
      if (response.status === 500) {
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(await response.text()).not.toContain('disk full');
      }
    }
    expect(statuses).toEqual([500, 500, 500, 500, 500, 200, 200]);
    expect(attempts).toBe(6);
    expect(stored).toHaveLength(1);
    expect(errors).toHaveLength(5);
  });

  it('asks a redelivery that arrives mid-processing to retry later, so a failure after it cannot lose the event', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    await server.close();
    server = await start({
      onNotification: async () => {
        calls++;
        if (calls === 1) {
          await gate;
          throw new Error('crashed while storing');
        }
      },
    });
    const first = deliver(notification());
    // Wait until the first delivery is inside onNotification.
    while (calls === 0) await new Promise((resolve) => setImmediate(resolve));
    const overlapping = await deliver(notification({ iat: NOW_SECONDS + 1 }));
    expect(overlapping.status).toBe(503);
    expect(overlapping.headers.get('retry-after')).toBe('5');
    expect(await overlapping.json()).toMatchObject({ code: 'token_replayed' });
    release();
    expect((await first).status).toBe(500);
    const retried = await deliver(notification({ iat: NOW_SECONDS + 2 }));
    expect(await retried.json()).toEqual({ status: 'processed' });
    expect(calls).toBe(2);
  });

  it.each([
    ['garbage', () => 'not a token', 400, 'token_malformed'],
    [
      'a token signed by another key under the same kid',
      () => party.sign(TOKEN_TYPES.notification, claims(), generateKey({ kid: party.server.kid }).signingKey),
      401,
      'signature_invalid',
    ],
    [
      'a token from an unknown key',
      () => party.sign(TOKEN_TYPES.notification, claims(), generateKey({ kid: 'elsewhere' }).signingKey),
      401,
      'key_unknown',
    ],
    ['a voucher posted as a notification', () => party.voucher(created), 400, 'type_mismatch'],
    ['a notification for another merchant', () => notification({ aud: 'newsstand' }), 401, 'audience_mismatch'],
    ['a notification signed 6 minutes ago', () => notification({ iat: NOW_SECONDS - 360, exp: NOW_SECONDS + 60 }), 401, 'token_expired'],
    ['a token over the size limit', () => 'a'.repeat(LIMITS.tokenLength + 1), 413, 'token_too_large'],
  ])('refuses %s with a problem and its code, processing nothing', async (_what, mint, status, code) => {
    const response = await deliver(mint());
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status, code });
    expect(stored).toHaveLength(0);
    expect(errors).toHaveLength(0);
  });

  it('accepts the token as text/plain or with no content type, and with a trailing newline', async () => {
    expect((await deliver(`${notification({ jti: 'evt_text' })}\n`, 'text/plain; charset=utf-8')).status).toBe(200);
    const bare = await fetch(`${server.origin}/caisse/notify`, { method: 'POST', body: new Blob([notification({ jti: 'evt_bare' })]) });
    expect(bare.status).toBe(200);
    expect(stored.map((event) => event.jti)).toEqual(['evt_text', 'evt_bare']);
  });

  it('refuses other media types (415) and methods (405)', async () => {
    const json = await deliver(JSON.stringify({ token: notification() }), 'application/json');
    expect(json.status).toBe(415);
    const get = await fetch(`${server.origin}/caisse/notify`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(stored).toHaveLength(0);
  });

  it('answers 503 when the replay store is down, and reports it', async () => {
    const broken: ReplayStore = {
      claim: async () => {
        throw new CaisseError('replay_store_unavailable', 'The replay store did not answer.');
      },
      release: async () => undefined,
    };
    await server.close();
    server = await start({
      merchant: createMerchant({
        merchantId: MERCHANT_ID,
        signingKey: party.merchant.signingKey,
        paymentServer: { issuer: ISSUER, payEndpoint: `${ISSUER}/pay`, keys: party.serverKeys },
        replayStore: broken,
        now: () => NOW,
      }),
    });
    const response = await deliver(notification());
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 503, code: 'replay_store_unavailable' });
    expect(errors).toHaveLength(1);
    expect(stored).toHaveLength(0);
  });

  it('works with the verification options instead of a merchant', async () => {
    await server.close();
    server = await listen(
      toNodeHandler(
        createNotificationHandler({
          issuer: ISSUER,
          keys: party.serverKeys,
          replayStore,
          audience: MERCHANT_ID,
          now: () => NOW,
          onNotification: (event) => void stored.push(event),
        }),
      ),
    );
    expect(await (await deliver(notification())).json()).toEqual({ status: 'processed' });
    expect(await (await deliver(notification())).json()).toEqual({ status: 'duplicate' });
    expect(stored).toHaveLength(1);
  });
});
