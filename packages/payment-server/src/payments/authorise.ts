import type { RefusalReason, VoucherClaims } from '@caisse/protocol';
import type { CheckoutSession } from '../checkout/sessions.js';
import { isLedgerError } from '../ledger/errors.js';
import { credit, debit } from '../ledger/model.js';
import { createLedger } from '../ledger/service.js';
import type { Database, Transaction } from '../storage/database.js';
import { type ReceivedTicket, type TokenSigner, withResult } from './tokens.js';

/** The operator's own ledger owner id, for funding and clearing accounts. */
export const OPERATOR = 'operator';

export interface CeilingCheck {
  /** A refusal reason when this payment would pass one of the customer's ceilings, inside the payment's transaction. */
  check(tx: Transaction, customerId: string, currency: string, amount: bigint, at: Date): Promise<RefusalReason | undefined>;
}

export interface AuthoriseDeps {
  db: Database;
  signer: TokenSigner;
  /** The customer's stable id for one merchant (the voucher `sub`). */
  pairwiseSubject(customerId: string, merchantId: string): string;
  ceilings: CeilingCheck;
  /** Amounts below this (minor units) are paid from the wallet; at or above, through the bank. */
  walletThreshold(currency: string): number;
  /** Loyalty points per payment, in basis points of the amount. */
  loyaltyRate: number;
  now?: () => Date;
}

export type Outcome =
  | { result: 'paid'; serial: bigint; voucher: string; url: string }
  | { result: 'refused'; reason: RefusalReason }
  | { result: 'busy' };

export interface Confirmation {
  method: VoucherClaims['confirmation']['method'];
  at: Date;
}

/**
 * Authorises the ticket of a checkout session for an identified customer and answers
 * with a signed voucher or refusal, all in one database transaction: the money moves,
 * the payment and its voucher are stored and the session is closed together, or not at
 * all. The ledger's idempotency key is the ticket, so one ticket moves money at most
 * once whatever happens around it.
 */
export function createAuthoriser(deps: AuthoriseDeps) {
  const now = deps.now ?? (() => new Date());

  async function refuse(tx: Transaction, session: CheckoutSession, reason: RefusalReason): Promise<Outcome> {
    await tx.query(
      `UPDATE checkout_sessions SET state = 'refused', refusal_reason = $2, updated_at = $3 WHERE id = $1 AND state = 'authorising'`,
      [session.id, reason, now()],
    );
    return { result: 'refused', reason };
  }

  async function moveWalletMoney(
    tx: Transaction,
    ticket: ReceivedTicket,
    customerId: string,
  ): Promise<{ serial: bigint; status: VoucherClaims['status'] } | RefusalReason> {
    const { claims } = ticket;
    const ledger = createLedger(tx);
    const amount = BigInt(claims.amount);
    const wallet = await ledger.findAccount('customer_wallet', customerId, claims.currency);
    if (wallet === undefined) return 'insufficient_funds';
    // Serialises this customer's payments only (never a merchant's), so ceilings hold under concurrency.
    await tx.query('SELECT 1 FROM ledger_balances WHERE account_id = $1 FOR UPDATE', [wallet.id]);
    const ceiling = await deps.ceilings.check(tx, customerId, claims.currency, amount, now());
    if (ceiling) return ceiling;

    const till = await ledger.openAccount({ type: 'merchant_till', ownerId: claims.iss, currency: claims.currency });
    const key = `ticket:${claims.iss}:${claims.jti}`;
    const metadata = { merchant: claims.iss, ticket: claims.jti, serial: claims.serial, customer: customerId };
    try {
      if (claims.fulfilment === 'deferred') {
        await ledger.createPending({
          idempotencyKey: key,
          requestHash: ticket.sha256,
          lines: [debit(wallet.id, amount), credit(till.id, amount)],
          metadata,
        });
        return { serial: await ledger.nextRegisterSerial(), status: 'held' };
      }
      const lines = [debit(wallet.id, amount), credit(till.id, amount)];
      const points = (amount * BigInt(deps.loyaltyRate)) / 10_000n;
      if (points > 0n) {
        const loyalty = await ledger.openAccount({ type: 'loyalty', ownerId: customerId, currency: claims.currency });
        const funding = await ledger.openAccount({ type: 'loyalty_funding', ownerId: OPERATOR, currency: claims.currency });
        lines.push(debit(funding.id, points), credit(loyalty.id, points));
      }
      const moved = await ledger.transfer({ idempotencyKey: key, requestHash: ticket.sha256, lines, metadata });
      return { serial: moved.serial, status: 'authorised' };
    } catch (error) {
      if (isLedgerError(error, 'insufficient_funds')) return 'insufficient_funds';
      throw error;
    }
  }

  return {
    /**
     * @example const outcome = await authoriser.authorise(session, customerId, { method: 'access_key', at: new Date() })
     */
    authorise(session: CheckoutSession, customerId: string, confirmation: Confirmation): Promise<Outcome> {
      const { ticket } = session;
      const { claims } = ticket;
      return deps.db.transaction(async (tx) => {
        const started = await tx.query(
          `UPDATE checkout_sessions SET state = 'authorising', customer_id = $2, updated_at = $3
            WHERE id = $1 AND state IN ('identifying', 'confirming')`,
          [session.id, customerId, now()],
        );
        if (started.rowCount !== 1) return { result: 'busy' };

        let serial: bigint;
        let status: VoucherClaims['status'] = 'authenticated';
        let funding: VoucherClaims['funding'];
        if (claims.amount === 0) {
          serial = await createLedger(tx).nextRegisterSerial();
        } else if (claims.amount < deps.walletThreshold(claims.currency)) {
          const moved = await moveWalletMoney(tx, ticket, customerId);
          if (typeof moved === 'string') return refuse(tx, session, moved);
          ({ serial, status } = moved);
          funding = 'wallet';
        } else {
          return refuse(tx, session, 'bank_declined');
        }

        const voucher = await deps.signer.voucher(
          {
            ticket,
            serial,
            status,
            ...(funding === undefined ? {} : { funding }),
            sub: deps.pairwiseSubject(customerId, claims.iss),
            confirmation: { method: confirmation.method, at: Math.floor(confirmation.at.getTime() / 1000) },
          },
          tx,
        );
        await tx.query(
          `INSERT INTO payments (serial, merchant_id, ticket_jti, ticket_sha256, order_serial, customer_id, amount, vat, currency, funding, status, voucher, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
          [
            serial,
            claims.iss,
            claims.jti,
            ticket.sha256,
            claims.serial,
            customerId,
            claims.amount,
            claims.vat,
            claims.currency,
            funding ?? null,
            status,
            voucher.token,
            now(),
          ],
        );
        await tx.query(`UPDATE checkout_sessions SET state = 'paid', updated_at = $2 WHERE id = $1`, [session.id, now()]);
        return { result: 'paid', serial, voucher: voucher.token, url: withResult(claims.returnUrl, 'caisse_voucher', voucher.token) };
      });
    },
  };
}

export type Authoriser = ReturnType<typeof createAuthoriser>;
