import { LIMITS, type PublicJwk } from '@caisse/protocol';
import { z } from 'zod';
import { ID_PATTERN } from './input.js';
import type { MerchantStatus } from './status.js';

/** A public key a merchant registered, current or retired. */
export interface MerchantKey {
  readonly kid: string;
  /** The public JWK as the protocol parsed it: never a private member. */
  readonly jwk: PublicJwk;
  readonly addedAt: Date;
  /** Set once the key is retired: from then on it verifies nothing. */
  readonly retiredAt: Date | null;
}

export interface Merchant {
  /** The ticket `iss` and the voucher `aud`: the protocol id rule. */
  readonly id: string;
  /** Shown to customers on the hosted pages and the phone. */
  readonly displayName: string;
  /** The keys tickets may be signed with: `{ keys }` of the active keys, newest first. */
  readonly jwks: { readonly keys: readonly PublicJwk[] };
  /** Every key ever registered, retired ones included, newest first. */
  readonly keys: readonly MerchantKey[];
  /** Exact origins (`https://host[:port]`) the return and cancel URLs must belong to. */
  readonly returnOrigins: readonly string[];
  /** Where signed notifications are posted; null when the merchant takes none. */
  readonly notifyUrl: string | null;
  /** Where the payment server asks for quotes (`caisse-quote+jwt`, docs/quotes-and-delivery.md); null when the merchant takes none. */
  readonly quoteUrl: string | null;
  /** `pending` until the operator approves it, `active`, or `suspended`: only an active merchant takes new payments (status.ts). */
  readonly status: MerchantStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Most active keys per merchant (a JWKS holds at most 32 in the protocol). */
export const MAX_ACTIVE_KEYS = 32;

const id = z.string().regex(ID_PATTERN, 'must be 1–64 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit');

/** Display names follow the protocol's label rule: 1–200 code points, no control characters. */
const displayName = z
  .string()
  .min(1)
  .max(LIMITS.labelLength)
  .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters')
  .refine((name) => name.trim() === name && name.length > 0, 'must not start or end with spaces');

/** Checked in the service (keys with server-kit, origins and URL with their own rules); only the shape here. */
export const registerMerchantInput = z.strictObject({
  id,
  displayName,
  jwks: z.unknown(),
  returnOrigins: z.array(z.unknown()),
  notifyUrl: z.string().nullable().optional(),
  quoteUrl: z.string().nullable().optional(),
  status: z.enum(['pending', 'active']).optional(),
});

export interface RegisterMerchantInput {
  id: string;
  displayName: string;
  /** The merchant's public JWKS (`{ keys: [...] }`), e.g. server-kit's `generateKey().jwks`. */
  jwks: unknown;
  /** Exact origins, e.g. `['https://shop.example', 'http://localhost:3000']`. */
  returnOrigins: readonly string[];
  /** https (http only on localhost); omit or null for none. */
  notifyUrl?: string | null;
  /** The quote endpoint: https (http only on localhost); omit or null for none. */
  quoteUrl?: string | null;
  /** `active` (default: the operator registering it has vetted it), or `pending` until someone approves it. */
  status?: 'pending' | 'active';
}

export const merchantId = id;

export interface MerchantRow {
  id: string;
  display_name: string;
  return_origins: string[];
  notify_url: string | null;
  quote_url: string | null;
  status: MerchantStatus;
  created_at: Date;
  updated_at: Date;
}

export interface MerchantKeyRow {
  merchant_id: string;
  kid: string;
  jwk: PublicJwk;
  added_at: Date;
  retired_at: Date | null;
}

export function toMerchant(row: MerchantRow, keyRows: readonly MerchantKeyRow[]): Merchant {
  const keys = keyRows.map((key) => ({ kid: key.kid, jwk: key.jwk, addedAt: key.added_at, retiredAt: key.retired_at }));
  return {
    id: row.id,
    displayName: row.display_name,
    jwks: { keys: keys.filter((key) => key.retiredAt === null).map((key) => key.jwk) },
    keys,
    returnOrigins: row.return_origins,
    notifyUrl: row.notify_url,
    quoteUrl: row.quote_url,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
