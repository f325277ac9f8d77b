import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type ListenOptions, listen, refusalReason, securityHeaders, staticAssets } from '@caisse/example-store-support';
import { ensureState, readStateCookie } from '@caisse/server-kit';
import { Hono } from 'hono';
import { basicAuth } from 'hono/basic-auth';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { BOOKS, CURRENCY, findBook, VAT_RATE } from './catalogue.js';
import { openOrderBook, refunded } from './orders.js';
import { adminPage, basketPage, cataloguePage, orderPage } from './pages.js';
import { createPayments } from './payments.js';

export interface BookshopConfig {
  /** Where the shop is reached, e.g. `http://localhost:4100`: its origin is registered with the payment server. */
  shopUrl: string;
  paymentServerUrl: string;
  merchantId: string;
  signingKey: Record<string, unknown>;
  /** Folder of the order file. */
  dataDir: string;
  /** The admin page's password (user `admin`). */
  adminPassword: string;
}

const WIDGET = createRequire(import.meta.url).resolve('@caisse/widget/caisse.js');
const MAX_QUANTITY = 9;

/** The basket lives in a cookie: book ids and quantities, nothing secret. */
function readBasket(cookie: string | undefined) {
  const lines: { book: NonNullable<ReturnType<typeof findBook>>; quantity: number }[] = [];
  for (const part of (cookie ?? '').split('.')) {
    const [id, count] = part.split('_');
    const book = findBook(id ?? '');
    const quantity = Number(count);
    if (book && Number.isInteger(quantity) && quantity > 0 && quantity <= MAX_QUANTITY) lines.push({ book, quantity });
  }
  return lines;
}
const writeBasket = (lines: ReturnType<typeof readBasket>) => lines.map((line) => `${line.book.id}_${line.quantity}`).join('.');

/**
 * The bookshop as a Hono app over its order file, without listening (`startBookshop` listens).
 * @example const { app, orders } = await createBookshop(config); serve({ fetch: app.fetch, port: 4100 })
 */
export async function createBookshop(config: BookshopConfig) {
  const orders = await openOrderBook(join(config.dataDir, 'orders.json'));
  const payments = await createPayments(config, orders);
  const secure = config.shopUrl.startsWith('https:');
  const csp = `default-src 'self'; script-src 'self'; style-src 'self'; form-action 'self' ${payments.paymentServer}; connect-src 'self'; frame-ancestors 'none'`;

  const app = new Hono();
  app.use(securityHeaders(csp));
  // Forms only from our own pages. The notification endpoint takes `application/jose`, which this does not look at.
  app.use(csrf({ origin: new URL(config.shopUrl).origin }));
  // Forms and tokens are small: nothing larger is read.
  app.use(bodyLimit({ maxSize: 64 * 1024 }));
  app.route('/assets', staticAssets(new URL('../assets/', import.meta.url), { 'caisse.js': WIDGET, 'shop.css': 'shop.css' }));

  app.get('/', (c) =>
    c.html(
      cataloguePage(
        BOOKS,
        readBasket(getCookie(c, 'basket')).reduce((n, line) => n + line.quantity, 0),
      ),
    ),
  );
  app.get('/basket', (c) => c.html(basketPage(readBasket(getCookie(c, 'basket')))));
  app.post('/basket', async (c) => {
    const form = await c.req.parseBody();
    const lines = readBasket(getCookie(c, 'basket'));
    const book = findBook(String(form.book));
    const line = lines.find((l) => l.book.id === book?.id);
    if (line && form.remove) lines.splice(lines.indexOf(line), 1);
    else if (line) line.quantity = Math.min(MAX_QUANTITY, line.quantity + 1);
    else if (book && !form.remove) lines.push({ book, quantity: 1 });
    setCookie(c, 'basket', writeBasket(lines), { path: '/', httpOnly: true, sameSite: 'Lax', secure });
    return c.redirect(form.remove ? '/basket' : '/?added', 303);
  });

  // The order belongs to the browser that placed it: the same cookie that binds the payment to it.
  app.post('/checkout', async (c) => {
    const lines = readBasket(getCookie(c, 'basket'));
    if (lines.length === 0) return c.redirect('/basket', 303);
    const { state, setCookie: stateCookie } = ensureState(c.req.raw, { secure });
    const order = await orders.create(
      lines.map(({ book, quantity }) => ({ id: book.id, label: book.title, quantity, unitAmount: book.price, vatRate: VAT_RATE })),
      CURRENCY,
      state,
    );
    if (stateCookie) c.header('set-cookie', stateCookie, { append: true });
    setCookie(c, 'basket', '', { path: '/', maxAge: 0 });
    return c.redirect(`/orders/${order.serial}`, 303);
  });

  app.get('/orders/:serial', async (c) => {
    const order = orders.get(c.req.param('serial'));
    if (!order || order.owner !== readStateCookie(c.req.raw)) return c.html(orderNotFound(), 404);
    // Unpaid: a fresh ticket for the widget and, back from a refused payment, why (our return handler adds `caisse_reason`).
    if (order.status !== 'awaiting_payment') return c.html(orderPage(order, undefined));
    const pay = { ticket: await payments.ticketFor(order, order.owner), server: payments.paymentServer };
    return c.html(orderPage(order, pay, refusalReason(c.req.query('caisse_reason'))));
  });

  app.on(['GET', 'POST'], '/caisse/return', (c) => payments.returnHandler(c.req.raw));
  app.post('/caisse/notify', (c) => payments.notificationHandler(c.req.raw));

  const admin = new Hono();
  admin.use(basicAuth({ username: 'admin', password: config.adminPassword, realm: 'Bookshop admin' }));
  admin.get('/', (c) => c.html(adminPage(orders.list(), orders.notifications(), c.req.query('done'))));
  // The merchant API's answers are recorded as their notifications are: whichever arrives first counts, once.
  admin.post('/orders/:serial/:action', async (c) => {
    const order = orders.get(c.req.param('serial'));
    const action = c.req.param('action');
    if (!order) return c.redirect('/admin?done=No such order.', 303);
    const paymentId = String(order.paymentId);
    try {
      if (action === 'ship' && order.status === 'paid') await orders.setStatus(order.serial, 'shipped', 'shipped');
      else if (action === 'deliver' && order.status === 'shipped') {
        const { status } = await payments.deliver(paymentId);
        await orders.recordPayment(order.serial, { id: paymentId, status });
        await orders.setStatus(order.serial, 'delivered', 'delivered: payment released to the till');
      } else if (action === 'cancel' && (order.status === 'paid' || order.status === 'shipped')) {
        const { status } = await payments.cancel(paymentId);
        await orders.recordPayment(order.serial, { id: paymentId, status });
        await orders.setStatus(order.serial, 'cancelled', 'cancelled: held payment returned to the customer');
      } else if (action === 'refund' && order.status === 'delivered') {
        // What was not refunded yet (a part may have been, elsewhere). A bank refund answers
        // `pending`: the order is refunded when its `refund.succeeded` arrives.
        await orders.recordRefund(order.serial, paymentId, await payments.refund(paymentId, order.amount - refunded(order)));
      } else return c.redirect(`/admin?done=${encodeURIComponent(`Order ${order.serial}: “${action}” is not possible now.`)}`, 303);
    } catch (error) {
      return c.redirect(`/admin?done=${encodeURIComponent(`Order ${order.serial}: ${(error as Error).message}`)}`, 303);
    }
    return c.redirect(`/admin?done=${encodeURIComponent(`Order ${order.serial}: done (${action}).`)}`, 303);
  });
  app.route('/admin', admin);

  return { app, orders };
}

const orderNotFound = () =>
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head><body><p>No such order in this browser. <a href="/">Back to the shop</a></p></body></html>';

/**
 * The bookshop listening on `port` (0: any free port) until `close()`; without a `shopUrl`
 * it is at `http://localhost:<port>`.
 */
export function startBookshop(config: Omit<BookshopConfig, 'shopUrl'> & ListenOptions) {
  return listen(config, (shopUrl) => createBookshop({ ...config, shopUrl }));
}
