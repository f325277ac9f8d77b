import { MODES } from '@caisse/protocol';
import { z } from 'zod';
import { ACQUIRER_NAME } from './acquirer/routing.js';
import { checkTimeZone } from './customers/ceilings.js';
import { DELIVERED_NOTIFICATION_RETENTION_DAYS, MAX_RETENTION_DAYS } from './housekeeping/retention.js';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * Wallet thresholds per currency, as `EUR:5000,USD:5000` (minor units): below the
 * threshold a payment is taken from the customer's wallet, at or above it through the
 * bank. A currency not listed uses `*`.
 */
const thresholds = z
  .string()
  .regex(/^(?:(?:[A-Z]{3}|\*):\d{1,12})(?:,(?:[A-Z]{3}|\*):\d{1,12})*$/, 'must look like EUR:5000,*:5000 (minor units)')
  .transform((text) =>
    Object.fromEntries(
      text
        .split(',')
        .map((pair) => pair.split(':'))
        .map(([code, amount]) => [code, Number(amount)]),
    ),
  );

/** The shape of a route; what its values mean (real currencies, a band that is not empty) `checkAcquirers` checks. */
const route = z
  .object({
    currencies: z.array(z.string()).min(1).optional(),
    minAmount: z.int().optional(),
    maxAmount: z.int().optional(),
    merchants: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

/** One acquirer: a name, the adapter module that makes it (its default export, given `options`), and what it takes. */
const acquirerEntry = z
  .object({
    name: z.string().regex(ACQUIRER_NAME, 'must be 1–32 of a-z 0-9 _ - (it is stored with every operation)'),
    module: z.string().min(1),
    options: z.record(z.string(), z.unknown()).default({}),
    routes: z.array(route).min(1).optional(),
  })
  .strict();

const acquirerEntries = z
  .string()
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({ code: 'custom', message: 'must be JSON: [{ "name": "…", "module": "…", "options": {…}, "routes": […] }]' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(acquirerEntry)
      .refine((entries) => new Set(entries.map((entry) => entry.name)).size === entries.length, { message: 'acquirer names must differ' }),
  );

export type AcquirerEntry = z.infer<typeof acquirerEntry>;

/** Every setting of the payment server, read once from the environment at start. */
export const configSchema = z.object({
  PORT: positiveInt(4000),
  HOST: z.string().default('127.0.0.1'),
  /**
   * `live` (the default) moves real money. `test` (the demo, a merchant's staging): every
   * token signed carries `test: true`, which live merchants refuse; only tickets signed with
   * merchant test keys (`test_…` kids) are taken, and only such keys are registered; the
   * hosted pages say "Test mode — no real money". A database keeps the mode it was first
   * started in: starting it in the other mode fails.
   */
  CAISSE_MODE: z.enum(MODES).default('live'),
  /** The public base URL: the issuer of vouchers and the origin of the hosted pages. */
  CAISSE_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  /** PostgreSQL when set; otherwise PGlite in CAISSE_DATA_DIR (empty: in memory, gone at exit). */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /**
   * With DATABASE_URL: prepare the hot statements (an allowance charge) once per
   * connection. `false` behind a pooler that does not keep prepared statements across
   * transactions (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
   */
  CAISSE_DATABASE_PREPARED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /**
   * With DATABASE_URL: how long opening a database connection may take before the request
   * that needed it is answered 503 `service_unavailable` (the database restarting, or out of reach).
   */
  DATABASE_CONNECT_TIMEOUT_MS: positiveInt(5_000).pipe(z.number().max(60_000)),
  /**
   * With DATABASE_URL: how long one statement may go unanswered before the request is
   * answered 503 `service_unavailable` and the connection dropped; PostgreSQL also ends a
   * session idle in a transaction this long. Keep it under the clients' time-outs (the
   * merchant client waits 10 s by default) so they get an answer they can retry on.
   */
  DATABASE_QUERY_TIMEOUT_MS: positiveInt(8_000).pipe(z.number().max(600_000)),
  CAISSE_DATA_DIR: z.string().default('.data/payment-server'),
  /**
   * 32+ random bytes, base64url: seals the server's private keys at rest and derives the
   * pairwise customer ids. Required with DATABASE_URL; with PGlite one is made and kept
   * in the data folder.
   */
  CAISSE_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43,}$/, 'must be at least 32 random bytes, base64url')
    .optional(),
  CAISSE_WALLET_THRESHOLDS: thresholds.default({ '*': 5000 }),
  /**
   * The highest amount below which a customer may choose to approve on the phone with a
   * tap, without the PIN (their payment plan, customers/plan.ts); `*:0` turns taps off.
   * Customers start with the PIN for every amount.
   */
  CAISSE_TAP_THRESHOLDS: thresholds.default({ '*': 2000 }),
  /** Loyalty points per payment, in basis points of the amount (100 = 1 %). */
  CAISSE_LOYALTY_RATE: z.coerce.number().int().min(0).max(10_000).default(100),
  CAISSE_VOUCHER_LIFETIME: positiveInt(60).pipe(z.number().max(600)),
  /** Seconds a customer has to answer a confirmation request on their phone. */
  CAISSE_CONFIRMATION_LIFETIME: positiveInt(300).pipe(z.number().min(30).max(3_600)),
  /** Seconds a new key is published in the JWKS before it signs (merchants refresh their cache meanwhile). */
  CAISSE_KEY_PUBLISH_DELAY: z.coerce.number().int().min(0).default(600),
  /**
   * The acquirers, as JSON: `[{ "name", "module", "options", "routes" }]` in routing order
   * (acquirer/load.ts). Without it bank amounts are declined and there are no top-ups.
   */
  CAISSE_ACQUIRERS: acquirerEntries.optional(),
  /** Days a deferred-delivery payment stays held before the sweeper resolves it by CAISSE_ESCROW_TIMEOUT_POLICY. */
  CAISSE_ESCROW_TIMEOUT: z.coerce.number().int().min(1).max(365).default(14),
  /** What the escrow time-out does: give the money back to the customer (`void`) or to the merchant (`release`). */
  CAISSE_ESCROW_TIMEOUT_POLICY: z.enum(['release', 'void']).default('void'),
  /** Days after a payment its customer may dispute it (disputes/). */
  CAISSE_DISPUTE_OPEN_DAYS: z.coerce.number().int().min(1).max(540).default(60),
  /** Days a merchant has to answer a dispute; with no answer by then it is decided for the customer, who is refunded. */
  CAISSE_DISPUTE_ANSWER_DAYS: z.coerce.number().int().min(1).max(90).default(7),
  /** Days the operator has to decide a dispute the merchant answered; past them an operator alert is raised (once). */
  CAISSE_DISPUTE_DECISION_DAYS: z.coerce.number().int().min(1).max(90).default(14),
  /** Days a notification the merchant acknowledged is kept before housekeeping deletes it (housekeeping/). */
  CAISSE_NOTIFICATION_RETENTION_DAYS: z.coerce.number().int().min(1).max(MAX_RETENTION_DAYS).default(DELIVERED_NOTIFICATION_RETENTION_DAYS),
  /** The daily settlement cut-off, HH:MM in UTC: each merchant till is paid out for the day that closes then. */
  CAISSE_SETTLEMENT_CUTOFF: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (UTC), such as 22:00')
    .default('22:00'),
  /** How customers hear of a confirmation request or get an enrollment code besides the device stream: `console` logs that something was sent (never a code). */
  CAISSE_NOTIFIER: z.enum(['console', 'sms', 'stream']).default('console'),
  /** `CAISSE_NOTIFIER=sms`: the gateway that receives `POST {"to","text"}`. */
  CAISSE_SMS_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** `CAISSE_NOTIFIER=sms`: the gateway's bearer token. */
  CAISSE_SMS_TOKEN: z.string().min(1).optional(),
  /**
   * Whether customers get a receipt of each payment and refund through CAISSE_NOTIFIER
   * (receipts/). `false`: receipts falling due are marked skipped, never sent later.
   */
  CAISSE_RECEIPTS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** Attempts at one receipt before it is given up as failed (backoff from 30 s to 1 h between them). */
  CAISSE_RECEIPT_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  /** The operator's IANA time zone (e.g. `Europe/Paris`): receipts and the account page's payment detail are dated in it. Default UTC. */
  CAISSE_TIME_ZONE: z
    .string()
    .refine((zone) => {
      try {
        return checkTimeZone(zone) === zone;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Europe/Paris')
    .optional(),
  /**
   * Wrong account ids or access keys one client may send per 10 minutes on the hosted pages
   * before it must wait; the console's wrong passwords and codes per client have a budget of
   * the same size, counted apart. 0: no limit.
   */
  CAISSE_IDENTIFY_LIMIT: z.coerce.number().int().min(0).max(100_000).default(20),
  /** Quotes one client may ask for per 10 minutes (`/quote`, `/quotes`): each makes the payment server call a merchant; 0: no limit. */
  CAISSE_QUOTE_LIMIT: z.coerce.number().int().min(0).max(100_000).default(60),
  /** Confirmation requests the hosted pages send one customer's phone per 15 minutes without an approval, before refusing more; 0: no limit. */
  CAISSE_PHONE_REQUEST_LIMIT: z.coerce.number().int().min(0).max(1_000).default(5),
  /** Behind a reverse proxy: the client is the last `X-Forwarded-For` address, not the connection's. */
  CAISSE_TRUST_PROXY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /**
   * Serve the operator console under /console (console/). On by default: it signs nobody
   * in until an operator is added with `caisse-server operators add`, each sign-in needs a
   * password and a TOTP code, and five wrong ones lock the account. `false`: not served.
   */
  CAISSE_CONSOLE: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /** Longest a console session lasts, however active, in minutes. */
  CAISSE_CONSOLE_SESSION_MINUTES: z.coerce.number().int().min(5).max(1_440).default(480),
  /** A console session unused this many minutes ends. */
  CAISSE_CONSOLE_IDLE_MINUTES: z.coerce.number().int().min(1).max(240).default(15),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /**
   * When set, `GET /metrics` answers only `Authorization: Bearer <token>` (compared in
   * constant time). Without it anyone who reaches the port may read the metrics: keep the
   * endpoint off the public network then.
   */
  CAISSE_METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,512}$/, 'must be 16 to 512 visible ASCII characters, without spaces (a random token)')
    .optional(),
});

export type Config = z.infer<typeof configSchema>;

/**
 * Parses the environment, naming every bad variable at once.
 * @example const config = loadConfig(process.env)
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
  throw new Error(`The payment server configuration is invalid:\n${problems}`);
}

/** The issuer identifier: CAISSE_ISSUER, or the local address in development. */
export function issuerOf(config: Config): string {
  return (config.CAISSE_ISSUER ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
}
