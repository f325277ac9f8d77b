import { DISPUTE_STATES, type Dispute, type DisputeState } from '@caisse/protocol';
import type { CallOptions, PostOptions } from './transport.js';

/**
 * What a merchant answers a dispute with: its account of the facts (1–4000 characters),
 * and for goods shipped, how to follow them. At most 16 KiB as JSON.
 * @example const evidence: DisputeAnswer = { text: 'Delivered on the 4th, signed for.', carrier: 'La Poste', trackingReference: 'LP123456789FR' }
 */
export interface DisputeAnswer {
  text: string;
  carrier?: string;
  trackingReference?: string;
  /** ISO 8601 with an offset. */
  deliveredAt?: string;
}

/** The client's dispute methods (`client.disputes`). */
export interface DisputeMethods {
  /**
   * `GET /v1/disputes[?state]`: your disputes, newest first (at most 100), in one state or all.
   * @example for (const dispute of await client.disputes.list({ state: 'awaiting_merchant' })) console.log(dispute.id, dispute.answerDueAt)
   */
  list(query?: { state?: DisputeState }, options?: CallOptions): Promise<Dispute[]>;
  /** `GET /v1/disputes/:id`: one of your disputes (`dispute_unknown` otherwise). */
  get(id: string, options?: CallOptions): Promise<Dispute>;
  /**
   * `POST /v1/disputes/:id/answer`: your evidence, once, before `answerDueAt` (after it the
   * dispute is decided for the customer: `dispute_not_awaiting_answer`). The operator then decides.
   * @example await client.disputes.answer(dispute.id, { text: 'Delivered on the 4th.', trackingReference: 'LP123456789FR' })
   */
  answer(id: string, evidence: DisputeAnswer, options?: PostOptions): Promise<Dispute>;
}

const DISPUTE_ID = /^dp_[A-Za-z0-9_-]{22}$/;

/** A dispute id as a path segment, checked here because `..` or `/` would reach another endpoint. */
function disputeSegment(method: string, id: string): string {
  if (typeof id !== 'string' || !DISPUTE_ID.test(id))
    throw new TypeError(`${method}: a dispute id is \`dp_\` and 22 base64url characters.`);
  return id;
}

/**
 * The dispute methods over the client's transport helpers.
 * @example const disputes = disputeMethods({ get, post })
 */
export function disputeMethods(send: {
  get: <T>(path: string, options?: CallOptions, query?: URLSearchParams) => Promise<T>;
  post: <T>(path: string, body: unknown, options?: PostOptions) => Promise<T>;
}): DisputeMethods {
  return {
    list: async (query = {}, callOptions) => {
      if (query.state !== undefined && !DISPUTE_STATES.includes(query.state))
        throw new TypeError(`disputes.list: state is one of ${DISPUTE_STATES.join(', ')}.`);
      const parameters = query.state === undefined ? undefined : new URLSearchParams({ state: query.state });
      return (await send.get<{ disputes: Dispute[] }>('/disputes', callOptions, parameters)).disputes;
    },
    get: async (id, callOptions) => send.get<Dispute>(`/disputes/${disputeSegment('disputes.get', id)}`, callOptions),
    answer: async (id, evidence, callOptions) =>
      send.post<Dispute>(`/disputes/${disputeSegment('disputes.answer', id)}/answer`, evidence, callOptions),
  };
}
