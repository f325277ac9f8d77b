import * as z from 'zod';

/**
 * Test mode. A payment server runs in one mode for life: `live` moves real money; `test`
 * (the demo, a merchant's staging) moves none. Every token signed in test mode carries the
 * claim `test: true`, which the live wire never carries, so the two can never be taken for
 * each other: a live merchant refuses a test voucher, a test merchant a live one, and each
 * payment server a ticket of the other mode (`token_test_mode` for a merchant,
 * `ticket_invalid` for a payment server).
 * @example z.enum(MODES).parse(process.env.CAISSE_MODE ?? 'live')
 */
export const MODES = ['live', 'test'] as const;
export type Mode = (typeof MODES)[number];

/**
 * Merchant test keys have a `kid` starting with this prefix (`caisse keys new --test`); a
 * merchant's mode is read from its key, never from a separate setting that could disagree.
 * @example const kid = `${TEST_KEY_PREFIX}9f2c…` // 'test_9f2c…'
 */
export const TEST_KEY_PREFIX = 'test_';

/**
 * The mode of a key by its `kid`: `test` for a `test_` kid, else `live`.
 * @example modeOfKid('test_9f2c41d0') // 'test'
 */
export function modeOfKid(kid: string): Mode {
  return kid.startsWith(TEST_KEY_PREFIX) ? 'test' : 'live';
}

/**
 * The test marker of tickets, vouchers, refusals and notifications: `true` in test mode,
 * absent in live mode. `false` is refused, so the marker has one spelling only.
 * @example z.strictObject({ jti: id, test: testMarker })
 */
export const testMarker = z.literal(true).optional();

/**
 * The mode a token's claims say it was signed in.
 * @example modeOfClaims(voucher) // 'live' when `test` is absent
 */
export function modeOfClaims(claims: { test?: true | undefined }): Mode {
  return claims.test === true ? 'test' : 'live';
}
