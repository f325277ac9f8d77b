import { bankAuthorisationKey } from '../acquirer/keys.js';
import type { AcquirerOperations } from '../acquirer/operations.js';
import type { BankMetadata, PurposeHandler } from '../acquirer/purposes.js';
import type { Sessions } from '../checkout/sessions.js';
import { customerBankRef } from '../customers/bank-ref.js';
import { bankClearing, releasePointsHold } from '../ledger/postings.js';
import type { Transaction } from '../storage/database.js';
import { type PaymentBooking, pointsToSpend } from './booking.js';
import type { OfferableMeans, PaymentAttempt } from './means.js';

export interface BankMeansDeps {
  booking: PaymentBooking;
  sessions: Sessions;
  /** The acquirers' recorded operations: routing, handover, reconciliation. */
  bank: AcquirerOperations<BankMetadata>;
}

/**
 * The acquirers: in the checkout's transaction the session moves to `pending_bank`; once
 * that has committed, the authorisation is recorded and sent to the acquirer its route
 * names (acquirer/routing.ts). Its answer, now or from reconciliation on any instance, is
 * booked by {@link checkoutHandler}. For a customer without a bank reference, or a payment
 * no acquirer takes, the bank is unable (`bank_declined`) before anything is sent.
 *
 * Loyalty points the customer chose to spend pay first: the acquirer is asked for the
 * rest only, and the points are held in the same transaction (`holdPoints`) until the
 * answer, so no other payment spends them meanwhile. Points that pay the whole amount
 * leave nothing to ask: the payment is booked at once, as the wallet books it, with
 * `funding: 'wallet'`, so no bank operation (capture, void, refund) is ever expected for it.
 * @example const bank = bankMeans({ booking, sessions, bank: operations })
 */
export function bankMeans(deps: BankMeansDeps): OfferableMeans {
  /**
   * What the acquirer would be asked: the amount less the points the customer spends, and
   * the customer's bank reference when an acquirer takes that amount (else undefined).
   */
  async function request(tx: Transaction, attempt: PaymentAttempt) {
    const { claims } = attempt.session.ticket;
    const points = await pointsToSpend(tx, attempt);
    const amount = claims.amount - Number(points);
    const routed = deps.bank.route({ currency: claims.currency, amount, merchantId: claims.iss }).length > 0;
    const bankRef = routed ? await customerBankRef(tx, attempt.customerId) : undefined;
    return { points, amount, bankRef: bankRef ?? undefined };
  }

  return {
    async available(tx, attempt) {
      const { amount, bankRef } = await request(tx, attempt);
      return amount === 0 || bankRef !== undefined;
    },
    async authorise(tx, attempt) {
      const { session, customerId, confirmation } = attempt;
      const { claims } = session.ticket;
      const { points, amount, bankRef } = await request(tx, attempt);
      if (amount === 0) return deps.booking.pay(tx, attempt, { funding: 'wallet', points });
      if (bankRef === undefined) return { result: 'unable', reason: 'bank_declined' };
      if (points > 0n) await deps.booking.holdPoints(tx, attempt, points);
      await deps.sessions.awaitBank(session.id, tx);
      return {
        result: 'sending',
        send: async () => {
          await deps.bank.authorise({
            idempotencyKey: bankAuthorisationKey(claims.iss, claims.jti),
            customerBankRef: bankRef,
            amount,
            currency: claims.currency,
            merchantId: claims.iss,
            description: `${claims.iss} ${claims.serial}`.slice(0, 200),
            metadata: {
              purpose: 'checkout',
              session: session.id,
              customer: customerId,
              method: confirmation.method,
              at: confirmation.at.getTime(),
              ...(confirmation.approval === undefined ? {} : { approval: confirmation.approval }),
            },
          });
        },
      };
    },
  };
}

/**
 * The handler of checkout authorisations: books the bank payment (bank clearing → till),
 * exactly once, in the transaction that settles the operation; or refuses the checkout.
 * Either way the points held for it are released first: an approval books them in the
 * payment's one transfer with the bank's part, a decline leaves them to the customer.
 * A session that is no longer `pending_bank` was settled by an earlier answer.
 */
export function checkoutHandler(deps: Pick<BankMeansDeps, 'booking' | 'sessions'>): PurposeHandler<'checkout'> {
  async function waiting(tx: Transaction, sessionId: string) {
    const session = await deps.sessions.load(sessionId, tx);
    return session?.state === 'pending_bank' ? session : undefined;
  }
  return {
    async approved(tx, operation, context) {
      const session = await waiting(tx, context.session);
      if (session === undefined) return;
      const { claims } = session.ticket;
      const confirmation = {
        method: context.method,
        at: new Date(context.at),
        ...(context.approval === undefined ? {} : { approval: context.approval }),
      };
      const attempt = { session, customerId: context.customer, confirmation };
      const account = await bankClearing(tx, claims.currency);
      const points = await releasePointsHold(tx, claims.iss, claims.jti);
      await deps.booking.pay(tx, attempt, { account, funding: 'bank', acquirer: operation.acquirer, points });
    },
    async declined(tx, _operation, context) {
      const session = await waiting(tx, context.session);
      if (session === undefined) return;
      await releasePointsHold(tx, session.ticket.claims.iss, session.ticket.claims.jti);
      await deps.booking.refuse(tx, session, 'pending_bank', 'bank_declined');
    },
  };
}
