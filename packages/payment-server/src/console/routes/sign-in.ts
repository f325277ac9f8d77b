import type { Context, Hono } from 'hono';
import { recordAction } from '../activity.js';
import { isOperatorError, type OperatorErrorCode } from '../errors.js';
import {
  afterPost,
  baseView,
  type ConsoleDeps,
  type ConsoleEnv,
  checkForm,
  clearSessionCookie,
  clientOf,
  csrfToken,
  localeOf,
  sessionToken,
  setSessionCookie,
} from '../http.js';
import { type SignInError, type SignInView, signInPage } from '../pages/sign-in.js';

/**
 * What a client address is charged for (`signInThrottle`): a wrong password or code, of a
 * known operator id or not, and a try at a locked account. A right one costs nothing, so
 * operators behind one office address do not slow each other.
 */
const WRONG_ATTEMPTS: ReadonlySet<OperatorErrorCode> = new Set([
  'operator_credentials_invalid',
  'operator_code_invalid',
  'operator_locked',
]);

/**
 * Signing in (id and password, then the authenticator's code) and out. Every sign-in and
 * sign-out is recorded in the register, and every wrong password or code of a known
 * operator (at most the few before the lock-out: attempts on a locked account are logged,
 * not recorded, so nobody can fill the register from outside). A client address past its
 * wrong attempts waits (429, `Retry-After`) before either step checks anything.
 */
export function signInRoutes(consoleApp: Hono<ConsoleEnv>, deps: ConsoleDeps): void {
  const now = deps.now ?? (() => new Date());
  const record = (c: Context, operatorId: string, action: string, details: Record<string, string> = {}) =>
    recordAction(deps.db, { operatorId, action, subject: operatorId, details, client: clientOf(c, deps) }, now());

  function page(c: Context, stage: SignInView['stage'], extra: Partial<SignInView> = {}, status = 200) {
    c.header('cache-control', 'no-store');
    const view: SignInView = { ...baseView(c, deps), stage, csrf: csrfToken(c, deps), ...extra };
    return c.html(signInPage(view, localeOf(c)), status as 200);
  }

  const refused = (code: SignInError, attemptsLeft?: number) => ({
    error: { code, ...(attemptsLeft === undefined ? {} : { attemptsLeft }) },
  });

  consoleApp.get('/sign-in', async (c) => {
    if (await deps.sessions.signedIn(sessionToken(c))) return c.redirect(afterPost(c, '/console'), 303);
    const notice = c.req.query('notice');
    return page(c, 'password', notice === 'signed_out' || notice === 'session_ended' ? { notice } : {});
  });

  consoleApp.post('/sign-in', async (c) => {
    const form = await c.req.parseBody();
    checkForm(c, deps, form.csrf);
    const operatorId = typeof form.operator === 'string' ? form.operator.trim() : '';
    const password = typeof form.password === 'string' ? form.password : '';
    if (operatorId === '' || password === '') return page(c, 'password', { operatorId, ...refused('missing') }, 400);
    if (await deps.signInThrottle.mustWait(c)) return page(c, 'password', { operatorId, ...refused('too_many_requests') }, 429);
    try {
      const operator = await deps.operators.checkPassword(operatorId, password);
      setSessionCookie(c, deps, await deps.sessions.start(operator.id));
      return c.redirect(afterPost(c, '/console/sign-in/code'), 303);
    } catch (error) {
      if (!isOperatorError(error)) throw error;
      if (WRONG_ATTEMPTS.has(error.code)) await deps.signInThrottle.failed(c);
      // Only a known operator's wrong password is recorded (an unknown id must not fill the register).
      if (error.code === 'operator_credentials_invalid') {
        const known = await deps.operators.get(operatorId).catch(() => undefined);
        if (known !== undefined) await record(c, known.id, 'sign_in.refused', { factor: 'password', code: error.code });
      } else if (error.code === 'operator_disabled') {
        await record(c, operatorId, 'sign_in.refused', { factor: 'password', code: error.code });
      }
      const code = error.code === 'request_invalid' || error.code === 'operator_unknown' ? 'operator_credentials_invalid' : error.code;
      return page(c, 'password', { operatorId, ...refused(code as SignInError) }, error.status);
    }
  });

  consoleApp.get('/sign-in/code', async (c) => {
    if ((await deps.sessions.awaitingCode(sessionToken(c))) === undefined) return c.redirect(afterPost(c, '/console/sign-in'), 303);
    return page(c, 'code');
  });

  consoleApp.post('/sign-in/code', async (c) => {
    const form = await c.req.parseBody();
    checkForm(c, deps, form.csrf);
    const token = sessionToken(c);
    const operatorId = await deps.sessions.awaitingCode(token);
    if (token === undefined || operatorId === undefined) return c.redirect(afterPost(c, '/console/sign-in?notice=session_ended'), 303);
    if (await deps.signInThrottle.mustWait(c)) return page(c, 'code', refused('too_many_requests'), 429);
    try {
      await deps.operators.checkCode(operatorId, typeof form.code === 'string' ? form.code : '');
    } catch (error) {
      if (!isOperatorError(error)) throw error;
      if (WRONG_ATTEMPTS.has(error.code)) await deps.signInThrottle.failed(c);
      if (error.code === 'operator_code_invalid' || error.code === 'operator_locked') {
        await record(c, operatorId, 'sign_in.refused', { factor: 'code', code: error.code });
      }
      if (error.code === 'operator_code_invalid') return page(c, 'code', refused('operator_code_invalid', error.attemptsLeft), 401);
      // Locked or disabled meanwhile: the half-open session ends, and the page says why.
      await deps.sessions.end(token);
      clearSessionCookie(c);
      return page(c, 'password', refused(error.code as SignInError), error.status);
    }
    setSessionCookie(c, deps, await deps.sessions.complete(token, operatorId));
    await record(c, operatorId, 'sign_in');
    return c.redirect(afterPost(c, '/console'), 303);
  });

  consoleApp.post('/sign-out', async (c) => {
    const form = await c.req.parseBody();
    checkForm(c, deps, form.csrf);
    const token = sessionToken(c);
    const operator = await deps.sessions.signedIn(token);
    await deps.sessions.end(token);
    clearSessionCookie(c);
    if (operator !== undefined) await record(c, operator.id, 'sign_out');
    return c.redirect(afterPost(c, '/console/sign-in?notice=signed_out'), 303);
  });
}
