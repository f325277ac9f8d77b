// The demo: the payment server on the embedded database (PGlite, in .data/demo) in test
// mode (no real money: every token it signs says test: true, its pages say so), the
// sandbox bank, two demo customers, the two sample stores registered as merchants (their
// test keys generated into .data/demo), an admin of the operator console, and the phone
// app. A second run reuses the data; `npm run demo -- --fresh` starts from nothing.
// Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBookshop } from '@caisse/example-bookshop';
import { startNewsstand } from '@caisse/example-newsstand';
import { loadConfig, serveAdminCommands, startPaymentServer } from '@caisse/payment-server';
import { startSandboxBank } from '@caisse/sandbox-bank';
import { generateKey } from '@caisse/server-kit';

const DATA_DIR = process.env.CAISSE_DEMO_DIR ?? '.data/demo';
const PORT = Number(process.env.PORT ?? 4000);
const BANK_PORT = Number(process.env.CAISSE_BANK_PORT ?? 4010);
const BOOKSHOP_PORT = Number(process.env.BOOKSHOP_PORT ?? 4100);
const NEWSSTAND_PORT = Number(process.env.NEWSSTAND_PORT ?? 4200);
const PHONE_PORT = Number(process.env.PHONE_PORT ?? 4300);
const PHONE_APP = new URL('../examples/phone/', import.meta.url).pathname;
const CUSTOMER = { accountId: 'demo', phone: '+33600000000', accessKey: 'demo-access-key' };
// A second customer with almost nothing in her wallet, to see a refusal in words.
const SHORT_CUSTOMER = { accountId: 'demo-short', phone: '+33600000001', accessKey: 'demo-short-access-key' };
const ADMIN_PASSWORD = 'demo';
// The console's admin. Operator passwords are 12 characters or more, so not the stores' "demo".
const OPERATOR = { id: 'operator', displayName: 'Demo Operator', role: 'admin', password: 'demo-operator' };

if (process.argv.includes('--fresh')) await rm(DATA_DIR, { recursive: true, force: true });

const bank = await startSandboxBank({ port: BANK_PORT });
const config = loadConfig({
  ...process.env,
  PORT: String(PORT),
  CAISSE_DATA_DIR: DATA_DIR,
  // Play money only: the stores sign with test keys, and no live merchant accepts what this server signs.
  CAISSE_MODE: 'test',
  // The sandbox bank as the one acquirer, loaded the way an operator loads a real bank's adapter.
  CAISSE_ACQUIRERS: JSON.stringify([{ name: 'sandbox', module: '@caisse/sandbox-bank/acquirer', options: { url: bank.url } }]),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
});
const server = await startPaymentServer(config);
// `caisse-server` commands (e.g. `CAISSE_DATA_DIR=.data/demo npx caisse-server wallet credit …`) run inside this process while it holds the database.
const admin = await serveAdminCommands({ server, config });

async function seedCustomer(customer, cents, bankRef) {
  try {
    await server.customers.get(customer.accountId);
    return false;
  } catch {
    await server.customers.add({ ...customer, limits: { EUR: { walletCap: 50_000n } } });
    if (bankRef) await server.customers.setBankRef(customer.accountId, bankRef);
    await server.customers.walletCredit(customer.accountId, 'EUR', cents, { idempotencyKey: `demo-initial-credit-${customer.accountId}` });
    return true;
  }
}
const seeded = await seedCustomer(CUSTOMER, 10_000n, 'test_approve');
await seedCustomer(SHORT_CUSTOMER, 30n);

/**
 * The console's admin, added on the first run as `caisse-server operators add` adds one. Its
 * authenticator secret is shown once by the server, so the demo keeps it in its data folder
 * (mode 0600) and prints the same one on every run: the app it was typed into keeps working.
 */
async function seedOperator() {
  const file = join(DATA_DIR, 'operator-totp.json');
  const exists = await server.operators.get(OPERATOR.id).then(
    () => true,
    (error) => {
      if (error?.code !== 'operator_unknown') throw error;
      return false;
    },
  );
  if (exists && existsSync(file)) return JSON.parse(await readFile(file, 'utf8'));
  // An operator whose secret the folder lost gets a new one, as `caisse-server operators reset-totp` gives.
  const { totp } = exists ? await server.operators.resetTotp(OPERATOR.id) : await server.operators.add(OPERATOR);
  await writeFile(file, `${JSON.stringify(totp, null, 2)}\n`, { mode: 0o600 });
  return totp;
}
const operatorTotp = await seedOperator();

/** A store's test signing key (kid test_…), made on the first run and kept in its folder (the private half mode 0600). */
async function storeKey(dir) {
  const privateFile = join(dir, 'merchant-test-key.private.json');
  if (existsSync(privateFile)) return JSON.parse(await readFile(privateFile, 'utf8'));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const key = generateKey({ test: true });
  await writeFile(join(dir, 'merchant-test-key.jwks.json'), `${JSON.stringify(key.jwks, null, 2)}\n`);
  await writeFile(privateFile, `${JSON.stringify(key.privateJwk, null, 2)}\n`, { mode: 0o600 });
  return key.privateJwk;
}

/** Registers the store with the payment server once; later runs find it there. */
async function registerStore(id, displayName, dir, url) {
  const privateJwk = await storeKey(dir);
  const jwks = JSON.parse(await readFile(join(dir, 'merchant-test-key.jwks.json'), 'utf8'));
  try {
    await server.merchants.register({ id, displayName, jwks, returnOrigins: [url], notifyUrl: `${url}/caisse/notify` });
  } catch (error) {
    if (error?.code !== 'merchant_exists') throw error;
    // A data folder from before test mode registered the store with a live key: add its test key.
    const merchant = await server.merchants.get(id);
    if (!merchant.keys.some((key) => key.kid === privateJwk.kid)) await server.merchants.addKey(id, jwks.keys[0]);
  }
  return privateJwk;
}

const stores = [];
const bookshopUrl = `http://localhost:${BOOKSHOP_PORT}`;
const bookshopDir = join(DATA_DIR, 'bookshop');
stores.push(
  await startBookshop({
    port: BOOKSHOP_PORT,
    shopUrl: bookshopUrl,
    paymentServerUrl: server.issuer,
    merchantId: 'bookshop',
    signingKey: await registerStore('bookshop', 'The Bookshop', bookshopDir, bookshopUrl),
    dataDir: bookshopDir,
    adminPassword: ADMIN_PASSWORD,
  }),
);
const newsstandUrl = `http://localhost:${NEWSSTAND_PORT}`;
const newsstandDir = join(DATA_DIR, 'newsstand');
stores.push(
  await startNewsstand({
    port: NEWSSTAND_PORT,
    shopUrl: newsstandUrl,
    paymentServerUrl: server.issuer,
    merchantId: 'newsstand',
    signingKey: await registerStore('newsstand', 'Le Kiosque', newsstandDir, newsstandUrl),
    dataDir: newsstandDir,
  }),
);
// The newsstand prices its articles when a reader asks (docs/quotes-and-delivery.md): its quote endpoint.
await server.merchants.setQuoteUrl('newsstand', `${newsstandUrl}/caisse/quote`);

// The phone app is a static site served by its own small process.
let phone;
if (existsSync(join(PHONE_APP, 'serve.mjs')) && existsSync(join(PHONE_APP, 'dist'))) {
  phone = spawn(process.execPath, [join(PHONE_APP, 'serve.mjs')], {
    env: { ...process.env, PORT: String(PHONE_PORT) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    phone.once('spawn', resolve);
    phone.once('error', reject);
  });
}

console.log(`
Caisse demo ${seeded ? '(fresh data)' : `(reusing ${DATA_DIR}; --fresh starts over)`}, in TEST MODE: no real money

  The Bookshop     ${bookshopUrl}          admin: ${bookshopUrl}/admin  (user "admin", password "${ADMIN_PASSWORD}")
  Le Kiosque       ${newsstandUrl}
  Phone app        ${phone ? `http://localhost:${PHONE_PORT}` : '(not built: npm run build -w @caisse/example-phone)'}
  Payment server   ${server.issuer}
    account page   ${server.issuer}/account
    console        ${server.issuer}/console  (operator "${OPERATOR.id}", password "${OPERATOR.password}", then a code of your authenticator app:
                   add the secret ${operatorTotp.secret} to it, or open ${operatorTotp.uri})
    commands       while the demo runs, e.g. CAISSE_DATA_DIR=${DATA_DIR} npx caisse-server customers plan ${CUSTOMER.accountId}
  Sandbox bank     ${bank.url}

  Demo customer    account "${CUSTOMER.accountId}", access key "${CUSTOMER.accessKey}"
                   wallet 100.00 EUR; payments from 50.00 EUR go through the sandbox bank (approves)
  Short of money   account "${SHORT_CUSTOMER.accountId}", access key "${SHORT_CUSTOMER.accessKey}", wallet 0.30 EUR

  Enrol the phone  1. open ${server.issuer}/account and sign in as "${CUSTOMER.accountId}" with its access key
                   2. press "Enroll a phone": a one-time code appears
                   3. open the phone app, type the payment server ${server.issuer}, the code, and choose a PIN
                   From then on, payments by "${CUSTOMER.accountId}" are confirmed in the phone app.

  Ctrl-C stops everything.
`);

await new Promise((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
phone?.kill('SIGTERM');
for (const store of stores) await store.close();
await admin?.close();
await server.close();
await bank.close();
