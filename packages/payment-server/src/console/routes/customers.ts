import type { Context, Hono } from 'hono';
import { ProblemError, problemOf } from '../../http/problem.js';
import { text } from '../../pages/i18n.js';
import { afterPost, baseView, type ConsoleDeps, type ConsoleEnv, checkForm, localeOf, refusalOf, signedIn, takeAction } from '../http.js';
import { type CustomerDetailView, customerPage, customersPage } from '../pages/customers.js';
import { walletBalances } from '../queries.js';
import { mayTake } from '../roles.js';

const DONE = ['locked', 'unlocked', 'device_revoked'] as const;

/** Finding a customer by account id or phone, their page, locking (with a reason) and unlocking them and revoking a phone (support). */
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

  async function detail(c: Context<ConsoleEnv>, extra: Partial<CustomerDetailView> = {}, status = 200) {
    const operator = signedIn(c);
    const customer = await requireCustomer(c);
    const [wallets, devices] = await Promise.all([walletBalances(deps.db, customer.id), deps.devices.list(customer.id)]);
    const done = DONE.find((each) => each === c.req.query('done'));
    const view: CustomerDetailView = {
      ...baseView(c, deps, operator),
      customer,
      wallets,
      devices,
      can: {
        lock: mayTake(operator.role, 'customer.lock'),
        unlock: mayTake(operator.role, 'customer.unlock'),
        revoke: mayTake(operator.role, 'device.revoke'),
      },
      ...(done ? { done } : {}),
      ...extra,
    };
    return c.html(customerPage(view, localeOf(c)), status as 200);
  }

  consoleApp.get('/customers/:id', (c) => detail(c));

  consoleApp.post('/customers/:id/lock', async (c) => {
    const form = await c.req.parseBody();
    checkForm(c, deps, form.csrf);
    const customer = await requireCustomer(c);
    const reason = typeof form.reason === 'string' ? form.reason.trim() : '';
    try {
      // The service refuses a missing reason (`request_invalid`): the role is checked first, so a viewer learns nothing.
      await takeAction(c, deps, 'customer.lock', customer.id, () => deps.customers.lock(customer.id, reason), { reason });
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal === undefined || refusal.code === 'operator_role_forbidden') throw error;
      const message =
        refusal.code === 'request_invalid' ? text(localeOf(c), 'console.customer.reasonRequired') : `${refusal.detail} (${refusal.code})`;
      return detail(c, { error: { field: 'reason', message } }, refusal.status);
    }
    return c.redirect(afterPost(c, customerPath(customer.id), 'locked'), 303);
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
