import { type Acquirer, AcquirerError } from '@caisse/acquirer';
import { isCurrencyCode, LIMITS } from '@caisse/protocol';

/**
 * Which operations an acquirer takes. Every field left out matches anything; a route
 * matches an operation when all its fields do. Amount bands are in minor units,
 * `minAmount` included and `maxAmount` excluded, so `[0, 5000)` and `[5000, …)` tile.
 * Payouts ignore amount bands (a day's payout is no payment).
 */
export interface AcquirerRoute {
  readonly currencies?: readonly string[];
  readonly minAmount?: number;
  readonly maxAmount?: number;
  readonly merchants?: readonly string[];
}

/**
 * A named acquirer and the operations it takes. Order matters: an authorisation goes to
 * the first acquirer whose routes match, and is handed to the next matching one only when
 * the first provably did not charge (see `operations.ts`).
 * @example { name: 'eu-bank', acquirer: createMyBankAdapter(…), routes: [{ currencies: ['EUR'], maxAmount: 500_000 }] }
 */
export interface AcquirerConfig {
  /** Stored with every operation: renaming an acquirer strands its pending operations. 1–32 of a-z 0-9 _ -. */
  readonly name: string;
  readonly acquirer: Acquirer;
  /** Which operations it takes; left out, every one. */
  readonly routes?: readonly AcquirerRoute[];
}

/** What routing looks at. */
export interface RoutedOperation {
  readonly currency: string;
  /** Left out for payouts. */
  readonly amount?: number;
  readonly merchantId: string;
}

export const ACQUIRER_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

function invalid(message: string): AcquirerError {
  return new AcquirerError('invalid_request', `Invalid acquirer configuration: ${message}`);
}

/**
 * Checks names, currencies and bands once, at start, so a typo fails loudly rather than
 * routing nothing.
 * @throws AcquirerError `invalid_request`
 */
export function checkAcquirers(configs: readonly AcquirerConfig[]): readonly AcquirerConfig[] {
  const names = new Set<string>();
  for (const config of configs) {
    if (!ACQUIRER_NAME.test(config.name)) throw invalid(`name ${JSON.stringify(config.name)} must be 1–32 of a-z 0-9 _ -.`);
    if (names.has(config.name)) throw invalid(`two acquirers are named ${config.name}.`);
    names.add(config.name);
    for (const method of ['authorise', 'capture', 'refund', 'void', 'payout', 'lookup'] as const) {
      if (typeof config.acquirer?.[method] !== 'function') throw invalid(`${config.name} has no ${method}() (see the Acquirer interface).`);
    }
    for (const route of config.routes ?? []) {
      for (const currency of route.currencies ?? []) {
        if (!isCurrencyCode(currency)) throw invalid(`${config.name}: ${currency} is not an ISO 4217 currency code.`);
      }
      const min = route.minAmount ?? 0;
      const max = route.maxAmount ?? LIMITS.amount + 1;
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max <= min) {
        throw invalid(`${config.name}: an amount band needs whole minor units with minAmount < maxAmount.`);
      }
    }
  }
  return configs;
}

function matches(route: AcquirerRoute, operation: RoutedOperation): boolean {
  if (route.currencies !== undefined && !route.currencies.includes(operation.currency)) return false;
  if (route.merchants !== undefined && !route.merchants.includes(operation.merchantId)) return false;
  if (operation.amount === undefined) return true;
  return operation.amount >= (route.minAmount ?? 0) && (route.maxAmount === undefined || operation.amount < route.maxAmount);
}

/**
 * The acquirers that take this operation, in the operator's order: the first is asked,
 * the others are where an authorisation is handed over.
 * @example route(acquirers, { currency: 'GBP', amount: 12_000, merchantId: 'shop-1' }).map((a) => a.name) // ['uk-bank', 'backup']
 */
export function route(configs: readonly AcquirerConfig[], operation: RoutedOperation): AcquirerConfig[] {
  return configs.filter((config) => config.routes === undefined || config.routes.some((candidate) => matches(candidate, operation)));
}
