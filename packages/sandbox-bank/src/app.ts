import { setTimeout as delay } from 'node:timers/promises';
import { isCurrencyCode } from '@caisse/protocol';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { z } from 'zod';
import { type BankRequest, type BookOptions, createBook } from './book.js';
import { amountBody, authoriseBody, type BankOperation, IDEMPOTENCY_KEY, payoutBody } from './wire.js';

/**
 * The sandbox bank as a Hono app: the HTTP face of {@link createBook}. A fake acquirer for
 * demos and tests, a package of its own so that the payment server ships without it; see
 * `wire.ts` for the API and `identities.ts` for the accounts that approve, decline and
 * time out.
 */

export interface SandboxBankOptions extends BookOptions {
  /**
   * The ISO 4217 codes the bank processes, e.g. `['EUR']`; left out, every one. An
   * authorisation or payout in another currency gets 400 `currency_unsupported` and is not
   * recorded, as a bank refuses before acting: lets a test route by currency.
   */
  readonly currencies?: readonly string[];
}

export interface SandboxBank {
  readonly app: Hono;
  /** The same list `GET /v1/statement` answers, without going through HTTP. */
  statement(account?: string): BankOperation[];
  /** Cuts every delayed answer short (the client gets a 503), so the server can close at once. */
  abort(): void;
}

export const BANK_PROBLEMS = {
  request_invalid: 400,
  idempotency_key_missing: 400,
  currency_unsupported: 400,
  idempotency_conflict: 422,
  operation_unknown: 404,
  not_found: 404,
  body_too_large: 413,
  bank_closing: 503,
  internal_error: 500,
} as const;

type BankProblem = keyof typeof BANK_PROBLEMS;

function problem(c: Context, code: BankProblem, detail: string, issues?: readonly { path: string; message: string }[]): Response {
  const status = BANK_PROBLEMS[code];
  const body = { type: `urn:caisse:sandbox-bank:${code}`, title: code, status, code, detail, ...(issues ? { issues } : {}) };
  return c.body(JSON.stringify(body), status, { 'content-type': 'application/problem+json' });
}

/** Idempotency-Key and body checked, in the order a client can fix them. */
type Parsed<T> = { ok: true; key: string; body: T } | { ok: false; response: Response };

async function parse<S extends z.ZodType>(c: Context, schema: S): Promise<Parsed<z.infer<S>>> {
  const key = c.req.header('idempotency-key');
  if (key === undefined || key === '') {
    return { ok: false, response: problem(c, 'idempotency_key_missing', 'Every POST needs an Idempotency-Key header.') };
  }
  if (!IDEMPOTENCY_KEY.test(key)) {
    return { ok: false, response: problem(c, 'request_invalid', 'The Idempotency-Key must be 1–255 visible ASCII characters.') };
  }
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    return { ok: false, response: problem(c, 'request_invalid', 'The body must be JSON.') };
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 20).map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
    return {
      ok: false,
      response: problem(c, 'request_invalid', `Invalid request: ${issues[0]?.path ?? ''} ${issues[0]?.message ?? ''}`.trim(), issues),
    };
  }
  return { ok: true, key, body: result.data };
}

/**
 * @example
 * const bank = createSandboxBank({ timeoutDelayMs: 400 });
 * const response = await bank.app.request('/v1/statement');
 */
export function createSandboxBank(options: SandboxBankOptions = {}): SandboxBank {
  const { currencies, ...bookOptions } = options;
  const book = createBook(bookOptions);
  for (const code of currencies ?? []) {
    // A typo here would refuse every request in silence.
    if (!isCurrencyCode(code)) throw new RangeError(`currencies: ${code} is not an active ISO 4217 code such as EUR.`);
  }
  const processed = currencies === undefined ? undefined : new Set(currencies);
  const closing = new AbortController();
  const app = new Hono();

  app.use('/v1/*', bodyLimit({ maxSize: 16 * 1024, onError: (c) => problem(c, 'body_too_large', 'The body is over 16 KiB.') }));

  const execute = async <S extends z.ZodType>(c: Context, schema: S, request: (body: z.infer<S>) => BankRequest): Promise<Response> => {
    const parsed = await parse(c, schema);
    if (!parsed.ok) return parsed.response;
    const bankRequest = request(parsed.body);
    // Captures, refunds and voids are in the authorisation's currency, which was accepted.
    if (processed !== undefined && (bankRequest.kind === 'authorise' || bankRequest.kind === 'payout')) {
      const { currency } = bankRequest.body;
      if (!processed.has(currency)) return problem(c, 'currency_unsupported', `This bank does not process ${currency}.`);
    }
    const answer = book.execute(parsed.key, bankRequest);
    if (answer.result === 'conflict') {
      return problem(c, 'idempotency_conflict', 'This Idempotency-Key was used with another request.');
    }
    // The operation is decided and recorded already; only the answer is late. This is the
    // case that double-charges a client that retries under a new key.
    if (answer.delayMs > 0) {
      try {
        await delay(answer.delayMs, undefined, { signal: closing.signal });
      } catch {
        return problem(c, 'bank_closing', 'The sandbox bank is shutting down; look the operation up by its key.');
      }
    }
    return c.json(answer.operation, 200);
  };

  app.post('/v1/authorisations', (c) => execute(c, authoriseBody, (body) => ({ kind: 'authorise', body })));
  app.post('/v1/authorisations/:id/captures', (c) =>
    execute(c, amountBody, (body) => ({ kind: 'capture', authorisationId: c.req.param('id'), body })),
  );
  app.post('/v1/authorisations/:id/refunds', (c) =>
    execute(c, amountBody, (body) => ({ kind: 'refund', authorisationId: c.req.param('id'), body })),
  );
  app.post('/v1/authorisations/:id/voids', (c) =>
    execute(c, amountBody, (body) => ({ kind: 'void', authorisationId: c.req.param('id'), body })),
  );
  app.post('/v1/payouts', (c) => execute(c, payoutBody, (body) => ({ kind: 'payout', body })));

  // By query string, not path: keys may hold `/`, which proxies treat unevenly once encoded.
  app.get('/v1/operations', (c) => {
    const key = c.req.query('idempotencyKey');
    if (key === undefined || !IDEMPOTENCY_KEY.test(key)) {
      return problem(c, 'request_invalid', 'Give the idempotencyKey to look up (1–255 visible ASCII characters).');
    }
    const operation = book.lookup(key);
    return operation === undefined ? problem(c, 'operation_unknown', 'The bank has no operation under this key.') : c.json(operation, 200);
  });

  app.get('/v1/statement', (c) => c.json({ operations: book.statement(c.req.query('account')) }, 200));

  app.notFound((c) => problem(c, 'not_found', 'There is nothing at this address.'));
  app.onError((_error, c) => problem(c, 'internal_error', 'The sandbox bank failed; the operation may or may not be recorded.'));

  return { app, statement: (account) => book.statement(account), abort: () => closing.abort() };
}
