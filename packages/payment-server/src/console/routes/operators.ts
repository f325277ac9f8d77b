import type { Context, Hono } from 'hono';
import { afterPost, baseView, type ConsoleDeps, type ConsoleEnv, checkForm, localeOf, signedIn, takeAction } from '../http.js';
import { type OperatorsView, operatorsPage } from '../pages/operators.js';
import { mayTake } from '../roles.js';

/** The operators (everyone reads), disabled, unlocked or given a new second factor by an admin. */
export function operatorRoutes(consoleApp: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  async function page(c: Context<ConsoleEnv>, extra: Partial<OperatorsView> = {}) {
    const operator = signedIn(c);
    const done = c.req.query('done');
    return c.html(
      operatorsPage(
        {
          ...baseView(c, deps, operator),
          operators: await deps.operators.list(),
          canManage: mayTake(operator.role, 'operator.disable'),
          ...(done === 'disabled' || done === 'unlocked' ? { done } : {}),
          ...extra,
        },
        localeOf(c),
      ),
    );
  }

  consoleApp.get('/operators', (c) => page(c));

  for (const [path, action, done] of [
    ['disable', 'operator.disable', 'disabled'],
    ['unlock', 'operator.unlock', 'unlocked'],
  ] as const) {
    consoleApp.post(`/operators/${path}`, async (c) => {
      const form = await c.req.parseBody();
      checkForm(c, deps, form.csrf);
      const id = typeof form.operator === 'string' ? form.operator : '';
      await takeAction(c, deps, action, id, () => deps.operators[path](id));
      return c.redirect(afterPost(c, '/console/operators', done), 303);
    });
  }

  // The new secret is on this answer only (never stored in clear, never in a URL): no redirect, and never cached.
  consoleApp.post('/operators/reset-totp', async (c) => {
    const form = await c.req.parseBody();
    checkForm(c, deps, form.csrf);
    const id = typeof form.operator === 'string' ? form.operator : '';
    const { totp } = await takeAction(c, deps, 'operator.reset_totp', id, () => deps.operators.resetTotp(id));
    c.header('cache-control', 'no-store');
    return page(c, { enrollment: { operatorId: id, totp } });
  });
}
