import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { itemsDigest, sha256Base64url, ticketHash } from './hash.js';
import { ITEMS_SHA256, ticketItems } from './test-support.js';

const nodeSha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('base64url');

describe('sha256Base64url', () => {
  it('matches the FIPS 180-2 "abc" vector', async () => {
    // ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 96177a9c b410ff61 f20015ad
    expect(await sha256Base64url('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });

  it('hashes strings as UTF-8, and bytes as they are', async () => {
    expect(await sha256Base64url('L’Étranger €')).toBe(nodeSha256(Buffer.from('L’Étranger €', 'utf8')));
    const data = new Uint8Array([0, 1, 2, 253, 254, 255]);
    expect(await sha256Base64url(data)).toBe(nodeSha256(data));
    expect(await sha256Base64url('')).toBe('47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU');
  });
});

describe('ticketHash', () => {
  it('is SHA-256 over the ASCII bytes of the compact JWS, base64url without padding', async () => {
    const header = Buffer.from('{"alg":"EdDSA","typ":"caisse-ticket+jwt","kid":"shop-2026-01"}').toString('base64url');
    const payload = Buffer.from('{"ver":1,"jti":"tkt_01J9Z3K7Q8"}').toString('base64url');
    const token = `${header}.${payload}.${Buffer.alloc(64, 7).toString('base64url')}`;
    const expected = createHash('sha256').update(Buffer.from(token, 'ascii')).digest('base64url');
    expect(await ticketHash(token)).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('changes with any character of the token, including the signature', async () => {
    const a = await ticketHash('aaaa.bbbb.cccc');
    expect(await ticketHash('aaaa.bbbb.cccd')).not.toBe(a);
  });
});

describe('itemsDigest', () => {
  it('is SHA-256 of the RFC 8785 canonical JSON of the items array', async () => {
    const canonical =
      '[{"id":"isbn-9782070360024","label":"L’Étranger — Albert Camus","quantity":2,"unitAmount":850,"vatRate":550},' +
      '{"id":"ship-colissimo","label":"Livraison Colissimo","quantity":1,"unitAmount":499,"vatRate":2000}]';
    expect(canonicalJson(ticketItems())).toBe(canonical);
    const expected = createHash('sha256').update(Buffer.from(canonical, 'utf8')).digest('base64url');
    expect(await itemsDigest(ticketItems())).toBe(expected);
    expect(expected).toBe(ITEMS_SHA256);
  });

  it('does not depend on member order within an item', async () => {
    const reordered = ticketItems().map(({ vatRate, unitAmount, quantity, label, id }) => ({ vatRate, unitAmount, quantity, label, id }));
    expect(await itemsDigest(reordered)).toBe(ITEMS_SHA256);
  });

  it('depends on item order and on every field', async () => {
    expect(await itemsDigest(ticketItems().reverse())).not.toBe(ITEMS_SHA256);
    const cheaper = ticketItems();
    (cheaper[1] as { unitAmount: number }).unitAmount = 498;
    expect(await itemsDigest(cheaper)).not.toBe(ITEMS_SHA256);
  });

  it('digests an authentication ticket (no items) as "[]"', async () => {
    expect(await itemsDigest([])).toBe(nodeSha256('[]'));
    expect(await itemsDigest([])).toBe('T1PNoYwrqgwDVLtfmj7L5e0Sq02OEbqHPC8RFhICuUU');
  });
});
