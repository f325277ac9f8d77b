import { type DeviceCertificateClaims, type Mode, PROTOCOL_VERSION, type PublicJwk, TOKEN_TYPES } from '@caisse/protocol';
import { type SigningKey, signJws } from '@caisse/server-kit';

/** A device as its row stands: what its certificate states. */
export interface CertifiedDevice {
  id: string;
  customerId: string;
  jwk: PublicJwk;
  enrolledAt: Date;
  revokedAt: Date | null;
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * The payment server's certificate of a device key (`caisse-device-cert+jwt`): this key is
 * device `sub`'s, enrolled by `customer` then, revoked then if it was. Signed with the key
 * the server signs with now, so anyone with its JWKS can check what that device signed.
 * @example const certificate = signDeviceCertificate(device, { issuer, mode, key: await keys.signingKey(), at: now() })
 */
export function signDeviceCertificate(
  device: CertifiedDevice,
  signer: { issuer: string; mode: Mode; key: SigningKey; at: Date },
): { token: string; claims: DeviceCertificateClaims } {
  const claims: DeviceCertificateClaims = {
    ver: PROTOCOL_VERSION,
    iss: signer.issuer,
    sub: device.id,
    iat: seconds(signer.at),
    customer: device.customerId,
    cnf: { jwk: device.jwk },
    enrolledAt: seconds(device.enrolledAt),
    ...(device.revokedAt === null ? {} : { revokedAt: seconds(device.revokedAt) }),
    ...(signer.mode === 'test' ? { test: true as const } : {}),
  };
  return { token: signJws(TOKEN_TYPES.deviceCertificate, claims, signer.key), claims };
}
