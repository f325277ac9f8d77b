// Deno: Deno.serve hands the Caisse handlers a web-standard request, unchanged.
// Run: CAISSE_PAYMENT_SERVER=… CAISSE_MERCHANT_ID=… CAISSE_MERCHANT_KEY='{…}' deno run --allow-net --allow-env src/deno.ts
import { ensureState } from '@caisse/server-kit';
import { createShop, shopConfig } from './shop.ts';

const shop = await createShop(shopConfig((name) => Deno.env.get(name)));

Deno.serve(
  {
    hostname: '127.0.0.1',
    port: Number(Deno.env.get('PORT') ?? 3000),
    onListen: ({ hostname, port }) => console.log(`listening on http://${hostname}:${port}`),
  },
  (request) => {
    const url = new URL(request.url);
    if (url.pathname === '/checkout' && request.method === 'POST') {
      const { state, setCookie } = ensureState(request);
      return Response.json(shop.checkout(url.origin, state), { headers: setCookie ? { 'set-cookie': setCookie } : {} });
    }
    if (url.pathname === '/caisse/return') return shop.returnHandler(request);
    if (url.pathname === '/caisse/notify') return shop.notificationHandler(request);
    const order = shop.order(/^\/orders\/([^/]+)$/.exec(url.pathname)?.[1]);
    return order ? Response.json(order) : new Response('Not Found', { status: 404 });
  },
);
