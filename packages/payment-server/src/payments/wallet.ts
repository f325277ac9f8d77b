import { isLedgerError } from '../ledger/errors.js';
import { createLedger } from '../ledger/service.js';
import type { PaymentBooking } from './booking.js';
import type { MeansOfPayment, Unable } from './means.js';

const SHORT: Unable = { result: 'unable', reason: 'insufficient_funds' };

/**
 * The customer's prepaid wallet: the payment is settled in the checkout's own
 * transaction, or the wallet is unable, `insufficient_funds` (the ledger's floor decides,
 * under the customer's lock), and the customer's plan says what comes next.
 * @example const wallet = walletMeans(booking)
 */
export function walletMeans(booking: PaymentBooking): MeansOfPayment {
  return {
    async authorise(tx, attempt) {
      const { claims } = attempt.session.ticket;
      const wallet = await createLedger(tx).findAccount('customer_wallet', attempt.customerId, claims.currency);
      if (wallet === undefined) return SHORT;
      try {
        return await booking.pay(tx, attempt, { account: wallet, funding: 'wallet' });
      } catch (error) {
        if (isLedgerError(error, 'insufficient_funds')) return SHORT;
        throw error;
      }
    },
  };
}
