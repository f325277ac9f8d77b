import { type AllowanceChargeResult, type ApiPayment, paymentId, TOKEN_TYPES, type VoucherClaims } from '@caisse/protocol';
import { decodeJws } from '@caisse/server-kit';
import { checkTicket, type MerchantDirectory } from '../checkout/intake.js';
import type { ReceivedTicket } from '../checkout/sessions.js';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import type { TicketPolicy } from '../merchants/service.js';
import { assertMerchantMayTakePayments, isMerchantStatusCode } from '../merchants/status.js';
import type { OnSettled } from '../metrics/payments.js';
import { insertPayment, merchantPayment } from '../payments/repository.js';
import type { TokenSigner } from '../payments/tokens.js';
import { type Database, type Executor, preparedStatement } from '../storage/database.js';
import { sqlState } from '../storage/errors.js';
import { ALLOWANCE_COLUMNS, type AllowanceRow, ENDED_CODES, toAllowance } from './model.js';
import { type AllowanceSettlement, dueReason } from './settle.js';

export interface AllowanceChargeDeps {
  issuer: string;
  db: Database;
  merchants: MerchantDirectory;
  signer: TokenSigner;
  /** The customer's stable id for one merchant (the voucher `sub`). */
  pairwiseSubject(customerId: string, merchantId: string): string;
  settlement: AllowanceSettlement;
  /** Told of each charge made: a payment, paid by the allowance. */
  onSettled?: OnSettled;
  log?: Logger;
  now?: () => Date;
}

/** A charge and whether this call made it (false: the same ticket was charged before, and this is its payment). */
export interface ChargeOutcome {
  result: AllowanceChargeResult;
  created: boolean;
}

/**
 * The ticket spent and the allowance drawn on, in one statement: the update takes the
 * charge only while the allowance is live, in its period, under its per-charge cap and
 * within its maximum (which the table's CHECK repeats), only if the ticket was new and
 * only if the key that signed it is still the merchant's and the merchant is still active
 * (the signature and the status were checked with what this instance keeps a few seconds:
 * a key retired or a merchant suspended meanwhile on any instance is refused here). The
 * row lock it takes queues concurrent charges of one allowance on any instance; each then
 * sees what the one before left. Prepared once per connection
 * (preparedStatement): parsing and planning it on every charge took about a quarter of
 * PostgreSQL's CPU per charge (1.5 → 1.1 ms in an A/B run of bench:allowance-charges).
 */
const CHARGE = preparedStatement(`
WITH ticket AS (
  INSERT INTO tickets (merchant_id, jti, sha256, claims, received_at, expires_at)
  SELECT $1, $2, $3, $4::text::jsonb, $5, to_timestamp($6)
   WHERE EXISTS (SELECT 1 FROM merchant_keys k JOIN merchants m ON m.id = k.merchant_id AND m.status = 'active'
                  WHERE k.merchant_id = $1 AND k.kid = $10 AND k.retired_at IS NULL)
  ON CONFLICT DO NOTHING
  RETURNING jti
), charged AS (
  UPDATE allowances a SET used = a.used + $8, charge_count = a.charge_count + 1
   WHERE a.id = $7 AND a.merchant_id = $1 AND a.currency = $9 AND a.state = 'active'
     AND a.period_start <= $5 AND $5 < a.period_end
     AND a.used + $8 <= a.maximum AND (a.charge_cap IS NULL OR $8 <= a.charge_cap)
     AND EXISTS (SELECT 1 FROM ticket)
  RETURNING a.customer_id, a.maximum, a.used, a.period_no, a.expires_at, a.confirmed_at
)
SELECT customer_id, maximum, used, period_no, expires_at, confirmed_at, nextval('ledger_register_serial') AS serial FROM charged`);

/**
 * A charge in one statement, with no transaction around it: for an allowance this
 * instance saw last (its period and what it had used), the voucher is signed first, for
 * what will be left, and the statement takes the charge only if the allowance is still
 * exactly as seen (`used`, `period_no`), besides every condition of {@link CHARGE}; then
 * it spends the ticket and stores the payment with that voucher. One round trip, one
 * commit, no row lock held while signing. A ticket presented before fails its insert
 * (unique violation), and the whole statement with it. Taking nothing (another instance
 * charged meanwhile, a new period, a refusal), it changed nothing: the charge goes the
 * locking way, which reads the allowance as it is.
 */
const CHARGE_AS_SEEN = preparedStatement(`
WITH charged AS (
  UPDATE allowances a SET used = a.used + $8, charge_count = a.charge_count + 1
   WHERE a.id = $7 AND a.merchant_id = $1 AND a.currency = $9 AND a.state = 'active'
     AND a.period_no = $11 AND a.used = $12
     AND a.period_start <= $5 AND $5 < a.period_end
     AND a.used + $8 <= a.maximum AND (a.charge_cap IS NULL OR $8 <= a.charge_cap)
     AND EXISTS (SELECT 1 FROM merchant_keys k JOIN merchants m ON m.id = k.merchant_id AND m.status = 'active'
                  WHERE k.merchant_id = $1 AND k.kid = $10 AND k.retired_at IS NULL)
  RETURNING a.customer_id
), ticket AS (
  INSERT INTO tickets (merchant_id, jti, sha256, claims, received_at, expires_at)
  SELECT $1, $2, $3, $4::text::jsonb, $5, to_timestamp($6) FROM charged
  RETURNING jti
)
INSERT INTO payments (serial, merchant_id, ticket_jti, ticket_sha256, order_serial, customer_id, amount, vat, currency, funding, status,
                      voucher, created_at, acquirer, points, allowance_id, allowance_period)
SELECT $13, $1, ticket.jti, $3, $14, charged.customer_id, $8, $15, $9, 'allowance', 'authorised', $16, $5, NULL, 0, $7, $11
  FROM charged, ticket
RETURNING serial`);

/** What an instance last saw of an allowance it charged: enough to sign the next charge's voucher before the statement. */
interface Seen {
  customerId: string;
  maximum: bigint;
  used: bigint;
  periodNo: number;
  expiresAt: Date;
  confirmedAt: Date;
}

/** Register serials drawn at once for charges taken as seen, so their vouchers can be signed before the statement. */
const SERIAL_BLOCK = 32;

interface ChargedRow {
  customer_id: string;
  maximum: bigint | string;
  used: bigint | string;
  period_no: number;
  expires_at: Date;
  confirmed_at: Date;
  serial: bigint | string;
}

/** The charge statement took nothing: the transaction rolls back, so the ticket stays unspent, and {@link whyNot} says why. */
class NotCharged extends Error {}

/** How long an instance verifies charge tickets with the merchant keys it read: retirement is checked in the charge statement anyway. */
const KEYS_CACHE_MS = 5_000;

/**
 * The merchant directory as the charge path reads it: each merchant's keys kept a few
 * seconds per instance, so a charge does not read and import them every time; a ticket
 * signed with a key the instance does not know yet reads them again.
 */
function cachedDirectory(merchants: MerchantDirectory, now: () => Date) {
  const policies = new Map<string, { policy: TicketPolicy | undefined; until: number }>();
  return {
    directory(fresh: boolean): MerchantDirectory {
      return {
        async ticketPolicy(merchantId) {
          const at = now().getTime();
          const cached = policies.get(merchantId);
          if (!fresh && cached !== undefined && cached.until > at) return cached.policy;
          const policy = await merchants.ticketPolicy(merchantId);
          policies.set(merchantId, { policy, until: at + KEYS_CACHE_MS });
          return policy;
        },
      };
    },
  };
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** $1–$10 of {@link CHARGE} and {@link CHARGE_AS_SEEN}: the ticket spent, the allowance and amount drawn, the key that signed. */
function chargeParameters(ticket: ReceivedTicket, kid: string, allowanceId: string, at: Date): unknown[] {
  const { claims } = ticket;
  return [claims.iss, claims.jti, ticket.sha256, JSON.stringify(claims), at, claims.exp, allowanceId, claims.amount, claims.currency, kid];
}

/**
 * Charges under session allowances: the system's hot path (DESIGN.md, "Storage and scale").
 * A charge is a ticket of the merchant naming the allowance (`allowanceId`), checked as
 * at `/pay` (its signature, single use and time authenticate the request, so no assertion
 * and no idempotency key are needed: the ticket's `jti` is the key). Then one transaction:
 * the charge statement, the voucher signed, the payment stored; no ledger posting, which
 * the period's grouped remittance makes once for all its charges (settle.ts). What
 * follows only when a charge reaches a one-off allowance's maximum: its settlement.
 * @example const { result } = await charges.charge(ticketJws)
 */
export function createAllowanceCharges(deps: AllowanceChargeDeps) {
  const now = deps.now ?? (() => new Date());
  const keys = cachedDirectory(deps.merchants, now);

  /** Allowances this instance charged, as it last saw them; any instance may have charged since (the statement checks). */
  const seen = new Map<string, Seen>();
  let serials: bigint[] = [];

  async function nextSerial(): Promise<bigint> {
    if (serials.length === 0) {
      const { rows } = await deps.db.query<{ serial: bigint }>(
        `SELECT nextval('ledger_register_serial') AS serial FROM generate_series(1, ${SERIAL_BLOCK})`,
      );
      serials = rows.map((row) => BigInt(row.serial));
    }
    return serials.shift() as bigint;
  }

  function voucherFor(ticket: ReceivedTicket, allowanceId: string, serial: bigint, view: Seen, remaining: number, executor?: Executor) {
    return deps.signer.voucher(
      {
        ticket,
        serial,
        status: 'authorised',
        funding: 'allowance',
        sub: deps.pairwiseSubject(view.customerId, ticket.claims.iss),
        confirmation: { method: 'allowance', at: seconds(view.confirmedAt) },
        allowance: { id: allowanceId, remaining, expiresAt: seconds(view.expiresAt) },
      },
      executor,
    );
  }

  function chargeResult(ticket: ReceivedTicket, allowanceId: string, serial: bigint, remaining: number, voucher: string, at: Date) {
    const { claims } = ticket;
    const payment: ApiPayment = {
      id: paymentId(serial),
      ticket: { jti: claims.jti, sha256: ticket.sha256 },
      serial: claims.serial,
      amount: claims.amount,
      vat: claims.vat,
      currency: claims.currency,
      funding: 'allowance',
      status: 'authorised',
      createdAt: at.toISOString(),
      voucher,
    };
    return { allowance: allowanceId, remaining, payment };
  }

  /**
   * The charge as {@link CHARGE_AS_SEEN} takes it, for an allowance this instance has
   * seen; undefined when it took nothing (the locking way follows). A ticket presented
   * before throws `23505`.
   */
  async function takeAsSeen(
    ticket: ReceivedTicket,
    kid: string,
    allowanceId: string,
    at: Date,
  ): Promise<AllowanceChargeResult | undefined> {
    const view = seen.get(allowanceId);
    const { claims } = ticket;
    const amount = BigInt(claims.amount);
    if (view === undefined || view.used + amount > view.maximum) return undefined;
    const serial = await nextSerial();
    const remaining = Number(view.maximum - view.used - amount);
    const voucher = await voucherFor(ticket, allowanceId, serial, view, remaining);
    const { rows } = await deps.db.query(CHARGE_AS_SEEN, [
      ...chargeParameters(ticket, kid, allowanceId, at),
      view.periodNo,
      view.used,
      serial,
      claims.serial,
      claims.vat,
      voucher.token,
    ]);
    if (rows.length === 0) {
      seen.delete(allowanceId);
      return undefined;
    }
    seen.set(allowanceId, { ...view, used: view.used + amount });
    return chargeResult(ticket, allowanceId, serial, remaining, voucher.token, at);
  }

  async function take(ticket: ReceivedTicket, kid: string, allowanceId: string, at: Date): Promise<AllowanceChargeResult> {
    const { claims } = ticket;
    return deps.db.transaction(async (tx) => {
      const { rows } = await tx.query<ChargedRow>(CHARGE, chargeParameters(ticket, kid, allowanceId, at));
      const row = rows[0];
      if (row === undefined) throw new NotCharged();
      const serial = BigInt(row.serial);
      const view: Seen = {
        customerId: row.customer_id,
        maximum: BigInt(row.maximum),
        used: BigInt(row.used),
        periodNo: Number(row.period_no),
        expiresAt: row.expires_at,
        confirmedAt: row.confirmed_at,
      };
      const remaining = Number(view.maximum - view.used);
      const voucher = await voucherFor(ticket, allowanceId, serial, view, remaining, tx);
      await insertPayment(tx, {
        serial,
        merchantId: claims.iss,
        ticketJti: claims.jti,
        ticketSha256: ticket.sha256,
        orderSerial: claims.serial,
        customerId: row.customer_id,
        amount: claims.amount,
        points: 0n,
        vat: claims.vat,
        currency: claims.currency,
        funding: 'allowance',
        status: 'authorised',
        acquirer: null,
        voucher: voucher.token,
        createdAt: at,
        allowance: { id: allowanceId, periodNo: view.periodNo },
      });
      seen.set(allowanceId, view);
      return chargeResult(ticket, allowanceId, serial, remaining, voucher.token, at);
    });
  }

  /** The payment a ticket already made, when it is this exact ticket: a retry gets it again. */
  async function chargedBefore(ticket: ReceivedTicket): Promise<AllowanceChargeResult | 'replayed' | undefined> {
    const { claims } = ticket;
    const { rows } = await deps.db.query<{ sha256: string; serial: bigint | null }>(
      `SELECT t.sha256, p.serial FROM tickets t LEFT JOIN payments p ON p.merchant_id = t.merchant_id AND p.ticket_jti = t.jti
        WHERE t.merchant_id = $1 AND t.jti = $2`,
      [claims.iss, claims.jti],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    if (row.serial === null || row.sha256 !== ticket.sha256) return 'replayed';
    const payment = await merchantPayment(deps.db, claims.iss, BigInt(row.serial));
    if (payment === undefined) return 'replayed';
    // What was left after it is in its voucher, which the payment server signed: read, not verified again.
    const { encodedPayload } = decodeJws(payment.voucher, [TOKEN_TYPES.voucher]);
    const voucher = JSON.parse(Buffer.from(encodedPayload, 'base64url').toString('utf8')) as VoucherClaims;
    return { allowance: claims.allowanceId ?? '', remaining: voucher.allowance?.remaining ?? 0, payment };
  }

  /**
   * Why the charge statement took nothing, read after its rollback: a replay, or the
   * allowance's state. An allowance past its expiry or its period is settled here (the
   * sweep would do it later): `period` then says the charge may be tried again in the new one.
   */
  async function whyNot(ticket: ReceivedTicket, kid: string, allowanceId: string, at: Date): Promise<ChargeOutcome | 'period'> {
    const before = await chargedBefore(ticket);
    if (before === 'replayed') throw new ProblemError('ticket_replayed', 'This ticket was presented before.');
    if (before !== undefined) return { result: before, created: false };
    const { claims } = ticket;
    const policy = await deps.merchants.ticketPolicy(claims.iss);
    if ((await policy?.keys.get(kid)) === undefined)
      throw new ProblemError('key_unknown', "The key that signed this ticket is not one of the merchant's active keys.");
    if (policy) assertMerchantMayTakePayments({ id: claims.iss, status: policy.status });
    const { rows } = await deps.db.query<AllowanceRow>(`SELECT ${ALLOWANCE_COLUMNS} FROM allowances WHERE id = $1 AND merchant_id = $2`, [
      allowanceId,
      claims.iss,
    ]);
    if (rows[0] === undefined) throw new ProblemError('allowance_unknown');
    let allowance = toAllowance(rows[0]);
    if (allowance.currency !== claims.currency) {
      throw new ProblemError('allowance_currency_mismatch', `The allowance is in ${allowance.currency}, the charge in ${claims.currency}.`);
    }
    const due = dueReason(allowance, at);
    if (due !== undefined) {
      allowance = (await deps.settlement.settle(allowance.id))?.allowance ?? allowance;
      if (due === 'period_ended' && allowance.state === 'active') return 'period';
    }
    if (allowance.state === 'ended') throw new ProblemError(ENDED_CODES[allowance.endReason ?? 'expired']);
    if (allowance.chargeCap !== null && BigInt(claims.amount) > allowance.chargeCap) {
      throw new ProblemError('allowance_charge_cap_exceeded', `One charge may take at most ${allowance.chargeCap} minor units.`, {
        extensions: { chargeCap: Number(allowance.chargeCap) },
      });
    }
    const remaining = Number(allowance.maximum - allowance.used);
    throw new ProblemError('allowance_exhausted', `${remaining} minor units are left of this allowance's maximum.`, {
      extensions: { remaining, ...(allowance.period === null ? {} : { renewsAt: allowance.periodEnd.toISOString() }) },
    });
  }

  /** A ticket presented before fails the statement taken as seen: the locking way then finds it spent, and says so. */
  function replayedAsSeen(error: unknown): undefined {
    if (sqlState(error) !== '23505') throw error;
    return undefined;
  }

  return {
    /**
     * Charges the ticket under the allowance it names.
     * @throws ProblemError the ticket's intake codes (`ticket_invalid`, `ticket_expired`, `signature_invalid`, `merchant_suspended`, …),
     *   `request_invalid` (no `allowanceId`), `ticket_replayed`, `allowance_unknown`, `allowance_currency_mismatch`,
     *   `allowance_expired`, `allowance_revoked`, `allowance_closed`, `allowance_unfunded`,
     *   `allowance_charge_cap_exceeded`, `allowance_exhausted`
     */
    async charge(token: unknown, merchantId?: string): Promise<ChargeOutcome> {
      let intake = await checkTicket(token, { merchants: keys.directory(false), issuer: deps.issuer, now });
      // A key added, or the merchant approved or resumed, since they were read: read them again before refusing.
      if (!intake.accepted && (intake.code === 'key_unknown' || isMerchantStatusCode(intake.code))) {
        intake = await checkTicket(token, { merchants: keys.directory(true), issuer: deps.issuer, now });
      }
      if (!intake.accepted) throw new ProblemError(intake.code, intake.detail);
      const { ticket, kid } = intake;
      const { allowanceId } = ticket.claims;
      if (merchantId !== undefined && ticket.claims.iss !== merchantId) {
        throw new ProblemError('ticket_invalid', 'The ticket was issued by another merchant.');
      }
      if (allowanceId === undefined) {
        throw new ProblemError('request_invalid', 'This ticket names no allowance (allowanceId): send it to /pay to ask the customer.');
      }
      for (let attempt = 0; ; attempt += 1) {
        const at = now();
        try {
          const result =
            (attempt === 0 ? await takeAsSeen(ticket, kid, allowanceId, at).catch(replayedAsSeen) : undefined) ??
            (await take(ticket, kid, allowanceId, at));
          deps.onSettled?.({ key: ticket.claims.jti, outcome: 'paid', means: 'allowance', at });
          if (result.remaining === 0) await deps.settlement.settle(allowanceId);
          return { result, created: true };
        } catch (error) {
          if (!(error instanceof NotCharged)) throw error;
          const why = await whyNot(ticket, kid, allowanceId, at);
          if (why !== 'period' || attempt > 0) {
            if (why === 'period') throw new ProblemError('allowance_exhausted');
            return why;
          }
        }
      }
    },
  };
}

export type AllowanceCharges = ReturnType<typeof createAllowanceCharges>;
