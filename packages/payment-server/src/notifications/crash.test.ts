import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTestDatabase, type TestDatabase, testDrivers } from '../storage/test-support.js';
import { ISSUER, notifiedMerchant, paymentAuthorised, SEALING_KEY } from './__fixtures__/world.js';

const hasPostgres = (await testDrivers('notification dispatcher killed mid-send')).includes('postgres');

/** The child runs ../dispatcher.ts itself (types erased by a module hook), with its own PostgreSQL pool. */
const CHILD = fileURLToPath(new URL('./__fixtures__/dispatch-process.mjs', import.meta.url));

/** Starts the dispatcher process and resolves once it has loaded and connected. */
function startDispatcherProcess(env: Record<string, string>): Promise<{ child: ChildProcess; go(): void; stderr(): string }> {
  const child = spawn(process.execPath, [CHILD], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`the dispatcher process exited (${code ?? signal}) before it was ready: ${stderr}`)),
    );
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line === 'ready') resolve({ child, go: () => child.stdin?.end('go\n'), stderr: () => stderr });
    });
  });
}

describe.runIf(hasPostgres)('a dispatcher process killed with SIGKILL in the middle of sending', () => {
  let handle: TestDatabase;
  let world: Awaited<ReturnType<typeof notifiedMerchant>>;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    handle = await openTestDatabase('postgres', 'notification_crash');
    world = await notifiedMerchant(handle.db);
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await world?.close();
    await handle?.close();
  });

  it('loses nothing: another dispatcher delivers every notification, and the merchant processes each once', async () => {
    const queued = await Promise.all(Array.from({ length: 5 }, (_, index) => world.enqueue(paymentAuthorised(900 + index))));
    // The first event to reach the merchant's handler stays there, its request open, until released.
    const held = world.receiver.hold();
    const dispatcher = await startDispatcherProcess({
      DATABASE_URL: handle.url as string,
      SEALING_KEY: SEALING_KEY.toString('base64url'),
      ISSUER,
    });
    child = dispatcher.child;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      dispatcher.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    dispatcher.go();

    const inFlight = await held.arrived;
    dispatcher.child.kill('SIGKILL');
    expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
    // The dead process had claimed it and never learnt the answer.
    expect(await world.row(inFlight.jti)).toMatchObject({ status: 'pending', attempts: 1, delivered_at: null });

    // The merchant finishes processing the open request; its answer goes to a closed socket.
    held.release();
    await vi.waitFor(() => expect(world.receiver.processed.map((event) => event.jti)).toContain(inFlight.jti));

    // Another dispatcher, once the dead one's leases (time-out + margin) have run out.
    world.clock.advance(5 * 60_000);
    const next = world.dispatcher();
    for (let pass = 0; pass < 10; pass++) {
      const pending = (await handle.db.query<{ id: string }>(`SELECT id FROM notifications WHERE status <> 'delivered'`)).rows;
      if (pending.length === 0) break;
      await next.runOnce();
      for (const { id } of pending) await world.comeDue(id);
    }

    for (const { id } of queued) {
      expect((await world.row(id)).status).toBe('delivered');
      expect(world.receiver.processed.filter((event) => event.jti === id)).toHaveLength(1);
      expect(world.receiver.requests.filter((request) => request.jti === id).length).toBeGreaterThanOrEqual(1);
    }
    // The event in flight was sent again and acknowledged as a duplicate, not processed twice.
    expect(world.receiver.requests.filter((request) => request.jti === inFlight.jti).map((request) => request.ack)).toContain('duplicate');
  }, 60_000);
});
