import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { importSigningKey, staticKeySet } from '../keys/import.js';
import { capture, tempDir } from './__fixtures__/capture.js';
import { JWKS_FILE, keysNew, PRIVATE_KEY_FILE } from './keys-new.js';

/** Splits the two labelled blocks `keys new` prints without --out. */
type PrivateJwk = Record<string, string> & { kid: string; d: string };

function blocks(stdout: string): { privateLabel: string; privateJwk: PrivateJwk; publicLabel: string; jwks: { keys: object[] } } {
  const [first, second] = stdout.split('\n\n');
  const [privateLabel, ...privateJson] = (first ?? '').split('\n');
  const [publicLabel, ...publicJson] = (second ?? '').split('\n');
  return {
    privateLabel: privateLabel ?? '',
    privateJwk: JSON.parse(privateJson.join('\n')),
    publicLabel: publicLabel ?? '',
    jwks: JSON.parse(publicJson.join('\n')),
  };
}

describe('caisse keys new, printed', () => {
  test('prints the private JWK first, then the public JWKS, with a secret warning on stderr', async () => {
    const out = capture();
    expect(await keysNew([], out.io)).toBe(0);
    const { privateLabel, privateJwk, publicLabel, jwks } = blocks(out.stdout);
    expect(privateLabel).toMatch(/^# Private key \(JWK\), kid [0-9a-f]{32}: SECRET/);
    expect(publicLabel).toMatch(/^# Public key set \(JWKS\)/);
    expect(privateJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(privateJwk.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { d: _secret, ...publicJwk } = privateJwk;
    expect(jwks.keys).toEqual([publicJwk]);
    // Both halves are usable by the kit, and belong together.
    expect(importSigningKey(privateJwk).kid).toBe(privateJwk.kid);
    expect(await staticKeySet(jwks).get(privateJwk.kid)).toBeDefined();
    expect(out.stderr).toContain('WARNING: the private key printed on stdout is a secret');
    expect(out.stderr).not.toContain(privateJwk.d);
  });

  test('--alg ES256 --kid makes a P-256 key with that kid', async () => {
    const out = capture();
    expect(await keysNew(['--alg', 'ES256', '--kid', 'shop-2026.1'], out.io)).toBe(0);
    const { privateJwk, jwks } = blocks(out.stdout);
    expect(privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: 'shop-2026.1' });
    expect(jwks.keys).toHaveLength(1);
    expect((await staticKeySet(jwks).get('shop-2026.1'))?.alg).toBe('ES256');
  });

  test('--test makes a test key: its kid starts with test_, and the kit signs test tickets with it', async () => {
    const out = capture();
    expect(await keysNew(['--test'], out.io)).toBe(0);
    const { privateLabel, privateJwk, jwks } = blocks(out.stdout);
    expect(privateLabel).toMatch(/^# Private test key \(JWK\), kid test_[0-9a-f]{32}: SECRET/);
    expect(privateJwk.kid).toMatch(/^test_[0-9a-f]{32}$/);
    expect(await staticKeySet(jwks).get(privateJwk.kid)).toBeDefined();
    const json = capture();
    expect(await keysNew(['--test', '--kid', 'test_shop', '--json'], json.io)).toBe(0);
    expect(json.json()).toMatchObject({ ok: true, kid: 'test_shop', mode: 'test' });
  });

  test('--json prints one object with the private JWK and the JWKS, still warning on stderr', async () => {
    const out = capture();
    expect(await keysNew(['--json'], out.io)).toBe(0);
    const result = out.json();
    expect(result).toMatchObject({
      ok: true,
      alg: 'EdDSA',
      mode: 'live',
      kid: result.privateJwk.kid,
      jwks: { keys: [{ kid: result.privateJwk.kid }] },
    });
    expect(result.jwks.keys[0]).not.toHaveProperty('d');
    expect(out.stderr).toContain('is a secret');
  });

  test.each([
    [['--alg', 'HS256'], '--alg must be EdDSA or ES256'],
    [['--alg', 'eddsa'], '--alg must be EdDSA or ES256'],
    [['--kid=-bad'], '--kid must be 1-64 characters'],
    [['--kid', '-bad'], '--kid must be 1-64 characters'], // a value, as in --kid=-bad, refused for what it is
    [['--kid', 'x'.repeat(65)], '--kid must be 1-64 characters'],
    [['--kid', 'a b'], '--kid must be 1-64 characters'],
    [['extra'], '"keys new" takes no arguments, only options.'],
    [['--kid', 'a', '--kid', 'b'], '--kid is given more than once'],
    [['--bits', '4096'], "Unknown option '--bits'"],
    [['--out'], "Option '--out <value>' argument missing"],
    [['--kid', 'test_shop'], '--kid: a kid starting with test_ names a test key; add --test, or choose another kid.'],
    [['--test', '--kid', 'shop'], "--kid: a test key's kid starts with test_."],
  ])('usage error %j: exit 2, code usage, no key printed', async (argv, message) => {
    const out = capture();
    expect(await keysNew(argv, out.io)).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(`caisse: usage: ${message}`);
    expect(out.stderr).toContain('Run "caisse keys new --help" for usage.');
  });

  test('a usage error with --json is a JSON object on stdout', async () => {
    const out = capture();
    expect(await keysNew(['--alg', 'RS256', '--json'], out.io)).toBe(2);
    expect(out.json()).toEqual({ ok: false, error: { code: 'usage', message: '--alg must be EdDSA or ES256 (case-sensitive).' } });
  });

  test('--help prints the usage and exits 0', async () => {
    const out = capture();
    expect(await keysNew(['--help'], out.io)).toBe(0);
    expect(out.stdout).toMatch(/^Usage: caisse keys new \[--alg EdDSA\|ES256\] \[--kid ID\] \[--test\] \[--out DIR\] \[--json\]/);
  });
});

describe('caisse keys new --out', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await dir.cleanup();
  });

  test('writes the private key with mode 0600 and the JWKS, and prints only paths and kid', async () => {
    const out = capture();
    const target = join(dir.dir, 'keys', 'nested');
    expect(await keysNew(['--out', target, '--kid', 'k1'], out.io)).toBe(0);
    const privatePath = join(target, PRIVATE_KEY_FILE);
    const jwksPath = join(target, JWKS_FILE);
    const privateJwk = JSON.parse(await readFile(privatePath, 'utf8'));
    const jwks = JSON.parse(await readFile(jwksPath, 'utf8'));
    expect(privateJwk).toMatchObject({ kid: 'k1', kty: 'OKP' });
    expect(jwks.keys[0]).toMatchObject({ kid: 'k1', x: privateJwk.x });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    if (process.platform !== 'win32') {
      expect((await stat(privatePath)).mode & 0o777).toBe(0o600);
      expect((await stat(target)).mode & 0o077).toBe(0);
    }
    expect(out.stdout).toBe(
      'kid          k1 (EdDSA)\n' +
        `private key  ${privatePath} (mode 0600: keep it secret, give it only to your server)\n` +
        `public JWKS  ${jwksPath} (register it with the payment server)\n`,
    );
    expect(out.stdout + out.stderr).not.toContain(privateJwk.d);
    expect(out.stderr).toBe('');
  });

  test('--json gives the paths', async () => {
    const out = capture();
    expect(await keysNew(['--out', dir.dir, '--json', '--alg', 'ES256'], out.io)).toBe(0);
    const result = out.json();
    expect(result).toEqual({
      ok: true,
      kid: expect.stringMatching(/^[0-9a-f]{32}$/),
      alg: 'ES256',
      mode: 'live',
      privateKeyFile: join(dir.dir, PRIVATE_KEY_FILE),
      jwksFile: join(dir.dir, JWKS_FILE),
    });
    expect(out.stdout).not.toContain('"d"');
  });

  test('refuses to overwrite an existing private key: exit 1, file_exists, file untouched', async () => {
    const existing = await dir.file(PRIVATE_KEY_FILE, '{"kept":true}');
    const out = capture();
    expect(await keysNew(['--out', dir.dir], out.io)).toBe(1);
    expect(out.stderr).toContain(`caisse: file_exists: ${existing} already exists`);
    expect(await readFile(existing, 'utf8')).toBe('{"kept":true}');
    const json = capture();
    expect(await keysNew(['--out', dir.dir, '--json'], json.io)).toBe(1);
    expect(json.json().error.code).toBe('file_exists');
  });

  test('refuses when only the JWKS exists, and leaves no private key behind', async () => {
    const existing = await dir.file(JWKS_FILE, '{"keys":[]}');
    const out = capture();
    expect(await keysNew(['--out', dir.dir], out.io)).toBe(1);
    expect(out.stderr).toContain('file_exists');
    expect(await readFile(existing, 'utf8')).toBe('{"keys":[]}');
    await expect(stat(join(dir.dir, PRIVATE_KEY_FILE))).rejects.toThrow(/ENOENT/);
  });

  test('a second run into the same directory is refused', async () => {
    expect(await keysNew(['--out', dir.dir], capture().io)).toBe(0);
    const before = await readFile(join(dir.dir, PRIVATE_KEY_FILE), 'utf8');
    expect(await keysNew(['--out', dir.dir], capture().io)).toBe(1);
    expect(await readFile(join(dir.dir, PRIVATE_KEY_FILE), 'utf8')).toBe(before);
  });

  test('an --out path that is a file: exit 1, write_failed', async () => {
    const file = await dir.file('not-a-dir', 'x');
    await writeFile(file, 'x');
    const out = capture();
    expect(await keysNew(['--out', file, '--json'], out.io)).toBe(1);
    expect(out.json().error.code).toBe('write_failed');
  });
});
