import { createHmac } from 'node:crypto';
import { safeEqual } from '@caisse/server-kit';
import { seal, unseal } from '../secrets.js';

/** What a PIN proof is for; each purpose has its own binding (docs/device-api.md, "The PIN"). */
export type PinPurpose = 'approve' | 'pin-change' | 'plan-change';

/** Seals the verifier to its device: a sealed value copied to another device's row does not open. */
export function sealPinVerifier(sealingKey: Buffer, deviceId: string, verifier: string): string {
  return seal(sealingKey, verifier, `device-pin:${deviceId}`);
}

/**
 * Whether `proof` is `base64url(HMAC-SHA256(pinKey, "caisse-pin|<purpose>|<binding>"))` for
 * the device's sealed verifier (`base64url(pinKey)`), compared in constant time.
 */
export function pinProofMatches(
  sealingKey: Buffer,
  device: { id: string; sealedVerifier: string },
  purpose: PinPurpose,
  binding: string,
  proof: string,
): boolean {
  const pinKey = Buffer.from(unseal(sealingKey, device.sealedVerifier, `device-pin:${device.id}`), 'base64url');
  const expected = createHmac('sha256', pinKey).update(`caisse-pin|${purpose}|${binding}`).digest('base64url');
  pinKey.fill(0);
  return safeEqual(proof, expected);
}
