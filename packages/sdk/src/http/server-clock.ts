/**
 * Below this the device clock is left alone: the `Date` header has whole seconds, and the
 * server accepts assertions up to 30 s off.
 */
const SKEW_THRESHOLD_MS = 5_000;

/** The device's idea of the server's time, learnt from the `Date` of its answers. */
export interface ServerClock {
  now(): Date;
  /** Learns the offset from an answer's `Date`; true when that changed the correction. */
  observe(response: Response): boolean;
}

/**
 * A phone whose clock is minutes off would sign every assertion out of the server's
 * window and could never pay. Each answer's `Date` tells how far off it is; past
 * {@link SKEW_THRESHOLD_MS} the device signs on the server's time instead.
 * @example const clock = serverClock(() => new Date()); clock.observe(response); clock.now()
 */
export function serverClock(local: () => Date): ServerClock {
  let offset = 0;
  return {
    now: () => new Date(local().getTime() + offset),
    observe(response) {
      const date = Date.parse(response.headers.get('date') ?? '');
      if (Number.isNaN(date)) return false;
      // The header drops the milliseconds: the server's time is within the second after it.
      const measured = date + 500 - local().getTime();
      const wanted = Math.abs(measured) < SKEW_THRESHOLD_MS ? 0 : measured;
      if (Math.abs(wanted - offset) < SKEW_THRESHOLD_MS) return false;
      offset = wanted;
      return true;
    },
  };
}
