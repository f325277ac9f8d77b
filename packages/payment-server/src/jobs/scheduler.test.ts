import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../log.js';
import { createScheduler } from './scheduler.js';

/** A run's body that waits until the test lets it go: the run is in flight meanwhile. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/**
 * The scheduler as the payment server's jobs rely on it, on fake interval timers (the
 * test moves time by hand, so a tick is an event, never a race): a tick per interval, a
 * run still going never doubled, a failure logged with the job's name and followed by
 * the next run, a stop that waits for the run in flight.
 */
describe('the job scheduler', () => {
  const lines: { level: string; event: string; [field: string]: unknown }[] = [];
  const log = createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) });

  beforeEach(() => {
    lines.length = 0;
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a job once per interval, the first one interval from now, and skips the ticks of a run still going', async () => {
    const scheduler = createScheduler({ log });
    const slow = gate();
    let runs = 0;
    scheduler.every('slow', 1_000, async () => {
      runs++;
      await slow.opened;
    });
    expect(scheduler.jobs).toEqual([{ name: 'slow', intervalMs: 1_000 }]);

    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(1);
    // Five ticks while the run is in flight: none starts another.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(1);

    slow.open();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(2);
    await scheduler.stop();
    expect(lines).toEqual([]);
  });

  it('logs a failed run with the job name and the error, tells onError, and runs again at the next tick', async () => {
    const failures: { job: string; error: unknown }[] = [];
    const scheduler = createScheduler({ log, onError: (job, error) => failures.push({ job, error }) });
    let runs = 0;
    scheduler.every('ledger.roll_up', 1_000, async () => {
      runs++;
      if (runs === 1) throw new Error('the database went away');
    });

    await vi.advanceTimersByTimeAsync(1_000);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        event: 'job.failed',
        job: 'ledger.roll_up',
        error: expect.objectContaining({ name: 'Error', message: 'the database went away' }),
      }),
    ]);
    expect(failures).toEqual([{ job: 'ledger.roll_up', error: expect.objectContaining({ message: 'the database went away' }) }]);

    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(2);
    expect(lines).toHaveLength(1);
    await scheduler.stop();
  });

  it('stops: the run in flight is told by its signal and waited for, and nothing runs after', async () => {
    const scheduler = createScheduler({ log });
    const long = gate();
    let signal: AbortSignal | undefined;
    let runs = 0;
    let finished = false;
    scheduler.every('long', 1_000, async (given) => {
      runs++;
      signal = given;
      await long.opened;
      finished = true;
    });
    scheduler.every('idle', 1_000, async () => {});
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(1);

    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(signal?.aborted).toBe(true);
    // The run has not ended (its gate is shut), so neither has the stop.
    expect(stopped).toBe(false);

    long.open();
    await stopping;
    expect(finished).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(1);
    expect(() => scheduler.every('late', 1_000, async () => {})).toThrow('The scheduler is stopped');
  });

  it('refuses a job it could not run as asked: a second job of the same name, an interval that is not a positive integer', async () => {
    const scheduler = createScheduler({ log });
    scheduler.every('audit.seal', 5_000, async () => {});
    expect(() => scheduler.every('audit.seal', 5_000, async () => {})).toThrow('already scheduled');
    for (const interval of [0, -1, 1.5, Number.NaN]) {
      expect(() => scheduler.every(`job-${interval}`, interval, async () => {})).toThrow(RangeError);
    }
    expect(scheduler.jobs).toEqual([{ name: 'audit.seal', intervalMs: 5_000 }]);
    await scheduler.stop();
  });
});

describe('the job scheduler on real timers', () => {
  it('keeps no process alive: its timers are unref’d', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    const scheduler = createScheduler({ log: createLogger({ level: 'error', write: () => {} }) });
    scheduler.every('hourly', 60 * 60_000, async () => {});
    expect(timers()).toBe(before);
    await scheduler.stop();
  });
});
