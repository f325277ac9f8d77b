import type { Logger } from '../log.js';
import { type SingleFlight, singleFlight } from './single-flight.js';

export interface SchedulerDeps {
  log: Logger;
  /** Told of every failed run besides the log line (a metric, an alert). */
  onError?: (job: string, error: unknown) => void;
}

export interface ScheduledJob {
  /** Names the job in the log (`job.failed`): `area.what`, e.g. `ledger.roll_up`. */
  readonly name: string;
  readonly intervalMs: number;
}

export interface Scheduler {
  /**
   * Runs `run` every `intervalMs`, the first time one interval from now. A run still going
   * when the next is due is not doubled (that tick is skipped); a run that fails is logged
   * (`job.failed`, with the job's name and the error) and the next tick runs again.
   * `run` gets a signal aborted by `stop`: a long run checks it between steps.
   */
  every(name: string, intervalMs: number, run: (signal: AbortSignal) => Promise<unknown>): void;
  /** The jobs added, in order, with their interval. */
  readonly jobs: readonly ScheduledJob[];
  /** Clears the timers, aborts the runs' signal and waits for the runs in flight. */
  stop(): Promise<void>;
}

/**
 * Every periodic job of a process on one clock: no job keeps the process alive (timers
 * are unref'd), none doubles its own run, and one `stop` ends them all.
 * @example
 * const scheduler = createScheduler({ log });
 * scheduler.every('ledger.roll_up', 60_000, () => rollUpBalances(db));
 * // at shutdown
 * await scheduler.stop();
 */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  const jobs: ScheduledJob[] = [];
  const timers: NodeJS.Timeout[] = [];
  const flights: SingleFlight[] = [];
  let stopped = false;

  return {
    jobs,
    every(name, intervalMs, run) {
      if (stopped) throw new Error(`The scheduler is stopped: ${name} would never run.`);
      if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new RangeError(`${name}: the interval is a positive integer of ms.`);
      if (jobs.some((job) => job.name === name)) throw new Error(`A job named ${name} is already scheduled.`);
      const flight = singleFlight(async (signal) => {
        try {
          await run(signal);
        } catch (error) {
          deps.log.error('job.failed', { job: name, error });
          deps.onError?.(name, error);
        }
      });
      const timer = setInterval(() => void flight.run(), intervalMs);
      timer.unref();
      jobs.push({ name, intervalMs });
      timers.push(timer);
      flights.push(flight);
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      await Promise.all(flights.map((flight) => flight.stop()));
    },
  };
}
