import type { Queryable } from './database.js';

/** What a backup holds, as the operator checks it against what they expect. */
export interface BackupContents {
  payments: number;
  /** Ledger transfers: every movement of money, each with its postings. */
  transfers: number;
  auditBatches: number;
  /** The audit register's last sealed batch, as `audit verify --expected-head` takes it; null before the first. */
  auditHead: { seq: bigint; hash: string } | null;
}

/**
 * Counts what a payment server database holds, in one statement (one snapshot).
 * @example const { payments, auditHead } = await backupContents(db)
 */
export async function backupContents(db: Queryable): Promise<BackupContents> {
  const { rows } = await db.query<{
    payments: bigint;
    transfers: bigint;
    audit_batches: bigint;
    head_seq: bigint | null;
    head_hash: string | null;
  }>(
    `SELECT (SELECT count(*) FROM payments) AS payments,
            (SELECT count(*) FROM ledger_transfers) AS transfers,
            (SELECT count(*) FROM audit_batches) AS audit_batches,
            head.seq AS head_seq, head.hash AS head_hash
       FROM (SELECT 1) AS one
       LEFT JOIN (SELECT seq, hash FROM audit_batches ORDER BY seq DESC LIMIT 1) AS head ON true`,
  );
  const row = rows[0];
  if (row === undefined) throw new Error('backup: the count returned no row');
  return {
    payments: Number(row.payments),
    transfers: Number(row.transfers),
    auditBatches: Number(row.audit_batches),
    auditHead: row.head_seq === null || row.head_hash === null ? null : { seq: BigInt(row.head_seq), hash: row.head_hash },
  };
}
