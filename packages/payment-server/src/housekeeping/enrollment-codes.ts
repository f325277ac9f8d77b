import type { PruneRule } from './batch.js';

/**
 * Enrollment codes that expired before the moment, used or not: enrollment takes only an
 * unused code before its `expires_at` (at most 10 minutes after it was made), and no row
 * refers to a code (devices/service.ts).
 */
export const EXPIRED_ENROLLMENT_CODES: PruneRule = { table: 'enrollment_codes', where: 'expires_at < $1' };
