import { type Acquirer, isAcquirerError } from '@caisse/acquirer';
import { describe, expect, it } from 'vitest';
import { type AcquirerConfig, checkAcquirers, route } from './routing.js';

/** Routing never calls an acquirer: one that throws on every call proves it. */
const untouched = new Proxy({} as Acquirer, {
  get: () => () => {
    throw new Error('routing must not call the acquirer');
  },
});

const ACQUIRERS: AcquirerConfig[] = [
  { name: 'euro-small', acquirer: untouched, routes: [{ currencies: ['EUR'], maxAmount: 50_000 }] },
  { name: 'euro-large', acquirer: untouched, routes: [{ currencies: ['EUR'], minAmount: 50_000 }] },
  { name: 'sterling', acquirer: untouched, routes: [{ currencies: ['GBP'] }, { merchants: ['uk-shop'] }] },
  { name: 'backup', acquirer: untouched },
];

const names = (operation: Parameters<typeof route>[1]) => route(ACQUIRERS, operation).map((config) => config.name);

describe('routing operations to acquirers', () => {
  it('routes by currency, in the operator’s order, with catch-all acquirers last where they are listed', () => {
    expect(names({ currency: 'GBP', amount: 1_000, merchantId: 'shop' })).toEqual(['sterling', 'backup']);
    expect(names({ currency: 'USD', amount: 1_000, merchantId: 'shop' })).toEqual(['backup']);
  });

  it('routes by amount band: the lower bound is included, the upper one excluded, so bands tile', () => {
    expect(names({ currency: 'EUR', amount: 49_999, merchantId: 'shop' })).toEqual(['euro-small', 'backup']);
    expect(names({ currency: 'EUR', amount: 50_000, merchantId: 'shop' })).toEqual(['euro-large', 'backup']);
  });

  it('routes by merchant: any one matching route takes the operation', () => {
    expect(names({ currency: 'USD', amount: 1_000, merchantId: 'uk-shop' })).toEqual(['sterling', 'backup']);
  });

  it('ignores amount bands for payouts, which carry no amount to route by', () => {
    expect(names({ currency: 'EUR', merchantId: 'shop' })).toEqual(['euro-small', 'euro-large', 'backup']);
  });

  it('routes nothing when no acquirer takes the operation', () => {
    expect(route(ACQUIRERS.slice(0, 3), { currency: 'CHF', amount: 1, merchantId: 'shop' })).toEqual([]);
  });

  it.each([
    ['a bad name', [{ name: 'Big Bank', acquirer: untouched }], /name "Big Bank"/],
    ['two acquirers with one name', [ACQUIRERS[3], ACQUIRERS[3]], /two acquirers are named backup/],
    ['a currency that is not one', [{ name: 'x', acquirer: untouched, routes: [{ currencies: ['EURO'] }] }], /EURO is not/],
    ['an empty band', [{ name: 'x', acquirer: untouched, routes: [{ minAmount: 5, maxAmount: 5 }] }], /minAmount < maxAmount/],
    ['an adapter missing methods', [{ name: 'x', acquirer: { authorise() {} } as unknown as Acquirer }], /x has no capture\(\)/],
  ])('refuses a configuration with %s, naming it', (_what, configs, message) => {
    let error: unknown;
    try {
      checkAcquirers(configs as AcquirerConfig[]);
    } catch (failure) {
      error = failure;
    }
    expect(isAcquirerError(error, 'invalid_request')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});
