import { PROTOCOL_VERSION, type RefusalClaims, TOKEN_TYPES, type TokenType, type VoucherClaims } from '@caisse/protocol';
import { signJws } from '../jws/sign.js';
import { generateKey } from '../keys/generate.js';
import { staticKeySet } from '../keys/import.js';
import type { SigningKey } from '../keys/types.js';
import { memoryReplayStore } from '../replay/memory.js';
import { createState } from '../state.js';
import { type CreatedTicket, createTicket, type TicketInput } from '../ticket/create.js';

/** A frozen clock for tests: 2026-11-22T10:00:00Z. */
export const NOW = new Date('2026-11-22T10:00:00Z');
export const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
export const ISSUER = 'https://pay.caisse.test';
export const MERCHANT_ID = 'bookshop';

/** A memory replay store on the frozen clock: a store on the real clock would think tokens dated NOW long expired. */
export function frozenReplayStore() {
  return memoryReplayStore({ now: () => NOW.getTime() });
}

/**
 * The parties of a checkout with real keys: a merchant that signs tickets and a payment
 * server that signs vouchers and refusals the way the real one does.
 */
export function parties(options: { serverAlg?: 'EdDSA' | 'ES256'; merchantAlg?: 'EdDSA' | 'ES256' } = {}) {
  const server = generateKey({ alg: options.serverAlg ?? 'EdDSA' });
  const merchant = generateKey({ alg: options.merchantAlg ?? 'EdDSA' });
  const serverKeys = staticKeySet(server.jwks);

  function ticket(input: Partial<TicketInput> = {}): CreatedTicket {
    return createTicket(
      {
        serial: 'order-42',
        currency: 'EUR',
        items: [
          { id: 'book-1', label: 'Le Petit Prince', quantity: 1, unitAmount: 1290, vatRate: 550 },
          { id: 'bookmark', label: 'Bookmark', quantity: 2, unitAmount: 150, vatRate: 2000 },
        ],
        returnUrl: 'https://shop.example/paid',
        cancelUrl: 'https://shop.example/basket',
        state: createState(),
        ...input,
      },
      { merchantId: MERCHANT_ID, paymentServer: ISSUER, payEndpoint: `${ISSUER}/pay`, signingKey: merchant.signingKey, now: () => NOW },
    );
  }

  function voucherClaims(forTicket: CreatedTicket, overrides: Partial<VoucherClaims> = {}): VoucherClaims {
    return {
      ver: PROTOCOL_VERSION,
      iss: ISSUER,
      aud: MERCHANT_ID,
      // The payment id, as the payment server names a payment: `pay_` and its register serial.
      jti: `pay_${1 + Math.floor(Math.random() * 1e12)}`,
      iat: NOW_SECONDS,
      exp: NOW_SECONDS + 60,
      ticket: { jti: forTicket.id, sha256: forTicket.sha256 },
      serial: forTicket.claims.serial,
      amount: forTicket.claims.amount,
      currency: forTicket.claims.currency,
      items: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      funding: 'wallet',
      status: 'authorised',
      sub: 'c_pairwise_1',
      confirmation: { method: 'device', at: NOW_SECONDS - 3 },
      state: forTicket.claims.state,
      ...overrides,
    };
  }

  function sign(typ: TokenType, payload: object, key: SigningKey = server.signingKey): string {
    return signJws(typ, payload, key);
  }

  function voucher(forTicket: CreatedTicket, overrides: Partial<VoucherClaims> = {}): string {
    return sign(TOKEN_TYPES.voucher, voucherClaims(forTicket, overrides));
  }

  function refusal(forTicket: CreatedTicket, reason: RefusalClaims['reason'], detail?: RefusalClaims['detail']): string {
    const claims: RefusalClaims = {
      ver: PROTOCOL_VERSION,
      iss: ISSUER,
      aud: MERCHANT_ID,
      jti: `f_${Math.random().toString(36).slice(2, 12)}`,
      iat: NOW_SECONDS,
      exp: NOW_SECONDS + 60,
      ticket: { jti: forTicket.id, sha256: forTicket.sha256 },
      serial: forTicket.claims.serial,
      amount: forTicket.claims.amount,
      currency: forTicket.claims.currency,
      reason,
      state: forTicket.claims.state,
      ...(detail === undefined ? {} : { detail }),
    };
    return sign(TOKEN_TYPES.refusal, claims);
  }

  return { server, merchant, serverKeys, ticket, voucherClaims, voucher, refusal, sign };
}
