import { CaisseDeviceError, DEVICE_ERROR_CODES, type DeviceErrorCode } from '@caisse/sdk';
import { describe, expect, it } from 'vitest';
import { errorText } from './errors.js';

describe('the words for SDK errors', () => {
  it('says how many PIN attempts are left, in the singular for the last one', () => {
    expect(errorText(new CaisseDeviceError('pin_invalid', undefined, { attemptsLeft: 3 }))).toBe('Wrong PIN, 3 attempts left.');
    expect(errorText(new CaisseDeviceError('pin_invalid', undefined, { attemptsLeft: 1 }))).toBe('Wrong PIN, 1 attempt left.');
    expect(errorText(new CaisseDeviceError('pin_invalid'))).toBe('Wrong PIN.');
  });

  it('has words for every code, never the technical message', () => {
    for (const code of Object.keys(DEVICE_ERROR_CODES) as DeviceErrorCode[]) {
      const text = errorText(new CaisseDeviceError(code, 'technical detail'));
      expect(text).not.toContain('technical detail');
      expect(text.length).toBeGreaterThan(5);
    }
  });
});
