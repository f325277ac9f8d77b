/**
 * Remembers which single-use tokens (vouchers, notifications) have been used, so a token
 * carried twice — by a reloaded return page, a replayed request, a redelivered
 * notification — is accepted only once (DESIGN.md, "Security properties").
 *
 * Every implementation fails closed: when its backend cannot answer, `claim` rejects
 * with `replay_store_unavailable` and never resolves `true` on doubt.
 *
 * @example
 * ```ts
 * import { memoryReplayStore, type ReplayStore } from '@caisse/server-kit';
 *
 * const replay: ReplayStore = memoryReplayStore();
 * const now = Date.now();
 * if (!(await replay.claim(`voucher:${claims.jti}`, claims.exp * 1000, now))) {
 *   throw new CaisseError('token_replayed');
 * }
 * try {
 *   await deliver(order);
 * } catch (error) {
 *   await replay.release(`voucher:${claims.jti}`); // let the redelivered notification try again
 *   throw error;
 * }
 * ```
 */
export interface ReplayStore {
  /**
   * Records `key` until `expiresAt` (milliseconds since the epoch). Resolves true the
   * first time, false while an unexpired record exists. Never resolves true twice for one
   * key before it expires, under any concurrency.
   *
   * `now` (milliseconds since the epoch) is the caller's clock: the verifiers pass theirs,
   * so "expired" means the same to the store as to the verifier that decided the token's
   * lifetime (one clock per decision). Without it the store reads its own clock.
   */
  claim(key: string, expiresAt: number, now?: number): Promise<boolean>;
  /** Forgets `key`, so a notification whose processing failed can be processed again when redelivered. */
  release(key: string): Promise<void>;
}
