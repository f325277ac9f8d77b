import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configSchema, createPaymentServer, type PaymentServer } from '@caisse/payment-server';
import { createMerchant, createReturnHandler, ensureState, generateKey, staticKeySet, type TicketReference } from '@caisse/server-kit';
import { toNodeHandler } from '@caisse/server-kit/node';
import { serve } from '@hono/node-server';

const WIDGET = readFileSync(new URL('../dist/caisse.js', import.meta.url));

async function listen(server: Server | ReturnType<typeof serve>): Promise<number> {
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return (server.address() as AddressInfo).port;
}

/**
 * A real payment server (PGlite in memory) and a tiny shop on another origin that uses
 * the widget from its script-tag file under a strict CSP, with the server kit behind it.
 */
export async function startShop() {
  let payment: PaymentServer | undefined;
  const paymentHttp = serve({ fetch: (request) => (payment as PaymentServer).app.fetch(request), port: 0, hostname: '127.0.0.1' });
  const payUrl = `http://localhost:${await listen(paymentHttp)}`;
  payment = await createPaymentServer(
    configSchema.parse({ CAISSE_ISSUER: payUrl, CAISSE_DATA_DIR: '', CAISSE_SECRET: 'e'.repeat(43), LOG_LEVEL: 'error' }),
  );

  const tickets = new Map<string, TicketReference>();
  const key = generateKey();
  let shopUrl = '';
  const shopHttp = createServer();
  shopHttp.listen(0, '127.0.0.1');
  shopUrl = `http://localhost:${await listen(shopHttp)}`;
  await payment.merchants.register({ id: 'bookshop', displayName: 'The Bookshop', jwks: key.jwks, returnOrigins: [shopUrl] });
  await payment.customers.add({ accountId: 'alice', phone: '+33611111111', accessKey: 'alice access key' });
  await payment.customers.walletCredit('alice', 'EUR', 5_000n, { idempotencyKey: 'fund-alice' });
  const merchant = createMerchant({
    merchantId: 'bookshop',
    signingKey: key.privateJwk,
    paymentServer: { issuer: payUrl, payEndpoint: `${payUrl}/pay`, keys: staticKeySet(await payment.keys.jwks()) },
  });

  const verify = createReturnHandler({ merchant, findTicket: (id) => tickets.get(id), onPaid: () => undefined });
  const csp = `default-src 'self'; script-src 'self'; style-src 'self'; form-action 'self' ${payUrl}; connect-src 'self'; frame-ancestors 'none'`;
  const page = (body: string) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>The Bookshop</title></head><body><main><h1>The Bookshop</h1>${body}</main><script src="/caisse.js"></script><script src="/page.js"></script></body></html>`;

  shopHttp.on('request', async (req, res) => {
    const url = new URL(req.url ?? '/', shopUrl);
    if (url.pathname === '/caisse.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(WIDGET);
    } else if (url.pathname === '/page.js') {
      res
        .writeHead(200, { 'content-type': 'text/javascript' })
        .end(
          "if (document.getElementById('result')) Caisse.handleReturn({ verifyUrl: '/caisse/verify', element: document.getElementById('result') });",
        );
    } else if (url.pathname === '/caisse/verify') {
      toNodeHandler(verify, { origin: shopUrl })(req, res);
    } else if (url.pathname === '/paid' || url.pathname === '/basket') {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp })
        .end(page('<div id="result"></div>'));
    } else if (url.pathname === '/') {
      const request = new Request(url, { headers: { cookie: req.headers.cookie ?? '' } });
      const { state, setCookie } = ensureState(request, { secure: false });
      const amount = Number(url.searchParams.get('amount') ?? 1290);
      const ticket = merchant.createTicket({
        serial: `order-${Math.random().toString(36).slice(2, 8)}`,
        currency: 'EUR',
        items: [{ id: 'book', label: 'Le Petit Prince', quantity: 1, unitAmount: amount, vatRate: 550 }],
        returnUrl: `${shopUrl}/paid`,
        cancelUrl: `${shopUrl}/basket`,
        state,
        lifetime: Number(url.searchParams.get('lifetime') ?? 900),
      });
      tickets.set(ticket.id, ticket.reference);
      const mode = url.searchParams.get('mode') ?? 'redirect';
      res
        .writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': csp,
          ...(setCookie ? { 'set-cookie': setCookie } : {}),
        })
        .end(
          page(
            `<caisse-checkout ticket="${ticket.token}" server="${payUrl}" mode="${mode}" verify-url="/caisse/verify"></caisse-checkout>`,
          ),
        );
    } else {
      res.writeHead(404).end();
    }
  });

  return {
    payUrl,
    shopUrl,
    payment,
    async close() {
      await new Promise<void>((resolve) => shopHttp.close(() => resolve()));
      await new Promise<void>((resolve) => paymentHttp.close(() => resolve()));
      await payment?.close();
    },
  };
}
