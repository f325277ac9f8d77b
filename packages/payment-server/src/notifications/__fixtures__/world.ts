import { createHash, randomBytes } from 'node:crypto';
import { createMerchant, generateKey, staticKeySet } from '@caisse/server-kit';
import { createServerKeys } from '../../keys/service.js';
import { createLogger } from '../../log.js';
import { createMerchantService } from '../../merchants/service.js';
import type { Database } from '../../storage/database.js';
import { createNotificationDispatcher, type NotificationDispatcherDeps } from '../dispatcher.js';
import type { NotificationContent, NotificationRow } from '../model.js';
import { enqueueNotification } from '../outbox.js';
import { type Receiver, startReceiver } from './receiver.js';

export const ISSUER = 'https://pay.example';
/** One key-sealing key for every world of a test process: the server key sealed by the first world is the one later worlds sign with. */
export const SEALING_KEY = randomBytes(32);

/** A clock tests move by hand: no sleeps, the retries come due when the test says so. */
export function testClock(start = new Date()) {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    set(at: Date) {
      current = at.getTime();
    },
    advance(ms: number) {
      current += ms;
    },
  };
}

/** A payment event as the authoriser would describe it. */
export function paymentAuthorised(serial: number, amount = 1290): NotificationContent {
  return {
    event: 'payment.authorised',
    payment: {
      id: String(serial),
      ticket: { jti: `ticket-${serial}`, sha256: createHash('sha256').update(`ticket-${serial}`).digest('base64url') },
      serial: `order-${serial}`,
      amount,
      currency: 'EUR',
      status: 'authorised',
      funding: 'wallet',
    },
  };
}

/**
 * A payment server's side (keys, a registered merchant whose notification URL is a real
 * receiver) over `db`, and that merchant's side (server kit, an array as its store), on
 * one hand-moved clock.
 */
export async function notifiedMerchant(db: Database, options: { sealingKey?: Buffer } = {}) {
  const clock = testClock();
  const keys = createServerKeys({ db, sealingKey: options.sealingKey ?? SEALING_KEY, publishDelay: 0, now: clock.now });
  await keys.ensureKey();
  const merchantKey = generateKey();
  const merchantId = `shop-${randomBytes(4).toString('hex')}`;
  const merchant = createMerchant({
    merchantId,
    signingKey: merchantKey.privateJwk,
    paymentServer: { issuer: ISSUER, payEndpoint: `${ISSUER}/pay`, keys: staticKeySet(await keys.jwks()) },
    now: clock.now,
  });
  const receiver: Receiver = await startReceiver(merchant);
  await createMerchantService({ db }).register({
    id: merchantId,
    displayName: 'The Bookshop',
    jwks: merchantKey.jwks,
    returnOrigins: ['https://shop.example'],
    notifyUrl: receiver.url,
  });
  const logLines: string[] = [];
  const log = createLogger({ level: 'debug', write: (line) => logLines.push(line) });

  return {
    clock,
    keys,
    merchant,
    merchantId,
    receiver,
    logLines,
    log,
    dispatcher(overrides: Partial<NotificationDispatcherDeps> = {}) {
      return createNotificationDispatcher({ db, keys, issuer: ISSUER, now: clock.now, log, timeoutMs: 5_000, ...overrides });
    },
    /** Writes one notification in its own transaction, as a payment would. */
    async enqueue(content: NotificationContent = paymentAuthorised(Math.floor(Math.random() * 1e9))) {
      const queued = await db.transaction((tx) => enqueueNotification(tx, { merchantId, at: clock.now(), content }));
      if (queued === null) throw new Error('the merchant has a notification URL, so a row was expected');
      return queued;
    },
    async row(id: string): Promise<NotificationRow> {
      const { rows } = await db.query<NotificationRow>('SELECT * FROM notifications WHERE id = $1', [id]);
      const row = rows[0];
      if (!row) throw new Error(`no notification ${id}`);
      return row;
    },
    /** Moves the clock just past the notification's next attempt. */
    async comeDue(id: string) {
      const { rows } = await db.query<{ next_attempt_at: Date }>('SELECT next_attempt_at FROM notifications WHERE id = $1', [id]);
      const due = rows[0]?.next_attempt_at;
      if (!due) throw new Error(`no notification ${id}`);
      if (due.getTime() >= clock.now().getTime()) clock.set(new Date(due.getTime() + 1));
    },
    async close() {
      await receiver.close();
    },
  };
}
