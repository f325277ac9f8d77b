import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type ListenOptions, listen, refusalReason, securityHeaders, staticAssets } from '@caisse/example-store-support';
import { ensureState } from '@caisse/server-kit';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { ARTICLES, findArticle } from './articles.js';
import { type Access, articlePage, frontPage, historyPage } from './pages.js';
import { createPayments, type HourEnd } from './payments.js';
import { openReadings } from './readings.js';

export interface NewsstandConfig {
  /** Where the newsstand is reached, e.g. `http://localhost:4200`: its origin is registered with the payment server. */
  shopUrl: string;
  paymentServerUrl: string;
  merchantId: string;
  signingKey: Record<string, unknown>;
  /** Folder of the readings file. */
  dataDir: string;
  /** The clock of the live prices (a fresh article costs more: `priceAt` in articles.ts); default the system's. */
  priceClock?: (() => Date) | undefined;
}

/** A Caisse account id, as the protocol writes it. */
const ACCOUNT = /^[A-Za-z0-9._:-]{1,64}$/;
const account = (c: Context): string | undefined => {
  const value = getCookie(c, 'caisse_account');
  return value && ACCOUNT.test(value) ? value : undefined;
};

const WIDGET = createRequire(import.meta.url).resolve('@caisse/widget/caisse.js');

/**
 * The reasons `?hour=` may name after an article the hour of reading could not open (the
 * hour then ended); anything else is not shown. `short` is not one: the page sees it itself.
 */
const HOUR_ENDS: readonly HourEnd[] = ['exhausted', 'expired', 'revoked', 'ended'];
const hourEnd = (c: Context): HourEnd | undefined => HOUR_ENDS.find((why) => why === c.req.query('hour'));

/**
 * The newsstand as a Hono app over its readings file, without listening (`startNewsstand` listens).
 * @example const { app, readings } = await createNewsstand(config); serve({ fetch: app.fetch, port: 4200 })
 */
export async function createNewsstand(config: NewsstandConfig) {
  const readings = await openReadings(join(config.dataDir, 'readings.json'));
  const payments = await createPayments(config, readings);
  const secure = config.shopUrl.startsWith('https:');
  const csp = `default-src 'self'; script-src 'self'; style-src 'self'; form-action 'self' ${payments.paymentServer}; connect-src 'self'; frame-ancestors 'none'`;

  /** The reader is this browser: the state of its Caisse cookie, made on the first visit. */
  function reader(c: Context): string {
    const { state, setCookie } = ensureState(c.req.raw, { secure });
    if (setCookie) c.header('set-cookie', setCookie, { append: true });
    return state;
  }

  /** The header's facts about the reader. */
  const bar = (me: string) => ({ spentToday: readings.spentToday(me), hourLeft: readings.hourOf(me)?.remaining });

  const app = new Hono();
  app.use(securityHeaders(csp));
  app.use(csrf({ origin: new URL(config.shopUrl).origin }));
  // Forms and tokens are small: nothing larger is read.
  app.use(bodyLimit({ maxSize: 64 * 1024 }));
  app.route(
    '/assets',
    staticAssets(new URL('../assets/', import.meta.url), { 'caisse.js': WIDGET, 'news.js': 'news.js', 'news.css': 'news.css' }),
  );

  app.get('/', (c) => {
    const me = reader(c);
    return c.html(frontPage(ARTICLES, (id) => readings.hasRead(me, id), payments.priceOf, bar(me)));
  });
  app.get('/articles/:id', async (c) => {
    const article = findArticle(c.req.param('id'));
    if (!article) return c.html('<!doctype html><title>Not found</title><p>No such article. <a href="/">Front page</a></p>', 404);
    const me = reader(c);
    const hour = readings.hourOf(me);
    const price = payments.priceOf(article);
    // During an hour of reading that covers the article: one click. Otherwise the widget
    // that asks the payment server for the article's price (a quote: no ticket signed
    // until the reader asks) and the offer of an hour, with why the hour did not open it,
    // if it did not, and, back from a refused payment (our return handler adds
    // `caisse_reason`), why.
    let access: Access;
    if (readings.hasRead(me, article.id)) access = { read: true };
    else if (hour && hour.remaining >= price) access = { hour };
    else {
      access = {
        merchant: config.merchantId,
        state: me,
        hourTicket: await payments.hourTicketFor(me, article, account(c)),
        server: payments.paymentServer,
        account: account(c),
        why: hour ? 'short' : hourEnd(c),
        hour,
        refused: refusalReason(c.req.query('caisse_reason')),
      };
    }
    return c.html(articlePage(article, access, price, bar(me)));
  });
  // One click during an hour of reading: charged under the allowance, no phone step. Back
  // to the article, open, or with why the hour could not pay for it.
  app.post('/articles/:id/read', async (c) => {
    const article = findArticle(c.req.param('id'));
    if (!article) return c.notFound();
    const me = reader(c);
    if (readings.hasRead(me, article.id)) return c.redirect(`/articles/${article.id}`, 303);
    const outcome = await payments.readWithHour(article, me);
    return c.redirect(`/articles/${article.id}${outcome.opened ? '' : `?hour=${outcome.why}`}`, 303);
  });
  // The reader's Caisse account, if they chose to tell us: kept in this browser only.
  app.post('/account', async (c) => {
    const form = await c.req.parseBody();
    const value = String(form.account ?? '').trim();
    if (form.forget || !ACCOUNT.test(value)) deleteCookie(c, 'caisse_account', { path: '/' });
    else setCookie(c, 'caisse_account', value, { path: '/', httpOnly: true, sameSite: 'Lax', secure, maxAge: 365 * 86400 });
    const back = findArticle(String(form.article ?? ''));
    return c.redirect(back ? `/articles/${back.id}` : '/', 303);
  });
  app.get('/history', (c) => {
    const me = reader(c);
    return c.html(historyPage(readings.history(me), (id) => findArticle(id)?.title ?? id, bar(me)));
  });

  // The payment server asks here what an article costs now (a signed request, verified by the handler).
  app.post('/caisse/quote', (c) => payments.quoteHandler(c.req.raw));
  app.on(['GET', 'POST'], '/caisse/return', (c) => payments.returnHandler(c.req.raw));
  app.post('/caisse/notify', (c) => payments.notificationHandler(c.req.raw));
  return { app, readings };
}

/**
 * The newsstand listening on `port` (0: any free port) until `close()`; without a `shopUrl`
 * it is at `http://localhost:<port>`.
 */
export function startNewsstand(config: Omit<NewsstandConfig, 'shopUrl'> & ListenOptions) {
  return listen(config, (shopUrl) => createNewsstand({ ...config, shopUrl }));
}
