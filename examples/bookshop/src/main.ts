// `npm start`: the bookshop alone, against a payment server that already knows it.
import { readFile } from 'node:fs/promises';
import { startBookshop } from './app.js';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const port = Number(env('PORT', '4100'));
const shop = await startBookshop({
  port,
  shopUrl: env('SHOP_URL', `http://localhost:${port}`),
  paymentServerUrl: env('CAISSE_PAYMENT_SERVER', 'http://localhost:4000'),
  merchantId: env('CAISSE_MERCHANT_ID', 'bookshop'),
  signingKey: JSON.parse(process.env.CAISSE_MERCHANT_KEY ?? (await readFile(env('CAISSE_MERCHANT_KEY_FILE'), 'utf8'))),
  dataDir: env('DATA_DIR', '.data/bookshop'),
  adminPassword: env('ADMIN_PASSWORD'),
});
console.log(`The Bookshop on ${shop.url}`);
process.once('SIGINT', () => shop.close());
process.once('SIGTERM', () => shop.close());
