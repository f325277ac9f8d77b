import { LIMITS, publicJwk } from '@caisse/protocol';
import { z } from 'zod';

/** A customer's enrolled phone key (docs/device-api.md). */
export interface Device {
  /** `dev-` + the RFC 7638 SHA-256 thumbprint of the public JWK. */
  readonly id: string;
  readonly customerId: string;
  readonly alg: 'EdDSA' | 'ES256';
  /** What the customer called it, shown in the account page. */
  readonly name: string | null;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export const DEVICE_ID = /^dev-[A-Za-z0-9_-]{43}$/;

/** Enrollment codes work once, for this long (seconds). */
export const ENROLLMENT_CODE_LIFETIME = 600;

/** Digits of an enrollment code: 40 bits, so guessing a live one in its 10 minutes is hopeless. */
export const ENROLLMENT_CODE_DIGITS = 12;

/** Longest a device assertion may last (`exp − iat`), in seconds: shorter than a merchant's. */
export const DEVICE_ASSERTION_LIFETIME = 60;

/** Seconds of difference tolerated on a confirmation's `iat`, either way. */
export const CONFIRMATION_IAT_TOLERANCE = 60;

/** Default seconds a customer has to answer (CAISSE_CONFIRMATION_LIFETIME). */
export const DEFAULT_CONFIRMATION_LIFETIME = 300;

/** `base64url(pinKey)`: 32 bytes. */
const pinVerifier = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be base64url(pinKey), 32 bytes');
/** `base64url(HMAC-SHA256(pinKey, …))`: 32 bytes (see `pin.ts`). */
export const pinProof = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be base64url(HMAC-SHA256(…)), 32 bytes');

export const enrollInput = z.strictObject({
  code: z.string().min(1).max(64),
  jwk: publicJwk,
  pinVerifier,
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters')
    .optional(),
});
export type EnrollInput = z.infer<typeof enrollInput>;

export const pinChangeInput = z.strictObject({ pinProof, pinVerifier });

export const answerInput = z.strictObject({ token: z.string().min(1).max(LIMITS.tokenLength) });

/** The states of a confirmation request; it leaves `open` exactly once. */
export type ConfirmationState = 'open' | 'approved' | 'declined' | 'expired' | 'cancelled';
