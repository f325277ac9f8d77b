import { TOKEN_TYPES } from '@caisse/protocol';
import { signJws, staticKeySet, verifyJws } from '@caisse/server-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveKey, generateSecret } from '../secrets.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { createServerKeys, KEY_RETENTION_SECONDS } from './service.js';

describe.each(await testDrivers('server keys'))('server keys on %s', (driver) => {
  let test: TestDatabase | undefined;
  afterEach(async () => {
    await test?.close();
  });

  async function keysAt(clock: { now: Date }) {
    test = await openTestDatabase(driver, 'server_keys');
    const { db } = test;
    return createServerKeys({ db, sealingKey: deriveKey(generateSecret(), 'key-sealing'), publishDelay: 600, now: () => clock.now });
  }

  it('makes a first key that signs at once and is published', async () => {
    const clock = { now: new Date('2026-11-22T10:00:00Z') };
    const keys = await keysAt(clock);
    await keys.ensureKey();
    await keys.ensureKey();
    const jwks = await keys.jwks();
    expect(jwks.keys).toHaveLength(1);
    const signer = await keys.signingKey();
    expect(jwks.keys[0]?.kid).toBe(signer.kid);
    const token = signJws(TOKEN_TYPES.voucher, { ver: 1 }, signer);
    await expect(verifyJws(token, [TOKEN_TYPES.voucher], staticKeySet(jwks))).resolves.toMatchObject({ kid: signer.kid });
  });

  it('publishes a rotated key before it signs, and keeps the old one until its tokens have expired', async () => {
    const clock = { now: new Date('2026-11-22T10:00:00Z') };
    const keys = await keysAt(clock);
    await keys.ensureKey();
    const first = (await keys.signingKey()).kid;
    const next = await keys.rotate();

    clock.now = new Date(clock.now.getTime() + 1_000);
    expect((await keys.jwks()).keys.map((key) => key.kid)).toEqual([next.kid, first]);
    expect((await keys.signingKey()).kid).toBe(first);

    clock.now = new Date(next.signsFrom.getTime() + 10_000);
    expect((await keys.signingKey()).kid).toBe(next.kid);
    expect((await keys.jwks()).keys.map((key) => key.kid)).toEqual([next.kid, first]);

    clock.now = new Date(next.signsFrom.getTime() + KEY_RETENTION_SECONDS * 1000 + 1_000);
    expect((await keys.jwks()).keys.map((key) => key.kid)).toEqual([next.kid]);
  });

  it('keeps private keys sealed at rest', async () => {
    const clock = { now: new Date('2026-11-22T10:00:00Z') };
    const keys = await keysAt(clock);
    await keys.ensureKey();
    const { rows } = await (test as TestDatabase).db.query<{ private_jwk_sealed: string }>('SELECT private_jwk_sealed FROM server_keys');
    expect(rows[0]?.private_jwk_sealed).toMatch(/^v1\./);
    expect(rows[0]?.private_jwk_sealed).not.toContain('"d"');
  });
});
