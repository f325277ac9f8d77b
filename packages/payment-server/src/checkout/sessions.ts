import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { RefusalReason, SharedData, TicketClaims, VoucherClaims } from '@caisse/protocol';
import { safeEqual } from '@caisse/server-kit';
import { DEVICE_EVENTS_CHANNEL } from '../devices/events.js';
import { purge } from '../housekeeping/batch.js';
import { SPENT_REFUSED_TICKETS } from '../housekeeping/refusals.js';
import type { OnSettled } from '../metrics/payments.js';
import { checkChannel, type Executor, withTransaction } from '../storage/database.js';

/** A ticket as the payment server holds it once verified: its claims and the hash of its exact bytes. */
export interface ReceivedTicket {
  claims: TicketClaims;
  sha256: string;
  /** The exact bytes, as intake verified them: kept with the ticket as the payment's evidence. Absent once loaded back. */
  token?: string;
}

/**
 * A checkout is a small state machine, persisted so any instance can serve any step:
 *
 *   identifying ──▶ authorising ──▶ paid
 *        │   ╲            │  ╲──▶ refused
 *        │    ▶ confirming (phone) ──────▶ authorising
 *        │            │   ╲──▶ pending_bank ──▶ paid | refused
 *        │            │    ╲──▶ choosing ──▶ authorising (the bank instead of a short wallet)
 *        ▼            ▼
 *   refused / cancelled  (from any open state)
 *
 * Moves are compare-and-set on the current state, so a double submit or two instances
 * can never run the same step twice.
 */
export const SESSION_STATES = [
  'identifying',
  'confirming',
  'authorising',
  'choosing',
  'pending_bank',
  'paid',
  'refused',
  'cancelled',
] as const;
export type SessionState = (typeof SESSION_STATES)[number];

export const TRANSITIONS: Record<SessionState, readonly SessionState[]> = {
  identifying: ['authorising', 'confirming', 'refused', 'cancelled'],
  confirming: ['authorising', 'refused', 'cancelled'],
  authorising: ['paid', 'refused', 'pending_bank', 'choosing'],
  choosing: ['authorising', 'refused', 'cancelled'],
  pending_bank: ['paid', 'refused'],
  paid: [],
  refused: [],
  cancelled: [],
};

/** The states a customer can still leave by cancelling. */
export const OPEN_STATES: readonly SessionState[] = ['identifying', 'confirming', 'choosing'];

/**
 * How the checkout was opened: a redirect, a popup answering its opener by `postMessage`,
 * or no browser at all (the merchant API's decoupled flow: nobody can be offered a choice).
 */
export type Display = 'redirect' | 'popup' | 'none';

/**
 * What a customer whose wallet was short may still pay with, in one step: the means their
 * plan has for the amount, and the confirmation they already gave, which stands for it.
 */
export interface Offer {
  readonly reason: 'insufficient_funds';
  readonly means: readonly 'bank'[];
  /**
   * The confirmation the customer gave for this payment; `at` in milliseconds; `approval`
   * the SHA-256 of the phone's signed approval, which the payment's ledger transfer names.
   */
  readonly confirmation: { readonly method: VoucherClaims['confirmation']['method']; readonly at: number; readonly approval?: string };
}

/** How long a customer has to take an offer before the checkout is refused with its reason. */
export const OFFER_LIFETIME = 5 * 60;

export interface CheckoutSession {
  id: string;
  display: Display;
  merchantId: string;
  state: SessionState;
  ticket: ReceivedTicket;
  customerId: string | null;
  refusalReason: RefusalReason | null;
  createdAt: Date;
  expiresAt: Date;
  /** What the customer agreed to share with the merchant (the voucher's `shared`): only fields the ticket requested. */
  shared: SharedData | null;
  /** The customer ticked "Use my loyalty points": they pay first, up to the amount (payments/booking.ts). */
  usePoints: boolean;
  /** While `choosing`: what the customer is offered. */
  offer: Offer | null;
}

export interface SessionChange {
  customerId?: string;
  refusalReason?: RefusalReason;
  /** A new deadline: entering `confirming`, the session lasts as long as its confirmation request. */
  expiresAt?: Date;
  /** Set with the move out of `identifying`, so data sent with a failed step is never stored. */
  shared?: SharedData;
  /** The customer's choice to spend loyalty points, set with the move out of `identifying` as `shared` is. */
  usePoints?: boolean;
  /** Set with the move to `choosing`. */
  offer?: Offer;
}

/**
 * Every move of a session is announced on this channel (payload: the session id) when its
 * transaction commits, so the checkout page's live status follows the session on any
 * instance. Listeners read the session again: the payload is only a hint.
 */
export const SESSION_CHANNEL = 'checkout_sessions';

/** A browser's checkout cookie: a random secret whose hash binds sessions to that browser. */
export const BROWSER_COOKIE = 'caisse_checkout';
export const DEFAULT_SESSION_LIFETIME = 15 * 60;

export function newBrowserSecret(): string {
  return randomBytes(32).toString('base64url');
}

function browserHash(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** The form token of one session in one browser: HMAC, so nothing needs storing and another browser cannot forge it. */
export function csrfToken(csrfKey: Buffer, sessionId: string, browserSecret: string): string {
  return createHmac('sha256', csrfKey).update(`${sessionId}.${browserSecret}`).digest('base64url');
}

export function checkCsrf(csrfKey: Buffer, sessionId: string, browserSecret: string, presented: unknown): boolean {
  return typeof presented === 'string' && safeEqual(presented, csrfToken(csrfKey, sessionId, browserSecret));
}

interface SessionRow {
  id: string;
  display: Display;
  merchant_id: string;
  state: SessionState;
  browser_hash: string;
  customer_id: string | null;
  refusal_reason: RefusalReason | null;
  created_at: Date;
  expires_at: Date;
  shared: SharedData | null;
  use_points: boolean;
  offer: Offer | null;
  sha256: string;
  claims: TicketClaims;
}

const SELECT = `SELECT s.id, s.display, s.merchant_id, s.state, s.browser_hash, s.customer_id, s.refusal_reason,
                       s.created_at, s.expires_at, s.shared, s.use_points, s.offer, t.sha256, t.claims
                  FROM checkout_sessions s JOIN tickets t ON t.merchant_id = s.merchant_id AND t.jti = s.ticket_jti`;

function toSession(row: SessionRow): CheckoutSession {
  return {
    id: row.id,
    display: row.display,
    merchantId: row.merchant_id,
    state: row.state,
    ticket: { claims: row.claims, sha256: row.sha256 },
    customerId: row.customer_id,
    refusalReason: row.refusal_reason,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    shared: row.shared,
    usePoints: row.use_points,
    offer: row.offer,
  };
}

export type OpenResult = { opened: true; session: CheckoutSession } | { opened: false; sameBrowserSessionId?: string };

/** Whether a ticket was presented before, and the id of its session when this browser owns it. */
export interface TicketSeen {
  seen: boolean;
  sameBrowserSessionId?: string;
}

/**
 * Whether a signed refusal may answer a ticket ({@link Sessions.claimRefusal}); when not,
 * `seen` for a ticket presented before (nothing at all when the merchant's records of
 * refused tickets are full).
 */
export type RefusalClaim = { refusable: true } | { refusable: false; seen?: TicketSeen };

export interface Sessions {
  /**
   * Records the ticket as used and opens its session, atomically. A ticket seen before
   * opens nothing: `sameBrowserSessionId` lets the browser that owns it resume (a back
   * button, a double submit); any other browser is refused (`ticket_replayed`).
   */
  open(ticket: ReceivedTicket, browserSecret: string, display?: Display, executor?: Executor): Promise<OpenResult>;
  /**
   * Before a signed refusal answers a ticket refused at intake: whether one may. Never for
   * a ticket presented before (a session, an allowance charge, an earlier refusal), so no
   * refusal is ever issued for a ticket that was paid. With `spend` (the same bytes could
   * be accepted later: a key or an origin registered, its `iat` reached), the ticket is
   * recorded as used in the same statement, in the primary key that makes tickets single
   * use, so it can never open a session nor be charged once the merchant was told it was
   * refused. A merchant has at most `limit` such records (forged tickets can name any
   * merchant); past it none is made and no refusal is signed, until `purgeRefused`
   * deletes those of expired tickets.
   */
  claimRefusal(ticket: ReceivedTicket, browserSecret: string, options: { spend: boolean; limit: number }): Promise<RefusalClaim>;
  /** Deletes what `claimRefusal` recorded of tickets whose `exp` is before `before`: they can be accepted no more anyway. */
  purgeRefused(before: Date): Promise<number>;
  /** The session, only for the browser it belongs to. */
  get(id: string, browserSecret: string): Promise<CheckoutSession | undefined>;
  /** Any session by id, for server-side work (reconciliation, phone answers). */
  load(id: string, executor?: Executor): Promise<CheckoutSession | undefined>;
  /** The session of a merchant's ticket, for the merchant API (no browser involved). */
  byTicket(merchantId: string, jti: string, executor?: Executor): Promise<CheckoutSession | undefined>;
  /*
   * The named transitions: the only writes of a session after `open`. Each is one
   * compare-and-set on the current state with its NOTIFY, and answers false when the
   * session had already left the states it moves from (another request got there first).
   */
  /** identifying → confirming: a confirmation request went to the customer's phone. */
  awaitConfirmation(
    id: string,
    change: Required<Pick<SessionChange, 'customerId' | 'expiresAt'>> & SessionChange,
    executor?: Executor,
  ): Promise<boolean>;
  /** identifying or confirming → authorising: the customer is known and confirmed; money is about to move. */
  startAuthorising(id: string, change: Required<Pick<SessionChange, 'customerId'>> & SessionChange, executor?: Executor): Promise<boolean>;
  /** authorising → choosing: the wallet was short; the customer is offered another means, until `expiresAt`. */
  offerChoice(id: string, change: Required<Pick<SessionChange, 'offer' | 'expiresAt'>>, executor?: Executor): Promise<boolean>;
  /** choosing → authorising: the customer took the offer. */
  takeOffer(id: string, executor?: Executor): Promise<boolean>;
  /** authorising → pending_bank: the payment waits for an acquirer's answer. */
  awaitBank(id: string, executor?: Executor): Promise<boolean>;
  /** authorising or pending_bank → paid, in the transaction that books the payment. */
  markPaid(id: string, customerId: string, executor?: Executor): Promise<boolean>;
  /** One of `from` → refused or cancelled, with the reason (see `closeRefused`, which also tells the merchant). */
  close(
    id: string,
    from: readonly SessionState[],
    to: 'refused' | 'cancelled',
    reason: RefusalReason,
    executor?: Executor,
  ): Promise<boolean>;
}

export function createSessions(deps: {
  db: Executor;
  now?: () => Date;
  lifetime?: number;
  /** Told of each session closed refused or cancelled, from inside the closing transaction (paid ones: payments/booking.ts). */
  onSettled?: OnSettled;
}): Sessions {
  const now = deps.now ?? (() => new Date());
  const lifetime = deps.lifetime ?? DEFAULT_SESSION_LIFETIME;

  async function ownerOf(merchantId: string, jti: string, browserSecret: string, executor: Executor = deps.db): Promise<TicketSeen> {
    const { rows } = await executor.query<{ id: string; browser_hash: string }>(
      'SELECT id, browser_hash FROM checkout_sessions WHERE merchant_id = $1 AND ticket_jti = $2',
      [merchantId, jti],
    );
    const earlier = rows[0];
    if (earlier === undefined) return { seen: false };
    // The session id is a bearer of nothing without the cookie, but another browser learns no more than "seen".
    return safeEqual(earlier.browser_hash, browserHash(browserSecret)) ? { seen: true, sameBrowserSessionId: earlier.id } : { seen: true };
  }

  async function load(id: string, executor: Executor = deps.db) {
    const { rows } = await executor.query<SessionRow>(`${SELECT} WHERE s.id = $1`, [id]);
    return rows[0];
  }

  /** The one statement that changes a session's state, and its announcement. */
  async function move(
    id: string,
    from: readonly SessionState[],
    to: SessionState,
    change: SessionChange,
    executor: Executor = deps.db,
  ): Promise<boolean> {
    const allowed = from.filter((state) => TRANSITIONS[state].includes(to));
    if (allowed.length === 0) throw new Error(`No move leads from ${from.join('/')} to ${to}.`);
    // The move and its announcements in one round trip; the NOTIFYs are delivered at commit.
    // A session that ends after its customer answered on a phone also tells that phone's
    // streams (devices/events.ts, `outcome`), naming the request: the phone reads the rest.
    const { rows } = await executor.query(
      `WITH moved AS (
           UPDATE checkout_sessions
              SET state = $3, updated_at = $4, customer_id = coalesce($5, customer_id), refusal_reason = coalesce($6, refusal_reason),
                  expires_at = coalesce($7, expires_at), shared = coalesce($9::text::jsonb, shared),
                  use_points = coalesce($10, use_points), offer = coalesce($11::text::jsonb, offer)
            WHERE id = $1 AND state = ANY($2::text[])
           RETURNING id, state),
         answered AS (
           SELECT pg_notify($12, json_build_object('kind', 'outcome', 'customerId', r.customer_id, 'id', r.id)::text)
             FROM moved m
             JOIN LATERAL (SELECT id, customer_id FROM confirmation_requests
                            WHERE session_id = m.id AND state IN ('approved', 'declined')
                            ORDER BY answered_at DESC, seq DESC LIMIT 1) r ON true
            WHERE m.state IN ('paid', 'refused', 'cancelled'))
         SELECT pg_notify($8, id), (SELECT count(*) FROM answered) FROM moved`,
      [
        id,
        allowed,
        to,
        now(),
        change.customerId ?? null,
        change.refusalReason ?? null,
        change.expiresAt ?? null,
        checkChannel(SESSION_CHANNEL),
        change.shared === undefined ? null : JSON.stringify(change.shared),
        change.usePoints ?? null,
        change.offer === undefined ? null : JSON.stringify(change.offer),
        checkChannel(DEVICE_EVENTS_CHANNEL),
      ],
    );
    return rows.length === 1;
  }

  return {
    async open(ticket, browserSecret, display = 'redirect', executor = deps.db) {
      const at = now();
      const { claims } = ticket;
      const id = `cs_${randomBytes(16).toString('base64url')}`;
      const inserted = await executor.query(
        `WITH ticket AS (
           INSERT INTO tickets (merchant_id, jti, sha256, claims, received_at, expires_at, token)
           VALUES ($1, $2, $3, $4::text::jsonb, $5, to_timestamp($6), $11)
           ON CONFLICT DO NOTHING
           RETURNING merchant_id, jti)
         INSERT INTO checkout_sessions (id, merchant_id, ticket_jti, browser_hash, state, created_at, updated_at, expires_at, display)
         SELECT $7, merchant_id, jti, $8, 'identifying', $5, $5, $9, $10 FROM ticket
         RETURNING id`,
        [
          claims.iss,
          claims.jti,
          ticket.sha256,
          JSON.stringify(claims),
          at,
          claims.exp,
          id,
          browserHash(browserSecret),
          new Date(at.getTime() + lifetime * 1000),
          display,
          ticket.token ?? null,
        ],
      );
      if (inserted.rowCount === 1) {
        const row = await load(id, executor);
        if (!row) throw new Error(`Session ${id} vanished after it was opened.`);
        return { opened: true, session: toSession(row) };
      }
      const earlier = await ownerOf(claims.iss, claims.jti, browserSecret, executor);
      return earlier.sameBrowserSessionId ? { opened: false, sameBrowserSessionId: earlier.sameBrowserSessionId } : { opened: false };
    },

    async claimRefusal(ticket, browserSecret, { spend, limit }) {
      const { claims } = ticket;
      if (spend) {
        const at = now();
        const spent = await withTransaction(deps.db, async (tx) => {
          // One merchant's refused tickets one at a time, so the count below sees every one committed
          // (NO KEY UPDATE does not wait for payments, whose foreign keys take KEY SHARE).
          await tx.query('SELECT 1 FROM merchants WHERE id = $1 FOR NO KEY UPDATE', [claims.iss]);
          return tx.query(
            `INSERT INTO tickets (merchant_id, jti, sha256, claims, received_at, expires_at, refused_at)
             SELECT $1, $2, $3, $4::text::jsonb, $5, to_timestamp($6), $5
              WHERE (SELECT count(*) FROM tickets WHERE merchant_id = $1 AND refused_at IS NOT NULL) < $7
             ON CONFLICT DO NOTHING
             RETURNING jti`,
            [claims.iss, claims.jti, ticket.sha256, JSON.stringify(claims), at, claims.exp, limit],
          );
        });
        if (spent.rowCount === 1) return { refusable: true };
      }
      const { rows } = await deps.db.query('SELECT 1 FROM tickets WHERE merchant_id = $1 AND jti = $2', [claims.iss, claims.jti]);
      if (rows.length === 0) return spend ? { refusable: false } : { refusable: true };
      // Charged under an allowance, or refused before, it has no session: seen all the same.
      const owner = await ownerOf(claims.iss, claims.jti, browserSecret);
      return { refusable: false, seen: owner.seen ? owner : { seen: true } };
    },

    purgeRefused: (before) => purge(deps.db, SPENT_REFUSED_TICKETS, before),

    async get(id, browserSecret) {
      const row = await load(id);
      return row && safeEqual(row.browser_hash, browserHash(browserSecret)) ? toSession(row) : undefined;
    },

    async load(id, executor) {
      const row = await load(id, executor);
      return row && toSession(row);
    },

    async byTicket(merchantId, jti, executor = deps.db) {
      const { rows } = await executor.query<SessionRow>(`${SELECT} WHERE s.merchant_id = $1 AND s.ticket_jti = $2`, [merchantId, jti]);
      return rows[0] && toSession(rows[0]);
    },

    awaitConfirmation: (id, change, executor) => move(id, ['identifying'], 'confirming', change, executor),
    startAuthorising: (id, change, executor) => move(id, ['identifying', 'confirming'], 'authorising', change, executor),
    offerChoice: (id, change, executor) => move(id, ['authorising'], 'choosing', change, executor),
    takeOffer: (id, executor) => move(id, ['choosing'], 'authorising', {}, executor),
    awaitBank: (id, executor) => move(id, ['authorising'], 'pending_bank', {}, executor),
    markPaid: (id, customerId, executor) => move(id, ['authorising', 'pending_bank'], 'paid', { customerId }, executor),
    async close(id, from, to, reason, executor) {
      const closed = await move(id, from, to, { refusalReason: reason }, executor);
      if (closed) deps.onSettled?.({ key: id, outcome: to, reason, at: now() });
      return closed;
    },
  };
}
