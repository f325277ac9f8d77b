import type { Hono } from 'hono';
import { afterPost, baseView, type ConsoleDeps, type ConsoleEnv, checkForm, localeOf, signedIn, takeAction } from '../http.js';
import { notificationsPage } from '../pages/notifications.js';
import { mayTake } from '../roles.js';

/** Parked notifications, and resending one (support). */
export function notificationRoutes(consoleApp: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  consoleApp.get('/notifications', async (c) => {
    const operator = signedIn(c);
    const notifications = await deps.notifications.list({ status: 'parked', limit: 500 });
    const resent = c.req.query('done');
    return c.html(
      notificationsPage(
        {
          ...baseView(c, deps, operator),
          notifications,
          canResend: mayTake(operator.role, 'notification.resend'),
          ...(resent ? { resent } : {}),
        },
        localeOf(c),
      ),
    );
  });

  consoleApp.post('/notifications/resend', async (c) => {
    const form = await c.req.parseBody();
    checkForm(c, deps, form.csrf);
    const id = typeof form.id === 'string' ? form.id : '';
    const resent = await takeAction(c, deps, 'notification.resend', id, () => deps.notifications.resend(id));
    return c.redirect(afterPost(c, '/console/notifications', resent.id), 303);
  });
}
