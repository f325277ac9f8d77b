import type { Issue } from '@caisse/protocol';
import { CaisseDeviceError, type DeviceErrorCode } from '../errors.js';

/** The device API's problem codes the SDK passes through as its own (docs/device-api.md, "Errors"). */
const DEVICE_API_CODES = new Set<DeviceErrorCode>([
  'pin_invalid',
  'pin_required',
  'account_locked',
  'confirmation_expired',
  'confirmation_answered',
  'confirmation_unknown',
  'confirmation_mismatch',
  'device_revoked',
  'device_unknown',
  'enrollment_code_invalid',
  'plan_out_of_bounds',
  'currency_unknown',
  'allowance_unknown',
  'payment_unknown',
  'dispute_exists',
  'dispute_window_closed',
  'dispute_exceeds_payment',
]);

/** The problem's `issues` when each names a field and what is wrong with it (at most 20, as the protocol reports them). */
function issuesOf(value: unknown): Issue[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const issues = value
    .slice(0, 20)
    .filter((issue): issue is Issue => typeof issue?.path === 'string' && typeof issue?.message === 'string')
    .map(({ path, message }) => ({ path, message }));
  return issues.length > 0 ? issues : undefined;
}

/**
 * The typed error for a payment server answer that is not a success: its problem code
 * when the device API defines it, otherwise `server_error` keeping the server's code and
 * status, so nothing unexpected is mistaken for a known case.
 */
export async function errorFromResponse(response: Response): Promise<CaisseDeviceError> {
  let problem: { code?: unknown; detail?: unknown; attemptsLeft?: unknown; issues?: unknown } = {};
  // Read whatever the label says: a middleware or proxy may relabel a problem body as
  // text/plain, and its code is still the server's. Anything that is not a JSON object
  // (an HTML error page) leaves the problem empty.
  try {
    const body = JSON.parse(await response.text()) as unknown;
    if (typeof body === 'object' && body !== null) problem = body as typeof problem;
  } catch {
    problem = {};
  }
  const serverCode = typeof problem.code === 'string' ? problem.code : undefined;
  const detail = typeof problem.detail === 'string' ? problem.detail : undefined;
  const status = response.status;
  const issues = issuesOf(problem.issues);
  if (serverCode !== undefined && DEVICE_API_CODES.has(serverCode as DeviceErrorCode)) {
    const code = serverCode as DeviceErrorCode;
    const attemptsLeft = Number.isSafeInteger(problem.attemptsLeft) ? (problem.attemptsLeft as number) : undefined;
    return new CaisseDeviceError(code, detail, {
      status,
      serverCode,
      ...(attemptsLeft === undefined ? {} : { attemptsLeft }),
      ...(issues === undefined ? {} : { issues }),
    });
  }
  const message = `The payment server answered ${status}${serverCode ? ` (${serverCode})` : ''}${detail ? `: ${detail}` : '.'}`;
  return new CaisseDeviceError('server_error', message, {
    status,
    ...(serverCode === undefined ? {} : { serverCode }),
    ...(issues === undefined ? {} : { issues }),
  });
}
