import type { Logger } from '../log.js';

/**
 * Runs a housekeeping task (purging expired rows) at most once per `interval` on this
 * instance, from inside a request. The timer lives in memory, but nothing another
 * instance needs does: if every instance purged, or none did for a while, the rows would
 * only be deleted sooner or later. A failure is logged and never fails the request.
 * @example const purge = periodic(() => store.purgeExpired(new Date()), { interval: 60_000, log }); await purge()
 */
export function periodic(task: () => Promise<unknown>, options: { interval: number; now?: () => Date; log?: Logger; name?: string }) {
  const now = options.now ?? (() => new Date());
  let last = Number.NEGATIVE_INFINITY;
  let running = false;
  return async (): Promise<void> => {
    const at = now().getTime();
    if (running || at - last < options.interval) return;
    running = true;
    last = at;
    try {
      await task();
    } catch (error) {
      options.log?.warn('api.purge_failed', { task: options.name, error });
    } finally {
      running = false;
    }
  };
}
