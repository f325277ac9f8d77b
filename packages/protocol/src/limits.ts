/**
 * Upper bounds on every variable-length field, so that no message can make a party
 * allocate or hash without limit. A message over a limit is refused, never truncated.
 */
export const LIMITS = {
  /** Length of a whole compact token, in characters (ASCII, so also bytes). */
  tokenLength: 16_384,
  /** Identifiers: merchant, ticket, item, account, key ids. */
  idLength: 64,
  /** Issuer and audience identifiers (an id or an https URL). */
  partyLength: 255,
  /** Merchant order serial. */
  serialLength: 64,
  /** Item labels and display names. */
  labelLength: 200,
  /** Items in one ticket. */
  items: 100,
  /** Any URL. */
  urlLength: 2_048,
  /** The `state` binding a ticket to a browser session. */
  stateLength: 256,
  /** Quantity of one item. */
  quantity: 1_000_000,
  /** Any amount, in minor units (10^12: ten billion in a two-decimal currency). */
  amount: 1_000_000_000_000,
  /** VAT rate in basis points (10000 = 100 %). */
  vatRate: 10_000,
  /** Longest validity of a ticket, in seconds. */
  ticketLifetime: 86_400,
  /** Longest validity of a voucher or refusal, in seconds. */
  voucherLifetime: 600,
  /** Longest validity of a merchant API assertion, in seconds. */
  assertionLifetime: 300,
  /** Longest validity of a quote request, in seconds: the merchant answers it at once. */
  quoteRequestLifetime: 60,
  /** Largest digital good the payment server keeps for a merchant, in bytes. */
  contentBytes: 512 * 1024,
  /** Longest life of a session allowance, from its ticket's `iat`, in seconds (one year). */
  allowanceLifetime: 366 * 86_400,
  /** Charges listed in one `allowance.settled` notification; the merchant API lists them all. */
  settledCharges: 50,
  /** Kinds of customer data a ticket may request. */
  requested: 8,
} as const;
