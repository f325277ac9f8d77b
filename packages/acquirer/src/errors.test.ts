import { describe, expect, it } from 'vitest';
import { ACQUIRER_ERROR_CODES, AcquirerError, isAcquirerError } from './errors.js';

describe('acquirer errors', () => {
  it('recognises its errors by name and code, not by prototype', () => {
    const error = new AcquirerError('authorisation_pending');
    expect(isAcquirerError(error, 'authorisation_pending')).toBe(true);
    expect(isAcquirerError(error, 'invalid_request')).toBe(false);
    expect(isAcquirerError({ name: 'AcquirerError', code: 'idempotency_conflict' })).toBe(true);
    expect(isAcquirerError({ name: 'AcquirerError', code: 'no_such_code' })).toBe(false);
    expect(isAcquirerError(new Error('x'))).toBe(false);
    expect(error.message).toBe(ACQUIRER_ERROR_CODES.authorisation_pending);
  });

  it('keeps the cause and the details it was given', () => {
    const cause = new Error('socket hang up');
    const error = new AcquirerError('bank_idempotency_conflict', undefined, { cause, details: { idempotencyKey: 'k-1' } });
    expect(error).toMatchObject({ name: 'AcquirerError', code: 'bank_idempotency_conflict', cause, details: { idempotencyKey: 'k-1' } });
    expect(new AcquirerError('invalid_request', 'The amount must be whole minor units.')).toMatchObject({
      message: 'The amount must be whole minor units.',
      details: {},
    });
  });
});
