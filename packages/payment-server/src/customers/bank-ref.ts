import { reference } from '@caisse/acquirer';
import type { Queryable } from '../storage/database.js';

/**
 * The customer's funding reference at the bank: `undefined` when there is no such
 * customer, `null` when they have none an acquirer would take (a reference stored before
 * `setBankRef` applied the acquirer's rule is as good as none).
 * @example const bankRef = await customerBankRef(tx, customerId)
 */
export async function customerBankRef(executor: Queryable, customerId: string): Promise<string | null | undefined> {
  const { rows } = await executor.query<{ bank_ref: string | null }>('SELECT bank_ref FROM customers WHERE id = $1', [customerId]);
  if (rows[0] === undefined) return undefined;
  const bankRef = rows[0].bank_ref;
  return bankRef !== null && reference.safeParse(bankRef).success ? bankRef : null;
}
