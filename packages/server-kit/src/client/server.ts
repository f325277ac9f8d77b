import { CaisseError, isAllowedUrl } from '@caisse/protocol';
import { discoverPaymentServer } from '../keys/discovery.js';

/**
 * The payment server to call: its issuer URL (its discovery document gives the API's
 * address), or what you already know of it — a `discoverPaymentServer` result, or
 * `{ issuer, apiBase? }` (`apiBase` defaulting to `<issuer>/v1`).
 * @example const server: MerchantApiServer = 'https://pay.example'
 */
export type MerchantApiServer = string | URL | { issuer: string; apiBase?: string; document?: { apiBase: string } };

/** Where requests go (`apiBase`) and whom assertions are for (`issuer`). */
export interface ApiEndpoint {
  issuer: string;
  /** No trailing slash: paths are appended to it. */
  apiBase: string;
}

function trimmed(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * The API must live on the issuer's origin. The assertion's `htu` is the URL it is sent
 * to: an `apiBase` elsewhere (a tampered or stale discovery document) would get signed
 * requests delivered to a host the merchant never chose.
 */
function endpoint(issuer: string, apiBase: string): ApiEndpoint {
  if (!isAllowedUrl(apiBase)) {
    throw new CaisseError('message_invalid', 'The merchant API base must be an absolute https URL (http only for localhost).', {
      issues: [{ path: 'apiBase', message: 'must be an absolute https URL without credentials' }],
    });
  }
  const base = new URL(apiBase);
  if (base.origin !== new URL(issuer).origin || base.search !== '' || base.hash !== '') {
    throw new CaisseError('message_invalid', `The merchant API base ${apiBase} is not on the payment server's origin or has a query.`, {
      issues: [{ path: 'apiBase', message: "must be on the issuer's origin, without query or fragment" }],
    });
  }
  return { issuer, apiBase: trimmed(`${base.origin}${base.pathname}`) };
}

/**
 * Resolves the API endpoint once: a URL is looked up in its discovery document (whose
 * `issuer` must be that URL), everything else is taken as given. A failed discovery is
 * forgotten, so the next call tries again.
 * @example const resolve = apiEndpoint('https://pay.example', { timeout: 5_000 }); const { issuer, apiBase } = await resolve()
 */
export function apiEndpoint(
  server: MerchantApiServer,
  options: { timeout: number; fetch?: typeof globalThis.fetch },
): () => Promise<ApiEndpoint> {
  if (typeof server === 'object' && !(server instanceof URL)) {
    const given = endpoint(server.issuer, server.apiBase ?? server.document?.apiBase ?? `${trimmed(server.issuer)}/v1`);
    return () => Promise.resolve(given);
  }
  const issuer = trimmed(String(server));
  if (!isAllowedUrl(issuer)) throw new TypeError('createMerchantClient: server must be an absolute https URL (http only for localhost).');
  let pending: Promise<ApiEndpoint> | undefined;
  return () => {
    pending ??= discoverPaymentServer(issuer, {
      issuer,
      timeout: options.timeout,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }).then(
      (discovered) => endpoint(discovered.issuer, discovered.document.apiBase),
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };
}
