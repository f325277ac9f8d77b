import { base64urlEncode } from './base64url.js';
import { canonicalJson } from './canonical-json.js';
import type { Item } from './messages/ticket.js';

/** SHA-256 of UTF-8 text or bytes, base64url without padding. Uses WebCrypto, present in Node 20+, browsers, Deno and Bun. */
export async function sha256Base64url(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return base64urlEncode(new Uint8Array(digest));
}

/**
 * The hash a voucher commits to: SHA-256 over the ASCII bytes of the ticket exactly as
 * signed (the compact JWS string), base64url. Hashing the signed bytes rather than a
 * re-serialisation means there is nothing to canonicalise and nothing to get wrong.
 * @example await ticketHash('eyJhbGciOiJFZERTQSJ9.eyJ…') // 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg'
 */
export function ticketHash(ticketToken: string): Promise<string> {
  return sha256Base64url(ticketToken);
}

/** The items digest a voucher carries: SHA-256 of the RFC 8785 canonical JSON of the items array. */
export function itemsDigest(items: readonly Item[]): Promise<string> {
  return sha256Base64url(canonicalJson(items));
}
