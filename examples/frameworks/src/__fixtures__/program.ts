import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface Program {
  /** The origin the program said it listens on. */
  url: string;
  /** Everything it printed so far, stdout and stderr: what a failing test shows. */
  output(): string;
  /** Ends the program and everything it started (its process group); resolves once it exited. */
  stop(): Promise<void>;
}

/** How long a program may take to end on SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;

function exited(child: ChildProcess): Promise<unknown> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
}

/**
 * Runs a shop as its own process (Bun, Deno, `next dev`) and resolves with the origin it
 * prints (`ready`'s first group), or rejects with what it printed if it exits first. The
 * program leads a process group of its own, so `stop` also ends the workers it started.
 * @example const shop = await startProgram('bun', ['src/bun.ts'], { env, ready: /listening on (\S+)/ })
 */
export function startProgram(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env: Record<string, string>; ready: RegExp },
): Promise<Program> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const done = exited(child);
    process.kill(-child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), STOP_GRACE_MS);
    await done;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString();
      const url = options.ready.exec(output)?.[1];
      if (url === undefined) return;
      child.stdout?.off('data', onOutput);
      child.stdout?.on('data', (more: Buffer) => {
        output += more.toString();
      });
      child.off('exit', onExit);
      resolve({ url: new URL(url).origin, output: () => output, stop });
    };
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`${command} ${args.join(' ')} exited (${code ?? signal}) before it listened:\n${output}`));
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', onExit);
    child.once('error', reject);
  });
}
