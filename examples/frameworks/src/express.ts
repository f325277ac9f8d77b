// Express: the Caisse handlers through toNodeHandler. express.json() parses the shop's own
// JSON; the return handler still gets the token, and notifications (application/jose) are
// left for the handler to read raw.
import { ensureState } from '@caisse/server-kit';
import { toNodeHandler } from '@caisse/server-kit/node';
import express from 'express';
import type { Shop } from './shop.ts';

export function expressShop(shop: Shop) {
  const app = express();
  app.use(express.json());
  app.post('/checkout', (req, res) => {
    const { state, setCookie } = ensureState(req);
    if (setCookie) res.append('Set-Cookie', setCookie);
    res.json(shop.checkout(`${req.protocol}://${req.get('host')}`, state));
  });
  app.all('/caisse/return', toNodeHandler(shop.returnHandler));
  app.post('/caisse/notify', toNodeHandler(shop.notificationHandler));
  app.get('/orders/:serial', (req, res) => {
    const order = shop.order(req.params.serial);
    if (order) res.json(order);
    else res.sendStatus(404);
  });
  return app;
}
