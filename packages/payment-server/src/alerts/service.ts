import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import type { Executor } from '../storage/database.js';
import { ALERT_COLUMNS, type Alert, type AlertDetails, type AlertRow, type RaiseAlertInput, toAlert } from './model.js';

export interface AlertServiceDeps {
  /** Pass the open transaction of the event that raises the alert, so both commit together. */
  db: Executor;
  now?: () => Date;
  log?: Logger;
}

export interface ListAlertsOptions {
  /** Also list acknowledged alerts. Default false: open alerts only. */
  includeAcknowledged?: boolean;
  kind?: string;
  /** Default 100, at most 1000. */
  limit?: number;
}

export interface AlertService {
  /**
   * @throws ProblemError `request_invalid` (kind, subject or details malformed)
   * @example await createAlertService({ db: tx }).raise({ kind: 'account_locked', subject: customerId, details: { attempts: 5 } })
   */
  raise(input: RaiseAlertInput): Promise<Alert>;
  /** Oldest first. */
  list(options?: ListAlertsOptions): Promise<Alert[]>;
  /**
   * Marks an alert as seen. Acknowledging twice keeps the first time and operator.
   * @throws ProblemError `alert_unknown`
   */
  acknowledge(id: string, options?: { by?: string }): Promise<Alert>;
}

const KIND = /^[a-z][a-z0-9_.]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_DETAILS_LENGTH = 4_096;
const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT };

function invalid(path: string, message: string): ProblemError {
  return new ProblemError('request_invalid', `${path}: ${message}.`, { issues: [{ path, message }] });
}

function checkDetails(details: unknown): AlertDetails {
  if (details === undefined) return {};
  if (typeof details !== 'object' || details === null || Array.isArray(details)) throw invalid('details', 'must be an object');
  for (const [name, value] of Object.entries(details)) {
    const flat =
      value === null ||
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isSafeInteger(value));
    if (!flat) throw invalid(`details.${name}`, 'must be a string, a safe integer, a boolean or null');
  }
  if (JSON.stringify(details).length > MAX_DETAILS_LENGTH)
    throw invalid('details', `must be at most ${MAX_DETAILS_LENGTH} characters of JSON`);
  return details as AlertDetails;
}

function checkName(path: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255 || /\p{Cc}/u.test(value)) {
    throw invalid(path, 'must be 1–255 characters without control characters');
  }
  return value;
}

/**
 * @example
 * const alerts = createAlertService({ db, log });
 * for (const alert of await alerts.list()) console.log(alert.kind, alert.subject);
 * await alerts.acknowledge(alert.id, { by: 'ops@caisse' });
 */
export function createAlertService(deps: AlertServiceDeps): AlertService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? SILENT;

  return {
    async raise(input) {
      if (typeof input?.kind !== 'string' || !KIND.test(input.kind))
        throw invalid('kind', 'must be 1–64 characters of a-z 0-9 _ . starting with a letter');
      const subject = checkName('subject', input.subject);
      const details = checkDetails(input.details);
      const { rows } = await db.query<AlertRow>(
        `INSERT INTO alerts (kind, subject, details, created_at) VALUES ($1, $2, $3::text::jsonb, $4) RETURNING ${ALERT_COLUMNS}`,
        [input.kind, subject, JSON.stringify(details), now()],
      );
      const row = rows[0];
      if (row === undefined) throw new Error('alerts: INSERT … RETURNING returned no row');
      log.warn('alert.raised', { alertId: row.id, kind: row.kind, subject: row.subject });
      return toAlert(row);
    },

    async list(options = {}) {
      const limit = options.limit ?? 100;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw invalid('limit', 'must be an integer from 1 to 1000');
      if (options.kind !== undefined && !KIND.test(options.kind))
        throw invalid('kind', 'must be 1–64 characters of a-z 0-9 _ . starting with a letter');
      const { rows } = await db.query<AlertRow>(
        `SELECT ${ALERT_COLUMNS} FROM alerts
         WHERE ($1::boolean OR acknowledged_at IS NULL) AND ($2::text IS NULL OR kind = $2)
         ORDER BY created_at, id LIMIT $3`,
        [options.includeAcknowledged === true, options.kind ?? null, limit],
      );
      return rows.map(toAlert);
    },

    async acknowledge(id, options = {}) {
      if (typeof id !== 'string' || !UUID.test(id)) throw new ProblemError('alert_unknown');
      const by = options.by === undefined ? null : checkName('by', options.by);
      const { rows } = await db.query<AlertRow>(
        `UPDATE alerts SET acknowledged_at = coalesce(acknowledged_at, $2), acknowledged_by = CASE WHEN acknowledged_at IS NULL THEN $3 ELSE acknowledged_by END
         WHERE id = $1 RETURNING ${ALERT_COLUMNS}`,
        [id, now(), by],
      );
      const row = rows[0];
      if (row === undefined) throw new ProblemError('alert_unknown');
      log.info('alert.acknowledged', { alertId: row.id, kind: row.kind, by: row.acknowledged_by });
      return toAlert(row);
    },
  };
}
