import type { CustomerAllowance } from '@caisse/protocol';
import { isCaisseDeviceError } from './errors.js';
import { type RequestEvent, retryable } from './requests-stream.js';

/**
 * A live session allowance: the customer confirmed once that the merchant may charge up to
 * `maximum` (each period, for a recurring one) until `expiresAt`, without asking again.
 * Amounts in minor units.
 */
export interface Allowance {
  readonly id: string;
  readonly merchant: { readonly id: string; readonly name: string };
  readonly currency: string;
  readonly maximum: number;
  /** Most one charge may take; `null`: up to what is left. */
  readonly chargeCap: number | null;
  /** How often the use starts again from 0; `null`: never (one maximum until expiry). */
  readonly period: CustomerAllowance['period'];
  /** Charged in the current period. */
  readonly used: number;
  /** What the merchant may still charge in the current period. */
  readonly remaining: number;
  readonly chargeCount: number;
  /** When the current period ends (the expiry, for an allowance that does not recur). */
  readonly periodEnd: Date;
  readonly expiresAt: Date;
  readonly grantedAt: Date;
}

/** The allowance as the SDK gives it: the protocol's message, its instants as `Date`s. */
export function allowanceWithDates(message: CustomerAllowance): Allowance {
  return {
    ...message,
    periodEnd: new Date(message.periodEnd * 1000),
    expiresAt: new Date(message.expiresAt * 1000),
    grantedAt: new Date(message.grantedAt * 1000),
  };
}

export interface WatchAllowancesOptions {
  /** Ends the watch: the promise then resolves. */
  signal?: AbortSignal;
  /**
   * Milliseconds between reads of the list with no event: the stream tells when an
   * allowance is granted or ends, never when the merchant charges, so what is used and
   * left is only as fresh as the last read. Default 60 000; 0: events only.
   */
  refreshEvery?: number;
}

/** What a watch reads through: the account's list and its event stream. */
export interface AllowanceSource {
  list(signal: AbortSignal): Promise<Allowance[]>;
  events(signal: AbortSignal): AsyncGenerator<RequestEvent, void>;
}

const DEFAULT_REFRESH = 60_000;

/**
 * Calls `onChange` with the live allowances, then each time they change: read again when
 * the stream (re)connects, when it says `allowances`, and every `refreshEvery` ms. A read
 * that fails for the time (`offline`, a server down) is tried again at the next of these;
 * a final error (`device_revoked`, `message_invalid`, …) ends the watch by rejecting.
 */
export async function watchAllowances(
  source: AllowanceSource,
  onChange: (allowances: Allowance[]) => void,
  options: WatchAllowancesOptions = {},
): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  if (options.signal?.aborted) return;
  options.signal?.addEventListener('abort', stop, { once: true });
  let failure: unknown;
  let last: string | undefined;
  // One read at a time, in order: a list read before a change never replaces one read after it.
  let reading = Promise.resolve();
  const refresh = () => {
    reading = reading.then(async () => {
      if (controller.signal.aborted) return;
      try {
        const allowances = await source.list(controller.signal);
        const seen = JSON.stringify(allowances);
        if (seen === last || controller.signal.aborted) return;
        last = seen;
        onChange(allowances);
      } catch (error) {
        if (controller.signal.aborted || (isCaisseDeviceError(error) && retryable(error))) return;
        failure = error;
        controller.abort();
      }
    });
  };
  const every = options.refreshEvery ?? DEFAULT_REFRESH;
  const timer = every > 0 ? setInterval(refresh, every) : undefined;
  try {
    for await (const event of source.events(controller.signal)) {
      if (event.type === 'open' || event.type === 'allowances') refresh();
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearInterval(timer);
    options.signal?.removeEventListener('abort', stop);
    controller.abort();
    await reading;
  }
  if (failure !== undefined) throw failure;
}
