/**
 * `@caisse/server-kit/testing`: helpers for a merchant's own tests, with no payment server
 * running. Everything they make is in test mode (`test: true`), which no live merchant accepts.
 */
export { testMerchant } from './merchant.js';
export {
  createTestPaymentServer,
  type NotificationContent,
  type NotificationOverrides,
  type QuoteRequestOverrides,
  type RefusalOverrides,
  TEST_ISSUER,
  type TestPaymentServer,
  type TestPaymentServerOptions,
  type TestQuoteRequest,
  type TestTicket,
  type TicketNotification,
  type VoucherOverrides,
} from './payment-server.js';
