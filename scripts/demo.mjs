// The demo: the payment server on the embedded database (PGlite, in .data/demo), the
// sandbox bank, and a demo customer with a funded wallet. A second run reuses the data;
// `npm run demo -- --fresh` starts from nothing. Ctrl-C stops everything.
import { rm } from 'node:fs/promises';
import { loadConfig, startPaymentServer, startSandboxBank } from '@caisse/payment-server';

const DATA_DIR = '.data/demo';
const PORT = Number(process.env.PORT ?? 4000);
const BANK_PORT = Number(process.env.CAISSE_BANK_PORT ?? 4010);
const CUSTOMER = { accountId: 'demo', phone: '+33600000000', accessKey: 'demo-access-key' };

if (process.argv.includes('--fresh')) await rm(DATA_DIR, { recursive: true, force: true });

const bank = await startSandboxBank({ port: BANK_PORT });
const server = await startPaymentServer(
  loadConfig({
    ...process.env,
    PORT: String(PORT),
    CAISSE_DATA_DIR: DATA_DIR,
    CAISSE_BANK_URL: bank.url,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  }),
);

async function seed() {
  try {
    await server.customers.get(CUSTOMER.accountId);
    return false;
  } catch {
    await server.customers.add({ ...CUSTOMER, limits: { EUR: { walletCap: 50_000n } } });
    await server.customers.setBankRef(CUSTOMER.accountId, 'test_approve');
    await server.customers.walletCredit(CUSTOMER.accountId, 'EUR', 10_000n, { idempotencyKey: 'demo-initial-credit' });
    return true;
  }
}
const seeded = await seed();

console.log(`
Caisse demo ${seeded ? '(fresh data)' : `(reusing ${DATA_DIR}; --fresh starts over)`}

  Payment server   ${server.issuer}
    discovery      ${server.issuer}/.well-known/caisse
    account page   ${server.issuer}/account
  Sandbox bank     ${bank.url}

  Demo customer    account "${CUSTOMER.accountId}", access key "${CUSTOMER.accessKey}"
                   wallet 100.00 EUR; payments from 50.00 EUR go through the sandbox bank (approves)

  The sample stores and the phone app join this command as they land.
  Register a store of your own: stop the demo, then
    npx caisse keys new --out keys
    CAISSE_DATA_DIR=${DATA_DIR} npx caisse-server merchants add --id shop --name "My shop" --jwks keys/merchant-key.jwks.json --origin http://localhost:3000
  Ctrl-C stops everything.
`);

await new Promise((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
await server.close();
await bank.close();
