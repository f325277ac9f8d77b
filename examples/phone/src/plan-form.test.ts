import type { AccountPlan } from '@caisse/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { changeLines, draftOf, planChangeOf, planSummary, refusedFields } from './plan-form.js';

// amountText formats in the phone's language; Node 20 has no navigator.
beforeAll(() => {
  vi.stubGlobal('navigator', { language: 'en-GB' });
});
afterAll(() => {
  vi.unstubAllGlobals();
});

const CURRENT: AccountPlan = {
  currency: 'EUR',
  plan: { means: ['wallet', 'bank'], walletBelow: 5000, bankWhenShort: false, tapBelow: 0, dailyCeiling: 30000, monthlyCeiling: 100000 },
  bounds: { walletThreshold: 5000, tapLimit: 2000, dailyCeiling: 30000, monthlyCeiling: 100000 },
  chosen: false,
};

describe('the payment plan form', () => {
  it("starts from the plan in major units, the ceilings empty while they are the operator's", () => {
    expect(draftOf(CURRENT)).toEqual({
      means: 'wallet,bank',
      bankWhenShort: false,
      walletBelow: '50.00',
      tapBelow: '0.00',
      dailyCeiling: '',
      monthlyCeiling: '',
    });
    expect(draftOf({ ...CURRENT, plan: { ...CURRENT.plan, dailyCeiling: 12000 } }).dailyCeiling).toBe('120.00');
  });

  it('sends only what changed, amounts typed with a comma or a dot in minor units, an emptied ceiling as null', () => {
    const initial = draftOf({ ...CURRENT, plan: { ...CURRENT.plan, monthlyCeiling: 50000 } });
    const draft = { ...initial, means: 'bank,wallet', tapBelow: '12,5', dailyCeiling: ' 200 ', monthlyCeiling: '' };
    expect(planChangeOf(draft, initial, CURRENT)).toEqual({
      change: { means: ['bank', 'wallet'], tapBelow: 1250, dailyCeiling: 20000, monthlyCeiling: null },
      errors: {},
    });
    expect(planChangeOf(initial, initial, CURRENT)).toEqual({ change: {}, errors: {} });
  });

  it("refuses an amount past the operator's bound, a non-amount, and a daily ceiling over the monthly one, before any PIN", () => {
    const initial = draftOf(CURRENT);
    expect(planChangeOf({ ...initial, walletBelow: '60', tapBelow: '20.001', dailyCeiling: '12.50' }, initial, CURRENT).errors).toEqual({
      walletBelow: "At most €50.00, your operator's limit.",
      tapBelow: 'Type an amount such as 12.50.',
    });
    expect(planChangeOf({ ...initial, dailyCeiling: '500', monthlyCeiling: '400' }, initial, CURRENT).errors).toEqual({
      dailyCeiling: "At most €300.00, your operator's limit.",
    });
    expect(planChangeOf({ ...initial, dailyCeiling: '250', monthlyCeiling: '200' }, initial, CURRENT).errors).toEqual({
      dailyCeiling: 'At most your monthly ceiling, €200.00.',
    });
  });

  it("words the server's refusals with the bounds read again, the server's words for the rest", () => {
    const initial = draftOf(CURRENT);
    const draft = { ...initial, tapBelow: '15', dailyCeiling: '250' };
    const lowered = { ...CURRENT, bounds: { ...CURRENT.bounds, tapLimit: 1000 } };
    const issues = [
      { path: 'tapBelow', message: "must not exceed the operator's tap limit (1000 minor units)" },
      { path: 'dailyCeiling', message: 'must not exceed the monthly ceiling' },
    ];
    expect(refusedFields(issues, draft, initial, lowered)).toEqual({
      tapBelow: "At most €10.00, your operator's limit.",
      dailyCeiling: 'The payment server refused it: must not exceed the monthly ceiling.',
    });
  });

  it('reads the change back before the PIN, and sums the plan up', () => {
    expect(changeLines({ means: ['bank'], tapBelow: 0, dailyCeiling: null, walletBelow: 2000 }, CURRENT)).toEqual([
      'Order: Bank only',
      'The wallet pays below €20.00',
      'The PIN for every amount',
      "Daily ceiling: your operator's, €300.00",
    ]);
    expect(planSummary(CURRENT.plan, 'EUR')).toBe('Pays with the wallet below €50.00, then the bank. The PIN for every amount.');
    expect(planSummary({ ...CURRENT.plan, means: ['bank', 'wallet'], bankWhenShort: true, tapBelow: 1500 }, 'EUR')).toBe(
      'Pays with the bank, then the wallet below €50.00. The bank pays when the wallet is short. A tap approves below €15.00.',
    );
  });
});
