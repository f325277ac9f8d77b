// Fastify: each Caisse handler registered with toFastifyPlugin, in a scope of its own where
// no body parser runs, so the handler reads the body as it was sent (Fastify would refuse
// the notifications' application/jose with 415). The rest of the app keeps its parsers.
import { ensureState } from '@caisse/server-kit';
import { toFastifyPlugin } from '@caisse/server-kit/node';
import Fastify from 'fastify';
import type { Shop } from './shop.ts';

export async function fastifyShop(shop: Shop) {
  const app = Fastify();
  app.post('/checkout', async (request, reply) => {
    const { state, setCookie } = ensureState(request);
    if (setCookie) reply.header('set-cookie', setCookie);
    return shop.checkout(`${request.protocol}://${request.host}`, state);
  });
  await app.register(toFastifyPlugin('/caisse/return', shop.returnHandler));
  await app.register(toFastifyPlugin('/caisse/notify', shop.notificationHandler));
  app.get<{ Params: { serial: string } }>('/orders/:serial', async (request, reply) => {
    const order = shop.order(request.params.serial);
    return order ?? reply.code(404).send();
  });
  return app;
}
