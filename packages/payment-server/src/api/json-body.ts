import type { Context } from 'hono';
import type { z } from 'zod';
import { readJsonBody } from '../http/json-body.js';
import { parseInput } from '../merchants/input.js';

/**
 * A merchant API request's JSON body ({@link readJsonBody}: empty reads as `{}`, duplicate
 * members refused), checked by `schema`: anything else is `request_invalid` naming the
 * field, before anything changes.
 * @example const { amount, reason } = await jsonBody(c, refundRequest)
 */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  return parseInput(schema, await readJsonBody(c));
}
