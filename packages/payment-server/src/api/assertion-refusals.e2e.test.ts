import { TOKEN_TYPES } from '@caisse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forge } from '../__fixtures__/forge.js';
import type { ProblemCode } from '../http/problem.js';
import { type ApiTestServer, startApiTestServer } from './__fixtures__/api-server.js';
import { assertionClaimsFor, authorization } from './__fixtures__/assertions.js';

/**
 * The rows of the README's merchant API error table that `authenticate.e2e.test.ts` does
 * not reach, over real HTTP: each assertion is otherwise valid and breaks one rule.
 */
describe('merchant API assertion refusals over HTTP', () => {
  let shop: ApiTestServer;
  const path = '/v1/payments/pay_1';

  beforeAll(async () => {
    shop = await startApiTestServer();
  });
  afterAll(async () => {
    await shop?.close();
  });

  const claims = (extra: Record<string, unknown> = {}) => ({
    ...assertionClaimsFor({
      key: shop.self.key.signingKey,
      merchantId: shop.merchantId,
      audience: shop.server.issuer,
      url: `${shop.server.issuer}${path}`,
    }),
    ...extra,
  });
  const header = (extra: Record<string, unknown> = {}) => ({ alg: 'EdDSA', typ: TOKEN_TYPES.assertion, kid: shop.self.key.kid, ...extra });
  const send = (token: string) => fetch(`${shop.url}${path}`, { headers: { authorization: authorization(token) } });

  const ROWS: [what: string, code: ProblemCode, status: number, token: () => string][] = [
    [
      'a header repeating a member',
      'duplicate_member',
      400,
      () =>
        forge(
          `{"alg":"EdDSA","alg":"EdDSA","typ":"${TOKEN_TYPES.assertion}","kid":"${shop.self.key.kid}"}`,
          claims(),
          shop.self.key.signingKey,
        ),
    ],
    [
      'a signed payload repeating a member',
      'duplicate_member',
      400,
      () => forge(header(), `${JSON.stringify(claims()).slice(0, -1)},"htm":"GET"}`, shop.self.key.signingKey),
    ],
    [
      'a key in the header',
      'header_key_refused',
      400,
      () => forge(header({ jwk: shop.self.key.publicJwk }), claims(), shop.self.key.signingKey),
    ],
    ['a crit header', 'header_unsupported', 400, () => forge(header({ crit: ['htu'] }), claims(), shop.self.key.signingKey)],
    ['an unknown protocol version', 'version_unsupported', 400, () => forge(header(), claims({ ver: 99 }), shop.self.key.signingKey)],
  ];

  it.each(ROWS)('refuses %s: %s, %i', async (_what, code, status, token) => {
    const response = await send(token());
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ code, status });
  });

  it('answers 431 without a problem body for an assertion longer than the headers Node reads', async () => {
    const response = await send(forge(header(), claims({ pad: 'p'.repeat(13_000) }), shop.self.key.signingKey));
    expect(response.status).toBe(431);
    expect(await response.text()).toBe('');
  });
});
