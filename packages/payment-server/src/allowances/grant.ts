import type { Sessions } from '../checkout/sessions.js';
import { isLedgerError } from '../ledger/errors.js';
import { reserveAllowance } from '../ledger/postings.js';
import { createLedger } from '../ledger/service.js';
import type { Logger } from '../log.js';
import type { PaymentBooking } from '../payments/booking.js';
import { type Outcome, type PaymentAttempt, paidOutcome } from '../payments/means.js';
import type { TokenSigner } from '../payments/tokens.js';
import type { Transaction } from '../storage/database.js';
import { newAllowanceId } from './model.js';
import { periodEnd } from './periods.js';
import { announceAllowances } from './settle.js';

export interface AllowanceGrantDeps {
  sessions: Sessions;
  signer: TokenSigner;
  booking: Pick<PaymentBooking, 'refuse'>;
  /** The customer's stable id for one merchant (the voucher `sub`). */
  pairwiseSubject(customerId: string, merchantId: string): string;
  log?: Logger;
  now?: () => Date;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * Grants the allowance of a confirmed `allowance` ticket, in the checkout's transaction
 * (payments/authorise.ts calls it after the customer's ceilings passed for the maximum):
 * the maximum reserved from the customer's wallet, the allowance stored with its voucher
 * (`status: 'granted'`, `funding: 'allowance'`, its id and what is left), the session
 * closed paid. An allowance is confirmed on the phone with the PIN only, never with the
 * access key or a tap: a grant confirmed otherwise is refused `authentication_failed`; a
 * wallet that cannot hold the maximum back, `insufficient_funds` (the bank does not fund
 * allowances yet).
 * @example const outcome = await grant(tx, attempt)
 */
export function createAllowanceGrant(deps: AllowanceGrantDeps) {
  const now = deps.now ?? (() => new Date());

  return async function grant(tx: Transaction, attempt: PaymentAttempt): Promise<Outcome> {
    const { session, customerId, confirmation } = attempt;
    const { ticket } = session;
    const { claims } = ticket;
    const terms = claims.allowance;
    if (terms === undefined) throw new Error(`Ticket ${claims.jti} of kind allowance has no terms.`);
    if (confirmation.method !== 'device') return deps.booking.refuse(tx, session, 'authorising', 'authentication_failed');
    const wallet = await createLedger(tx).findAccount('customer_wallet', customerId, claims.currency);
    if (wallet === undefined) return deps.booking.refuse(tx, session, 'authorising', 'insufficient_funds');
    const id = newAllowanceId();
    const at = now();
    const expiresAt = new Date(terms.expiresAt * 1000);
    const period = terms.period ?? null;
    try {
      // The ledger writes in a savepoint of `tx`: a short wallet leaves the transaction usable for the refusal.
      await reserveAllowance(
        tx,
        { allowanceId: id, periodNo: 0, merchantId: claims.iss, customerId, currency: claims.currency, ticketSha256: ticket.sha256 },
        wallet,
        BigInt(claims.amount),
      );
    } catch (error) {
      if (!isLedgerError(error, 'insufficient_funds')) throw error;
      return deps.booking.refuse(tx, session, 'authorising', 'insufficient_funds');
    }
    const { rows } = await tx.query<{ serial: bigint }>(`SELECT nextval('ledger_register_serial') AS serial`);
    const serial = BigInt(rows[0]?.serial ?? 0);
    const voucher = await deps.signer.voucher(
      {
        ticket,
        serial,
        status: 'granted',
        funding: 'allowance',
        sub: deps.pairwiseSubject(customerId, claims.iss),
        confirmation: { method: confirmation.method, at: seconds(confirmation.at) },
        ...(session.shared === null ? {} : { shared: session.shared }),
        allowance: { id, remaining: claims.amount, expiresAt: terms.expiresAt },
      },
      tx,
    );
    await tx.query(
      `INSERT INTO allowances (id, merchant_id, customer_id, ticket_jti, ticket_sha256, currency, maximum, charge_cap, period, notify_url,
                               confirmed_at, granted_at, expires_at, period_start, period_end, serial, voucher)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12, $14, $15, $16)`,
      [
        id,
        claims.iss,
        customerId,
        claims.jti,
        ticket.sha256,
        claims.currency,
        claims.amount,
        terms.chargeCap ?? null,
        period,
        claims.notifyUrl ?? null,
        confirmation.at,
        at,
        expiresAt,
        periodEnd(at, period, 0, expiresAt),
        serial,
        voucher.token,
      ],
    );
    await announceAllowances(tx, customerId);
    if (!(await deps.sessions.markPaid(session.id, customerId, tx))) throw new Error(`Session ${session.id} was granted twice.`);
    deps.log?.info('allowance.granted', { allowance: id, merchant: claims.iss, maximum: claims.amount, currency: claims.currency });
    return paidOutcome(claims.returnUrl, serial, voucher.token);
  };
}

export type AllowanceGrant = ReturnType<typeof createAllowanceGrant>;
