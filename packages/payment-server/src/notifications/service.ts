import type { Logger } from '../log.js';
import type { Executor } from '../storage/database.js';
import { NotificationError } from './errors.js';
import { NOTIFICATION_COLUMNS, type NotificationRow, type NotificationStatus, type OutboxNotification, toNotification } from './model.js';
import { DEFAULT_RETRY_POLICY } from './schedule.js';

export interface NotificationServiceDeps {
  db: Executor;
  now?: () => Date;
  log?: Logger;
  /** How long a resent notification is retried before it is parked again, ms. Default 3 days. */
  windowMs?: number;
}

export interface ListNotificationsOptions {
  status?: NotificationStatus;
  merchantId?: string;
  /** Default 100, at most 1000. */
  limit?: number;
}

/** The operator's view of the outbox. Sending is the dispatcher's job (`createNotificationDispatcher`). */
export interface NotificationService {
  /**
   * Oldest first.
   * @throws NotificationError `request_invalid`
   * @example const parked = await notifications.list({ status: 'parked' })
   */
  list(options?: ListNotificationsOptions): Promise<OutboxNotification[]>;
  /** @throws NotificationError `notification_unknown` */
  get(id: string): Promise<OutboxNotification>;
  /**
   * Puts a parked notification back in the queue, due now, with a new retry window. Its
   * id (the `jti`) is unchanged, so a merchant that did process it acknowledges it as a duplicate.
   * @throws NotificationError `notification_unknown`, `notification_not_parked`
   * @example await notifications.resend('n_3q2…')
   */
  resend(id: string): Promise<OutboxNotification>;
}

const STATUSES: readonly NotificationStatus[] = ['pending', 'delivered', 'parked'];
const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT };

const RESEND = `
UPDATE notifications
   SET status = 'pending', parked_at = NULL, next_attempt_at = $2, retry_until = $3
 WHERE id = $1 AND status = 'parked'
RETURNING ${NOTIFICATION_COLUMNS}`;

/** @example const notifications = createNotificationService({ db }); for (const n of await notifications.list({ status: 'parked' })) … */
export function createNotificationService(deps: NotificationServiceDeps): NotificationService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? SILENT;
  const windowMs = deps.windowMs ?? DEFAULT_RETRY_POLICY.windowMs;

  async function find(id: string): Promise<NotificationRow | undefined> {
    if (typeof id !== 'string' || id.length > 64) return undefined;
    const { rows } = await db.query<NotificationRow>(`SELECT ${NOTIFICATION_COLUMNS} FROM notifications WHERE id = $1`, [id]);
    return rows[0];
  }

  return {
    async list(options = {}) {
      const limit = options.limit ?? 100;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
        throw new NotificationError('request_invalid', 'limit: must be an integer from 1 to 1000.');
      if (options.status !== undefined && !STATUSES.includes(options.status))
        throw new NotificationError('request_invalid', `status: must be one of ${STATUSES.join(', ')}.`);
      const { rows } = await db.query<NotificationRow>(
        `SELECT ${NOTIFICATION_COLUMNS} FROM notifications
          WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR merchant_id = $2)
          ORDER BY created_at, id LIMIT $3`,
        [options.status ?? null, options.merchantId ?? null, limit],
      );
      return rows.map(toNotification);
    },

    async get(id) {
      const row = await find(id);
      if (row === undefined) throw new NotificationError('notification_unknown', undefined, { details: { id: String(id).slice(0, 64) } });
      return toNotification(row);
    },

    async resend(id) {
      const at = now();
      const { rows } = await db.query<NotificationRow>(RESEND, [id, at, new Date(at.getTime() + windowMs)]);
      const resent = rows[0];
      if (resent === undefined) {
        const row = await find(id);
        if (row === undefined) throw new NotificationError('notification_unknown', undefined, { details: { id: String(id).slice(0, 64) } });
        throw new NotificationError('notification_not_parked', undefined, { details: { id: row.id, status: row.status } });
      }
      log.info('notification.resend', { notificationId: resent.id, merchantId: resent.merchant_id, eventType: resent.event });
      return toNotification(resent);
    },
  };
}
