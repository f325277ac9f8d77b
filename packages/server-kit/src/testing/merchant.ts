import type { Algorithm } from '@caisse/protocol';
import { type GeneratedKey, generateKey } from '../keys/generate.js';

/**
 * A merchant test key: its `kid` starts with `test_`, so a merchant created with it is a
 * test merchant (tickets marked `test: true`, only test vouchers and notifications
 * accepted), as `caisse keys new --test` makes for the demo.
 * @example const merchant = createMerchant({ merchantId: 'shop-1', signingKey: testMerchant().privateJwk, paymentServer: createTestPaymentServer() })
 */
export function testMerchant(options: { alg?: Algorithm; kid?: string } = {}): GeneratedKey {
  return generateKey({ ...options, test: true });
}
