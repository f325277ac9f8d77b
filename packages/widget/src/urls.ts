/** The payment server's endpoints, from its base URL. */
export interface PaymentServer {
  /** The only origin whose messages the widget accepts. */
  origin: string;
  /** Where the ticket is posted. */
  pay: string;
  /** Where a quote is asked for (quote mode: no ticket, a merchant and an item). */
  quote: string;
}

/**
 * An https URL, or plain http on the developer's own machine or the page's own origin;
 * never one with credentials in it.
 */
function secureUrl(text: string | undefined, base?: string): URL | undefined {
  try {
    const url = new URL(text as string, base);
    const local = /^(localhost|127\.0\.0\.1|\[::1\]|.+\.localhost)$/.test(url.hostname) || url.origin === location.origin;
    return text && !url.username && !url.password && (url.protocol === 'https:' || (url.protocol === 'http:' && local)) ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @example paymentServer('https://pay.example/') // { origin: 'https://pay.example', pay: 'https://pay.example/pay', quote: 'https://pay.example/quote' }
 */
export function paymentServer(server: string | undefined): PaymentServer | undefined {
  const url = secureUrl(server);
  const base = url && !url.search && !url.hash && `${url.origin}${url.pathname.replace(/\/*$/, '/')}`;
  return base ? { origin: (url as URL).origin, pay: `${base}pay`, quote: `${base}quote` } : undefined;
}

/**
 * The merchant's verify endpoint, resolved against the page.
 * @example verifyEndpoint('/caisse/return') // 'https://shop.example/caisse/return'
 */
export function verifyEndpoint(verifyUrl: string | undefined): string | undefined {
  return secureUrl(verifyUrl, document.baseURI)?.href;
}
