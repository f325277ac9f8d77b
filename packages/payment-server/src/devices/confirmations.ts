import { randomBytes } from 'node:crypto';
import { type ConfirmationRequest, confirmationRequest } from '@caisse/protocol';
import type { CheckoutSession } from '../checkout/sessions.js';
import { notify, type Queryable, type Transaction } from '../storage/database.js';
import { DEVICE_EVENTS_CHANNEL, type DeviceEvent } from './events.js';
import { DEFAULT_CONFIRMATION_LIFETIME } from './model.js';

export type { ConfirmationRequest } from '@caisse/protocol';

/** What approving a request takes: the PIN, or a tap under the customer's tap threshold (the checkout decides from the plan). */
export type Approval = NonNullable<ConfirmationRequest['approval']>;

/** What the checkout asks of the phone side (docs/device-api.md, "Checkout with a phone"). */
export interface Confirmations {
  /**
   * Opens a request for the session's customer, in tx, and NOTIFYs streams (delivered at
   * commit); undefined when the customer has no active device. `approval` is stored with
   * the request: the answer is checked against it, never against what the phone says.
   */
  open(tx: Transaction, session: CheckoutSession, customerId: string, approval: Approval): Promise<ConfirmationRequest | undefined>;
  /** Closes the session's open request (cancelled | expired) so its stream hears of it. */
  close(tx: Transaction, sessionId: string, state: 'cancelled' | 'expired'): Promise<void>;
  hasDevice(executor: Queryable, customerId: string): Promise<boolean>;
  /** The customer's requests created after `since` that were not approved (open, declined, expired or cancelled). */
  unanswered(executor: Queryable, customerId: string, since: Date): Promise<number>;
}

/** An open request with its sequence number: the SSE event id phones resume from. */
export interface PendingRequest {
  seq: bigint;
  request: ConfirmationRequest;
}

export interface ConfirmationService extends Confirmations {
  /** The customer's open requests not yet expired, oldest first; only those after `afterSeq` when given. */
  pending(executor: Queryable, customerId: string, afterSeq?: bigint): Promise<PendingRequest[]>;
  /** One open request by its sequence number, for the streams (undefined once closed). */
  bySeq(executor: Queryable, seq: bigint): Promise<(PendingRequest & { customerId: string }) | undefined>;
}

export interface ConfirmationDeps {
  /** Seconds a customer has to answer (CAISSE_CONFIRMATION_LIFETIME). Default 300. */
  lifetime?: number;
  now?: () => Date;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * The confirmation requests of the checkout: stored with the exact message the phone is
 * shown, and announced to the customer's streams on every instance at commit.
 * @example
 * const confirmations = createConfirmations({ lifetime: config.CAISSE_CONFIRMATION_LIFETIME });
 * const request = await db.transaction((tx) => confirmations.open(tx, session, customer.id, 'pin'));
 */
export function createConfirmations(deps: ConfirmationDeps = {}): ConfirmationService {
  const now = deps.now ?? (() => new Date());
  const lifetime = deps.lifetime ?? DEFAULT_CONFIRMATION_LIFETIME;

  async function closeOpen(tx: Transaction, sessionId: string, state: 'cancelled' | 'expired'): Promise<void> {
    const { rows } = await tx.query<{ id: string; customer_id: string }>(
      `UPDATE confirmation_requests SET state = $2, closed_at = $3
        WHERE session_id = $1 AND state = 'open' RETURNING id, customer_id`,
      [sessionId, state, now()],
    );
    for (const row of rows) {
      const event: DeviceEvent = { kind: 'closed', customerId: row.customer_id, id: row.id, state };
      await notify(tx, DEVICE_EVENTS_CHANNEL, JSON.stringify(event));
    }
  }

  const service: ConfirmationService = {
    async hasDevice(executor, customerId) {
      const { rows } = await executor.query('SELECT 1 FROM devices WHERE customer_id = $1 AND revoked_at IS NULL LIMIT 1', [customerId]);
      return rows.length > 0;
    },

    async unanswered(executor, customerId, since) {
      const { rows } = await executor.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM confirmation_requests WHERE customer_id = $1 AND created_at > $2 AND state <> 'approved'`,
        [customerId, since],
      );
      return rows[0]?.n ?? 0;
    },

    async open(tx, session, customerId, approval) {
      if (!(await service.hasDevice(tx, customerId))) return undefined;
      // A session asks one thing at a time: a request it opened before is withdrawn.
      await closeOpen(tx, session.id, 'cancelled');
      const { rows: merchants } = await tx.query<{ display_name: string }>('SELECT display_name FROM merchants WHERE id = $1', [
        session.merchantId,
      ]);
      const claims = session.ticket.claims;
      const createdAt = seconds(now());
      const id = `cfr_${randomBytes(16).toString('base64url')}`;
      const request = confirmationRequest.parse({
        ver: 1,
        id,
        challenge: randomBytes(32).toString('base64url'),
        ticket: { jti: claims.jti, sha256: session.ticket.sha256 },
        payee: { id: session.merchantId, name: merchants[0]?.display_name ?? session.merchantId },
        items: claims.items,
        amount: claims.amount,
        vat: claims.vat,
        currency: claims.currency,
        createdAt,
        expiresAt: createdAt + lifetime,
        // A PIN request leaves `approval` out (the protocol's default): it stays the message phones parsed before taps existed.
        ...(approval === 'tap' ? { approval } : {}),
        // An allowance's terms: what approving grants (its maximum is the amount).
        ...(claims.allowance === undefined ? {} : { allowance: claims.allowance }),
      });
      const { rows } = await tx.query<{ seq: bigint }>(
        `INSERT INTO confirmation_requests (id, session_id, customer_id, challenge, request, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7) RETURNING seq`,
        [
          id,
          session.id,
          customerId,
          request.challenge,
          JSON.stringify(request),
          new Date(createdAt * 1000),
          new Date(request.expiresAt * 1000),
        ],
      );
      const event: DeviceEvent = { kind: 'request', customerId, seq: String(rows[0]?.seq) };
      await notify(tx, DEVICE_EVENTS_CHANNEL, JSON.stringify(event));
      return request;
    },

    close: closeOpen,

    async pending(executor, customerId, afterSeq = -1n) {
      const { rows } = await executor.query<{ seq: bigint; request: ConfirmationRequest }>(
        `SELECT seq, request FROM confirmation_requests
          WHERE customer_id = $1 AND state = 'open' AND expires_at > $2 AND seq > $3 ORDER BY seq`,
        [customerId, now(), afterSeq],
      );
      return rows.map((row) => ({ seq: row.seq, request: row.request }));
    },

    async bySeq(executor, seq) {
      const { rows } = await executor.query<{ seq: bigint; request: ConfirmationRequest; customer_id: string }>(
        `SELECT seq, request, customer_id FROM confirmation_requests WHERE seq = $1 AND state = 'open' AND expires_at > $2`,
        [seq, now()],
      );
      const row = rows[0];
      return row === undefined ? undefined : { seq: row.seq, request: row.request, customerId: row.customer_id };
    },
  };
  return service;
}
