import { isMoney } from './money.js';
import type { CheckoutResult, VoucherSummary } from './types.js';

/** What the merchant backend said about a voucher or refusal token. */
export type Verdict = Extract<CheckoutResult, { status: 'paid' | 'refused' | 'error' }>;

/** A stable Caisse code (`token_replayed`, `bank_declined`, …): lower-case words and underscores. */
export const isCode = (value: unknown): value is string => typeof value === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(value);

/**
 * Posts a voucher or refusal token to the merchant's own backend, which verifies it (the
 * server-kit return handler: `POST { token }` answers `{ status: 'paid', voucher }`,
 * `{ status: 'refused', reason }`, or `application/problem+json` with a `code`). Never
 * throws: every failure is an `error` verdict, retryable when the network, a 5xx, a 408
 * or a 429 is to blame.
 * @example const verdict = await verifyToken('https://shop.example/caisse/return', token)
 */
export async function verifyToken(verifyUrl: string, token: string): Promise<Verdict> {
  let response: Response;
  try {
    response = await fetch(verifyUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
      // Credentials: fetch's default, `same-origin`, sends the merchant's cookies to its own origin only.
      cache: 'no-store',
      // The token is the payment's proof: it must not leak through Referer either.
      referrerPolicy: 'no-referrer',
    });
  } catch {
    return { status: 'error', code: 'network_error', retryable: true };
  }
  const body = await response.json().catch(() => null);
  const { status, voucher, reason, code } = body ?? {};
  const redirectTo = typeof body?.redirectTo === 'string' ? body.redirectTo : undefined;
  const { serial, amount, currency } = (voucher ?? {}) as Partial<VoucherSummary>;
  if (!response.ok) {
    const retryable = response.status > 499 || response.status === 408 || response.status === 429;
    return { status: 'error', code: isCode(code) ? code : 'server_error', retryable };
  }
  if (status === 'refused' && isCode(reason)) return { status, reason, redirectTo };
  if (status === 'paid' && typeof serial === 'string' && isMoney(amount, currency)) {
    return { status, voucher, redirectTo };
  }
  return { status: 'error', code: 'response_invalid', retryable: false };
}
