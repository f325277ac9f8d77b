import type { PruneRule } from './batch.js';

/**
 * Notifications the merchant acknowledged before the moment. A delivered notification
 * never changes again and nothing refers to it: the payment it told of keeps its own
 * record. Found through `notifications_delivered` (migration 0028).
 */
export const DELIVERED_NOTIFICATIONS: PruneRule = { table: 'notifications', where: "status = 'delivered' AND delivered_at < $1" };

/**
 * Notifications parked before the moment: never acknowledged in their retry window,
 * and not resent by the operator since (a resend makes a row pending again).
 */
export const PARKED_NOTIFICATIONS: PruneRule = { table: 'notifications', where: "status = 'parked' AND parked_at < $1" };
