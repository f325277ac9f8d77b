import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isCaisseError } from '@caisse/protocol';
import { importPublicJwk } from '../../keys/import.js';
import type { KeySet, VerificationKey } from '../../keys/types.js';

/**
 * Test vectors written outside this project (`<repo>/../shared/vectors`, see its README).
 * The CI clones the repository with `shared/` beside it; a missing folder is an error,
 * never a silently empty test.
 */
export const VECTORS_DIR = fileURLToPath(new URL('../../../../../../shared/vectors/', import.meta.url));

export function readVector<T>(relativePath: string): T {
  const path = `${VECTORS_DIR}${relativePath}`;
  if (!existsSync(path)) {
    throw new Error(
      `Test vector ${relativePath} is missing: expected ${path}. The vectors live in ../shared/vectors beside the repository.`,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export type Jwk = Record<string, unknown> & { kty?: string; kid?: string };
export type VectorResult = 'valid' | 'invalid' | 'acceptable';

/** Wycheproof `EddsaVerify` / `EcdsaP1363Verify` files: raw message and signature, hex. */
export interface WycheproofSignatureFile {
  numberOfTests: number;
  testGroups: {
    publicKeyJwk?: Jwk;
    publicKey: { wx?: string; wy?: string; pk?: string };
    tests: { tcId: number; comment: string; flags: string[]; msg: string; sig: string; result: VectorResult }[];
  }[];
}

/** Wycheproof `JsonWebSignature` / `JsonWebKey` files: a JWS (usually compact) and the group's key or key set. */
export interface WycheproofJwsFile {
  numberOfTests: number;
  testGroups: {
    comment: string;
    private?: Jwk | { keys: Jwk[] };
    public?: Jwk | { keys: Jwk[] };
    tests: { tcId: number; comment: string; flags: string[]; jws: unknown; result: VectorResult }[];
  }[];
}

export interface WycheproofJwsCase {
  file: string;
  group: WycheproofJwsFile['testGroups'][number];
  tcId: number;
  comment: string;
  flags: string[];
  jws: unknown;
  result: VectorResult;
  /** The public JWKs a verifier would be configured with for this group. */
  jwks: Jwk[];
}

/** JOSE cookbook file (RFC 7520 §4, RFC 8037 A.4). */
export interface CookbookFile {
  title: string;
  input: { payload: string; key: Jwk | Jwk[]; alg: string | string[] };
  signing: { protected?: Record<string, unknown>; 'sig-input': string; sig: string } | unknown[];
  output: { compact?: string; json?: unknown; json_flat?: unknown };
}

export const RFC7520_FILES = [
  'jose-cookbook/rfc7520-4_1.rsa_v15_signature.json',
  'jose-cookbook/rfc7520-4_2.rsa-pss_signature.json',
  'jose-cookbook/rfc7520-4_3.ecdsa_signature.json',
  'jose-cookbook/rfc7520-4_4.hmac-sha2_integrity_protection.json',
  'jose-cookbook/rfc7520-4_5.signature_with_detached_content.json',
  'jose-cookbook/rfc7520-4_6.protecting_specific_header_fields.json',
  'jose-cookbook/rfc7520-4_7.protecting_content_only.json',
  'jose-cookbook/rfc7520-4_8.multiple_signatures.json',
] as const;

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'];

function keysOf(set: Jwk | { keys: Jwk[] } | undefined): Jwk[] | undefined {
  if (set === undefined) return undefined;
  return Array.isArray((set as { keys?: unknown }).keys) ? (set as { keys: Jwk[] }).keys : [set as Jwk];
}

/**
 * The keys a verifier holds for a group: its `public` set, or its `private` set with the
 * private members removed. Symmetric (`oct`) keys stay as they are: they have no public half.
 */
export function verifierJwks(group: WycheproofJwsFile['testGroups'][number]): Jwk[] {
  const keys = keysOf(group.public) ?? keysOf(group.private) ?? [];
  return keys.map((jwk) => Object.fromEntries(Object.entries(jwk).filter(([name]) => !PRIVATE_MEMBERS.includes(name))) as Jwk);
}

export function wycheproofJwsCases(file: string): WycheproofJwsCase[] {
  const data = readVector<WycheproofJwsFile>(file);
  return data.testGroups.flatMap((group) =>
    group.tests.map((test) => ({
      file,
      group,
      tcId: test.tcId,
      comment: test.comment,
      flags: test.flags,
      jws: test.jws,
      result: test.result,
      jwks: verifierJwks(group),
    })),
  );
}

/**
 * Imports each JWK on its own with {@link importPublicJwk}: the keys Caisse accepts form
 * the set, the others are reported with their error code (a real deployment would refuse
 * the whole JWKS; importing one by one lets the tokens still reach the verifier).
 */
export function caisseKeySet(jwks: readonly Jwk[]): {
  keys: KeySet;
  imported: VerificationKey[];
  refused: { kid: unknown; code: string }[];
} {
  const imported: VerificationKey[] = [];
  const refused: { kid: unknown; code: string }[] = [];
  for (const jwk of jwks) {
    try {
      imported.push(importPublicJwk(jwk));
    } catch (error) {
      if (!isCaisseError(error)) throw error;
      refused.push({ kid: jwk.kid, code: error.code });
    }
  }
  const byKid = new Map(imported.map((key) => [key.kid, key]));
  return { keys: { get: (kid) => byKid.get(kid) }, imported, refused };
}

/** Reads the `alg` of a compact JWS header without any of the verifier's strictness (test bookkeeping only). */
export function headerOf(jws: unknown): Record<string, unknown> | undefined {
  if (typeof jws !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
