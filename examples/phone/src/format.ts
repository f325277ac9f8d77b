import { formatMoney } from '@caisse/protocol/money';
import type { Account } from '@caisse/sdk';

/** "€12.90": the amount as the customer reads it. */
export function amountText(amount: number, currency: string): string {
  return formatMoney({ amount, currency }, navigator.language);
}

/** "4:05" left before a request expires. */
export function timeLeft(expiresAt: number, now: number): string {
  const seconds = Math.max(0, Math.floor(expiresAt - now / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** The server's host, to tell accounts on two servers apart. */
export function hostOf(server: string): string {
  return new URL(server).host;
}

/** The customer an account is for, as the server named them. */
export function nameOf(account: Account): string {
  return account.displayName ?? account.account;
}
