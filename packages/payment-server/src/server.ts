import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mode } from '@caisse/protocol';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { accountRoutes } from './account/routes.js';
import { loadAcquirers } from './acquirer/load.js';
import { type AcquirerOperations, createAcquirerOperations } from './acquirer/operations.js';
import { type BankMetadata, dispatch, type PurposeHandlers } from './acquirer/purposes.js';
import type { AcquirerConfig } from './acquirer/routing.js';
import { type AfterPayment, afterPaymentHandlers, createAfterPayment } from './after-payment/index.js';
import { type AlertService, createAlertService } from './alerts/service.js';
import {
  type AllowanceService,
  type AllowanceSettlement,
  allowanceChargeRoutes,
  allowanceDeviceRoutes,
  allowanceEndpoints,
  createAllowanceCharges,
  createAllowanceGrant,
  createAllowanceService,
  createAllowanceSettlement,
} from './allowances/index.js';
import { decoupledEndpoints } from './api/decoupled.js';
import { openapiRoutes } from './api/openapi.js';
import { apiRoutes } from './api/routes.js';
import { createSessionEvents, type SessionEvents } from './checkout/events.js';
import { createPhoneCheckout, type PhoneCheckout } from './checkout/phone.js';
import { checkoutRoutes } from './checkout/routes.js';
import { createSessions } from './checkout/sessions.js';
import { type Config, issuerOf } from './config.js';
import { createOperatorService, type OperatorService } from './console/operators.js';
import { consoleRoutes } from './console/routes.js';
import { createOperatorSessions } from './console/sessions.js';
import { type ContentService, contentEndpoints, createContentService } from './contents/index.js';
import { planDeviceRoutes } from './customers/device-routes.js';
import { createCustomerOverview } from './customers/overview.js';
import { createPlanService, type PlanService } from './customers/plans.js';
import { type CustomerService, createCustomerService } from './customers/service.js';
import {
  createConfirmations,
  createDeviceService,
  createDeviceStreams,
  type DeviceService,
  type DeviceStreams,
  deviceRoutes,
} from './devices/index.js';
import {
  createDisputeService,
  type DisputeService,
  disputeAccountRoutes,
  disputeDeviceRoutes,
  disputeEndpoints,
} from './disputes/index.js';
import { acquirersReadiness, createApp } from './http/app.js';
import { createAttemptThrottle, throttleByClient } from './http/attempt-throttle.js';
import { listenErrorOf } from './http/listen-error.js';
import { startPaymentServerJobs } from './jobs/schedule.js';
import { createServerKeys, type ServerKeys } from './keys/service.js';
import { createLogger, type Logger } from './log.js';
import { createMerchantService, type MerchantService } from './merchants/service.js';
import { createServerMetrics, type ServerMetrics } from './metrics/registry.js';
import { lockServerMode } from './mode/lock.js';
import { createNotificationDispatcher, type NotificationDispatcher } from './notifications/dispatcher.js';
import { createNotificationService, type NotificationService } from './notifications/service.js';
import { createNotifier, type Notifier } from './notifiers/index.js';
import { createAuthoriser } from './payments/authorise.js';
import { bankMeans, checkoutHandler } from './payments/bank.js';
import { createPaymentBooking } from './payments/booking.js';
import { paymentsSpending } from './payments/spending.js';
import { createTokenSigner } from './payments/tokens.js';
import { walletMeans } from './payments/wallet.js';
import { createQuoteFetcher, type QuoteFetcher, quoteRoutes } from './quotes/index.js';
import { createReceiptSender, type ReceiptSender } from './receipts/index.js';
import { deriveKey, generateSecret } from './secrets.js';
import { parseCutoff } from './settlement/cutoff.js';
import type { Database } from './storage/database.js';
import { openDatabase } from './storage/open.js';
import { createTicketRefusalService, type TicketRefusalService, ticketRefusalEndpoints } from './ticket-refusals/index.js';
import { topUpDeviceRoutes } from './top-ups/device-routes.js';

export interface PaymentServer {
  app: Hono;
  db: Database;
  issuer: string;
  /** `live`, or `test` (CAISSE_MODE): every token is then signed with `test: true`, and only test keys and tickets are taken. */
  mode: Mode;
  keys: ServerKeys;
  merchants: MerchantService;
  customers: CustomerService;
  /** The customers' payment plans, within the operator's bounds. */
  plans: PlanService;
  alerts: AlertService;
  /** The notification outbox, for the operator (list, resend). */
  notifications: NotificationService;
  /** Tickets refused at intake, per merchant they name: counted, notified once per kind, listed (API, CLI). */
  ticketRefusals: TicketRefusalService;
  /** Digital goods merchants store here, released once to the browser that paid. */
  contents: ContentService;
  /** Quotes from merchants' quote endpoints. */
  quotes: QuoteFetcher;
  /** Sends the outbox; `startPaymentServer` runs it in the background. */
  notificationDispatcher: NotificationDispatcher;
  /** How customers hear of confirmation requests and get enrollment codes besides the device stream (CAISSE_NOTIFIER). */
  notifier: Notifier;
  /** Sends the receipts of payments and refunds through the notifier; `startPaymentServer` runs it in the background (CAISSE_RECEIPTS). */
  receipts: ReceiptSender;
  /** Checkout with a phone: its `onAnswered` takes the devices domain's committed answers. */
  phoneCheckout: PhoneCheckout;
  /** Session moves for the checkout pages' live status feeds (one LISTEN for all of them). */
  checkoutEvents: SessionEvents;
  /** Customers' phones: enrollment codes, listing and revocation (CLI, account page). */
  devices: DeviceService;
  /** This instance's open phone streams (one LISTEN for all of them). */
  deviceStreams: DeviceStreams;
  /** The acquirers (CAISSE_ACQUIRERS or `acquirers`), in routing order. */
  acquirers: readonly AcquirerConfig[];
  /** Every bank operation, recorded before it is sent: routing, handover, reconciliation. */
  bank: AcquirerOperations<BankMetadata>;
  /** Escrow, refunds, settlement and top-ups; `startPaymentServer` runs their background jobs. */
  afterPayment: AfterPayment;
  /** Session allowances: read, closed by the merchant, revoked by the customer. */
  allowances: AllowanceService;
  /** The grouped remittances of allowances; `startPaymentServer` settles those due in the background. */
  allowanceSettlement: AllowanceSettlement;
  /** Disputes: opened by customers, answered by merchants, decided by the operator; `startPaymentServer` applies their deadlines. */
  disputes: DisputeService;
  /** The operator console's accounts (`operators` CLI): passwords, second factors, lock-outs. */
  operators: OperatorService;
  /** This server's Prometheus metrics (`GET /metrics`): requests, payments by outcome, the database gauges. */
  metrics: ServerMetrics;
  log: Logger;
  close(): Promise<void>;
}

export interface PaymentServerOptions {
  log?: Logger;
  now?: () => Date;
  /**
   * The acquirers as objects, in routing order, instead of loading CAISSE_ACQUIRERS: for
   * an adapter of your own, or tests.
   * @example { acquirers: [{ name: 'my-bank', acquirer: createMyBankAdapter(), routes: [{ currencies: ['EUR'] }] }] }
   */
  acquirers?: readonly AcquirerConfig[];
}

/**
 * The operator secret: CAISSE_SECRET, or with the embedded database one made on first
 * start and kept beside the data (mode 0600). With PostgreSQL it must be given: instances
 * share it, and a secret made by one would not be the others'.
 */
export async function resolveSecret(config: Config): Promise<string> {
  if (config.CAISSE_SECRET) return config.CAISSE_SECRET;
  if (config.DATABASE_URL) throw new Error('CAISSE_SECRET is required with DATABASE_URL: every instance must share it.');
  if (config.CAISSE_DATA_DIR === '') return generateSecret();
  const file = join(config.CAISSE_DATA_DIR, 'secret');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(config.CAISSE_DATA_DIR, { recursive: true, mode: 0o700 });
  const secret = generateSecret();
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
  return secret;
}

/**
 * Opens the database (migrating it), builds every service over it and the HTTP app.
 * Nothing another instance would need is kept in memory.
 * @example const server = await createPaymentServer(loadConfig(process.env)); serve({ fetch: server.app.fetch, port: 4000 })
 */
export async function createPaymentServer(config: Config, options: PaymentServerOptions = {}): Promise<PaymentServer> {
  const log = options.log ?? createLogger({ level: config.LOG_LEVEL });
  const now = options.now ?? (() => new Date());
  const issuer = issuerOf(config);
  const secret = await resolveSecret(config);
  const db = config.DATABASE_URL
    ? await openDatabase({
        url: config.DATABASE_URL,
        preparedStatements: config.CAISSE_DATABASE_PREPARED,
        connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
        queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS,
        // An idle connection dropped (the database restarted) or the listener reconnecting: the pool and the listener recover by themselves.
        onPoolError: (error) => log.warn('database.connection_lost', { error }),
      })
    : await openDatabase(config.CAISSE_DATA_DIR === '' ? {} : { dataDir: join(config.CAISSE_DATA_DIR, 'pglite') });
  const mode = config.CAISSE_MODE;
  try {
    await lockServerMode(db, mode, now());
  } catch (error) {
    await db.close();
    throw error;
  }

  const keys = createServerKeys({ db, sealingKey: deriveKey(secret, 'key-sealing'), publishDelay: config.CAISSE_KEY_PUBLISH_DELAY, now });
  await keys.ensureKey();
  const merchants = createMerchantService({ db, now, log, mode });
  const customers = createCustomerService({
    db,
    pairwiseSecret: deriveKey(secret, 'pairwise-subject'),
    now,
    log,
    spending: paymentsSpending(db),
  });
  const plans = createPlanService({
    db,
    walletThresholds: config.CAISSE_WALLET_THRESHOLDS,
    tapThresholds: config.CAISSE_TAP_THRESHOLDS,
    now,
    log,
  });
  // The customer service's time zone (its default): the overview counts the same calendar days as the ceilings.
  const overview = createCustomerOverview({ db, plans, spending: paymentsSpending(db), now });
  const signer = createTokenSigner({ keys, issuer, lifetime: config.CAISSE_VOUCHER_LIFETIME, mode, now });
  const metrics = createServerMetrics({ db, log });
  const sessions = createSessions({ db, now, onSettled: metrics.onSettled });
  const ticketRefusals = createTicketRefusalService({ db, now, log, sessions });
  const contents = createContentService({ db, sealingKey: deriveKey(secret, 'content-sealing'), now, log });
  const quotes = createQuoteFetcher({ issuer, merchants, contents, keys, mode, log, now });
  const booking = createPaymentBooking({
    onSettled: metrics.onSettled,
    sessions,
    signer,
    pairwiseSubject: (customerId, merchantId) => customers.pairwiseSubject(customerId, merchantId),
    loyaltyRate: config.CAISSE_LOYALTY_RATE,
    now,
  });

  // The handlers book what the acquirers answer; they need no acquirer, so they come first.
  const handlers: PurposeHandlers = { checkout: checkoutHandler({ booking, sessions }), ...afterPaymentHandlers({ now, log }) };
  const acquirers = options.acquirers ?? (await loadAcquirers(config.CAISSE_ACQUIRERS ?? []));
  const bank = createAcquirerOperations<BankMetadata>({
    db,
    acquirers,
    now,
    log,
    onApproved: (tx, operation) => dispatch(handlers, tx, operation),
    onDeclined: (tx, operation) => dispatch(handlers, tx, operation),
  });

  const pairwiseSubject = (customerId: string, merchantId: string) => customers.pairwiseSubject(customerId, merchantId);
  const allowanceSettlement = createAllowanceSettlement({ db, log, now });
  const allowances = createAllowanceService({ db, settlement: allowanceSettlement });
  const allowanceCharges = createAllowanceCharges({
    onSettled: metrics.onSettled,
    issuer,
    db,
    merchants,
    signer,
    pairwiseSubject,
    settlement: allowanceSettlement,
    log,
    now,
  });
  const authoriser = createAuthoriser({
    db,
    sessions,
    booking,
    grantAllowance: createAllowanceGrant({ sessions, signer, booking, pairwiseSubject, log, now }),
    means: { wallet: walletMeans(booking), bank: bankMeans({ booking, sessions, bank }) },
    plans,
    exceededCeiling: (tx, customerId, currency, amount, at, ceilings) =>
      customers.exceededCeiling(tx, customerId, currency, amount, at, ceilings),
    now,
  });
  const afterPayment = createAfterPayment({
    db,
    escrow: { timeoutDays: config.CAISSE_ESCROW_TIMEOUT, policy: config.CAISSE_ESCROW_TIMEOUT_POLICY },
    cutoff: parseCutoff(config.CAISSE_SETTLEMENT_CUTOFF) ?? { hour: 22, minute: 0 },
    bank,
    now,
    log,
  });

  const notifier = createNotifier(config, log);
  const devices = createDeviceService({ db, customers, sealingKey: deriveKey(secret, 'key-sealing'), now, log });
  const confirmations = createConfirmations({ lifetime: config.CAISSE_CONFIRMATION_LIFETIME, now });
  const deviceStreams = createDeviceStreams({ db, confirmations, log });
  const phoneCheckout = createPhoneCheckout({
    db,
    sessions,
    authoriser,
    confirmations,
    customers,
    plans,
    notifier,
    log,
    requestLimit: config.CAISSE_PHONE_REQUEST_LIMIT,
    now,
  });
  const sessionEvents = createSessionEvents(db);
  // Each quote asked makes this server call a merchant: one client may not have it call them without end.
  // Both in the database: N instances enforce each limit once.
  const quoteThrottle = throttleByClient(
    createAttemptThrottle({ db, name: 'quote', limit: config.CAISSE_QUOTE_LIMIT, now: () => now().getTime() }),
    { trustProxy: config.CAISSE_TRUST_PROXY },
  );
  const identifyThrottle = throttleByClient(
    createAttemptThrottle({ db, name: 'identify', limit: config.CAISSE_IDENTIFY_LIMIT, now: () => now().getTime() }),
    { trustProxy: config.CAISSE_TRUST_PROXY },
  );

  const disputes = createDisputeService({
    db,
    refunds: afterPayment.refunds,
    deadlines: {
      openDays: config.CAISSE_DISPUTE_OPEN_DAYS,
      answerDays: config.CAISSE_DISPUTE_ANSWER_DAYS,
      decisionDays: config.CAISSE_DISPUTE_DECISION_DAYS,
    },
    now,
    log,
  });

  const operators = createOperatorService({ db, totpKey: deriveKey(secret, 'operator-totp'), issuer, now, log });

  const app = createApp({
    issuer,
    mode,
    db,
    keys,
    log,
    metrics,
    metricsToken: config.CAISSE_METRICS_TOKEN,
    acquirers: acquirersReadiness(options.acquirers ?? config.CAISSE_ACQUIRERS),
    routes: [
      checkoutRoutes({
        issuer,
        mode,
        db,
        merchants,
        customers,
        sessions,
        authoriser,
        phone: phoneCheckout,
        events: sessionEvents,
        signer,
        csrfKey: deriveKey(secret, 'csrf'),
        identifyThrottle,
        overview,
        allowanceCharges,
        ticketRefusals,
        quotes,
        quoteThrottle,
        contents,
        log,
        now,
      }),
      quoteRoutes({ quotes, throttle: quoteThrottle }),
      accountRoutes({
        issuer,
        mode,
        db,
        customers,
        merchants,
        devices,
        // Without an acquirer there is no bank to top up from: the page shows no form.
        ...(acquirers.length > 0 ? { topUps: afterPayment.topUps } : {}),
        overview,
        plans,
        allowances,
        sessionKey: deriveKey(secret, 'session'),
        csrfKey: deriveKey(secret, 'csrf'),
        identifyThrottle,
        ...(config.CAISSE_TIME_ZONE ? { timeZone: config.CAISSE_TIME_ZONE } : {}),
        now,
      }),
      // After accountRoutes, whose body limit and problem pages cover /account/*.
      disputeAccountRoutes({
        issuer,
        mode,
        db,
        merchants,
        disputes,
        sessionKey: deriveKey(secret, 'session'),
        csrfKey: deriveKey(secret, 'csrf'),
        now,
      }),
      deviceRoutes({
        issuer,
        db,
        devices,
        confirmations,
        streams: deviceStreams,
        onAnswered: (answer) => phoneCheckout.onAnswered(answer),
        log,
        now,
      }),
      // After deviceRoutes, whose CORS and body limit cover /device/*.
      topUpDeviceRoutes({ issuer, db, devices, topUps: afterPayment.topUps, log, now }),
      planDeviceRoutes({ issuer, db, devices, plans, overview, log, now }),
      allowanceDeviceRoutes({ issuer, db, devices, allowances, log, now }),
      disputeDeviceRoutes({ issuer, db, devices, merchants, disputes, log, now }),
      // Before apiRoutes: the API's description is public, as the discovery document is.
      openapiRoutes(),
      // Before apiRoutes: a charge is authenticated by its ticket, not by an assertion.
      allowanceChargeRoutes({ charges: allowanceCharges, log }),
      apiRoutes({
        issuer,
        db,
        merchants,
        log,
        now,
        deliveryKeys: afterPayment.deliveryKeys(merchants),
        endpoints: [
          ...afterPayment.endpoints,
          decoupledEndpoints({
            issuer,
            db,
            merchants,
            customers,
            sessions,
            phone: phoneCheckout,
            signer,
            ticketRefusals,
            contents,
            log,
            now,
          }),
          ticketRefusalEndpoints({ refusals: ticketRefusals }),
          allowanceEndpoints({ allowances }),
          contentEndpoints({ contents }),
          disputeEndpoints({ disputes }),
        ],
      }),
      // The operator console (CAISSE_CONSOLE): a sub-app of its own under /console.
      ...(config.CAISSE_CONSOLE
        ? [
            consoleRoutes({
              issuer,
              mode,
              db,
              operators,
              sessions: createOperatorSessions({
                db,
                lifetimeMs: config.CAISSE_CONSOLE_SESSION_MINUTES * 60_000,
                idleMs: config.CAISSE_CONSOLE_IDLE_MINUTES * 60_000,
                now,
              }),
              merchants,
              customers,
              devices,
              // Its own handles on the outbox and the alerts (stateless, over the same database): those below are made after the app.
              notifications: createNotificationService({ db, now, log }),
              alerts: createAlertService({ db, now, log }),
              refunds: afterPayment.refunds,
              escrow: afterPayment.escrow,
              settlement: afterPayment.settlement,
              evidence: { keys, issuer, mode },
              // CAISSE_IDENTIFY_LIMIT: the same kind of limit (wrong credentials per address, 10 minutes), counted apart.
              signInThrottle: throttleByClient(
                createAttemptThrottle({ db, name: 'console_sign_in', limit: config.CAISSE_IDENTIFY_LIMIT, now: () => now().getTime() }),
                { trustProxy: config.CAISSE_TRUST_PROXY },
              ),
              csrfKey: deriveKey(secret, 'csrf'),
              trustProxy: config.CAISSE_TRUST_PROXY,
              ...(config.CAISSE_TIME_ZONE ? { timeZone: config.CAISSE_TIME_ZONE } : {}),
              log,
              now,
            }),
          ]
        : []),
    ],
  });
  const alerts = createAlertService({ db, now, log });
  const notifications = createNotificationService({ db, now, log });
  const notificationDispatcher = createNotificationDispatcher({ db, keys, issuer, mode, now, log, timeoutMs: NOTIFY_TIMEOUT_MS });
  const receipts = createReceiptSender({
    db,
    notifier,
    now,
    log,
    // `stream` sends nothing but the device stream: due receipts are skipped in bulk, not claimed and skipped one by one.
    enabled: config.CAISSE_RECEIPTS && config.CAISSE_NOTIFIER !== 'stream',
    maxAttempts: config.CAISSE_RECEIPT_MAX_ATTEMPTS,
  });
  return {
    app,
    db,
    issuer,
    mode,
    keys,
    merchants,
    customers,
    plans,
    alerts,
    notifications,
    ticketRefusals,
    contents,
    quotes,
    notificationDispatcher,
    notifier,
    receipts,
    phoneCheckout,
    checkoutEvents: sessionEvents,
    devices,
    deviceStreams,
    acquirers,
    bank,
    afterPayment,
    allowances,
    allowanceSettlement,
    disputes,
    operators,
    metrics,
    log,
    close: async () => {
      await deviceStreams.close();
      await sessionEvents.close();
      await db.close();
    },
  };
}

/**
 * Connections waiting to be accepted. Node's default (511) resets connections when many
 * phones reconnect their streams at once (e.g. after a restart); the kernel caps it at
 * `net.core.somaxconn` anyway.
 */
const LISTEN_BACKLOG = 4_096;
/** How long a merchant's notification endpoint may take to acknowledge one event. */
const NOTIFY_TIMEOUT_MS = 10_000;

/**
 * Starts the payment server on HOST:PORT; resolves once it listens.
 * @throws ListenError `address_in_use` (the port is taken), `address_not_available`, `permission_denied`, `listen_failed`;
 *   the server it had opened (its database) is closed first
 */
export async function startPaymentServer(config: Config, options: PaymentServerOptions = {}): Promise<PaymentServer & { url: string }> {
  const server = await createPaymentServer(config, options);
  const http = createAdaptorServer({ fetch: server.app.fetch });
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen({ port: config.PORT, host: config.HOST, backlog: LISTEN_BACKLOG }, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await server.close();
    throw listenErrorOf(error, { host: config.HOST, port: config.PORT });
  }
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  server.log.info('server.started', { issuer: server.issuer, listen: `http://${config.HOST}:${port}` });
  // Every periodic job (reconciliation, sealing, roll-ups, receipts, housekeeping…): see jobs/schedule.ts.
  const jobs = startPaymentServerJobs(server, { config, now: options.now ?? (() => new Date()) });
  return {
    ...server,
    url: `http://${config.HOST}:${port}`,
    close: async () => {
      await jobs.stop();
      // Phones' streams never end by themselves: end them, or the HTTP server would wait for them forever.
      await server.deviceStreams.close();
      // Checkout pages' feeds last until their session leaves `confirming`: end them too (their pages reconnect elsewhere).
      await server.checkoutEvents.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await server.close();
    },
  };
}
