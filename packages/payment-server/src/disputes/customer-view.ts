import type { CustomerDispute } from '@caisse/protocol';
import type { MerchantService } from '../merchants/service.js';
import { type DisputeRow, toCustomerDispute } from './model.js';

/**
 * Disputes as their customer sees them, each with its merchant's display name (looked up
 * once per merchant): what the phone and the account page show.
 */
export async function customerDisputes(merchants: Pick<MerchantService, 'get'>, rows: readonly DisputeRow[]): Promise<CustomerDispute[]> {
  const names = new Map<string, string>();
  for (const row of rows) {
    if (!names.has(row.merchant_id)) names.set(row.merchant_id, (await merchants.get(row.merchant_id)).displayName);
  }
  return rows.map((row) => toCustomerDispute(row, names.get(row.merchant_id) ?? row.merchant_id));
}
