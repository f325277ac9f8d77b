import { describe, expect, it } from 'vitest';
import { LIMITS } from '../limits.js';
import { expectAccepted, refusal, refusedAt, T0, validAuthenticationTicket, validTicket, without } from '../test-support.js';
import { customerHint, item, ticketClaims } from './ticket.js';

const REQUIRED = [
  'ver',
  'iss',
  'aud',
  'jti',
  'iat',
  'exp',
  'serial',
  'kind',
  'items',
  'amount',
  'vat',
  'currency',
  'returnUrl',
  'cancelUrl',
  'fulfilment',
  'state',
];
const OPTIONAL = ['customer', 'notifyUrl', 'requested'];

const items = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: `sku-${i}`, label: `Article ${i}`, quantity: 1, unitAmount: 100, vatRate: 0 }));

describe('ticketClaims', () => {
  it('accepts a realistic purchase and an authentication ticket', () => {
    expectAccepted(ticketClaims, validTicket());
    expectAccepted(ticketClaims, validAuthenticationTicket());
  });

  it('accepts either customer hint, or none', () => {
    expectAccepted(ticketClaims, { ...validTicket(), customer: { account: 'acct-7f3a9c' } });
    expectAccepted(ticketClaims, without(validTicket(), 'customer'));
  });

  it('refuses a ticket missing any required member, at that member', () => {
    for (const member of REQUIRED) expect(refusedAt(ticketClaims, without(validTicket(), member))).toContain(member);
  });

  it('accepts a ticket without each optional member', () => {
    for (const member of OPTIONAL) expectAccepted(ticketClaims, without(validTicket(), member));
  });

  it('refuses unknown members anywhere, since new claims come with a new version', () => {
    const top = refusal(ticketClaims, { ...validTicket(), discount: 100 });
    expect(top).toEqual([{ path: '', message: 'Unrecognized key: "discount"' }]);
    const ticket = validTicket();
    (ticket.items as Record<string, unknown>[])[0] = { ...(ticket.items as Record<string, unknown>[])[0], sku: 'x' };
    expect(refusedAt(ticketClaims, ticket)).toEqual(['items.0']);
    expect(refusedAt(ticketClaims, { ...validTicket(), customer: { account: 'a', email: 'a@b.example' } })).toEqual(['customer']);
  });

  it('refuses wrong types, at the offending field', () => {
    expect(refusedAt(ticketClaims, { ...validTicket(), amount: '2199' })).toEqual(['amount']);
    expect(refusedAt(ticketClaims, { ...validTicket(), iat: T0 + 0.5 })).toEqual(['iat']);
    expect(refusedAt(ticketClaims, { ...validTicket(), iat: String(T0) })).toEqual(['iat']);
    expect(refusedAt(ticketClaims, { ...validTicket(), items: {} })).toEqual(['items']);
    expect(refusedAt(ticketClaims, { ...validTicket(), kind: 'refund' })).toEqual(['kind']);
    expect(refusedAt(ticketClaims, { ...validTicket(), fulfilment: 'later' })).toEqual(['fulfilment']);
    expect(refusedAt(ticketClaims, { ...validTicket(), requested: ['phone'] })).toEqual(['requested.0']);
  });

  it('refuses any version but 1', () => {
    for (const ver of [0, 2, '1', 1.5, null]) expect(refusedAt(ticketClaims, { ...validTicket(), ver })).toEqual(['ver']);
  });

  it('refuses ids, serial, state and party beyond their limits', () => {
    expectAccepted(ticketClaims, { ...validTicket(), jti: 't'.repeat(LIMITS.idLength), iss: 'm'.repeat(LIMITS.idLength) });
    expect(refusedAt(ticketClaims, { ...validTicket(), jti: 't'.repeat(LIMITS.idLength + 1) })).toEqual(['jti']);
    expect(refusedAt(ticketClaims, { ...validTicket(), iss: 'https://librairie.example' })).toEqual(['iss']);
    expect(refusedAt(ticketClaims, { ...validTicket(), serial: 's'.repeat(LIMITS.serialLength + 1) })).toEqual(['serial']);
    expect(refusedAt(ticketClaims, { ...validTicket(), state: 'too-short' })).toEqual(['state']);
    expect(refusedAt(ticketClaims, { ...validTicket(), state: 's'.repeat(LIMITS.stateLength + 1) })).toEqual(['state']);
    expect(refusedAt(ticketClaims, { ...validTicket(), aud: 'a'.repeat(LIMITS.partyLength + 1) })).toEqual(['aud']);
  });

  it('refuses an order serial in the form of a payment id, which names a payment of the payment server', () => {
    for (const serial of ['pay_12', 'pay_1042', 'pay_0', 'pay_9223372036854775808']) {
      const issues = refusal(ticketClaims, { ...validTicket(), serial });
      expect(
        issues.map((issue) => issue.path),
        serial,
      ).toEqual(['serial']);
      expect(issues[0]?.message, serial).toContain('payment id');
    }
    // Only that form: a prefix alone, other letters or another case stay the merchant's to use.
    for (const serial of ['pay_', 'pay_12a', 'pay-12', 'PAY_12', 'Pay_12', 'repay_12', 'pay_12/1', '12', 'order-pay_12']) {
      expect(expectAccepted(ticketClaims, { ...validTicket(), serial }).serial).toBe(serial);
    }
  });

  it('accepts 100 items and refuses 101', () => {
    expectAccepted(ticketClaims, { ...validTicket(), items: items(LIMITS.items), amount: 100 * LIMITS.items, vat: 0 });
    expect(refusedAt(ticketClaims, { ...validTicket(), items: items(LIMITS.items + 1), amount: 100 * (LIMITS.items + 1), vat: 0 })).toEqual(
      ['items'],
    );
  });

  it('refuses duplicate item ids', () => {
    const twice = [...items(1), ...items(1)];
    expect(refusal(ticketClaims, { ...validTicket(), items: twice, amount: 200, vat: 0 })).toEqual([
      { path: 'items', message: 'item ids must be unique' },
    ]);
  });

  it('refuses amounts that are not whole minor units within the limit', () => {
    for (const amount of [-1, 21.99, LIMITS.amount + 1, 2 ** 53, Number.NaN]) {
      expect(refusedAt(ticketClaims, { ...validTicket(), amount })).toContain('amount');
    }
    expect(refusedAt(ticketClaims, { ...validTicket(), vat: -1 })).toEqual(['vat']);
  });

  it('refuses an unknown or lower-case currency', () => {
    for (const currency of ['XXX', 'eur', 'EURO', 'BTC'])
      expect(refusedAt(ticketClaims, { ...validTicket(), currency })).toEqual(['currency']);
  });

  it('refuses return, cancel and notification URLs that are not https (or loopback http) or carry credentials', () => {
    for (const member of ['returnUrl', 'cancelUrl', 'notifyUrl']) {
      for (const value of [
        'http://librairie.example/r',
        'https://user:pw@librairie.example/r',
        '/caisse/retour',
        'javascript:alert(1)',
        `https://librairie.example/${'a'.repeat(LIMITS.urlLength)}`,
      ]) {
        expect(refusedAt(ticketClaims, { ...validTicket(), [member]: value })).toEqual([member]);
      }
      expectAccepted(ticketClaims, { ...validTicket(), [member]: 'http://localhost:5173/caisse' });
    }
  });

  it('refuses exp at or before iat, and a validity over one day', () => {
    expect(refusal(ticketClaims, { ...validTicket(), exp: T0 })).toEqual([{ path: 'exp', message: 'must be after iat' }]);
    expect(refusedAt(ticketClaims, { ...validTicket(), exp: T0 - 60 })).toEqual(['exp']);
    expectAccepted(ticketClaims, { ...validTicket(), exp: T0 + LIMITS.ticketLifetime });
    expect(refusal(ticketClaims, { ...validTicket(), exp: T0 + LIMITS.ticketLifetime + 1 })).toEqual([
      { path: 'exp', message: 'must be at most 86400 s after iat' },
    ]);
  });

  it('refuses a purchase without items or with amount 0', () => {
    expect(refusedAt(ticketClaims, { ...validTicket(), items: [], amount: 0, vat: 0 })).toEqual(['items']);
    const free = [{ id: 'sample', label: 'Free sample', quantity: 1, unitAmount: 0, vatRate: 2000 }];
    expect(refusedAt(ticketClaims, { ...validTicket(), items: free, amount: 0, vat: 0 })).toEqual(['items']);
  });

  it('refuses an authentication ticket with items, an amount or deferred fulfilment', () => {
    expect(refusedAt(ticketClaims, { ...validAuthenticationTicket(), items: items(1), amount: 100 })).toEqual(['amount']);
    expect(refusedAt(ticketClaims, { ...validAuthenticationTicket(), amount: 100 })).toEqual(['amount']);
    expect(refusedAt(ticketClaims, { ...validAuthenticationTicket(), fulfilment: 'deferred' })).toEqual(['fulfilment']);
  });

  it('refuses requested data beyond the known kinds, or repeated', () => {
    expectAccepted(ticketClaims, { ...validTicket(), requested: ['shipping_address', 'email', 'name'] });
    expectAccepted(ticketClaims, { ...validTicket(), requested: [] });
    expect(refusedAt(ticketClaims, { ...validTicket(), requested: ['email', 'email'] })).toEqual(['requested']);
    expect(refusedAt(ticketClaims, { ...validTicket(), requested: Array(LIMITS.requested + 1).fill('email') })).toContain('requested');
  });
});

describe('item', () => {
  const line = { id: 'isbn-9782070360024', label: 'L’Étranger', quantity: 2, unitAmount: 850, vatRate: 550 };

  it('accepts quantities, amounts and VAT rates up to their limits', () => {
    expectAccepted(item, { ...line, quantity: LIMITS.quantity, unitAmount: LIMITS.amount, vatRate: LIMITS.vatRate });
    expectAccepted(item, { ...line, unitAmount: 0, vatRate: 0 });
  });

  it('refuses a VAT rate written in percent, saying it is in basis points', () => {
    for (const rate of [1, 20, 55, 99]) expect(refusedAt(item, { ...line, vatRate: rate })).toEqual(['vatRate']);
    const result = item.safeParse({ ...line, vatRate: 20 });
    expect(result.error?.issues[0]?.message).toBe(
      'must be in basis points: 2000 for 20 %, 550 for 5.5 % (20 would mean 0.2 %); 0 for no VAT',
    );
    expectAccepted(item, { ...line, vatRate: 100 });
  });

  it('refuses each field out of range or of the wrong type, at its path', () => {
    const cases: [string, unknown][] = [
      ['quantity', 0],
      ['quantity', LIMITS.quantity + 1],
      ['quantity', 1.5],
      ['unitAmount', -1],
      ['unitAmount', 8.5],
      ['unitAmount', LIMITS.amount + 1],
      ['vatRate', -1],
      ['vatRate', LIMITS.vatRate + 1],
      ['vatRate', 5.5],
      ['label', ''],
      ['label', 'x'.repeat(LIMITS.labelLength + 1)],
      ['label', 'line\nbreak'],
      ['id', 'has space'],
    ];
    for (const [field, value] of cases) expect(refusedAt(item, { ...line, [field]: value })).toEqual([field]);
  });

  it('refuses a missing or extra field', () => {
    expect(refusedAt(item, without(line, 'vatRate'))).toEqual(['vatRate']);
    expect(refusedAt(item, { ...line, vat: 44 })).toEqual(['']);
  });
});

describe('customerHint', () => {
  it('is an account id or an E.164 phone number, not both', () => {
    expectAccepted(customerHint, { account: 'acct-7f3a9c' });
    expectAccepted(customerHint, { phone: '+33612345678' });
    expect(refusedAt(customerHint, { account: 'acct-7f3a9c', phone: '+33612345678' })).toEqual(['']);
    expect(refusedAt(customerHint, { phone: '06 12 34 56 78' })).toEqual(['phone']);
    expect(refusedAt(customerHint, {})).toEqual(['']);
  });
});

describe('allowance tickets and charges under them', () => {
  /** A grant of up to 2.00 EUR for an hour: no items, the maximum as amount. */
  const grant = () => ({
    ...without(without(validTicket(), 'customer'), 'requested'),
    kind: 'allowance',
    items: [],
    amount: 200,
    vat: 0,
    fulfilment: 'immediate',
    allowance: { expiresAt: T0 + 3600 },
  });
  /** A purchase charged under an allowance. */
  const charge = () => ({
    ...without(without(validTicket(), 'customer'), 'requested'),
    fulfilment: 'immediate',
    allowanceId: 'al_AAAAAAAAAAAAAAAAAAAAAA',
  });

  it('accepts a grant, recurring and capped or not, and a charge', () => {
    expectAccepted(ticketClaims, grant());
    expectAccepted(ticketClaims, { ...grant(), allowance: { expiresAt: T0 + 30 * 86_400, period: 'week', chargeCap: 50 } });
    expectAccepted(ticketClaims, charge());
  });

  it('a grant has its terms, a maximum, no items, nothing to deliver, and ends within a year', () => {
    expect(refusedAt(ticketClaims, without(grant(), 'allowance'))).toEqual(['allowance']);
    expect(refusedAt(ticketClaims, { ...grant(), amount: 0 })).toEqual(['amount']);
    expect(refusedAt(ticketClaims, { ...grant(), items: items(1) })).toEqual(['amount']);
    expect(refusedAt(ticketClaims, { ...grant(), fulfilment: 'deferred' })).toEqual(['fulfilment']);
    expect(refusedAt(ticketClaims, { ...grant(), allowance: { expiresAt: T0 } })).toEqual(['allowance']);
    expect(refusedAt(ticketClaims, { ...grant(), allowance: { expiresAt: T0 + LIMITS.allowanceLifetime + 1 } })).toEqual(['allowance']);
    expect(refusedAt(ticketClaims, { ...grant(), allowance: { expiresAt: T0 + 60, chargeCap: 201 } })).toEqual(['allowance']);
    expect(refusedAt(ticketClaims, { ...grant(), allowance: { expiresAt: T0 + 60, period: 'year' } })).toEqual(['allowance.period']);
    expect(refusedAt(ticketClaims, { ...validTicket(), allowance: { expiresAt: T0 + 60 } })).toEqual(['allowance']);
  });

  it('a charge is a purchase paid at once that asks the customer nothing', () => {
    expect(refusedAt(ticketClaims, { ...grant(), allowanceId: 'al_AAAAAAAAAAAAAAAAAAAAAA' })).toEqual(['allowanceId']);
    expect(refusedAt(ticketClaims, { ...charge(), fulfilment: 'deferred' })).toEqual(['fulfilment']);
    expect(refusedAt(ticketClaims, { ...charge(), customer: { account: 'alice' } })).toEqual(['customer']);
    expect(refusedAt(ticketClaims, { ...charge(), requested: ['email'] })).toEqual(['requested']);
  });
});
