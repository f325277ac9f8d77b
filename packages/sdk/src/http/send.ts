import { CaisseDeviceError } from '../errors.js';
import { errorFromResponse } from './problem.js';

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
export async function send(url: string, init: RequestInit & { timeout?: number | false }): Promise<Response> {
  const { timeout = CALL_TIMEOUT, ...rest } = init;
  const signal = timeout === false ? init.signal : bounded(init.signal, timeout);
  let response: Response;
  try {
    response = await fetch(url, { ...rest, ...(signal ? { signal } : {}), credentials: 'omit', cache: 'no-store', redirect: 'error' });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new CaisseDeviceError('offline', undefined, { cause: error });
  }
  if (!response.ok) throw await errorFromResponse(response);
  return response;
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
