import { bankAuthorisationKey } from '../acquirer/keys.js';
import type { AcquirerOperations } from '../acquirer/operations.js';
import type { BankMetadata, PurposeHandler } from '../acquirer/purposes.js';
import type { Sessions } from '../checkout/sessions.js';
import { customerBankRef } from '../customers/bank-ref.js';
import { bankClearing } from '../ledger/postings.js';
import type { Transaction } from '../storage/database.js';
import type { PaymentBooking } from './booking.js';
import type { MeansOfPayment } from './means.js';

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
 * @example const bank = bankMeans({ booking, sessions, bank: operations })
 */
export function bankMeans(deps: BankMeansDeps): MeansOfPayment {
  return {
    funding: 'bank',
    async authorise(tx, { session, customerId, confirmation }) {
      const { claims } = session.ticket;
      const bankRef = await customerBankRef(tx, customerId);
      const routed = deps.bank.route({ currency: claims.currency, amount: claims.amount, merchantId: claims.iss });
      if (!bankRef || routed.length === 0) return { result: 'unable', reason: 'bank_declined' };
      await deps.sessions.awaitBank(session.id, tx);
      return {
        result: 'sending',
        send: async () => {
          await deps.bank.authorise({
            idempotencyKey: bankAuthorisationKey(claims.iss, claims.jti),
            customerBankRef: bankRef,
            amount: claims.amount,
            currency: claims.currency,
            merchantId: claims.iss,
            description: `${claims.iss} ${claims.serial}`.slice(0, 200),
            metadata: {
              purpose: 'checkout',
              session: session.id,
              customer: customerId,
              method: confirmation.method,
              at: confirmation.at.getTime(),
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
      const attempt = { session, customerId: context.customer, confirmation: { method: context.method, at: new Date(context.at) } };
      const account = await bankClearing(tx, session.ticket.claims.currency);
      await deps.booking.pay(tx, attempt, { account, funding: 'bank', acquirer: operation.acquirer });
    },
    async declined(tx, _operation, context) {
      const session = await waiting(tx, context.session);
      if (session !== undefined) await deps.booking.refuse(tx, session, 'pending_bank', 'bank_declined');
    },
  };
}
