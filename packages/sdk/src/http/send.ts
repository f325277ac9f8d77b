import { isCaisseError } from '@caisse/protocol';
import { CaisseDeviceError, isCaisseDeviceError } from '../errors.js';
import { errorFromResponse } from './problem.js';
import type { ServerClock } from './server-clock.js';

/** How long a single call may take, answer body included, before it counts as `offline`. */
export const CALL_TIMEOUT = 30_000;

/**
 * The caller's signal bounded by a deadline. `AbortSignal.timeout` does not keep a Node
 * process alive; where `AbortSignal.any` is missing (Safari before 17.4) a caller's own
 * signal wins over the deadline.
 */
function bounded(signal: AbortSignal | null | undefined, timeout: number): AbortSignal {
  const deadline = AbortSignal.timeout(timeout);
  if (!signal) return deadline;
  return typeof AbortSignal.any === 'function' ? AbortSignal.any([signal, deadline]) : signal;
}

/**
 * `fetch` with the SDK's failure types: `offline` when no answer came in time, the mapped
 * problem for any non-2xx answer. The caller's own abort is passed through as its
 * `AbortError`. Never a cookie: the device API authenticates by header only.
 * `timeout: false` is for the event stream, which watches its own silence.
 */
export async function send(
  url: string,
  init: RequestInit & { timeout?: number | false; onResponse?: (response: Response) => void },
): Promise<Response> {
  const { timeout = CALL_TIMEOUT, onResponse, ...rest } = init;
  const signal = timeout === false ? init.signal : bounded(init.signal, timeout);
  let response: Response;
  try {
    response = await fetch(url, { ...rest, ...(signal ? { signal } : {}), credentials: 'omit', cache: 'no-store', redirect: 'error' });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new CaisseDeviceError('offline', undefined, { cause: error });
  }
  onResponse?.(response);
  if (!response.ok) throw await errorFromResponse(response);
  return response;
}

const CLOCK_REFUSALS = new Set(['token_expired', 'token_not_yet_valid']);

/** The server refused a token as signed at the wrong time. */
export function isClockRefusal(error: unknown): boolean {
  return isCaisseDeviceError(error, 'server_error') && CLOCK_REFUSALS.has(error.serverCode ?? '');
}

/**
 * {@link send} for a request signed with a time (`build` signs it on `clock.now`). When the
 * server refuses it as signed at the wrong time and its `Date` shows the device clock is
 * off, it is signed again on the server's time and sent once more; the server refuses such
 * a token before acting on it, so nothing happens twice.
 */
export async function sendSigned(
  url: string,
  clock: ServerClock,
  build: (now: () => Date) => Promise<RequestInit & { timeout?: number | false }>,
): Promise<Response> {
  let corrected = false;
  const onResponse = (response: Response) => {
    corrected = clock.observe(response) || corrected;
  };
  try {
    return await send(url, { ...(await build(clock.now)), onResponse });
  } catch (error) {
    if (!isClockRefusal(error) || !corrected) throw error;
    return send(url, { ...(await build(clock.now)), onResponse });
  }
}

/** The JSON body of a successful answer, or `message_invalid`. */
export async function jsonBody(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') throw new CaisseDeviceError('offline', undefined, { cause: error });
    if ((error as Error).name === 'AbortError') throw error;
    throw new CaisseDeviceError('message_invalid', 'The payment server answered with a body that is not JSON.', { cause: error });
  }
}

/**
 * The JSON body of a successful answer, read by `read` (the protocol's `parseMessage` with
 * the answer's schema): what the app shows (a balance, a plan) is never a value the SDK
 * did not validate.
 * @throws CaisseDeviceError `message_invalid` naming the first field at fault
 */
export async function parsedBody<T>(response: Response, read: (body: unknown) => T): Promise<T> {
  const body = await jsonBody(response);
  try {
    return read(body);
  } catch (error) {
    if (!isCaisseError(error)) throw error;
    throw new CaisseDeviceError('message_invalid', error.message, { cause: error });
  }
}
