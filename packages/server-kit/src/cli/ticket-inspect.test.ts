import { TOKEN_TYPES } from '@caisse/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NOW, parties } from '../__fixtures__/parties.js';
import { capture, tempDir } from './__fixtures__/capture.js';
import { signRaw, tamperSignature, unsigned } from './__fixtures__/tokens.js';
import { ticketInspect } from './ticket-inspect.js';

const p = parties();
const ticket = p.ticket();
const other = parties();
let dir: Awaited<ReturnType<typeof tempDir>>;
let merchantJwks: string;
let serverJwks: string;

beforeAll(async () => {
  dir = await tempDir();
  merchantJwks = await dir.file('merchant.jwks.json', p.merchant.jwks);
  serverJwks = await dir.file('server.jwks.json', p.server.jwks);
});
afterAll(async () => {
  await dir.cleanup();
});

async function inspect(argv: string[], options: { stdin?: string; now?: Date } = {}) {
  const out = capture(options);
  const code = await ticketInspect(argv, out.io);
  return { code, out };
}

/** A ticket signed by the merchant whose claims are these, valid or not. */
function signedTicket(claims: object): string {
  return p.sign(TOKEN_TYPES.ticket, claims, p.merchant.signingKey);
}

describe('caisse ticket inspect: valid tickets', () => {
  test('without --jwks: exit 0, claims and decimal amounts shown, and "signature NOT verified" said twice', async () => {
    const { code, out } = await inspect([ticket.token]);
    expect(code).toBe(0);
    expect(out.stdout).toContain(
      `Ticket ${ticket.id}\n  signature NOT verified: no --jwks given, so nothing proves who wrote this ticket.`,
    );
    expect(out.stdout).toContain(`sha256 ${ticket.sha256}`);
    expect(out.stdout).toContain('"serial": "order-42"');
    expect(out.stdout).toContain('  amount  15.90 EUR\n  vat     1.17 EUR\n');
    expect(out.stdout).toContain('  - book-1: 1 × 12.90 EUR = 12.90 EUR (VAT 5.50 %)');
    expect(out.stdout).toContain('  - bookmark: 2 × 1.50 EUR = 3.00 EUR (VAT 20.00 %)');
    expect(out.stdout).toContain('status   live, expires in 15 min (at 2026-11-22T10:00:00.000Z)');
    expect(out.stdout).toMatch(/Result: VALID ticket, signature NOT verified\n$/);
    expect(out.stdout).not.toContain(ticket.token);
  });

  test('--json: the report as one object', async () => {
    const { code, out } = await inspect([ticket.token, '--json']);
    expect(code).toBe(0);
    const report = out.json();
    expect(report).toMatchObject({
      ok: true,
      sha256: ticket.sha256,
      signature: { status: 'not_verified' },
      header: { alg: 'EdDSA', typ: 'caisse-ticket+jwt', kid: p.merchant.kid },
      claims: { jti: ticket.id, amount: 1590, currency: 'EUR' },
      amounts: { amount: { minor: 1590, currency: 'EUR', decimal: '15.90 EUR' }, vat: { decimal: '1.17 EUR' } },
      lifetime: { issuedAt: '2026-11-22T10:00:00.000Z', expiresAt: '2026-11-22T10:15:00.000Z', status: 'live' },
      problems: [],
      warning: expect.stringContaining('signature NOT verified'),
    });
    expect(report.amounts.items[1]).toEqual({
      id: 'bookmark',
      quantity: 2,
      unit: { minor: 150, currency: 'EUR', decimal: '1.50 EUR' },
      line: { minor: 300, currency: 'EUR', decimal: '3.00 EUR' },
      vatRate: '20.00 %',
    });
  });

  test('with --jwks: the signature is verified and says so', async () => {
    const { code, out } = await inspect([ticket.token, '--jwks', merchantJwks]);
    expect(code).toBe(0);
    expect(out.stdout).toContain(`signature verified with key "${p.merchant.kid}" from ${merchantJwks}`);
    expect(out.stdout).toContain('Result: VALID ticket, signature verified');
    expect(out.stdout).not.toContain('NOT verified');
    const json = await inspect([ticket.token, '--jwks', merchantJwks, '--json']);
    expect(json.out.json()).toMatchObject({ ok: true, signature: { status: 'verified', kid: p.merchant.kid, jwks: merchantJwks } });
    expect(json.out.json()).not.toHaveProperty('warning');
  });

  test('an ES256 merchant key verifies too', async () => {
    const es = parties({ merchantAlg: 'ES256' });
    const file = await dir.file('es.jwks.json', es.merchant.jwks);
    const { code, out } = await inspect([es.ticket().token, '--jwks', file, '--json']);
    expect(code).toBe(0);
    expect(out.json().header.alg).toBe('ES256');
  });

  test('- reads the token from stdin, surrounding whitespace ignored', async () => {
    const { code, out } = await inspect(['-', '--json'], { stdin: `\n  ${ticket.token}\n` });
    expect(code).toBe(0);
    expect(out.json().sha256).toBe(ticket.sha256);
  });

  test('an expired ticket is shown as expired but still valid: inspect judges content, not timing', async () => {
    const { code, out } = await inspect([ticket.token], { now: new Date(NOW.getTime() + 3 * 3600_000) });
    expect(code).toBe(0);
    expect(out.stdout).toContain('status   expired 3 h ago');
  });

  test('an authentication ticket (no items, amount 0) shows 0.00', async () => {
    const auth = p.ticket({ items: [] });
    const { code, out } = await inspect([auth.token]);
    expect(code).toBe(0);
    expect(out.stdout).toContain('  amount  0.00 EUR');
  });
});

describe('caisse ticket inspect: invalid tickets exit 1 with stable codes', () => {
  test('an amount that is not the sum of the items: amount_mismatch at amount', async () => {
    const token = signedTicket({ ...ticket.claims, amount: 1600 });
    const { code, out } = await inspect([token, '--jwks', merchantJwks, '--json']);
    expect(code).toBe(1);
    expect(out.json()).toMatchObject({
      ok: false,
      signature: { status: 'verified' },
      problems: [{ code: 'amount_mismatch', path: 'amount', message: 'expected 1590' }],
    });
    const text = await inspect([token]);
    expect(text.code).toBe(1);
    expect(text.out.stdout).toContain('Problems\n  - amount_mismatch at amount: expected 1590\n');
    expect(text.out.stdout).toContain('  amount  16.00 EUR');
    expect(text.out.stdout).toMatch(/Result: INVALID ticket \(1 problem\)\n$/);
  });

  test('a VAT that is not the sum: vat_mismatch at vat', async () => {
    const { code, out } = await inspect([signedTicket({ ...ticket.claims, vat: 1 }), '--json']);
    expect(code).toBe(1);
    expect(out.json().problems).toEqual([{ code: 'vat_mismatch', path: 'vat', message: 'expected 117' }]);
  });

  test('schema problems: claims_invalid, one per field, with paths', async () => {
    const items = [{ ...ticket.claims.items[0], unitAmount: -1 }, ticket.claims.items[1]];
    const token = signedTicket({ ...ticket.claims, items, returnUrl: 'http://shop.example/paid', currency: 'EURO', surprise: true });
    const { code, out } = await inspect([token, '--json']);
    expect(code).toBe(1);
    const problems = out.json().problems as { code: string; path: string }[];
    expect(problems.every((problem) => problem.code === 'claims_invalid')).toBe(true);
    expect(problems.map((problem) => problem.path).sort()).toEqual(['', 'currency', 'items.0.unitAmount', 'returnUrl']);
    expect(out.json().amounts.amount).toEqual({ minor: 1590, currency: 'EURO' });
    const text = await inspect([token]);
    expect(text.out.stdout).toContain('  - claims_invalid at items.0.unitAmount: ');
    expect(text.out.stdout).toContain('  amount  1590 (currency "EURO")');
    expect(text.out.stdout).toMatch(/Result: INVALID ticket \(4 problems\)\n$/);
  });

  test('signed by another key: key_unknown, signature invalid', async () => {
    const { code, out } = await inspect([ticket.token, '--jwks', serverJwks, '--json']);
    expect(code).toBe(1);
    expect(out.json()).toMatchObject({ ok: false, signature: { status: 'invalid' }, problems: [{ code: 'key_unknown' }] });
  });

  test('a changed signature: signature_invalid', async () => {
    const { code, out } = await inspect([tamperSignature(ticket.token), '--jwks', merchantJwks]);
    expect(code).toBe(1);
    expect(out.stdout).toContain('signature INVALID');
    expect(out.stdout).toContain(`  - signature_invalid: The signature does not verify with key "${p.merchant.kid}".`);
  });

  test('a changed signature goes unnoticed without --jwks, and the output says the signature was not verified', async () => {
    const { code, out } = await inspect([tamperSignature(ticket.token)]);
    expect(code).toBe(0);
    expect(out.stdout).toContain('Result: VALID ticket, signature NOT verified');
  });

  test('an ES256 header on an Ed25519 key: algorithm_not_allowed', async () => {
    const header = JSON.stringify({ alg: 'ES256', typ: TOKEN_TYPES.ticket, kid: p.merchant.kid });
    const token = signRaw(header, JSON.stringify(ticket.claims), p.merchant.signingKey);
    const { code, out } = await inspect([token, '--jwks', merchantJwks, '--json']);
    expect(code).toBe(1);
    expect(out.json()).toMatchObject({ signature: { status: 'invalid' }, problems: [{ code: 'algorithm_not_allowed' }] });
  });

  test.each([
    ['alg none', { alg: 'none', typ: TOKEN_TYPES.ticket, kid: 'k1' }, 'algorithm_not_allowed'],
    ['alg NoNe', { alg: 'NoNe', typ: TOKEN_TYPES.ticket, kid: 'k1' }, 'algorithm_not_allowed'],
    ['HS256', { alg: 'HS256', typ: TOKEN_TYPES.ticket, kid: 'k1' }, 'algorithm_not_allowed'],
    ['a voucher typ', { alg: 'EdDSA', typ: TOKEN_TYPES.voucher, kid: 'k1' }, 'type_mismatch'],
    ['no typ', { alg: 'EdDSA', kid: 'k1' }, 'type_mismatch'],
    ['a jwk header', { alg: 'EdDSA', typ: TOKEN_TYPES.ticket, kid: 'k1', jwk: { kty: 'OKP' } }, 'header_key_refused'],
    ['a jku header', { alg: 'EdDSA', typ: TOKEN_TYPES.ticket, kid: 'k1', jku: 'https://evil.example/jwks' }, 'header_key_refused'],
    ['a numeric kid', { alg: 'EdDSA', typ: TOKEN_TYPES.ticket, kid: 7 }, 'token_malformed'],
    ['a crit header', { alg: 'EdDSA', typ: TOKEN_TYPES.ticket, kid: 'k1', crit: ['exp'] }, 'header_unsupported'],
  ])('a header with %s: %s, header still shown, claims not judged', async (_name, header, expected) => {
    const { code, out } = await inspect([unsigned(header, ticket.claims), '--jwks', merchantJwks, '--json']);
    expect(code).toBe(1);
    const report = out.json();
    expect(report.problems).toEqual([{ code: expected, message: expect.any(String) }]);
    expect(report.header).toEqual(header);
    expect(report.signature.status).toBe('not_verified');
    expect(report.warning).toBe('signature NOT verified: the header is refused, so no key was tried.');
  });

  test('a voucher given by mistake: type_mismatch', async () => {
    const { code, out } = await inspect([p.voucher(ticket)]);
    expect(code).toBe(1);
    expect(out.stdout).toContain('  - type_mismatch: Expected a token of type caisse-ticket+jwt, got "caisse-voucher+jwt".');
  });

  test('a repeated amount member: duplicate_member, and the payload is not shown', async () => {
    const header = JSON.stringify({ alg: 'EdDSA', typ: TOKEN_TYPES.ticket, kid: p.merchant.kid });
    const payload = JSON.stringify(ticket.claims).replace('"amount":1590', '"amount":1,"amount":1590');
    const token = signRaw(header, payload, p.merchant.signingKey);
    const { code, out } = await inspect([token, '--jwks', merchantJwks, '--json']);
    expect(code).toBe(1);
    expect(out.json()).toMatchObject({ signature: { status: 'verified' }, problems: [{ code: 'duplicate_member' }] });
    expect(out.json().problems).toHaveLength(1);
    expect(out.json()).not.toHaveProperty('claims');
  });

  test('an unsupported protocol version: version_unsupported and claims_invalid at ver', async () => {
    const { code, out } = await inspect([signedTicket({ ...ticket.claims, ver: 2 }), '--jwks', merchantJwks, '--json']);
    expect(code).toBe(1);
    expect(out.json().signature.status).toBe('verified');
    expect(out.json().problems.map((problem: { code: string }) => problem.code)).toEqual(['version_unsupported', 'claims_invalid']);
  });

  test.each([
    ['two parts', 'abc.def', 'token_malformed'],
    ['padding', `${ticket.token}=`, 'token_malformed'],
    ['not JSON', 'bm90IGpzb24.e30.AAAA', 'token_malformed'],
  ])('%s: %s', async (_name, token, expected) => {
    const { code, out } = await inspect([token, '--json']);
    expect(code).toBe(1);
    expect(out.json().problems[0].code).toBe(expected);
  });

  test('a 1 MB token: token_too_large, and the token is never echoed', async () => {
    const token = `${'a'.repeat(1_000_000)}.b.c`;
    for (const argv of [[token], ['-']]) {
      const { code, out } = await inspect(argv, { stdin: token });
      expect(code).toBe(1);
      expect(out.stdout + out.stderr).toContain('token_too_large');
      expect((out.stdout + out.stderr).length).toBeLessThan(2000);
    }
  });

  test('more than 1 MiB on stdin: token_too_large, exit 1', async () => {
    const { code, out } = await inspect(['-', '--json'], { stdin: 'a'.repeat(1024 * 1024 + 1) });
    expect(code).toBe(1);
    expect(out.json().error.code).toBe('token_too_large');
  });

  test('terminal escapes and bidi overrides in a token are printed escaped, never raw', async () => {
    const items = [{ ...ticket.claims.items[0], label: 'Book \u202egnp.exe' }];
    const claims = { ...ticket.claims, items, amount: 1290, vat: 67, '\u001b[2J\u001b]0;pwned\u0007': 1, serial: 'a\u009b31m' };
    for (const argv of [[signedTicket(claims)], [signedTicket(claims), '--json']]) {
      const { code, out } = await inspect(argv);
      expect(code).toBe(1);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
      expect(out.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
      expect(out.stdout).toContain('\\u202e');
    }
    const { out } = await inspect([signedTicket(claims), '--json']);
    expect(out.json().claims.items[0].label).toBe('Book \u202egnp.exe');
  });
});

describe('caisse ticket inspect: usage errors exit 2', () => {
  test.each([
    [[], 'Give the ticket as an argument, or - to read it from stdin.'],
    [['a.b.c', 'd.e.f'], 'Give exactly one ticket; got 2 arguments.'],
    [['a.b.c', '--jwks'], "Option '--jwks <value>' argument missing."],
    [['a.b.c', '--issuer', 'x'], "Unknown option '--issuer'."],
  ])('%j', async (argv, message) => {
    const { code, out } = await inspect(argv);
    expect(code).toBe(2);
    expect(out.stderr).toBe(`caisse: usage: ${message}\nRun "caisse ticket inspect --help" for usage.\n`);
    expect(out.stdout).toBe('');
  });

  test('two tokens: neither is echoed', async () => {
    const { out } = await inspect([ticket.token, ticket.token]);
    expect(out.stderr).not.toContain(ticket.token.slice(0, 40));
  });

  test('empty stdin', async () => {
    const { code, out } = await inspect(['-', '--json'], { stdin: '  \n' });
    expect(code).toBe(2);
    expect(out.json()).toEqual({ ok: false, error: { code: 'usage', message: 'No token on stdin.' } });
  });

  test('a missing JWKS file: input_unreadable', async () => {
    const { code, out } = await inspect([ticket.token, '--jwks', `${dir.dir}/missing.json`, '--json']);
    expect(code).toBe(2);
    expect(out.json().error).toEqual({
      code: 'input_unreadable',
      message: `Could not read the JWKS file ${dir.dir}/missing.json: ENOENT.`,
    });
  });

  test('a JWKS file that is not JSON: input_invalid', async () => {
    const file = await dir.file('garbage.json', 'not json');
    const { code, out } = await inspect([ticket.token, '--jwks', file, '--json']);
    expect(code).toBe(2);
    expect(out.json().error.code).toBe('input_invalid');
  });

  test('the private key file given as --jwks by mistake: keys_invalid, and the private key is never printed', async () => {
    const file = await dir.file('private.json', p.merchant.privateJwk);
    const inJwks = await dir.file('private-in-jwks.json', { keys: [p.merchant.privateJwk] });
    for (const jwks of [file, inJwks]) {
      for (const json of [[], ['--json']]) {
        const { code, out } = await inspect([ticket.token, '--jwks', jwks, ...json]);
        expect(code).toBe(2);
        expect(out.stdout + out.stderr).toContain('keys_invalid');
        expect(out.stdout + out.stderr).not.toContain(p.merchant.privateJwk.d);
      }
    }
  });

  test('--help', async () => {
    const { code, out } = await inspect(['--help']);
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/^Usage: caisse ticket inspect <token\|-> \[--jwks FILE\] \[--json\]\n/);
  });

  test('other parties are irrelevant: a ticket of another merchant fails against this JWKS', async () => {
    const { code, out } = await inspect([other.ticket().token, '--jwks', merchantJwks, '--json']);
    expect(code).toBe(1);
    expect(out.json().problems[0].code).toBe('key_unknown');
  });
});
