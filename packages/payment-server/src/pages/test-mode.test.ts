import { describe, expect, it } from 'vitest';
import { checkoutPage } from './checkout.js';
import { errorPage } from './error.js';
import { purchaseView } from './test-support.js';

describe('the test mode banner', () => {
  it('says "Test mode — no real money" at the top of every page of a server in test mode, in each language', () => {
    const en = checkoutPage(purchaseView({ testMode: true }), 'en');
    expect(en).toMatch(/<header class="site-header">\s*<p class="test-mode" role="note">Test mode — no real money\./);
    const fr = errorPage({ status: 404, code: 'not_found', testMode: true }, 'fr');
    expect(fr).toContain('<p class="test-mode" role="note">Mode test — aucun argent réel.');
  });

  it('is absent in live mode', () => {
    expect(checkoutPage(purchaseView(), 'en')).not.toContain('test-mode');
    expect(errorPage({ status: 404, code: 'not_found', testMode: false }, 'fr')).not.toContain('test-mode');
  });
});
