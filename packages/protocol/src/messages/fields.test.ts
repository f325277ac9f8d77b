import { describe, expect, it } from 'vitest';
import { LIMITS } from '../limits.js';
import { expectAccepted, refusedAt, TICKET_SHA256 } from '../test-support.js';
import {
  amount,
  currency,
  id,
  isAllowedUrl,
  label,
  party,
  phone,
  serial,
  sha256,
  state,
  ticketReference,
  timestamp,
  url,
} from './fields.js';

const accepts = (schema: { safeParse(value: unknown): { success: boolean } }, value: unknown) => schema.safeParse(value).success;

describe('id', () => {
  it('accepts 1–64 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit', () => {
    for (const value of ['m', '0', 'librairie-du-port', 'tkt_01J9Z3K7Q8', 'urn:shop:42', 'a.b', 'x'.repeat(LIMITS.idLength)]) {
      expect(accepts(id, value)).toBe(true);
    }
  });

  it('refuses empty, too long, a leading symbol, spaces, slashes, non-ASCII and a trailing newline', () => {
    for (const value of ['', 'x'.repeat(LIMITS.idLength + 1), '-a', '_a', '.a', ':a', 'a b', 'a/b', 'café', 'a\n', 42, null]) {
      expect(accepts(id, value)).toBe(false);
    }
  });
});

describe('party, serial and state', () => {
  it('bound party to 1–255 printable ASCII characters without spaces', () => {
    expect(accepts(party, 'https://pay.caisse.example')).toBe(true);
    expect(accepts(party, 'p'.repeat(LIMITS.partyLength))).toBe(true);
    for (const value of ['', 'p'.repeat(LIMITS.partyLength + 1), 'pay server', 'pay\tserver', 'payé'])
      expect(accepts(party, value)).toBe(false);
  });

  it('bound serial to 1–64 printable ASCII characters without spaces', () => {
    expect(accepts(serial, 'CMD-2026/000123#A')).toBe(true);
    expect(accepts(serial, 's'.repeat(LIMITS.serialLength))).toBe(true);
    for (const value of ['', 's'.repeat(LIMITS.serialLength + 1), 'CMD 1', 'CMD\u00a01', 'n°1']) expect(accepts(serial, value)).toBe(false);
  });

  it('keep serial from taking the form of a payment id (pay_ and digits)', () => {
    for (const value of ['pay_12', 'pay_1042', 'pay_0', 'pay_007']) expect(accepts(serial, value), value).toBe(false);
    for (const value of ['pay_', 'pay_12a', 'PAY_12', 'pay-12', '12', 'repay_12']) expect(accepts(serial, value), value).toBe(true);
  });

  it('bound state to 16–256 base64url characters', () => {
    expect(accepts(state, 'A'.repeat(16))).toBe(true);
    expect(accepts(state, 'A'.repeat(LIMITS.stateLength))).toBe(true);
    for (const value of [
      'A'.repeat(15),
      'A'.repeat(LIMITS.stateLength + 1),
      `${'A'.repeat(15)}+`,
      `${'A'.repeat(15)}=`,
      `${'A'.repeat(15)}.`,
    ]) {
      expect(accepts(state, value)).toBe(false);
    }
  });
});

describe('label', () => {
  it('accepts 1–200 code points of text, accents and emoji included', () => {
    expect(accepts(label, 'L’Étranger — Albert Camus')).toBe(true);
    expect(accepts(label, 'é'.repeat(LIMITS.labelLength))).toBe(true);
    expect(accepts(label, '📚'.repeat(LIMITS.labelLength))).toBe(true);
  });

  it('refuses empty, over 200 code points, control characters and lone surrogates', () => {
    for (const value of [
      '',
      'a'.repeat(LIMITS.labelLength + 1),
      '📚'.repeat(LIMITS.labelLength + 1),
      'a\nb',
      'a\u0000',
      'tab\there',
      'a\u0085',
      'a\ud800',
      '\udc00b',
    ]) {
      expect(accepts(label, value)).toBe(false);
    }
  });
});

describe('timestamp and amount', () => {
  it('take whole seconds from 0 to the end of year 9999', () => {
    for (const value of [0, 1_767_225_600, 253_402_300_799]) expect(accepts(timestamp, value)).toBe(true);
    for (const value of [-1, 1.5, 253_402_300_800, '1767225600', 1_767_225_600_000_000]) expect(accepts(timestamp, value)).toBe(false);
  });

  it('take whole minor units from 0 to LIMITS.amount', () => {
    for (const value of [0, 1, LIMITS.amount]) expect(accepts(amount, value)).toBe(true);
    for (const value of [-1, 0.5, LIMITS.amount + 1, 2 ** 53, Number.NaN, '100', null]) expect(accepts(amount, value)).toBe(false);
  });
});

describe('currency', () => {
  it('accepts active ISO 4217 codes only', () => {
    expect(accepts(currency, 'EUR')).toBe(true);
    expect(accepts(currency, 'JPY')).toBe(true);
    for (const value of ['eur', 'XXX', 'EURO', '', 978]) expect(accepts(currency, value)).toBe(false);
  });
});

describe('sha256 and ticketReference', () => {
  it('accept a canonical 43-character base64url digest', () => {
    expect(accepts(sha256, TICKET_SHA256)).toBe(true);
    expect(accepts(sha256, `${'A'.repeat(42)}A`)).toBe(true);
    expect(accepts(sha256, `${'_'.repeat(42)}8`)).toBe(true);
  });

  it('refuse other lengths, padding and a last character with non-zero trailing bits', () => {
    for (const value of [
      TICKET_SHA256.slice(0, 42),
      `${TICKET_SHA256}A`,
      `${TICKET_SHA256}=`,
      `${'A'.repeat(42)}B`,
      `${'A'.repeat(42)}_`,
    ]) {
      expect(accepts(sha256, value)).toBe(false);
    }
  });

  it('ticketReference holds exactly jti and sha256', () => {
    expectAccepted(ticketReference, { jti: 'tkt_1', sha256: TICKET_SHA256 });
    expect(refusedAt(ticketReference, { jti: 'tkt_1' })).toEqual(['sha256']);
    expect(refusedAt(ticketReference, { jti: 'tkt_1', sha256: TICKET_SHA256, amount: 1 })).toEqual(['']);
  });
});

describe('phone', () => {
  it('accepts E.164 numbers of 7 to 15 digits', () => {
    for (const value of ['+33612345678', '+14155550123', '+1234567', '+123456789012345']) expect(accepts(phone, value)).toBe(true);
  });

  it('refuses national formats, spaces, a leading zero and too many digits', () => {
    for (const value of ['0612345678', '33612345678', '+33 6 12 34 56 78', '+0612345678', '+123456', '+1234567890123456', '+3361234567a']) {
      expect(accepts(phone, value)).toBe(false);
    }
  });
});

describe('isAllowedUrl and url', () => {
  it('accept absolute https URLs', () => {
    for (const value of [
      'https://librairie.example/caisse/retour',
      'https://shop.example',
      'https://shop.example:8443/r?order=1&x=%20#top',
      'https://xn--caf-dma.example/',
    ]) {
      expect(isAllowedUrl(value)).toBe(true);
      expect(accepts(url, value)).toBe(true);
    }
  });

  it('accept http only on loopback hosts, for development', () => {
    for (const value of [
      'http://localhost:3000/return',
      'http://127.0.0.1:8080/r',
      'http://[::1]:8080/r',
      'http://shop.localhost/r',
      'http://LOCALHOST/r',
    ]) {
      expect(isAllowedUrl(value)).toBe(true);
    }
    for (const value of [
      'http://shop.example/r',
      'http://192.168.1.10/r',
      'http://10.0.0.1/',
      'http://localhost.shop.example/',
      'http://127.0.0.1.nip.io/',
    ]) {
      expect(isAllowedUrl(value)).toBe(false);
    }
  });

  it('refuse other schemes and relative URLs', () => {
    for (const value of [
      'ftp://shop.example/',
      'javascript:alert(1)',
      'data:text/html,hi',
      'file:///etc/passwd',
      'wss://shop.example/',
      '/return',
      '//shop.example/r',
      'shop.example/r',
      '',
    ]) {
      expect(isAllowedUrl(value)).toBe(false);
    }
  });

  it('refuse credentials in the URL', () => {
    for (const value of [
      'https://user:pass@shop.example/',
      'https://user@shop.example/',
      'https://:secret@shop.example/',
      'http://admin@localhost/',
    ]) {
      expect(isAllowedUrl(value)).toBe(false);
    }
  });

  it('refuse text that URL parsers in other languages read differently', () => {
    for (const value of [
      ' https://shop.example/',
      'https://shop.example/ ',
      'https://shop.exa\nmple/',
      'https://shop.example/\r\nSet-Cookie: a=b',
      'https://shop.example/\t',
      'https://evil.example\\@shop.example/',
      'https:\\\\shop.example/',
      'https:shop.example/',
      'https:/shop.example/',
      'https:///shop.example/',
      'HTTPS://shop.example/',
      'https://shop.example/caf\u00e9',
    ]) {
      expect(isAllowedUrl(value)).toBe(false);
    }
  });

  it('bound the length to LIMITS.urlLength characters', () => {
    const base = 'https://shop.example/';
    const longest = base + 'a'.repeat(LIMITS.urlLength - base.length);
    expect(isAllowedUrl(longest)).toBe(true);
    expect(accepts(url, longest)).toBe(true);
    expect(isAllowedUrl(`${longest}a`)).toBe(false);
    expect(accepts(url, `${longest}a`)).toBe(false);
  });
});
