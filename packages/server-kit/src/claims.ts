import { CaisseError, type Mode, modeOfClaims } from '@caisse/protocol';

/** Clock settings every verifier takes, so tests can freeze time. */
export interface ClockOptions {
  /** The current time; defaults to the system clock. */
  now?: () => Date;
  /** Seconds of clock skew tolerated on `exp` and `iat` (default 5, at most 60). */
  clockTolerance?: number;
}

export const DEFAULT_CLOCK_TOLERANCE = 5;
const MAX_CLOCK_TOLERANCE = 60;

/** Resolves the clock settings, refusing a tolerance that is not a sane number rather than silently using zero. */
export function resolveClock(options: ClockOptions): { nowMs: () => number; nowSeconds: () => number; tolerance: number } {
  const tolerance = options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > MAX_CLOCK_TOLERANCE) {
    throw new TypeError(`clockTolerance must be a number of seconds between 0 and ${MAX_CLOCK_TOLERANCE}.`);
  }
  const now = options.now ?? (() => new Date());
  const nowMs = () => now().getTime();
  return { nowMs, nowSeconds: () => Math.floor(nowMs() / 1000), tolerance };
}

/** `exp` is exclusive (RFC 7519 §4.1.4): a token is live while now < exp + tolerance. */
export function checkExpiry(exp: number, now: number, tolerance: number): void {
  if (now >= exp + tolerance) {
    throw new CaisseError('token_expired', `The token expired ${now - exp} s ago (tolerance ${tolerance} s).`);
  }
}

export function checkIssuedAt(iat: number, now: number, tolerance: number): void {
  if (iat > now + tolerance) {
    throw new CaisseError('token_not_yet_valid', `The token was issued ${iat - now} s in the future (tolerance ${tolerance} s).`);
  }
}

export function checkParty(claim: 'iss' | 'aud', actual: string, expected: string): void {
  if (actual === expected) return;
  const code = claim === 'iss' ? 'issuer_mismatch' : 'audience_mismatch';
  throw new CaisseError(code, `The token ${claim} is "${actual}", expected "${expected}".`);
}

/**
 * A token is accepted only in its own mode: a live merchant refuses anything marked
 * `test: true` (a test voucher must never deliver goods for real), and a merchant using a
 * test key refuses anything unmarked (a test suite must never be fed a live payment).
 */
export function checkMode(claims: { test?: true | undefined }, mode: Mode, what: string): void {
  const tokenMode = modeOfClaims(claims);
  if (tokenMode === mode) return;
  throw new CaisseError(
    'token_test_mode',
    mode === 'live'
      ? `This ${what} was signed by a payment server in test mode (test: true) and this merchant is live: no money moved, deliver nothing. A live merchant trusts only its live payment server.`
      : `This ${what} comes from a live payment server and this merchant uses a test key: refused, so that tests never act on real money. Point your tests at a test payment server (or @caisse/server-kit/testing).`,
  );
}

/**
 * The mode a verifier was told to expect, refusing anything but `live` and `test`.
 * @example const mode = resolveMode(options.mode) // 'live' by default
 */
export function resolveMode(mode: unknown): Mode {
  if (mode === undefined || mode === 'live' || mode === 'test') return mode ?? 'live';
  throw new TypeError('mode must be "live" or "test".');
}
