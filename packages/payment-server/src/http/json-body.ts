import { findDuplicateMember } from '@caisse/server-kit';
import type { Context } from 'hono';
import { ProblemError } from './problem.js';

/**
 * A request's JSON body, for every endpoint that reads one (merchant API, device API); an
 * empty body reads as `{}`, so a schema then names the fields it lacks. A body that is not
 * `application/json` or not JSON is `request_invalid`; one repeating a member name at any
 * depth is `duplicate_member`, as in tokens: JSON.parse keeps the last of `{"amount":1,
 * "amount":100}`, so the assertion's signer, a proxy or a log could read 1 where the server
 * acts on 100 (RFC 8259 §4: names SHOULD be unique; RFC 8725 §3.6).
 * @example const input = parseInput(enrollInput, await readJsonBody(c))
 */
export async function readJsonBody(c: Context): Promise<unknown> {
  return parseJsonBody(await c.req.text(), c.req.header('content-type'));
}

/** {@link readJsonBody} on a body already read as text, with its Content-Type (see node-body.ts): the same checks, the same answers. */
export function parseJsonBody(text: string, contentType: string | undefined): unknown {
  if (text.trim() === '') return {};
  const type = contentType ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ProblemError('request_invalid', 'content-type: must be application/json.', {
      issues: [{ path: 'content-type', message: 'must be application/json' }],
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProblemError('request_invalid', 'The body is not JSON.', { issues: [{ path: '', message: 'must be JSON' }] });
  }
  // After JSON.parse: the scan only follows structure, so it is exact on valid JSON alone.
  const duplicate = findDuplicateMember(text);
  if (duplicate !== undefined) {
    throw new ProblemError(
      'duplicate_member',
      `The body repeats the member ${JSON.stringify(duplicate.slice(0, 64))}: send each member once.`,
    );
  }
  return value;
}
