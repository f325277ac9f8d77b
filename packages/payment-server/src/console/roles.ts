/**
 * Who may do what in the console. Roles are ordered: each may do all its predecessor may,
 * and more. Reading is everyone's; every action names the least role that may take it,
 * in one table the compiler checks (a new action without a role does not compile).
 */
export const ROLES = ['viewer', 'support', 'finance', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Everything an operator can do in the console besides reading, by the name the register records it under. */
export const ACTION_ROLES = {
  'customer.unlock': 'support',
  'customer.lock': 'support',
  'device.revoke': 'support',
  'notification.resend': 'support',
  'alert.acknowledge': 'support',
  'payment.refund': 'finance',
  'escrow.release': 'finance',
  'escrow.void': 'finance',
  'audit.verify': 'finance',
  'merchant.approve': 'admin',
  'merchant.suspend': 'admin',
  'merchant.resume': 'admin',
  'merchant.key.add': 'admin',
  'merchant.key.retire': 'admin',
  'merchant.origins': 'admin',
  'operator.disable': 'admin',
  'operator.unlock': 'admin',
  'operator.reset_totp': 'admin',
} as const satisfies Record<string, Role>;

export type ConsoleAction = keyof typeof ACTION_ROLES;

/** @example mayTake('support', 'payment.refund') // false */
export function mayTake(role: Role, action: ConsoleAction): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(ACTION_ROLES[action]);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
