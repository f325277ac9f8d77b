import { base64urlEncode } from '@caisse/protocol/base64url';
import { CaisseDeviceError } from '../errors.js';

/** OWASP's 2023 figure for PBKDF2-HMAC-SHA256; the device API fixes it. */
export const PIN_ITERATIONS = 310_000;

const PIN_FORMAT = /^[0-9]{4,12}$/;

/** @throws CaisseDeviceError `pin_malformed` unless the PIN is 4–12 ASCII digits */
export function checkPinFormat(pin: string): void {
  if (typeof pin !== 'string' || !PIN_FORMAT.test(pin)) throw new CaisseDeviceError('pin_malformed');
}

/**
 * The pinKey of the device API: PBKDF2-HMAC-SHA256 of the PIN with the device's pinSalt,
 * 32 bytes. Returned as bytes only so that enrolment and PIN change can send the
 * verifier; callers drop them as soon as they have the proof.
 */
export async function derivePinKey(pin: string, salt: Uint8Array): Promise<Uint8Array> {
  checkPinFormat(pin);
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as Uint8Array<ArrayBuffer>, iterations: PIN_ITERATIONS },
    material,
    256,
  );
  return new Uint8Array(bits);
}

/** What the server keeps (sealed) to check proofs: base64url(pinKey). */
export function pinVerifier(pinKey: Uint8Array): string {
  return base64urlEncode(pinKey);
}

/**
 * What a PIN proof is for (docs/device-api.md, "The PIN"): the purpose is inside the MAC,
 * so a proof made for one purpose proves nothing for another.
 */
export type PinPurpose = 'approve' | 'pin-change' | 'plan-change';

/**
 * `base64url(HMAC-SHA256(pinKey, "caisse-pin|" + purpose + "|" + binding))`.
 * @example await pinProof(pinKey, 'approve', `${request.id}|${request.challenge}`)
 */
export async function pinProof(pinKey: Uint8Array, purpose: PinPurpose, binding: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', pinKey as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`caisse-pin|${purpose}|${binding}`));
  return base64urlEncode(new Uint8Array(mac));
}
