import { createHash, randomBytes } from 'node:crypto';
import {
  canonicalJson,
  type Item,
  type Mode,
  PROTOCOL_VERSION,
  paymentId,
  type RefusalClaims,
  type RefusalDetail,
  type RefusalReason,
  type SharedData,
  TOKEN_TYPES,
  type VoucherAllowance,
  type VoucherClaims,
} from '@caisse/protocol';
import { signJws } from '@caisse/server-kit';
import type { ReceivedTicket } from '../checkout/sessions.js';
import type { ServerKeys } from '../keys/service.js';
import type { Executor } from '../storage/database.js';

// Declared with the sessions that hold it, which sit below payments; also named here for the
// ticket intake and the checkout routes, which import it with the signer.

export interface VoucherInput {
  ticket: ReceivedTicket;
  /** The register serial of the payment; the voucher's `jti` is its payment id, `pay_<serial>`. */
  serial: bigint;
  status: VoucherClaims['status'];
  funding?: VoucherClaims['funding'];
  /** Of the amount, what loyalty points paid; only when they paid some. */
  points?: number;
  /** The customer's pairwise id for this merchant. */
  sub: string;
  confirmation: VoucherClaims['confirmation'];
  shared?: SharedData;
  /** The allowance the voucher grants or draws on (`funding: 'allowance'`). */
  allowance?: VoucherAllowance;
}

/**
 * The items digest a voucher carries, exactly as `itemsDigest` of @caisse/protocol
 * computes it (SHA-256 of the RFC 8785 canonical JSON of the items, base64url), but with
 * node:crypto in this thread: `itemsDigest` goes through WebCrypto, whose digest is an
 * async job on the libuv pool, about 40 times the cost of hashing a few hundred bytes
 * here, on every voucher (the allowance charge path signs one per charge).
 */
export function voucherItemsDigest(items: readonly Item[]): string {
  return createHash('sha256').update(canonicalJson(items), 'utf8').digest('base64url');
}

export interface TokenSigner {
  /** Pass the open transaction, if any (see `ServerKeys.signingKey`). */
  voucher(input: VoucherInput, executor?: Executor): Promise<{ token: string; claims: VoucherClaims }>;
  /** `detail`: for a ticket refused at intake, the precise code and what the merchant should do (`checkout/intake.ts`). */
  refusal(ticket: ReceivedTicket, reason: RefusalReason, detail?: RefusalDetail): Promise<{ token: string; claims: RefusalClaims }>;
}

/**
 * Signs vouchers and refusals with the current server key. Both are short-lived (60 s
 * by default): the browser carries them straight back. A voucher is signed once, at
 * payment, and stored: every later return of the browser carries those same bytes, so a
 * merchant can never be handed a second acceptable copy of one payment.
 */
export function createTokenSigner(deps: {
  keys: ServerKeys;
  issuer: string;
  lifetime: number;
  /** In `test` mode every voucher and refusal carries `test: true`; in `live` mode (the default) the claim is absent. */
  mode?: Mode;
  now?: () => Date;
}): TokenSigner {
  const nowSeconds = () => Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  const marker = deps.mode === 'test' ? ({ test: true } as const) : {};
  return {
    async voucher(input, executor) {
      const { claims: ticket, sha256 } = input.ticket;
      const iat = nowSeconds();
      const claims: VoucherClaims = {
        ver: PROTOCOL_VERSION,
        iss: deps.issuer,
        aud: ticket.iss,
        jti: paymentId(input.serial),
        iat,
        exp: iat + deps.lifetime,
        ticket: { jti: ticket.jti, sha256 },
        serial: ticket.serial,
        amount: ticket.amount,
        currency: ticket.currency,
        items: voucherItemsDigest(ticket.items),
        ...(input.funding === undefined ? {} : { funding: input.funding }),
        ...(input.points === undefined ? {} : { points: input.points }),
        status: input.status,
        sub: input.sub,
        confirmation: input.confirmation,
        ...(input.shared === undefined ? {} : { shared: input.shared }),
        state: ticket.state,
        ...(input.allowance === undefined ? {} : { allowance: input.allowance }),
        ...marker,
      };
      return { token: signJws(TOKEN_TYPES.voucher, claims, await deps.keys.signingKey(executor)), claims };
    },

    async refusal({ claims: ticket, sha256 }, reason, detail) {
      const iat = nowSeconds();
      const claims: RefusalClaims = {
        ver: PROTOCOL_VERSION,
        iss: deps.issuer,
        aud: ticket.iss,
        jti: `f_${randomBytes(12).toString('base64url')}`,
        iat,
        exp: iat + deps.lifetime,
        ticket: { jti: ticket.jti, sha256 },
        serial: ticket.serial,
        amount: ticket.amount,
        currency: ticket.currency,
        reason,
        state: ticket.state,
        ...(detail === undefined ? {} : { detail }),
        ...marker,
      };
      return { token: signJws(TOKEN_TYPES.refusal, claims, await deps.keys.signingKey()), claims };
    },
  };
}

/** The URL the browser is sent to with a result token, keeping the merchant's own query. */
export function withResult(url: string, parameter: 'caisse_voucher' | 'caisse_refusal', token: string): string {
  const target = new URL(url);
  target.searchParams.set(parameter, token);
  return target.toString();
}
