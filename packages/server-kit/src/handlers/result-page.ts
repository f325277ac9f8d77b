import { REFUSAL_REASONS } from '@caisse/protocol';
import { SECURITY_HEADERS } from './problem.js';

/** What the return handler's own page says after each outcome. */
const WORDING = {
  paid: { title: 'Payment received', text: 'Thank you: your payment is confirmed.' },
  refused: { title: 'Payment not completed', text: 'The payment was not made, and nothing was charged.' },
  failed: {
    title: 'We could not confirm your payment on this page',
    text: 'If you paid, the payment server still tells the shop, and your order will be confirmed. Nothing was charged twice.',
  },
} as const;

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** A same-site path for the "Continue" link: anything else (another site, `javascript:`) becomes `/`. */
function localPath(url: string): string {
  return /^\/(?![/\\])/.test(url) ? url : '/';
}

/**
 * The return handler's own result page, for a shop whose hooks named no page of their
 * own: plain HTML with no script and no outside resource. A paid customer reads that the
 * payment is confirmed; a refused one reads the reason in words (`REFUSAL_REASONS`); after a
 * failure (say, a voucher opened in another browser) the customer reads that a payment
 * made still reaches the shop, and the code, for the shop's support, in small print.
 * @example return resultPage('refused', url.searchParams, '/basket')
 */
export function resultPage(result: keyof typeof WORDING, params: URLSearchParams, homeUrl: string): Response {
  const wording = WORDING[result];
  const reason = params.get('caisse_reason');
  const code = params.get('caisse_error');
  const because =
    result === 'refused' && reason !== null && Object.hasOwn(REFUSAL_REASONS, reason)
      ? REFUSAL_REASONS[reason as keyof typeof REFUSAL_REASONS]
      : undefined;
  const reference = result === 'failed' && code !== null && /^[a-z_]{1,40}$/.test(code) ? code : undefined;
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(wording.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}small{color:#555}</style>
</head><body><main>
<h1>${escapeHtml(wording.title)}</h1>
<p>${escapeHtml(wording.text)}</p>${because === undefined ? '' : `\n<p>${escapeHtml(because)}</p>`}
<p><a href="${escapeHtml(localPath(homeUrl))}">Continue</a></p>${reference === undefined ? '' : `\n<p><small>Reference: ${escapeHtml(reference)}</small></p>`}
</main></body></html>
`;
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      ...SECURITY_HEADERS,
    },
  });
}
