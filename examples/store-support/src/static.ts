import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Hono } from 'hono';

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
/**
 * Serves a fixed set of files: a name in the URL maps to a path (absolute, or relative to
 * `folder`, the store's own `assets/`). Nothing else is reachable.
 * @example app.route('/assets', staticAssets(new URL('../assets/', import.meta.url), { 'shop.css': 'shop.css' }))
 */
export function staticAssets(folder: URL, files: Record<string, string>) {
  const app = new Hono();
  for (const [name, path] of Object.entries(files)) {
    const file = path.startsWith('/') ? path : new URL(path, folder);
    app.get(`/${name}`, async (c) => {
      c.header('content-type', TYPES[extname(name)] ?? 'application/octet-stream');
      c.header('cache-control', 'no-cache');
      return c.body(await readFile(file));
    });
  }
  return app;
}
