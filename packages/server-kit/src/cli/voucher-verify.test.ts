import { TOKEN_TYPES } from '@caisse/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ISSUER, MERCHANT_ID, NOW, NOW_SECONDS, parties } from '../__fixtures__/parties.js';
import { capture, tempDir } from './__fixtures__/capture.js';
import { signRaw, tamperSignature } from './__fixtures__/tokens.js';
import { voucherVerify } from './voucher-verify.js';

const p = parties();
const ticket = p.ticket();
let dir: Awaited<ReturnType<typeof tempDir>>;
let jwks: string;

beforeAll(async () => {
  dir = await tempDir();
  jwks = await dir.file('server.jwks.json', p.server.jwks);
});
afterAll(async () => {
  await dir.cleanup();
});

const trust = (overrides: { issuer?: string; audience?: string } = {}) => [
  '--jwks',
  jwks,
  '--issuer',
  overrides.issuer ?? ISSUER,
  '--audience',
  overrides.audience ?? MERCHANT_ID,
];
const expected = (overrides: Partial<Record<'id' | 'hash' | 'amount' | 'currency', string>> = {}) => [
  '--ticket-id',
  overrides.id ?? ticket.id,
  '--ticket-hash',
  overrides.hash ?? ticket.sha256,
  '--amount',
  overrides.amount ?? '1590',
  '--currency',
  overrides.currency ?? 'EUR',
];

async function verify(argv: string[], options: { stdin?: string; now?: Date } = {}) {
  const out = capture(options);
  const code = await voucherVerify(argv, out.io);
  return { code, out };
}

describe('caisse voucher verify: verified', () => {
  test('with the ticket: exit 0, VERIFIED, every check listed, amounts as decimals', async () => {
    const token = p.voucher(ticket);
    const { code, out } = await verify([token, ...trust(), ...expected()]);
    expect(code).toBe(0);
    const jti = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).jti;
    expect(out.stdout).toContain(
      [
        `Voucher ${jti} VERIFIED`,
        `  signature  key "${p.server.kid}" from ${jwks}`,
        `  issuer     ${ISSUER}`,
        `  audience   ${MERCHANT_ID}`,
        '  mode       live',
        '  expiry     live at 2026-11-22T10:00:00.000Z, 5 s tolerance',
        `  ticket     ${ticket.id}: id, hash, amount (15.90 EUR) and currency match`,
        '  state      not checked (no --state)',
        '  replay     single use checked in memory for this run only',
        '  status     authorised, funded by wallet',
      ].join('\n'),
    );
    expect(out.stdout).toContain('Amounts\n  amount  15.90 EUR\n');
    expect(out.stdout).not.toContain(token);
    expect(out.stderr).toBe('');
  });

  test('--json: the verified voucher and the checks made', async () => {
    const { code, out } = await verify([p.voucher(ticket), ...trust(), ...expected(), '--state', ticket.claims.state, '--json']);
    expect(code).toBe(0);
    expect(out.json()).toMatchObject({
      ok: true,
      voucher: { iss: ISSUER, aud: MERCHANT_ID, amount: 1590, currency: 'EUR', ticket: { jti: ticket.id, sha256: ticket.sha256 } },
      amounts: { amount: { minor: 1590, currency: 'EUR', decimal: '15.90 EUR' } },
      lifetime: { status: 'live', expiresAt: '2026-11-22T10:01:00.000Z' },
      checks: {
        signature: { kid: p.server.kid, jwks },
        issuer: ISSUER,
        audience: MERCHANT_ID,
        mode: 'live',
        expiry: { at: '2026-11-22T10:00:00.000Z', tolerance: 5 },
        ticket: { id: ticket.id, sha256: ticket.sha256, amount: 1590, currency: 'EUR' },
        state: true,
      },
      warnings: [],
    });
  });

  test('a test voucher is refused as a live merchant refuses it, and verified with --test; a live one is refused with --test', async () => {
    const testVoucher = p.voucher(ticket, { test: true });
    const live = await verify([testVoucher, ...trust(), ...expected(), '--json']);
    expect(live.code).toBe(1);
    expect(live.out.json()).toMatchObject({ ok: false, error: { code: 'token_test_mode' } });
    const test = await verify([testVoucher, ...trust(), ...expected(), '--test']);
    expect(test.code).toBe(0);
    expect(test.out.stdout).toContain('  mode       test (--test): a test voucher, no money moved\n');
    const liveVoucher = await verify([p.voucher(ticket), ...trust(), ...expected(), '--test', '--json']);
    expect(liveVoucher.code).toBe(1);
    expect(liveVoucher.out.json()).toMatchObject({ ok: false, error: { code: 'token_test_mode' } });
  });

  test('--amount as a decimal in the currency', async () => {
    const { code } = await verify([p.voucher(ticket), ...trust(), ...expected({ amount: '15.90' })]);
    expect(code).toBe(0);
  });

  test('without the ticket options: verified, but "ticket NOT checked" on stderr and in the JSON', async () => {
    const { code, out } = await verify([p.voucher(ticket), ...trust()]);
    expect(code).toBe(0);
    expect(out.stdout).toContain(`  ticket     ${ticket.id}: NOT checked`);
    expect(out.stderr).toBe(
      'caisse: WARNING: ticket NOT checked: give --ticket-id, --ticket-hash, --amount and --currency to match the voucher to your ticket.\n',
    );
    const json = await verify([p.voucher(ticket), ...trust(), '--json']);
    expect(json.out.json()).toMatchObject({
      ok: true,
      checks: { ticket: null },
      warnings: [expect.stringContaining('ticket NOT checked')],
    });
  });

  test('- reads the voucher from stdin', async () => {
    const { code } = await verify(['-', ...trust(), ...expected()], { stdin: `${p.voucher(ticket)}\n` });
    expect(code).toBe(0);
  });

  test('--at checks an old voucher at the time it was used', async () => {
    const later = new Date(NOW.getTime() + 86_400_000);
    const token = p.voucher(ticket);
    expect((await verify([token, ...trust(), ...expected()], { now: later })).code).toBe(1);
    const { code, out } = await verify([token, ...trust(), ...expected(), '--at', '2026-11-22T10:00:30Z'], { now: later });
    expect(code).toBe(0);
    expect(out.stdout).toContain('  expiry     live at 2026-11-22T10:00:30.000Z (--at), 5 s tolerance');
    expect((await verify([token, ...trust(), ...expected(), '--at', '2026-11-22T11:00:30+01:00'], { now: later })).code).toBe(0);
  });

  test('an authentication voucher (amount 0, no funding)', async () => {
    const auth = p.ticket({ items: [] });
    const token = p.voucher(auth, { amount: 0, status: 'authenticated', funding: undefined });
    const { code, out } = await verify([token, ...trust(), ...expected({ id: auth.id, hash: auth.sha256, amount: '0' })]);
    expect(code).toBe(0);
    expect(out.stdout).toContain('  status     authenticated\n');
  });

  test('an ES256 payment server key', async () => {
    const es = parties({ serverAlg: 'ES256' });
    const esTicket = es.ticket();
    const file = await dir.file('es.jwks.json', es.server.jwks);
    const args = ['--jwks', file, '--issuer', ISSUER, '--audience', MERCHANT_ID];
    expect((await verify([es.voucher(esTicket), ...args])).code).toBe(0);
  });
});

describe('caisse voucher verify: refused and rejected exit 1 with stable codes', () => {
  test('a refusal token prints its reason', async () => {
    const { code, out } = await verify([p.refusal(ticket, 'insufficient_funds'), ...trust(), ...expected()]);
    expect(code).toBe(1);
    expect(out.stdout).toContain(
      'Payment REFUSED: insufficient_funds: The wallet does not hold enough money for this payment.\n  code       payment_refused\n',
    );
    expect(out.stdout).toContain(`  ticket     ${ticket.id}, serial order-42, 15.90 EUR`);
    const json = await verify([p.refusal(ticket, 'customer_declined'), ...trust(), '--json']);
    expect(json.code).toBe(1);
    expect(json.out.json()).toMatchObject({
      ok: false,
      error: { code: 'payment_refused', reason: 'customer_declined', reasonText: 'The customer declined the payment.' },
      refusal: { reason: 'customer_declined', ticket: { jti: ticket.id } },
    });
  });

  test('a ticket refused at intake prints the precise code and what to do', async () => {
    const detail = { code: 'key_unknown', message: `The key kid k-2 is not registered for merchant ${MERCHANT_ID}.` };
    const { code, out } = await verify([p.refusal(ticket, 'ticket_invalid', detail), ...trust()]);
    expect(code).toBe(1);
    expect(out.stdout).toContain(`\n  detail     key_unknown: ${detail.message}\n`);
  });

  // Arguments are built lazily: the JWKS file exists only once beforeAll has run.
  const cases: [string, () => string, () => string[], string][] = [
    ['another audience', () => p.voucher(ticket), () => trust({ audience: 'newsstand' }), 'audience_mismatch'],
    ['another issuer', () => p.voucher(ticket), () => trust({ issuer: 'https://evil.example' }), 'issuer_mismatch'],
    ['another amount', () => p.voucher(ticket), () => [...trust(), ...expected({ amount: '1591' })], 'ticket_mismatch'],
    ['another currency', () => p.voucher(ticket), () => [...trust(), ...expected({ currency: 'USD' })], 'ticket_mismatch'],
    // A SHA-256 in base64url starts with a dash one time in 64: it is still a value, not an option.
    ['another ticket hash', () => p.voucher(ticket), () => [...trust(), ...expected({ hash: `-${'A'.repeat(42)}` })], 'ticket_mismatch'],
    ['another ticket id', () => p.voucher(ticket), () => [...trust(), ...expected({ id: 't_other' })], 'ticket_mismatch'],
    ['another state', () => p.voucher(ticket), () => [...trust(), '--state', 'x'.repeat(43)], 'state_mismatch'],
    ['a voucher changed in amount', () => p.voucher(ticket, { amount: 1 }), () => [...trust(), ...expected()], 'ticket_mismatch'],
    ['an expired voucher', () => p.voucher(ticket, { iat: NOW_SECONDS - 100, exp: NOW_SECONDS - 5 }), () => trust(), 'token_expired'],
    [
      'a voucher from the future',
      () => p.voucher(ticket, { iat: NOW_SECONDS + 60, exp: NOW_SECONDS + 90 }),
      () => trust(),
      'token_not_yet_valid',
    ],
    ['a changed signature', () => tamperSignature(p.voucher(ticket)), () => trust(), 'signature_invalid'],
    [
      'a voucher signed by the merchant',
      () => p.sign(TOKEN_TYPES.voucher, p.voucherClaims(ticket), p.merchant.signingKey),
      () => trust(),
      'key_unknown',
    ],
    ['a ticket given as a voucher', () => ticket.token, () => trust(), 'type_mismatch'],
    ['invalid claims', () => p.voucher(ticket, { funding: undefined }), () => trust(), 'claims_invalid'],
    ['garbage', () => 'not-a-token', () => trust(), 'token_malformed'],
    [
      'a repeated amount',
      () =>
        signRaw(
          JSON.stringify({ alg: 'EdDSA', typ: TOKEN_TYPES.voucher, kid: p.server.kid }),
          JSON.stringify(p.voucherClaims(ticket)).replace('"amount":1590', '"amount":1590,"amount":1'),
          p.server.signingKey,
        ),
      () => trust(),
      'duplicate_member',
    ],
  ];

  test.each(cases)('%s: exit 1', async (_name, token, args, expectedCode) => {
    const { code, out } = await verify([token(), ...args(), '--json']);
    expect(code).toBe(1);
    expect(out.json()).toMatchObject({ ok: false, error: { code: expectedCode } });
    const text = await verify([token(), ...args()]);
    expect(text.code).toBe(1);
    expect(text.out.stdout).toMatch(new RegExp(`^Voucher REJECTED: ${expectedCode}: `));
  });

  test('expired by 1 s beyond the 5 s tolerance is refused; within it, accepted', async () => {
    const at = (seconds: number) => ['--at', new Date((NOW_SECONDS + 60 + seconds) * 1000).toISOString()];
    expect((await verify([p.voucher(ticket), ...trust(), ...at(4)])).code).toBe(0);
    expect((await verify([p.voucher(ticket), ...trust(), ...at(5)])).code).toBe(1);
  });

  test('claims_invalid lists the paths', async () => {
    const { out } = await verify([p.voucher(ticket, { funding: undefined, sub: 'has space' }), ...trust()]);
    expect(out.stdout).toContain('Voucher REJECTED: claims_invalid: ');
    expect(out.stdout).toContain('\n  - sub: ');
    expect(out.stdout).toContain('\n  - funding: is present exactly when money moved');
  });

  test('the same voucher twice in one run would be token_replayed; each run starts with an empty store', async () => {
    const token = p.voucher(ticket);
    expect((await verify([token, ...trust()])).code).toBe(0);
    expect((await verify([token, ...trust()])).code).toBe(0);
  });

  test('a 1 MB voucher: token_too_large, not echoed', async () => {
    const token = 'a'.repeat(1_000_000);
    const { code, out } = await verify([token, ...trust()]);
    expect(code).toBe(1);
    expect(out.stdout).toMatch(/^Voucher REJECTED: token_too_large: /);
    expect((out.stdout + out.stderr).length).toBeLessThan(1000);
  });
});

describe('caisse voucher verify: usage errors exit 2', () => {
  test.each([
    [['--issuer', ISSUER, '--audience', MERCHANT_ID], 'Give the voucher as an argument, or - to read it from stdin.'],
    [['x.y.z', '--issuer', ISSUER, '--audience', MERCHANT_ID], '--jwks is required.'],
    [['x.y.z', '--jwks', 'f', '--audience', MERCHANT_ID], '--issuer is required.'],
    [['x.y.z', '--jwks', 'f', '--issuer', ISSUER], '--audience is required.'],
    [['x.y.z', '--jwks', 'f', '--issuer', ISSUER, '--audience', ''], '--audience is required.'],
    [['x.y.z', '--jwks', 'f', '--issuer', 'a', '--issuer', 'b', '--audience', 'm'], '--issuer is given more than once.'],
    [
      ['x.y.z', '--jwks', 'f', '--issuer', 'a', '--audience', 'm', '--amount', '5'],
      'Give all of --ticket-id, --ticket-hash, --amount and --currency, or none; missing --ticket-id, --ticket-hash, --currency.',
    ],
  ])('%j', async (argv, message) => {
    const { code, out } = await verify(argv);
    expect(code).toBe(2);
    expect(out.stderr).toBe(`caisse: usage: ${message}\nRun "caisse voucher verify --help" for usage.\n`);
  });

  test.each([
    [{ amount: '15.9O' }, '--amount must be a whole number of minor units (1590) or a decimal with a dot (15.90).'],
    [{ amount: '-1' }, '--amount must be a whole number of minor units (1590) or a decimal with a dot (15.90).'],
    [{ amount: '15.905' }, '--amount: EUR has 2 decimal places; "15.905" has more.'],
    [{ amount: '10000000000000' }, '--amount must be a whole number of minor units (1590) or a decimal with a dot (15.90).'],
    [{ currency: 'EURO' }, '--currency: Unknown currency "EURO".'],
    [{ hash: 'abc' }, '--ticket-hash must be a base64url SHA-256 (43 characters).'],
  ])('ticket option %j', async (overrides, message) => {
    const { code, out } = await verify([p.voucher(ticket), ...trust(), ...expected(overrides)]);
    expect(code).toBe(2);
    expect(out.stderr).toContain(`caisse: usage: ${message}`);
  });

  test.each(['yesterday', '2026-11-22T10:00:00', '2026-02-30', '2026-11-22T25:00Z', '1795341600'])('--at %s', async (at) => {
    const { code, out } = await verify([p.voucher(ticket), ...trust(), '--at', at, '--json']);
    expect(code).toBe(2);
    expect(out.json().error).toEqual({ code: 'usage', message: expect.stringContaining('--at must be an ISO 8601 date') });
  });

  test('an unreadable or invalid JWKS file', async () => {
    const missing = await verify([
      p.voucher(ticket),
      '--jwks',
      `${dir.dir}/nope.json`,
      '--issuer',
      ISSUER,
      '--audience',
      MERCHANT_ID,
      '--json',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.out.json().error.code).toBe('input_unreadable');
    const bad = await dir.file('bad.jwks.json', { keys: [] });
    const invalid = await verify([p.voucher(ticket), '--jwks', bad, '--issuer', ISSUER, '--audience', MERCHANT_ID, '--json']);
    expect(invalid.code).toBe(2);
    expect(invalid.out.json().error).toMatchObject({ code: 'keys_invalid', issues: [{ path: 'keys' }] });
  });

  test('--help', async () => {
    const { code, out } = await verify(['--help']);
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/^Usage: caisse voucher verify <token\|-> --jwks FILE --issuer ISS --audience MERCHANT_ID\n/);
  });
});
