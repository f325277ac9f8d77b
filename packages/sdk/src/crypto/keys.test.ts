import { createPublicKey, verify } from 'node:crypto';
import { assertionClaims, parseMessage, publicJwk } from '@caisse/protocol';
import { base64urlDecode } from '@caisse/protocol/base64url';
import { describe, expect, it } from 'vitest';
import { createAssertion } from './assertion.js';
import { generateDeviceKey, importPrivateKey, supportsEd25519, thumbprint } from './keys.js';

function decodePart(part: string | undefined): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(base64urlDecode(part ?? ''))) as Record<string, unknown>;
}

describe('device keys', () => {
  it('computes the RFC 7638 thumbprint (RFC 8037 appendix A.3 vector)', async () => {
    expect(await thumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' })).toBe(
      'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    );
  });

  it('uses Ed25519 where WebCrypto has it (Node 20 has)', async () => {
    expect(await supportsEd25519()).toBe(true);
    expect((await generateDeviceKey({ extractable: false })).algorithm).toBe('EdDSA');
  });

  it.each(['EdDSA', 'ES256'] as const)(
    'makes a %s key whose id is dev- + its thumbprint and whose public JWK the protocol accepts',
    async (algorithm) => {
      const key = await generateDeviceKey({ algorithm, extractable: false });
      expect(key.privateKey.extractable).toBe(false);
      expect(key.deviceId).toBe(`dev-${await thumbprint(key.publicJwk)}`);
      expect(key.deviceId).toMatch(/^dev-[A-Za-z0-9_-]{43}$/);
      expect(parseMessage(publicJwk, key.publicJwk)).toEqual(key.publicJwk);
    },
  );

  it.each(['EdDSA', 'ES256'] as const)(
    'signs %s assertions that node:crypto verifies with the public JWK, with the claims of the contract',
    async (algorithm) => {
      const key = await generateDeviceKey({ algorithm, extractable: false });
      const signer = { ...key, issuer: 'https://pay.example' };
      const now = () => new Date('2026-01-01T00:00:00Z');
      const token = await createAssertion(signer, { method: 'POST', path: '/device/pin', body: '{"a":1}' }, now, 'fixedjti');
      const [header, payload, signature] = token.split('.');
      expect(decodePart(header)).toEqual({ alg: algorithm, typ: 'caisse-assertion+jwt', kid: key.deviceId });
      const claims = parseMessage(assertionClaims, decodePart(payload));
      expect(claims).toEqual({
        ver: 1,
        iss: key.deviceId,
        aud: 'https://pay.example',
        jti: 'fixedjti',
        iat: 1767225600,
        exp: 1767225660,
        htm: 'POST',
        htu: 'https://pay.example/device/pin',
        bodySha256: 'AVq9f1zFei3ZS3WQ8ErYCEJzkF7jPsXOvq5iJ2qX-GI',
      });
      const publicKey = createPublicKey({ key: key.publicJwk, format: 'jwk' });
      const input = Buffer.from(`${header}.${payload}`);
      const bytes = base64urlDecode(signature ?? '') as Uint8Array;
      const ok =
        algorithm === 'EdDSA'
          ? verify(null, input, publicKey, bytes)
          : verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, bytes);
      expect(ok).toBe(true);
    },
  );

  it('imports a stored private JWK as a non-extractable signer', async () => {
    const key = await generateDeviceKey({ algorithm: 'ES256', extractable: true });
    const jwk = await crypto.subtle.exportKey('jwk', key.privateKey);
    const imported = await importPrivateKey('ES256', jwk);
    expect(imported.extractable).toBe(false);
    expect(imported.usages).toEqual(['sign']);
  });
});
