import type { Executor, Transaction } from '../storage/database.js';
import { type Account, credit, debit, type LineInput, type PendingTransfer, type Transfer } from './model.js';
import { createLedger, type Ledger } from './service.js';

/**
 * Every movement of money the payment server makes, as a named posting over the ledger
 * service: each builds its lines, its metadata and its idempotency key here, and runs in
 * the executor it is given (the caller's transaction, so the money moves with the records
 * that explain it). The ledger's own errors come through unchanged (`insufficient_funds`,
 * `wallet_cap_exceeded`, `pending_already_resolved`, …): each caller maps them to its codes.
 * The README's "The payment core" lists them, with who calls each.
 */

/** The operator's own ledger owner id, for funding and clearing accounts. */
export const OPERATOR = 'operator';

/**
 * How each posting's idempotency key starts. The settlement tells a till's entries apart by
 * these prefixes in SQL (`settlement/service.ts`), so they are spelled here only.
 */
export const LEDGER_KEY_PREFIXES = {
  payment: 'ticket:',
  refund: 'refund:',
  payout: 'payout:',
  topUp: 'top_up:',
  walletCredit: 'wallet_credit:',
} as const;

/**
 * The key a ticket's payment moves (or is held) under: one movement per ticket.
 * @example paymentLedgerKey('bookshop', 'T-42') // 'ticket:bookshop:T-42'
 */
export function paymentLedgerKey(merchantId: string, ticketJti: string): string {
  return `${LEDGER_KEY_PREFIXES.payment}${merchantId}:${ticketJti}`;
}

/**
 * @example refundLedgerKey('bookshop', 'rf_x') // 'refund:bookshop:rf_x'
 */
export function refundLedgerKey(merchantId: string, refundId: string): string {
  return `${LEDGER_KEY_PREFIXES.refund}${merchantId}:${refundId}`;
}

/**
 * @example payoutLedgerKey('stl_x') // 'payout:stl_x'
 */
export function payoutLedgerKey(settlementId: string): string {
  return `${LEDGER_KEY_PREFIXES.payout}${settlementId}`;
}

/**
 * @example topUpLedgerKey('alice', 'tu_x') // 'top_up:alice:tu_x'
 */
export function topUpLedgerKey(customerId: string, topUpId: string): string {
  return `${LEDGER_KEY_PREFIXES.topUp}${customerId}:${topUpId}`;
}

/**
 * The operator's request key is namespaced by customer: two customers may be credited under the same one.
 * @example walletCreditLedgerKey('alice', 'first-credit') // 'wallet_credit:alice:first-credit'
 */
export function walletCreditLedgerKey(customerId: string, requestKey: string): string {
  return `${LEDGER_KEY_PREFIXES.walletCredit}${customerId}:${requestKey}`;
}

/**
 * The operator's bank clearing account in this currency: the source of a bank payment or a
 * top-up, the destination of a bank refund or a payout.
 * @example const clearing = await bankClearing(tx, 'EUR')
 */
export function bankClearing(executor: Executor, currency: string): Promise<Account> {
  return createLedger(executor).openAccount({ type: 'bank_clearing', ownerId: OPERATOR, currency });
}

function till(ledger: Ledger, merchantId: string, currency: string): Promise<Account> {
  return ledger.openAccount({ type: 'merchant_till', ownerId: merchantId, currency });
}

/** A ticket's payment as the ledger books it. */
export interface TicketPayment {
  merchantId: string;
  ticketJti: string;
  /** The SHA-256 of the ticket's exact bytes: part of what a replay under the same key must match. */
  ticketSha256: string;
  /** The merchant's order serial, from the ticket. */
  orderSerial: string;
  customerId: string;
  amount: bigint;
  currency: string;
}

function paymentTransfer(payment: TicketPayment, lines: LineInput[]) {
  return {
    idempotencyKey: paymentLedgerKey(payment.merchantId, payment.ticketJti),
    requestHash: payment.ticketSha256,
    lines,
    metadata: { merchant: payment.merchantId, ticket: payment.ticketJti, serial: payment.orderSerial, customer: payment.customerId },
  };
}

/** Loyalty points for a payment: `loyaltyRate` basis points of the amount, from the operator's loyalty funding. */
async function loyaltyGiven(ledger: Ledger, payment: TicketPayment, loyaltyRate: number): Promise<LineInput[]> {
  const points = (payment.amount * BigInt(loyaltyRate)) / 10_000n;
  if (points <= 0n) return [];
  const loyalty = await ledger.openAccount({ type: 'loyalty', ownerId: payment.customerId, currency: payment.currency });
  const funding = await ledger.openAccount({ type: 'loyalty_funding', ownerId: OPERATOR, currency: payment.currency });
  return [debit(funding.id, points), credit(loyalty.id, points)];
}

/**
 * Payment (wallet or bank): `source` (the customer's wallet, or {@link bankClearing} when the
 * bank approved) → the merchant's till, plus the loyalty points, under {@link paymentLedgerKey}.
 * @throws LedgerError `insufficient_funds` (the wallet), `wallet_cap_exceeded` (loyalty cap), `idempotency_conflict`
 * @example const moved = await bookPayment(tx, payment, wallet, 100)
 */
export async function bookPayment(tx: Transaction, payment: TicketPayment, source: Account, loyaltyRate: number): Promise<Transfer> {
  const ledger = createLedger(tx);
  const merchantTill = await till(ledger, payment.merchantId, payment.currency);
  const lines = [debit(source.id, payment.amount), credit(merchantTill.id, payment.amount)];
  return ledger.transfer(paymentTransfer(payment, [...lines, ...(await loyaltyGiven(ledger, payment, loyaltyRate))]));
}

/**
 * Hold (a deferred-delivery payment): the same movement as {@link bookPayment}, without
 * loyalty points, as a pending transfer until escrow releases or voids it.
 * @throws LedgerError `insufficient_funds`, `idempotency_conflict`
 * @example await holdPayment(tx, payment, wallet)
 */
export async function holdPayment(tx: Transaction, payment: TicketPayment, source: Account): Promise<PendingTransfer> {
  const ledger = createLedger(tx);
  const merchantTill = await till(ledger, payment.merchantId, payment.currency);
  return ledger.createPending(paymentTransfer(payment, [debit(source.id, payment.amount), credit(merchantTill.id, payment.amount)]));
}

/** The pending transfer of a held payment, found by its key. */
async function heldPaymentId(tx: Transaction, merchantId: string, ticketJti: string): Promise<string> {
  const key = paymentLedgerKey(merchantId, ticketJti);
  const { rows } = await tx.query<{ id: string }>('SELECT id FROM ledger_pending WHERE idempotency_key = $1', [key]);
  const id = rows[0]?.id;
  if (id === undefined) throw new Error(`The held payment ${key} has no pending transfer.`);
  return id;
}

/**
 * Release: posts a held payment's pending transfer, so the money reaches the till.
 * @throws LedgerError `pending_already_resolved` (details say how); Error when the payment was never held
 * @example const posted = await releaseHeldPayment(tx, 'bookshop', 'T-42')
 */
export async function releaseHeldPayment(tx: Transaction, merchantId: string, ticketJti: string): Promise<Transfer> {
  return createLedger(tx).postPending(await heldPaymentId(tx, merchantId, ticketJti));
}

/**
 * Void: voids a held payment's pending transfer, so the reservation on its source is released.
 * @throws LedgerError `pending_already_resolved` (details say how); Error when the payment was never held
 * @example await voidHeldPayment(tx, 'bookshop', 'T-42')
 */
export async function voidHeldPayment(tx: Transaction, merchantId: string, ticketJti: string): Promise<PendingTransfer> {
  return createLedger(tx).voidPending(await heldPaymentId(tx, merchantId, ticketJti));
}

export interface RefundPosting {
  merchantId: string;
  refundId: string;
  amount: bigint;
  currency: string;
  /** Where the money goes back: the customer's wallet, or {@link bankClearing} for a bank payment. */
  to: Account;
  /** The payment refunded, for the loyalty points to take back. */
  payment: {
    serial: bigint;
    ticketJti: string;
    customerId: string;
    amount: bigint;
    /** What its earlier refunds that succeeded add up to. */
    refundedBefore: bigint;
  };
}

/**
 * The loyalty points a refund takes back: the payment's points in proportion to what has
 * been refunded, counted over all its refunds so that the parts add up to the whole (a full
 * refund takes back every point). Never more than the customer still has.
 */
async function loyaltyTakenBack(ledger: Ledger, refund: RefundPosting): Promise<LineInput[]> {
  const { payment } = refund;
  const loyalty = await ledger.findAccount('loyalty', payment.customerId, refund.currency);
  if (loyalty === undefined) return [];
  const paid = await ledger.findTransfer(paymentLedgerKey(refund.merchantId, payment.ticketJti));
  const given = (paid?.lines ?? []).reduce((sum, line) => (line.accountId === loyalty.id ? sum + line.amount : sum), 0n);
  if (given <= 0n) return [];
  const before = payment.refundedBefore;
  const due = (given * (before + refund.amount)) / payment.amount - (given * before) / payment.amount;
  const { balance, pendingDebits } = await ledger.balance(loyalty.id);
  const available = balance - pendingDebits;
  // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.min refuses.
  const taken = due < available ? due : available;
  if (taken <= 0n) return [];
  const funding = await ledger.openAccount({ type: 'loyalty_funding', ownerId: OPERATOR, currency: refund.currency });
  return [debit(loyalty.id, taken), credit(funding.id, taken)];
}

/**
 * Refund: the merchant's till → `to`, with the loyalty points taken back, under {@link refundLedgerKey}.
 * @throws LedgerError `wallet_cap_exceeded` (the wallet would pass its cap), `idempotency_conflict`
 * @example const moved = await bookRefund(tx, { merchantId, refundId, amount, currency, to: wallet, payment })
 */
export async function bookRefund(tx: Transaction, refund: RefundPosting): Promise<Transfer> {
  const ledger = createLedger(tx);
  const merchantTill = await till(ledger, refund.merchantId, refund.currency);
  return ledger.transfer({
    idempotencyKey: refundLedgerKey(refund.merchantId, refund.refundId),
    lines: [debit(merchantTill.id, refund.amount), credit(refund.to.id, refund.amount), ...(await loyaltyTakenBack(ledger, refund))],
    metadata: { kind: 'refund', merchant: refund.merchantId, payment: refund.payment.serial.toString(), refund: refund.refundId },
  });
}

export interface PayoutPosting {
  settlementId: string;
  merchantId: string;
  /** The settled day, `YYYY-MM-DD`. */
  date: string;
  amount: bigint;
  currency: string;
}

/**
 * Payout (a settlement the bank paid): the merchant's till → bank clearing, under {@link payoutLedgerKey}.
 * @example const moved = await bookPayout(tx, { settlementId, merchantId, date: '2030-01-31', amount: 12_000n, currency: 'EUR' })
 */
export async function bookPayout(tx: Transaction, payout: PayoutPosting): Promise<Transfer> {
  const ledger = createLedger(tx);
  const merchantTill = await till(ledger, payout.merchantId, payout.currency);
  const clearing = await bankClearing(tx, payout.currency);
  return ledger.transfer({
    idempotencyKey: payoutLedgerKey(payout.settlementId),
    lines: [debit(merchantTill.id, payout.amount), credit(clearing.id, payout.amount)],
    metadata: { kind: 'payout', merchant: payout.merchantId, settlement: payout.settlementId, date: payout.date },
  });
}

export interface TopUpPosting {
  customerId: string;
  topUpId: string;
  amount: bigint;
  currency: string;
  wallet: Account;
}

/**
 * Top-up: bank clearing → the customer's wallet, pending until the bank answers (then
 * {@link bookTopUp} or {@link voidTopUp}); its credit counts against the wallet's cap at once.
 * @throws LedgerError `wallet_cap_exceeded`, `invalid_request` (amount)
 * @example const pending = await holdTopUp(tx, { customerId: 'alice', topUpId, amount: 2_000n, currency: 'EUR', wallet })
 */
export async function holdTopUp(tx: Transaction, topUp: TopUpPosting): Promise<PendingTransfer> {
  const clearing = await bankClearing(tx, topUp.currency);
  return createLedger(tx).createPending({
    idempotencyKey: topUpLedgerKey(topUp.customerId, topUp.topUpId),
    lines: [debit(clearing.id, topUp.amount), credit(topUp.wallet.id, topUp.amount)],
    metadata: { kind: 'top_up', customer: topUp.customerId, topUp: topUp.topUpId },
  });
}

/**
 * The bank approved the top-up: its pending transfer is posted.
 * @example const posted = await bookTopUp(tx, row.pending_id)
 */
export function bookTopUp(tx: Transaction, pendingId: string): Promise<Transfer> {
  return createLedger(tx).postPending(pendingId);
}

/**
 * The bank declined the top-up: its pending transfer is voided.
 * @example await voidTopUp(tx, row.pending_id)
 */
export function voidTopUp(tx: Transaction, pendingId: string): Promise<PendingTransfer> {
  return createLedger(tx).voidPending(pendingId);
}

export interface WalletCreditPosting {
  customerId: string;
  amount: bigint;
  currency: string;
  wallet: Account;
  /** The operator's key for this credit: the same key credits once. */
  requestKey: string;
  /** Owner of the `wallet_funding` account the money comes from. */
  operatorId: string;
}

/**
 * Wallet credit (the operator's `wallet credit`): wallet funding → the customer's wallet,
 * under {@link walletCreditLedgerKey}. Over a database rather than a transaction, it is a
 * transaction of its own.
 * @throws LedgerError `wallet_cap_exceeded`, `idempotency_conflict`
 * @example const moved = await bookWalletCredit(db, { customerId: 'alice', amount: 5_000n, currency: 'EUR', wallet, requestKey, operatorId: OPERATOR })
 */
export async function bookWalletCredit(executor: Executor, walletCredit: WalletCreditPosting): Promise<Transfer> {
  const ledger = createLedger(executor);
  const funding = await ledger.openAccount({ type: 'wallet_funding', ownerId: walletCredit.operatorId, currency: walletCredit.currency });
  return ledger.transfer({
    idempotencyKey: walletCreditLedgerKey(walletCredit.customerId, walletCredit.requestKey),
    lines: [debit(funding.id, walletCredit.amount), credit(walletCredit.wallet.id, walletCredit.amount)],
    metadata: { kind: 'wallet_credit', customer: walletCredit.customerId, currency: walletCredit.currency },
  });
}
