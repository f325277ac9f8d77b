import type { ApiContent } from '@caisse/protocol';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import { parseInput } from '../merchants/input.js';
import { seal, unseal } from '../secrets.js';
import { type Database, withTransaction } from '../storage/database.js';
import { CONTENT_COLUMNS, type ContentRow, contentRef, putContentInput, type ReleasedContent, toApiContent } from './model.js';

/**
 * Digital goods merchants store on the payment server (seed 003: the good "stockée
 * temporairement sur le frontal"), released to the browser that paid, once. Each good
 * is sealed with AES-256-GCM under the `content-sealing` key derived from the operator
 * secret, bound to its merchant and reference, so a database copy alone reveals none
 * and a sealed good moved to another row does not open.
 */
export interface ContentService {
  /**
   * Stores (or replaces) a good; `data` in base64url.
   * @throws ProblemError `request_invalid`
   * @example await contents.put('newsstand', 'article-42', { title: 'The tide tables', contentType: 'text/html', data })
   */
  put(merchantId: string, ref: string, input: unknown): Promise<{ content: ApiContent; created: boolean }>;
  /** @throws ProblemError `content_unknown` */
  get(merchantId: string, ref: string): Promise<ApiContent>;
  /** Whether the merchant stored this good: ticket intake refuses a ticket naming another (`content_unknown`). */
  exists(merchantId: string, ref: string): Promise<boolean>;
  /** When the good of this ticket was released, if it was. */
  releasedAt(merchantId: string, ticketJti: string): Promise<Date | undefined>;
  /**
   * Releases the good a paid ticket names, once. In one transaction: the payment is locked
   * (a refund locks it too, so the two never cross), must be authorised, not reversed and
   * never refunded, even in part; the release is recorded by its primary key (one per
   * ticket); then the good is read and opened. Anything refused records nothing.
   * @throws ProblemError `content_withheld`, `content_released`, `content_unknown`
   */
  release(merchantId: string, ticketJti: string, ref: string): Promise<ReleasedContent>;
}

export function createContentService(deps: { db: Database; sealingKey: Buffer; now?: () => Date; log: Logger }): ContentService {
  const now = deps.now ?? (() => new Date());
  const associated = (merchantId: string, ref: string) => `content:${merchantId}:${ref}`;

  return {
    async put(merchantId, ref, input) {
      const key = parseInput(contentRef, ref);
      const { title, contentType, data } = parseInput(putContentInput, input);
      const bytes = Buffer.from(data, 'base64url');
      // The limit is on the decoded good; a non-canonical encoding could name two goods.
      if (bytes.toString('base64url') !== data)
        throw new ProblemError('request_invalid', 'data: must be canonical base64url without padding.');
      const at = now();
      const { rows } = await deps.db.query<ContentRow & { created: boolean }>(
        `INSERT INTO contents (merchant_id, ref, title, content_type, size, sealed, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (merchant_id, ref) DO UPDATE
           SET title = EXCLUDED.title, content_type = EXCLUDED.content_type, size = EXCLUDED.size,
               sealed = EXCLUDED.sealed, updated_at = EXCLUDED.updated_at
         RETURNING ${CONTENT_COLUMNS}, (xmax = 0) AS created`,
        [merchantId, key, title, contentType, bytes.length, seal(deps.sealingKey, data, associated(merchantId, key)), at],
      );
      const row = rows[0];
      if (row === undefined) throw new Error('The content upsert returned no row.');
      deps.log.info('content.stored', { merchant: merchantId, ref: key, size: bytes.length, created: row.created });
      return { content: toApiContent(row), created: row.created };
    },

    async get(merchantId, ref) {
      const { rows } = await deps.db.query<ContentRow>(`SELECT ${CONTENT_COLUMNS} FROM contents WHERE merchant_id = $1 AND ref = $2`, [
        merchantId,
        ref,
      ]);
      const row = rows[0];
      if (row === undefined) throw new ProblemError('content_unknown');
      return toApiContent(row);
    },

    async exists(merchantId, ref) {
      const { rows } = await deps.db.query('SELECT 1 FROM contents WHERE merchant_id = $1 AND ref = $2', [merchantId, ref]);
      return rows.length > 0;
    },

    async releasedAt(merchantId, ticketJti) {
      const { rows } = await deps.db.query<{ released_at: Date }>(
        'SELECT released_at FROM content_releases WHERE merchant_id = $1 AND ticket_jti = $2',
        [merchantId, ticketJti],
      );
      return rows[0]?.released_at;
    },

    async release(merchantId, ticketJti, ref) {
      const released = await withTransaction(deps.db, async (tx) => {
        const { rows: payments } = await tx.query<{ serial: string; status: string; reversed_at: Date | null }>(
          'SELECT serial, status, reversed_at FROM payments WHERE merchant_id = $1 AND ticket_jti = $2 FOR UPDATE',
          [merchantId, ticketJti],
        );
        const payment = payments[0];
        if (payment === undefined || payment.status !== 'authorised' || payment.reversed_at !== null) {
          throw new ProblemError('content_withheld');
        }
        const { rows: refunds } = await tx.query(
          "SELECT 1 FROM refunds WHERE merchant_id = $1 AND payment_serial = $2 AND status <> 'declined' LIMIT 1",
          [merchantId, payment.serial],
        );
        if (refunds.length > 0) throw new ProblemError('content_withheld', 'This payment was refunded: its digital good is not released.');
        const { rows: taken } = await tx.query(
          `INSERT INTO content_releases (merchant_id, ticket_jti, ref, released_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (merchant_id, ticket_jti) DO NOTHING RETURNING ticket_jti`,
          [merchantId, ticketJti, ref, now()],
        );
        if (taken.length === 0) throw new ProblemError('content_released');
        const { rows } = await tx.query<{ title: string; content_type: ReleasedContent['contentType']; sealed: string }>(
          'SELECT title, content_type, sealed FROM contents WHERE merchant_id = $1 AND ref = $2',
          [merchantId, ref],
        );
        const row = rows[0];
        if (row === undefined) throw new ProblemError('content_unknown');
        return {
          title: row.title,
          contentType: row.content_type,
          data: Buffer.from(unseal(deps.sealingKey, row.sealed, associated(merchantId, ref)), 'base64url'),
        };
      });
      deps.log.info('content.released', { merchant: merchantId, ticket: ticketJti, ref });
      return released;
    },
  };
}
