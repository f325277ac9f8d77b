import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ID_PATTERN } from '../merchants/input.js';
import { pairwiseSubject } from './pairwise.js';

describe('pairwiseSubject', () => {
  const secret = randomBytes(32);

  it('is stable for one customer and one merchant, and fits the protocol id rule', () => {
    const subject = pairwiseSubject(secret, 'alice', 'bookshop');
    expect(subject).toMatch(/^c_[A-Za-z0-9_-]{22}$/);
    expect(subject).toMatch(ID_PATTERN);
    expect(pairwiseSubject(Buffer.from(secret), 'alice', 'bookshop')).toBe(subject);
  });

  it('differs across merchants, customers and secrets, and does not show the customer id', () => {
    const subject = pairwiseSubject(secret, 'alice', 'bookshop');
    expect(pairwiseSubject(secret, 'alice', 'newsstand')).not.toBe(subject);
    expect(pairwiseSubject(secret, 'bob', 'bookshop')).not.toBe(subject);
    expect(pairwiseSubject(randomBytes(32), 'alice', 'bookshop')).not.toBe(subject);
    expect(subject).not.toContain('alice');
  });

  it('keeps the two ids apart (no ambiguity from concatenation)', () => {
    expect(pairwiseSubject(secret, 'ab', 'c')).not.toBe(pairwiseSubject(secret, 'a', 'bc'));
  });

  it('matches a known vector', () => {
    // A change of algorithm would give every customer a new id at every merchant: this pins it.
    expect(pairwiseSubject(Buffer.alloc(32, 7), 'alice', 'bookshop')).toMatchInlineSnapshot(`"c_gxaNngukGz25QO3sPTgU0Q"`);
  });
});
