import { describe, expect, it } from 'vitest';
import { CaisseError } from './errors.js';
import { ticketClaims } from './messages/ticket.js';
import { voucherClaims } from './messages/voucher.js';
import { parseMessage, parseTicketClaims } from './parse.js';
import { caught, validTicket, validVoucher } from './test-support.js';

describe('parseMessage', () => {
  it('returns the value typed when it matches the schema', () => {
    const voucher = parseMessage(voucherClaims, validVoucher());
    expect(voucher.amount).toBe(2199);
    expect(voucher).toEqual(validVoucher());
  });

  it('throws message_invalid by default, with the first problem in the message and every field in issues', () => {
    const error = caught(() => parseMessage(voucherClaims, { ...validVoucher(), amount: 12.5, currency: 'eur' }));
    expect(error.code).toBe('message_invalid');
    expect(error.message).toMatch(/^Invalid message: amount: /);
    expect(error.issues.map((issue) => issue.path)).toEqual(['amount', 'currency']);
  });

  it('throws the code the caller asks for, such as claims_invalid for a token payload', () => {
    const error = caught(() => parseMessage(voucherClaims, { ...validVoucher(), sub: '' }, 'claims_invalid'));
    expect(error.code).toBe('claims_invalid');
    expect(error.message).toMatch(/^Invalid claims: sub: /);
  });

  it('gives an empty path for a problem with the whole message, such as an extra member', () => {
    const error = caught(() => parseMessage(voucherClaims, { ...validVoucher(), admin: true }));
    expect(error.issues).toEqual([{ path: '', message: 'Unrecognized key: "admin"' }]);
    expect(error.message).toBe('Invalid message: Unrecognized key: "admin".');
  });

  it('refuses a value that is not an object at all', () => {
    for (const value of [null, undefined, 'eyJ…', 42, []]) {
      const error = caught(() => parseMessage(voucherClaims, value));
      expect(error.code).toBe('message_invalid');
      expect(error.issues[0]?.path).toBe('');
    }
  });

  it('reports at most 20 issues, so a hostile message cannot make the error unbounded', () => {
    const ticket = validTicket();
    ticket.items = Array.from({ length: 50 }, (_, i) => ({ id: `i${i}`, label: '', quantity: 0, unitAmount: 1, vatRate: 0 }));
    const error = caught(() => parseMessage(ticketClaims, ticket));
    expect(error).toBeInstanceOf(CaisseError);
    expect(error.issues).toHaveLength(20);
  });
});

describe('parseTicketClaims', () => {
  it('returns ticket claims whose amounts add up', () => {
    expect(parseTicketClaims(validTicket())).toEqual(validTicket());
  });

  it('throws claims_invalid by default for a schema problem, before looking at the sums', () => {
    const error = caught(() => parseTicketClaims({ ...validTicket(), amount: 1, iss: 'bad id' }));
    expect(error.code).toBe('claims_invalid');
    expect(error.issues.map((issue) => issue.path)).toEqual(['iss']);
  });

  it('throws amount_mismatch when amount is not the sum of the items', () => {
    const error = caught(() => parseTicketClaims({ ...validTicket(), amount: 2198 }));
    expect(error.code).toBe('amount_mismatch');
    expect(error.message).toBe('amount is 2198 but the items add up to 2199.');
  });

  it('throws vat_mismatch when vat is not the sum of the line VATs', () => {
    const error = caught(() => parseTicketClaims({ ...validTicket(), vat: 173 }));
    expect(error.code).toBe('vat_mismatch');
    expect(error.message).toBe("vat is 173 but the items' VAT adds up to 172.");
  });

  it('throws vat_mismatch for an authentication ticket that claims VAT', () => {
    const ticket = { ...validTicket(), kind: 'authentication', items: [], amount: 0, vat: 5, fulfilment: 'immediate' };
    expect(caught(() => parseTicketClaims(ticket)).code).toBe('vat_mismatch');
  });

  it('throws amount_invalid when the items add up to more than the largest amount', () => {
    const items = [
      { id: 'a', label: 'Yacht', quantity: 1, unitAmount: 1_000_000_000_000, vatRate: 0 },
      { id: 'b', label: 'Tip', quantity: 1, unitAmount: 1, vatRate: 0 },
    ];
    expect(caught(() => parseTicketClaims({ ...validTicket(), items, amount: 1_000_000_000_000, vat: 0 })).code).toBe('amount_invalid');
  });

  it('lets the caller choose the schema error code', () => {
    expect(caught(() => parseTicketClaims({ ...validTicket(), ver: 2 }, 'message_invalid')).code).toBe('message_invalid');
  });
});
