/**
 * Receipts to customers: one per payment that moved money and per refund that succeeded,
 * made due in the booking's transaction (migration 0030) and sent by {@link createReceiptSender}
 * through the notifier, in the customer's language.
 */
export {
  createReceiptSender,
  DEFAULT_MAX_ATTEMPTS,
  RECEIPT_RETRY_POLICY,
  type ReceiptReport,
  type ReceiptSender,
  type ReceiptSenderDeps,
} from './sender.js';
