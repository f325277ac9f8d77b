import type { Hono } from 'hono';
import { listActions } from '../activity.js';
import { baseView, type ConsoleDeps, type ConsoleEnv, localeOf, signedIn } from '../http.js';
import { activityPage } from '../pages/activity.js';

const PAGE_SIZE = 100;

/** The register of operator actions, newest first, by operator or subject, a page at a time (reads only). */
export function activityRoutes(consoleApp: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  consoleApp.get('/activity', async (c) => {
    const operator = c.req.query('operator')?.trim() ?? '';
    const subject = c.req.query('subject')?.trim() ?? '';
    const before = /^[1-9][0-9]{0,18}$/.test(c.req.query('before') ?? '') ? BigInt(c.req.query('before') as string) : undefined;
    const actions = await listActions(deps.db, {
      ...(operator === '' ? {} : { operatorId: operator }),
      ...(subject === '' ? {} : { subject }),
      ...(before === undefined ? {} : { before }),
      limit: PAGE_SIZE,
    });
    const last = actions.at(-1);
    const older =
      actions.length === PAGE_SIZE && last !== undefined
        ? `/console/activity?${new URLSearchParams({ operator, subject, before: last.seq.toString() })}`
        : undefined;
    return c.html(
      activityPage({ ...baseView(c, deps, signedIn(c)), filter: { operator, subject }, actions, ...(older ? { older } : {}) }, localeOf(c)),
    );
  });
}
