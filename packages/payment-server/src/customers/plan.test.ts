import { describe, expect, it } from 'vitest';
import { approvedByTap, changedChoices, defaultChoices, effectivePlan, type PlanBounds, payingMeans } from './plan.js';

const BOUNDS: PlanBounds = { currency: 'EUR', walletThreshold: 5_000n, tapLimit: 2_000n, dailyCeiling: 30_000n, monthlyCeiling: 100_000n };

describe('payment plans', () => {
  it('start as the operator threshold decided: the wallet below it, the bank above, the PIN always', () => {
    const plan = effectivePlan(defaultChoices(BOUNDS), BOUNDS);
    expect(plan).toEqual({
      currency: 'EUR',
      means: ['wallet', 'bank'],
      walletBelow: 5_000n,
      bankWhenShort: false,
      tapBelow: 0n,
      dailyCeiling: 30_000n,
      monthlyCeiling: 100_000n,
    });
  });

  it('read a choice made under a bound the operator has since lowered as the new bound', () => {
    const choices = { means: ['wallet'] as const, walletBelow: 5_000n, bankWhenShort: true, tapBelow: 2_000n, dailyCeiling: 20_000n };
    const lowered = { ...BOUNDS, walletThreshold: 3_000n, tapLimit: 500n, dailyCeiling: 10_000n };
    expect(effectivePlan(choices, lowered)).toMatchObject({
      walletBelow: 3_000n,
      tapBelow: 500n,
      dailyCeiling: 10_000n,
      monthlyCeiling: 100_000n,
    });
  });

  it('pay an amount with the means that take it, in the plan order', () => {
    const plan = effectivePlan({ ...defaultChoices(BOUNDS), means: ['bank', 'wallet'], walletBelow: 1_000n }, BOUNDS);
    expect(payingMeans(plan, 999n)).toEqual(['bank', 'wallet']);
    expect(payingMeans(plan, 1_000n)).toEqual(['bank']);
  });

  it('approve by tap only a positive amount strictly below the threshold', () => {
    const plan = effectivePlan({ ...defaultChoices(BOUNDS), tapBelow: 1_500n }, BOUNDS);
    expect([0n, 1n, 1_499n, 1_500n].map((amount) => approvedByTap(plan, amount))).toEqual([false, true, true, false]);
  });

  it('change only the fields given; null goes back to the operator ceiling', () => {
    const current = { ...defaultChoices(BOUNDS), dailyCeiling: 10_000n };
    expect(changedChoices(current, { tapBelow: 1500 }, BOUNDS)).toEqual({ ...current, tapBelow: 1_500n });
    expect(changedChoices(current, { dailyCeiling: null }, BOUNDS)).toEqual(defaultChoices(BOUNDS));
  });

  it('refuse raising any operator bound, naming each field', () => {
    const change = { walletBelow: 5_001, tapBelow: 2_001, dailyCeiling: 30_001, monthlyCeiling: 100_001 };
    expect(() => changedChoices(defaultChoices(BOUNDS), change, BOUNDS)).toThrow(
      expect.objectContaining({
        code: 'plan_out_of_bounds',
        issues: ['walletBelow', 'tapBelow', 'dailyCeiling', 'monthlyCeiling'].map((path) => expect.objectContaining({ path })),
      }),
    );
  });
});
