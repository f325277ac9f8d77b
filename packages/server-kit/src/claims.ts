import { CaisseError } from '@caisse/protocol';

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
