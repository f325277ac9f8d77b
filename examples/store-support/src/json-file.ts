import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A JSON document on disk, for a sample store that should survive a restart without a
 * database. Each change rewrites the whole file into a temporary one, flushes it and
 * renames it over the old one: a crash leaves either the old or the new document, never
 * half of one. Changes are applied one at a time, in the order they were asked for.
 * @example const file = await openJsonFile('.data/orders.json', () => ({ orders: {} })); await file.update((d) => { d.orders.a = 1 })
 */
export async function openJsonFile<T>(path: string, initial: () => T) {
  let data: T;
  try {
    data = JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    data = initial();
  }
  await mkdir(dirname(path), { recursive: true });
  let queue: Promise<unknown> = Promise.resolve();

  async function write(next: T) {
    const temporary = `${path}.${process.pid}.tmp`;
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(JSON.stringify(next, null, 1));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  }

  return {
    read(): T {
      return data;
    },
    /**
     * Applies `change` to a copy of the document and writes it; resolves with what
     * `change` returned once it is on disk. If `change` throws or the write fails, the
     * document stays as it was.
     */
    update<R>(change: (draft: T) => R): Promise<R> {
      const done = queue.then(async () => {
        const draft = structuredClone(data);
        const result = change(draft);
        await write(draft);
        data = draft;
        return result;
      });
      queue = done.catch(() => undefined);
      return done;
    },
  };
}
