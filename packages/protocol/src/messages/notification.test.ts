import { describe, expect, it } from 'vitest';
import { expectAccepted, refusal, refusedAt, T0, TICKET_SHA256, without } from '../test-support.js';
import { notificationClaims } from './notification.js';

const envelope = {
  ver: 1,
  iss: 'https://pay.caisse.example',
  aud: 'librairie-du-port',
  jti: 'evt-01J9Z4A1B2',
  iat: T0 + 125,
  exp: T0 + 425,
};
const ticket = { jti: 'tkt_01J9Z3K7Q8', sha256: TICKET_SHA256 };
const payment = {
  id: 'pay_42',
  ticket,
  serial: 'CMD-2026-000123',
  amount: 2199,
  currency: 'EUR',
  status: 'held',
  funding: 'wallet',
};

describe('notificationClaims', () => {
  it('accepts every payment event', () => {
    expectAccepted(notificationClaims, { ...envelope, event: 'payment.authorised', payment: { ...payment, status: 'authorised' } });
    expectAccepted(notificationClaims, { ...envelope, event: 'payment.held', payment });
    expectAccepted(notificationClaims, { ...envelope, event: 'payment.released', payment: { ...payment, status: 'released' } });
    expectAccepted(notificationClaims, { ...envelope, event: 'payment.voided', payment: { ...payment, status: 'voided' } });
  });

  it('accepts a refusal, a refund and a settlement', () => {
    const refused = { ticket, serial: 'CMD-2026-000123', amount: 2199, currency: 'EUR', reason: 'customer_declined' };
    expectAccepted(notificationClaims, { ...envelope, event: 'payment.refused', refusal: refused });
    const refund = { id: 'rfd-000000003', amount: 499, currency: 'EUR' };
    expectAccepted(notificationClaims, { ...envelope, event: 'refund.succeeded', payment: { ...payment, status: 'released' }, refund });
    const settlement = { id: 'stl-2026-01-02', date: '2026-01-02', amount: 1_250_000, currency: 'EUR' };
    expectAccepted(notificationClaims, { ...envelope, event: 'settlement.paid', settlement });
  });

  it('accepts a refused ticket, with or without a readable ticket id, and refuses a malformed one at its path', () => {
    const ticketRefusal = {
      id: 'tr_6m1d0lQe3TzK2o9yXcVb1A',
      code: 'key_unknown',
      message: 'The key kid 3f8a…a1 is not registered for merchant librairie-du-port.',
      ticket: 'tkt_01J9Z3K7Q8',
      count: 1,
      firstSeenAt: T0 + 100,
    };
    expectAccepted(notificationClaims, { ...envelope, event: 'ticket.refused', ticketRefusal });
    expectAccepted(notificationClaims, { ...envelope, event: 'ticket.refused', ticketRefusal: { ...ticketRefusal, ticket: null } });
    for (const [member, value] of [
      ['code', 'Key Unknown'],
      ['message', ''],
      ['message', 'line one\nline two'],
      ['message', 'x'.repeat(1001)],
      ['ticket', '../x'],
      ['count', 0],
      ['firstSeenAt', -1],
    ] as const) {
      expect(
        refusedAt(notificationClaims, { ...envelope, event: 'ticket.refused', ticketRefusal: { ...ticketRefusal, [member]: value } }),
      ).toEqual([`ticketRefusal.${member}`]);
    }
    expect(
      refusedAt(notificationClaims, { ...envelope, event: 'ticket.refused', ticketRefusal: without(ticketRefusal, 'ticket') }),
    ).toEqual(['ticketRefusal.ticket']);
  });

  it('refuses an unknown or missing event at event', () => {
    expect(refusedAt(notificationClaims, { ...envelope, event: 'payment.captured', payment })).toEqual(['event']);
    expect(refusedAt(notificationClaims, { ...envelope, payment })).toEqual(['event']);
  });

  it('refuses the body of one event under another event', () => {
    const refused = { ticket, serial: 'CMD-2026-000123', amount: 2199, currency: 'EUR', reason: 'customer_declined' };
    expect(refusedAt(notificationClaims, { ...envelope, event: 'payment.authorised', refusal: refused })).toEqual(['', 'payment']);
    expect(refusedAt(notificationClaims, { ...envelope, event: 'payment.refused', payment })).toEqual(['', 'refusal']);
    expect(refusedAt(notificationClaims, { ...envelope, event: 'refund.succeeded', payment })).toEqual(['refund']);
  });

  it('refuses a missing envelope member, an unknown member and a wrong version', () => {
    const held = { ...envelope, event: 'payment.held', payment };
    for (const member of Object.keys(envelope)) expect(refusedAt(notificationClaims, without(held, member))).toContain(member);
    expect(refusedAt(notificationClaims, { ...held, retry: 3 })).toEqual(['']);
    expect(refusedAt(notificationClaims, { ...held, ver: 2 })).toEqual(['ver']);
  });

  it('refuses exp at or before iat', () => {
    expect(refusal(notificationClaims, { ...envelope, exp: envelope.iat, event: 'payment.held', payment })).toEqual([
      { path: 'exp', message: 'must be after iat' },
    ]);
  });

  it('says how much loyalty points paid, from 1 to the amount', () => {
    const authorised = { ...envelope, event: 'payment.authorised', payment: { ...payment, status: 'authorised' } };
    expectAccepted(notificationClaims, { ...authorised, payment: { ...authorised.payment, points: 1 } });
    expectAccepted(notificationClaims, { ...authorised, payment: { ...authorised.payment, points: payment.amount } });
    expect(refusal(notificationClaims, { ...authorised, payment: { ...authorised.payment, points: payment.amount + 1 } })).toEqual([
      { path: 'payment.points', message: 'is from 1 to the amount' },
    ]);
    expect(refusedAt(notificationClaims, { ...authorised, payment: { ...authorised.payment, points: 0 } })).toEqual(['payment.points']);
  });

  it('refuses malformed event bodies at their path', () => {
    const held = { ...envelope, event: 'payment.held' };
    expect(refusedAt(notificationClaims, { ...held, payment: { ...payment, status: 'paid' } })).toEqual(['payment.status']);
    expect(refusedAt(notificationClaims, { ...held, payment: { ...payment, funding: 'card' } })).toEqual(['payment.funding']);
    expect(refusedAt(notificationClaims, { ...held, payment: { ...payment, amount: -1 } })).toEqual(['payment.amount']);
    const settlement = { id: 'stl-1', date: '02/01/2026', amount: 1, currency: 'EUR' };
    expect(refusedAt(notificationClaims, { ...envelope, event: 'settlement.paid', settlement })).toEqual(['settlement.date']);
    expect(
      refusedAt(notificationClaims, { ...envelope, event: 'settlement.paid', settlement: { ...settlement, date: '2026-13-01' } }),
    ).toEqual(['settlement.date']);
    const refused = { ticket, serial: 'CMD-2026-000123', amount: 2199, currency: 'EUR', reason: 'no_reason' };
    expect(refusedAt(notificationClaims, { ...envelope, event: 'payment.refused', refusal: refused })).toEqual(['refusal.reason']);
  });
});
