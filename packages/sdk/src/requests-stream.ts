import {
  type ConfirmationRequest,
  confirmationRequest,
  isCaisseError,
  outcomeEvent,
  parseMessage,
  type RequestOutcome,
} from '@caisse/protocol';
import { createAssertion, type Signer } from './crypto/assertion.js';
import { CaisseDeviceError, isCaisseDeviceError } from './errors.js';
import { isClockRefusal, send } from './http/send.js';
import type { ServerClock } from './http/server-clock.js';
import { readSse } from './sse/parser.js';

/** What `account.requests()` yields. */
export type RequestEvent =
  /** The stream is connected (again); the open requests follow. */
  | { type: 'open' }
  /** A request to approve or decline. */
  | { type: 'request'; request: ConfirmationRequest }
  /** A request left the open state (best effort: `pending()` is the source of truth). */
  | { type: 'closed'; id: string; state: 'approved' | 'declined' | 'expired' | 'cancelled' }
  /** The customer's session allowances changed (granted, ended, a new period): read them again with `allowances()`. */
  | { type: 'allowances' }
  /**
   * The checkout of request `id`, answered on this or another phone, ended: `paid` (with
   * the payment id), `refused` (with the reason: a bank may refuse after the approval),
   * `granted`, `cancelled`. Best effort: `history()` is the source of truth.
   */
  | { type: 'outcome'; id: string; outcome: RequestOutcome }
  /** The server sent a request that is not a valid protocol message; it is skipped. */
  | { type: 'invalid'; error: CaisseDeviceError }
  /** The connection dropped (or could not be made); the next try is in `delay` ms. */
  | { type: 'retry'; delay: number; error?: CaisseDeviceError };

export interface Backoff {
  /** First wait after a drop, in ms (the server's `retry:` replaces it). Default 1 000. */
  initialDelay?: number;
  /** Longest wait between tries, in ms. Default 30 000. */
  maxDelay?: number;
  /** A connection silent this long (no event, no keep-alive), in ms, is dropped and made again. Default 45 000. */
  silenceLimit?: number;
}

/** The server comments every 15 s; three silent periods mean a dead connection (a phone changing networks). */
const SILENCE_LIMIT = 45_000;
const SILENT = 'The event stream went silent.';

const CLOSED_STATES = new Set(['approved', 'declined', 'expired', 'cancelled']);

/** Failures worth another try: no answer, or a server that is down or busy. Anything else is final. */
export function retryable(error: CaisseDeviceError): boolean {
  return (
    error.code === 'offline' ||
    (error.code === 'server_error' && (error.status === undefined || error.status >= 500 || error.status === 429))
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

function toEvent(type: string, data: string): RequestEvent | undefined {
  // Its data names nothing: the list is read from the server.
  if (type === 'allowances') return { type: 'allowances' };
  if (type !== 'request' && type !== 'closed' && type !== 'outcome') return undefined; // room for later event kinds
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (cause) {
    return { type: 'invalid', error: new CaisseDeviceError('message_invalid', `The "${type}" event is not JSON.`, { cause }) };
  }
  if (type === 'closed') {
    const { id, state } = (value ?? {}) as { id?: unknown; state?: unknown };
    if (typeof id === 'string' && typeof state === 'string' && CLOSED_STATES.has(state)) {
      return { type: 'closed', id, state: state as 'approved' };
    }
    return { type: 'invalid', error: new CaisseDeviceError('message_invalid', 'The "closed" event lacks an id or a known state.') };
  }
  try {
    if (type === 'outcome') return { type: 'outcome', ...parseMessage(outcomeEvent, value) };
    return { type: 'request', request: parseMessage(confirmationRequest, value) };
  } catch (cause) {
    if (!isCaisseError(cause)) throw cause;
    return { type: 'invalid', error: new CaisseDeviceError('message_invalid', cause.message, { cause }) };
  }
}

/**
 * The live stream of `GET /device/requests` (docs/device-api.md, "The stream"): a fresh
 * device assertion per connection, reconnection with exponential backoff and jitter,
 * `Last-Event-ID` so that nothing already seen comes twice. It ends when `signal` aborts
 * or the consumer stops iterating; it throws on a final error (`device_revoked`,
 * `device_unknown`, …).
 */
export async function* requestStream(
  signer: Signer,
  options: { signal?: AbortSignal; lastEventId?: string; backoff?: Backoff; clock: ServerClock },
): AsyncGenerator<RequestEvent, void> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (options.signal?.aborted) return;
  options.signal?.addEventListener('abort', abort, { once: true });
  const initialDelay = options.backoff?.initialDelay ?? 1_000;
  const maxDelay = options.backoff?.maxDelay ?? 30_000;
  const silenceLimit = options.backoff?.silenceLimit ?? SILENCE_LIMIT;
  let lastEventId = options.lastEventId ?? '';
  let baseDelay = initialDelay;
  let delay = initialDelay;
  try {
    while (!controller.signal.aborted) {
      let failure: CaisseDeviceError | undefined;
      let clockCorrected = false;
      // One connection: aborted with everything, or alone when it stays silent too long.
      const connection = new AbortController();
      const dropConnection = () => connection.abort();
      controller.signal.addEventListener('abort', dropConnection, { once: true });
      let silence: ReturnType<typeof setTimeout> | undefined;
      const heard = () => {
        clearTimeout(silence);
        silence = setTimeout(dropConnection, silenceLimit);
      };
      try {
        heard();
        const token = await createAssertion(signer, { method: 'GET', path: '/device/requests' }, options.clock.now);
        const response = await send(`${signer.issuer}/device/requests`, {
          headers: {
            accept: 'text/event-stream',
            authorization: `Caisse-Device ${token}`,
            ...(lastEventId === '' ? {} : { 'last-event-id': lastEventId }),
          },
          signal: connection.signal,
          timeout: false,
          onResponse: (response) => {
            clockCorrected = options.clock.observe(response);
          },
        });
        if (!/^text\/event-stream\b/i.test(response.headers.get('content-type') ?? '') || response.body === null) {
          throw new CaisseDeviceError('message_invalid', 'The payment server did not answer with an event stream.');
        }
        // The watchdog sleeps while the consumer holds an event (it may be waiting for a PIN).
        clearTimeout(silence);
        yield { type: 'open' };
        heard();
        delay = baseDelay;
        const events = readSse(response.body, lastEventId, { onChunk: heard, signal: connection.signal });
        for (;;) {
          const next = await events.next();
          if (next.done) {
            if (next.value.retry !== undefined) baseDelay = next.value.retry;
            if (connection.signal.aborted && !controller.signal.aborted) throw new CaisseDeviceError('offline', SILENT);
            break;
          }
          lastEventId = next.value.lastEventId;
          const event = toEvent(next.value.type, next.value.data);
          if (event) {
            clearTimeout(silence);
            yield event;
            heard();
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        // A body that breaks off mid-stream fails with the runtime's own error; a silent one was aborted here.
        failure = isCaisseDeviceError(error)
          ? error
          : new CaisseDeviceError('offline', connection.signal.aborted ? SILENT : 'The event stream broke off.', { cause: error });
        // Refused for the time by a server whose Date corrected the clock: the next connection signs on its time.
        if (!retryable(failure) && !(clockCorrected && isClockRefusal(failure))) throw failure;
      } finally {
        clearTimeout(silence);
        controller.signal.removeEventListener('abort', dropConnection);
      }
      if (controller.signal.aborted) return;
      const wait = Math.round(delay * (0.5 + Math.random() / 2));
      yield failure ? { type: 'retry', delay: wait, error: failure } : { type: 'retry', delay: wait };
      await sleep(wait, controller.signal);
      delay = Math.min(delay * 2, maxDelay);
    }
  } finally {
    options.signal?.removeEventListener('abort', abort);
    controller.abort();
  }
}
