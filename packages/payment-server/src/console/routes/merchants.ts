import type { Context, Hono } from 'hono';
import { ProblemError, problemOf } from '../../http/problem.js';
import type { Merchant } from '../../merchants/model.js';
import { text } from '../../pages/i18n.js';
import { afterPost, baseView, type ConsoleDeps, type ConsoleEnv, checkForm, localeOf, refusalOf, signedIn, takeAction } from '../http.js';
import { type MerchantDetailView, merchantPage, merchantsPage } from '../pages/merchants.js';
import { mayTake } from '../roles.js';

const DONE = ['approved', 'suspended', 'resumed', 'key_added', 'key_retired', 'origins_set'] as const;

/** The merchants: list and search, a merchant's page, approve, suspend (with a reason), resume, keys, return origins (admin). */
export function merchantRoutes(consoleApp: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  /** The merchant of the path; an unknown one is not found (the service says `merchant_unknown`). */
  async function requireMerchant(c: Context): Promise<Merchant> {
    try {
      return await deps.merchants.get(c.req.param('id') ?? '');
    } catch (error) {
      if (problemOf(error)?.code === 'merchant_unknown') throw new ProblemError('not_found', undefined, { cause: error });
      throw error;
    }
  }

  async function detail(c: Context<ConsoleEnv>, extra: Partial<MerchantDetailView> = {}, status = 200) {
    const operator = signedIn(c);
    const merchant = await requireMerchant(c);
    const history = await deps.merchants.statusHistory(merchant.id);
    const may = (action: Parameters<typeof mayTake>[1]) => mayTake(operator.role, action);
    const done = DONE.find((each) => each === c.req.query('done'));
    const view: MerchantDetailView = {
      ...baseView(c, deps, operator),
      merchant,
      history,
      can: {
        approve: merchant.status === 'pending' && may('merchant.approve'),
        suspend: merchant.status !== 'suspended' && may('merchant.suspend'),
        resume: merchant.status === 'suspended' && may('merchant.resume'),
        keys: may('merchant.key.add'),
        origins: may('merchant.origins'),
      },
      ...(done ? { done } : {}),
      ...extra,
    };
    return c.html(merchantPage(view, localeOf(c)), status as 200);
  }

  /** A refused form shown on the merchant's page, by the field it is about, in the operator's words where there are some. */
  async function refusedOn(
    c: Context<ConsoleEnv>,
    field: 'reason' | 'jwk' | 'origins',
    error: unknown,
    words?: 'console.merchant.reasonRequired',
    extra: Partial<MerchantDetailView> = {},
  ) {
    const refusal = refusalOf(error);
    if (refusal === undefined || refusal.code === 'operator_role_forbidden') throw error;
    const message = words === undefined ? `${refusal.detail} (${refusal.code})` : text(localeOf(c), words);
    return detail(c, { error: { field, message }, ...extra }, refusal.status);
  }

  consoleApp.get('/merchants', async (c) => {
    const query = c.req.query('q')?.trim() ?? '';
    const needle = query.toLowerCase();
    const merchants = (await deps.merchants.list({ limit: 1000 })).filter(
      (merchant) => needle === '' || merchant.id.toLowerCase().includes(needle) || merchant.displayName.toLowerCase().includes(needle),
    );
    const entries = merchants.map((merchant) => ({
      id: merchant.id,
      displayName: merchant.displayName,
      status: merchant.status,
      activeKeys: merchant.jwks.keys.length,
      createdAt: merchant.createdAt,
    }));
    return c.html(merchantsPage({ ...baseView(c, deps, signedIn(c)), query, merchants: entries }, localeOf(c)));
  });

  consoleApp.get('/merchants/:id', (c) => detail(c));

  for (const move of ['approve', 'resume'] as const) {
    consoleApp.post(`/merchants/:id/${move}`, async (c) => {
      checkForm(c, deps, (await c.req.parseBody()).csrf);
      const merchant = await requireMerchant(c);
      const by = `operator:${signedIn(c).id}`;
      await takeAction(c, deps, `merchant.${move}`, merchant.id, () => deps.merchants[move](merchant.id, { by }));
      return c.redirect(
        afterPost(c, `/console/merchants/${encodeURIComponent(merchant.id)}`, move === 'approve' ? 'approved' : 'resumed'),
        303,
      );
    });
  }

  consoleApp.post('/merchants/:id/suspend', async (c) => {
    const form = await c.req.parseBody();
    checkForm(c, deps, form.csrf);
    const merchant = await requireMerchant(c);
    const reason = typeof form.reason === 'string' ? form.reason.trim() : '';
    const by = `operator:${signedIn(c).id}`;
    try {
      // The service refuses a missing reason too (`request_invalid`): the role is checked first, so a viewer learns nothing.
      await takeAction(c, deps, 'merchant.suspend', merchant.id, () => deps.merchants.suspend(merchant.id, { by, reason }), { reason });
    } catch (error) {
      return refusedOn(c, 'reason', error, problemOf(error)?.code === 'request_invalid' ? 'console.merchant.reasonRequired' : undefined);
    }
    return c.redirect(afterPost(c, `/console/merchants/${encodeURIComponent(merchant.id)}`, 'suspended'), 303);
  });

  consoleApp.post('/merchants/:id/keys', async (c) => {
    const form = await c.req.parseBody();
    checkForm(c, deps, form.csrf);
    const merchant = await requireMerchant(c);
    const typed = typeof form.jwk === 'string' ? form.jwk : '';
    try {
      let jwk: unknown;
      try {
        jwk = JSON.parse(typed);
      } catch (cause) {
        throw new ProblemError('keys_invalid', 'The key is not JSON: paste one public JWK.', { cause });
      }
      const kid = String((jwk as { kid?: unknown } | null)?.kid ?? '');
      await takeAction(c, deps, 'merchant.key.add', merchant.id, () => deps.merchants.addKey(merchant.id, jwk), { kid });
    } catch (error) {
      return refusedOn(c, 'jwk', error);
    }
    return c.redirect(afterPost(c, `/console/merchants/${encodeURIComponent(merchant.id)}`, 'key_added'), 303);
  });

  consoleApp.post('/merchants/:id/origins', async (c) => {
    const form = await c.req.parseBody();
    checkForm(c, deps, form.csrf);
    const merchant = await requireMerchant(c);
    const typed = typeof form.origins === 'string' ? form.origins : '';
    // One origin a line, as the form asks; blank lines are no origin. An empty list is the service's to refuse (`origin_invalid`).
    const origins = typed
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== '');
    try {
      await takeAction(c, deps, 'merchant.origins', merchant.id, () => deps.merchants.setReturnOrigins(merchant.id, origins), {
        origins: origins.join(' '),
      });
    } catch (error) {
      return refusedOn(c, 'origins', error, undefined, { originsTyped: typed });
    }
    return c.redirect(afterPost(c, `/console/merchants/${encodeURIComponent(merchant.id)}`, 'origins_set'), 303);
  });

  consoleApp.post('/merchants/:id/keys/retire', async (c) => {
    const form = await c.req.parseBody();
    checkForm(c, deps, form.csrf);
    const merchant = await requireMerchant(c);
    const kid = typeof form.kid === 'string' ? form.kid : '';
    await takeAction(c, deps, 'merchant.key.retire', merchant.id, () => deps.merchants.retireKey(merchant.id, kid), { kid });
    return c.redirect(afterPost(c, `/console/merchants/${encodeURIComponent(merchant.id)}`, 'key_retired'), 303);
  });
}
