import { createHmac } from 'node:crypto';

/** Domain separation: this MAC is used for nothing else, even with the same secret. */
const LABEL = 'caisse pairwise subject v1\0';

/** Bytes of secret needed (the key derived for 'pairwise-subject' from CAISSE_SECRET has 32). */
export const PAIRWISE_SECRET_LENGTH = 32;

/**
 * The customer id a merchant sees in vouchers (`sub`): stable for one customer and one
 * merchant, unrelated across merchants, so two merchants cannot join their customer
 * lists (OpenID Connect's pairwise subject identifiers, Core §8.1). HMAC-SHA256 over the
 * two ids, cut to 128 bits: `c_` + 22 base64url characters, which fits the protocol id rule.
 * Ids cannot contain NUL, so the separator makes the input unambiguous.
 * @example pairwiseSubject(secret, 'alice', 'bookshop') // 'c_…' (24 characters)
 */
export function pairwiseSubject(secret: Uint8Array, customerId: string, merchantId: string): string {
  const mac = createHmac('sha256', secret).update(LABEL).update(customerId).update('\0').update(merchantId).digest();
  return `c_${mac.subarray(0, 16).toString('base64url')}`;
}
