import type { ConfirmationRequest } from '@caisse/protocol';
import { delay, HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { consoleNotifier } from './console.js';
import { createNotifier } from './index.js';
import { smsNotifier } from './sms.js';

const GATEWAY = 'https://sms.example/v1/messages';
const TOKEN = 'gateway-token-7f3a9c';
const CODE = '482913';
const alice = { id: 'alice', phone: '+33612345678' };
const request: ConfirmationRequest = {
  ver: 1,
  id: 'cfr_AAAAAAAAAAAAAAAAAAAAAAAA',
  challenge: 'c'.repeat(43),
  ticket: { jti: 't-1', sha256: 's'.repeat(43) },
  payee: { id: 'bookshop', name: 'The Bookshop' },
  items: [{ id: 'book', label: 'A book', quantity: 1, unitAmount: 1290, vatRate: 550 }],
  amount: 1290,
  vat: 67,
  currency: 'EUR',
  createdAt: 1_800_000_000,
  expiresAt: 1_800_000_300,
};

function capture() {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: 'debug', write: (line) => lines.push(line) }) };
}

const gateway = setupServer();
beforeAll(() => gateway.listen({ onUnhandledRequest: 'error' }));
afterEach(() => gateway.resetHandlers());
afterAll(() => gateway.close());

describe('SMS gateway notifier', () => {
  it('posts {to, text} with the bearer token: payee and amount for a request, no challenge', async () => {
    const received: { auth: string | null; type: string | null; body: unknown }[] = [];
    gateway.use(
      http.post(GATEWAY, async ({ request: sent }) => {
        received.push({ auth: sent.headers.get('authorization'), type: sent.headers.get('content-type'), body: await sent.json() });
        return HttpResponse.json({ id: 'm1' }, { status: 202 });
      }),
    );
    const { lines, log } = capture();
    await smsNotifier({ url: GATEWAY, token: TOKEN, log }).confirmationRequested(alice, request);
    expect(received).toEqual([
      {
        auth: `Bearer ${TOKEN}`,
        type: 'application/json',
        body: { to: '+33612345678', text: 'The Bookshop asks you to pay €12.90. Open your Caisse app to confirm or decline.' },
      },
    ]);
    expect(JSON.stringify(received)).not.toContain(request.challenge);
    expect(lines.join('\n')).toContain('"notifier.sent"');
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('sends the enrollment code in the SMS and never in a log line', async () => {
    const texts: string[] = [];
    gateway.use(
      http.post(GATEWAY, async ({ request: sent }) => {
        texts.push(((await sent.json()) as { text: string }).text);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { lines, log } = capture();
    await smsNotifier({ url: GATEWAY, token: TOKEN, log }).enrollmentCode(alice, CODE);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain(CODE);
    expect(lines.join('\n')).toContain('enrollment_code');
    expect(lines.join('\n')).not.toContain(CODE);
  });

  it('logs a refusal, a time-out or a redirect once and never sends it again (no double SMS)', async () => {
    let calls = 0;
    gateway.use(
      http.post(GATEWAY, async () => {
        calls++;
        if (calls === 1) return new HttpResponse('down', { status: 503 });
        if (calls === 2) return new HttpResponse(null, { status: 302, headers: { location: 'https://elsewhere.example/' } });
        await delay('infinite');
        return new HttpResponse(null, { status: 200 });
      }),
    );
    const { lines, log } = capture();
    const notifier = smsNotifier({ url: GATEWAY, token: TOKEN, log, timeoutMs: 200 });
    await expect(notifier.confirmationRequested(alice, request)).resolves.toBeUndefined();
    await expect(notifier.enrollmentCode(alice, CODE)).resolves.toBeUndefined();
    await expect(notifier.enrollmentCode(alice, CODE)).resolves.toBeUndefined();
    expect(calls).toBe(3);
    const failed = lines.filter((line) => line.includes('"notifier.failed"'));
    expect(failed).toHaveLength(3);
    expect(failed[0]).toContain('"status":503');
    expect(failed[1]).toContain('"status":302');
    expect(failed[2]).toContain('TimeoutError');
    expect(lines.join('\n')).not.toContain(CODE);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });
});

describe('console notifier and configuration', () => {
  it('logs that a code or a request was sent, never the code', async () => {
    const { lines, log } = capture();
    const notifier = consoleNotifier(log);
    await notifier.enrollmentCode(alice, CODE);
    await notifier.confirmationRequested(alice, request);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('"kind":"enrollment_code"');
    expect(lines[1]).toContain('"kind":"confirmation_request"');
    expect(lines.join('\n')).not.toContain(CODE);
  });

  it('is the console notifier by default; sms needs its URL and token', async () => {
    const { lines, log } = capture();
    await createNotifier(loadConfig({}), log).enrollmentCode(alice, CODE);
    expect(lines[0]).toContain('"channel":"console"');
    expect(() => createNotifier(loadConfig({ CAISSE_NOTIFIER: 'sms', CAISSE_SMS_URL: GATEWAY }), log)).toThrow(/CAISSE_SMS_TOKEN/);
    expect(() => loadConfig({ CAISSE_NOTIFIER: 'pigeon' })).toThrow(/CAISSE_NOTIFIER/);
  });
});
