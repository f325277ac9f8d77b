import type { Hono } from 'hono';
import { verifyAudit } from '../../audit/verify.js';
import { listActions } from '../activity.js';
import { afterPost, baseView, type ConsoleDeps, type ConsoleEnv, checkForm, localeOf, signedIn, takeAction } from '../http.js';
import { auditPage } from '../pages/audit.js';
import { mayTake } from '../roles.js';

/** Findings kept in the register with a run: enough to act on; `caisse-server audit verify` prints them all. */
const FINDINGS_KEPT = 10;

/**
 * `audit verify` from the console (finance). A run's result is kept in the register with
 * the action (counts, head, the first findings), so the page shows the latest run to
 * everyone after a POST-redirect-GET, and a run is itself audited.
 */
export function auditRoutes(consoleApp: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  consoleApp.get('/audit', async (c) => {
    const operator = signedIn(c);
    const [last] = await listActions(deps.db, { actions: ['audit.verify'], limit: 1 });
    return c.html(auditPage({ ...baseView(c, deps, operator), last, canVerify: mayTake(operator.role, 'audit.verify') }, localeOf(c)));
  });

  consoleApp.post('/audit/verify', async (c) => {
    checkForm(c, deps, (await c.req.parseBody()).csrf);
    await takeAction(
      c,
      deps,
      'audit.verify',
      'register',
      () => verifyAudit(deps.db),
      {},
      (report) => ({
        ok: report.ok,
        findings: report.findings.length,
        batches: report.batches,
        sealedTransfers: report.sealedTransfers,
        unsealedTransfers: report.unsealedTransfers,
        head: report.head === null ? null : `${report.head.seq}:${report.head.hash}`,
        ...Object.fromEntries(
          report.findings.slice(0, FINDINGS_KEPT).map((finding, index) => [`finding_${index + 1}`, `${finding.kind}: ${finding.detail}`]),
        ),
      }),
    );
    return c.redirect(afterPost(c, '/console/audit'), 303);
  });
}
