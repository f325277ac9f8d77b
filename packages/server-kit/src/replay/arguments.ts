/**
 * Argument checks shared by every replay store, so that switching from one store to
 * another never changes which keys are accepted.
 */

/**
 * Longest key, in UTF-16 code units. Ids are at most 64 characters (LIMITS.idLength), so
 * this leaves room for a namespace and an issuer, while keeping every key well inside
 * PostgreSQL's b-tree entry limit (about 2,700 bytes) even at three UTF-8 bytes per unit.
 */
export const MAX_KEY_LENGTH = 512;

/** Lone surrogates: UTF-8 encoders replace them with U+FFFD, so two distinct keys would collide. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Throws a `TypeError` for a key no store can record faithfully: not a string, empty,
 * longer than {@link MAX_KEY_LENGTH}, holding U+0000 (PostgreSQL `text` cannot) or a lone
 * surrogate. These are programming errors, not replays, so they get no `CaisseError` code.
 *
 * @example
 * assertKey(`voucher:${claims.jti}`);
 */
export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new TypeError('replay store: the key must be a string');
  if (key.length === 0) throw new TypeError('replay store: the key must not be empty');
  if (key.length > MAX_KEY_LENGTH) throw new TypeError(`replay store: the key must be at most ${MAX_KEY_LENGTH} characters`);
  if (key.includes('\u0000')) throw new TypeError('replay store: the key must not contain U+0000');
  if (LONE_SURROGATE.test(key)) throw new TypeError('replay store: the key must be well-formed Unicode (no lone surrogate)');
}

/** Largest magnitude of a valid `Date`, in milliseconds (ECMA-262, "Time Values and Time Range"). */
const MAX_TIME = 8.64e15;

/**
 * Throws a `TypeError` unless `time` (a claim's `expiresAt`, or the caller's `now`) is a
 * finite time a `Date` can hold. A `NaN` would compare false against every clock reading
 * and, in some stores, make a record that never counts as live — a replay let through.
 *
 * @example
 * assertTime(claims.exp * 1000, 'expiresAt');
 */
export function assertTime(time: unknown, name: 'expiresAt' | 'now'): asserts time is number {
  if (typeof time !== 'number' || !Number.isFinite(time) || Math.abs(time) > MAX_TIME) {
    throw new TypeError(`replay store: ${name} must be a finite time in milliseconds since the epoch`);
  }
}

/**
 * The caller's clock reading when it gave one, checked, else the store's own.
 * @example const at = clockReading(now, options.now ?? Date.now)
 */
export function clockReading(callerNow: unknown, storeClock: () => number): number {
  if (callerNow === undefined) return storeClock();
  assertTime(callerNow, 'now');
  return callerNow;
}
