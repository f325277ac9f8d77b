import { isCaisseError } from '@caisse/protocol';
import { importPublicJwks, type KeySet, staticKeySet } from '@caisse/server-kit';
import type { AssertionKeys } from '../api/assertion.js';
import { ProblemError } from '../http/problem.js';
import { ID_PATTERN } from '../merchants/input.js';
import type { Queryable } from '../storage/database.js';
import { constraintName, sqlState } from '../storage/errors.js';

/** At most this many carrier keys per merchant. */
export const MAX_CARRIER_KEYS = 32;

export interface CarrierKeyService {
  /**
   * Registers a carrier's public keys (a JWKS) for a merchant. A carrier signs delivery
   * confirmations — and nothing else — as that merchant: `iss` the merchant id, `kid` one
   * of these. A kid the merchant already uses for its own keys (active or retired) or for
   * another carrier key is refused, so a kid always names one key.
   * @throws ProblemError `merchant_unknown`, `keys_invalid`, `carrier_key_exists`
   * @example await carriers.add('bookshop', JSON.parse(await readFile('carrier.jwks.json', 'utf8')))
   */
  add(merchantId: string, jwks: unknown): Promise<{ merchantId: string; kids: string[] }>;
  /** The kids of a merchant's carrier keys. */
  list(merchantId: string): Promise<string[]>;
  /** Whether `kid` is one of the merchant's carrier keys (and so not one of its own). */
  isCarrierKey(merchantId: string, kid: string): Promise<boolean>;
  /**
   * The merchant's own keys, then its carriers' keys: what verifies an assertion on the
   * delivery endpoint, and only there.
   */
  withCarrierKeys(merchants: AssertionKeys): AssertionKeys;
}

/** @example const carriers = createCarrierKeyService({ db, now }) */
export function createCarrierKeyService(deps: { db: Queryable; now?: () => Date }): CarrierKeyService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  async function carrierKeys(merchantId: string): Promise<KeySet | undefined> {
    const { rows } = await db.query<{ jwk: object }>('SELECT jwk FROM merchant_carrier_keys WHERE merchant_id = $1 ORDER BY kid', [
      merchantId,
    ]);
    return rows.length === 0 ? undefined : staticKeySet({ keys: rows.map((row) => row.jwk) as never });
  }

  return {
    async add(merchantId, jwks) {
      let keys: ReturnType<typeof importPublicJwks>;
      try {
        keys = importPublicJwks(jwks);
      } catch (error) {
        if (isCaisseError(error)) throw new ProblemError('keys_invalid', error.message, { issues: error.issues, cause: error });
        throw error;
      }
      if (!ID_PATTERN.test(merchantId)) throw new ProblemError('merchant_unknown');
      const kids = [...keys.keys()];
      const { rows: merchant } = await db.query('SELECT 1 FROM merchants WHERE id = $1', [merchantId]);
      if (merchant.length === 0) throw new ProblemError('merchant_unknown');
      const { rows: taken } = await db.query<{ kid: string }>(
        `SELECT kid FROM merchant_keys WHERE merchant_id = $1 AND kid = ANY($2::text[])
         UNION SELECT kid FROM merchant_carrier_keys WHERE merchant_id = $1 AND kid = ANY($2::text[])`,
        [merchantId, kids],
      );
      if (taken.length > 0) throw new ProblemError('carrier_key_exists', `This merchant already has a key with kid "${taken[0]?.kid}".`);
      const { rows: count } = await db.query<{ n: bigint }>(
        'SELECT count(*)::int8 AS n FROM merchant_carrier_keys WHERE merchant_id = $1',
        [merchantId],
      );
      if (Number(count[0]?.n ?? 0) + kids.length > MAX_CARRIER_KEYS) {
        throw new ProblemError('keys_invalid', `A merchant has at most ${MAX_CARRIER_KEYS} carrier keys.`);
      }
      try {
        await db.query(
          `INSERT INTO merchant_carrier_keys (merchant_id, kid, jwk, added_at)
           SELECT $1, key->>'kid', key, $3 FROM jsonb_array_elements($2::text::jsonb) AS key`,
          [merchantId, JSON.stringify([...keys.values()].map((key) => key.jwk)), now()],
        );
      } catch (error) {
        if (sqlState(error) === '23505' && constraintName(error) === 'merchant_carrier_keys_identity') {
          throw new ProblemError('carrier_key_exists');
        }
        throw error;
      }
      return { merchantId, kids };
    },

    async list(merchantId) {
      const { rows } = await db.query<{ kid: string }>('SELECT kid FROM merchant_carrier_keys WHERE merchant_id = $1 ORDER BY kid', [
        merchantId,
      ]);
      return rows.map((row) => row.kid);
    },

    async isCarrierKey(merchantId, kid) {
      const { rows } = await db.query('SELECT 1 FROM merchant_carrier_keys WHERE merchant_id = $1 AND kid = $2', [merchantId, kid]);
      return rows.length > 0;
    },

    withCarrierKeys(merchants) {
      return {
        async keySet(merchantId) {
          const own = await merchants.keySet(merchantId);
          if (own === undefined) return undefined;
          const carriers = await carrierKeys(merchantId);
          if (carriers === undefined) return own;
          return { get: async (kid: string) => (await own.get(kid)) ?? carriers.get(kid) };
        },
      };
    },
  };
}
