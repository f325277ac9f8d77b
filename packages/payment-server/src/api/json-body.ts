import type { Context } from 'hono';
import type { z } from 'zod';
import { ProblemError } from '../http/problem.js';
import { parseInput } from '../merchants/input.js';

/**
 * A merchant API request's JSON body, checked by `schema`; an empty body reads as `{}`
 * (endpoints whose fields are all optional take none). Anything that is not JSON, or not
 * what the schema says, is `request_invalid` naming the field, before anything changes.
 * @example const { amount, reason } = await jsonBody(c, refundRequest)
 */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim() !== '') {
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      throw new ProblemError('request_invalid', 'content-type: must be application/json.', {
        issues: [{ path: 'content-type', message: 'must be application/json' }],
      });
    }
    try {
      value = JSON.parse(text);
    } catch {
      throw new ProblemError('request_invalid', 'The body is not JSON.', { issues: [{ path: '', message: 'must be JSON' }] });
    }
  }
  return parseInput(schema, value);
}
