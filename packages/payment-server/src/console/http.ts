import { createHmac } from 'node:crypto';
import type { Mode } from '@caisse/protocol';
import { safeEqual } from '@caisse/server-kit';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AlertService } from '../alerts/service.js';
import type { CustomerService } from '../customers/service.js';
import type { DeviceService } from '../devices/service.js';
import type { EscrowService } from '../escrow/service.js';
import { EvidenceError, type EvidenceErrorCode } from '../evidence/errors.js';
import type { EvidenceDeps } from '../evidence/export.js';
import { clientAddress, type RequestThrottle } from '../http/attempt-throttle.js';
import { browserSecret } from '../http/browser-cookie.js';
import { formFromOurOrigin } from '../http/form-origin.js';
import { ProblemError, problemOf } from '../http/problem.js';
import type { Logger } from '../log.js';
import type { MerchantService } from '../merchants/service.js';
import { isNotificationError, type NotificationErrorCode } from '../notifications/errors.js';
import type { NotificationService } from '../notifications/service.js';
import { LOCALES, type Locale, pickLocale } from '../pages/i18n.js';
import type { RefundService } from '../refunds/service.js';
import type { SettlementService } from '../settlement/service.js';
import type { Database } from '../storage/database.js';
import { type ActionDetails, recordAction } from './activity.js';
import { isOperatorError, OperatorError } from './errors.js';
import type { Operator } from './model.js';
import type { OperatorService } from './operators.js';
import type { ConsoleView } from './pages/layout.js';
import { type ConsoleAction, mayTake } from './roles.js';
import type { OperatorSessions } from './sessions.js';

export interface ConsoleDeps {
  issuer: string;
  /** `test`: every page says no real money moves. */
  mode?: Mode;
  db: Database;
  operators: OperatorService;
  sessions: OperatorSessions;
  merchants: MerchantService;
  customers: Pick<CustomerService, 'get' | 'findByPhone' | 'unlock' | 'lock'>;
  devices: Pick<DeviceService, 'list' | 'revoke'>;
  notifications: Pick<NotificationService, 'list' | 'resend'>;
  alerts: Pick<AlertService, 'list' | 'acknowledge'>;
  refunds: Pick<RefundService, 'create' | 'list'>;
  escrow: Pick<EscrowService, 'release' | 'void'>;
  settlement: Pick<SettlementService, 'report'>;
  /** The payment's evidence bundle (`exportEvidence`), downloaded from its page. */
  evidence: Omit<EvidenceDeps, 'db' | 'now'>;
  /**
   * Wrong passwords and codes per client address, in the database so every instance
   * counts them once (`console_sign_in`): the lock-out stops one operator id being
   * guessed, this stops one address trying many. Right ones cost nothing.
   */
  signInThrottle: RequestThrottle;
  /** `deriveKey(secret, 'csrf')`. */
  csrfKey: Buffer;
  /** CAISSE_TRUST_PROXY: whose address the register records for each action. */
  trustProxy: boolean;
  /** CAISSE_TIME_ZONE. Default UTC. */
  timeZone?: string;
  log: Logger;
  now?: () => Date;
}

export interface ConsoleEnv {
  Variables: { operator: Operator };
}

export type ConsoleRequest = Context<ConsoleEnv>;

/** The console session's cookie: its own name and path, so no other page of this server ever receives it. */
const SESSION_COOKIE = 'caisse_console';
const CONSOLE_PATH = '/console';

/** The language chosen with `?lang=` (exactly one of ours), kept on every link and form; none: the browser's decides. */
export function chosenLanguage(c: Context): Locale | undefined {
  const lang = c.req.query('lang');
  return LOCALES.find((locale) => locale === lang);
}

export function localeOf(c: Context): Locale {
  return pickLocale(c.req.header('accept-language'), chosenLanguage(c));
}

/**
 * What every page's view starts with: the server's settings, the language kept, this page
 * in each language (its path and query, but for `lang` and a `done` notice said once) and
 * the signed-in operator with their form token.
 */
export function baseView(c: Context, deps: ConsoleDeps, operator?: Operator): ConsoleView {
  // The URL as the browser sent it (percent-encoded ASCII), not Hono's decoded path: links hold it as it came.
  const url = new URL(c.req.url);
  url.searchParams.delete('lang');
  url.searchParams.delete('done');
  const path = `${url.pathname}${url.searchParams.size > 0 ? `?${url.searchParams}` : ''}`;
  const separator = path.includes('?') ? '&' : '?';
  return {
    testMode: deps.mode === 'test',
    ...(deps.timeZone ? { timeZone: deps.timeZone } : {}),
    ...(chosenLanguage(c) ? { lang: chosenLanguage(c) as Locale } : {}),
    languageLinks: Object.fromEntries(LOCALES.map((locale) => [locale, `${path}${separator}lang=${locale}`])),
    ...(operator
      ? { signedIn: { id: operator.id, displayName: operator.displayName, role: operator.role, csrf: csrfToken(c, deps) } }
      : {}),
  };
}

/** The form token: bound to this browser's secret cookie, so another site's form cannot carry a valid one. */
export function csrfToken(c: Context, deps: Pick<ConsoleDeps, 'csrfKey' | 'issuer'>): string {
  return createHmac('sha256', deps.csrfKey)
    .update(`console.${browserSecret(c, deps.issuer.startsWith('https:'))}`)
    .digest('base64url');
}

/** Refuses a form from another origin or without this browser's token: `csrf_invalid`, nothing done. */
export function checkForm(c: Context, deps: Pick<ConsoleDeps, 'csrfKey' | 'issuer'>, presented: unknown): void {
  if (!formFromOurOrigin(c, new URL(deps.issuer).origin) || typeof presented !== 'string' || !safeEqual(presented, csrfToken(c, deps))) {
    throw new ProblemError('csrf_invalid');
  }
}

export function sessionToken(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

/** HttpOnly, SameSite=Strict, Secure on https, scoped to `/console`; a session cookie (the database says when it ends). */
export function setSessionCookie(c: Context, deps: Pick<ConsoleDeps, 'issuer'>, token: string): void {
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, secure: deps.issuer.startsWith('https:'), sameSite: 'Strict', path: CONSOLE_PATH });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: CONSOLE_PATH });
}

/** The signed-in operator (set by the console's session middleware on every page but the sign-in ones). */
export function signedIn(c: ConsoleRequest): Operator {
  return c.get('operator');
}

/** A path of the console with the chosen language kept and a notice of what was just done, for the redirect after a POST. */
export function afterPost(c: Context, path: string, done?: string): string {
  const query = new URLSearchParams();
  if (done !== undefined) query.set('done', done);
  const lang = chosenLanguage(c);
  if (lang !== undefined) query.set('lang', lang);
  return query.size > 0 ? `${path}${path.includes('?') ? '&' : '?'}${query}` : path;
}

/** Where the register says an action came from. */
export function clientOf(c: Context, deps: Pick<ConsoleDeps, 'trustProxy'>): string {
  return clientAddress(c, deps.trustProxy);
}

/**
 * Takes one action of the signed-in operator: the role is checked on the server (a form
 * posted by hand gets `operator_role_forbidden`, 403, and nothing changes), the action
 * runs, and the register records it — done, or refused with the code it was refused
 * with, or forbidden — with `details`, and once done what `outcome` tells of its result
 * (never a secret).
 * @example await takeAction(c, deps, 'merchant.suspend', merchantId, () => merchants.suspend(merchantId, change), { reason })
 */
export async function takeAction<T>(
  c: ConsoleRequest,
  deps: ConsoleDeps,
  action: ConsoleAction,
  subject: string,
  run: () => Promise<T>,
  details: ActionDetails = {},
  outcome: (result: T) => ActionDetails = () => ({}),
): Promise<T> {
  const operator = signedIn(c);
  const now = deps.now ?? (() => new Date());
  const record = (outcome: string, extra: ActionDetails = {}) =>
    recordAction(
      deps.db,
      { operatorId: operator.id, action, subject, details: { ...details, ...extra, outcome }, client: clientOf(c, deps) },
      now(),
    );
  if (!mayTake(operator.role, action)) {
    await record('forbidden', { role: operator.role });
    throw new OperatorError('operator_role_forbidden');
  }
  let result: T;
  try {
    result = await run();
  } catch (error) {
    const code = refusalCode(error);
    if (code !== undefined) await record('refused', { code });
    throw error;
  }
  await record('done', outcome(result));
  return result;
}

const EVIDENCE_STATUS: Record<EvidenceErrorCode, number> = {
  payment_unknown: 404,
  approval_missing: 409,
  ticket_not_kept: 409,
  audit_busy: 503,
};

const NOTIFICATION_STATUS: Record<NotificationErrorCode, number> = {
  notification_unknown: 404,
  notification_not_parked: 409,
  request_invalid: 400,
};

/** The stable code of a refusal from any domain the console calls; undefined for an unexpected error. */
export function refusalCode(error: unknown): string | undefined {
  if (isOperatorError(error) || isNotificationError(error) || error instanceof EvidenceError) return error.code;
  return problemOf(error)?.code;
}

/** A refusal as the console shows it: status, code and the service's words; undefined for an unexpected error. */
export function refusalOf(error: unknown): { status: number; code: string; detail: string } | undefined {
  if (isOperatorError(error)) return { status: error.status, code: error.code, detail: error.message };
  if (isNotificationError(error)) return { status: NOTIFICATION_STATUS[error.code], code: error.code, detail: error.message };
  if (error instanceof EvidenceError) return { status: EVIDENCE_STATUS[error.code], code: error.code, detail: error.message };
  const problem = problemOf(error);
  return problem === undefined ? undefined : { status: problem.status, code: problem.code, detail: problem.message };
}
