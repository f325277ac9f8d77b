import type { SettlementReport } from './model.js';

/**
 * The columns of a settlement report in CSV, one row per currency. Amounts in minor units.
 * New columns are appended, never inserted, so a reader by position keeps working:
 * `allowances_count` and `allowances_amount` (charges under session allowances, by their
 * grouped remittances) came after `closing_balance`.
 */
export const SETTLEMENT_CSV_COLUMNS = [
  'merchant_id',
  'date',
  'currency',
  'period_from',
  'period_to',
  'opening_balance',
  'payments_count',
  'payments_amount',
  'escrow_releases_count',
  'escrow_releases_amount',
  'refunds_count',
  'refunds_amount',
  'other_count',
  'other_amount',
  'payout_id',
  'payout_status',
  'payout_amount',
  'payout_reference',
  'closing_balance',
  'allowances_count',
  'allowances_amount',
] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break; a leading =, +, - or @ is prefixed so spreadsheets do not run it. */
function field(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A settlement report as CSV (RFC 4180, CRLF line ends, a header row).
 * @example c.body(settlementCsv(report), 200, { 'content-type': 'text/csv; charset=utf-8' })
 */
export function settlementCsv(report: SettlementReport): string {
  const lines = [SETTLEMENT_CSV_COLUMNS.join(',')];
  for (const day of report.currencies) {
    lines.push(
      [
        report.merchantId,
        report.date,
        day.currency,
        day.period.from,
        day.period.to,
        day.openingBalance,
        day.payments.count,
        day.payments.amount,
        day.escrowReleases.count,
        day.escrowReleases.amount,
        day.refunds.count,
        day.refunds.amount,
        day.other.count,
        day.other.amount,
        day.payout.id,
        day.payout.status,
        day.payout.amount,
        day.payout.reference,
        day.closingBalance,
        day.allowances.count,
        day.allowances.amount,
      ]
        .map(field)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
