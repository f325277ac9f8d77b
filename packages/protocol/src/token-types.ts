/**
 * The `typ` header of each token kind. Every kind has its own, so one kind can never be
 * accepted as another (RFC 8725 §3.11, explicit typing).
 */
export const TOKEN_TYPES = {
  ticket: 'caisse-ticket+jwt',
  voucher: 'caisse-voucher+jwt',
  refusal: 'caisse-refusal+jwt',
  notification: 'caisse-notification+jwt',
  confirmation: 'caisse-confirmation+jwt',
  assertion: 'caisse-assertion+jwt',
  /** The payment server asking a merchant's quote endpoint for a price (a quote request). */
  quote: 'caisse-quote+jwt',
  /** The payment server certifying a device's public key (evidence bundles; later offline receipts). */
  deviceCertificate: 'caisse-device-cert+jwt',
} as const;

export type TokenKind = keyof typeof TOKEN_TYPES;
export type TokenType = (typeof TOKEN_TYPES)[TokenKind];

/** The only signature algorithms any Caisse party accepts. */
export const ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
