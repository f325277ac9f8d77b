import { isPaymentId, PAYMENT_ID_FORM, paymentSerial } from '@caisse/protocol';
import { z } from 'zod';
import { ProblemError } from '../http/problem.js';
import { parseInput } from '../merchants/input.js';

/** Payments per page of `GET /v1/payments`: 100 unless `limit` says otherwise, at most 500. */
export const LIST_LIMIT = { default: 100, max: 500 } as const;
/** The longest period one listing may cover, in days (a leap year). */
export const MAX_PERIOD_DAYS = 366;

const DAY = 86_400_000;
const PAYMENT_ID_MESSAGE = `must be a payment id: ${PAYMENT_ID_FORM} (the voucher's jti); to find a payment by your order serial, use /v1/payments/by-serial/{serial}`;
const PARAMETERS = ['from', 'to', 'limit', 'after'] as const;

export interface PaymentListQuery {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  limit: number;
  /** The register serial of the last payment of the previous page (its id, `nextAfter`, without `pay_`). */
  after?: bigint;
}

function invalid(path: string, message: string): ProblemError {
  return new ProblemError('request_invalid', `${path}: ${message}.`, { issues: [{ path, message }] });
}

/**
 * The register serial of a payment id from a path or query (`pay_1042` → 1042n). A bare
 * number is refused: it may just as well be an order serial, and answering for the payment
 * with that register serial would show or refund another order.
 * @throws ProblemError `request_invalid` naming `path`
 * @example parsePaymentId(c.req.param('id')) // 42n for 'pay_42'
 */
export function parsePaymentId(text: string | undefined, path = 'id'): bigint {
  const serial = text === undefined ? undefined : paymentSerial(text);
  if (serial === undefined) throw invalid(path, PAYMENT_ID_MESSAGE);
  return serial;
}

const dateTime = (name: string) =>
  z.iso.datetime({
    offset: true,
    error: (issue) =>
      issue.input === undefined
        ? 'is required'
        : `must be an ISO 8601 date and time with its time zone, such as 2026-01-01T00:00:00Z (${name})`,
  });

const listQuery = z
  .object({
    from: dateTime('inclusive'),
    to: dateTime('exclusive'),
    limit: z
      .string()
      .regex(/^[0-9]{1,6}$/, `must be a whole number from 1 to ${LIST_LIMIT.max}`)
      .transform(Number)
      .pipe(
        z.number().min(1, `must be a whole number from 1 to ${LIST_LIMIT.max}`).max(LIST_LIMIT.max, `must be at most ${LIST_LIMIT.max}`),
      )
      .optional(),
    after: z.string().refine(isPaymentId, PAYMENT_ID_MESSAGE).optional(),
  })
  .superRefine((query, ctx) => {
    const span = Date.parse(query.to) - Date.parse(query.from);
    if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (span > MAX_PERIOD_DAYS * DAY) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `must be at most ${MAX_PERIOD_DAYS} days after from; list a long period in parts`,
      });
    }
  });

/**
 * The query of `GET /v1/payments`: `from` and `to` required (ISO 8601 with a time zone,
 * `from` inclusive, `to` exclusive, `to` after `from`, at most {@link MAX_PERIOD_DAYS}
 * days apart), `limit` 1–500 (default 100), `after` a payment id. Each at most once; any other
 * parameter is refused, so a misspelt one cannot silently list something else.
 * @throws ProblemError `request_invalid` whose `issues` name each offending parameter
 * @example parseListQuery(c.req.queries())
 */
export function parseListQuery(query: Record<string, string[]>): PaymentListQuery {
  const single: Record<string, string> = {};
  const issues: { path: string; message: string }[] = [];
  for (const [name, values] of Object.entries(query)) {
    if (!(PARAMETERS as readonly string[]).includes(name)) {
      issues.push({ path: name, message: `is not a parameter of this endpoint (${PARAMETERS.join(', ')})` });
    } else if (values.length !== 1) issues.push({ path: name, message: 'must be given once' });
    else single[name] = values[0] as string;
  }
  const first = issues[0];
  if (first !== undefined) throw new ProblemError('request_invalid', `${first.path}: ${first.message}.`, { issues });

  const parsed = parseInput(listQuery, single);
  return {
    from: new Date(parsed.from),
    to: new Date(parsed.to),
    limit: parsed.limit ?? LIST_LIMIT.default,
    ...(parsed.after === undefined ? {} : { after: parsePaymentId(parsed.after, 'after') }),
  };
}
