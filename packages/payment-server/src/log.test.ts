import { describe, expect, it } from 'vitest';
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

  it('drops lines below its level and carries child fields', () => {
    const { lines, log } = capture('info');
    log.debug('noise');
    log.child({ requestId: 'r1' }).info('served');
    expect(lines).toEqual([expect.objectContaining({ event: 'served', requestId: 'r1' })]);
  });
});
