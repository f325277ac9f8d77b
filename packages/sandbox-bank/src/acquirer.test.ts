import { describe, expect, it } from 'vitest';
import sandboxAcquirer from './acquirer.js';
import { startSandboxBank } from './server.js';

describe('the adapter module the payment server loads', () => {
  it('makes an acquirer for the sandbox bank at options.url', async () => {
    const bank = await startSandboxBank();
    try {
      const result = await sandboxAcquirer({ url: bank.url, timeoutMs: 2_000 }).authorise({
        idempotencyKey: 'module-1',
        customerBankRef: 'test_approve',
        amount: 1_000,
        currency: 'EUR',
        merchantId: 'shop-1',
        description: 'Order 1',
      });
      expect(result).toMatchObject({ status: 'approved', kind: 'authorise' });
      expect(bank.bank.statement()).toHaveLength(1);
    } finally {
      await bank.close();
    }
  });

  it.each([
    [{}, /needs options.url/],
    [{ url: '127.0.0.1:4010' }, /needs options.url/],
    [{ url: 'http://127.0.0.1:4010', timeoutMs: '5s' }, /timeoutMs must be a number/],
  ])('refuses %j with a message that says what to give', (options, message) => {
    expect(() => sandboxAcquirer(options)).toThrow(message);
  });
});
