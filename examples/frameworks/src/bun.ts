// Bun: Bun.serve takes the Caisse handlers as routes, unchanged.
// Run: CAISSE_PAYMENT_SERVER=… CAISSE_MERCHANT_ID=… CAISSE_MERCHANT_KEY='{…}' bun src/bun.ts
import { ensureState } from '@caisse/server-kit';
import { createShop, shopConfig } from './shop.ts';

const shop = await createShop(shopConfig((name) => Bun.env[name]));

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(Bun.env.PORT ?? 3000),
  routes: {
    '/checkout': {
      POST: (request) => {
        const { state, setCookie } = ensureState(request);
        return Response.json(shop.checkout(new URL(request.url).origin, state), { headers: setCookie ? { 'set-cookie': setCookie } : {} });
      },
    },
    '/caisse/return': shop.returnHandler,
    '/caisse/notify': shop.notificationHandler,
    '/orders/:serial': (request) => {
      const order = shop.order(request.params.serial);
      return order ? Response.json(order) : new Response('Not Found', { status: 404 });
    },
  },
});
console.log(`listening on ${server.url.origin}`);
