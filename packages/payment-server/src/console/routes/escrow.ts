import type { Hono } from 'hono';
import { accountPaymentSerial } from '../../account/payment-detail.js';
import { ProblemError } from '../../http/problem.js';
import { afterPost, baseView, type ConsoleDeps, type ConsoleEnv, checkForm, localeOf, signedIn, takeAction } from '../http.js';
import { escrowPage } from '../pages/escrow.js';
import { consolePayment, heldPayments } from '../queries.js';
import { mayTake } from '../roles.js';

/**
 * Held payments, released to the merchant or returned to the customer by finance. The
 * escrow service records who resolved a payment as the merchant (the protocol's resolvers
 * are merchant, carrier and time-out); the register says which operator it was.
 */
export function escrowRoutes(consoleApp: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  consoleApp.get('/escrow', async (c) => {
    const operator = signedIn(c);
    const done = c.req.query('done');
    return c.html(
      escrowPage(
        {
          ...baseView(c, deps, operator),
          held: await heldPayments(deps.db),
          canResolve: mayTake(operator.role, 'escrow.release'),
          ...(done === 'released' || done === 'voided' ? { done } : {}),
        },
        localeOf(c),
      ),
    );
  });

  for (const [path, action, done] of [
    ['release', 'escrow.release', 'released'],
    ['void', 'escrow.void', 'voided'],
  ] as const) {
    consoleApp.post(`/payments/:id/${path}`, async (c) => {
      checkForm(c, deps, (await c.req.parseBody()).csrf);
      const serial = accountPaymentSerial(c.req.param('id') ?? '');
      const payment = serial === undefined ? undefined : await consolePayment(deps.db, serial);
      if (payment === undefined) throw new ProblemError('not_found');
      const note = `operator:${signedIn(c).id}`;
      await takeAction(c, deps, action, payment.id, () => deps.escrow[path](payment.merchantId, payment.serial, { by: 'merchant', note }), {
        merchant: payment.merchantId,
      });
      return c.redirect(afterPost(c, '/console/escrow', done), 303);
    });
  }
}
