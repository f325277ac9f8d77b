import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectAccepted, refusal, refusedAt, without } from '../test-support.js';
import { discoveryDocument, publicJwk, publicJwks } from './keys.js';

const ed25519 = generateKeyPairSync('ed25519');
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const edPublic = { ...ed25519.publicKey.export({ format: 'jwk' }), kid: 'shop-2026-01' };
const ecPublic = { ...p256.publicKey.export({ format: 'jwk' }), kid: 'shop-2026-02' };

describe('publicJwk', () => {
  it('accepts Ed25519 and P-256 public keys as node:crypto exports them, with a kid', () => {
    expectAccepted(publicJwk, edPublic);
    expectAccepted(publicJwk, ecPublic);
    expectAccepted(publicJwk, { ...edPublic, alg: 'EdDSA', use: 'sig', key_ops: ['verify'] });
    expectAccepted(publicJwk, { ...ecPublic, alg: 'ES256', use: 'sig' });
  });

  it('refuses a private key', () => {
    const edPrivate = { ...ed25519.privateKey.export({ format: 'jwk' }), kid: 'shop-2026-01' };
    const ecPrivate = { ...p256.privateKey.export({ format: 'jwk' }), kid: 'shop-2026-02' };
    expect(refusal(publicJwk, edPrivate)).toEqual([{ path: '', message: 'Unrecognized key: "d"' }]);
    expect(refusedAt(publicJwk, ecPrivate)).toEqual(['']);
  });

  it('refuses a key without a valid kid', () => {
    expect(refusedAt(publicJwk, without(edPublic, 'kid'))).toEqual(['kid']);
    expect(refusedAt(publicJwk, { ...edPublic, kid: 'my key' })).toEqual(['kid']);
  });

  it('refuses other key types, curves and algorithms', () => {
    expect(refusedAt(publicJwk, { ...edPublic, kty: 'RSA' })).toEqual(['kty']);
    expect(refusedAt(publicJwk, { ...edPublic, crv: 'Ed448' })).toEqual(['crv']);
    expect(refusedAt(publicJwk, { ...ecPublic, crv: 'P-384' })).toEqual(['crv']);
    expect(refusedAt(publicJwk, { ...edPublic, alg: 'ES256' })).toEqual(['alg']);
    expect(refusedAt(publicJwk, { ...ecPublic, alg: 'EdDSA' })).toEqual(['alg']);
    expect(refusedAt(publicJwk, { ...ecPublic, alg: 'none' })).toEqual(['alg']);
  });

  it('refuses keys meant for encryption or signing', () => {
    expect(refusedAt(publicJwk, { ...edPublic, use: 'enc' })).toEqual(['use']);
    expect(refusedAt(publicJwk, { ...edPublic, key_ops: ['sign'] })).toEqual(['key_ops.0']);
  });

  it('refuses coordinates that are not 32 bytes of base64url', () => {
    expect(refusedAt(publicJwk, { ...edPublic, x: String(edPublic.x).slice(1) })).toEqual(['x']);
    expect(refusedAt(publicJwk, { ...ecPublic, y: `${String(ecPublic.y)}A` })).toEqual(['y']);
    expect(refusedAt(publicJwk, without(ecPublic, 'y'))).toEqual(['y']);
  });
});

describe('publicJwks', () => {
  it('accepts a set of 1 to 32 keys with distinct kids', () => {
    expectAccepted(publicJwks, { keys: [edPublic, ecPublic] });
    const many = Array.from({ length: 32 }, (_, i) => ({ ...edPublic, kid: `k${i}` }));
    expectAccepted(publicJwks, { keys: many });
  });

  it('refuses a set holding a private key, at that key', () => {
    const edPrivate = { ...ed25519.privateKey.export({ format: 'jwk' }), kid: 'shop-2026-03' };
    expect(refusedAt(publicJwks, { keys: [edPublic, edPrivate] })).toEqual(['keys.1']);
  });

  it('refuses a repeated kid', () => {
    expect(refusal(publicJwks, { keys: [edPublic, { ...ecPublic, kid: edPublic.kid }] })).toEqual([
      { path: 'keys', message: 'kid must be unique' },
    ]);
  });

  it('refuses an empty set, more than 32 keys, and extra members', () => {
    expect(refusedAt(publicJwks, { keys: [] })).toEqual(['keys']);
    expect(refusedAt(publicJwks, { keys: Array.from({ length: 33 }, (_, i) => ({ ...edPublic, kid: `k${i}` })) })).toEqual(['keys']);
    expect(refusedAt(publicJwks, { keys: [edPublic], issuer: 'x' })).toEqual(['']);
    expect(refusedAt(publicJwks, [edPublic])).toEqual(['']);
  });
});

describe('discoveryDocument', () => {
  const document = {
    issuer: 'https://pay.caisse.example',
    jwksUri: 'https://pay.caisse.example/.well-known/jwks.json',
    payEndpoint: 'https://pay.caisse.example/pay',
    apiBase: 'https://pay.caisse.example/api/v1',
    algorithms: ['EdDSA', 'ES256'],
    versions: [1],
  };

  it('accepts a realistic document', () => {
    expectAccepted(discoveryDocument, document);
  });

  it('ignores members it does not know, so the document can grow without a new version', () => {
    expect(discoveryDocument.parse({ ...document, serviceDocumentation: 'https://pay.caisse.example/docs' })).toEqual(document);
  });

  it('refuses non-https endpoints, unknown algorithms and missing members', () => {
    expect(refusedAt(discoveryDocument, { ...document, jwksUri: 'http://pay.caisse.example/jwks' })).toEqual(['jwksUri']);
    expect(refusedAt(discoveryDocument, { ...document, algorithms: ['EdDSA', 'RS256'] })).toEqual(['algorithms.1']);
    expect(refusedAt(discoveryDocument, { ...document, versions: [1.5] })).toEqual(['versions.0']);
    for (const member of Object.keys(document)) expect(refusedAt(discoveryDocument, without(document, member))).toEqual([member]);
  });
});
