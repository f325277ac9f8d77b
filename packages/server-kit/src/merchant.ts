import { CaisseError, type Mode, modeOfKid } from '@caisse/protocol';
import type { ClockOptions } from './claims.js';
import { signingKeyOf } from './keys/import.js';
import type { KeySet, SigningKey } from './keys/types.js';
import { type Notification, verifyNotification } from './notification/verify.js';
import { type QuoteRequest, verifyQuoteRequest } from './quote/verify-request.js';
import { memoryReplayStore } from './replay/memory.js';
import type { ReplayStore } from './replay/store.js';
import { type CreatedTicket, createTicket, type TicketInput } from './ticket/create.js';
import { type TicketLookup, type VerifyVoucherOptions, type Voucher, verifyVoucher } from './voucher/verify.js';

/** The payment server as a merchant sees it; `discoverPaymentServer(url)` builds one from the discovery document. */
export interface PaymentServer {
  issuer: string;
  payEndpoint: string;
  keys: KeySet;
  /**
   * The server's mode, when known (its discovery document's `mode`; a test payment server
   * from `@caisse/server-kit/testing` says `test`). `createMerchant` refuses a key of the other mode.
   */
  mode?: Mode;
}

export interface MerchantConfig extends ClockOptions {
  merchantId: string;
  /**
   * Your private JWK (as `generateKey` gave it) or an imported signing key. Its `kid` sets
   * your mode: a test key (`test_…`, from `generateKey({ test: true })` or
   * `caisse keys new --test`) makes a test merchant; any other, a live one.
   */
  signingKey: SigningKey | Record<string, unknown>;
  paymentServer: PaymentServer;
  /**
   * Where used voucher and notification ids are remembered. Defaults to memory, which
   * is right for one process only: with several instances, pass a PostgreSQL or Redis store.
   */
  replayStore?: ReplayStore;
  /** How long a used voucher is remembered, in seconds (default 4 days): see {@link VerifyVoucherOptions.replayWindow}. */
  replayWindow?: number;
}

export interface Merchant {
  readonly merchantId: string;
  /**
   * `test` when the signing key is a test key: tickets carry `test: true`, and only
   * vouchers, refusals and notifications with `test: true` are accepted. `live` otherwise:
   * anything with `test: true` is refused (`token_test_mode`).
   */
  readonly mode: Mode;
  readonly paymentServer: PaymentServer;
  readonly replayStore: ReplayStore;
  createTicket(input: TicketInput): CreatedTicket;
  verifyVoucher(token: string, expected: { ticket: TicketLookup; state?: string }): Promise<Voucher>;
  verifyNotification(token: string): Promise<Notification>;
  /** Verifies a quote request from the payment server (`verifyQuoteRequest`, for your merchant id and mode). */
  verifyQuoteRequest(token: string): Promise<QuoteRequest>;
}

/**
 * Binds your merchant identity and the payment server's trust once, so each call takes
 * only what changes. Your mode comes from your key (a `test_` kid is a test merchant);
 * a payment server known to run in the other mode is refused here, at start-up
 * (`token_test_mode`), rather than at the first payment.
 * @example
 * const merchant = createMerchant({ merchantId: 'shop-1', signingKey: privateJwk, paymentServer: await discoverPaymentServer('https://pay.example') })
 * const ticket = merchant.createTicket({ serial: 'order-42', currency: 'EUR', items, state, returnUrl, cancelUrl })
 * const voucher = await merchant.verifyVoucher(token, { ticket: ticket.reference })
 * const quoteRequest = await merchant.verifyQuoteRequest(await request.text())
 */
export function createMerchant(config: MerchantConfig): Merchant {
  const signingKey = signingKeyOf(config.signingKey);
  const mode = modeOfKid(signingKey.kid);
  if (config.paymentServer.mode !== undefined && config.paymentServer.mode !== mode) {
    throw new CaisseError(
      'token_test_mode',
      mode === 'test'
        ? `Your signing key "${signingKey.kid}" is a test key, and the payment server ${config.paymentServer.issuer} is live: use your live key with it.`
        : `The payment server ${config.paymentServer.issuer} runs in test mode, and your signing key "${signingKey.kid}" is a live key: make a test key (caisse keys new --test) for it.`,
    );
  }
  // The verifiers hand their clock to the store with each claim, so the default store needs none of its own.
  const replayStore = config.replayStore ?? memoryReplayStore();
  const { paymentServer, merchantId } = config;
  const trust = {
    issuer: paymentServer.issuer,
    keys: paymentServer.keys,
    replayStore,
    audience: merchantId,
    mode,
    now: config.now,
    clockTolerance: config.clockTolerance,
  };
  return {
    merchantId,
    mode,
    paymentServer,
    replayStore,
    createTicket: (input) =>
      createTicket(input, {
        merchantId,
        paymentServer: paymentServer.issuer,
        payEndpoint: paymentServer.payEndpoint,
        signingKey,
        now: config.now,
      }),
    verifyVoucher: (token, expected) =>
      verifyVoucher(token, { ...trust, ...(config.replayWindow === undefined ? {} : { replayWindow: config.replayWindow }), ...expected }),
    verifyNotification: (token) => verifyNotification(token, trust),
    verifyQuoteRequest: (token) => verifyQuoteRequest(token, trust),
  };
}
