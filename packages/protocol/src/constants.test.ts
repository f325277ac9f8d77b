import { describe, expect, it } from 'vitest';
import { LIMITS } from './limits.js';
import { ALGORITHMS, TOKEN_TYPES } from './token-types.js';
import { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from './version.js';

// These values are part of the wire format: a change here is a protocol change, so the
// tests pin them rather than re-read them.
describe('wire constants', () => {
  it('give every token kind its own typ', () => {
    expect(TOKEN_TYPES).toEqual({
      ticket: 'caisse-ticket+jwt',
      voucher: 'caisse-voucher+jwt',
      refusal: 'caisse-refusal+jwt',
      notification: 'caisse-notification+jwt',
      confirmation: 'caisse-confirmation+jwt',
      assertion: 'caisse-assertion+jwt',
      quote: 'caisse-quote+jwt',
      deviceCertificate: 'caisse-device-cert+jwt',
    });
    expect(new Set(Object.values(TOKEN_TYPES)).size).toBe(Object.keys(TOKEN_TYPES).length);
  });

  it('allow only EdDSA and ES256', () => {
    expect(ALGORITHMS).toEqual(['EdDSA', 'ES256']);
  });

  it('are at protocol version 1, which this implementation reads', () => {
    expect(PROTOCOL_VERSION).toBe(1);
    expect(SUPPORTED_VERSIONS).toEqual([1]);
  });

  it('bound every variable-length field', () => {
    expect(LIMITS).toEqual({
      tokenLength: 16_384,
      idLength: 64,
      partyLength: 255,
      serialLength: 64,
      labelLength: 200,
      items: 100,
      urlLength: 2_048,
      stateLength: 256,
      quantity: 1_000_000,
      amount: 1_000_000_000_000,
      vatRate: 10_000,
      ticketLifetime: 86_400,
      voucherLifetime: 600,
      assertionLifetime: 300,
      quoteRequestLifetime: 60,
      contentBytes: 512 * 1024,
      allowanceLifetime: 366 * 86_400,
      settledCharges: 50,
      requested: 8,
    });
  });

  it('keep every amount sum and VAT product of one line exact in a double or a BigInt', () => {
    expect(Number.isSafeInteger(LIMITS.amount * 2)).toBe(true);
    expect(Number.isSafeInteger(LIMITS.quantity * LIMITS.quantity)).toBe(true);
  });
});
