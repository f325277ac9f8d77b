// A payment server's notification dispatcher in a process of its own (crash.test.ts):
// it loads the real dispatcher from ../dispatcher.ts, opens its own PostgreSQL pool, says
// "ready", waits for "go" on stdin, runs one pass and prints its report as one JSON line,
// unless it is killed first, which is the point.
//
// Environment: DATABASE_URL, SEALING_KEY (base64url), ISSUER.
import { register } from 'node:module';
import { createInterface } from 'node:readline';

register('@caisse/testing/typescript-hooks', import.meta.url);

const { openDatabase } = await import('../../storage/open.ts');
const { createServerKeys } = await import('../../keys/service.ts');
const { createLogger } = await import('../../log.ts');
const { createNotificationDispatcher } = await import('../dispatcher.ts');

const db = await openDatabase({ url: process.env.DATABASE_URL, migrate: false });
const keys = createServerKeys({ db, sealingKey: Buffer.from(process.env.SEALING_KEY, 'base64url'), publishDelay: 0 });
const log = createLogger({ level: 'warn', write: (line) => process.stderr.write(`${line}\n`) });
const dispatcher = createNotificationDispatcher({ db, keys, issuer: process.env.ISSUER, now: () => new Date(), log, timeoutMs: 60_000 });
await keys.signingKey();

const lines = createInterface({ input: process.stdin });
const go = new Promise((resolve) => lines.once('line', resolve));
process.stdout.write('ready\n');
await go;
lines.close();

const report = await dispatcher.runOnce({ limit: 50 });
process.stdout.write(`${JSON.stringify(report)}\n`);
await db.close();
