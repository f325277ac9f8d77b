// `npm start`: the newsstand alone, against a payment server that already knows it.
import { readFile } from 'node:fs/promises';
import { startNewsstand } from './app.js';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const port = Number(env('PORT', '4200'));
const newsstand = await startNewsstand({
  port,
  shopUrl: env('SHOP_URL', `http://localhost:${port}`),
  paymentServerUrl: env('CAISSE_PAYMENT_SERVER', 'http://localhost:4000'),
  merchantId: env('CAISSE_MERCHANT_ID', 'newsstand'),
  signingKey: JSON.parse(process.env.CAISSE_MERCHANT_KEY ?? (await readFile(env('CAISSE_MERCHANT_KEY_FILE'), 'utf8'))),
  dataDir: env('DATA_DIR', '.data/newsstand'),
});
console.log(`Le Kiosque on ${newsstand.url}`);
process.once('SIGINT', () => newsstand.close());
process.once('SIGTERM', () => newsstand.close());
