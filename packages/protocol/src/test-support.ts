/**
 * Fixtures and assertions shared by the protocol tests. Not exported from the package:
 * the fixtures are realistic messages that every schema test starts from and then breaks
 * one field at a time.
 */
import { expect } from 'vitest';
import type { z } from 'zod';
import { CaisseError, type Issue } from './errors.js';
import { parseMessage } from './parse.js';

/** 2026-01-01T00:00:00Z. */
export const T0 = 1_767_225_600;

/** ticketHash of the signed ticket in the README worked example (example.test.ts signs it). */
export const TICKET_SHA256 = '9ywQc21IB9cvJqxOF4BCiNGfqTbFaLs7uts95cAF7Os';
/** itemsDigest of {@link ticketItems}. */
export const ITEMS_SHA256 = 'qdt73w_6gVlaDCbcmznQsbAozmPF0F1PHssE6kMX-nY';
export const STATE = 'k3J9xQ2mZp7RvT1wYb4NcA';
export const CHALLENGE = 'Vd3Gq7Jm0Zl9sX2cR8tY1uB4nK6pW5eA3hF7gD0iQ2o';

export function ticketItems() {
  return [
    { id: 'isbn-9782070360024', label: 'L’Étranger — Albert Camus', quantity: 2, unitAmount: 850, vatRate: 550 },
    { id: 'ship-colissimo', label: 'Livraison Colissimo', quantity: 1, unitAmount: 499, vatRate: 2000 },
  ];
}

/** A deferred-delivery purchase of two books plus shipping: 21.99 EUR of which 1.72 VAT. */
export function validTicket(): Record<string, unknown> {
  return {
    ver: 1,
    iss: 'librairie-du-port',
    aud: 'https://pay.caisse.example',
    jti: 'tkt_01J9Z3K7Q8',
    iat: T0,
    exp: T0 + 900,
    serial: 'CMD-2026-000123',
    kind: 'purchase',
    items: ticketItems(),
    amount: 2199,
    vat: 172,
    currency: 'EUR',
    customer: { phone: '+33612345678' },
    returnUrl: 'https://librairie.example/caisse/retour',
    cancelUrl: 'https://librairie.example/caisse/annulation',
    notifyUrl: 'https://librairie.example/caisse/notifications',
    fulfilment: 'deferred',
    requested: ['shipping_address', 'email'],
    state: STATE,
  };
}

/** An authentication-only ticket: no items, no money. */
export function validAuthenticationTicket(): Record<string, unknown> {
  return {
    ver: 1,
    iss: 'librairie-du-port',
    aud: 'https://pay.caisse.example',
    jti: 'auth_01J9Z3K7R2',
    iat: T0,
    exp: T0 + 300,
    serial: 'LOGIN-88412',
    kind: 'authentication',
    items: [],
    amount: 0,
    vat: 0,
    currency: 'EUR',
    returnUrl: 'https://librairie.example/compte/retour',
    cancelUrl: 'https://librairie.example/compte/annulation',
    fulfilment: 'immediate',
    requested: ['email', 'name'],
    state: STATE,
  };
}

/** The voucher answering {@link validTicket}: paid from the wallet, held until delivery. */
export function validVoucher(): Record<string, unknown> {
  return {
    ver: 1,
    iss: 'https://pay.caisse.example',
    aud: 'librairie-du-port',
    jti: 'pay_42',
    iat: T0 + 120,
    exp: T0 + 180,
    ticket: { jti: 'tkt_01J9Z3K7Q8', sha256: TICKET_SHA256 },
    serial: 'CMD-2026-000123',
    amount: 2199,
    currency: 'EUR',
    items: ITEMS_SHA256,
    funding: 'wallet',
    status: 'held',
    sub: 'c8f2a1d0e9b7',
    confirmation: { method: 'device', at: T0 + 110 },
    shared: {
      shippingAddress: { name: 'Camille Martin', line1: '12 rue des Lilas', postalCode: '75011', city: 'Paris', country: 'FR' },
      email: 'camille.martin@example.fr',
    },
    state: STATE,
  };
}

/** Asserts the schema accepts the value unchanged and returns the parsed copy. */
export function expectAccepted<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = parseMessage(schema, value);
  expect(parsed).toEqual(value);
  return parsed;
}

/** Asserts the schema refuses the value with `message_invalid` and returns the issues. */
export function refusal(schema: z.ZodType, value: unknown): readonly Issue[] {
  try {
    parseMessage(schema, value);
  } catch (error) {
    expect(error).toBeInstanceOf(CaisseError);
    expect((error as CaisseError).code).toBe('message_invalid');
    return (error as CaisseError).issues;
  }
  throw new Error('The schema accepted a value it should refuse.');
}

/** The sorted, distinct issue paths of a refused value. */
export function refusedAt(schema: z.ZodType, value: unknown): string[] {
  return [...new Set(refusal(schema, value).map((issue) => issue.path))].sort();
}

/** Calls `fn` and returns the CaisseError it throws, failing if it throws anything else or nothing. */
export function caught(fn: () => unknown): CaisseError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CaisseError);
    return error as CaisseError;
  }
  throw new Error('Expected a CaisseError, but nothing was thrown.');
}

/** A copy of `value` without `member`. */
export function without(value: Record<string, unknown>, member: string): Record<string, unknown> {
  const copy = { ...value };
  delete copy[member];
  return copy;
}
