import { TOKEN_TYPES } from '@caisse/protocol';
import { generateKey, signJws, verifyJws } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../storage/database.js';
import { constraintName } from '../storage/errors.js';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import type { RegisterMerchantInput } from './model.js';
import { createMerchantService, type MerchantService } from './service.js';
import { partyRows, problem, refusedWithoutChange } from './test-fixtures.js';

const drivers = await testDrivers('payment-server merchants');

let serial = 0;
/** A fresh merchant id and key per test, so tests sharing a database do not meet. */
function merchantInput(overrides: Partial<RegisterMerchantInput> = {}) {
  const key = generateKey();
  const input: RegisterMerchantInput = {
    id: `shop-${++serial}`,
    displayName: 'La Librairie',
    jwks: key.jwks,
    returnOrigins: ['https://shop.example', 'http://localhost:3000'],
    notifyUrl: 'https://backend.shop.example/caisse/notify',
    ...overrides,
  };
  return { input, key };
}

/** A ticket-shaped token: only the signature and the kid matter to the key set. */
function token(signingKey: ReturnType<typeof generateKey>['signingKey']) {
  return signJws(TOKEN_TYPES.ticket, { ver: 1, iss: 'shop' }, signingKey);
}

describe.each(drivers)('merchants on %s', (driver) => {
  let handle: TestDatabase;
  let db: Database;
  let merchants: MerchantService;
  const clock = { now: new Date('2026-11-22T10:00:00Z') };

  beforeAll(async () => {
    handle = await openTestDatabase(driver, 'merchants');
    db = handle.db;
    merchants = createMerchantService({ db, now: () => clock.now });
  });
  afterAll(() => handle.close());

  describe('register', () => {
    it('registers a merchant with its public keys, origins and notification URL', async () => {
      const { input, key } = merchantInput();
      const merchant = await merchants.register(input);
      expect(merchant).toEqual({
        id: input.id,
        displayName: 'La Librairie',
        jwks: { keys: [key.publicJwk] },
        keys: [{ kid: key.kid, jwk: key.publicJwk, addedAt: clock.now, retiredAt: null }],
        returnOrigins: ['https://shop.example', 'http://localhost:3000'],
        notifyUrl: 'https://backend.shop.example/caisse/notify',
        quoteUrl: null,
        status: 'active',
        createdAt: clock.now,
        updatedAt: clock.now,
      });
      expect(await merchants.get(input.id)).toEqual(merchant);
    });

    it('takes ES256 keys, several keys, and no notification URL', async () => {
      const a = generateKey({ alg: 'ES256' });
      const b = generateKey();
      const { input } = merchantInput({ jwks: { keys: [a.publicJwk, b.publicJwk] }, notifyUrl: null });
      const merchant = await merchants.register(input);
      expect(merchant.jwks.keys.map((key) => key.kid).sort()).toEqual([a.kid, b.kid].sort());
      expect(merchant.notifyUrl).toBeNull();
    });

    it('refuses a JWKS holding a private key, and writes nothing', async () => {
      const key = generateKey();
      const { input } = merchantInput({ jwks: { keys: [key.privateJwk] } });
      const error = await refusedWithoutChange(db, 'keys_invalid', () => merchants.register(input));
      expect(error.message).not.toContain(key.privateJwk.d);
      expect(JSON.stringify(error.issues)).not.toContain(key.privateJwk.d);
    });

    it('refuses a JWKS holding a private key next to a good one', async () => {
      const good = generateKey();
      const bad = generateKey();
      const { input } = merchantInput({ jwks: { keys: [good.publicJwk, bad.privateJwk] } });
      await refusedWithoutChange(db, 'keys_invalid', () => merchants.register(input));
    });

    it('refuses two keys with the same kid', async () => {
      const a = generateKey({ kid: 'k1' });
      const b = generateKey({ kid: 'k1' });
      const { input } = merchantInput({ jwks: { keys: [a.publicJwk, b.publicJwk] } });
      await refusedWithoutChange(db, 'keys_invalid', () => merchants.register(input));
    });

    it.each([
      ['no keys', { keys: [] }],
      ['not a JWKS', 'not-json'],
      ['an RSA key', { keys: [{ kty: 'RSA', kid: 'r', n: 'AQAB', e: 'AQAB' }] }],
      ['a key without kid', { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'x'.repeat(43) }] }],
    ])('refuses %s', async (_name, jwks) => {
      const { input } = merchantInput({ jwks });
      await refusedWithoutChange(db, 'keys_invalid', () => merchants.register(input));
    });

    it.each([
      ['http off localhost', ['http://shop.example']],
      ['a path', ['https://shop.example/paid']],
      ['a trailing slash', ['https://shop.example/']],
      ['user info', ['https://shop.example@evil.com']],
      ['a wildcard', ['https://*.shop.example']],
      ['a trailing dot', ['https://shop.example.']],
      ['upper case', ['https://Shop.example']],
      ['javascript:', ['javascript:alert(1)']],
      ['a relative URL', ['/paid']],
      ['no origin at all', []],
      ['one good and one bad', ['https://shop.example', 'http://evil.example']],
    ])('refuses return origins with %s', async (_name, returnOrigins) => {
      const { input } = merchantInput({ returnOrigins });
      await refusedWithoutChange(db, 'origin_invalid', () => merchants.register(input));
    });

    it.each([
      ['an http notification URL off localhost', { notifyUrl: 'http://backend.shop.example/notify' }],
      ['a notification URL with credentials', { notifyUrl: 'https://user:pw@backend.shop.example/notify' }],
      ['a relative notification URL', { notifyUrl: '/notify' }],
      ['an id outside the id rule', { id: 'shop/1' }],
      ['an empty display name', { displayName: '' }],
      ['a display name with a control character', { displayName: 'Shop\u0007' }],
    ])('refuses %s', async (_name, overrides) => {
      const { input } = merchantInput(overrides);
      await refusedWithoutChange(db, 'request_invalid', () => merchants.register(input));
    });

    it('refuses an unknown member', async () => {
      const { input } = merchantInput();
      await refusedWithoutChange(db, 'request_invalid', () => merchants.register({ ...input, website: 'x' } as RegisterMerchantInput));
    });

    it('accepts an http notification URL on localhost', async () => {
      const { input } = merchantInput({ notifyUrl: 'http://localhost:3000/caisse/notify' });
      expect((await merchants.register(input)).notifyUrl).toBe('http://localhost:3000/caisse/notify');
    });

    it('refuses a second merchant with the same id, and keeps the first as it was', async () => {
      const { input } = merchantInput();
      const first = await merchants.register(input);
      const other = merchantInput({ id: input.id, displayName: 'Someone else' });
      await refusedWithoutChange(db, 'merchant_exists', () => merchants.register(other.input));
      expect(await merchants.get(input.id)).toEqual(first);
    });
  });

  describe('get and list', () => {
    it('says merchant_unknown for an id nobody registered, or that cannot be an id', async () => {
      await problem(merchants.get('nobody'), 'merchant_unknown');
      await problem(merchants.get("x' OR '1'='1"), 'merchant_unknown');
      await problem(merchants.merchantKeys('nobody'), 'merchant_unknown');
      expect(await merchants.keySet('nobody')).toBeUndefined();
      expect(await merchants.isRegisteredOrigin('nobody', 'https://shop.example/paid')).toBe(false);
      expect(await merchants.ticketPolicy('nobody')).toBeUndefined();
      expect(await merchants.ticketPolicy("x' OR '1'='1")).toBeUndefined();
      await problem(merchants.displayName('nobody'), 'merchant_unknown');
      await problem(merchants.displayName("x' OR '1'='1"), 'merchant_unknown');
    });

    it('gives the display name customers are shown', async () => {
      const { input } = merchantInput({ displayName: 'Le Kiosque' });
      await merchants.register(input);
      expect(await merchants.displayName(input.id)).toBe('Le Kiosque');
      expect(await merchants.displayName(input.id)).toBe('Le Kiosque');
    });

    it('lists merchants by id, a page at a time', async () => {
      const ids = ['list-a', 'list-b', 'list-c'];
      for (const id of ids.reverse()) await merchants.register(merchantInput({ id }).input);
      const page1 = await merchants.list({ after: 'list-', limit: 2 });
      expect(page1.map((merchant) => merchant.id)).toEqual(['list-a', 'list-b']);
      const page2 = await merchants.list({ after: 'list-b', limit: 2 });
      expect(page2[0]?.id).toBe('list-c');
      expect(page2[0]?.jwks.keys).toHaveLength(1);
      await problem(merchants.list({ limit: 0 }), 'request_invalid');
    });
  });

  describe('keys', () => {
    it('verifies a token only with a key the merchant registered', async () => {
      const { input, key } = merchantInput();
      await merchants.register(input);
      const keys = await merchants.merchantKeys(input.id);
      await expect(verifyJws(token(key.signingKey), [TOKEN_TYPES.ticket], keys)).resolves.toMatchObject({ kid: key.kid });

      // A key nobody registered, even one claiming the registered kid, verifies nothing.
      const impostor = generateKey({ kid: key.kid });
      await expect(verifyJws(token(impostor.signingKey), [TOKEN_TYPES.ticket], keys)).rejects.toMatchObject({ code: 'signature_invalid' });
      const stranger = generateKey();
      await expect(verifyJws(token(stranger.signingKey), [TOKEN_TYPES.ticket], keys)).rejects.toMatchObject({ code: 'key_unknown' });

      // Another merchant's registered key does not verify this merchant's tickets.
      const other = merchantInput();
      await merchants.register(other.input);
      await expect(verifyJws(token(other.key.signingKey), [TOKEN_TYPES.ticket], keys)).rejects.toMatchObject({ code: 'key_unknown' });
    });

    it('adds a key, retires the old one, and verifies accordingly on the next key set', async () => {
      const { input, key: first } = merchantInput();
      await merchants.register(input);
      const second = generateKey();
      clock.now = new Date('2026-11-22T11:00:00Z');
      const added = await merchants.addKey(input.id, second.publicJwk);
      expect(added.jwks.keys.map((key) => key.kid)).toEqual([second.kid, first.kid]);
      expect(added.updatedAt).toEqual(clock.now);
      await expect(
        verifyJws(token(second.signingKey), [TOKEN_TYPES.ticket], await merchants.merchantKeys(input.id)),
      ).resolves.toBeDefined();

      const retired = await merchants.retireKey(input.id, first.kid);
      expect(retired.jwks.keys.map((key) => key.kid)).toEqual([second.kid]);
      expect(retired.keys.find((key) => key.kid === first.kid)?.retiredAt).toEqual(clock.now);
      const keys = await merchants.merchantKeys(input.id);
      await expect(verifyJws(token(first.signingKey), [TOKEN_TYPES.ticket], keys)).rejects.toMatchObject({ code: 'key_unknown' });
      await expect(verifyJws(token(second.signingKey), [TOKEN_TYPES.ticket], keys)).resolves.toBeDefined();
      // Ticket intake's single read refuses the retired key at once too.
      const policy = await merchants.ticketPolicy(input.id);
      await expect(verifyJws(token(first.signingKey), [TOKEN_TYPES.ticket], policy?.keys ?? keys)).rejects.toMatchObject({
        code: 'key_unknown',
      });
      await expect(verifyJws(token(second.signingKey), [TOKEN_TYPES.ticket], policy?.keys ?? keys)).resolves.toBeDefined();
    });

    it('never reuses a kid, never retires the last key, and refuses bad keys, writing nothing', async () => {
      const { input, key: first } = merchantInput();
      await merchants.register(input);
      const second = generateKey();
      await merchants.addKey(input.id, second.publicJwk);
      await merchants.retireKey(input.id, first.kid);

      await refusedWithoutChange(db, 'keys_invalid', () => merchants.addKey(input.id, first.publicJwk));
      await refusedWithoutChange(db, 'keys_invalid', () => merchants.addKey(input.id, generateKey({ kid: first.kid }).publicJwk));
      await refusedWithoutChange(db, 'keys_invalid', () => merchants.addKey(input.id, second.publicJwk));
      await refusedWithoutChange(db, 'keys_invalid', () => merchants.addKey(input.id, generateKey().privateJwk));
      await refusedWithoutChange(db, 'merchant_key_last', () => merchants.retireKey(input.id, second.kid));
      await refusedWithoutChange(db, 'merchant_key_unknown', () => merchants.retireKey(input.id, first.kid));
      await refusedWithoutChange(db, 'merchant_key_unknown', () => merchants.retireKey(input.id, 'never-registered'));
      await refusedWithoutChange(db, 'merchant_unknown', () => merchants.addKey('nobody', generateKey().publicJwk));
      await refusedWithoutChange(db, 'merchant_unknown', () => merchants.retireKey('nobody', second.kid));
    });

    it('keeps one key when two retirements race for the last two', async () => {
      const a = generateKey();
      const b = generateKey();
      const { input } = merchantInput({ jwks: { keys: [a.publicJwk, b.publicJwk] } });
      await merchants.register(input);
      const results = await Promise.allSettled([merchants.retireKey(input.id, a.kid), merchants.retireKey(input.id, b.kid)]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect(results.find((result) => result.status === 'rejected')).toMatchObject({ reason: { code: 'merchant_key_last' } });
      expect((await merchants.get(input.id)).jwks.keys).toHaveLength(1);
    });
  });

  describe('return origins', () => {
    it.each([
      ['https://shop.example/paid?order=42', true],
      ['https://SHOP.EXAMPLE/paid', true],
      ['https://shop.example:443/paid', true],
      ['http://localhost:3000/return', true],
      ['https://shop.example.evil.com/paid', false],
      ['https://shop.example@evil.com/paid', false],
      ['https://shop.example:8443/paid', false],
      ['http://localhost:3001/return', false],
      ['https://shop.example./paid', false],
      ['http://shop.example/paid', false],
      ['javascript:alert(1)', false],
      ['/paid', false],
      ['//shop.example/paid', false],
    ])('%s → %s', async (url, expected) => {
      const { input } = merchantInput();
      await merchants.register(input);
      expect(await merchants.isRegisteredOrigin(input.id, url)).toBe(expected);
      expect((await merchants.ticketPolicy(input.id))?.isRegisteredOrigin(url)).toBe(expected);
    });

    it("does not accept one merchant's origin for another", async () => {
      const shop = merchantInput({ returnOrigins: ['https://shop.example'] });
      const other = merchantInput({ returnOrigins: ['https://other.example'] });
      await merchants.register(shop.input);
      await merchants.register(other.input);
      expect(await merchants.isRegisteredOrigin(shop.input.id, 'https://other.example/paid')).toBe(false);
      expect(await merchants.isRegisteredOrigin(other.input.id, 'https://other.example/paid')).toBe(true);
      expect((await merchants.ticketPolicy(shop.input.id))?.isRegisteredOrigin('https://other.example/paid')).toBe(false);
      expect((await merchants.ticketPolicy(other.input.id))?.isRegisteredOrigin('https://other.example/paid')).toBe(true);
    });

    it('replaces the origins: tickets return to the new ones only, from the next check on', async () => {
      const { input } = merchantInput({ returnOrigins: ['https://shop.example'] });
      await merchants.register(input);
      const changed = await merchants.setReturnOrigins(input.id, ['https://www.shop.example', 'http://localhost:3000']);
      expect(changed.returnOrigins).toEqual(['https://www.shop.example', 'http://localhost:3000']);
      expect((await merchants.get(input.id)).returnOrigins).toEqual(['https://www.shop.example', 'http://localhost:3000']);
      expect(await merchants.isRegisteredOrigin(input.id, 'https://www.shop.example/paid')).toBe(true);
      expect((await merchants.ticketPolicy(input.id))?.isRegisteredOrigin('https://shop.example/paid')).toBe(false);
    });

    it('refuses an empty list, a malformed or repeated origin, or an unknown merchant, as register does, and changes nothing', async () => {
      const { input } = merchantInput({ returnOrigins: ['https://shop.example'] });
      await merchants.register(input);
      const empty = await refusedWithoutChange(db, 'origin_invalid', () => merchants.setReturnOrigins(input.id, []));
      expect(empty.message).toBe('Register at least one return origin.');
      for (const list of [
        ['https://shop.example/paid'],
        ['http://shop.example'],
        ['https://*.shop.example'],
        ['https://shop.example', 'https://shop.example'],
        Array.from({ length: 33 }, (_, index) => `https://shop${index}.example`),
      ]) {
        await refusedWithoutChange(db, 'origin_invalid', () => merchants.setReturnOrigins(input.id, list));
      }
      expect((await merchants.get(input.id)).returnOrigins).toEqual(['https://shop.example']);
      await problem(merchants.setReturnOrigins('nobody', ['https://shop.example']), 'merchant_unknown');
    });
  });

  describe('lifecycle', () => {
    const history = async (id: string) => (await merchants.statusHistory(id)).map(({ from, to, by, reason }) => ({ from, to, by, reason }));

    it('registers a merchant active by default, or pending when asked, and no other way', async () => {
      expect((await merchants.register(merchantInput().input)).status).toBe('active');
      const { input } = merchantInput();
      expect((await merchants.register({ ...input, status: 'pending' })).status).toBe('pending');
      expect((await merchants.ticketPolicy(input.id))?.status).toBe('pending');
      expect(await merchants.statusHistory(input.id)).toEqual([]);
      await refusedWithoutChange(db, 'request_invalid', () =>
        merchants.register({ ...merchantInput().input, status: 'suspended' } as unknown as RegisterMerchantInput),
      );
    });

    it('approves a pending merchant, suspends it with a reason, resumes it, and keeps every move in its history', async () => {
      const { input } = merchantInput();
      await merchants.register({ ...input, status: 'pending' });
      clock.now = new Date('2026-11-22T11:00:00Z');
      const approved = await merchants.approve(input.id, { by: 'operator:alice' });
      expect(approved).toMatchObject({ status: 'active', updatedAt: clock.now });
      expect((await merchants.ticketPolicy(input.id))?.status).toBe('active');
      const suspended = await merchants.suspend(input.id, { by: 'cli:bob', reason: 'Chargebacks under review' });
      expect(suspended.status).toBe('suspended');
      expect(await merchants.get(input.id)).toEqual(suspended);
      expect((await merchants.ticketPolicy(input.id))?.status).toBe('suspended');
      expect((await merchants.resume(input.id, { by: 'cli', reason: 'Cleared' })).status).toBe('active');
      expect(await history(input.id)).toEqual([
        { from: 'pending', to: 'active', by: 'operator:alice', reason: null },
        { from: 'active', to: 'suspended', by: 'cli:bob', reason: 'Chargebacks under review' },
        { from: 'suspended', to: 'active', by: 'cli', reason: 'Cleared' },
      ]);
      expect((await merchants.statusHistory(input.id))[0]?.at).toEqual(clock.now);
    });

    it('suspends a pending merchant, which resuming makes active', async () => {
      const { input } = merchantInput();
      await merchants.register({ ...input, status: 'pending' });
      await merchants.suspend(input.id, { by: 'cli', reason: 'Documents forged' });
      expect((await merchants.resume(input.id, { by: 'cli' })).status).toBe('active');
    });

    it('refuses a move the status does not allow, saying the status, and changes nothing', async () => {
      const { input } = merchantInput();
      await merchants.register(input);
      const conflict = await refusedWithoutChange(db, 'merchant_status_conflict', () => merchants.approve(input.id, { by: 'cli' }));
      expect(conflict.extensions).toEqual({ status: 'active' });
      expect(conflict.message).toBe(`Merchant ${input.id} is active: only a pending merchant can be approved.`);
      await refusedWithoutChange(db, 'merchant_status_conflict', () => merchants.resume(input.id, { by: 'cli' }));
      await merchants.suspend(input.id, { by: 'cli', reason: 'Fraud' });
      await refusedWithoutChange(db, 'merchant_status_conflict', () => merchants.suspend(input.id, { by: 'cli', reason: 'Again' }));
      await refusedWithoutChange(db, 'merchant_status_conflict', () => merchants.approve(input.id, { by: 'cli' }));
      expect(await history(input.id)).toHaveLength(1);
    });

    it('refuses an unknown merchant, a suspension without a reason and malformed names, changing nothing', async () => {
      const { input } = merchantInput();
      await merchants.register(input);
      await refusedWithoutChange(db, 'merchant_unknown', () => merchants.approve('nobody', { by: 'cli' }));
      await refusedWithoutChange(db, 'merchant_unknown', () => merchants.suspend('nobody', { by: 'cli', reason: 'x' }));
      await refusedWithoutChange(db, 'merchant_unknown', () => merchants.resume("x' OR '1'='1", { by: 'cli' }));
      await problem(merchants.statusHistory('nobody'), 'merchant_unknown');
      await refusedWithoutChange(db, 'request_invalid', () => merchants.suspend(input.id, { by: 'cli' } as { by: string; reason: string }));
      await refusedWithoutChange(db, 'request_invalid', () => merchants.suspend(input.id, { by: 'cli', reason: '' }));
      await refusedWithoutChange(db, 'request_invalid', () => merchants.suspend(input.id, { by: '', reason: 'Fraud' }));
      await refusedWithoutChange(db, 'request_invalid', () => merchants.suspend(input.id, { by: 'cli\n', reason: 'Fraud' }));
      await refusedWithoutChange(db, 'request_invalid', () => merchants.suspend(input.id, { by: 'cli', reason: 'x'.repeat(501) }));
      expect((await merchants.get(input.id)).status).toBe('active');
    });

    it('lets one of two suspensions at once through, and records it once', async () => {
      const { input } = merchantInput();
      await merchants.register(input);
      const results = await Promise.allSettled([
        merchants.suspend(input.id, { by: 'operator:a', reason: 'First' }),
        merchants.suspend(input.id, { by: 'operator:b', reason: 'Second' }),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect(results.find((result) => result.status === 'rejected')).toMatchObject({ reason: { code: 'merchant_status_conflict' } });
      expect(await history(input.id)).toHaveLength(1);
    });

    it('keeps the history append-only: a row can be neither changed nor deleted', async () => {
      const { input } = merchantInput();
      await merchants.register(input);
      await merchants.suspend(input.id, { by: 'cli', reason: 'Fraud' });
      for (const sql of [
        "UPDATE merchant_status_changes SET reason = 'Nothing' WHERE merchant_id = $1",
        'DELETE FROM merchant_status_changes WHERE merchant_id = $1',
      ]) {
        const refused = await db.query(sql, [input.id]).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(constraintName(refused)).toBe('ledger_append_only');
      }
      expect(await history(input.id)).toEqual([{ from: 'active', to: 'suspended', by: 'cli', reason: 'Fraud' }]);
      // Nor can a row record a move the lifecycle does not have.
      const forged = await db
        .query(
          `INSERT INTO merchant_status_changes (merchant_id, from_status, to_status, changed_by, changed_at) VALUES ($1, 'suspended', 'pending', 'sql', now())`,
          [input.id],
        )
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(constraintName(forged)).toBe('merchant_status_changes_move');
    });
  });

  describe('tills', () => {
    it('opens a till per currency on first use and returns the same one after', async () => {
      const { input } = merchantInput();
      await merchants.register(input);
      const before = await partyRows(db);
      const eur = await merchants.tillAccount(input.id, 'EUR');
      expect(eur).toMatchObject({ type: 'merchant_till', ownerId: input.id, currency: 'EUR', tracked: false });
      expect(await merchants.tillAccount(input.id, 'EUR')).toEqual(eur);
      const chf = await merchants.tillAccount(input.id, 'CHF');
      expect(chf.id).not.toBe(eur.id);
      expect((await partyRows(db)).ledger_accounts).toBe((before.ledger_accounts ?? 0) + 2);
    });

    it('opens no till for an unknown merchant or currency', async () => {
      const { input } = merchantInput();
      await merchants.register(input);
      await refusedWithoutChange(db, 'merchant_unknown', () => merchants.tillAccount('nobody', 'EUR'));
      await refusedWithoutChange(db, 'currency_unknown', () => merchants.tillAccount(input.id, 'XXX'));
      await refusedWithoutChange(db, 'currency_unknown', () => merchants.tillAccount(input.id, 'eur'));
    });
  });
});
