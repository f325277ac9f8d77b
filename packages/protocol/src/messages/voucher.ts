import * as z from 'zod';
import { LIMITS } from '../limits.js';
import { testMarker } from '../mode.js';
import { amount, checkValidity, currency, id, label, party, serial, sha256, state, ticketReference, timestamp, version } from './fields.js';

export const address = z.strictObject({
  name: label,
  line1: label,
  line2: label.optional(),
  postalCode: z.string().regex(/^[A-Za-z0-9 -]{1,16}$/, 'must be a postal code'),
  city: label,
  region: label.optional(),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code'),
});

/** Customer data shared with the merchant because the ticket asked and the customer agreed. */
export const sharedData = z.strictObject({
  shippingAddress: address.optional(),
  email: z.email().max(254).optional(),
  name: label.optional(),
});

export const confirmation = z.strictObject({
  /** `device`: approved on the phone with its PIN; `tap`: approved on the phone without one, under the customer's tap threshold. */
  method: z.enum(['device', 'tap', 'access_key', 'allowance']),
  at: timestamp,
});

/**
 * The session allowance a voucher draws on (`funding: 'allowance'`): its id, what is left
 * of its maximum (this period's, for a recurring one) after this voucher, and its end.
 */
export const voucherAllowance = z.strictObject({ id, remaining: amount, expiresAt: timestamp });

/** Payload of a `caisse-voucher+jwt`, signed by the payment server for one merchant. */
export const voucherClaims = z
  .strictObject({
    ver: version,
    iss: party,
    aud: id,
    jti: id,
    iat: timestamp,
    exp: timestamp,
    ticket: ticketReference,
    serial,
    amount,
    currency,
    items: sha256,
    funding: z.enum(['wallet', 'bank', 'allowance']).optional(),
    /** Of `amount`, what the customer paid with loyalty points (minor units); `funding` paid the rest. */
    points: amount.optional(),
    /**
     * `authorised`: paid. `authenticated`: amount 0, nothing moved. `held`: paid into escrow
     * until delivery. `granted`: an allowance ticket confirmed, its maximum (`amount`)
     * reserved for the charges to come; nothing is bought yet.
     */
    status: z.enum(['authorised', 'authenticated', 'held', 'granted']),
    sub: id,
    confirmation,
    shared: sharedData.optional(),
    state,
    allowance: voucherAllowance.optional(),
    /** `true`: signed by a payment server in test mode (no money moved); absent in live mode. */
    test: testMarker,
  })
  .superRefine((voucher, ctx) => {
    checkValidity(voucher, ctx, LIMITS.voucherLifetime);
    const paid = voucher.status !== 'authenticated';
    if (paid !== (voucher.funding !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['funding'], message: 'is present exactly when money moved' });
    }
    if (voucher.points !== undefined && (!paid || voucher.points === 0 || voucher.points > voucher.amount)) {
      ctx.addIssue({ code: 'custom', path: ['points'], message: 'is present only when money moved, from 1 to the amount' });
    }
    if ((voucher.funding === 'allowance') !== (voucher.allowance !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['allowance'], message: 'is present exactly when the allowance funds the voucher' });
    }
    if ((voucher.status === 'granted') !== (voucher.funding === 'allowance' && voucher.confirmation.method !== 'allowance')) {
      ctx.addIssue({ code: 'custom', path: ['status'], message: 'is granted exactly for the confirmed allowance ticket' });
    }
    if (paid !== voucher.amount > 0) {
      ctx.addIssue({ code: 'custom', path: ['amount'], message: 'is zero exactly for an authentication voucher' });
    }
  });

export type Address = z.infer<typeof address>;
export type SharedData = z.infer<typeof sharedData>;
export type VoucherClaims = z.infer<typeof voucherClaims>;
export type VoucherAllowance = z.infer<typeof voucherAllowance>;
