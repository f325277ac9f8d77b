import {
  type Acquirer,
  AcquirerError,
  type AcquirerResult,
  type Approved,
  type Declined,
  IDEMPOTENCY_KEY,
  isDeclineReason,
  type LookupResult,
  type OperationKind,
  type Pending,
  type PendingCause,
} from '@caisse/acquirer';
import type { z } from 'zod';
import { amountBody, authoriseBody, type BankOperation, bankOperation, payoutBody, problem, statement } from './wire.js';

export interface SandboxAcquirerOptions {
  /** The sandbox bank's base URL, e.g. `http://127.0.0.1:4010`. */
  readonly url: string;
  /**
   * How long to wait for the bank's answer, per request, in milliseconds. Default 10 s.
   * Past it the result is `pending`: the bank may still have acted.
   */
  readonly timeoutMs?: number;
  /** A `fetch` of your choice (default the global one). */
  readonly fetch?: typeof fetch;
}

/** The adapter, plus the sandbox bank's statement (a sandbox-only endpoint, for tests and reconciliation). */
export interface SandboxAcquirer extends Acquirer {
  /** The bank's record of operations, optionally those of one account. Throws if the bank does not answer. */
  statement(account?: string): Promise<BankOperation[]>;
}

function pending(cause: PendingCause, detail: string): Pending {
  return { status: 'pending', cause, detail };
}

/** A transport failure (no answer) rather than an answer; compared by `name` so an abort from another realm counts too. */
function transportFailure(error: unknown): Pending {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return pending('timeout', 'The bank did not answer in time; it may have acted.');
  const message = error instanceof Error ? error.message : String(error);
  return pending('unreachable', `The bank could not be reached: ${message.slice(0, 200)}`);
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

function toResult(operation: BankOperation): Approved | Declined | Pending {
  if (operation.status === 'approved') {
    if (operation.currency === null) return pending('response_invalid', 'The bank approved an operation without a currency.');
    return {
      status: 'approved',
      kind: operation.kind,
      bankReference: operation.reference,
      amount: operation.amount,
      currency: operation.currency,
    };
  }
  return {
    status: 'declined',
    kind: operation.kind,
    // A reason this adapter does not know is still a refusal: the generic one.
    reason: isDeclineReason(operation.declineReason) ? operation.declineReason : 'do_not_honour',
    refusal: 'bank_declined',
    bankReference: operation.reference,
    amount: operation.amount,
  };
}

function checked<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new AcquirerError('invalid_request', `Invalid bank request: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
}

function checkedKey(key: unknown): string {
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw new AcquirerError('invalid_request', 'The idempotency key must be 1–255 visible ASCII characters.');
  }
  return key;
}

/**
 * The acquirer adapter for the sandbox bank (`app.ts`), over HTTP with `fetch`:
 * one request per call, never retried here (a retry is the caller's decision and uses
 * the same key), `Idempotency-Key` on every POST, a timeout on every request.
 *
 * What each answer means:
 * - 200 with an operation → `approved` or `declined`;
 * - 400 or 413 → `declined` (`request_rejected`): the bank refused before acting;
 * - 422 → throws `bank_idempotency_conflict`: the bank holds another request under this key;
 * - a timeout, a refused connection, 5xx, 408, 429 or anything unexpected → `pending`,
 *   because the bank may have acted: only a lookup by key can tell.
 * @example
 * const acquirer = createSandboxAcquirer({ url: 'http://127.0.0.1:4010', timeoutMs: 5_000 });
 * const result = await acquirer.lookup('acq:authorise:shop-1:T-42');
 */
export function createSandboxAcquirer(options: SandboxAcquirerOptions): SandboxAcquirer {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0)
    throw new AcquirerError('invalid_request', 'The timeout must be a positive whole number of milliseconds.');
  const base = options.url.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  /** One request, never retried, with a deadline for the whole exchange (a timed-out one rejects with a `TimeoutError`). */
  function send(path: string, init: { body?: object; headers?: Record<string, string>; query?: Record<string, string> } = {}) {
    const url = `${base}/${path}${init.query ? `?${new URLSearchParams(init.query)}` : ''}`;
    return fetchImpl(url, {
      method: init.body === undefined ? 'GET' : 'POST',
      headers: { accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  async function interpret(response: Response, key: string, kind: OperationKind, amount: number): Promise<AcquirerResult> {
    const body = await readJson(response);
    if (response.status === 200) {
      const parsed = bankOperation.safeParse(body);
      if (!parsed.success) return pending('response_invalid', 'The bank answered 200 with a body that is not an operation.');
      if (parsed.data.idempotencyKey !== key || parsed.data.kind !== kind) {
        return pending('response_invalid', 'The bank answered with an operation for another key or kind.');
      }
      return toResult(parsed.data);
    }
    if (response.status === 400 || response.status === 413) {
      return { status: 'declined', kind, reason: 'request_rejected', refusal: 'bank_declined', bankReference: null, amount };
    }
    if (response.status === 422) {
      throw new AcquirerError('bank_idempotency_conflict', undefined, { details: { idempotencyKey: key } });
    }
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      return pending('bank_error', `The bank answered ${response.status}.`);
    }
    return pending('response_invalid', `The bank answered an unexpected ${response.status}.`);
  }

  async function post(path: string, key: string, body: object, kind: OperationKind, amount: number): Promise<AcquirerResult> {
    let response: Response;
    try {
      response = await send(path, { body, headers: { 'idempotency-key': key } });
    } catch (error) {
      return transportFailure(error);
    }
    return interpret(response, key, kind, amount);
  }

  /** A capture, refund or void: an amount against an authorisation, each at its own path. */
  function onAuthorisation(
    kind: 'capture' | 'refund' | 'void',
    what: 'captures' | 'refunds' | 'voids',
  ): (request: { idempotencyKey: string; authorisationId: string; amount: number }) => Promise<AcquirerResult> {
    return async (request) => {
      const key = checkedKey(request.idempotencyKey);
      const body = checked(amountBody, { amount: request.amount });
      return post(`v1/authorisations/${encodeURIComponent(request.authorisationId)}/${what}`, key, body, kind, body.amount);
    };
  }

  return {
    async authorise(request) {
      const key = checkedKey(request.idempotencyKey);
      const body = checked(authoriseBody, {
        customerBankRef: request.customerBankRef,
        amount: request.amount,
        currency: request.currency,
        merchantId: request.merchantId,
        description: request.description,
      });
      return post('v1/authorisations', key, body, 'authorise', body.amount);
    },
    capture: onAuthorisation('capture', 'captures'),
    refund: onAuthorisation('refund', 'refunds'),
    void: onAuthorisation('void', 'voids'),
    async payout(request) {
      const key = checkedKey(request.idempotencyKey);
      const body = checked(payoutBody, {
        merchantId: request.merchantId,
        accountRef: request.accountRef,
        amount: request.amount,
        currency: request.currency,
      });
      return post('v1/payouts', key, body, 'payout', body.amount);
    },
    async lookup(idempotencyKey): Promise<LookupResult> {
      const key = checkedKey(idempotencyKey);
      let response: Response;
      try {
        response = await send('v1/operations', { query: { idempotencyKey: key } });
      } catch (error) {
        return transportFailure(error);
      }
      const body = await readJson(response);
      if (response.status === 200) {
        const parsed = bankOperation.safeParse(body);
        if (!parsed.success || parsed.data.idempotencyKey !== key)
          return pending('response_invalid', 'The bank answered a lookup with something that is not this operation.');
        return toResult(parsed.data);
      }
      // Only the bank's own "no such operation" means unknown; a 404 from a wrong URL or a proxy must not.
      if (response.status === 404 && problem.safeParse(body).data?.code === 'operation_unknown') return { status: 'unknown' };
      if (response.status >= 500 || response.status === 408 || response.status === 429)
        return pending('bank_error', `The bank answered ${response.status}.`);
      return pending('response_invalid', `The bank answered a lookup with an unexpected ${response.status}.`);
    },
    async statement(account) {
      const response = await send('v1/statement', account === undefined ? {} : { query: { account } });
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`The sandbox bank answered its statement with HTTP ${response.status}.`);
      }
      return statement.parse(await response.json()).operations;
    },
  };
}
