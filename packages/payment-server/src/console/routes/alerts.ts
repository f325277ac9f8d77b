import type { Hono } from 'hono';
import { afterPost, baseView, type ConsoleDeps, type ConsoleEnv, checkForm, localeOf, signedIn, takeAction } from '../http.js';
import { alertsPage } from '../pages/alerts.js';
import { mayTake } from '../roles.js';

/** Open alerts, and acknowledging one (support). */
export function alertRoutes(consoleApp: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  consoleApp.get('/alerts', async (c) => {
    const operator = signedIn(c);
    const alerts = await deps.alerts.list();
    return c.html(
      alertsPage(
        {
          ...baseView(c, deps, operator),
          alerts,
          canAcknowledge: mayTake(operator.role, 'alert.acknowledge'),
          ...(c.req.query('done') === 'acknowledged' ? { done: 'acknowledged' as const } : {}),
        },
        localeOf(c),
      ),
    );
  });

  consoleApp.post('/alerts/acknowledge', async (c) => {
    const form = await c.req.parseBody();
    checkForm(c, deps, form.csrf);
    const operator = signedIn(c);
    const id = typeof form.id === 'string' ? form.id : '';
    await takeAction(c, deps, 'alert.acknowledge', id, () => deps.alerts.acknowledge(id, { by: `operator:${operator.id}` }));
    return c.redirect(afterPost(c, '/console/alerts', 'acknowledged'), 303);
  });
}
