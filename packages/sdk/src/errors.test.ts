import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CaisseDeviceError, DEVICE_ERROR_CODES, isCaisseDeviceError } from './errors.js';

describe('CaisseDeviceError', () => {
  it('carries a stable code, its description by default, and the server facts', () => {
    const error = new CaisseDeviceError('pin_invalid', undefined, { attemptsLeft: 2, status: 401, serverCode: 'pin_invalid' });
    expect(error).toMatchObject({ name: 'CaisseDeviceError', code: 'pin_invalid', attemptsLeft: 2, status: 401 });
    expect(error.message).toBe(DEVICE_ERROR_CODES.pin_invalid);
    expect(new CaisseDeviceError('offline')).not.toHaveProperty('attemptsLeft');
  });

  it('is recognised by name and code, also when it comes from another realm', () => {
    const foreign = runInNewContext('const e = new Error("x"); e.name = "CaisseDeviceError"; e.code = "account_locked"; e') as unknown;
    expect(foreign instanceof CaisseDeviceError).toBe(false);
    expect(isCaisseDeviceError(foreign)).toBe(true);
    expect(isCaisseDeviceError(foreign, 'account_locked')).toBe(true);
    expect(isCaisseDeviceError(foreign, 'pin_invalid')).toBe(false);
  });

  it('is not fooled by other errors, unknown codes or inherited names', () => {
    expect(isCaisseDeviceError(new Error('x'))).toBe(false);
    expect(isCaisseDeviceError({ name: 'CaisseDeviceError', code: 'toString' })).toBe(false);
    expect(isCaisseDeviceError({ name: 'CaisseError', code: 'offline' })).toBe(false);
    expect(isCaisseDeviceError(null)).toBe(false);
  });
});
