/**
 * A job's run that is never doubled: asking for a run while one is going joins that one
 * (a backlog, a slow database), so passes never pile up behind each other.
 */
export interface SingleFlight {
  /** Starts a run, or returns the one in flight; after `stop`, does nothing. */
  run(): Promise<void>;
  /** Aborts the signal of the run in flight (it ends after its current step) and waits for it. */
  stop(): Promise<void>;
}

/**
 * @example
 * const pruning = singleFlight((signal) => pruneExpired(db, { now: new Date(), signal }).then(() => undefined));
 * await Promise.all([pruning.run(), pruning.run()]); // one pass
 * await pruning.stop();
 */
export function singleFlight(run: (signal: AbortSignal) => Promise<void>): SingleFlight {
  const stopping = new AbortController();
  let running: Promise<void> | undefined;
  return {
    run() {
      if (stopping.signal.aborted) return Promise.resolve();
      running ??= run(stopping.signal).finally(() => {
        running = undefined;
      });
      return running;
    },
    async stop() {
      stopping.abort();
      // The caller of `run` hears of its failure; stopping only waits for it to end.
      await running?.catch(() => undefined);
    },
  };
}
