import { describe, expect, test } from 'vitest';
import { ACTION_ROLES, type ConsoleAction, isRole, mayTake, ROLES, type Role } from './roles.js';

const ACTIONS = Object.keys(ACTION_ROLES) as ConsoleAction[];
const allowed = (role: Role) => ACTIONS.filter((action) => mayTake(role, action)).sort();

describe('the role table', () => {
  test('a viewer takes no action at all', () => {
    expect(allowed('viewer')).toEqual([]);
  });

  test('support: lock and unlock customers, revoke phones, resend parked notifications, acknowledge alerts', () => {
    expect(allowed('support')).toEqual(['alert.acknowledge', 'customer.lock', 'customer.unlock', 'device.revoke', 'notification.resend']);
  });

  test('finance: support’s, plus refunds, escrow release and void, and running the audit', () => {
    expect(allowed('finance')).toEqual([...allowed('support'), 'audit.verify', 'escrow.release', 'escrow.void', 'payment.refund'].sort());
  });

  test('admin: everything, merchants and operators included', () => {
    expect(allowed('admin')).toEqual([...ACTIONS].sort());
    for (const action of ACTIONS.filter((each) => each.startsWith('merchant.') || each.startsWith('operator.'))) {
      expect(ROLES.filter((role) => mayTake(role, action))).toEqual(['admin']);
    }
  });

  test('each role may do all its predecessor may', () => {
    for (const [index, role] of ROLES.entries()) {
      const before = ROLES[index - 1];
      if (before !== undefined) for (const action of allowed(before)) expect(mayTake(role, action), `${role} ${action}`).toBe(true);
    }
  });

  test('isRole takes exactly the four roles', () => {
    for (const role of ROLES) expect(isRole(role)).toBe(true);
    for (const value of ['Admin', 'root', '', undefined, 3]) expect(isRole(value)).toBe(false);
  });
});
