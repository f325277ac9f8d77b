import { describe, expect, it } from 'vitest';
import { migration } from '../storage/migrations/0004_acquirer.js';
import { ACQUIRER_CONSTRAINTS, ACQUIRER_ERROR_CODES, AcquirerError, fromDatabaseError, isAcquirerError } from './errors.js';

describe('acquirer errors', () => {
  it('maps exactly the constraints migration 0004 names', () => {
    const named = new Set([...migration.sql.matchAll(/CONSTRAINT\s*(?:=\s*')?(acquirer_operations_\w+)/g)].map((match) => match[1]));
    expect([...named].sort()).toEqual(Object.keys(ACQUIRER_CONSTRAINTS).sort());
  });

  it('recognises its errors by name and code, not by prototype', () => {
    const error = new AcquirerError('authorisation_pending');
    expect(isAcquirerError(error, 'authorisation_pending')).toBe(true);
    expect(isAcquirerError(error, 'invalid_request')).toBe(false);
    expect(isAcquirerError({ name: 'AcquirerError', code: 'idempotency_conflict' })).toBe(true);
    expect(isAcquirerError({ name: 'AcquirerError', code: 'no_such_code' })).toBe(false);
    expect(isAcquirerError(new Error('x'))).toBe(false);
    expect(error.message).toBe(ACQUIRER_ERROR_CODES.authorisation_pending);
  });

  it('translates a constraint violation and leaves anything else alone', () => {
    const violation = Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'acquirer_operations_idempotency_key' });
    const translated = fromDatabaseError(violation);
    expect(isAcquirerError(translated, 'idempotency_conflict') && translated.cause).toBe(violation);
    const other = Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'ledger_transfers_idempotency_key' });
    expect(fromDatabaseError(other)).toBe(other);
  });
});
