import { afterEach, describe, expect, it, vi } from 'vitest';
import { isResultMessage, isStatusMessage, watchPaymentWindow } from './popup.js';
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

describe('isStatusMessage', () => {
  it('accepts confirming with a date, and any other state alone', () => {
    expect(isStatusMessage({ type: 'caisse:status', state: 'confirming', expiresAt: '2026-01-15T12:05:00.000Z' })).toBe(true);
    expect(isStatusMessage({ type: 'caisse:status', state: 'authorising' })).toBe(true);
    expect(isStatusMessage({ state: 'refused', type: 'caisse:status' })).toBe(true);
  });

  it('refuses anything else', () => {
    for (const data of [
      undefined,
      null,
      'caisse:status',
      { type: 'caisse:status' },
      { type: 'caisse:status', state: 'confirming' },
      { type: 'caisse:status', state: 'confirming', expiresAt: 'not a date' },
      { type: 'caisse:status', state: 'confirming', expiresAt: 1_768_478_700_000 },
      { type: 'caisse:status', state: 'authorising', expiresAt: '2026-01-15T12:05:00.000Z' },
      { type: 'caisse:status', state: 'paid', token: 'a.b.c' },
      { type: 'caisse:status', state: 'PAID' },
      { type: 'caisse:state', state: 'paid' },
    ]) {
      expect(isStatusMessage(data), JSON.stringify(data)).toBe(false);
    }
  });
});

describe('watchPaymentWindow', () => {
  it('passes one result from the payment server window, then stops listening', () => {
    const popup = { closed: false } as Window;
    const result = vi.fn();
    watchPaymentWindow(popup, server, { result, status: vi.fn(), closed: vi.fn() });
    const message = { type: 'caisse:result', kind: 'voucher', token: TOKEN };
    deliver(message, { source: popup });
    deliver(message, { source: popup });
    expect(result).toHaveBeenCalledOnce();
    expect(result).toHaveBeenCalledWith(message);
  });

  it('passes every status from the payment server window until the result', () => {
    const popup = { closed: false } as Window;
    const status = vi.fn();
    watchPaymentWindow(popup, server, { result: vi.fn(), status, closed: vi.fn() });
    const confirming = { type: 'caisse:status', state: 'confirming', expiresAt: '2026-01-15T12:05:00.000Z' };
    deliver(confirming, { source: popup });
    deliver(confirming, { source: popup, origin: 'https://evil.example' });
    deliver(confirming, { source: window });
    deliver({ type: 'caisse:status', state: 'authorising' }, { source: popup });
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup });
    deliver(confirming, { source: popup });
    expect(status.mock.calls).toEqual([[confirming], [{ type: 'caisse:status', state: 'authorising' }]]);
  });

  it('reports a closed window only when seen closed twice, and not after stop()', () => {
    const popup = { closed: true } as Window;
    const closed = vi.fn();
    const watch = watchPaymentWindow(popup, server, { result: vi.fn(), status: vi.fn(), closed });
    watch.check();
    expect(closed).not.toHaveBeenCalled();
    watch.check();
    expect(closed).toHaveBeenCalledOnce();

    const other = watchPaymentWindow(popup, server, { result: vi.fn(), status: vi.fn(), closed });
    other.stop();
    deliver({ type: 'caisse:result', kind: 'voucher', token: TOKEN }, { source: popup });
    expect(closed).toHaveBeenCalledOnce();
  });
});
