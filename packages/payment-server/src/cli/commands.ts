import { readFile } from 'node:fs/promises';
import { currencyExponent, toDecimalString, toMinorUnits } from '@caisse/protocol';
import { acquirerCommand } from '../acquirer/cli.js';
import { forwardToRunningServer } from '../admin/client.js';
import { startAdminSocket } from '../admin/serve.js';
import { afterPaymentCommand } from '../after-payment/cli.js';
import { verifyAudit } from '../audit/verify.js';
import { type Config, loadConfig } from '../config.js';
import { audited, operatorsCommand } from '../console/cli.js';
import type { LimitsInput } from '../customers/model.js';
import { disputesCommand } from '../disputes/index.js';
import { evidenceCommand } from '../evidence/index.js';
import { housekeepingCommand } from '../housekeeping/index.js';
import { ProblemError } from '../http/problem.js';
import { createLogger } from '../log.js';
import { merchantJson, merchantKeysCommand, merchantLifecycleCommand } from '../merchants/cli.js';
import { isNotificationError } from '../notifications/errors.js';
import { LOCALES, type Locale } from '../pages/i18n.js';
import { createPaymentServer, type PaymentServer, startPaymentServer } from '../server.js';
import { backupCommand } from '../storage/backup-cli.js';
import { ticketRefusalsCommand } from '../ticket-refusals/cli.js';
import { allowancesCommand } from './allowances.js';
import { fileArgument, options, positional, required, UsageError } from './args.js';
import { CliError, errorCode } from './errors.js';
import { migrateCommand } from './migrate.js';
import { jsonMoney, output } from './output.js';
import { commandUsage, commandWords, nearestCommand, USAGE } from './usage.js';
import { versionInfo } from './version.js';

/** A payment server already running in this process, and the configuration it was started with. */
export interface RunningServer {
  server: PaymentServer;
  config: Config;
}

/** Where a command writes, and what it reads: injected so tests run commands in-process. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  /** Secrets (access keys) come from standard input, never from arguments: arguments end up in shell history and `ps`. */
  readStdin(): Promise<string>;
  /** Resolves when the operator asks a long-running command to stop (Ctrl-C). */
  stopSignal(): Promise<void>;
  /** Print one JSON document instead of text: set by `runCommand` when the command line has `--json`. */
  json?: boolean;
  /** The directory file arguments are relative to; default `process.cwd()`. The admin socket passes its client's. */
  cwd?: string;
  /**
   * The server commands run against instead of opening the database: the admin socket passes
   * the one it runs in, so commands work while it holds the embedded database. Commands
   * refuse `start`, `migrate` and `restore` then.
   */
  running?: RunningServer;
}

/** What each command that cannot run inside a running server would need, told to the operator who tries. */
const NOT_WHILE_RUNNING: Readonly<Record<string, string>> = {
  start: 'A payment server already runs on this data folder (its admin socket answered): stop it before starting another.',
  migrate:
    'The running payment server applied its migrations when it started, so none is pending for it; stop it first to migrate with another version.',
  restore: 'Restoring replaces the database the running payment server holds open: stop the server first, then restore.',
};

function decimal(values: Record<string, unknown>, name: string, currency: string): bigint | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  try {
    return BigInt(toMinorUnits(String(value), currency));
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`);
  }
}

/** The one place a command gets its server: the running one through the admin socket, or one of its own, closed after. */
async function withServer<T>(io: CliIo, run: (server: PaymentServer, config: Config) => Promise<T>): Promise<T> {
  // Never a second handle on the embedded database, which one process at a time may open.
  if (io.running !== undefined) return run(io.running.server, io.running.config);
  const config = loadConfig(io.env);
  const server = await createPaymentServer(config, { log: createLogger({ level: 'warn', write: io.err }) });
  try {
    return await run(server, config);
  } finally {
    await server.close();
  }
}

/** `help [COMMAND]` and `COMMAND --help`: one command's usage (or its group's), or all of it. */
function help(argv: string[], io: CliIo): number {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    io.out(USAGE);
    return 0;
  }
  const usage = commandUsage(argv);
  if (usage === undefined) throw new UsageError(`Unknown command "${commandWords(argv).join(' ')}".`, 'command_unknown');
  io.out(usage);
  return 0;
}

/** Prints why a command failed (the usage with a usage error), and answers its exit code: 2 usage, 1 refused or failed. */
function failed(error: unknown, argv: string[], io: CliIo): number {
  const print = output(io);
  let message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError && error.code === 'command_unknown') {
    const nearest = nearestCommand(argv);
    if (nearest !== undefined) message = `${message} Did you mean "${nearest}"?`;
  }
  const exit = error instanceof UsageError ? 2 : 1;
  if (print.json) print.failure(errorCode(error), message);
  else if (error instanceof UsageError)
    io.err(`caisse-server: ${message}\n\n${commandUsage(argv) ?? commandUsage(argv.slice(0, 1)) ?? USAGE}`);
  else if (error instanceof ProblemError || isNotificationError(error) || error instanceof CliError) print.failure(error.code, message);
  else io.err(`caisse-server: ${message}`);
  return exit;
}

/**
 * Runs one command; returns the exit code (0 done, 1 refused or failed, 2 usage). While a
 * payment server runs on the embedded database of `io.env`, the command runs inside it
 * (through its admin socket) rather than here.
 * @example process.exitCode = await runCommand(process.argv.slice(2), nodeIo())
 */
export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  // `--json` anywhere: a question about the output, which every command answers alike.
  const cli: CliIo = argv.includes('--json') ? { ...io, json: true } : io;
  const args = argv.filter((arg) => arg !== '--json');
  try {
    return await dispatch(args, argv, cli);
  } catch (error) {
    return failed(error, args, cli);
  }
}

async function dispatch(args: string[], argv: string[], io: CliIo): Promise<number> {
  const [group = '', action = '', ...rest] = args;
  const print = output(io);
  if (group === '') {
    io.out(USAGE);
    return 2;
  }
  if (group === 'help' || group === '--help' || group === '-h') return help(args.slice(1), io);
  // `caisse-server customers plan --help` is a question, not a malformed command.
  if (args.includes('--help') || args.includes('-h')) return help(args, io);
  if (group === 'version' || group === '--version') {
    options(args.slice(1), {});
    const { version, schema } = versionInfo();
    print.result({ version, schema }, `caisse-server ${version} (@caisse/payment-server), migrations up to ${schema}`);
    return 0;
  }
  if (io.running === undefined) {
    const forwarded = await forwardToRunningServer(argv, io);
    if (forwarded !== undefined) return forwarded;
  } else if (Object.hasOwn(NOT_WHILE_RUNNING, group)) {
    throw new CliError('server_running', NOT_WHILE_RUNNING[group]);
  }
  switch (`${group} ${action}`.trim()) {
    case 'start':
      return await start([action, ...rest].filter(Boolean), io);
    case 'migrate':
      return await migrateCommand([action, ...rest].filter(Boolean), io);
    case 'merchants add': {
      const values = options(rest, {
        id: { type: 'string' },
        name: { type: 'string' },
        jwks: { type: 'string' },
        origin: { type: 'string', multiple: true },
        'notify-url': { type: 'string' },
        'quote-url': { type: 'string' },
        pending: { type: 'boolean' },
      });
      const jwks = JSON.parse(await readFile(fileArgument(io, required(values, 'jwks')), 'utf8'));
      const merchant = await withServer(io, (server) =>
        server.merchants.register({
          id: required(values, 'id'),
          displayName: required(values, 'name'),
          jwks,
          returnOrigins: values.origin ?? [],
          ...(values['notify-url'] ? { notifyUrl: values['notify-url'] } : {}),
          ...(values['quote-url'] ? { quoteUrl: values['quote-url'] } : {}),
          status: values.pending ? 'pending' : 'active',
        }),
      );
      print.result(
        merchantJson(merchant),
        `Merchant ${merchant.id} (${merchant.displayName}) registered with ${merchant.jwks.keys.length} key(s); returns to ${merchant.returnOrigins.join(', ')}.${merchant.status === 'pending' ? ` It is pending: it takes no payments until approved (merchants approve ${merchant.id}).` : ''}`,
      );
      return 0;
    }
    case 'merchants list': {
      options(rest, {});
      const merchants = await withServer(io, (server) => server.merchants.list());
      print.list(merchants, {
        line: (merchant) => `${merchant.id}\t${merchant.status}\t${merchant.displayName}\t${merchant.returnOrigins.join(' ')}`,
        json: merchantJson,
      });
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
      print.result({ id: customer.id, currency }, `Customer ${customer.id} added with a ${currency} wallet.`);
      return 0;
    }
    case 'customers unlock': {
      const values = options(rest, { account: { type: 'string' } });
      const customer = await withServer(io, (server) => server.customers.unlock(required(values, 'account')));
      print.result({ id: customer.id, unlocked: true }, `Customer ${customer.id} unlocked.`);
      return 0;
    }
    case 'customers lock': {
      const values = options(rest, { account: { type: 'string' }, reason: { type: 'string' } });
      const account = required(values, 'account');
      const reason = required(values, 'reason');
      // The reason has no column of its own: the register of operator actions keeps it, as for a lock from the console.
      const customer = await audited(io, withServer, 'customer.lock', account, (server) => server.customers.lock(account, reason), {
        reason,
      });
      print.result(
        { id: customer.id, lockedAt: customer.lockedAt },
        `Customer ${customer.id} is locked: their payments are refused (account_locked) until \`customers unlock --account ${customer.id}\`.`,
      );
      return 0;
    }
    case 'customers plan': {
      const [account = '', ...flags] = rest;
      const customerId = positional([account], 'ACCOUNT');
      const values = options(flags, { currency: { type: 'string' } });
      const currency = values.currency ?? 'EUR';
      const { plan, bounds, chosen } = await withServer(io, (server) => server.plans.get(customerId, currency));
      const decimal = (value: bigint) => toDecimalString({ amount: Number(value), currency });
      const money = (value: bigint) => jsonMoney(value, currency);
      // One line per field on stdout (name, value in force, the operator's bound; tab-separated, for scripts); the rest on stderr.
      print.note(`Plan of ${customerId} in ${currency}: ${chosen ? 'chosen by the customer' : "never chosen, the operator's defaults"}.`);
      print.result(
        {
          customer: customerId,
          currency,
          chosen,
          plan: {
            means: plan.means,
            walletBelow: money(plan.walletBelow),
            bankWhenShort: plan.bankWhenShort,
            tapBelow: money(plan.tapBelow),
            dailyCeiling: money(plan.dailyCeiling),
            monthlyCeiling: money(plan.monthlyCeiling),
          },
          bounds: {
            walletThreshold: money(bounds.walletThreshold),
            tapLimit: money(bounds.tapLimit),
            dailyCeiling: money(bounds.dailyCeiling),
            monthlyCeiling: money(bounds.monthlyCeiling),
          },
        },
        [
          `means\t${plan.means.join(',')}`,
          `wallet-below\t${decimal(plan.walletBelow)}\t${decimal(bounds.walletThreshold)}`,
          `bank-when-short\t${plan.bankWhenShort ? 'yes' : 'no'}`,
          `tap-below\t${decimal(plan.tapBelow)}\t${decimal(bounds.tapLimit)}`,
          `daily-ceiling\t${decimal(plan.dailyCeiling)}\t${decimal(bounds.dailyCeiling)}`,
          `monthly-ceiling\t${decimal(plan.monthlyCeiling)}\t${decimal(bounds.monthlyCeiling)}`,
        ],
      );
      return 0;
    }
    case 'devices code': {
      const customerId = positional(rest, 'CUSTOMER');
      const { code, expiresAt } = await withServer(io, (server) => server.devices.createCode(customerId));
      // The code alone on stdout, so a script can pipe it (e.g. to an SMS gateway); the rest on stderr.
      print.result({ customer: customerId, code, expiresAt }, code);
      print.note(`One-time enrollment code for ${customerId}, valid until ${expiresAt.toISOString()}.`);
      return 0;
    }
    case 'devices list': {
      const customerId = positional(rest, 'CUSTOMER');
      const devices = await withServer(io, async (server) => {
        await server.customers.get(customerId);
        return server.devices.list(customerId);
      });
      print.list(devices, {
        line: (device) => {
          const state = device.revokedAt === null ? 'active' : `revoked ${device.revokedAt.toISOString()}`;
          return `${device.id}\t${state}\t${device.name ?? '-'}\t${device.createdAt.toISOString()}`;
        },
        json: (device) => ({ ...device, state: device.revokedAt === null ? 'active' : 'revoked' }),
      });
      return 0;
    }
    case 'devices revoke': {
      const deviceId = positional(rest, 'DEVICE');
      const device = await withServer(io, (server) => server.devices.revoke(deviceId));
      print.result(device, `Device ${device.id} of ${device.customerId} revoked.`);
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
      const account = required(values, 'account');
      const credit = await withServer(io, (server) =>
        server.customers.walletCredit(account, currency, amount, { idempotencyKey: required(values, 'idempotency-key') }),
      );
      const balance = toDecimalString({ amount: Number(credit.balance), currency });
      print.result(
        {
          account,
          credited: jsonMoney(amount, currency),
          replayed: credit.replayed,
          balance: jsonMoney(credit.balance, currency),
          serial: credit.serial,
        },
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
      print.result(rotated, `Key ${rotated.kid} published now; it signs from ${rotated.signsFrom.toISOString()}.`);
      return 0;
    }
    case 'keys list': {
      options(rest, {});
      const jwks = await withServer(io, (server) => server.keys.jwks());
      const alg = (key: (typeof jwks.keys)[number]) => (key.kty === 'OKP' ? 'EdDSA' : 'ES256');
      print.list(jwks.keys, { line: (key) => `${key.kid}\t${alg(key)}`, json: (key) => ({ kid: key.kid, alg: alg(key) }) });
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
      print.result(report, [
        `${report.batches} sealed batch(es), ${report.sealedTransfers} sealed and ${report.unsealedTransfers} unsealed transfer(s), ${report.answers} kept phone answer(s).`,
        ...(report.head
          ? [`Head: ${report.head.seq}:${report.head.hash} (keep it outside the database; pass it as --expected-head next time)`]
          : []),
        report.ok ? 'Audit OK: no row was edited, inserted or deleted.' : `Audit FAILED: ${report.findings.length} finding(s).`,
      ]);
      for (const finding of report.findings) print.note(`FINDING ${finding.kind}: ${finding.detail}`);
      if (!report.ok) print.failure('audit_failed', `${report.findings.length} finding(s): rows were edited, inserted or deleted.`);
      return report.ok ? 0 : 1;
    }
    case 'alerts list': {
      options(rest, {});
      const alerts = await withServer(io, (server) => server.alerts.list());
      print.list(alerts, {
        line: (alert) => `${alert.createdAt.toISOString()}\t${alert.kind}\t${alert.subject}`,
        json: (alert) => alert,
        empty: 'No open alerts.',
      });
      return 0;
    }
    case 'notifications list': {
      const values = options(rest, { parked: { type: 'boolean' } });
      const parked = values.parked === true;
      const list = await withServer(io, (server) => server.notifications.list(parked ? { status: 'parked' } : {}));
      print.list(list, {
        line: (item) =>
          `${item.id}\t${item.createdAt.toISOString()}\t${item.merchantId}\t${item.event}\t${item.status}\t${item.attempts} attempt(s)${item.lastError === null ? '' : `\t${item.lastError}`}`,
        // The signed payload stays in the outbox: the merchant API serves it to its merchant.
        json: ({ payload, ...item }) => item,
        empty: parked ? 'No parked notifications.' : 'No notifications.',
      });
      return 0;
    }
    case 'notifications resend': {
      const values = options(rest, { id: { type: 'string' } });
      const { payload, ...resent } = await withServer(io, (server) => server.notifications.resend(required(values, 'id')));
      print.result(
        resent,
        `Notification ${resent.id} (${resent.event} for ${resent.merchantId}) is queued again; retried until ${resent.retryUntil.toISOString()}.`,
      );
      return 0;
    }
    default: {
      const done =
        (await afterPaymentCommand(args, io, withServer)) ??
        (await allowancesCommand(args, io, withServer)) ??
        (await disputesCommand(args, io, withServer)) ??
        (await ticketRefusalsCommand(args, io, withServer)) ??
        (await merchantKeysCommand(args, io, withServer)) ??
        (await merchantLifecycleCommand(args, io, withServer)) ??
        (await acquirerCommand(args, io, withServer)) ??
        (await housekeepingCommand(args, io, withServer)) ??
        (await evidenceCommand(args, io, withServer)) ??
        (await backupCommand(args, io, withServer)) ??
        (await operatorsCommand(args, io, withServer));
      if (done !== undefined) return done;
      throw new UsageError(`Unknown command "${`${group} ${action}`.trim()}".`, 'command_unknown');
    }
  }
}

async function start(args: string[], io: CliIo): Promise<number> {
  options(args, {});
  const config = loadConfig(io.env);
  const server = await startPaymentServer(config);
  // On the embedded database, the other `caisse-server` commands run inside this process, through <CAISSE_DATA_DIR>/admin.sock.
  const admin = await startAdminSocket({ server, config }, runCommand);
  output(io).result({ issuer: server.issuer, url: server.url }, `Payment server ${server.issuer} listening on ${server.url}`);
  await io.stopSignal();
  await admin?.close();
  await server.close();
  return 0;
}
