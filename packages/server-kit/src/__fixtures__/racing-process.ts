import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A child Node process that races others: it loads the code under test (TypeScript
 * source, through @caisse/testing/typescript-hooks), prints `ready`, waits for `go` on stdin so
 * every racer starts at the same moment, then prints one JSON line with its result.
 */
export interface Racer<Result> {
  process: ChildProcess;
  /** Resolves once the child has loaded and opened its connections; rejects if it dies first. */
  ready: Promise<void>;
  /** Resolves with the child's JSON result once it has exited cleanly. */
  result: Promise<Result>;
  go(): void;
}

export function spawnRacer<Result>(script: string, env: Record<string, string>): Racer<Result> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const lines: string[] = [];
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') markReady();
    else lines.push(line);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const failed = exited.then((code) => {
    throw new Error(`racer ${child.pid} exited with ${code} before finishing: ${stderr}`);
  });
  failed.catch(() => {});
  const result = exited.then((code) => {
    const last = lines.at(-1);
    if (code !== 0 || last === undefined) throw new Error(`racer ${child.pid} exited with ${code}: ${stderr}`);
    return JSON.parse(last) as Result;
  });
  return {
    process: child,
    // A child that dies while loading must fail the test, not leave it waiting for "ready".
    ready: Promise.race([ready, failed]),
    result,
    go: () => child.stdin.end('go\n'),
  };
}

/** Starts racers together and collects their results. */
export async function race<Result>(racers: Racer<Result>[]): Promise<Result[]> {
  await Promise.all(racers.map((racer) => racer.ready));
  for (const racer of racers) racer.go();
  return Promise.all(racers.map((racer) => racer.result));
}
