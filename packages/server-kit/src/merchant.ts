import type { ClockOptions } from './claims.js';
import { signingKeyOf } from './keys/import.js';
import type { KeySet, SigningKey } from './keys/types.js';
import { type Notification, verifyNotification } from './notification/verify.js';
import { memoryReplayStore } from './replay/memory.js';
import type { ReplayStore } from './replay/store.js';
import { type CreatedTicket, createTicket, type TicketInput } from './ticket/create.js';
import { type TicketLookup, type VerifyVoucherOptions, type Voucher, verifyVoucher } from './voucher/verify.js';

/** The payment server as a merchant sees it; `discoverPaymentServer(url)` builds one from the discovery document. */
export interface PaymentServer {
  issuer: string;
  payEndpoint: string;
  keys: KeySet;
}

export interface MerchantConfig extends ClockOptions {
  merchantId: string;
  /** Your private JWK (as `generateKey` gave it) or an imported signing key. */
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
  readonly paymentServer: PaymentServer;
  readonly replayStore: ReplayStore;
  createTicket(input: TicketInput): CreatedTicket;
  verifyVoucher(token: string, expected: { ticket: TicketLookup; state?: string }): Promise<Voucher>;
  verifyNotification(token: string): Promise<Notification>;
}

/**
 * Binds your merchant identity and the payment server's trust once, so each call takes
 * only what changes.
 * @example
 * const merchant = createMerchant({ merchantId: 'shop-1', signingKey: privateJwk, paymentServer: await discoverPaymentServer('https://pay.example') })
 * const ticket = merchant.createTicket({ serial: 'order-42', currency: 'EUR', items, state, returnUrl, cancelUrl })
 * const voucher = await merchant.verifyVoucher(token, { ticket: ticket.reference })
 */
export function createMerchant(config: MerchantConfig): Merchant {
  const signingKey = signingKeyOf(config.signingKey);
  // The verifiers hand their clock to the store with each claim, so the default store needs none of its own.
  const replayStore = config.replayStore ?? memoryReplayStore();
  const { paymentServer, merchantId } = config;
  const trust = {
    issuer: paymentServer.issuer,
    keys: paymentServer.keys,
    replayStore,
    audience: merchantId,
    now: config.now,
    clockTolerance: config.clockTolerance,
  };
  return {
    merchantId,
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
  };
}
