/**
 * A clock the test moves by hand, so expiry is exercised without waiting.
 *
 * @example
 * const clock = manualClock();
 * const store = memoryReplayStore({ now: clock.now });
 * clock.advance(60_000);
 */
export function manualClock(start = 1_700_000_000_000) {
  let current = start;
  return {
    now: () => current,
    advance(milliseconds: number) {
      current += milliseconds;
    },
    set(time: number) {
      current = time;
    },
  };
}
