import { readFile } from 'node:fs/promises';
import { currencyExponent, toDecimalString, toMinorUnits } from '@caisse/protocol';
import { ACQUIRER_USAGE, acquirerCommand } from '../acquirer/cli.js';
import { AFTER_PAYMENT_USAGE, afterPaymentCommand } from '../after-payment/cli.js';
import { verifyAudit } from '../audit/verify.js';
import { type Config, loadConfig } from '../config.js';
import type { LimitsInput } from '../customers/model.js';
import { DISPUTES_USAGE, disputesCommand } from '../disputes/index.js';
import { EVIDENCE_USAGE, evidenceCommand } from '../evidence/index.js';
import { HOUSEKEEPING_USAGE, housekeepingCommand } from '../housekeeping/index.js';
import { ProblemError } from '../http/problem.js';
import { createLogger } from '../log.js';
import { MERCHANT_KEYS_USAGE, merchantKeysCommand } from '../merchants/cli.js';
import { isNotificationError } from '../notifications/errors.js';
import { LOCALES, type Locale } from '../pages/i18n.js';
import { createPaymentServer, type PaymentServer, startPaymentServer } from '../server.js';
import { openDatabase } from '../storage/open.js';
import { TICKET_REFUSALS_USAGE, ticketRefusalsCommand } from '../ticket-refusals/cli.js';
import { ALLOWANCES_USAGE, allowancesCommand } from './allowances.js';
import { options, positional, required, UsageError } from './args.js';

/** Where a command writes, and what it reads: injected so tests run commands in-process. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** Secrets (access keys) come from standard input, never from arguments: arguments end up in shell history and `ps`. */
  readStdin(): Promise<string>;
  /** Resolves when the operator asks a long-running command to stop (Ctrl-C). */
  stopSignal(): Promise<void>;
}

export const USAGE = `Usage: caisse-server <command> [options]

  start                         run the payment server (HOST, PORT, DATABASE_URL or CAISSE_DATA_DIR, CAISSE_ISSUER, …)
  migrate                       apply pending database migrations and exit
  merchants add                 --id ID --name NAME --jwks FILE --origin URL [--origin URL …] [--notify-url URL] [--quote-url URL]
  merchants list
${MERCHANT_KEYS_USAGE}
${TICKET_REFUSALS_USAGE}
  customers add                 --account ID --phone +E164 [--currency EUR] [--cap 150.00] [--daily 300.00]
                                [--monthly 1000.00] [--bank-ref REF] [--locale en|fr]   (the access key is read from stdin;
                                the locale is the language of the customer's receipts, en by default)
  customers unlock              --account ID
  customers plan ACCOUNT        [--currency EUR]  the customer's payment plan and the operator's bounds (reads only)
  devices code CUSTOMER         print a one-time code (10 min) to enroll a phone for the customer
  devices list CUSTOMER         the customer's phones (id, state, name, enrolled at)
  devices revoke DEVICE         revoke a phone: it can no longer confirm payments
  wallet credit                 --account ID --amount 50.00 [--currency EUR] --idempotency-key KEY
  keys rotate                   [--alg EdDSA|ES256] [--immediately]
  keys list
  audit verify                  [--expected-head SEQ:HASH]  (the head printed by an earlier run, kept outside the database)
${EVIDENCE_USAGE}
  alerts list
  notifications list            [--parked]  (parked: retried for 3 days without an acknowledgement)
  notifications resend          --id ID     (puts a parked notification back in the queue, same id)
${AFTER_PAYMENT_USAGE}
${DISPUTES_USAGE}
${ALLOWANCES_USAGE}
${ACQUIRER_USAGE}
${HOUSEKEEPING_USAGE}

Configuration comes from the environment; see the package README.`;

function decimal(values: Record<string, unknown>, name: string, currency: string): bigint | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  try {
    return BigInt(toMinorUnits(String(value), currency));
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`);
  }
}

async function withServer<T>(io: CliIo, run: (server: PaymentServer, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env);
  const server = await createPaymentServer(config, { log: createLogger({ level: 'warn', write: io.err }) });
  try {
    return await run(server, config);
  } finally {
    await server.close();
  }
}

/**
 * Runs one command; returns the exit code (0 done, 1 refused or failed, 2 usage).
 * @example process.exitCode = await runCommand(process.argv.slice(2), nodeIo())
 */
export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const [group = '', action = '', ...rest] = argv;
  // `caisse-server customers plan --help` is a question, not a malformed command.
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(USAGE);
    return 0;
  }
  try {
    switch (`${group} ${action}`.trim()) {
      case 'start':
        return await start([action, ...rest].filter(Boolean), io);
      case 'migrate': {
        const config = loadConfig(io.env);
        const db = await openDatabase(config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: `${config.CAISSE_DATA_DIR}/pglite` });
        await db.close();
        io.out('Database schema is up to date.');
        return 0;
      }
      case 'merchants add': {
        const values = options(rest, {
          id: { type: 'string' },
          name: { type: 'string' },
          jwks: { type: 'string' },
          origin: { type: 'string', multiple: true },
          'notify-url': { type: 'string' },
          'quote-url': { type: 'string' },
        });
        const jwks = JSON.parse(await readFile(required(values, 'jwks'), 'utf8'));
        const merchant = await withServer(io, (server) =>
          server.merchants.register({
            id: required(values, 'id'),
            displayName: required(values, 'name'),
            jwks,
            returnOrigins: values.origin ?? [],
            ...(values['notify-url'] ? { notifyUrl: values['notify-url'] } : {}),
            ...(values['quote-url'] ? { quoteUrl: values['quote-url'] } : {}),
          }),
        );
        io.out(
          `Merchant ${merchant.id} (${merchant.displayName}) registered with ${merchant.jwks.keys.length} key(s); returns to ${merchant.returnOrigins.join(', ')}.`,
        );
        return 0;
      }
      case 'merchants list': {
        const merchants = await withServer(io, (server) => server.merchants.list());
        for (const merchant of merchants) io.out(`${merchant.id}\t${merchant.displayName}\t${merchant.returnOrigins.join(' ')}`);
        return 0;
      }
      case 'customers add': {
        const values = options(rest, {
          account: { type: 'string' },
          phone: { type: 'string' },
          currency: { type: 'string' },
          cap: { type: 'string' },
          daily: { type: 'string' },
          monthly: { type: 'string' },
          'bank-ref': { type: 'string' },
          locale: { type: 'string' },
        });
        const currency = (values.currency as string | undefined) ?? 'EUR';
        currencyExponent(currency);
        const locale = values.locale as Locale | undefined;
        if (locale !== undefined && !LOCALES.includes(locale)) throw new UsageError(`--locale must be one of ${LOCALES.join(', ')}.`);
        const accessKey = (await io.readStdin()).replace(/\r?\n$/, '');
        if (accessKey === '')
          throw new UsageError('Give the access key on standard input, e.g. `printf %s "$KEY" | caisse-server customers add …`.');
        const limits: LimitsInput = {};
        const cap = decimal(values, 'cap', currency);
        const daily = decimal(values, 'daily', currency);
        const monthly = decimal(values, 'monthly', currency);
        if (cap !== undefined) limits.walletCap = cap;
        if (daily !== undefined) limits.dailyCeiling = daily;
        if (monthly !== undefined) limits.monthlyCeiling = monthly;
        const customer = await withServer(io, async (server) => {
          const added = await server.customers.add({
            accountId: required(values, 'account'),
            phone: required(values, 'phone'),
            accessKey,
            limits: { [currency]: limits },
            ...(locale === undefined ? {} : { locale }),
          });
          if (values['bank-ref']) await server.customers.setBankRef(added.id, values['bank-ref'] as string);
          return added;
        });
        io.out(`Customer ${customer.id} added with a ${currency} wallet.`);
        return 0;
      }
      case 'customers unlock': {
        const values = options(rest, { account: { type: 'string' } });
        const customer = await withServer(io, (server) => server.customers.unlock(required(values, 'account')));
        io.out(`Customer ${customer.id} unlocked.`);
        return 0;
      }
      case 'customers plan': {
        const [account = '', ...flags] = rest;
        const customerId = positional([account], 'ACCOUNT');
        const values = options(flags, { currency: { type: 'string' } });
        const currency = values.currency ?? 'EUR';
        const { plan, bounds, chosen } = await withServer(io, (server) => server.plans.get(customerId, currency));
        const decimal = (value: bigint) => toDecimalString({ amount: Number(value), currency });
        // One line per field on stdout (name, value in force, the operator's bound; tab-separated, for scripts); the rest on stderr.
        io.err(`Plan of ${customerId} in ${currency}: ${chosen ? 'chosen by the customer' : "never chosen, the operator's defaults"}.`);
        io.out(`means\t${plan.means.join(',')}`);
        io.out(`wallet-below\t${decimal(plan.walletBelow)}\t${decimal(bounds.walletThreshold)}`);
        io.out(`bank-when-short\t${plan.bankWhenShort ? 'yes' : 'no'}`);
        io.out(`tap-below\t${decimal(plan.tapBelow)}\t${decimal(bounds.tapLimit)}`);
        io.out(`daily-ceiling\t${decimal(plan.dailyCeiling)}\t${decimal(bounds.dailyCeiling)}`);
        io.out(`monthly-ceiling\t${decimal(plan.monthlyCeiling)}\t${decimal(bounds.monthlyCeiling)}`);
        return 0;
      }
      case 'devices code': {
        const customerId = positional(rest, 'CUSTOMER');
        const { code, expiresAt } = await withServer(io, (server) => server.devices.createCode(customerId));
        // The code alone on stdout, so a script can pipe it (e.g. to an SMS gateway); the rest on stderr.
        io.out(code);
        io.err(`One-time enrollment code for ${customerId}, valid until ${expiresAt.toISOString()}.`);
        return 0;
      }
      case 'devices list': {
        const customerId = positional(rest, 'CUSTOMER');
        const devices = await withServer(io, async (server) => {
          await server.customers.get(customerId);
          return server.devices.list(customerId);
        });
        for (const device of devices) {
          const state = device.revokedAt === null ? 'active' : `revoked ${device.revokedAt.toISOString()}`;
          io.out(`${device.id}\t${state}\t${device.name ?? '-'}\t${device.createdAt.toISOString()}`);
        }
        return 0;
      }
      case 'devices revoke': {
        const deviceId = positional(rest, 'DEVICE');
        const device = await withServer(io, (server) => server.devices.revoke(deviceId));
        io.out(`Device ${device.id} of ${device.customerId} revoked.`);
        return 0;
      }
      case 'wallet credit': {
        const values = options(rest, {
          account: { type: 'string' },
          amount: { type: 'string' },
          currency: { type: 'string' },
          'idempotency-key': { type: 'string' },
        });
        const currency = (values.currency as string | undefined) ?? 'EUR';
        const amount = decimal(values, 'amount', currency);
        if (amount === undefined) throw new UsageError('--amount is required.');
        const credit = await withServer(io, (server) =>
          server.customers.walletCredit(required(values, 'account'), currency, amount, {
            idempotencyKey: required(values, 'idempotency-key'),
          }),
        );
        const balance = toDecimalString({ amount: Number(credit.balance), currency });
        io.out(
          `${credit.replayed ? 'Already credited under this key; nothing moved.' : `Credited ${toDecimalString({ amount: Number(amount), currency })} ${currency}.`} Balance ${balance} ${currency}.`,
        );
        return 0;
      }
      case 'keys rotate': {
        const values = options(rest, { alg: { type: 'string' }, immediately: { type: 'boolean' } });
        if (values.alg !== undefined && values.alg !== 'EdDSA' && values.alg !== 'ES256') throw new UsageError('--alg is EdDSA or ES256.');
        const rotated = await withServer(io, (server) =>
          server.keys.rotate({
            ...(values.alg ? { alg: values.alg as 'EdDSA' | 'ES256' } : {}),
            ...(values.immediately ? { immediately: true } : {}),
          }),
        );
        io.out(`Key ${rotated.kid} published now; it signs from ${rotated.signsFrom.toISOString()}.`);
        return 0;
      }
      case 'keys list': {
        const jwks = await withServer(io, (server) => server.keys.jwks());
        for (const key of jwks.keys) io.out(`${key.kid}\t${key.kty === 'OKP' ? 'EdDSA' : 'ES256'}`);
        return 0;
      }
      case 'audit verify': {
        const values = options(rest, { 'expected-head': { type: 'string' } });
        const anchor = values['expected-head'] as string | undefined;
        const head = anchor === undefined ? undefined : /^(\d+):([A-Za-z0-9_-]+)$/.exec(anchor);
        if (anchor !== undefined && !head) throw new UsageError('--expected-head is SEQ:HASH, as printed by `audit verify`.');
        const report = await withServer(io, (server) =>
          verifyAudit(server.db, head ? { expectedHead: { seq: BigInt(head[1] as string), hash: head[2] as string } } : {}),
        );
        io.out(
          `${report.batches} sealed batch(es), ${report.sealedTransfers} sealed and ${report.unsealedTransfers} unsealed transfer(s), ${report.answers} kept phone answer(s).`,
        );
        if (report.head)
          io.out(`Head: ${report.head.seq}:${report.head.hash} (keep it outside the database; pass it as --expected-head next time)`);
        for (const finding of report.findings) io.err(`FINDING ${finding.kind}: ${finding.detail}`);
        io.out(report.ok ? 'Audit OK: no row was edited, inserted or deleted.' : `Audit FAILED: ${report.findings.length} finding(s).`);
        return report.ok ? 0 : 1;
      }
      case 'alerts list': {
        const alerts = await withServer(io, (server) => server.alerts.list());
        if (alerts.length === 0) io.out('No open alerts.');
        for (const alert of alerts) io.out(`${alert.createdAt.toISOString()}\t${alert.kind}\t${alert.subject}`);
        return 0;
      }
      case 'notifications list': {
        const values = options(rest, { parked: { type: 'boolean' } });
        const parked = values.parked === true;
        const list = await withServer(io, (server) => server.notifications.list(parked ? { status: 'parked' } : {}));
        if (list.length === 0) io.out(parked ? 'No parked notifications.' : 'No notifications.');
        for (const item of list) {
          const last = item.lastError === null ? '' : `\t${item.lastError}`;
          io.out(
            `${item.id}\t${item.createdAt.toISOString()}\t${item.merchantId}\t${item.event}\t${item.status}\t${item.attempts} attempt(s)${last}`,
          );
        }
        return 0;
      }
      case 'notifications resend': {
        const values = options(rest, { id: { type: 'string' } });
        const resent = await withServer(io, (server) => server.notifications.resend(required(values, 'id')));
        io.out(
          `Notification ${resent.id} (${resent.event} for ${resent.merchantId}) is queued again; retried until ${resent.retryUntil.toISOString()}.`,
        );
        return 0;
      }
      case 'help':
      case '--help':
      case '':
        io.out(USAGE);
        return group === '' ? 2 : 0;
      default: {
        const done =
          (await afterPaymentCommand(argv, io, withServer)) ??
          (await allowancesCommand(argv, io, withServer)) ??
          (await disputesCommand(argv, io, withServer)) ??
          (await ticketRefusalsCommand(argv, io, withServer)) ??
          (await merchantKeysCommand(argv, io, withServer)) ??
          (await acquirerCommand(argv, io, withServer)) ??
          (await housekeepingCommand(argv, io, withServer)) ??
          (await evidenceCommand(argv, io, withServer));
        if (done !== undefined) return done;
        throw new UsageError(`Unknown command "${`${group} ${action}`.trim()}".`);
      }
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`caisse-server: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ProblemError || isNotificationError(error)) {
      io.err(`caisse-server: ${error.code}: ${error.message}`);
      return 1;
    }
    io.err(`caisse-server: ${(error as Error).message}`);
    return 1;
  }
}

async function start(args: string[], io: CliIo): Promise<number> {
  options(args, {});
  const config = loadConfig(io.env);
  const server = await startPaymentServer(config);
  io.out(`Payment server ${server.issuer} listening on ${server.url}`);
  await io.stopSignal();
  await server.close();
  return 0;
}
