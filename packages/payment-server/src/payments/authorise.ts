import { type CheckoutSession, OFFER_LIFETIME, type Offer, type Sessions } from '../checkout/sessions.js';
import { type PaymentPlan, payingMeans } from '../customers/plan.js';
import type { PlanService } from '../customers/plans.js';
import type { Ceilings } from '../customers/service.js';
import type { Database, Transaction } from '../storage/database.js';
import type { PaymentBooking } from './booking.js';
import {
  type Confirmation,
  type MeansOfPayment,
  type OfferableMeans,
  type Outcome,
  type PaymentAttempt,
  paidOutcome,
  type Sending,
} from './means.js';
import { storedVoucher } from './repository.js';

export interface AuthoriseDeps {
  db: Database;
  sessions: Sessions;
  booking: PaymentBooking;
  /** The means a plan can name. */
  means: { readonly wallet: MeansOfPayment; readonly bank: OfferableMeans };
  /**
   * Grants the session allowance of a confirmed `allowance` ticket, in the payment's
   * transaction once its maximum passed the ceilings (allowances/grant.ts); without it,
   * allowance tickets are refused `ticket_invalid`.
   */
  grantAllowance?: (tx: Transaction, attempt: PaymentAttempt) => Promise<Outcome>;
  /** The customers' payment plans: which means pay an amount, in which order. */
  plans: Pick<PlanService, 'read'>;
  /** The ceiling the payment would pass, the plan's ceilings given, read in its transaction (the customers domain). */
  exceededCeiling(
    tx: Transaction,
    customerId: string,
    currency: string,
    amount: bigint,
    at: Date,
    ceilings: Ceilings,
  ): Promise<'day' | 'month' | undefined>;
  now?: () => Date;
}

/**
 * Authorises the ticket of a checkout session for an identified customer: one database
 * transaction moves the session to `authorising`, locks the customer, checks their
 * ceilings and hands the payment to the means of their payment plan, which settle it there
 * (the wallet) or return what to send once it has committed (an acquirer, whose answer is
 * booked by its handler). Every movement of money is keyed by the ticket, so one ticket
 * moves money at most once whatever happens around it.
 */
export function createAuthoriser(deps: AuthoriseDeps) {
  const now = deps.now ?? (() => new Date());

  /**
   * A quote is paid only while its price holds (its ticket's `exp`, no tolerance): after
   * it, the checkout asks the merchant again (checkout/routes.ts), never pays the old price.
   */
  const quoteRanOut = (claims: CheckoutSession['ticket']['claims']): boolean =>
    claims.quote !== undefined && now().getTime() >= claims.exp * 1000;

  /** Serialises this customer's payments only (never a merchant's), so ceilings and the wallet floor hold under concurrency. */
  async function lockCustomer(tx: Transaction, customerId: string): Promise<void> {
    await tx.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
  }

  /**
   * Tries the means of the customer's plan that pay this amount, in its order. A means
   * unable to pay changed nothing, so the next may: after a bank unable to take it, always;
   * after a short wallet, when the plan says the bank pays then. Otherwise a short wallet
   * with the bank still in the plan is offered to the customer on the checkout page, to
   * take in one step (a checkout without a browser is refused). When nothing pays, the
   * refusal gives the last reason; a plan with no means for the amount (the wallet only,
   * above its upper amount) is the customer's own no, `customer_declined`.
   */
  async function byPlan(tx: Transaction, attempt: PaymentAttempt, plan: PaymentPlan): Promise<Outcome | Sending> {
    const { session, confirmation } = attempt;
    const { claims } = session.ticket;
    let refusal: Parameters<PaymentBooking['refuse']>[3] = 'customer_declined';
    for (const name of payingMeans(plan, BigInt(claims.amount))) {
      // Only the bank comes after a short wallet.
      if (refusal === 'insufficient_funds' && !plan.bankWhenShort) {
        if (session.display === 'none' || !(await deps.means.bank.available(tx, attempt))) break;
        const given: Offer['confirmation'] = {
          method: confirmation.method,
          at: confirmation.at.getTime(),
          ...(confirmation.approval === undefined ? {} : { approval: confirmation.approval }),
        };
        const offer = { reason: refusal, means: ['bank' as const], confirmation: given };
        await deps.sessions.offerChoice(session.id, { offer, expiresAt: new Date(now().getTime() + OFFER_LIFETIME * 1000) }, tx);
        return { result: 'choosing' };
      }
      const outcome = await deps.means[name].authorise(tx, attempt);
      if (outcome.result !== 'unable') return outcome;
      refusal = outcome.reason;
    }
    return deps.booking.refuse(tx, attempt.session, 'authorising', refusal);
  }

  /** Runs the payment's transaction, then, for a means that answers from outside, sends it and reads where it stands. */
  async function settle(session: CheckoutSession, work: (tx: Transaction) => Promise<Outcome | Sending>): Promise<Outcome> {
    const first = await deps.db.transaction(work);
    if (first.result !== 'sending') return first;
    await first.send();
    return afterSending(session);
  }

  /**
   * Locks the customer, reads their plan and checks its ceilings at this instant: what
   * every payment passes before a means is tried. Undefined: the payment passes a ceiling.
   */
  async function planWithinCeilings(tx: Transaction, session: CheckoutSession, customerId: string): Promise<PaymentPlan | undefined> {
    const { claims } = session.ticket;
    await lockCustomer(tx, customerId);
    const { plan } = await deps.plans.read(tx, customerId, claims.currency);
    const ceilings = { daily: plan.dailyCeiling, monthly: plan.monthlyCeiling };
    return (await deps.exceededCeiling(tx, customerId, claims.currency, BigInt(claims.amount), now(), ceilings)) ? undefined : plan;
  }

  /** Where a payment that went outside stands once its means has sent it: settled by the answer, or still waiting. */
  async function afterSending(session: CheckoutSession): Promise<Outcome> {
    const { claims } = session.ticket;
    const settled = await deps.sessions.load(session.id);
    if (settled?.state === 'refused') return { result: 'refused', reason: settled.refusalReason ?? 'bank_declined' };
    if (settled?.state !== 'paid') return { result: 'pending_bank' };
    const payment = await storedVoucher(deps.db, session);
    return paidOutcome(claims.returnUrl, payment.serial, payment.voucher);
  }

  return {
    /**
     * @example const outcome = await authoriser.authorise(session, customerId, { method: 'access_key', at: new Date() })
     */
    async authorise(session: CheckoutSession, customerId: string, confirmation: Confirmation): Promise<Outcome> {
      const { claims } = session.ticket;
      const attempt = { session, customerId, confirmation };
      return settle(session, async (tx) => {
        // What the customer chose on the page is stored with the move, so a later step (an offer taken) reads it again.
        const change = { customerId, usePoints: session.usePoints, ...(session.shared === null ? {} : { shared: session.shared }) };
        if (!(await deps.sessions.startAuthorising(session.id, change, tx))) return { result: 'busy' };
        if (quoteRanOut(claims)) return deps.booking.refuse(tx, session, 'authorising', 'ticket_expired');
        if (claims.amount === 0) return deps.booking.authenticate(tx, attempt);
        const plan = await planWithinCeilings(tx, session, customerId);
        if (plan === undefined) return deps.booking.refuse(tx, session, 'authorising', 'ceiling_exceeded');
        if (claims.kind === 'allowance') {
          return deps.grantAllowance ? deps.grantAllowance(tx, attempt) : deps.booking.refuse(tx, session, 'authorising', 'ticket_invalid');
        }
        return byPlan(tx, attempt, plan);
      });
    },

    /**
     * The customer takes what a `choosing` session offers (the bank instead of a short
     * wallet), with the confirmation they gave for this payment. The ceilings are checked
     * again, at this instant, and the plan must still have the means for the amount.
     * @example const outcome = await authoriser.takeOffer(session, 'bank')
     */
    async takeOffer(session: CheckoutSession, means: 'bank'): Promise<Outcome> {
      const { offer, customerId } = session;
      if (session.state !== 'choosing' || offer === null || customerId === null || !offer.means.includes(means)) return { result: 'busy' };
      const given = offer.confirmation;
      const confirmation = {
        method: given.method,
        at: new Date(given.at),
        ...(given.approval === undefined ? {} : { approval: given.approval }),
      };
      const attempt = { session, customerId, confirmation };
      return settle(session, async (tx) => {
        if (!(await deps.sessions.takeOffer(session.id, tx))) return { result: 'busy' };
        if (quoteRanOut(session.ticket.claims)) return deps.booking.refuse(tx, session, 'authorising', 'ticket_expired');
        const plan = await planWithinCeilings(tx, session, customerId);
        if (plan === undefined) return deps.booking.refuse(tx, session, 'authorising', 'ceiling_exceeded');
        if (!payingMeans(plan, BigInt(session.ticket.claims.amount)).includes(means)) {
          return deps.booking.refuse(tx, session, 'authorising', offer.reason);
        }
        const outcome = await deps.means[means].authorise(tx, attempt);
        return outcome.result === 'unable' ? deps.booking.refuse(tx, session, 'authorising', outcome.reason) : outcome;
      });
    },
  };
}

export type Authoriser = ReturnType<typeof createAuthoriser>;
