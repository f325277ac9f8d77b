import { base64urlDecode } from '@caisse/protocol/base64url';
import { formatMoney } from './money.js';

/** One line of the ticket, as the button shows it. */
export interface TicketItem {
  label: string;
  quantity: number;
  unitAmount: number;
}

/**
 * What the button shows of a ticket. Read without checking the signature: it is for
 * display only, and the payment server verifies the ticket before anything happens.
 */
export interface TicketSummary {
  kind: 'purchase' | 'authentication' | 'allowance';
  serial: string;
  amount: number;
  currency: string;
  items: TicketItem[];
  /** Expiry, in seconds since the epoch (the ticket's `exp`). */
  exp: number;
}

const text = (value: unknown) => typeof value === 'string' && value !== '';
const count = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;

/**
 * Reads the payload of a compact JWS ticket; `undefined` when it is not one the button
 * can show (not three parts, not JSON, a field missing or of the wrong type, an unknown
 * currency).
 * @example readTicket(ticket.token)?.amount // 1290
 */
export function readTicket(token: string): TicketSummary | undefined {
  try {
    const [, payload = '', ...rest] = token.split('.');
    const bytes = rest.length === 1 && base64urlDecode(payload);
    const claims: TicketSummary = bytes && JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    const { kind, serial, amount, currency, exp } = claims;
    const items = claims.items.map(({ label, quantity, unitAmount }) => ({ label, quantity, unitAmount }));
    formatMoney(amount, currency);
    const valid =
      (kind === 'purchase' || kind === 'authentication' || kind === 'allowance') &&
      text(serial) &&
      count(exp) &&
      items.every((item) => text(item.label) && count(item.quantity) && count(item.unitAmount));
    return valid ? { kind, serial, amount, currency, items, exp } : undefined;
  } catch {
    // Not base64url, not UTF-8, not JSON, no items array, or an amount or currency formatMoney refuses.
    return undefined;
  }
}
