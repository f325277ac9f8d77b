import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIo, runCommand } from '../commands.js';

/**
 * Runs `caisse-server` commands in-process against a data folder of their own, capturing
 * what they print. `io` adds to the command's `CliIo` (`cwd`, `running`). Call `remove()` when done.
 */
export async function cliInTempFolder(prefix: string, env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    async run(argv: string[], stdin = '', io: Partial<Pick<CliIo, 'cwd' | 'running'>> = {}) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCommand(argv, {
        out: (line) => out.push(line),
        err: (line) => err.push(line),
        env: { CAISSE_DATA_DIR: dir, LOG_LEVEL: 'error', ...env },
        readStdin: async () => stdin,
        stopSignal: () => Promise.resolve(),
        ...io,
      });
      return { code, out: out.join('\n'), err: err.join('\n') };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
