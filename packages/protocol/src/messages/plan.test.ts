import { describe, expect, it } from 'vitest';
import { refusedAt } from '../test-support.js';
import { accountPlan, planChange } from './plan.js';

describe('planChange', () => {
  it('accepts any subset of the fields, a null ceiling meaning the operator one', () => {
    expect(planChange.parse({})).toEqual({});
    expect(planChange.parse({ means: ['bank', 'wallet'], tapBelow: 1500, dailyCeiling: null })).toEqual({
      means: ['bank', 'wallet'],
      tapBelow: 1500,
      dailyCeiling: null,
    });
  });

  it('refuses what is not a plan at its path, never coercing', () => {
    expect(refusedAt(planChange, { means: [] })).toEqual(['means']);
    expect(refusedAt(planChange, { means: ['wallet', 'wallet'] })).toEqual(['means']);
    expect(refusedAt(planChange, { means: ['card'] })).toEqual(['means.0']);
    for (const value of [-1, 1.5, true, '', '1500', 10 ** 13]) expect(refusedAt(planChange, { tapBelow: value })).toEqual(['tapBelow']);
    expect(refusedAt(planChange, { extra: 1 })).toEqual(['']);
  });
});

describe('accountPlan', () => {
  it('reads an answer leniently: a member a newer server adds is dropped', () => {
    const answer = {
      currency: 'EUR',
      plan: {
        means: ['wallet', 'bank'],
        walletBelow: 5000,
        bankWhenShort: false,
        tapBelow: 0,
        dailyCeiling: 30000,
        monthlyCeiling: 100000,
      },
      bounds: { walletThreshold: 5000, tapLimit: 2000, dailyCeiling: 30000, monthlyCeiling: 100000 },
      chosen: false,
    };
    expect(accountPlan.parse({ ...answer, later: true })).toEqual(answer);
  });
});
