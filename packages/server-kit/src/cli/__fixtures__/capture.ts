import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOW } from '../../__fixtures__/parties.js';
import type { CliIo } from '../io.js';

/** A CliIo that records what a command writes, with a given stdin and a frozen clock (NOW by default). */
export function capture(options: { stdin?: string; now?: Date } = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    readStdin: async (maxBytes) => {
      const input = options.stdin ?? '';
      return Buffer.byteLength(input) > maxBytes ? undefined : input;
    },
    now: () => options.now ?? NOW,
  };
  return {
    io,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    /** stdout parsed as the one JSON object a `--json` run prints. */
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary members of the printed JSON.
    json(): Record<string, any> {
      return JSON.parse(stdout);
    },
  };
}

/** A temporary directory removed by the returned `cleanup`. */
export async function tempDir(): Promise<{ dir: string; file(name: string, content: unknown): Promise<string>; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'caisse-cli-'));
  return {
    dir,
    async file(name, content) {
      const path = join(dir, name);
      await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
