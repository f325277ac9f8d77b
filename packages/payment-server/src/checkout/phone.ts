import type { ConfirmationRequest } from '@caisse/protocol';
import type { Customer } from '../customers/model.js';
import { approvedByTap } from '../customers/plan.js';
import type { PlanService } from '../customers/plans.js';
import type { CustomerService } from '../customers/service.js';
import { type Approval, approvalMethod, type Confirmations, type ConfirmationAnswer as PhoneAnswer } from '../devices/index.js';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import type { Notifier } from '../notifiers/notifier.js';
import type { Authoriser } from '../payments/authorise.js';
import { closeRefused } from '../payments/refusal.js';
import type { Database, Queryable, Transaction } from '../storage/database.js';
import { type CheckoutSession, OPEN_STATES, type Sessions } from './sessions.js';

export interface PhoneCheckoutDeps {
  db: Database;
  sessions: Sessions;
  authoriser: Authoriser;
  confirmations: Confirmations;
  customers: Pick<CustomerService, 'get'>;
  /** The customers' plans: whose tap threshold lets a request be approved without the PIN. */
  plans: Pick<PlanService, 'read'>;
  notifier: Notifier;
  log: Logger;
  /**
   * Requests the hosted pages may send one customer's phone in {@link REQUEST_WINDOW_MS}
   * without an approval, before they refuse to send more (0: no limit). Default 5.
   */
  requestLimit?: number;
  now?: () => Date;
}

const REQUEST_WINDOW_MS = 15 * 60_000;

export type StartResult =
  | { started: true; request: ConfirmationRequest }
  /** `no_device` covers unknown accounts too: the caller falls back to the access key either way. */
  | { started: false; reason: 'no_device' | 'locked' | 'busy' }
  /** Too many requests went to the phone recently without an approval (see `requestLimit`). */
  | { started: false; reason: 'too_many' };

class SessionMoved extends Error {}

/**
 * The approval or decline recorded on the session's confirmation request
 * (`confirmation_requests`, devices domain) with the hash of its signed answer as kept
 * (`confirmation_answers`): how the next look at a session finishes a payment whose
 * process died between the committed answer and the authorisation, exactly as it would
 * have.
 */
export async function committedAnswer(executor: Queryable, sessionId: string): Promise<PhoneAnswer | undefined> {
  const { rows } = await executor.query<{
    customer_id: string;
    state: 'approved' | 'declined';
    approval: Approval | null;
    answered_at: Date;
    token_sha256: string | null;
  }>(
    `SELECT r.customer_id, r.state, r.request->>'approval' AS approval, r.answered_at, a.token_sha256
       FROM confirmation_requests r LEFT JOIN confirmation_answers a ON a.request_id = r.id
      WHERE r.session_id = $1 AND r.state IN ('approved', 'declined') ORDER BY r.seq DESC LIMIT 1`,
    [sessionId],
  );
  const row = rows[0];
  return (
    row && {
      sessionId,
      customerId: row.customer_id,
      decision: row.state === 'approved' ? 'approve' : 'decline',
      method: approvalMethod(row.approval ?? undefined),
      at: row.answered_at,
      ...(row.token_sha256 === null ? {} : { tokenSha256: row.token_sha256 }),
    }
  );
}

/**
 * Checkout with a phone: a session moves `identifying → confirming` in the transaction
 * that creates its confirmation request; the phone's answer (committed by the devices
 * domain) authorises it or refuses it `customer_declined`; time running out refuses it
 * `confirmation_expired`; cancelling on the page closes the request. Any look at a
 * `confirming` session ({@link PhoneCheckout.settle}) finishes what a crash left undone:
 * authorising is idempotent by ticket, and every move is compare-and-set.
 * @example const phone = createPhoneCheckout({ db, sessions, authoriser, confirmations, customers, plans, notifier, log })
 */
export function createPhoneCheckout(deps: PhoneCheckoutDeps) {
  const now = deps.now ?? (() => new Date());
  const requestLimit = deps.requestLimit ?? 5;

  async function tell(customer: Customer, request: ConfirmationRequest): Promise<void> {
    try {
      await deps.notifier.confirmationRequested(customer, request);
    } catch (error) {
      deps.log.warn('notifier.failed', {
        kind: 'confirmation_request',
        customerId: customer.id,
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
  }

  async function find(customerId: string): Promise<Customer | undefined> {
    try {
      return await deps.customers.get(customerId);
    } catch (error) {
      if (error instanceof ProblemError && error.code === 'customer_unknown') return undefined;
      throw error;
    }
  }

  async function reload(session: CheckoutSession): Promise<CheckoutSession> {
    return (await deps.sessions.load(session.id)) ?? session;
  }

  const phone = {
    /**
     * Sends the session's confirmation request to the customer's phone, or says why not.
     * Takes the customer when the caller has already read it (by phone number), else the
     * account id as typed (an unknown one is `no_device`, like a customer without one).
     */
    async start(session: CheckoutSession, who: Customer | string): Promise<StartResult> {
      const customer = typeof who === 'string' ? await find(who) : who;
      if (customer === undefined) return { started: false, reason: 'no_device' };
      const customerId = customer.id;
      if (customer.lockedAt !== null) {
        // Without a device the access key's path says it is locked; the phone's path says so only for a phone.
        return (await deps.confirmations.hasDevice(deps.db, customerId))
          ? { started: false, reason: 'locked' }
          : { started: false, reason: 'no_device' };
      }
      // Whoever knows an account id can send its phone a request; a flood of them is refused
      // before a tired customer approves one by mistake. The merchant API's decoupled flow
      // (startIn) is not counted: a merchant answers for its own requests.
      if (
        requestLimit > 0 &&
        (await deps.confirmations.unanswered(deps.db, customerId, new Date(now().getTime() - REQUEST_WINDOW_MS))) >= requestLimit &&
        (await deps.confirmations.hasDevice(deps.db, customerId))
      ) {
        deps.log.warn('checkout.phone_requests_limited', { session: session.id, customerId });
        return { started: false, reason: 'too_many' };
      }
      let result: StartResult;
      try {
        result = await deps.db.transaction((tx) => phone.startIn(tx, session, customer));
      } catch (error) {
        if (error instanceof SessionMoved) return { started: false, reason: 'busy' };
        throw error;
      }
      phone.announce(session, customer, result);
      return result;
    },

    /**
     * The transactional half of {@link start}, for a caller that opens the session in the
     * same transaction (the decoupled flow): opens the request and moves the session, or
     * `no_device`. Throws (rolling back) when the session has left `identifying`. Call
     * {@link announce} after the commit.
     */
    async startIn(tx: Transaction, session: CheckoutSession, customer: Customer): Promise<StartResult> {
      const { amount, currency } = session.ticket.claims;
      // The server decides, from the plan as it is now (the operator's cap applied), and stores it with the request.
      const { plan } = await deps.plans.read(tx, customer.id, currency);
      // An allowance pays many times on one approval: always the PIN.
      const kind = session.ticket.claims.kind;
      const approval: Approval = kind !== 'allowance' && approvedByTap(plan, BigInt(amount)) ? 'tap' : 'pin';
      const request = await deps.confirmations.open(tx, session, customer.id, approval);
      if (request === undefined) return { started: false, reason: 'no_device' };
      const expiresAt = new Date(request.expiresAt * 1000);
      const change = {
        customerId: customer.id,
        expiresAt,
        usePoints: session.usePoints,
        ...(session.shared === null ? {} : { shared: session.shared }),
      };
      if (!(await deps.sessions.awaitConfirmation(session.id, change, tx))) throw new SessionMoved();
      return { started: true, request };
    },

    /** Whether the customer has an active device, in the caller's transaction. */
    hasDevice: (executor: Queryable, customerId: string): Promise<boolean> => deps.confirmations.hasDevice(executor, customerId),

    /** After the commit: the log line and the notifier's nudge (the device stream already has the request, by NOTIFY at commit). */
    announce(session: CheckoutSession, customer: Customer, result: StartResult): void {
      if (!result.started) return;
      deps.log.info('checkout.confirming', { session: session.id, request: result.request.id });
      // Never holds the page or the merchant's call.
      void tell(customer, result.request);
    },

    /** The devices domain's `onAnswered`, called once the answer is committed (and again by {@link settle} after a crash). */
    async onAnswered(answer: PhoneAnswer): Promise<void> {
      const session = await deps.sessions.load(answer.sessionId);
      if (session?.state !== 'confirming' || session.customerId !== answer.customerId) return;
      if (answer.decision === 'approve') {
        // The approval's hash goes into the payment's ledger transfer, which the audit register seals.
        const confirmation = { method: answer.method, at: answer.at, ...(answer.tokenSha256 ? { approval: answer.tokenSha256 } : {}) };
        const outcome = await deps.authoriser.authorise(session, answer.customerId, confirmation);
        deps.log.info('checkout.authorised', {
          session: session.id,
          result: outcome.result,
          ...(outcome.result === 'refused' ? { reason: outcome.reason } : {}),
        });
        return;
      }
      await deps.db.transaction((tx) => closeRefused(tx, deps.sessions, session, ['confirming'], 'refused', 'customer_declined', now()));
      deps.log.info('checkout.declined', { session: session.id });
    },

    /**
     * Refuses a `confirming` session whose time ran out, `confirmation_expired`, and
     * closes its request — unless the phone's answer won the race for the request (both
     * are compare-and-set on its row: closing it waits for an answer being committed):
     * then nothing is expired and false is returned.
     */
    async expire(session: CheckoutSession): Promise<boolean> {
      return deps.db.transaction(async (tx) => {
        await deps.confirmations.close(tx, session.id, 'expired');
        if (await committedAnswer(tx, session.id)) return false;
        await closeRefused(tx, deps.sessions, session, ['confirming'], 'refused', 'confirmation_expired', now());
        return true;
      });
    },

    /** The customer cancels on the page: the session is `cancelled` and a request on the phone is closed. */
    async cancel(session: CheckoutSession): Promise<void> {
      await deps.db.transaction(async (tx) => {
        if (await closeRefused(tx, deps.sessions, session, ['confirming'], 'cancelled', 'customer_declined', now())) {
          await deps.confirmations.close(tx, session.id, 'cancelled');
          return;
        }
        await closeRefused(tx, deps.sessions, session, OPEN_STATES, 'cancelled', 'customer_declined', now());
      });
    },

    /**
     * The session as it now stands, after finishing any step that is due: an answer
     * committed but not acted on (a crash between the two), or a deadline passed.
     */
    async settle(session: CheckoutSession): Promise<CheckoutSession> {
      if (session.state !== 'confirming') return session;
      const answered = async () => {
        const answer = await committedAnswer(deps.db, session.id);
        if (answer) await phone.onAnswered(answer);
        return answer !== undefined;
      };
      if (await answered()) return reload(session);
      if (session.expiresAt <= now()) {
        if (!(await phone.expire(session))) await answered();
        return reload(session);
      }
      return session;
    },

    /** Settles every `confirming` session past its deadline; safe on every instance at once. */
    async settleDue(limit = 100): Promise<number> {
      const { rows } = await deps.db.query<{ id: string }>(
        `SELECT id FROM checkout_sessions WHERE state = 'confirming' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
        [now(), limit],
      );
      for (const { id } of rows) {
        const session = await deps.sessions.load(id);
        if (session) await phone.settle(session);
      }
      return rows.length;
    },
  };
  return phone;
}

export type PhoneCheckout = ReturnType<typeof createPhoneCheckout>;
