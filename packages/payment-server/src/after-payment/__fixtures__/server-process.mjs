// A payment server instance in a process of its own (../crash.test.ts): the real
// createPaymentServer over PostgreSQL, its app served on PORT, its clock ahead of real
// time by CLOCK_OFFSET_MS. It prints "listening", then runs what stdin asks, one line at a
// time, printing "done <command> <json>" after each — unless it is killed first, which is
// the point:
//   settle DATE   the daily settlement of DATE (pays out through the acquirers of CAISSE_ACQUIRERS)
//   reconcile     one pass of acquirer reconciliation
//   after         one pass of the after-payment jobs (escrow sweep, settlement, resumes)
//   dispatch      one pass of the notification dispatcher
//   allowances    one pass of the allowance settlement sweep
//
// Environment: the payment server's own (DATABASE_URL, CAISSE_SECRET, CAISSE_ISSUER,
// CAISSE_ACQUIRERS, CAISSE_SETTLEMENT_CUTOFF, …), PORT, CLOCK_OFFSET_MS; SERVER_JOBS=true
// starts it as `caisse-server start` does, its background jobs running on their timers.
import { register } from 'node:module';
import { createInterface } from 'node:readline';

register('@caisse/testing/typescript-hooks', import.meta.url);

const { serve } = await import('@hono/node-server');
const { loadConfig } = await import('../../config.ts');
const { createLogger } = await import('../../log.ts');
const { createPaymentServer, startPaymentServer } = await import('../../server.ts');

const offset = Number(process.env.CLOCK_OFFSET_MS ?? 0);
const log = createLogger({ level: 'warn', write: (line) => process.stderr.write(`${line}\n`) });
const options = { now: () => new Date(Date.now() + offset), log };
const config = loadConfig({ ...process.env, HOST: '127.0.0.1' });
let server;
if (process.env.SERVER_JOBS === 'true') {
  // As `caisse-server start` runs it, with every background job on its own timer.
  server = await startPaymentServer(config, options);
} else {
  server = await createPaymentServer(config, options);
  await new Promise((resolve) => serve({ fetch: server.app.fetch, port: Number(process.env.PORT), hostname: '127.0.0.1' }, resolve));
}
process.stdout.write('listening\n');

const commands = {
  settle: (date) => server.afterPayment.settlement.settle(date),
  reconcile: () => server.bank.reconcile(),
  after: () => server.afterPayment.runOnce(),
  dispatch: () => server.notificationDispatcher.runOnce(),
  allowances: () => server.allowanceSettlement.settleDue(),
};

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  const [name, ...args] = line.trim().split(/\s+/);
  queue = queue.then(async () => {
    try {
      const result = await commands[name](...args);
      process.stdout.write(`done ${name} ${JSON.stringify(result ?? null)}\n`);
    } catch (error) {
      process.stdout.write(`failed ${name} ${JSON.stringify(String(error?.code ?? error?.message ?? error))}\n`);
    }
  });
});
