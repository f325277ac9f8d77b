// The payment server itself starts as the SDK's end-to-end tests start it: one way to run it in a test.
import { servePaymentServer } from '../../../packages/sdk/e2e/payment-server.js';

/**
 * A real payment server for a store's tests: on 127.0.0.1, PGlite in memory (with
 * `mode: 'test'`, in test mode as the demo runs it: register the store with a test key,
 * `generateKey({ test: true })`), with a customer (no phone enrolled: the access key identifies her) whose wallet holds
 * `walletCents`. Notifications are sent when the test calls `deliverNotifications()`.
 * @example const payment = await startPaymentServer({ walletCents: 200n, mode: 'test' }); await payment.server.merchants.register({ … })
 */
export async function startPaymentServer(options: { walletCents?: bigint; mode?: 'live' | 'test' } = {}) {
  const { url, server, close } = await servePaymentServer({ mode: options.mode ?? 'live' });
  const customer = { accountId: 'alice', phone: '+33611111111', accessKey: 'alice access key' };
  await server.customers.add(customer);
  await server.customers.walletCredit('alice', 'EUR', options.walletCents ?? 10_000n, { idempotencyKey: 'fund-alice' });
  return {
    url,
    server,
    customer,
    /** One pass of the notification outbox. */
    deliverNotifications: async (): Promise<void> => {
      await server.notificationDispatcher.runOnce({ limit: 50 });
    },
    close,
  };
}
