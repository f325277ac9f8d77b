import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { readJsonBody } from './json-body.js';
import { ProblemError, problemResponse } from './problem.js';

const app = new Hono();
app.post('/', async (c) => c.json({ value: await readJsonBody(c) }));
app.onError((error) => {
  if (error instanceof ProblemError) return problemResponse(error);
  throw error;
});

const post = (body: string, type = 'application/json') => app.request('/', { method: 'POST', headers: { 'content-type': type }, body });

describe('readJsonBody', () => {
  it.each([
    ['at the top', '{"amount":1,"amount":100}', 'amount'],
    ['in a nested object', '{"payment":{"amount":1,"currency":"EUR","amount":100}}', 'amount'],
    ['in an object inside an array', '{"items":[{"id":"a"},{"id":"b","quantity":1,"quantity":9}]}', 'quantity'],
    ['after a nested object closes', '{"a":{"b":1},"a":2}', 'a'],
    ['spelled with an escape', '{"a":1,"\\u0061":2}', 'a'],
    ['spelled with two different escapes', '{"\\u00e9":1,"\\u00E9":2}', 'é'],
  ])('refuses a member repeated %s, naming it', async (_where, body, member) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    const problem = await response.json();
    expect(problem).toMatchObject({ code: 'duplicate_member', status: 400 });
    expect(problem.detail).toBe(`The body repeats the member ${JSON.stringify(member)}: send each member once.`);
  });

  it('accepts the same name in different objects, and names that only appear as values', async () => {
    const body = '{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":"a","d":"\\"a\\":","e":["a","a"]}';
    const response = await post(body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ value: JSON.parse(body) });
  });

  it('keeps a long repeated name out of the detail past 64 characters', async () => {
    const name = 'n'.repeat(5_000);
    const problem = await (await post(`{"${name}":1,"${name}":2}`)).json();
    expect(problem.code).toBe('duplicate_member');
    expect(problem.detail).toContain(`"${'n'.repeat(64)}"`);
    expect(problem.detail.length).toBeLessThan(200);
  });

  it('calls broken JSON broken, even when what is there repeats a name', async () => {
    const problem = await (await post('{"amount":1,"amount":')).json();
    expect(problem).toMatchObject({ code: 'request_invalid', issues: [{ path: '', message: 'must be JSON' }] });
  });

  it('reads an empty body as {} and refuses a body that is not application/json', async () => {
    expect(await (await post('', 'text/plain')).json()).toEqual({ value: {} });
    expect(await (await post('{"a":1}', 'application/json; charset=utf-8')).json()).toEqual({ value: { a: 1 } });
    const problem = await (await post('{"a":1}', 'text/plain')).json();
    expect(problem).toMatchObject({ code: 'request_invalid', issues: [{ path: 'content-type', message: 'must be application/json' }] });
  });
});
