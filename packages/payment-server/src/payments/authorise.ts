import type { CheckoutSession, Sessions } from '../checkout/sessions.js';
import { type PlanMeans, payingMeans } from '../customers/plan.js';
import type { PlanService } from '../customers/plans.js';
import type { Database, Transaction } from '../storage/database.js';
import type { PaymentBooking } from './booking.js';
import { type Confirmation, type MeansOfPayment, type Outcome, type PaymentAttempt, paidOutcome, type Sending } from './means.js';
import { storedVoucher } from './repository.js';

export interface AuthoriseDeps {
  db: Database;
  sessions: Sessions;
  booking: PaymentBooking;
  /** The means a plan can name. */
  means: Readonly<Record<PlanMeans, MeansOfPayment>>;
  /** The customers' payment plans: which means pay an amount, in which order. */
  plans: Pick<PlanService, 'read'>;
  /** The ceiling the payment would pass, read in its transaction (the customers domain). */
  exceededCeiling(tx: Transaction, customerId: string, currency: string, amount: bigint, at: Date): Promise<'day' | 'month' | undefined>;
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

  /** Serialises this customer's payments only (never a merchant's), so ceilings and the wallet floor hold under concurrency. */
  async function lockCustomer(tx: Transaction, customerId: string): Promise<void> {
    await tx.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
  }

  /**
   * Tries the means of the customer's plan that pay this amount, in its order. A means
   * unable to pay changed nothing, so the next may: after a bank unable to take it, always;
   * after a short wallet, only when the plan says the bank pays then. When nothing pays,
   * the refusal gives the last reason; a plan with no means for the amount (the wallet
   * only, above its upper amount) is the customer's own no, `customer_declined`.
   */
  async function byPlan(tx: Transaction, attempt: PaymentAttempt): Promise<Outcome | Sending> {
    const { claims } = attempt.session.ticket;
    const { plan } = await deps.plans.read(tx, attempt.customerId, claims.currency);
    let refusal: Parameters<PaymentBooking['refuse']>[3] = 'customer_declined';
    for (const name of payingMeans(plan, BigInt(claims.amount))) {
      if (refusal === 'insufficient_funds' && !plan.bankWhenShort) break;
      const outcome = await deps.means[name].authorise(tx, attempt);
      if (outcome.result !== 'unable') return outcome;
      refusal = outcome.reason;
    }
    return deps.booking.refuse(tx, attempt.session, 'authorising', refusal);
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
      const first = await deps.db.transaction(async (tx): Promise<Outcome | Sending> => {
        const change = session.shared === null ? { customerId } : { customerId, shared: session.shared };
        if (!(await deps.sessions.startAuthorising(session.id, change, tx))) return { result: 'busy' };
        if (claims.amount === 0) return deps.booking.authenticate(tx, attempt);
        await lockCustomer(tx, customerId);
        if (await deps.exceededCeiling(tx, customerId, claims.currency, BigInt(claims.amount), now())) {
          return deps.booking.refuse(tx, session, 'authorising', 'ceiling_exceeded');
        }
        return byPlan(tx, attempt);
      });
      if (first.result !== 'sending') return first;
      await first.send();
      return afterSending(session);
    },
  };
}

export type Authoriser = ReturnType<typeof createAuthoriser>;
