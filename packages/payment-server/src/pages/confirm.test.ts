import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import { checkoutPage } from './checkout.js';
import { CONFIRM_LIVE_SCRIPT, CONFIRM_LIVE_SCRIPT_PATH, confirmOnPhonePage } from './confirm.js';
import { attributes, bodyText, confirmView, expectWellFormedPage, purchaseView, startTags } from './test-support.js';

const live = { events: '/checkout/s1/events', secondsLeft: 299.4 };

describe('confirmOnPhonePage with live status', () => {
  test('loads one external script and hands it same-origin paths, the countdown and the words to show', () => {
    const html = confirmOnPhonePage(confirmView({ live }), 'en');
    // The only script is the external file: CSP script-src 'self', nothing inline.
    expect(startTags(html, 'script')).toEqual([`<script src="${CONFIRM_LIVE_SCRIPT_PATH}" defer>`]);
    expect(html).toMatch(/<script src="[^"]+" defer><\/script>/);
    expectWellFormedPage(html.replace(/<script src="[^"]+" defer><\/script>/, ''), 'en');
    const [data] = startTags(html, 'div').filter((tag) => tag.includes('id="caisse-live"'));
    expect(attributes(data ?? '')).toMatchObject({
      'data-events': '/checkout/s1/events',
      'data-refresh': '/checkout/s1',
      'data-seconds-left': '299',
      'data-updating': 'Your phone answered, or the time is up. Loading the result…',
    });
    expect(html).toContain('<span id="caisse-countdown" role="timer" class="num">4:59</span>');
    // Without script the page still says it does not update and offers "Check again".
    expect(bodyText(html)).toContain('This page does not update by itself');
    expect(html).toContain('<a class="button button-primary" href="/checkout/s1">Check again</a>');
  });

  test('in French, and never a path to another site', () => {
    expect(bodyText(confirmOnPhonePage(confirmView({ live }), 'fr'))).toContain('Temps restant');
    expect(() => confirmOnPhonePage(confirmView({ live: { events: '//evil.example/x', secondsLeft: 10 } }), 'en')).toThrow(TypeError);
  });

  test('the script follows the feed and reloads the page; it reads nothing but its data element', () => {
    expect(CONFIRM_LIVE_SCRIPT).toContain("new EventSource(data.getAttribute('data-events'))");
    expect(CONFIRM_LIVE_SCRIPT).toContain('window.location.replace(refresh)');
    expect(CONFIRM_LIVE_SCRIPT).not.toMatch(/innerHTML|eval\(|fetch\(/);
  });

  test('a popup tells its opener the phone step and its end, only at the return origin', () => {
    const expiresAt = new Date('2026-11-22T10:05:00Z');
    const popup = confirmOnPhonePage(confirmView({ expiresAt, live: { ...live, openerOrigin: 'https://shop.example' } }), 'en');
    const run = runLiveScript(popup);
    expect(run.posted).toEqual([
      [{ type: 'caisse:status', state: 'confirming', expiresAt: '2026-11-22T10:05:00.000Z' }, 'https://shop.example'],
    ]);
    run.feed({ state: 'authorising' });
    expect(run.posted[1]).toEqual([{ type: 'caisse:status', state: 'authorising' }, 'https://shop.example']);
    expect(run.location).toEqual(['/checkout/s1']);

    // A redirect checkout has no opener to tell: nothing is posted, whoever opened the window.
    const redirect = runLiveScript(confirmOnPhonePage(confirmView({ live }), 'en'));
    redirect.feed({ state: 'paid' });
    expect(redirect.posted).toEqual([]);
    expect(redirect.location).toEqual(['/checkout/s1']);
  });
});

/** Runs the live script against the page's data element with a fake window, EventSource and opener. */
function runLiveScript(html: string) {
  const [tag] = startTags(html, 'div').filter((candidate) => candidate.includes('id="caisse-live"'));
  const data = attributes(tag ?? '');
  const posted: unknown[][] = [];
  const location: string[] = [];
  const element = () => ({ hidden: true, textContent: '' });
  const elements: Record<string, unknown> = {
    'caisse-live': { getAttribute: (name: string) => data[name] ?? null },
    'caisse-countdown': element(),
    'caisse-status': element(),
    'caisse-no-update': element(),
    'caisse-live-note': element(),
    'caisse-countdown-line': element(),
  };
  let source: { onmessage?: (event: { data: string }) => void; close(): void } | undefined;
  class FakeEventSource {
    constructor() {
      source = this as never;
    }
    close() {}
  }
  const context = {
    document: { getElementById: (id: string) => elements[id] },
    window: {
      opener: { closed: false, postMessage: (...args: unknown[]) => posted.push(args) },
      location: { replace: (url: string) => location.push(url) },
    },
    EventSource: FakeEventSource,
    Date,
    Math,
    Number,
    String,
    JSON,
    setTimeout: () => 0,
  };
  runInNewContext(CONFIRM_LIVE_SCRIPT, context);
  return { posted, location, feed: (message: unknown) => source?.onmessage?.({ data: JSON.stringify(message) }) };
}

describe('checkoutPage with a customer named by the ticket', () => {
  test('"Confirm on my phone" is the first form: one click, CSRF token, the access key form stays as the alternative', () => {
    const html = checkoutPage(
      purchaseView({ actions: { identify: '/checkout/s1/identify', cancel: '/checkout/s1/cancel', phone: '/checkout/s1/phone' } }),
      'en',
    );
    expectWellFormedPage(html, 'en');
    const forms = startTags(html, 'form');
    expect(forms[0]).toBe('<form method="post" action="/checkout/s1/phone" class="inline-form">');
    // The one click may carry the customer's choice to spend their loyalty points, a box of its own in this form.
    expect(html).toMatch(
      /action="\/checkout\/s1\/phone" class="inline-form">\s*<input type="hidden" name="csrf" value="[^"]+">\s*<div class="field choice">\s*<input type="checkbox" id="use-points-phone" name="usePoints" value="yes"[^>]*>[\s\S]*?<\/div>\s*<button type="submit" class="button button-primary">Confirm on my phone<\/button>/,
    );
    expect(html).toContain('action="/checkout/s1/identify"');
  });

  test('without a named customer there is no phone button', () => {
    expect(checkoutPage(purchaseView(), 'fr')).not.toContain('/phone"');
  });
});
