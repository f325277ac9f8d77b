/** Test support: operators of a test server, and a scripted browser that signs in to the console with their second factor. */

import { createState } from '@caisse/server-kit';
import { ScriptedBrowser } from '../../__fixtures__/browser.js';
import { SHOP_ORIGIN, type startTestServer } from '../../__fixtures__/payment-server.js';
import type { PaymentServer } from '../../server.js';
import type { Role } from '../roles.js';
import { base32Decode, totpCode, totpStep } from '../totp.js';

export const OPERATOR_PASSWORD = 'a long operator passphrase';

export interface TestOperator {
  id: string;
  role: Role;
  /** The base32 secret `operators add` printed, as the authenticator app holds it. */
  secret: string;
}

/** Adds an operator as `caisse-server operators add` does, keeping the secret it prints. */
export async function addOperator(server: PaymentServer, id: string, role: Role): Promise<TestOperator> {
  const { totp } = await server.operators.add({
    id,
    displayName: `${id[0]?.toUpperCase()}${id.slice(1)} Example`,
    role,
    password: OPERATOR_PASSWORD,
  });
  return { id, role, secret: totp.secret };
}

/** The code the operator's authenticator app shows at `at`. */
export function codeAt(operator: Pick<TestOperator, 'secret'>, at: Date): string {
  return totpCode(base32Decode(operator.secret), totpStep(at));
}

/**
 * Signs in with id, password and the code of the frozen clock's step, as an operator in a
 * browser does; `tick` moves the clock on a step first, so a code is never replayed.
 * @returns the browser (its cookies hold the session) and the page the sign-in led to
 */
export async function signedInBrowser(url: string, operator: TestOperator, clock: { now: () => Date; tick: () => void }) {
  clock.tick();
  const browser = new ScriptedBrowser(url);
  const form = await browser.go('/console/sign-in');
  const code = await browser.go('/console/sign-in', {
    form: { csrf: ScriptedBrowser.csrf(form.html), operator: operator.id, password: OPERATOR_PASSWORD },
  });
  const landed = await browser.go('/console/sign-in/code', {
    form: { csrf: ScriptedBrowser.csrf(code.html), code: codeAt(operator, clock.now()) },
  });
  if (!landed.html?.includes('Signed in as')) throw new Error(`the sign-in failed (${landed.page?.status}): ${landed.html?.slice(0, 400)}`);
  return { browser, html: landed.html };
}

/** A ticket of the test server's merchant for a deferred delivery: paid, it is held in escrow. */
export function deferredTicket(shop: Pick<Awaited<ReturnType<typeof startTestServer>>, 'merchant'>, serial: string): string {
  return shop.merchant.createTicket({
    serial,
    currency: 'EUR',
    items: [{ id: 'lamp', label: 'A lamp', quantity: 1, unitAmount: 3_000, vatRate: 2_000 }],
    returnUrl: `${SHOP_ORIGIN}/paid`,
    cancelUrl: `${SHOP_ORIGIN}/basket`,
    fulfilment: 'deferred',
    state: createState(),
  }).token;
}
