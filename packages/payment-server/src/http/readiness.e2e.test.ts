import { describe, expect, it } from 'vitest';
import { startTestServer } from '../__fixtures__/payment-server.js';

/** `/health/ready` over real HTTP, on servers configured as an operator would. */
async function readiness(env: Record<string, string>) {
  const shop = await startTestServer({ env });
  try {
    const response = await fetch(`${shop.url}/health/ready`);
    return { status: response.status, body: await response.json() };
  } finally {
    await shop.close();
  }
}

describe('readiness and the acquirers', () => {
  it('is not ready when CAISSE_ACQUIRERS is given but names no acquirer', async () => {
    expect(await readiness({ CAISSE_ACQUIRERS: '[]' })).toEqual({
      status: 503,
      body: { status: 'unavailable', checks: { database: 'ok', migrations: 'ok', listener: 'up', acquirers: 'empty' } },
    });
  });

  it('is ready without CAISSE_ACQUIRERS, and says the wallet alone pays', async () => {
    expect(await readiness({})).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', migrations: 'ok', listener: 'up', acquirers: 'none' } },
    });
  });
});
