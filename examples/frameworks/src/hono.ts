// Hono (here on @hono/node-server): the Caisse handlers take Hono's web-standard request as is.
import { ensureState } from '@caisse/server-kit';
import { Hono } from 'hono';
import type { Shop } from './shop.ts';

export function honoShop(shop: Shop) {
  const app = new Hono();
  app.post('/checkout', (c) => {
    const { state, setCookie } = ensureState(c.req.raw);
    if (setCookie) c.header('Set-Cookie', setCookie);
    return c.json(shop.checkout(new URL(c.req.url).origin, state));
  });
  app.on(['GET', 'POST'], '/caisse/return', (c) => shop.returnHandler(c.req.raw));
  app.post('/caisse/notify', (c) => shop.notificationHandler(c.req.raw));
  app.get('/orders/:serial', (c) => {
    const order = shop.order(c.req.param('serial'));
    return order ? c.json(order) : c.notFound();
  });
  return app;
}
