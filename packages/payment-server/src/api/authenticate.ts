import type { MiddlewareHandler } from 'hono';
import { ProblemError, problemResponse } from '../http/problem.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../storage/database.js';
import { ASSERTION_SCHEME, type AssertionDeps, assertionFromHeader, verifyAssertion } from './assertion.js';
import type { ApiEnv } from './context.js';
import { singleUse } from './single-use.js';

export interface MerchantAssertionOptions extends AssertionDeps {
  /** Where used `jti`s are recorded (`api_assertions`). */
  db: Queryable;
  log?: Logger;
  /** Milliseconds between two purges of expired `jti`s by this instance. Default 60 000. */
  purgeInterval?: number;
}

/**
 * Authenticates a merchant API request by its `Authorization: Caisse-Assertion <JWS>`
 * header ({@link verifyAssertion}), then spends the assertion's `jti` — only once every
 * check has passed, so a refused request does not burn it. On success the merchant's id
 * is on the context as `merchantId`; every handler after this scopes its queries to it.
 * A 401 carries `WWW-Authenticate: Caisse-Assertion` (RFC 9110 §11.6.1).
 * @example api.use('*', merchantAssertion({ issuer, merchants, db }))
 */
export function merchantAssertion(options: MerchantAssertionOptions): MiddlewareHandler<ApiEnv> {
  const now = options.now ?? (() => new Date());
  const spend = singleUse({ ...options, now });

  return async (c, next) => {
    try {
      const token = assertionFromHeader(c.req.header('authorization'));
      const body = new Uint8Array(await c.req.arrayBuffer());
      const claims = await verifyAssertion(token, { method: c.req.method, url: c.req.url, body }, { ...options, now });
      await spend(claims);
      c.set('merchantId', claims.iss);
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      options.log?.info('api.unauthenticated', { code: error.code, method: c.req.method, path: c.req.path });
      return problemResponse(error, error.status === 401 ? { 'www-authenticate': ASSERTION_SCHEME } : undefined);
    }
    await next();
  };
}
