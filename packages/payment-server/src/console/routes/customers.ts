import type { Context, Hono } from 'hono';
import { ProblemError, problemOf } from '../../http/problem.js';
import { afterPost, baseView, type ConsoleDeps, type ConsoleEnv, checkForm, localeOf, signedIn, takeAction } from '../http.js';
import { customerPage, customersPage } from '../pages/customers.js';
import { walletBalances } from '../queries.js';
import { mayTake } from '../roles.js';

/** Finding a customer by account id or phone, their page, unlocking them and revoking a phone (support). */
export function customerRoutes(consoleApp: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  async function requireCustomer(c: Context) {
    try {
      return await deps.customers.get(c.req.param('id') ?? '');
    } catch (error) {
      if (problemOf(error)?.code === 'customer_unknown') throw new ProblemError('not_found', undefined, { cause: error });
      throw error;
    }
  }

  const customerPath = (id: string) => `/console/customers/${encodeURIComponent(id)}`;

  consoleApp.get('/customers', async (c) => {
    const query = c.req.query('q')?.trim() ?? '';
    if (query !== '') {
      const found = query.startsWith('+')
        ? await deps.customers.findByPhone(query)
        : await deps.customers.get(query).catch((error: unknown) => {
            if (problemOf(error)?.code === 'customer_unknown') return undefined;
            throw error;
          });
      if (found !== undefined) return c.redirect(afterPost(c, customerPath(found.id)), 303);
    }
    return c.html(customersPage({ ...baseView(c, deps, signedIn(c)), query }, localeOf(c)), query === '' ? 200 : 404);
  });

  consoleApp.get('/customers/:id', async (c) => {
    const operator = signedIn(c);
    const customer = await requireCustomer(c);
    const [wallets, devices] = await Promise.all([walletBalances(deps.db, customer.id), deps.devices.list(customer.id)]);
    const done = c.req.query('done');
    return c.html(
      customerPage(
        {
          ...baseView(c, deps, operator),
          customer,
          wallets,
          devices,
          can: { unlock: mayTake(operator.role, 'customer.unlock'), revoke: mayTake(operator.role, 'device.revoke') },
          ...(done === 'unlocked' || done === 'device_revoked' ? { done } : {}),
        },
        localeOf(c),
      ),
    );
  });

  consoleApp.post('/customers/:id/unlock', async (c) => {
    checkForm(c, deps, (await c.req.parseBody()).csrf);
    const customer = await requireCustomer(c);
    await takeAction(c, deps, 'customer.unlock', customer.id, () => deps.customers.unlock(customer.id));
    return c.redirect(afterPost(c, customerPath(customer.id), 'unlocked'), 303);
  });

  consoleApp.post('/customers/:id/devices/revoke', async (c) => {
    const form = await c.req.parseBody();
    checkForm(c, deps, form.csrf);
    const customer = await requireCustomer(c);
    const device = typeof form.device === 'string' ? form.device : '';
    // Only a phone of this customer: another's is `device_unknown`.
    await takeAction(c, deps, 'device.revoke', customer.id, () => deps.devices.revoke(device, { customerId: customer.id }), { device });
    return c.redirect(afterPost(c, customerPath(customer.id), 'device_revoked'), 303);
  });
}
