import { describe, expect, it } from 'vitest';
import { expectAccepted, refusedAt, STATE, T0, validTicket } from '../test-support.js';
import { quoteAnswer, quoteRequestClaims } from './quote.js';
import { ticketClaims } from './ticket.js';

const request = {
  ver: 1,
  iss: 'https://pay.example',
  aud: 'newsstand',
  jti: 'q_4f1c2a',
  iat: T0,
  exp: T0 + 60,
  item: 'tides',
  quantity: 1,
  state: STATE,
  locale: 'fr',
};

describe('quoteRequestClaims', () => {
  it('accepts a request for an item, with or without a browser binding', () => {
    expectAccepted(quoteRequestClaims, request);
    const { state: _state, locale: _locale, ...bare } = request;
    expectAccepted(quoteRequestClaims, bare);
  });

  it('refuses a request living past a minute, a quantity of 0, an item that is not an id, and any other member', () => {
    expect(refusedAt(quoteRequestClaims, { ...request, exp: T0 + 61 })).toEqual(['exp']);
    expect(refusedAt(quoteRequestClaims, { ...request, quantity: 0 })).toEqual(['quantity']);
    expect(refusedAt(quoteRequestClaims, { ...request, item: 'a b' })).toEqual(['item']);
    expect(refusedAt(quoteRequestClaims, { ...request, price: 1 })).toEqual(['']);
  });
});

describe('quoteAnswer', () => {
  it('is a ticket, or not available with the merchant’s words', () => {
    expectAccepted(quoteAnswer, { available: true, ticket: 'a.b.c' });
    expectAccepted(quoteAnswer, { available: false, message: 'Sold out until Monday.' });
    expect(refusedAt(quoteAnswer, { available: true })).toEqual(['ticket']);
    expect(refusedAt(quoteAnswer, { available: false, ticket: 'a.b.c' })).toEqual(['']);
  });
});

describe('a ticket made as a quote, or delivering a digital good', () => {
  it('accepts them on a purchase delivered at once', () => {
    expectAccepted(ticketClaims, { ...validTicket(), quote: { request: 'q_4f1c2a', item: 'tides', quantity: 1, stock: 7 } });
    expectAccepted(ticketClaims, { ...validTicket(), fulfilment: 'immediate', delivery: { content: 'tides' } });
  });

  it('refuses a digital good that would wait for a delivery, or on a charge under an allowance', () => {
    expect(refusedAt(ticketClaims, { ...validTicket(), fulfilment: 'deferred', delivery: { content: 'tides' } })).toEqual(['delivery']);
    expect(
      refusedAt(ticketClaims, { ...validTicket(), fulfilment: 'immediate', allowanceId: 'al_1', delivery: { content: 'tides' } }),
    ).toContain('delivery');
  });
});
