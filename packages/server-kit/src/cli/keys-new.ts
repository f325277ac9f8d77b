import { lstat, mkdir, open, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ALGORITHMS, type Algorithm, modeOfKid, TEST_KEY_PREFIX } from '@caisse/protocol';
import { type GeneratedKey, generateKey } from '../keys/generate.js';
import { type ParsedArgs, parseCommandArgs, stringOption, wantsJson } from './args.js';
import { CliError, EXIT, type ExitCode } from './errors.js';
import type { CliIo } from './io.js';
import { fail, toJson, writeJson } from './output.js';

export const PRIVATE_KEY_FILE = 'merchant-key.private.json';
export const JWKS_FILE = 'merchant-key.jwks.json';

export const KEYS_NEW_USAGE = `Usage: caisse keys new [--alg EdDSA|ES256] [--kid ID] [--test] [--out DIR] [--json]

Generates a merchant signing key: the private JWK your server signs tickets with,
and the public JWKS to register with the payment server.

Options:
  --alg EdDSA|ES256  EdDSA (Ed25519, the default) or ES256 (P-256).
  --kid ID           Key id, 1-64 characters of A-Z a-z 0-9 . _ : - starting with a
                     letter or digit. Default: derived from the public key (RFC 7638).
  --test             A test key: its kid starts with test_ (so must --kid's). Its
                     tickets carry test: true and only a payment server in test
                     mode (the demo) takes them; a live payment server refuses it.
  --out DIR          Write DIR/${PRIVATE_KEY_FILE} (mode 0600) and
                     DIR/${JWKS_FILE}, and print only their paths and the kid.
                     Never overwrites a file; creates DIR (mode 0700) if missing.
  --json             Print one JSON object on stdout.
  -h, --help         Show this help.

Without --out, the private key is printed on stdout: anyone who has it can sign
tickets in your name. Keep it out of logs, shell history and version control.

Exit codes: 0 key made, 1 a key file exists or cannot be written, 2 usage.
`;

const KID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

const SECRET_WARNING =
  'caisse: WARNING: the private key printed on stdout is a secret. Anyone who has it can sign payment tickets\n' +
  'in your name. Put it straight into your secret store (e.g. as CAISSE_MERCHANT_KEY); do not commit, log or\n' +
  'paste it anywhere. "caisse keys new --out DIR" writes it to a mode 0600 file instead.\n';

function options(args: ParsedArgs): { alg: Algorithm; kid?: string; out?: string; test: boolean } {
  if (args.positionals.length > 0) throw new CliError('usage', '"keys new" takes no arguments, only options.');
  const alg = stringOption(args, 'alg') ?? 'EdDSA';
  if (!(ALGORITHMS as readonly string[]).includes(alg)) throw new CliError('usage', `--alg must be EdDSA or ES256 (case-sensitive).`);
  const kid = stringOption(args, 'kid');
  if (kid !== undefined && !KID.test(kid)) {
    throw new CliError('usage', '--kid must be 1-64 characters of A-Z a-z 0-9 . _ : - starting with a letter or digit.');
  }
  const test = args.values.test === true;
  if (kid !== undefined && modeOfKid(kid) === 'test' && !test) {
    throw new CliError('usage', `--kid: a kid starting with ${TEST_KEY_PREFIX} names a test key; add --test, or choose another kid.`);
  }
  if (kid !== undefined && test && modeOfKid(kid) !== 'test')
    throw new CliError('usage', `--kid: a test key's kid starts with ${TEST_KEY_PREFIX}.`);
  const out = stringOption(args, 'out');
  if (out === '') throw new CliError('usage', '--out needs a directory.');
  return { alg: alg as Algorithm, test, ...(kid === undefined ? {} : { kid }), ...(out === undefined ? {} : { out }) };
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new CliError('write_failed', `Cannot check ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}.`);
  }
}

/** Creates `path` with `content`, failing if anything (even a dangling symlink) is already there. */
async function createExclusive(path: string, content: string, mode: number): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx', mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError('file_exists', `${path} already exists; it is left untouched.`);
    throw new CliError('write_failed', `Cannot create ${path}: ${code ?? 'unknown error'}.`, { cause: error });
  }
  try {
    // Exactly `mode`, whatever the umask.
    await handle.chmod(mode);
    await handle.writeFile(content, 'utf8');
  } finally {
    await handle.close();
  }
}

async function writeKeyFiles(key: GeneratedKey, dir: string): Promise<{ privateKeyFile: string; jwksFile: string }> {
  const privateKeyFile = resolve(dir, PRIVATE_KEY_FILE);
  const jwksFile = resolve(dir, JWKS_FILE);
  for (const path of [privateKeyFile, jwksFile]) {
    if (await exists(path)) throw new CliError('file_exists', `${path} already exists; the CLI never overwrites a key file.`);
  }
  try {
    await mkdir(resolve(dir), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CliError(
      'write_failed',
      `Cannot create the directory ${resolve(dir)}: ${(error as NodeJS.ErrnoException).code ?? 'unknown error'}.`,
    );
  }
  await createExclusive(privateKeyFile, `${toJson(key.privateJwk)}\n`, 0o600);
  try {
    await createExclusive(jwksFile, `${toJson(key.jwks)}\n`, 0o644);
  } catch (error) {
    // Leave no private key behind whose public half was not written.
    await unlink(privateKeyFile).catch(() => undefined);
    throw error;
  }
  return { privateKeyFile, jwksFile };
}

/**
 * `caisse keys new`: generates a merchant key and prints it (private JWK first, with a
 * warning on stderr) or writes it to two files with `--out`.
 */
export async function keysNew(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let json = wantsJson(argv);
  let opts: ReturnType<typeof options>;
  try {
    const args = parseCommandArgs(argv, {
      alg: { type: 'string' },
      kid: { type: 'string' },
      out: { type: 'string' },
      test: { type: 'boolean' },
    });
    if (args.values.help) {
      io.stdout(KEYS_NEW_USAGE);
      return EXIT.ok;
    }
    json = args.values.json === true;
    opts = options(args);
  } catch (error) {
    return fail(io, json, error, EXIT.usage, 'keys new');
  }

  const key = generateKey({ alg: opts.alg, test: opts.test, ...(opts.kid === undefined ? {} : { kid: opts.kid }) });
  const label = key.mode === 'test' ? ' test key' : '';

  if (opts.out !== undefined) {
    let files: { privateKeyFile: string; jwksFile: string };
    try {
      files = await writeKeyFiles(key, opts.out);
    } catch (error) {
      return fail(io, json, error, EXIT.invalid);
    }
    if (json) {
      writeJson(io, {
        ok: true,
        kid: key.kid,
        alg: key.alg,
        mode: key.mode,
        privateKeyFile: files.privateKeyFile,
        jwksFile: files.jwksFile,
      });
    } else {
      io.stdout(
        `kid          ${key.kid} (${key.alg}${label})\n` +
          `private key  ${files.privateKeyFile} (mode 0600: keep it secret, give it only to your server)\n` +
          `public JWKS  ${files.jwksFile} (register it with the payment server)\n`,
      );
    }
    return EXIT.ok;
  }

  io.stderr(SECRET_WARNING);
  if (json) {
    writeJson(io, { ok: true, kid: key.kid, alg: key.alg, mode: key.mode, privateJwk: key.privateJwk, jwks: key.jwks });
  } else {
    io.stdout(
      `# Private${label || ' key'} (JWK), kid ${key.kid}: SECRET, for your server only\n${toJson(key.privateJwk)}\n\n` +
        `# Public key set (JWKS): register it with the payment server\n${toJson(key.jwks)}\n`,
    );
  }
  return EXIT.ok;
}
