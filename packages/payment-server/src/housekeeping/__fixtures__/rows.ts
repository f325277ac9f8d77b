/** Test support: the rows housekeeping deals with, made at chosen times on a clock the test moves. Not exported from the package. */

import { randomBytes } from 'node:crypto';
import type { TicketClaims } from '@caisse/protocol';
import { generateKey } from '@caisse/server-kit';
import { createAssertionStore } from '../../api/assertion-store.js';
import { createIdempotencyStore } from '../../api/idempotency-store.js';
import { createSessions, type ReceivedTicket } from '../../checkout/sessions.js';
import { createMerchantService } from '../../merchants/service.js';
import type { Database } from '../../storage/database.js';
import { createTicketRefusalService } from '../../ticket-refusals/service.js';

export const MINUTE = 60_000;
export const DAY = 86_400_000;

const token = (bytes: number) => randomBytes(bytes).toString('base64url');
const seconds = (at: Date) => Math.floor(at.getTime() / 1000);

/** A checkout's end: how it was left, and when. */
export type CheckoutEnd = 'identifying' | 'confirming' | 'authorising' | 'pending_bank' | 'cancelled' | 'refused' | 'paid';

export interface CheckoutInput {
  /** When the ticket was presented (the session opened, for 15 minutes). */
  openedAt: Date;
  /** The ticket's `exp`. */
  ticketExp: Date;
  end: CheckoutEnd;
  /** When it reached `end` (default `openedAt`). */
  endedAt?: Date;
  /** A confirmation request sent to the customer's phone, as it was left. */
  request?: 'expired' | 'approved';
  /** A payment row naming the ticket, whatever `end` is (a paid checkout always has one). */
  payment?: boolean;
}

/**
 * Makes rows through the services that own them where they can, at the times given (the
 * clock is set for each call), and writes directly only what needs a whole payment flow
 * (payments, devices, confirmation requests, notifications' states, enrollment codes).
 */
export function rowMaker(db: Database) {
  let clock = new Date(0);
  const now = () => clock;
  const at = <T>(time: Date, make: () => Promise<T>) => {
    clock = time;
    return make();
  };
  const sessions = createSessions({ db, now });
  let serial = 0;
  let no = 0;

  async function merchant(): Promise<string> {
    const id = `shop-${++no}-${token(3)}`;
    await createMerchantService({ db, now }).register({
      id,
      displayName: 'The Bookshop',
      jwks: generateKey().jwks,
      returnOrigins: ['https://shop.example'],
      notifyUrl: 'https://shop.example/caisse/notify',
    });
    return id;
  }

  async function customer(): Promise<string> {
    const id = `cust-${++no}-${token(3)}`;
    await db.query(
      `INSERT INTO customers (id, phone, key_hash, key_salt, key_params, created_at)
       VALUES ($1, $2, $3, $3, '{"algorithm":"scrypt"}', now())`,
      [id, `+336${String(10_000_000 + no).padStart(8, '0')}`, randomBytes(32)],
    );
    return id;
  }

  async function device(customerId: string): Promise<string> {
    const id = `dev-${token(32).slice(0, 43)}`;
    await db.query(
      `INSERT INTO devices (id, customer_id, jwk, alg, pin_verifier_sealed, created_at)
       VALUES ($1, $2, $3::text::jsonb, 'EdDSA', 'v1.sealed', now())`,
      [id, customerId, JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: token(32), kid: id })],
    );
    return id;
  }

  function ticket(merchantId: string, iat: Date, exp: Date): ReceivedTicket {
    const claims = { iss: merchantId, jti: `tkt-${token(9)}`, iat: seconds(iat), exp: seconds(exp), amount: 500, currency: 'EUR' };
    return { claims: claims as unknown as TicketClaims, sha256: token(32) };
  }

  async function payment(merchantId: string, jti: string, customerId: string, createdAt: Date): Promise<bigint> {
    const number = BigInt(1_000_000 + ++serial);
    await db.query(
      `INSERT INTO payments (serial, merchant_id, ticket_jti, ticket_sha256, order_serial, customer_id, amount, vat, currency, funding, status, voucher, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, 500, 50, 'EUR', 'wallet', 'authorised', $7, $8)`,
      [number, merchantId, jti, 'A'.repeat(43), `order-${number}`, customerId, `voucher.${number}.signature`, createdAt],
    );
    return number;
  }

  async function confirmationRequest(sessionId: string, customerId: string, sentAt: Date, outcome: 'expired' | 'approved') {
    const id = `cfr_${token(16)}`;
    const challenge = token(32);
    const answer = outcome === 'approved' ? { answeredAt: sentAt, device: await device(customerId), jti: `ans-${token(9)}` } : undefined;
    await db.query(
      `INSERT INTO confirmation_requests
         (id, session_id, customer_id, challenge, request, state, created_at, expires_at, closed_at, answered_at, answer_device_id, answer_jti)
       VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7, $8, $7, $9, $10, $11)`,
      [
        id,
        sessionId,
        customerId,
        challenge,
        JSON.stringify({ id, challenge }),
        outcome,
        sentAt,
        new Date(sentAt.getTime() + 5 * MINUTE),
        answer?.answeredAt ?? null,
        answer?.device ?? null,
        answer?.jti ?? null,
      ],
    );
    return id;
  }

  return {
    merchant,
    customer,

    /** An assertion `jti` spent, kept until `expiresAt`. */
    assertion: (merchantId: string, expiresAt: Date) =>
      at(new Date(expiresAt.getTime() - MINUTE), async () => {
        const jti = `jti-${token(9)}`;
        await createAssertionStore(db).consume(merchantId, jti, expiresAt, now());
        return jti;
      }),

    /** An idempotency key first used at `usedAt` (kept 24 h). */
    idempotencyKey: (merchantId: string, usedAt: Date) =>
      at(usedAt, async () => {
        const key = `key-${token(9)}`;
        const claim = await createIdempotencyStore(db).claim({
          merchantId,
          key,
          fingerprint: token(32),
          now: now(),
          lease: 60,
          retention: DAY / 1000,
        });
        if (claim.outcome !== 'acquired') throw new Error(`the key was not acquired: ${claim.outcome}`);
        return key;
      }),

    /** A ticket refusal last seen at `seenAt`. */
    refusal: (merchantId: string, seenAt: Date) =>
      at(seenAt, async () => {
        const { refusal } = await createTicketRefusalService({ db, now }).record({
          merchantId,
          code: 'key_unknown',
          message: `The key kid k-${token(6)} is not registered.`,
          ticket: null,
        });
        return refusal.id;
      }),

    /** A ticket spent by a signed refusal, expiring at `exp`. */
    spentTicket: (merchantId: string, exp: Date) =>
      at(new Date(exp.getTime() - 10 * MINUTE), async () => {
        const spent = ticket(merchantId, now(), exp);
        const claim = await sessions.claimRefusal(spent, token(32), { spend: true, limit: 100 });
        if (!claim.refusable) throw new Error('the ticket was not spent');
        return spent.claims.jti;
      }),

    /** A checkout of a ticket of `merchantId`, left as `input.end` says. */
    async checkout(merchantId: string, input: CheckoutInput): Promise<{ sessionId: string; jti: string }> {
      const presented = ticket(merchantId, input.openedAt, input.ticketExp);
      const opened = await at(input.openedAt, () => sessions.open(presented, token(32)));
      if (!opened.opened) throw new Error('the session did not open');
      const { id } = opened.session;
      const needsCustomer = input.end !== 'identifying' && input.end !== 'cancelled' && input.end !== 'refused';
      const customerId = needsCustomer || input.request || input.payment ? await customer() : undefined;
      if (input.request && customerId) await confirmationRequest(id, customerId, input.openedAt, input.request);
      const ended = input.endedAt ?? input.openedAt;
      const moved = await at(ended, async () => {
        switch (input.end) {
          case 'identifying':
            return true;
          case 'cancelled':
            return sessions.close(id, ['identifying'], 'cancelled', 'customer_declined');
          case 'refused':
            return sessions.close(id, ['identifying'], 'refused', 'authentication_failed');
          case 'confirming':
            return sessions.awaitConfirmation(id, { customerId: customerId as string, expiresAt: new Date(ended.getTime() + 5 * MINUTE) });
          case 'authorising':
            return sessions.startAuthorising(id, { customerId: customerId as string });
          case 'pending_bank':
            return (await sessions.startAuthorising(id, { customerId: customerId as string })) && sessions.awaitBank(id);
          case 'paid':
            return (
              (await sessions.startAuthorising(id, { customerId: customerId as string })) && sessions.markPaid(id, customerId as string)
            );
        }
      });
      if (!moved) throw new Error(`the session did not move to ${input.end}`);
      if (input.end === 'paid' || input.payment) await payment(merchantId, presented.claims.jti, customerId as string, ended);
      return { sessionId: id, jti: presented.claims.jti };
    },

    /** A notification created at `createdAt`, then delivered or parked at `endedAt` (or still pending). */
    async notification(
      merchantId: string,
      status: 'pending' | 'delivered' | 'parked',
      createdAt: Date,
      endedAt = createdAt,
    ): Promise<string> {
      const id = `n_${token(16)}`;
      await db.query(
        `INSERT INTO notifications (id, merchant_id, event, payload, target_url, status, attempts, next_attempt_at, retry_until, created_at, delivered_at, parked_at)
         VALUES ($1, $2, 'payment.authorised', $3::text::jsonb, 'https://shop.example/caisse/notify', $4, 1, $5, $6, $5, $7, $8)`,
        [
          id,
          merchantId,
          JSON.stringify({ ver: 1, jti: id, event: 'payment.authorised', aud: merchantId }),
          status,
          createdAt,
          new Date(createdAt.getTime() + 3 * DAY),
          status === 'delivered' ? endedAt : null,
          status === 'parked' ? endedAt : null,
        ],
      );
      return id;
    },

    /** An enrollment code for `customerId`, made 10 minutes before `expiresAt`. */
    async enrollmentCode(customerId: string, expiresAt: Date): Promise<string> {
      const hash = token(32).slice(0, 43);
      await db.query('INSERT INTO enrollment_codes (code_sha256, customer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [
        hash,
        customerId,
        new Date(expiresAt.getTime() - 10 * MINUTE),
        expiresAt,
      ]);
      return hash;
    },
  };
}

/** Whether each of `ids` is still in `table` (by `column`), in order. */
export async function stillThere(db: Database, table: string, column: string, ids: readonly string[]): Promise<boolean[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT ${column}::text AS id FROM ${table} WHERE ${column}::text = ANY($1::text[])`, [
    ids,
  ]);
  const found = new Set(rows.map((row) => row.id));
  return ids.map((id) => found.has(id));
}
