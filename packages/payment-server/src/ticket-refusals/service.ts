import { createHash, randomBytes } from 'node:crypto';
import { periodic } from '../api/periodic.js';
import { TICKET_CLOCK_TOLERANCE } from '../checkout/intake.js';
import type { Sessions } from '../checkout/sessions.js';
import { purge as purgeRule } from '../housekeeping/batch.js';
import { STALE_TICKET_REFUSALS } from '../housekeeping/refusals.js';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import { enqueueNotification } from '../notifications/outbox.js';
import type { Database, Transaction } from '../storage/database.js';
import {
  type ApiTicketRefusal,
  LIST_DEFAULT,
  LIST_MAX,
  MAX_REFUSALS_PER_MERCHANT,
  OVERFLOW,
  overflowMessage,
  REFUSAL_RETENTION_DAYS,
  type RecordedRefusal,
  type RecordRefusal,
  TICKET_REFUSAL_COLUMNS,
  type TicketRefusalRow,
  toTicketRefusal,
} from './model.js';

export interface TicketRefusalServiceDeps {
  db: Database;
  now?: () => Date;
  log?: Logger;
  /** Distinct refusals kept per merchant (default {@link MAX_REFUSALS_PER_MERCHANT}). */
  maxPerMerchant?: number;
  /** Milliseconds between two purges by this instance, run from the refusals themselves (default 60 000). */
  purgeInterval?: number;
  /** Also purged: the tickets a signed refusal recorded as used, once expired. */
  sessions?: Pick<Sessions, 'purgeRefused'>;
}

export interface TicketRefusalService {
  /**
   * Counts one refused ticket for its merchant, in one transaction: a refusal already seen
   * (same code and message, within 30 days) adds to its count and moves its last-seen
   * time; a new one is a new row, and queues a `ticket.refused` notification in the same
   * commit. Past the merchant's cap of distinct rows, the refusal counts on its code's
   * overflow row, so forged tickets naming a merchant grow neither the table nor the
   * notifications without bound.
   * @example await refusals.record({ merchantId: 'bookshop', code: 'key_unknown', message, ticket: 'tkt_1', notifyUrl })
   */
  record(input: RecordRefusal): Promise<RecordedRefusal>;
  /**
   * The merchant's refusals last seen in the past 30 days, the most recent first.
   * @throws ProblemError `request_invalid` (limit not from 1 to 200)
   */
  list(merchantId: string, options?: { limit?: number }): Promise<ApiTicketRefusal[]>;
  /** Deletes refusals last seen more than 30 days before `at`, and the expired tickets signed refusals recorded as used. */
  purgeExpired(at: Date): Promise<void>;
}

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT };
const DAY_MS = 86_400_000;

/**
 * The moments before which {@link TicketRefusalService.purgeExpired} deletes at `at`:
 * refusals last seen before `refusals`, and tickets a refusal spent whose `exp` is before
 * `spentTickets` (intake refuses them as expired from then on). Housekeeping uses the same.
 * @example const { refusals, spentTickets } = refusalCutoffs(new Date())
 */
export function refusalCutoffs(at: Date): { refusals: Date; spentTickets: Date } {
  return {
    refusals: new Date(at.getTime() - REFUSAL_RETENTION_DAYS * DAY_MS),
    spentTickets: new Date(at.getTime() - TICKET_CLOCK_TOLERANCE * 1000),
  };
}

/** A refusal seen again: counted, with its latest time and ticket. */
const REPEAT = `
UPDATE ticket_refusals
   SET count = count + 1, last_seen_at = greatest(last_seen_at, $4), last_ticket = coalesce($5, last_ticket)
 WHERE merchant_id = $1 AND code = $2 AND fingerprint = $3
RETURNING ${TICKET_REFUSAL_COLUMNS}`;

/** A refusal not seen yet (or past the cap, its code's overflow row, which may exist). `created` tells an insert from an update. */
const ADD = `
INSERT INTO ticket_refusals (id, merchant_id, code, fingerprint, message, count, first_seen_at, last_seen_at, last_ticket)
VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7)
ON CONFLICT (merchant_id, code, fingerprint) DO UPDATE
   SET count = ticket_refusals.count + 1, last_seen_at = greatest(ticket_refusals.last_seen_at, EXCLUDED.last_seen_at),
       last_ticket = coalesce(EXCLUDED.last_ticket, ticket_refusals.last_ticket)
RETURNING ${TICKET_REFUSAL_COLUMNS}, (xmax = 0) AS created`;

/** 128 random bits; `tr_` keeps it an id of the protocol (it starts with a letter). */
function newRefusalId(): string {
  return `tr_${randomBytes(16).toString('base64url')}`;
}

function fingerprintOf(message: string): string {
  return createHash('sha256').update(message, 'utf8').digest('base64url');
}

/**
 * Refused tickets, told to the merchant they name: counted per code and message, listed
 * on the merchant API, and notified once per kind.
 * @example const refusals = createTicketRefusalService({ db, now, log, sessions })
 */
export function createTicketRefusalService(deps: TicketRefusalServiceDeps): TicketRefusalService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? SILENT;
  const cap = deps.maxPerMerchant ?? MAX_REFUSALS_PER_MERCHANT;

  async function purgeExpired(at: Date): Promise<void> {
    const cutoffs = refusalCutoffs(at);
    await purgeRule(db, STALE_TICKET_REFUSALS, cutoffs.refusals);
    await deps.sessions?.purgeRefused(cutoffs.spentTickets);
  }
  const purge = periodic(() => purgeExpired(now()), {
    interval: deps.purgeInterval ?? 60_000,
    now,
    log,
    name: 'ticket_refusals',
  });

  async function add(tx: Transaction, input: RecordRefusal, fingerprint: string, at: Date) {
    // One merchant's new refusals one at a time, so its cap holds under concurrency and across
    // instances; NO KEY UPDATE does not wait for payments, whose foreign keys take KEY SHARE.
    await tx.query('SELECT 1 FROM merchants WHERE id = $1 FOR NO KEY UPDATE', [input.merchantId]);
    const again = await tx.query<TicketRefusalRow>(REPEAT, [input.merchantId, input.code, fingerprint, at, input.ticket]);
    if (again.rows[0] !== undefined) return { row: again.rows[0], created: false };
    const { rows: counted } = await tx.query<{ rows: string | number }>(
      'SELECT count(*) AS rows FROM ticket_refusals WHERE merchant_id = $1 AND fingerprint <> $2',
      [input.merchantId, OVERFLOW],
    );
    const full = Number(counted[0]?.rows ?? 0) >= cap;
    const { rows } = await tx.query<TicketRefusalRow & { created: boolean }>(ADD, [
      newRefusalId(),
      input.merchantId,
      input.code,
      full ? OVERFLOW : fingerprint,
      full ? overflowMessage(input.merchantId, input.code) : input.message,
      at,
      input.ticket,
    ]);
    const row = rows[0];
    if (row === undefined) throw new Error('The refusal was neither added nor counted.');
    return { row, created: row.created };
  }

  return {
    async record(input) {
      await purge();
      const at = now();
      const fingerprint = fingerprintOf(input.message);
      return db.transaction(async (tx) => {
        const repeat = await tx.query<TicketRefusalRow>(REPEAT, [input.merchantId, input.code, fingerprint, at, input.ticket]);
        const { row, created } =
          repeat.rows[0] !== undefined ? { row: repeat.rows[0], created: false } : await add(tx, input, fingerprint, at);
        const refusal = toTicketRefusal(row);
        if (created) {
          await enqueueNotification(tx, {
            merchantId: input.merchantId,
            notifyUrl: input.notifyUrl,
            at,
            content: {
              event: 'ticket.refused',
              ticketRefusal: {
                id: refusal.id,
                code: refusal.code,
                message: refusal.message,
                ticket: refusal.ticket,
                count: refusal.count,
                firstSeenAt: Math.floor(row.first_seen_at.getTime() / 1000),
              },
            },
          });
        }
        return { refusal, created };
      });
    },

    async list(merchantId, options = {}) {
      const limit = options.limit ?? LIST_DEFAULT;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > LIST_MAX) {
        throw new ProblemError('request_invalid', `limit: must be a whole number from 1 to ${LIST_MAX}.`, {
          issues: [{ path: 'limit', message: `must be a whole number from 1 to ${LIST_MAX}` }],
        });
      }
      await purge();
      const since = new Date(now().getTime() - REFUSAL_RETENTION_DAYS * DAY_MS);
      const { rows } = await db.query<TicketRefusalRow>(
        `SELECT ${TICKET_REFUSAL_COLUMNS} FROM ticket_refusals
          WHERE merchant_id = $1 AND last_seen_at >= $2
          ORDER BY last_seen_at DESC, id LIMIT $3`,
        [merchantId, since, limit],
      );
      return rows.map(toTicketRefusal);
    },

    purgeExpired,
  };
}
