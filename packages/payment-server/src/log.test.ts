import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requestContext } from './http/request-context.js';
import { createLogger } from './log.js';

function capture(level?: 'debug' | 'info') {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createLogger({ level, write: (line) => lines.push(JSON.parse(line)) }) };
}

describe('createLogger', () => {
  it('writes one JSON object a line with the event and fields', () => {
    const { lines, log } = capture();
    log.info('payment.authorised', { serial: 'order-42', amount: 1590 });
    expect(lines).toEqual([expect.objectContaining({ level: 'info', event: 'payment.authorised', serial: 'order-42', amount: 1590 })]);
  });

  it('never writes tokens, access keys, PINs or cookies, at any depth or inside text', () => {
    const { lines, log } = capture();
    const jws = 'eyJhbGciOiJFZERTQSJ9.eyJ2ZXIiOjF9.c2lnbmF0dXJl';
    log.warn('checkout.failed', {
      ticket: jws,
      accessKey: 'correct horse',
      request: { headers: { cookie: 'caisse_session=abc', Authorization: 'Bearer x' }, pin: '1234' },
      url: `https://shop.example/paid?caisse_voucher=${jws}`,
      error: new Error(`bad token ${jws}`),
    });
    const text = JSON.stringify(lines);
    expect(text).not.toContain(jws);
    expect(text).not.toContain('correct horse');
    expect(text).not.toContain('1234');
    expect(text).not.toContain('caisse_session=abc');
    expect(text).not.toContain('Bearer x');
    expect(lines[0]).toMatchObject({ url: 'https://shop.example/paid?caisse_voucher=[token]', error: { message: 'bad token [token]' } });
  });

  it('writes an error with its stack and its causes, tokens still replaced and its other members left out', () => {
    const { lines, log } = capture();
    const jws = 'eyJhbGciOiJFZERTQSJ9.eyJ2ZXIiOjF9.c2lnbmF0dXJl';
    const root = Object.assign(new Error(`connect ECONNREFUSED for ${jws}`), { code: 'ECONNREFUSED', password: 'hunter2' });
    const error = Object.assign(new Error('the bank did not answer', { cause: root }), { accessKey: 'correct horse' });
    log.error('bank.failed', { error, request: { ticket: jws } });
    const [line] = lines as [{ error: Record<string, unknown>; request: unknown }];
    expect(line.error).toEqual({
      name: 'Error',
      message: 'the bank did not answer',
      stack: expect.stringMatching(/^Error: the bank did not answer\n\s+at .*log\.test\.ts/),
      cause: {
        name: 'Error',
        message: 'connect ECONNREFUSED for [token]',
        code: 'ECONNREFUSED',
        stack: expect.stringMatching(/^Error: connect ECONNREFUSED for \[token\]\n\s+at /),
      },
    });
    expect(line.request).toEqual({ ticket: '[redacted]' });
    const text = JSON.stringify(lines);
    expect(text).not.toContain(jws);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('correct horse');
  });

  it('stops a chain of causes that goes on (or loops) at a fixed depth', () => {
    const { lines, log } = capture();
    const looping = new Error('again');
    looping.cause = looping;
    log.error('looped', { error: looping });
    let depth = 0;
    for (let error = (lines[0] as { error: unknown }).error; typeof error === 'object'; error = (error as { cause: unknown }).cause)
      depth += 1;
    expect(depth).toBe(4);
  });

  it('names the request a line was written for, inside its context only', async () => {
    const { lines, log } = capture();
    const app = new Hono().use(requestContext());
    app.get('/orders', async (c) => {
      await Promise.resolve();
      log.info('order.listed');
      return c.text('ok');
    });
    await app.request('/orders', { headers: { 'x-request-id': 'r-42' } });
    log.info('outside');
    expect(lines).toEqual([
      expect.objectContaining({ event: 'order.listed', requestId: 'r-42' }),
      expect.not.objectContaining({ requestId: expect.anything() }),
    ]);
  });

  it('drops lines below its level and carries child fields', () => {
    const { lines, log } = capture('info');
    log.debug('noise');
    log.child({ requestId: 'r1' }).info('served');
    expect(lines).toEqual([expect.objectContaining({ event: 'served', requestId: 'r1' })]);
  });
});
