import type { Movements, SettlementDay, SettlementReport, SettlementStatus } from '@caisse/protocol';

export type { Movements, SettlementDay, SettlementReport, SettlementStatus };

/** What `settle` did for one merchant till. */
export interface SettlementResult {
  merchantId: string;
  currency: string;
  date: string;
  id: string | null;
  status: SettlementStatus | 'skipped';
  amount: number;
  /** Why nothing was recorded (`merchant_bank_account_missing`, `settlement_out_of_order`). */
  skipped?: 'merchant_bank_account_missing' | 'settlement_out_of_order';
  /** True when this day was already settled before this call: nothing new was paid. */
  replayed: boolean;
}
