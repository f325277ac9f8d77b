import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CaisseError, ERROR_CODES, isCaisseError, REFUSAL_REASONS } from './errors.js';

describe('ERROR_CODES', () => {
  it('are snake_case and each has a description', () => {
    for (const [code, description] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(description.length).toBeGreaterThan(10);
    }
  });

  it('hold the codes other packages and the payment server rely on', () => {
    expect(Object.keys(ERROR_CODES)).toEqual([
      'token_malformed',
      'token_too_large',
      'duplicate_member',
      'type_mismatch',
      'algorithm_not_allowed',
      'header_key_refused',
      'header_unsupported',
      'key_unknown',
      'keys_invalid',
      'keys_unavailable',
      'signature_invalid',
      'claims_invalid',
      'version_unsupported',
      'token_expired',
      'token_not_yet_valid',
      'audience_mismatch',
      'issuer_mismatch',
      'ticket_mismatch',
      'state_mismatch',
      'token_replayed',
      'payment_refused',
      'token_test_mode',
      'message_invalid',
      'amount_mismatch',
      'vat_mismatch',
      'currency_unknown',
      'amount_invalid',
      'replay_store_full',
      'replay_store_unavailable',
      'body_unavailable',
    ]);
  });
});

describe('REFUSAL_REASONS', () => {
  it('are exactly the reasons of DESIGN.md', () => {
    expect(Object.keys(REFUSAL_REASONS).sort()).toEqual(
      [
        'insufficient_funds',
        'ceiling_exceeded',
        'authentication_failed',
        'account_locked',
        'customer_declined',
        'confirmation_expired',
        'bank_declined',
        'ticket_expired',
        'ticket_invalid',
        'ticket_replayed',
        'merchant_unknown',
      ].sort(),
    );
    for (const words of Object.values(REFUSAL_REASONS)) expect(words).toMatch(/^[A-Z].+\.$/);
  });
});

describe('CaisseError', () => {
  it('is an Error carrying a stable code and, by default, the code description', () => {
    const error = new CaisseError('token_expired');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CaisseError');
    expect(error.code).toBe('token_expired');
    expect(error.message).toBe(ERROR_CODES.token_expired);
    expect(error.issues).toEqual([]);
    expect(error.cause).toBeUndefined();
  });

  it('keeps a custom message, its cause and its issues', () => {
    const cause = new SyntaxError('bad JSON');
    const error = new CaisseError('message_invalid', 'Invalid message: amount: too big.', {
      cause,
      issues: [{ path: 'amount', message: 'too big' }],
    });
    expect(error.message).toBe('Invalid message: amount: too big.');
    expect(error.cause).toBe(cause);
    expect(error.issues).toEqual([{ path: 'amount', message: 'too big' }]);
  });
});

describe('isCaisseError', () => {
  it('recognises a CaisseError, optionally by code', () => {
    const error = new CaisseError('token_replayed');
    expect(isCaisseError(error)).toBe(true);
    expect(isCaisseError(error, 'token_replayed')).toBe(true);
    expect(isCaisseError(error, 'token_expired')).toBe(false);
  });

  it('recognises an error from another realm or another copy of the package by its shape', () => {
    const foreign = runInNewContext(
      "const e = new Error('expired'); e.name = 'CaisseError'; e.code = 'token_expired'; e.issues = []; e",
    ) as unknown;
    expect(foreign instanceof CaisseError).toBe(false);
    expect(foreign instanceof Error).toBe(false);
    expect(isCaisseError(foreign)).toBe(true);
    expect(isCaisseError(foreign, 'token_expired')).toBe(true);
    expect(isCaisseError(foreign, 'signature_invalid')).toBe(false);
  });

  it('recognises a plain object of the same shape, with and without a code to match', () => {
    const plain = { name: 'CaisseError', code: 'amount_mismatch', message: 'amount is 1 but…', issues: [{ path: 'amount', message: 'x' }] };
    expect(isCaisseError(plain)).toBe(true);
    expect(isCaisseError(plain, 'amount_mismatch')).toBe(true);
    expect(isCaisseError(plain, 'vat_mismatch')).toBe(false);
  });

  it('refuses objects whose code is missing, not a string or not a Caisse code', () => {
    expect(isCaisseError({ issues: [] })).toBe(false);
    expect(isCaisseError({ code: 42, issues: [] })).toBe(false);
    expect(isCaisseError({ code: 'ENOENT', issues: [] })).toBe(false);
    expect(isCaisseError(Object.assign(new Error('x'), { code: 'ECONNRESET', issues: [] }))).toBe(false);
  });

  it('refuses names inherited from Object.prototype as codes', () => {
    for (const code of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
      expect(isCaisseError({ code, issues: [] })).toBe(false);
    }
  });

  it('refuses objects without an issues array, and non-objects', () => {
    expect(isCaisseError({ code: 'token_expired' })).toBe(false);
    expect(isCaisseError({ code: 'token_expired', issues: 'none' })).toBe(false);
    for (const value of [null, undefined, 'token_expired', 42, true]) expect(isCaisseError(value)).toBe(false);
  });
});
