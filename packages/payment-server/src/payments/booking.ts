import type { RefusalReason, VoucherClaims } from '@caisse/protocol';
import { paymentId } from '@caisse/protocol';
import type { CheckoutSession, Sessions } from '../checkout/sessions.js';
import type { Account } from '../ledger/model.js';
import { bookPayment, holdPayment, holdPoints, spendablePoints, type TicketPayment } from '../ledger/postings.js';
import { createLedger } from '../ledger/service.js';
import type { OnSettled } from '../metrics/payments.js';
import { enqueueNotification } from '../notifications/outbox.js';
import type { Transaction } from '../storage/database.js';
import { type Outcome, type PaymentAttempt, paidOutcome } from './means.js';
import { closeRefused } from './refusal.js';
import { insertPayment } from './repository.js';
import type { TokenSigner } from './tokens.js';

export interface BookingDeps {
  sessions: Sessions;
  signer: TokenSigner;
  /** The customer's stable id for one merchant (the voucher `sub`). */
  pairwiseSubject(customerId: string, merchantId: string): string;
  /** Loyalty points per payment, in basis points of the amount. */
  loyaltyRate: number;
  /** Told of each checkout paid (or authenticated), from inside its transaction. */
  onSettled?: OnSettled;
  now?: () => Date;
}

/** Where a payment's money comes from, as the means that took it says. */
export interface Source {
  /** What pays the part the loyalty points do not: the customer's wallet, or bank clearing; none when the points pay it all. */
  readonly account?: Account;
  readonly funding: NonNullable<VoucherClaims['funding']>;
  /** The named acquirer, for a bank payment. */
  readonly acquirer?: string;
  /**
   * The loyalty points that pay part of the amount, when the means decided them already
   * (the bank held them while it answered). Absent: {@link pointsToSpend}, now.
   */
  readonly points?: bigint;
}

/**
 * The loyalty points a checkout spends: when the customer ticked "Use my loyalty points",
 * all they can spend now, up to the amount; otherwise none. Read in the payment's
 * transaction, under the customer's lock, and spent in it (or held, for the bank), so two
 * payments never spend the same points.
 * @example const points = await pointsToSpend(tx, attempt)
 */
export async function pointsToSpend(tx: Transaction, { session, customerId }: PaymentAttempt): Promise<bigint> {
  if (!session.usePoints) return 0n;
  const { claims } = session.ticket;
  const spendable = await spendablePoints(tx, customerId, claims.currency);
  const amount = BigInt(claims.amount);
  return spendable < amount ? spendable : amount;
}

function ticketPayment({ session, customerId, confirmation }: PaymentAttempt, points: bigint): TicketPayment {
  const { claims, sha256 } = session.ticket;
  return {
    merchantId: claims.iss,
    ticketJti: claims.jti,
    ticketSha256: sha256,
    orderSerial: claims.serial,
    customerId,
    amount: BigInt(claims.amount),
    points,
    currency: claims.currency,
    ...(confirmation.approval === undefined ? {} : { approval: confirmation.approval }),
  };
}

export interface PaymentBooking {
  /**
   * Books the loyalty points and the money from `source` for the rest to the merchant's
   * till, in one transfer (or holds them for a deferred ticket), stores the payment with
   * its voucher and its notification (both saying what the points paid), and closes the
   * session paid: all in `tx`, keyed by the ticket, so a ticket moves money at most once.
   * @throws LedgerError `insufficient_funds` from the source account
   */
  pay(tx: Transaction, attempt: PaymentAttempt, source: Source): Promise<Outcome>;
  /** Reserves `points` of the customer's loyalty while the bank answers (`holdPoints`); the answer releases them. */
  holdPoints(tx: Transaction, attempt: PaymentAttempt, points: bigint): Promise<void>;
  /** A ticket of amount 0: no money moves; the voucher proves who the customer is. */
  authenticate(tx: Transaction, attempt: PaymentAttempt): Promise<Outcome>;
  /** Closes the session refused, from `from`, and tells the merchant. */
  refuse(tx: Transaction, session: CheckoutSession, from: 'authorising' | 'pending_bank', reason: RefusalReason): Promise<Outcome>;
}

/**
 * What every means of payment does once it knows the money is there: the booking, the
 * payment record, the voucher and the session's close, in one transaction.
 * @example const booking = createPaymentBooking({ sessions, signer, pairwiseSubject, loyaltyRate: 100 })
 */
export function createPaymentBooking(deps: BookingDeps): PaymentBooking {
  const now = deps.now ?? (() => new Date());

  async function record(
    tx: Transaction,
    { session, customerId, confirmation }: PaymentAttempt,
    booked: {
      serial: bigint;
      status: Exclude<VoucherClaims['status'], 'granted'>;
      funding?: VoucherClaims['funding'];
      acquirer?: string;
      points?: bigint;
    },
  ): Promise<Outcome> {
    const { ticket } = session;
    const { claims } = ticket;
    const points = booked.points ?? 0n;
    const paidWithPoints = points > 0n ? { points: Number(points) } : {};
    const voucher = await deps.signer.voucher(
      {
        ticket,
        serial: booked.serial,
        status: booked.status,
        ...(booked.funding === undefined ? {} : { funding: booked.funding }),
        ...paidWithPoints,
        sub: deps.pairwiseSubject(customerId, claims.iss),
        confirmation: { method: confirmation.method, at: Math.floor(confirmation.at.getTime() / 1000) },
        // What the customer agreed to share on the hosted page (checkout/shared.ts), stored with the session.
        ...(session.shared === null ? {} : { shared: session.shared }),
      },
      tx,
    );
    await insertPayment(tx, {
      serial: booked.serial,
      merchantId: claims.iss,
      ticketJti: claims.jti,
      ticketSha256: ticket.sha256,
      orderSerial: claims.serial,
      customerId,
      amount: claims.amount,
      points,
      vat: claims.vat,
      currency: claims.currency,
      funding: booked.funding ?? null,
      status: booked.status,
      acquirer: booked.acquirer ?? null,
      voucher: voucher.token,
      createdAt: now(),
    });
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
            id: paymentId(booked.serial),
            ticket: { jti: claims.jti, sha256: ticket.sha256 },
            serial: claims.serial,
            amount: claims.amount,
            currency: claims.currency,
            status: booked.status,
            ...(booked.funding === undefined ? {} : { funding: booked.funding }),
            ...paidWithPoints,
          },
        },
      });
    }
    if (!(await deps.sessions.markPaid(session.id, customerId, tx))) throw new Error(`Session ${session.id} was paid twice.`);
    const outcome = booked.status === 'authenticated' ? 'authenticated' : 'paid';
    deps.onSettled?.({ key: session.id, outcome, means: booked.funding, startedAt: session.createdAt, at: now() });
    return paidOutcome(claims.returnUrl, booked.serial, voucher.token);
  }

  return {
    async pay(tx, attempt, source) {
      const { claims } = attempt.session.ticket;
      const payment = ticketPayment(attempt, source.points ?? (await pointsToSpend(tx, attempt)));
      const means = {
        funding: source.funding,
        points: payment.points,
        ...(source.acquirer === undefined ? {} : { acquirer: source.acquirer }),
      };
      if (claims.fulfilment === 'deferred') {
        await holdPayment(tx, payment, source.account);
        return record(tx, attempt, { serial: await createLedger(tx).nextRegisterSerial(), status: 'held', ...means });
      }
      const moved = await bookPayment(tx, payment, source.account, deps.loyaltyRate);
      return record(tx, attempt, { serial: moved.serial, status: 'authorised', ...means });
    },

    async holdPoints(tx, attempt, points) {
      await holdPoints(tx, ticketPayment(attempt, points));
    },

    async authenticate(tx, attempt) {
      return record(tx, attempt, { serial: await createLedger(tx).nextRegisterSerial(), status: 'authenticated' });
    },

    async refuse(tx, session, from, reason) {
      await closeRefused(tx, deps.sessions, session, [from], 'refused', reason, now());
      return { result: 'refused', reason };
    },
  };
}
