import { afterEach, describe, expect, it, vi } from 'vitest';
import { isResultMessage, watchPaymentWindow } from './popup.js';
import { deliver, SERVER, TOKEN } from './test-support.js';
import { paymentServer } from './urls.js';

const server = paymentServer(SERVER) as NonNullable<ReturnType<typeof paymentServer>>;

afterEach(() => vi.restoreAllMocks());

describe('isResultMessage', () => {
  it('accepts exactly the result shape', () => {
    expect(isResultMessage({ type: 'caisse:result', kind: 'voucher', token: TOKEN })).toBe(true);
    expect(isResultMessage({ kind: 'refusal', token: TOKEN, type: 'caisse:result' })).toBe(true);
  });

  it('refuses anything else', () => {
    for (const data of [
      undefined,
      null,
      0,
      'x',
      [],
      { type: 'caisse:result', kind: 'voucher', token: '' },
      { type: 'caisse:result', kind: 'voucher', token: 'a.b' },
    ]) {
      expect(isResultMessage(data)).toBe(false);
    }
  });
});

describe('watchPaymentWindow', () => {
  it('passes one result from the payment server window, then stops listening', () => {
    const popup = { closed: false } as Window;
    const result = vi.fn();
    watchPaymentWindow(popup, server, { result, closed: vi.fn() });
    const message = { type: 'caisse:result', kind: 'voucher', token: TOKEN };
    deliver(message, { source: popup });
    deliver(message, { source: popup });
    expect(result).toHaveBeenCalledOnce();
    expect(result).toHaveBeenCalledWith(message);
  });

  it('reports a closed window only when seen closed twice, and not after stop()', () => {
    const popup = { closed: true } as Window;
    const closed = vi.fn();
    const watch = watchPaymentWindow(popup, server, { result: vi.fn(), closed });
    watch.check();
    expect(closed).not.toHaveBeenCalled();
    watch.check();
    expect(closed).toHaveBeenCalledOnce();

    const other = watchPaymentWindow(popup, server, { result: vi.fn(), closed });
    other.stop();
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup });
    expect(closed).toHaveBeenCalledOnce();
  });
});
