import { LIMITS, type PublicJwk } from '@caisse/protocol';
import { generateKey, importSigningKey, type SigningKey } from '@caisse/server-kit';
import { seal, unseal } from '../secrets.js';
import type { Executor } from '../storage/database.js';

export interface ServerKeysDeps {
  db: Executor;
  /** The key-sealing key, derived from CAISSE_SECRET (`deriveKey(secret, 'key-sealing')`). */
  sealingKey: Buffer;
  /** Seconds a new key is published before it signs. */
  publishDelay: number;
  now?: () => Date;
}

export interface ServerKeys {
  /** Makes the first key, signing at once, when there is none (nobody can have cached a JWKS yet). */
  ensureKey(): Promise<void>;
  /** Publishes a new key now; it signs after the publish delay (or at once with `immediately`). */
  rotate(options?: { alg?: 'EdDSA' | 'ES256'; immediately?: boolean }): Promise<{ kid: string; signsFrom: Date }>;
  /**
   * The key to sign with now: the newest whose signing time has come. Pass the open
   * transaction when there is one: PGlite has a single connection, so a query beside
   * an open transaction would wait for it forever.
   */
  signingKey(executor?: Executor): Promise<SigningKey>;
  /** What `/.well-known/jwks.json` serves. */
  jwks(): Promise<{ keys: PublicJwk[] }>;
}

/**
 * A retired key stays published while anything it signed may still be presented: the
 * longest token lifetime, plus clock tolerance.
 */
export const KEY_RETENTION_SECONDS = LIMITS.voucherLifetime + 60;
/** How long one instance reuses its answer to "which key signs now"; far below any publish delay. */
const SIGNER_CACHE_MS = 5_000;

/**
 * The payment server's signing keys, kept in the database so every instance signs with
 * the same key and publishes the same JWKS. Private keys are sealed at rest.
 * @example const keys = createServerKeys({ db, sealingKey: deriveKey(secret, 'key-sealing'), publishDelay: 600 })
 */
export function createServerKeys(deps: ServerKeysDeps): ServerKeys {
  const now = deps.now ?? (() => new Date());
  const unsealed = new Map<string, SigningKey>();
  let signer: { key: SigningKey; until: number } | undefined;

  async function insert(alg: 'EdDSA' | 'ES256', signsFrom: Date, createdAt: Date) {
    const key = generateKey({ alg });
    await deps.db.query(
      'INSERT INTO server_keys (kid, alg, public_jwk, private_jwk_sealed, created_at, signs_from) VALUES ($1, $2, $3::text::jsonb, $4, $5, $6)',
      [key.kid, alg, JSON.stringify(key.publicJwk), seal(deps.sealingKey, JSON.stringify(key.privateJwk), key.kid), createdAt, signsFrom],
    );
    return { kid: key.kid, signsFrom };
  }

  return {
    async ensureKey() {
      const at = now();
      // Two instances starting together may both make a first key: both are published,
      // and every instance picks the same signer (ORDER BY signs_from, kid), so no harm.
      const { rows } = await deps.db.query<{ count: number }>('SELECT count(*)::int AS count FROM server_keys');
      if ((rows[0]?.count ?? 0) === 0) await insert('EdDSA', at, at);
    },

    rotate(options = {}) {
      const at = now();
      const signsFrom = options.immediately ? at : new Date(at.getTime() + deps.publishDelay * 1000);
      signer = undefined;
      return insert(options.alg ?? 'EdDSA', signsFrom, at);
    },

    async signingKey(executor = deps.db) {
      const at = now();
      if (signer && signer.until > at.getTime()) return signer.key;
      const { rows } = await executor.query<{ kid: string; private_jwk_sealed: string }>(
        'SELECT kid, private_jwk_sealed FROM server_keys WHERE signs_from <= $1 ORDER BY signs_from DESC, kid LIMIT 1',
        [at],
      );
      const row = rows[0];
      if (!row) throw new Error('The payment server has no signing key yet; run `caisse-server keys rotate --immediately`.');
      let key = unsealed.get(row.kid);
      if (!key) {
        key = importSigningKey(JSON.parse(unseal(deps.sealingKey, row.private_jwk_sealed, row.kid)));
        unsealed.set(row.kid, key);
      }
      signer = { key, until: at.getTime() + SIGNER_CACHE_MS };
      return key;
    },

    async jwks() {
      const at = now();
      const { rows } = await deps.db.query<{ public_jwk: PublicJwk }>(
        `SELECT k.public_jwk FROM server_keys k
          WHERE k.created_at <= $1
            AND NOT EXISTS (SELECT 1 FROM server_keys successor
                             WHERE successor.signs_from > k.signs_from
                               AND successor.signs_from <= $1::timestamptz - make_interval(secs => $2))
          ORDER BY k.signs_from DESC`,
        [at, KEY_RETENTION_SECONDS],
      );
      return { keys: rows.map((row) => row.public_jwk) };
    },
  };
}
