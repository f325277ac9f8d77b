import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ProblemError } from '../http/problem.js';
import { afterPost, baseView, type ConsoleDeps, type ConsoleEnv, localeOf, refusalOf, sessionToken } from './http.js';
import { CONSOLE_CSS, CONSOLE_CSS_PATH } from './pages/css.js';
import { consoleErrorPage } from './pages/error.js';
import { activityRoutes } from './routes/activity.js';
import { alertRoutes } from './routes/alerts.js';
import { auditRoutes } from './routes/audit.js';
import { customerRoutes } from './routes/customers.js';
import { escrowRoutes } from './routes/escrow.js';
import { merchantRoutes } from './routes/merchants.js';
import { notificationRoutes } from './routes/notifications.js';
import { operatorRoutes } from './routes/operators.js';
import { paymentRoutes } from './routes/payments.js';
import { settlementRoutes } from './routes/settlement.js';
import { signInRoutes } from './routes/sign-in.js';

/** Forms are a few fields (a public key is the largest): anything bigger is refused before it is read. */
const MAX_FORM_BYTES = 16 * 1024;

/** Paths served to anyone: the sign-in steps and the stylesheet. Everything else needs a signed-in operator. */
const PUBLIC = new Set(['/console/sign-in', '/console/sign-in/code', '/console/sign-out', CONSOLE_CSS_PATH]);

/**
 * The operator console under `/console`: a Hono app of its own, mounted on the payment
 * server's. Server-rendered pages in English and French that work without script (plain
 * forms, POST-redirect-GET); a session in the database behind a password and a TOTP code;
 * every action checked against the operator's role on the server and recorded in the
 * hash-chained register.
 * @example createApp({ …, routes: [consoleRoutes(deps)] })
 */
export function consoleRoutes(deps: ConsoleDeps) {
  const consoleApp = new Hono<ConsoleEnv>();

  consoleApp.use(
    '*',
    bodyLimit({
      maxSize: MAX_FORM_BYTES,
      onError: (c) =>
        c.html(consoleErrorPage({ ...baseView(c, deps), status: 413, code: 'body_too_large', back: '/console' }, localeOf(c)), 413),
    }),
  );

  // Every page but the public ones: the operator of a live session, read afresh, or the sign-in page (nothing done).
  consoleApp.use('*', async (c, next) => {
    if (PUBLIC.has(c.req.path)) return next();
    const operator = await deps.sessions.signedIn(sessionToken(c));
    if (operator === undefined) {
      const notice = sessionToken(c) === undefined ? '' : '?notice=session_ended';
      return c.redirect(afterPost(c, `/console/sign-in${notice}`), 303);
    }
    c.set('operator', operator);
    // Console pages show customers' and merchants' business: never kept by a shared cache or the browser's.
    c.header('cache-control', 'no-store');
    return next();
  });

  consoleApp.get('/assets/console.css', (c) => {
    c.header('cache-control', 'public, max-age=31536000, immutable');
    return c.body(CONSOLE_CSS, 200, { 'content-type': 'text/css; charset=utf-8' });
  });

  consoleApp.get('/', (c) => c.redirect(afterPost(c, '/console/payments'), 303));
  signInRoutes(consoleApp, deps);
  paymentRoutes(consoleApp, deps);
  merchantRoutes(consoleApp, deps);
  customerRoutes(consoleApp, deps);
  escrowRoutes(consoleApp, deps);
  settlementRoutes(consoleApp, deps);
  notificationRoutes(consoleApp, deps);
  alertRoutes(consoleApp, deps);
  auditRoutes(consoleApp, deps);
  activityRoutes(consoleApp, deps);
  operatorRoutes(consoleApp, deps);

  // Last: any other path under /console (the payment server's own not-found answer is JSON).
  consoleApp.all('*', () => {
    throw new ProblemError('not_found');
  });

  // Refusals (a role, a form token, a service's code) become a page that says which, by its code; anything else is logged.
  consoleApp.onError((error, c) => {
    const refusal = refusalOf(error);
    if (refusal === undefined) deps.log.error('console.unhandled', { method: c.req.method, path: c.req.path, error });
    const operator = c.get('operator');
    const view = {
      ...baseView(c, deps, operator),
      status: refusal?.status ?? 500,
      code: refusal?.code ?? 'internal_error',
      ...(refusal ? { detail: refusal.detail } : {}),
      back: c.req.method === 'GET' ? '/console' : formPage(new URL(c.req.url).pathname),
    };
    return c.html(consoleErrorPage(view, localeOf(c)), view.status as 500);
  });

  return (app: Hono) => {
    app.route('/console', consoleApp);
  };
}

/**
 * The page a form was posted from, by its action: the action's last step (and a
 * sub-collection's name) taken off, e.g. `/console/merchants/bookshop/keys/retire` →
 * `/console/merchants/bookshop`. Browsers send no Referer here (`no-referrer`).
 */
function formPage(action: string): string {
  return action.replace(/\/[a-z-]+$/, '').replace(/\/(?:keys|devices)$/, '') || '/console';
}
