import { isAcquirerError } from '@caisse/acquirer';
import { describe, expect, it } from 'vitest';
import { migration as acquirer } from '../storage/migrations/0004_acquirer.js';
import { migration as acquirers } from '../storage/migrations/0019_acquirers.js';
import { ACQUIRER_CONSTRAINTS, fromDatabaseError } from './errors.js';

describe('acquirer errors', () => {
  it('maps exactly the constraints migrations 0004 and 0019 name', () => {
    const named = new Set(
      [...`${acquirer.sql}${acquirers.sql}`.matchAll(/CONSTRAINT\s*(?:=\s*')?(acquirer_operations_\w+)/g)].map((match) => match[1]),
    );
    expect([...named].sort()).toEqual(Object.keys(ACQUIRER_CONSTRAINTS).sort());
  });

  it('translates a constraint violation and leaves anything else alone', () => {
    const violation = Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'acquirer_operations_idempotency_key' });
    const translated = fromDatabaseError(violation);
    expect(isAcquirerError(translated, 'idempotency_conflict') && translated.cause).toBe(violation);
    const other = Object.assign(new Error('duplicate key'), { code: '23505', constraint: 'ledger_transfers_idempotency_key' });
    expect(fromDatabaseError(other)).toBe(other);
  });
});
