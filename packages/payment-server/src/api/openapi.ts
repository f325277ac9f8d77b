import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';

/** Where the payment server serves the merchant API's OpenAPI description, without authentication. */
export const OPENAPI_PATH = '/v1/openapi.yaml';

/**
 * The description's file, `openapi.yaml` at the package root (shipped with the package):
 * one folder up from the built `dist/`, two from `src/api/` when run from source.
 */
export function openapiFile(): string {
  const candidates = ['../openapi.yaml', '../../openapi.yaml'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) throw new Error(`openapi.yaml is missing from the payment server package (looked at ${candidates.join(', ')}).`);
  return found;
}

/**
 * `GET /v1/openapi.yaml`: the merchant API's OpenAPI 3.1 description, as the package ships
 * it, read once. Public, like the discovery document: it describes the API, it opens none
 * of it. Mount before `apiRoutes`, whose assertion would otherwise be asked for.
 * @example createApp({ routes: [openapiRoutes(), apiRoutes(…)] })
 */
export function openapiRoutes(): (app: Hono) => void {
  let text: Promise<string> | undefined;
  return (app) => {
    app.get(OPENAPI_PATH, async (c) => {
      text ??= readFile(openapiFile(), 'utf8').catch((error: unknown) => {
        text = undefined;
        throw error;
      });
      // RFC 9512; cacheable like the discovery document: it changes only with a new release.
      return c.body(await text, 200, { 'content-type': 'application/yaml; charset=utf-8', 'cache-control': 'public, max-age=300' });
    });
  };
}
