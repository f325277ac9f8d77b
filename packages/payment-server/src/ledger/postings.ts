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
  pointsHold: 'points_hold:',
  refund: 'refund:',
  payout: 'payout:',
  topUp: 'top_up:',
  walletCredit: 'wallet_credit:',
  allowanceReserve: 'allowance_reserve:',
  allowanceRemittance: 'allowance:',
  disputeHold: 'dispute_hold:',
  disputeRelease: 'dispute_release:',
} as const;

/**
 * The key a ticket's payment moves (or is held) under: one movement per ticket.
 * @example paymentLedgerKey('bookshop', 'T-42') // 'ticket:bookshop:T-42'
 */
export function paymentLedgerKey(merchantId: string, ticketJti: string): string {
  return `${LEDGER_KEY_PREFIXES.payment}${merchantId}:${ticketJti}`;
}

/**
 * The key of the loyalty points a bank payment holds while the bank answers: one hold per ticket.
 * @example pointsHoldLedgerKey('bookshop', 'T-42') // 'points_hold:bookshop:T-42'
 */
export function pointsHoldLedgerKey(merchantId: string, ticketJti: string): string {
  return `${LEDGER_KEY_PREFIXES.pointsHold}${merchantId}:${ticketJti}`;
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
 * The key of the reservation of one period of an allowance: its maximum, pending.
 * @example allowanceReserveLedgerKey('al_x', 0) // 'allowance_reserve:al_x:0'
 */
export function allowanceReserveLedgerKey(allowanceId: string, periodNo: number): string {
  return `${LEDGER_KEY_PREFIXES.allowanceReserve}${allowanceId}:${periodNo}`;
}

/**
 * The key of the grouped remittance of one period of an allowance: one per period.
 * @example allowanceRemittanceLedgerKey('al_x', 0) // 'allowance:al_x:0'
 */
export function allowanceRemittanceLedgerKey(allowanceId: string, periodNo: number): string {
  return `${LEDGER_KEY_PREFIXES.allowanceRemittance}${allowanceId}:${periodNo}`;
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
  /** Of `amount`, what the customer's loyalty points pay (0n: none); the source pays the rest. */
  points: bigint;
  currency: string;
  /** The SHA-256 (base64url) of the phone's signed approval, when a phone approved: sealed with the transfer by the audit register. */
  approval?: string;
}

function paymentTransfer(payment: TicketPayment, lines: LineInput[]) {
  return {
    idempotencyKey: paymentLedgerKey(payment.merchantId, payment.ticketJti),
    requestHash: payment.ticketSha256,
    lines,
    metadata: {
      merchant: payment.merchantId,
      ticket: payment.ticketJti,
      serial: payment.orderSerial,
      customer: payment.customerId,
      ...(payment.approval === undefined ? {} : { approval: payment.approval }),
    },
  };
}

/** The line of an account that gains `amount`, or loses it when negative. */
function change(accountId: string, amount: bigint): LineInput {
  return amount > 0n ? credit(accountId, amount) : debit(accountId, -amount);
}

/**
 * The loyalty points a customer can spend now in this currency: the balance less what
 * pending transfers reserve (the points of a payment waiting for its bank, an escrow hold).
 * @example const points = await spendablePoints(tx, 'alice', 'EUR')
 */
export async function spendablePoints(executor: Executor, customerId: string, currency: string): Promise<bigint> {
  const ledger = createLedger(executor);
  const loyalty = await ledger.findAccount('loyalty', customerId, currency);
  return loyalty === undefined ? 0n : (await ledger.balance(loyalty.id)).available;
}

/**
 * The lines of a payment: `source` pays what the points do not, the till receives the
 * whole amount, and the customer earns `loyaltyRate` basis points of the part paid with
 * money only (points never earn points), from the operator's loyalty funding. The ledger
 * takes one line per account, so the loyalty account carries the points earned less the
 * points spent.
 */
async function paymentLines(
  ledger: Ledger,
  payment: TicketPayment,
  source: Account | undefined,
  loyaltyRate: number,
): Promise<LineInput[]> {
  const rest = payment.amount - payment.points;
  const merchantTill = await till(ledger, payment.merchantId, payment.currency);
  const lines = [credit(merchantTill.id, payment.amount)];
  if (rest > 0n) {
    if (source === undefined) throw new Error(`The payment of ticket ${payment.ticketJti} has ${rest} to pay and no source.`);
    lines.push(debit(source.id, rest));
  }
  const earned = (rest * BigInt(loyaltyRate)) / 10_000n;
  if (earned > 0n) {
    const funding = await ledger.openAccount({ type: 'loyalty_funding', ownerId: OPERATOR, currency: payment.currency });
    lines.push(debit(funding.id, earned));
  }
  const loyaltyChange = earned - payment.points;
  if (loyaltyChange !== 0n) {
    const loyalty = await ledger.openAccount({ type: 'loyalty', ownerId: payment.customerId, currency: payment.currency });
    lines.push(change(loyalty.id, loyaltyChange));
  }
  return lines;
}

/**
 * Payment (wallet or bank): the customer's loyalty points (`payment.points`) and `source`
 * (the customer's wallet, or {@link bankClearing} when the bank approved) for the rest →
 * the merchant's till, plus the loyalty points earned, in one transfer under
 * {@link paymentLedgerKey}. No source when the points pay the whole amount.
 * @throws LedgerError `insufficient_funds` (the wallet, or the loyalty points), `wallet_cap_exceeded` (loyalty cap), `idempotency_conflict`
 * @example const moved = await bookPayment(tx, payment, wallet, 100)
 */
export async function bookPayment(
  tx: Transaction,
  payment: TicketPayment,
  source: Account | undefined,
  loyaltyRate: number,
): Promise<Transfer> {
  const ledger = createLedger(tx);
  return ledger.transfer(paymentTransfer(payment, await paymentLines(ledger, payment, source, loyaltyRate)));
}

/**
 * Hold (a deferred-delivery payment): the same movement as {@link bookPayment}, points
 * included, without loyalty points earned, as a pending transfer until escrow releases
 * it (the points are spent) or voids it (they are the customer's again).
 * @throws LedgerError `insufficient_funds`, `idempotency_conflict`
 * @example await holdPayment(tx, payment, wallet)
 */
export async function holdPayment(tx: Transaction, payment: TicketPayment, source: Account | undefined): Promise<PendingTransfer> {
  const ledger = createLedger(tx);
  return ledger.createPending(paymentTransfer(payment, await paymentLines(ledger, payment, source, 0)));
}

/**
 * Points hold: the loyalty points a bank payment spends, reserved while the bank answers
 * (pending, customer loyalty → merchant till, under {@link pointsHoldLedgerKey}), so that
 * no other payment spends them meanwhile. The answer always voids it
 * ({@link releasePointsHold}): an approval then books the points in the payment's own
 * transfer (or hold), so a payment stays one transfer; a decline leaves them to the customer.
 * @throws LedgerError `insufficient_funds`, `idempotency_conflict`
 * @example await holdPoints(tx, { ...payment, points: 300n })
 */
export async function holdPoints(tx: Transaction, payment: TicketPayment): Promise<PendingTransfer> {
  const ledger = createLedger(tx);
  const loyalty = await ledger.openAccount({ type: 'loyalty', ownerId: payment.customerId, currency: payment.currency });
  const merchantTill = await till(ledger, payment.merchantId, payment.currency);
  return ledger.createPending({
    idempotencyKey: pointsHoldLedgerKey(payment.merchantId, payment.ticketJti),
    requestHash: payment.ticketSha256,
    lines: [debit(loyalty.id, payment.points), credit(merchantTill.id, payment.points)],
    metadata: { kind: 'points_hold', merchant: payment.merchantId, ticket: payment.ticketJti, customer: payment.customerId },
  });
}

/** The pending transfer made under `key`, if any. */
async function pendingId(tx: Transaction, key: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ id: string }>('SELECT id FROM ledger_pending WHERE idempotency_key = $1', [key]);
  return rows[0]?.id;
}

/** The pending transfer of a held payment, found by its key. */
async function heldPaymentId(tx: Transaction, merchantId: string, ticketJti: string): Promise<string> {
  const key = paymentLedgerKey(merchantId, ticketJti);
  const id = await pendingId(tx, key);
  if (id === undefined) throw new Error(`The held payment ${key} has no pending transfer.`);
  return id;
}

/**
 * The bank answered a payment: voids its {@link holdPoints} hold and returns the points it
 * held, 0n when it had none.
 * @throws LedgerError `pending_already_resolved` (the answer was already booked)
 * @example const points = await releasePointsHold(tx, 'bookshop', 'T-42')
 */
export async function releasePointsHold(tx: Transaction, merchantId: string, ticketJti: string): Promise<bigint> {
  const id = await pendingId(tx, pointsHoldLedgerKey(merchantId, ticketJti));
  if (id === undefined) return 0n;
  const voided = await createLedger(tx).voidPending(id);
  return voided.lines.reduce((points, line) => (line.amount > 0n ? points + line.amount : points), 0n);
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
  /**
   * Of `amount`, what goes back to the customer's loyalty account: the part of the payment
   * its points paid, refunded once its money part is (refunds/service.ts decides).
   */
  points: bigint;
  currency: string;
  /**
   * Where the rest goes back: the customer's wallet, or {@link bankClearing} for a bank
   * payment; none needed when the points are the whole refund.
   */
  to: Account | undefined;
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
 * The loyalty points a refund takes back: the points the payment earned (what the
 * operator's loyalty funding gave in its transfer; the loyalty account's own line there
 * nets the points spent) in proportion to what has been refunded, counted over all its
 * refunds so that the parts add up to the whole (a full refund takes back every point).
 * Never more than the customer has, counting the points this refund gives back.
 */
async function loyaltyTakenBack(ledger: Ledger, refund: RefundPosting): Promise<bigint> {
  const { payment } = refund;
  const funding = await ledger.findAccount('loyalty_funding', OPERATOR, refund.currency);
  const loyalty = await ledger.findAccount('loyalty', payment.customerId, refund.currency);
  if (funding === undefined || loyalty === undefined) return 0n;
  const paid = await ledger.findTransfer(paymentLedgerKey(refund.merchantId, payment.ticketJti));
  const given = (paid?.lines ?? []).reduce((sum, line) => (line.accountId === funding.id ? sum - line.amount : sum), 0n);
  if (given <= 0n) return 0n;
  const before = payment.refundedBefore;
  const due = (given * (before + refund.amount)) / payment.amount - (given * before) / payment.amount;
  const room = (await ledger.balance(loyalty.id)).available + refund.points;
  // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.min refuses.
  return due < room ? due : room;
}

/**
 * Refund: the merchant's till → `to` for the money part and → the customer's loyalty
 * account for `points`, with the loyalty points earned taken back, in one transfer under
 * {@link refundLedgerKey}. One line per account: the loyalty account carries the points
 * given back less those taken back.
 * @throws LedgerError `wallet_cap_exceeded` (the wallet would pass its cap), `idempotency_conflict`
 * @example const moved = await bookRefund(tx, { merchantId, refundId, amount, points: 0n, currency, to: wallet, payment })
 */
export async function bookRefund(tx: Transaction, refund: RefundPosting): Promise<Transfer> {
  const ledger = createLedger(tx);
  const merchantTill = await till(ledger, refund.merchantId, refund.currency);
  const money = refund.amount - refund.points;
  const lines = [debit(merchantTill.id, refund.amount)];
  if (money > 0n) {
    if (refund.to === undefined) throw new Error(`Refund ${refund.refundId} has ${money} to give back and nowhere to put it.`);
    lines.push(credit(refund.to.id, money));
  }
  const taken = await loyaltyTakenBack(ledger, refund);
  if (taken > 0n) {
    const funding = await ledger.openAccount({ type: 'loyalty_funding', ownerId: OPERATOR, currency: refund.currency });
    lines.push(credit(funding.id, taken));
  }
  const loyaltyChange = refund.points - taken;
  if (loyaltyChange !== 0n) {
    const loyalty = await ledger.openAccount({ type: 'loyalty', ownerId: refund.payment.customerId, currency: refund.currency });
    lines.push(change(loyalty.id, loyaltyChange));
  }
  return ledger.transfer({
    idempotencyKey: refundLedgerKey(refund.merchantId, refund.refundId),
    lines,
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

/** One period of a session allowance, as the ledger books it. */
export interface AllowancePeriodPosting {
  allowanceId: string;
  periodNo: number;
  merchantId: string;
  customerId: string;
  currency: string;
  /** The SHA-256 of the allowance ticket: what a replay of the reservation must match. */
  ticketSha256: string;
}

/**
 * Allowance reservation: the allowance's `maximum`, pending from the customer's wallet to
 * the merchant's till under {@link allowanceReserveLedgerKey}, so every charge of the period
 * is funded whatever the customer spends meanwhile. Resolved only by {@link remitAllowance}.
 * @throws LedgerError `insufficient_funds` (the wallet cannot hold the maximum back), `idempotency_conflict`
 * @example await reserveAllowance(tx, period, wallet, 2_000n)
 */
export async function reserveAllowance(
  tx: Transaction,
  period: AllowancePeriodPosting,
  wallet: Account,
  maximum: bigint,
): Promise<PendingTransfer> {
  const ledger = createLedger(tx);
  const merchantTill = await till(ledger, period.merchantId, period.currency);
  return ledger.createPending({
    idempotencyKey: allowanceReserveLedgerKey(period.allowanceId, period.periodNo),
    requestHash: period.ticketSha256,
    lines: [debit(wallet.id, maximum), credit(merchantTill.id, maximum)],
    metadata: { kind: 'allowance_reserve', merchant: period.merchantId, allowance: period.allowanceId, customer: period.customerId },
  });
}

/**
 * Grouped remittance (seed 003: "toutes les transactions sont envoyées"): voids the
 * period's reservation and moves `used`, what its charges add up to, from the customer's
 * wallet to the merchant's till in one transfer under {@link allowanceRemittanceLedgerKey}.
 * Undefined when nothing was charged (only the void). The wallet covers it: the void has
 * just given back at least as much, in the same transaction.
 * @throws LedgerError `pending_already_resolved` (the period was settled), `idempotency_conflict`
 * @example const moved = await remitAllowance(tx, period, wallet, 1_250n)
 */
export async function remitAllowance(
  tx: Transaction,
  period: AllowancePeriodPosting,
  wallet: Account,
  used: bigint,
): Promise<Transfer | undefined> {
  const ledger = createLedger(tx);
  const reserved = await pendingId(tx, allowanceReserveLedgerKey(period.allowanceId, period.periodNo));
  if (reserved === undefined) throw new Error(`Allowance ${period.allowanceId} has no reservation for period ${period.periodNo}.`);
  await ledger.voidPending(reserved);
  if (used === 0n) return undefined;
  const merchantTill = await till(ledger, period.merchantId, period.currency);
  return ledger.transfer({
    idempotencyKey: allowanceRemittanceLedgerKey(period.allowanceId, period.periodNo),
    requestHash: period.ticketSha256,
    lines: [debit(wallet.id, used), credit(merchantTill.id, used)],
    metadata: { kind: 'allowance_remittance', merchant: period.merchantId, allowance: period.allowanceId, customer: period.customerId },
  });
}

/**
 * @example disputeHoldLedgerKey('dp_x') // 'dispute_hold:dp_x'
 */
export function disputeHoldLedgerKey(disputeId: string): string {
  return `${LEDGER_KEY_PREFIXES.disputeHold}${disputeId}`;
}

/**
 * @example disputeReleaseLedgerKey('dp_x') // 'dispute_release:dp_x'
 */
export function disputeReleaseLedgerKey(disputeId: string): string {
  return `${LEDGER_KEY_PREFIXES.disputeRelease}${disputeId}`;
}

/** The disputed amount of one dispute, as its hold and release book it. */
export interface DisputeHoldPosting {
  disputeId: string;
  merchantId: string;
  amount: bigint;
  currency: string;
}

/**
 * The merchant's escrow account in this currency: where a disputed amount waits. A posted
 * transfer rather than a pending one, because the settlement pays out what the till's
 * entries add up to: the amount must leave the till to stay out of payouts.
 */
function disputeEscrow(ledger: Ledger, merchantId: string, currency: string): Promise<Account> {
  return ledger.openAccount({ type: 'escrow', ownerId: merchantId, currency });
}

/**
 * Dispute hold (the operator's `disputes hold`): the merchant's till → its escrow account,
 * under {@link disputeHoldLedgerKey}, so the daily settlement does not pay the disputed
 * amount out while the dispute is open. Undone by {@link releaseDisputeHold} only.
 * @throws LedgerError `idempotency_conflict`
 * @example const held = await holdDisputedAmount(tx, { disputeId: 'dp_x', merchantId: 'bookshop', amount: 1_500n, currency: 'EUR' })
 */
export async function holdDisputedAmount(tx: Transaction, hold: DisputeHoldPosting): Promise<Transfer> {
  const ledger = createLedger(tx);
  const merchantTill = await till(ledger, hold.merchantId, hold.currency);
  const escrow = await disputeEscrow(ledger, hold.merchantId, hold.currency);
  return ledger.transfer({
    idempotencyKey: disputeHoldLedgerKey(hold.disputeId),
    lines: [debit(merchantTill.id, hold.amount), credit(escrow.id, hold.amount)],
    metadata: { kind: 'dispute_hold', merchant: hold.merchantId, dispute: hold.disputeId },
  });
}

/**
 * Dispute release (the dispute resolved, either way): the merchant's escrow account → its
 * till, under {@link disputeReleaseLedgerKey}. For the merchant, the amount is theirs to be
 * paid out again; for the customer, the refund then takes it from the till.
 * @throws LedgerError `idempotency_conflict`
 * @example await releaseDisputeHold(tx, { disputeId: 'dp_x', merchantId: 'bookshop', amount: 1_500n, currency: 'EUR' })
 */
export async function releaseDisputeHold(tx: Transaction, hold: DisputeHoldPosting): Promise<Transfer> {
  const ledger = createLedger(tx);
  const merchantTill = await till(ledger, hold.merchantId, hold.currency);
  const escrow = await disputeEscrow(ledger, hold.merchantId, hold.currency);
  return ledger.transfer({
    idempotencyKey: disputeReleaseLedgerKey(hold.disputeId),
    lines: [debit(escrow.id, hold.amount), credit(merchantTill.id, hold.amount)],
    metadata: { kind: 'dispute_release', merchant: hold.merchantId, dispute: hold.disputeId },
  });
}
