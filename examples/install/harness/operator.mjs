// The payment server's operator, driven by the test (not merchant code): the installed
// @caisse/payment-server started by its exported function, on the embedded PGlite folder
// CAISSE_DATA_DIR, with a customer, her wallet funded, and a one-time code to enrol her
// phone. Prints `ready <code>` once it listens; SIGTERM closes it.
import { loadConfig, startPaymentServer } from '@caisse/payment-server';

const server = await startPaymentServer(loadConfig(process.env));
await server.customers.add({ accountId: 'alice', phone: '+33611111111', accessKey: 'alice access key' });
await server.customers.walletCredit('alice', 'EUR', 2000n, { idempotencyKey: 'fund-alice' });
const { code } = await server.devices.createCode('alice');
console.log(`ready ${code}`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
