import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** A port free right now on 127.0.0.1 (the payment server's issuer names its port before it listens). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A long-running child process (the payment server, the customer's phone) and what it printed. */
export interface Background {
  /** Resolves with the first line of stdout that `test` accepts; rejects if the process exits first. */
  line(test: (line: string) => boolean): Promise<string>;
  output(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

export function background(command: string, args: readonly string[], options: { cwd: string; env: Record<string, string> }): Background {
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const lines: string[] = [];
  const waiting = new Set<{ test: (line: string) => boolean; resolve: (line: string) => void }>();
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    output += `${line}\n`;
    lines.push(line);
    for (const wait of waiting) {
      if (wait.test(line)) {
        waiting.delete(wait);
        wait.resolve(line);
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    line(test) {
      const seen = lines.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiting.add({ test, resolve });
        void exited.then(() =>
          reject(new Error(`${command} ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}):\n${output}`)),
        );
      });
    },
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
