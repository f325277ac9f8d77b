import type { Queryable } from '../storage/database.js';

/** One broken ledger invariant, with the rows that show it. */
export interface InvariantFinding {
  invariant:
    | 'currency_unbalanced'
    | 'transfer_unbalanced'
    | 'balance_mismatch'
    | 'below_floor'
    | 'above_cap'
    | 'reservation_mismatch'
    | 'pending_resolved_twice'
    | 'posting_mismatch';
  detail: string;
}

export interface InvariantReport {
  ok: boolean;
  findings: InvariantFinding[];
}

/**
 * The checks, each a query returning the offending rows as `detail` text. They restate
 * what migration 0001 enforces, from the journal itself, so a test (or an operator after
 * an incident) can tell whether a crash or a race left anything behind.
 */
const CHECKS: readonly [InvariantFinding['invariant'], string][] = [
  // Sum of debits = sum of credits, per currency, over the whole journal.
  [
    'currency_unbalanced',
    `SELECT currency || ' sums to ' || sum(amount) AS detail FROM ledger_entries GROUP BY currency HAVING sum(amount) <> 0`,
  ],
  [
    'transfer_unbalanced',
    `SELECT 'transfer ' || serial || ' sums to ' || sum(amount) || ' ' || currency AS detail
       FROM ledger_entries GROUP BY serial, currency HAVING sum(amount) <> 0`,
  ],
  // A tracked account's balance row is the sum of its entries.
  [
    'balance_mismatch',
    `SELECT 'account ' || b.account_id || ' holds ' || b.balance || ', its entries sum to ' || coalesce(e.total, 0) AS detail
       FROM ledger_balances b
       LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_entries GROUP BY account_id) e ON e.account_id = b.account_id
      WHERE b.balance <> coalesce(e.total, 0)`,
  ],
  // No wallet below zero nor above its cap, counting what pending transfers reserve.
  [
    'below_floor',
    `SELECT 'account ' || account_id || ' balance ' || balance || ' pending debits ' || pending_debits AS detail
       FROM ledger_balances WHERE balance - pending_debits < 0 OR balance < 0`,
  ],
  [
    'above_cap',
    `SELECT 'account ' || account_id || ' balance ' || balance || ' pending credits ' || pending_credits || ' cap ' || cap AS detail
       FROM ledger_balances WHERE cap IS NOT NULL AND balance + pending_credits > cap`,
  ],
  // Reservations equal the lines of the pending transfers still open.
  [
    'reservation_mismatch',
    `SELECT 'account ' || b.account_id || ' reserves ' || b.pending_debits || '/' || b.pending_credits
            || ', open pending lines ' || coalesce(o.debits, 0) || '/' || coalesce(o.credits, 0) AS detail
       FROM ledger_balances b
       LEFT JOIN (
         SELECT l.account_id, sum(greatest(-l.amount, 0)) AS debits, sum(greatest(l.amount, 0)) AS credits
           FROM ledger_pending_lines l
          WHERE NOT EXISTS (SELECT 1 FROM ledger_pending_resolutions r WHERE r.pending_id = l.pending_id)
          GROUP BY l.account_id
       ) o ON o.account_id = b.account_id
      WHERE b.pending_debits <> coalesce(o.debits, 0) OR b.pending_credits <> coalesce(o.credits, 0)`,
  ],
  // Each pending transfer resolved at most once, and posted by exactly one transfer when posted.
  [
    'pending_resolved_twice',
    `SELECT 'pending ' || pending_id || ' has ' || count(*) || ' resolutions' AS detail
       FROM ledger_pending_resolutions GROUP BY pending_id HAVING count(*) > 1`,
  ],
  [
    'posting_mismatch',
    `SELECT 'pending ' || r.pending_id || ' is ' || r.outcome || ' with ' || count(t.serial) || ' posting transfer(s)' AS detail
       FROM ledger_pending_resolutions r LEFT JOIN ledger_transfers t ON t.pending_id = r.pending_id
      GROUP BY r.pending_id, r.outcome
     HAVING (r.outcome = 'posted') <> (count(t.serial) = 1) OR (r.outcome = 'voided' AND count(t.serial) > 0)`,
  ],
];

/**
 * Checks the ledger's invariants over the whole journal: debits equal credits per
 * currency and per transfer, tracked balances equal their entries, no wallet below zero
 * or above its cap, reservations equal the open pending lines, each pending transfer
 * resolved at most once (and posted by exactly one transfer). Read-only; run it in a
 * repeatable-read transaction to see one snapshot.
 * @example expect(await checkLedgerInvariants(db)).toEqual({ ok: true, findings: [] })
 */
export async function checkLedgerInvariants(db: Queryable): Promise<InvariantReport> {
  const findings: InvariantFinding[] = [];
  for (const [invariant, sql] of CHECKS) {
    const { rows } = await db.query<{ detail: string }>(sql);
    for (const row of rows) findings.push({ invariant, detail: row.detail });
  }
  return { ok: findings.length === 0, findings };
}
