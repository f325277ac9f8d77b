import type { Hono } from 'hono';
import { parseIsoDate } from '../../pages/i18n.js';
import { baseView, type ConsoleDeps, type ConsoleEnv, localeOf, signedIn } from '../http.js';
import { settlementPage, settlementReportPage } from '../pages/settlement.js';
import { daySettlements } from '../queries.js';

const DAY_MS = 86_400_000;

/** The settlements of a day per acquirer, and one merchant till's report of the day (reads only). */
export function settlementRoutes(consoleApp: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const now = deps.now ?? (() => new Date());

  consoleApp.get('/settlement', async (c) => {
    const asked = c.req.query('date') ?? '';
    // Yesterday by default: the latest day whose cut-off has surely passed.
    const date = parseIsoDate(asked) ? asked : new Date(now().getTime() - DAY_MS).toISOString().slice(0, 10);
    return c.html(
      settlementPage({ ...baseView(c, deps, signedIn(c)), date, settlements: await daySettlements(deps.db, date) }, localeOf(c)),
    );
  });

  consoleApp.get('/settlement/:merchant/:date', async (c) => {
    const report = await deps.settlement.report(c.req.param('merchant'), c.req.param('date'));
    return c.html(settlementReportPage({ ...baseView(c, deps, signedIn(c)), report }, localeOf(c)));
  });
}
