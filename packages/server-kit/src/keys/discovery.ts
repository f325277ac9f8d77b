import {
  CaisseError,
  type DiscoveryDocument,
  discoveryDocument,
  isAllowedUrl,
  type Mode,
  parseMessage,
  SUPPORTED_VERSIONS,
} from '@caisse/protocol';
import type { PaymentServer } from '../merchant.js';
import { fetchJson, REMOTE_DEFAULTS, type RemoteKeySet, type RemoteKeySetOptions, remoteKeySet } from './remote.js';

/**
 * Where the discovery document lives below the payment server's URL.
 * @example const url = `https://pay.example${DISCOVERY_PATH}` // https://pay.example/.well-known/caisse
 */
export const DISCOVERY_PATH = '/.well-known/caisse';

/**
 * Options of {@link discoverPaymentServer}: those of {@link remoteKeySet}, which also apply to the discovery fetch, and what to expect.
 * @example await discoverPaymentServer('https://pay.example', { issuer: 'https://pay.example', allowedJwksOrigins: ['https://keys.pay.example'] })
 */
export interface DiscoverPaymentServerOptions extends Omit<RemoteKeySetOptions, 'jwksUri'> {
  /** The issuer the document must name (default the URL's origin, e.g. `https://pay.example`). */
  issuer?: string;
  /**
   * Origins besides the payment server's own that may host its JWKS, e.g. a CDN. Empty by
   * default: whoever can change the document's `jwksUri` decides which keys you trust.
   */
  allowedJwksOrigins?: readonly string[];
}

/**
 * A payment server described by its discovery document, ready for {@link createMerchant}.
 * @example const { issuer, payEndpoint, keys, document } = await discoverPaymentServer('https://pay.example')
 */
export interface DiscoveredPaymentServer extends PaymentServer {
  keys: RemoteKeySet;
  /** `test` when the document says so; `live` otherwise (also for servers that predate test mode). */
  mode: Mode;
  /** The validated document, for its `apiBase`, `algorithms` and `versions`. */
  document: DiscoveryDocument;
}

function documentUrl(base: URL): string {
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}${DISCOVERY_PATH}`;
}

/**
 * Fetches `<url>/.well-known/caisse`, checks that it names the issuer you expect, that
 * its JWKS lives on the same origin (unless you allow another), and that it speaks a
 * protocol version this kit reads. The keys are fetched lazily by the returned
 * {@link RemoteKeySet}; call `keys.refresh()` to fetch them now.
 *
 * Throws `keys_unavailable` when the document cannot be fetched, `message_invalid` when
 * it is malformed or its `jwksUri` is on a foreign origin, `issuer_mismatch`, or
 * `version_unsupported`.
 *
 * @example
 * const paymentServer = await discoverPaymentServer('https://pay.example')
 * await paymentServer.keys.refresh()
 * const merchant = createMerchant({ merchantId: 'shop-1', signingKey: privateJwk, paymentServer })
 */
export async function discoverPaymentServer(
  url: string | URL,
  options: DiscoverPaymentServerOptions = {},
): Promise<DiscoveredPaymentServer> {
  const text = String(url);
  if (!isAllowedUrl(text))
    throw new TypeError('discoverPaymentServer: the URL must be absolute https without credentials (http only for localhost).');
  const base = new URL(text);
  if (base.search !== '' || base.hash !== '') throw new TypeError('discoverPaymentServer: the URL must have no query or fragment.');
  const location = documentUrl(base);
  const { issuer: expectedIssuer = base.origin, allowedJwksOrigins = [], ...keyOptions } = options;

  const body = await fetchJson(location, {
    timeout: keyOptions.timeout ?? REMOTE_DEFAULTS.timeout,
    maxBytes: keyOptions.maxBytes ?? REMOTE_DEFAULTS.maxBytes,
    fetch: keyOptions.fetch,
    what: `The discovery document at ${location}`,
    invalid: 'message_invalid',
  });
  const document = parseMessage(discoveryDocument, body, 'message_invalid');
  if (document.issuer !== expectedIssuer) {
    throw new CaisseError(
      'issuer_mismatch',
      `The discovery document at ${location} names issuer "${document.issuer}", expected "${expectedIssuer}".`,
    );
  }
  const jwksOrigin = new URL(document.jwksUri).origin;
  if (jwksOrigin !== base.origin && !allowedJwksOrigins.includes(jwksOrigin)) {
    throw new CaisseError(
      'message_invalid',
      `The discovery document puts the JWKS on ${jwksOrigin}, not ${base.origin}; list it in allowedJwksOrigins to trust it.`,
      {
        issues: [{ path: 'jwksUri', message: 'must be on the payment server origin' }],
      },
    );
  }
  if (!document.versions.some((version) => SUPPORTED_VERSIONS.includes(version))) {
    throw new CaisseError(
      'version_unsupported',
      `The payment server speaks protocol versions ${document.versions.join(', ') || 'none'}; this kit reads ${SUPPORTED_VERSIONS.join(', ')}.`,
    );
  }
  return {
    issuer: document.issuer,
    payEndpoint: document.payEndpoint,
    keys: remoteKeySet({ ...keyOptions, jwksUri: document.jwksUri }),
    // A server that does not say its mode predates test mode: it is live.
    mode: document.mode ?? 'live',
    document,
  };
}
