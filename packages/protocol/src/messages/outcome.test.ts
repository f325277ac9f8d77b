import { describe, expect, it } from 'vitest';
import { refusedAt } from '../test-support.js';
import { answeredRequest, outcomeEvent } from './outcome.js';

const ANSWERED = {
  id: 'cfr_1',
  payee: { id: 'bookshop', name: 'The Bookshop' },
  amount: 6000,
  currency: 'EUR',
  answer: 'approved',
  answeredAt: 1773482400,
  outcome: { status: 'refused', reason: 'bank_declined' },
};

describe('outcomeEvent', () => {
  it('is paid with a payment id, or refused with a known reason', () => {
    for (const outcome of [
      { status: 'paid', paymentId: 'pay_1042' },
      { status: 'refused', reason: 'bank_declined' },
      { status: 'cancelled', reason: 'customer_declined' },
      { status: 'granted' },
      { status: 'pending' },
    ]) {
      expect(outcomeEvent.parse({ id: 'cfr_1', outcome })).toEqual({ id: 'cfr_1', outcome });
    }
  });

  it('refuses a paid outcome without a payment id, an order serial for one, an unknown reason or status', () => {
    expect(refusedAt(outcomeEvent, { id: 'cfr_1', outcome: { status: 'paid' } })).toEqual(['outcome.paymentId']);
    expect(refusedAt(outcomeEvent, { id: 'cfr_1', outcome: { status: 'paid', paymentId: '1042' } })).toEqual(['outcome.paymentId']);
    expect(refusedAt(outcomeEvent, { id: 'cfr_1', outcome: { status: 'refused', reason: 'no' } })).toEqual(['outcome.reason']);
    expect(refusedAt(outcomeEvent, { id: 'cfr_1', outcome: { status: 'approved' } })).toEqual(['outcome.status']);
    expect(refusedAt(outcomeEvent, { id: 'cfr_1', outcome: { status: 'pending', paymentId: 'pay_1' } })).toEqual(['outcome']);
  });
});

describe('answeredRequest', () => {
  it('carries the answer and the outcome; nothing else', () => {
    expect(answeredRequest.parse(ANSWERED)).toEqual(ANSWERED);
    expect(refusedAt(answeredRequest, { ...ANSWERED, answer: 'expired' })).toEqual(['answer']);
    expect(refusedAt(answeredRequest, { ...ANSWERED, challenge: 'c'.repeat(43) })).toEqual(['']);
  });
});
