/**
 * base64url without padding (RFC 4648 §5), as JWS uses it (RFC 7515 §2). Decoding is
 * strict: padding, characters outside the alphabet and non-zero trailing bits are
 * refused, so that every byte string has exactly one encoding.
 */

const ALPHABET = /^[A-Za-z0-9_-]*$/;

export function base64urlEncode(bytes: Uint8Array | string): string {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  let binary = '';
  for (let i = 0; i < data.length; i += 0x8000) {
    binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Returns `undefined` for anything that is not canonical unpadded base64url. */
export function base64urlDecode(text: string): Uint8Array | undefined {
  if (!ALPHABET.test(text) || text.length % 4 === 1) return undefined;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return base64urlEncode(bytes) === text ? bytes : undefined;
}
