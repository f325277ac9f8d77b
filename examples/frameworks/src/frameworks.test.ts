import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { HttpBrowser, startPaymentServer } from '@caisse/example-e2e';
import { generateKey } from '@caisse/server-kit';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { startProgram } from './__fixtures__/program.ts';
import { expressShop } from './express.ts';
import { fastifyShop } from './fastify.ts';
import { honoShop } from './hono.ts';
import { koaShop } from './koa.ts';
import { createShop, type Order, type ShopConfig } from './shop.ts';

/**
 * The framework matrix: each shop of this folder as a real server of its framework, taking
 * a payment from a real payment server (a customer's browser played with fetch, cookies
 * kept) and its notification (the payment server's outbox posting to the shop). Nothing is
 * skipped: a framework whose runtime is missing fails.
 */
const HERE = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/** The path of a command an npm package installs, from its own package.json (bun, deno and next ship their binaries so). */
function bin(pkg: string, command = pkg): string {
  const manifest = require(`${pkg}/package.json`) as { bin: string | Record<string, string> };
  const relative = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin[command];
  return require.resolve(`${pkg}/${relative}`);
}

interface RunningShop {
  url: string;
  stop(): Promise<void>;
  /** What a shop running as its own process printed. */
  output?(): string;
}

async function listening(server: Server): Promise<RunningShop> {
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const env = (config: ShopConfig) => ({
  CAISSE_PAYMENT_SERVER: config.paymentServerUrl,
  CAISSE_MERCHANT_ID: config.merchantId,
  CAISSE_MERCHANT_KEY: JSON.stringify(config.signingKey),
  PORT: '0',
  // Nothing leaves the machine: no telemetry, no update checks.
  NEXT_TELEMETRY_DISABLED: '1',
  DENO_NO_UPDATE_CHECK: '1',
  DO_NOT_TRACK: '1',
});

const FRAMEWORKS: Record<string, (config: ShopConfig) => Promise<RunningShop>> = {
  Express: async (config) => listening(expressShop(await createShop(config)).listen(0, '127.0.0.1')),
  Fastify: async (config) => {
    const app = await fastifyShop(await createShop(config));
    return { url: await app.listen({ port: 0, host: '127.0.0.1' }), stop: () => app.close() };
  },
  Koa: async (config) => listening(koaShop(await createShop(config)).listen(0, '127.0.0.1')),
  Hono: async (config) => listening(serve({ fetch: honoShop(await createShop(config)).fetch, port: 0, hostname: '127.0.0.1' }) as Server),
  'Next.js': (config) =>
    startProgram(process.execPath, [bin('next'), 'dev', '--port', '0', '--hostname', '127.0.0.1'], {
      cwd: `${HERE}src/next`,
      env: env(config),
      ready: /Local:\s+(http\S+)/,
    }),
  Bun: (config) => startProgram(bin('bun'), ['src/bun.ts'], { cwd: HERE, env: env(config), ready: /listening on (\S+)/ }),
  Deno: (config) =>
    startProgram(bin('deno'), ['run', '--no-lock', '--allow-net=127.0.0.1,localhost', '--allow-env', 'src/deno.ts'], {
      cwd: HERE,
      env: env(config),
      ready: /listening on (\S+)/,
    }),
};

let payment: Awaited<ReturnType<typeof startPaymentServer>>;
const shops = new Map<string, Promise<RunningShop>>();

/** The shops that run in this process: they start one after the other, before the programs that start as their own processes. */
const IN_PROCESS = new Set(['Express', 'Fastify', 'Koa', 'Hono']);

beforeAll(async () => {
  payment = await startPaymentServer();
  // Each test awaits its own shop, so one that cannot start fails alone. The shops in this
  // process fetch the discovery document as they start: they do so before Next.js, Bun and
  // Deno start beside them, which on a loaded 2-core machine can starve this process for
  // longer than the discovery's 5 s time-out.
  let previous: Promise<unknown> = Promise.resolve();
  for (const [name, start] of Object.entries(FRAMEWORKS)) {
    const merchantId = `${name.toLowerCase().replace(/\W/g, '')}-shop`;
    const key = generateKey();
    const config = { merchantId, signingKey: key.privateJwk, paymentServerUrl: payment.url };
    // FRAMEWORKS lists the shops of this process first: the programs all wait for the last of them.
    const shop = previous
      .then(() => config)
      .then(start)
      .then(async (running) => {
        await payment.server.merchants.register({
          id: merchantId,
          displayName: `The ${name} shop`,
          jwks: key.jwks,
          returnOrigins: [running.url],
          notifyUrl: `${running.url}/caisse/notify`,
        });
        return running;
      });
    shop.catch(() => undefined); // reported by its test
    shops.set(name, shop);
    if (IN_PROCESS.has(name)) previous = shop.catch(() => undefined);
  }
});

afterAll(async () => {
  await Promise.all(
    [...shops.values()].map((shop) =>
      shop.then(
        (running) => running.stop(),
        () => undefined,
      ),
    ),
  );
  await payment?.close();
});

it.each(Object.keys(FRAMEWORKS))(
  '%s takes a payment: checkout, the hosted page, the voucher verified by the return handler; then its notification',
  async (name) => {
    const shop = (await shops.get(name)) as RunningShop;
    onTestFailed(() => {
      if (shop.output) console.error(`${name} printed:\n${shop.output()}`);
    });
    const browser = new HttpBrowser();

    // Checkout: the shop signs a ticket bound to this browser's state cookie.
    const checkout = await browser.go(`${shop.url}/checkout`, { method: 'POST', origin: shop.url });
    expect(checkout.status).toBe(200);
    const { serial, ticket, payEndpoint } = JSON.parse(checkout.html) as { serial: string; ticket: string; payEndpoint: string };
    expect(browser.cookie(shop.url, 'caisse_state')).toMatch(/^[\w-]{43}$/);

    // The hosted page: the customer identifies, her wallet pays, the browser comes back with the voucher.
    const hosted = await browser.go(payEndpoint, { form: { ticket }, origin: shop.url });
    const back = await browser.go(HttpBrowser.action(hosted, '/identify'), {
      form: { csrf: HttpBrowser.csrf(hosted.html), account: payment.customer.accountId, accessKey: payment.customer.accessKey },
    });
    const returned = back.hops.find((hop) => hop.searchParams.has('caisse_voucher'));
    expect(returned?.pathname).toBe('/caisse/return');
    expect(`${back.url.origin}${back.url.pathname}`).toBe(`${shop.url}/orders/${serial}`);
    const order = JSON.parse(back.html) as Order;
    expect(order).toEqual({ serial, amount: 790, paymentId: expect.any(String), paidBy: ['voucher'] });

    // The widget's way back, a JSON POST, past the framework's own body parsing: the token
    // reaches the handler intact (its signature verifies) and is refused as already used.
    const again = await browser.go(`${shop.url}/caisse/return`, { json: { token: returned?.searchParams.get('caisse_voucher') } });
    expect({ status: again.status, body: JSON.parse(again.html) }).toMatchObject({ status: 409, body: { code: 'token_replayed' } });

    // The notification: the payment server's outbox posts the signed event (application/jose) to the shop.
    await payment.deliverNotifications();
    const notified = await browser.go(`${shop.url}/orders/${serial}`);
    expect(JSON.parse(notified.html)).toEqual({ ...order, paidBy: ['voucher', 'notification'] });
  },
);
