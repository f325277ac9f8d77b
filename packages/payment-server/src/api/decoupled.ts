import { randomBytes } from 'node:crypto';
import { customerHint } from '@caisse/protocol';
import type { Hono } from 'hono';
import { z } from 'zod';
import { type ContentDirectory, checkTicket, type MerchantDirectory } from '../checkout/intake.js';
import type { PhoneCheckout } from '../checkout/phone.js';
import type { CheckoutSession, Sessions } from '../checkout/sessions.js';
import type { CustomerService } from '../customers/service.js';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import { closeRefused } from '../payments/refusal.js';
import { storedVoucher } from '../payments/repository.js';
import type { TokenSigner } from '../payments/tokens.js';
import type { Database } from '../storage/database.js';
import type { TicketRefusalService } from '../ticket-refusals/service.js';
import type { ApiEnv } from './context.js';
import { jsonBody } from './json-body.js';

export interface DecoupledDeps {
  issuer: string;
  db: Database;
  merchants: MerchantDirectory;
  customers: Pick<CustomerService, 'findByPhone'>;
  sessions: Sessions;
  phone: PhoneCheckout;
  signer: TokenSigner;
  /** Where a refused ticket is listed for its merchant (`GET /v1/ticket-refusals`); none: the problem alone says it. */
  ticketRefusals?: Pick<TicketRefusalService, 'record'>;
  /** Digital goods, so a ticket naming one is told apart from one naming a good never stored. */
  contents?: ContentDirectory;
  log: Logger;
  now?: () => Date;
}

/** The phone number as the protocol writes a customer hint: E.164. */
const phone = customerHint.options[1].shape.phone;
const paymentRequest = z.strictObject({
  // No length cap here: intake answers an oversized ticket `token_too_large`, and the API's body limit bounds the read.
  ticket: z.string().min(1),
  phone,
});

/** What the merchant sees of a decoupled payment: the session's state in the merchant's words. */
export type DecoupledState = 'confirming' | 'authorising' | 'pending_bank' | 'paid' | 'refused';

export interface DecoupledPayment {
  /** The ticket's `jti`. */
  ticket: string;
  state: DecoupledState;
  /** ISO 8601: when the phone's request expires (while `confirming`). */
  expiresAt?: string;
  /** The signed voucher, made anew at each read (its `exp` is short), when `paid`. */
  voucher?: string;
  /** The signed refusal, made anew at each read, when `refused`. */
  refusal?: string;
}

/**
 * The decoupled flow (no browser): the merchant's backend posts a ticket and the
 * customer's phone number; the payment server sends the confirmation request to the
 * customer's phone and the merchant learns the result by notification or by polling.
 *
 * - `POST /payments` `{ticket, phone}` → 202 `{ticket, state, expiresAt | refusal}`. The
 *   ticket is checked exactly as at `/pay` and spent; it must be the authenticated
 *   merchant's own. Its session belongs to no browser (the browser hash of a secret
 *   nobody keeps). An unknown phone number, or a customer without an active device, is
 *   refused `authentication_failed` — the same answer, so the API never says whether a
 *   number has an account.
 * - `GET /payments/by-ticket/:jti` → `{ticket, state, voucher? , refusal?}`; any look
 *   settles what is due (a deadline passed, an answer a crash left unacted on).
 * @example createApi({ …, endpoints: [decoupledEndpoints({ issuer, db, merchants, customers, sessions, phone, signer, log })] })
 */
export function decoupledEndpoints(deps: DecoupledDeps): (api: Hono<ApiEnv>) => void {
  const now = deps.now ?? (() => new Date());

  async function view(session: CheckoutSession): Promise<DecoupledPayment> {
    const ticket = session.ticket.claims.jti;
    switch (session.state) {
      case 'identifying':
      case 'confirming':
        return { ticket, state: 'confirming', expiresAt: session.expiresAt.toISOString() };
      case 'authorising':
      case 'pending_bank':
        return { ticket, state: session.state };
      // Never reached: a session without a browser is refused rather than offered a choice (payments/authorise.ts).
      case 'choosing':
        return { ticket, state: 'authorising' };
      case 'paid':
        return { ticket, state: 'paid', voucher: (await storedVoucher(deps.db, session)).voucher };
      case 'refused':
      case 'cancelled': {
        const refusal = await deps.signer.refusal(session.ticket, session.refusalReason ?? 'customer_declined');
        return { ticket, state: 'refused', refusal: refusal.token };
      }
    }
  }

  return (api) => {
    api.post('/payments', async (c) => {
      const merchantId = c.get('merchantId');
      const body = await jsonBody(c, paymentRequest);
      const intake = await checkTicket(body.ticket, {
        merchants: deps.merchants,
        issuer: deps.issuer,
        now,
        ...(deps.contents ? { contents: deps.contents } : {}),
      });
      if (!intake.accepted) {
        // Listed with the browser's refusals when the ticket names this merchant (the caller is told at once, in the problem).
        if (intake.merchant?.id === merchantId) {
          await deps.ticketRefusals?.record({
            merchantId,
            code: intake.code,
            message: intake.detail,
            ticket: intake.merchant.ticketId ?? null,
            notifyUrl: intake.merchant.notifyUrl,
          });
        }
        throw new ProblemError(intake.code, intake.detail);
      }
      // Another merchant's ticket would let this one spend it, or learn how its customer answers.
      if (intake.ticket.claims.iss !== merchantId) throw new ProblemError('ticket_invalid', 'The ticket was issued by another merchant.');
      // No page asks the customer: refused before the ticket is spent, rather than a voucher silently without the address.
      if (intake.ticket.claims.requested?.length) throw new ProblemError('requested_data_unavailable');
      // A digital good is released to the browser that paid: here there is none to release it to.
      if (intake.ticket.claims.delivery !== undefined) throw new ProblemError('delivery_unavailable');
      const customer = await deps.customers.findByPhone(body.phone);
      // The ticket is spent, and the request opened or the payment refused, in one commit.
      const outcome = await deps.db.transaction(async (tx) => {
        const opened = await deps.sessions.open(intake.ticket, randomBytes(32).toString('base64url'), 'none', tx);
        if (!opened.opened) return undefined;
        const { session } = opened;
        const started = customer && customer.lockedAt === null ? await deps.phone.startIn(tx, session, customer) : undefined;
        if (started?.started) return { session, started };
        // A locked account says so only when it has a phone: otherwise it is one more number without a device.
        const locked = customer?.lockedAt != null && (await deps.phone.hasDevice(tx, customer.id));
        await closeRefused(
          tx,
          deps.sessions,
          session,
          ['identifying'],
          'refused',
          locked ? 'account_locked' : 'authentication_failed',
          now(),
        );
        return { session, started };
      });
      if (outcome === undefined) throw new ProblemError('ticket_replayed', 'This ticket was presented before.');
      const { session, started } = outcome;
      deps.log.info('checkout.opened', { session: session.id, merchant: merchantId, serial: intake.ticket.claims.serial, decoupled: true });
      if (started?.started && customer) {
        deps.phone.announce(session, customer, started);
        const expiresAt = new Date(started.request.expiresAt * 1000).toISOString();
        return c.json({ ticket: intake.ticket.claims.jti, state: 'confirming', expiresAt } satisfies DecoupledPayment, 202);
      }
      return c.json(await view((await deps.sessions.load(session.id)) ?? session), 202);
    });

    api.get('/payments/by-ticket/:jti', async (c) => {
      const found = await deps.sessions.byTicket(c.get('merchantId'), c.req.param('jti'));
      if (found === undefined) throw new ProblemError('payment_unknown', 'No ticket with this id was presented by this merchant.');
      return c.json(await view(await deps.phone.settle(found)));
    });
  };
}
