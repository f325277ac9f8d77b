import * as z from 'zod';
import { MODES } from '../mode.js';
import { ALGORITHMS } from '../token-types.js';
import { id, party, url } from './fields.js';

const coordinate = (bytes: number) =>
  z.string().regex(new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((bytes * 4) / 3)}}$`), `must be ${bytes} bytes, base64url`);

/** `ext` is what WebCrypto's exportKey('jwk') adds; accepted so exported device keys register as they are. */
const common = { kid: id, use: z.literal('sig').optional(), key_ops: z.array(z.literal('verify')).optional(), ext: z.boolean().optional() };

/**
 * A public signing key as the protocol accepts it: Ed25519 (RFC 8037) or P-256
 * (RFC 7518 §6.2). Private members (`d`) are refused, so a leaked private key can never
 * be published by mistake.
 */
export const publicJwk = z.discriminatedUnion('kty', [
  z.strictObject({ ...common, kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: coordinate(32), alg: z.literal('EdDSA').optional() }),
  z.strictObject({
    ...common,
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    x: coordinate(32),
    y: coordinate(32),
    alg: z.literal('ES256').optional(),
  }),
]);

export const publicJwks = z.strictObject({ keys: z.array(publicJwk).min(1).max(32) }).superRefine((jwks, ctx) => {
  const kids = jwks.keys.map((key) => key.kid);
  if (new Set(kids).size !== kids.length) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'kid must be unique' });
});

/** The payment server's discovery document, served at `/.well-known/caisse`. */
export const discoveryDocument = z.object({
  issuer: party,
  jwksUri: url,
  payEndpoint: url,
  apiBase: url,
  algorithms: z.array(z.enum(ALGORITHMS)),
  versions: z.array(z.int()),
  /** `test`: the server signs every token with `test: true` and moves no real money. Absent (older servers): `live`. */
  mode: z.enum(MODES).optional(),
});

export type PublicJwk = z.infer<typeof publicJwk>;
export type PublicJwks = z.infer<typeof publicJwks>;
export type DiscoveryDocument = z.infer<typeof discoveryDocument>;
