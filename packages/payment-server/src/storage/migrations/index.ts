import { migration as ledger } from './0001_ledger.js';
import { migration as audit } from './0002_audit.js';
import { migration as parties } from './0003_parties.js';
import { migration as acquirer } from './0004_acquirer.js';
import { migration as serverKeys } from './0005_server_keys.js';
import { migration as checkout } from './0006_checkout.js';
import { migration as api } from './0007_api.js';
import { migration as customerBank } from './0008_customer_bank.js';
import { migration as checkoutDisplay } from './0009_checkout_display.js';
import { migration as notifications } from './0010_notifications.js';
import { migration as devices } from './0011_devices.js';
import { migration as confirmationRequests } from './0012_confirmation_requests.js';
import { migration as escrowRefunds } from './0013_escrow_refunds.js';
import { migration as settlement } from './0014_settlement.js';
import { migration as topUps } from './0015_top_ups.js';
import { migration as checkoutShared } from './0016_checkout_shared.js';
import { migration as bankCaptures } from './0017_bank_captures.js';
import { migration as confirmationRequestsRecent } from './0018_confirmation_requests_recent.js';
import { migration as acquirers } from './0019_acquirers.js';
import { migration as customerPlans } from './0020_customer_plans.js';
import { migration as loyaltySpending } from './0021_loyalty_spending.js';
import { migration as checkoutChoice } from './0022_checkout_choice.js';
import { migration as allowances } from './0023_allowances.js';
import { migration as ticketRefusals } from './0024_ticket_refusals.js';
import { migration as serverMode } from './0025_server_mode.js';
import { migration as paymentOrderSerials } from './0026_payment_order_serials.js';
import { migration as quotesContents } from './0027_quotes_contents.js';
import { migration as housekeeping } from './0028_housekeeping.js';
import { migration as evidence } from './0029_evidence.js';
import { migration as receipts } from './0030_receipts.js';
import { migration as disputes } from './0031_disputes.js';
import { migration as merchantLifecycle } from './0032_merchant_lifecycle.js';
import { migration as sharedLimits } from './0033_shared_limits.js';
import { migration as operators } from './0034_operators.js';
import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

/**
 * Every migration of the payment server, in order. A new migration gets the next number
 * and its own file; a released one is never edited (its checksum is checked at start).
 */
export const MIGRATIONS: readonly Migration[] = [
  ledger,
  audit,
  parties,
  acquirer,
  serverKeys,
  checkout,
  api,
  customerBank,
  checkoutDisplay,
  notifications,
  devices,
  confirmationRequests,
  escrowRefunds,
  settlement,
  topUps,
  checkoutShared,
  bankCaptures,
  confirmationRequestsRecent,
  acquirers,
  customerPlans,
  loyaltySpending,
  checkoutChoice,
  allowances,
  ticketRefusals,
  serverMode,
  paymentOrderSerials,
  quotesContents,
  housekeeping,
  evidence,
  receipts,
  disputes,
  merchantLifecycle,
  sharedLimits,
  operators,
];
