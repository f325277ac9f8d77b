import type { Hono } from 'hono';
import type { ApiEnv } from '../api/context.js';
import { readJsonBody } from '../http/json-body.js';
import type { ContentService } from './service.js';

/**
 * The merchant API's digital goods, for the merchant API app:
 * - `PUT /contents/:ref` `{title, contentType, data}` stores or replaces a good (`201` the
 *   first time, then `200`), answering what it is, never the good;
 * - `GET /contents/:ref` says what it is (`content_unknown`, 404, for another merchant's).
 * @example createApi({ …, endpoints: [contentEndpoints({ contents })] })
 */
export function contentEndpoints(deps: { contents: Pick<ContentService, 'put' | 'get'> }) {
  return (api: Hono<ApiEnv>): void => {
    api.put('/contents/:ref', async (c) => {
      const { content, created } = await deps.contents.put(c.get('merchantId'), c.req.param('ref'), await readJsonBody(c));
      return c.json(content, created ? 201 : 200);
    });
    api.get('/contents/:ref', async (c) => c.json(await deps.contents.get(c.get('merchantId'), c.req.param('ref'))));
  };
}
