import {
  type CustomerDispute,
  customerDispute,
  customerDisputes,
  DISPUTE_REASONS,
  type DisputeReason,
  parseMessage,
} from '@caisse/protocol';
import { parsedBody } from './http/send.js';

/**
 * A dispute of one of the customer's payments, as the phone shows it: the merchant
 * answers by `answerDueAt` (or the customer is refunded), then the operator decides.
 * Amounts in minor units.
 */
export interface Dispute extends Omit<CustomerDispute, 'openedAt' | 'answerDueAt' | 'resolvedAt'> {
  readonly openedAt: Date;
  readonly answerDueAt: Date;
  readonly resolvedAt: Date | null;
}

/**
 * What `account.openDispute` sends: the payment id (`pay_1042`, as the history's outcome
 * gives it), one of the protocol's reasons, the customer's own words (1–2000 characters).
 * @example const input: OpenDisputeInput = { payment: 'pay_1042', reason: 'not_received', message: 'Nothing came.' }
 */
export interface OpenDisputeInput {
  payment: string;
  reason: DisputeReason;
  message: string;
}

/** The dispute as the SDK gives it: the protocol's message, its instants as `Date`s. */
export function disputeWithDates(message: CustomerDispute): Dispute {
  return {
    ...message,
    openedAt: new Date(message.openedAt * 1000),
    answerDueAt: new Date(message.answerDueAt * 1000),
    resolvedAt: message.resolvedAt === null ? null : new Date(message.resolvedAt * 1000),
  };
}

/**
 * The body of `POST /device/disputes`, checked before anything is signed: a reason the
 * server does not know would only come back as `request_invalid`. A malformed input is
 * the app's mistake, not the customer's: a `TypeError`.
 */
export function disputeBody(input: OpenDisputeInput): string {
  if (typeof input?.payment !== 'string' || !/^pay_[1-9]\d{0,18}$/.test(input.payment))
    throw new TypeError('payment: must be a payment id such as pay_1042.');
  if (!DISPUTE_REASONS.includes(input.reason)) throw new TypeError(`reason: must be one of ${DISPUTE_REASONS.join(', ')}.`);
  if (typeof input.message !== 'string' || input.message.trim() === '') throw new TypeError('message: must not be empty.');
  return JSON.stringify({ payment: input.payment, reason: input.reason, message: input.message });
}

/** The answer of `POST /device/disputes`: the dispute opened, validated. */
export async function readDispute(response: Response): Promise<Dispute> {
  return disputeWithDates(await parsedBody(response, (body) => parseMessage(customerDispute, body)));
}

/** The answer of `GET /device/disputes`: the customer's disputes, newest first, validated. */
export async function readDisputes(response: Response): Promise<Dispute[]> {
  const { disputes } = await parsedBody(response, (body) => parseMessage(customerDisputes, body));
  return disputes.map(disputeWithDates);
}
