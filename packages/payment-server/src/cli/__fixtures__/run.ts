import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIo, runCommand } from '../commands.js';

/**
 * Runs `caisse-server` commands in-process against a data folder of their own, capturing
 * what they print. Call `remove()` when done.
 */
export async function cliInTempFolder(prefix: string, env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    async run(argv: string[], stdin = '') {
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIo = {
        out: (line) => out.push(line),
        err: (line) => err.push(line),
        env: { CAISSE_DATA_DIR: dir, LOG_LEVEL: 'error', ...env },
        readStdin: async () => stdin,
        stopSignal: () => Promise.resolve(),
      };
      const code = await runCommand(argv, io);
      return { code, out: out.join('\n'), err: err.join('\n') };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
