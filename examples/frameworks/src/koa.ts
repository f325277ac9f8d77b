// Koa: the Caisse handlers through toKoaMiddleware on @koa/router routes. @koa/bodyparser
// parses JSON for the whole app; the middleware hands the handler the raw body it kept.
import { ensureState } from '@caisse/server-kit';
import { toKoaMiddleware } from '@caisse/server-kit/node';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import type { Shop } from './shop.ts';

export function koaShop(shop: Shop) {
  const router = new Router();
  router.post('/checkout', (ctx) => {
    const { state, setCookie } = ensureState(ctx);
    if (setCookie) ctx.append('Set-Cookie', setCookie);
    ctx.body = shop.checkout(ctx.origin, state);
  });
  router.all('/caisse/return', toKoaMiddleware(shop.returnHandler));
  router.post('/caisse/notify', toKoaMiddleware(shop.notificationHandler));
  router.get('/orders/:serial', (ctx) => {
    ctx.body = shop.order(ctx.params.serial);
  });
  return new Koa().use(bodyParser()).use(router.routes()).use(router.allowedMethods());
}
