import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { accountRoutes } from './account/routes.js';
import type { Acquirer } from './acquirer/acquirer.js';
import { type AcquirerOperations, createAcquirerOperations } from './acquirer/operations.js';
import { createSandboxAcquirer } from './acquirer/sandbox.js';
import { type AlertService, createAlertService } from './alerts/service.js';
import { apiRoutes } from './api/routes.js';
import { startAuditSealer } from './audit/seal.js';
import { checkoutRoutes } from './checkout/routes.js';
import { createSessions } from './checkout/sessions.js';
import { type Config, issuerOf } from './config.js';
import { CeilingExceededError } from './customers/errors.js';
import { type CustomerService, createCustomerService } from './customers/service.js';
import { createApp } from './http/app.js';
import { createServerKeys, type ServerKeys } from './keys/service.js';
import { createLogger, type Logger } from './log.js';
import { createMerchantService, type MerchantService } from './merchants/service.js';
import { createNotificationDispatcher, type NotificationDispatcher } from './notifications/dispatcher.js';
import { createNotificationService, type NotificationService } from './notifications/service.js';
import { createAuthoriser } from './payments/authorise.js';
import { paymentsSpending } from './payments/spending.js';
import { createTokenSigner } from './payments/tokens.js';
import { deriveKey, generateSecret } from './secrets.js';
import type { Database } from './storage/database.js';
import { openDatabase } from './storage/open.js';

export interface PaymentServer {
  app: Hono;
  db: Database;
  issuer: string;
  keys: ServerKeys;
  merchants: MerchantService;
  customers: CustomerService;
  alerts: AlertService;
  /** The notification outbox, for the operator (list, resend). */
  notifications: NotificationService;
  /** Sends the outbox; `startPaymentServer` runs it in the background. */
  notificationDispatcher: NotificationDispatcher;
  /** The bank side, when an acquirer is configured (CAISSE_BANK_URL). */
  bank?: AcquirerOperations;
  log: Logger;
  close(): Promise<void>;
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
export async function createPaymentServer(
  config: Config,
  options: { log?: Logger; now?: () => Date; acquirer?: Acquirer } = {},
): Promise<PaymentServer> {
  const log = options.log ?? createLogger({ level: config.LOG_LEVEL });
  const now = options.now ?? (() => new Date());
  const issuer = issuerOf(config);
  const secret = await resolveSecret(config);
  const db = config.DATABASE_URL
    ? await openDatabase({ url: config.DATABASE_URL })
    : await openDatabase(config.CAISSE_DATA_DIR === '' ? {} : { dataDir: join(config.CAISSE_DATA_DIR, 'pglite') });

  const keys = createServerKeys({ db, sealingKey: deriveKey(secret, 'key-sealing'), publishDelay: config.CAISSE_KEY_PUBLISH_DELAY, now });
  await keys.ensureKey();
  const merchants = createMerchantService({ db, now, log });
  const customerDeps = { pairwiseSecret: deriveKey(secret, 'pairwise-subject'), now, log };
  const customers = createCustomerService({ ...customerDeps, db, spending: paymentsSpending(db) });
  const signer = createTokenSigner({ keys, issuer, lifetime: config.CAISSE_VOUCHER_LIFETIME, now });
  const sessions = createSessions({ db, now });
  const thresholds = config.CAISSE_WALLET_THRESHOLDS;
  const acquirer = options.acquirer ?? (config.CAISSE_BANK_URL ? createSandboxAcquirer({ url: config.CAISSE_BANK_URL }) : undefined);
  let bank: AcquirerOperations | undefined;
  const authoriser = createAuthoriser({
    db,
    sessions,
    signer,
    ...(acquirer
      ? {
          bank: {
            operations: () => bank as AcquirerOperations,
            async customerBankRef(tx, customerId) {
              const { rows } = await tx.query<{ bank_ref: string | null }>('SELECT bank_ref FROM customers WHERE id = $1', [customerId]);
              return rows[0]?.bank_ref ?? undefined;
            },
          },
        }
      : {}),
    pairwiseSubject: (customerId, merchantId) => customers.pairwiseSubject(customerId, merchantId),
    ceilings: {
      async check(tx, customerId, currency, amount, at) {
        try {
          await createCustomerService({ ...customerDeps, db: tx, spending: paymentsSpending(tx) }).checkCeilings(
            customerId,
            currency,
            amount,
            at,
          );
          return undefined;
        } catch (error) {
          if (error instanceof CeilingExceededError) return 'ceiling_exceeded';
          throw error;
        }
      },
    },
    walletThreshold: (currency) => thresholds[currency] ?? thresholds['*'] ?? 0,
    loyaltyRate: config.CAISSE_LOYALTY_RATE,
    now,
  });
  if (acquirer) {
    bank = createAcquirerOperations({
      db,
      acquirer,
      now,
      log,
      onApproved: authoriser.onBankApproved,
      onDeclined: authoriser.onBankDeclined,
    });
  }

  const app = createApp({
    issuer,
    db,
    keys,
    log,
    routes: [
      checkoutRoutes({ issuer, db, merchants, customers, sessions, authoriser, signer, csrfKey: deriveKey(secret, 'csrf'), log, now }),
      accountRoutes({
        issuer,
        db,
        customers,
        merchants,
        sessionKey: deriveKey(secret, 'session'),
        csrfKey: deriveKey(secret, 'csrf'),
        now,
      }),
      apiRoutes({ issuer, db, merchants, log, now }),
    ],
  });
  const alerts = createAlertService({ db, now, log });
  const notifications = createNotificationService({ db, now, log });
  const notificationDispatcher = createNotificationDispatcher({ db, keys, issuer, now, log, timeoutMs: NOTIFY_TIMEOUT_MS });
  return {
    app,
    db,
    issuer,
    keys,
    merchants,
    customers,
    alerts,
    notifications,
    notificationDispatcher,
    ...(bank ? { bank } : {}),
    log,
    close: () => db.close(),
  };
}

const RECONCILE_EVERY_MS = 15_000;
/** How long a merchant's notification endpoint may take to acknowledge one event. */
const NOTIFY_TIMEOUT_MS = 10_000;

/** Starts the payment server on HOST:PORT; resolves once it listens. */
export async function startPaymentServer(config: Config, options: { log?: Logger } = {}): Promise<PaymentServer & { url: string }> {
  const server = await createPaymentServer(config, options);
  const http = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const listening = serve({ fetch: server.app.fetch, port: config.PORT, hostname: config.HOST }, () => resolve(listening));
  });
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  server.log.info('server.started', { issuer: server.issuer, listen: `http://${config.HOST}:${port}` });
  // Settles bank operations left pending by a time-out; safe on every instance at once.
  const reconciling = server.bank
    ? setInterval(() => {
        server.bank?.reconcile().catch((error: unknown) => server.log.error('bank.reconcile_failed', { error }));
      }, RECONCILE_EVERY_MS)
    : undefined;
  reconciling?.unref();
  // Seals committed transfers into the hash-linked audit register in the background.
  const sealer = startAuditSealer(server.db, { onError: (error) => server.log.error('audit.seal_failed', { error }) });
  // Sends the notification outbox; safe on every instance at once (rows are claimed with SKIP LOCKED).
  const notifying = server.notificationDispatcher.start();
  return {
    ...server,
    url: `http://${config.HOST}:${port}`,
    close: async () => {
      clearInterval(reconciling);
      await notifying.stop();
      await sealer.stop();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await server.close();
    },
  };
}
