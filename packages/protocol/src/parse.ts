import type { z } from 'zod';
import { CaisseError, type ErrorCode, type Issue } from './errors.js';
import { assertTotals } from './items.js';
import { type TicketClaims, ticketClaims } from './messages/ticket.js';

function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.slice(0, 20).map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/**
 * Validates a value against a message schema and returns it typed, or throws a
 * {@link CaisseError} whose `issues` name every offending field (at most 20).
 * @example const claims = parseMessage(voucherClaims, payload, 'claims_invalid')
 */
export function parseMessage<S extends z.ZodType>(schema: S, value: unknown, code: ErrorCode = 'message_invalid'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = issuesOf(result.error);
  const first = issues[0];
  const where = first && first.path !== '' ? `${first.path}: ` : '';
  throw new CaisseError(
    code,
    `${code === 'claims_invalid' ? 'Invalid claims' : 'Invalid message'}: ${where}${first?.message ?? 'unknown problem'}.`,
    {
      issues,
    },
  );
}

/**
 * Validates ticket claims, then the rule that `amount` and `vat` are exactly the sums
 * of the items (`amount_mismatch`, `vat_mismatch`); an allowance's amount is its maximum,
 * which no items add up to.
 */
export function parseTicketClaims(value: unknown, code: ErrorCode = 'claims_invalid'): TicketClaims {
  const claims = parseMessage(ticketClaims, value, code);
  if (claims.kind !== 'allowance') assertTotals(claims.items, claims);
  return claims;
}
