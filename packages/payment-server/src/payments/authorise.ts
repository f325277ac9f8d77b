import type { RefusalReason, VoucherClaims } from '@caisse/protocol';
import type { ApprovedOperation, DeclinedOperation } from '../acquirer/model.js';
import type { AcquirerOperations } from '../acquirer/operations.js';
import type { CheckoutSession, Sessions } from '../checkout/sessions.js';
import { isLedgerError } from '../ledger/errors.js';
import { type Account, credit, debit, type LineInput } from '../ledger/model.js';
import { createLedger } from '../ledger/service.js';
import { enqueueNotification } from '../notifications/outbox.js';
import type { Database, Transaction } from '../storage/database.js';
import { closeRefused } from './refusal.js';
import { type TokenSigner, withResult } from './tokens.js';

/** The operator's own ledger owner id, for funding and clearing accounts. */
export const OPERATOR = 'operator';

export interface CeilingCheck {
  /** A refusal reason when this payment would pass one of the customer's ceilings, inside the payment's transaction. */
  check(tx: Transaction, customerId: string, currency: string, amount: bigint, at: Date): Promise<RefusalReason | undefined>;
}

export interface AuthoriseDeps {
  db: Database;
  sessions: Sessions;
  signer: TokenSigner;
  /** The customer's stable id for one merchant (the voucher `sub`). */
  pairwiseSubject(customerId: string, merchantId: string): string;
  ceilings: CeilingCheck;
  /** Amounts below this (minor units) are paid from the wallet; at or above, through the bank. */
  walletThreshold(currency: string): number;
  /** Loyalty points per payment, in basis points of the amount. */
  loyaltyRate: number;
  /** The bank path: the acquirer's recorded operations and the customer's bank reference. Without it, bank amounts are declined. */
  bank?: { operations(): AcquirerOperations; customerBankRef(tx: Transaction, customerId: string): Promise<string | undefined> };
  now?: () => Date;
}

export type Outcome =
  | { result: 'paid'; serial: bigint; voucher: string; url: string }
  | { result: 'refused'; reason: RefusalReason }
  | { result: 'pending_bank' }
  | { result: 'busy' };

export interface Confirmation {
  method: VoucherClaims['confirmation']['method'];
  at: Date;
}

/** What the bank operation carries back to the hooks that book it. */
interface BankContext {
  session: string;
  customer: string;
  method: Confirmation['method'];
  at: number;
}

/**
 * Authorises the ticket of a checkout session for an identified customer. Every
 * movement of money happens in one database transaction with the payment record, the
 * voucher and the closing of the session, keyed by the ticket, so one ticket moves money
 * at most once whatever happens around it:
 * - below the wallet threshold: debit the wallet, credit the merchant till (plus loyalty
 *   points), in the same transaction as everything else;
 * - at or above it: the bank operation is recorded and sent under an idempotency key,
 *   and the money is booked by the acquirer's `onApproved` hook — exactly once, whether
 *   the answer comes now, after a retry, or from reconciliation on another instance.
 */
export function createAuthoriser(deps: AuthoriseDeps) {
  const now = deps.now ?? (() => new Date());

  async function refuse(
    tx: Transaction,
    session: CheckoutSession,
    from: 'authorising' | 'pending_bank',
    reason: RefusalReason,
  ): Promise<Outcome> {
    await closeRefused(tx, deps.sessions, session, [from], 'refused', reason, now());
    return { result: 'refused', reason };
  }

  /** Credits the till (or holds the money for a deferred ticket) from `source`, with loyalty points; returns the register serial and status. */
  async function book(
    tx: Transaction,
    session: CheckoutSession,
    customerId: string,
    source: Account,
  ): Promise<{ serial: bigint; status: VoucherClaims['status'] }> {
    const { claims, sha256 } = session.ticket;
    const ledger = createLedger(tx);
    const amount = BigInt(claims.amount);
    const till = await ledger.openAccount({ type: 'merchant_till', ownerId: claims.iss, currency: claims.currency });
    const idempotencyKey = `ticket:${claims.iss}:${claims.jti}`;
    const metadata = { merchant: claims.iss, ticket: claims.jti, serial: claims.serial, customer: customerId };
    if (claims.fulfilment === 'deferred') {
      await ledger.createPending({
        idempotencyKey,
        requestHash: sha256,
        lines: [debit(source.id, amount), credit(till.id, amount)],
        metadata,
      });
      return { serial: await ledger.nextRegisterSerial(), status: 'held' };
    }
    const lines: LineInput[] = [debit(source.id, amount), credit(till.id, amount)];
    const points = (amount * BigInt(deps.loyaltyRate)) / 10_000n;
    if (points > 0n) {
      const loyalty = await ledger.openAccount({ type: 'loyalty', ownerId: customerId, currency: claims.currency });
      const funding = await ledger.openAccount({ type: 'loyalty_funding', ownerId: OPERATOR, currency: claims.currency });
      lines.push(debit(funding.id, points), credit(loyalty.id, points));
    }
    const moved = await ledger.transfer({ idempotencyKey, requestHash: sha256, lines, metadata });
    return { serial: moved.serial, status: 'authorised' };
  }

  /** Stores the payment with its voucher and closes the session as paid. */
  async function recordPayment(
    tx: Transaction,
    session: CheckoutSession,
    customerId: string,
    confirmation: Confirmation,
    booked: { serial: bigint; status: VoucherClaims['status']; funding?: VoucherClaims['funding'] },
  ): Promise<Outcome> {
    const { ticket } = session;
    const { claims } = ticket;
    const voucher = await deps.signer.voucher(
      {
        ticket,
        serial: booked.serial,
        status: booked.status,
        ...(booked.funding === undefined ? {} : { funding: booked.funding }),
        sub: deps.pairwiseSubject(customerId, claims.iss),
        confirmation: { method: confirmation.method, at: Math.floor(confirmation.at.getTime() / 1000) },
        // What the customer agreed to share on the hosted page (checkout/shared.ts), stored with the session.
        ...(session.shared === null ? {} : { shared: session.shared }),
      },
      tx,
    );
    await tx.query(
      `INSERT INTO payments (serial, merchant_id, ticket_jti, ticket_sha256, order_serial, customer_id, amount, vat, currency, funding, status, voucher, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        booked.serial,
        claims.iss,
        claims.jti,
        ticket.sha256,
        claims.serial,
        customerId,
        claims.amount,
        claims.vat,
        claims.currency,
        booked.funding ?? null,
        booked.status,
        voucher.token,
        now(),
      ],
    );
    // Notification outbox (notifications/): the payment, in its own transaction. An
    // authentication (amount 0) moves no money and has no notification event.
    if (booked.status === 'authorised' || booked.status === 'held') {
      await enqueueNotification(tx, {
        merchantId: claims.iss,
        notifyUrl: claims.notifyUrl,
        at: now(),
        content: {
          event: booked.status === 'held' ? 'payment.held' : 'payment.authorised',
          payment: {
            id: booked.serial.toString(),
            ticket: { jti: claims.jti, sha256: ticket.sha256 },
            serial: claims.serial,
            amount: claims.amount,
            currency: claims.currency,
            status: booked.status,
            ...(booked.funding === undefined ? {} : { funding: booked.funding }),
          },
        },
      });
    }
    await tx.query(`UPDATE checkout_sessions SET state = 'paid', customer_id = $2, updated_at = $3 WHERE id = $1`, [
      session.id,
      customerId,
      now(),
    ]);
    return {
      result: 'paid',
      serial: booked.serial,
      voucher: voucher.token,
      url: withResult(claims.returnUrl, 'caisse_voucher', voucher.token),
    };
  }

  /** Serialises this customer's payments only (never a merchant's), so ceilings and the wallet floor hold under concurrency. */
  async function lockCustomer(tx: Transaction, customerId: string, currency: string, amount: bigint): Promise<RefusalReason | undefined> {
    await tx.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
    return deps.ceilings.check(tx, customerId, currency, amount, now());
  }

  async function payFromWallet(
    tx: Transaction,
    session: CheckoutSession,
    customerId: string,
    confirmation: Confirmation,
  ): Promise<Outcome> {
    const { claims } = session.ticket;
    const wallet = await createLedger(tx).findAccount('customer_wallet', customerId, claims.currency);
    if (wallet === undefined) return refuse(tx, session, 'authorising', 'insufficient_funds');
    try {
      const booked = await book(tx, session, customerId, wallet);
      return await recordPayment(tx, session, customerId, confirmation, { ...booked, funding: 'wallet' });
    } catch (error) {
      if (isLedgerError(error, 'insufficient_funds')) return refuse(tx, session, 'authorising', 'insufficient_funds');
      throw error;
    }
  }

  async function bankContext(tx: Transaction, operation: ApprovedOperation | DeclinedOperation) {
    const context = operation.metadata as unknown as BankContext;
    const session = await deps.sessions.load(context.session, tx);
    return session?.state === 'pending_bank' ? { session, context } : undefined;
  }

  return {
    /**
     * @example const outcome = await authoriser.authorise(session, customerId, { method: 'access_key', at: new Date() })
     */
    async authorise(session: CheckoutSession, customerId: string, confirmation: Confirmation): Promise<Outcome> {
      const { claims } = session.ticket;
      const amount = BigInt(claims.amount);
      const viaBank = claims.amount >= deps.walletThreshold(claims.currency);
      const first = await deps.db.transaction(async (tx): Promise<Outcome | { result: 'bank'; bankRef: string }> => {
        const change = session.shared === null ? { customerId } : { customerId, shared: session.shared };
        if (!(await deps.sessions.move(session.id, ['identifying', 'confirming'], 'authorising', change, tx))) return { result: 'busy' };
        if (claims.amount === 0) {
          const serial = await createLedger(tx).nextRegisterSerial();
          return recordPayment(tx, session, customerId, confirmation, { serial, status: 'authenticated' });
        }
        const ceiling = await lockCustomer(tx, customerId, claims.currency, amount);
        if (ceiling) return refuse(tx, session, 'authorising', ceiling);
        if (!viaBank) return payFromWallet(tx, session, customerId, confirmation);
        const bankRef = deps.bank ? await deps.bank.customerBankRef(tx, customerId) : undefined;
        if (!bankRef) return refuse(tx, session, 'authorising', 'bank_declined');
        await deps.sessions.move(session.id, ['authorising'], 'pending_bank', {}, tx);
        return { result: 'bank', bankRef };
      });
      if (first.result !== 'bank' || !deps.bank) return first as Outcome;

      const context: BankContext = {
        session: session.id,
        customer: customerId,
        method: confirmation.method,
        at: confirmation.at.getTime(),
      };
      await deps.bank.operations().authorise({
        idempotencyKey: `acq:authorise:${claims.iss}:${claims.jti}`,
        customerBankRef: first.bankRef,
        amount: claims.amount,
        currency: claims.currency,
        merchantId: claims.iss,
        description: `${claims.iss} ${claims.serial}`.slice(0, 200),
        metadata: { ...context },
      });
      const settled = await deps.sessions.load(session.id);
      if (settled?.state === 'refused') return { result: 'refused', reason: settled.refusalReason ?? 'bank_declined' };
      if (settled?.state !== 'paid') return { result: 'pending_bank' };
      const { rows } = await deps.db.query<{ serial: bigint; voucher: string }>(
        'SELECT serial, voucher FROM payments WHERE merchant_id = $1 AND ticket_jti = $2',
        [claims.iss, claims.jti],
      );
      const payment = rows[0];
      if (!payment) throw new Error(`Session ${session.id} is paid but has no payment.`);
      return {
        result: 'paid',
        serial: BigInt(payment.serial),
        voucher: payment.voucher,
        url: withResult(claims.returnUrl, 'caisse_voucher', payment.voucher),
      };
    },

    /** The acquirer's `onApproved` hook: books the bank payment, exactly once, in the transaction that settles the operation. */
    async onBankApproved(tx: Transaction, operation: ApprovedOperation): Promise<void> {
      const found = await bankContext(tx, operation);
      if (!found || operation.kind !== 'authorise') return;
      const { session, context } = found;
      const clearing = await createLedger(tx).openAccount({
        type: 'bank_clearing',
        ownerId: OPERATOR,
        currency: session.ticket.claims.currency,
      });
      const booked = await book(tx, session, context.customer, clearing);
      await recordPayment(
        tx,
        session,
        context.customer,
        { method: context.method, at: new Date(context.at) },
        { ...booked, funding: 'bank' },
      );
    },

    /** The acquirer's `onDeclined` hook. */
    async onBankDeclined(tx: Transaction, operation: DeclinedOperation): Promise<void> {
      const found = await bankContext(tx, operation);
      if (found && operation.kind === 'authorise') await refuse(tx, found.session, 'pending_bank', 'bank_declined');
    },
  };
}

export type Authoriser = ReturnType<typeof createAuthoriser>;
