import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { asUnavailable, isConnectionFailure, isStorageError, StorageError } from './errors.js';
import { openDatabase } from './open.js';
import { openTestDatabase, type TestDatabase, testDrivers } from './test-support.js';

const hasPostgres = (await testDrivers('connection failures')).includes('postgres');

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('telling a database out of reach from a query that failed', () => {
  it.each([
    ['connection refused', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a broken pipe (its code looks like an SQLSTATE)', withCode('write EPIPE', 'EPIPE')],
    ['the server shutting down', withCode('terminating connection due to administrator command', '57P01')],
    ['the server starting up', withCode('the database system is starting up', '57P03')],
    ['a connection exception', withCode('connection failure', '08006')],
    ['a session ended for idling in a transaction', withCode('terminating connection due to idle-in-transaction timeout', '25P03')],
    ['the socket closed', new Error('Connection terminated unexpectedly')],
    ["the pool's connection time-out", new Error('timeout exceeded when trying to connect')],
    ["the client's query time-out", new Error('Query read timeout')],
  ])('%s is a connection failure', (_name, error) => {
    expect(isConnectionFailure(error)).toBe(true);
    const unavailable = asUnavailable(error);
    expect(isStorageError(unavailable, 'database_unavailable')).toBe(true);
    expect((unavailable as StorageError).cause).toBe(error);
  });

  it.each([
    ['a unique violation', withCode('duplicate key value', '23505')],
    ['a serialization failure', withCode('could not serialize access', '40001')],
    ['a syntax error', withCode('syntax error at or near', '42601')],
    ['any other error', new Error('boom')],
    ['not an error', 'ECONNREFUSED'],
  ])('%s is not, and is left as it is', (_name, error) => {
    expect(isConnectionFailure(error)).toBe(false);
    expect(asUnavailable(error)).toBe(error);
  });

  it('keeps a database_unavailable as it is', () => {
    const error = new StorageError('database_unavailable');
    expect(asUnavailable(error)).toBe(error);
  });
});

describe('PGlite, in the process', () => {
  it('is always reachable and always listening while open', async () => {
    const db = await openDatabase();
    expect(await db.health()).toEqual({ reachable: true, listener: 'up' });
    await db.close();
  });
});

describe.runIf(hasPostgres)('a PostgreSQL connection ended under a transaction', () => {
  let handle: TestDatabase;
  let admin: Awaited<ReturnType<typeof openDatabase>>;

  beforeAll(async () => {
    handle = await openTestDatabase('postgres', 'connection_failure', { poolSize: 2 });
    admin = await openDatabase({ url: handle.url as string, migrate: false, poolSize: 1 });
  });
  afterAll(async () => {
    await admin?.close();
    await handle?.close();
  });

  it('fails the transaction with database_unavailable, does not crash the process, and the pool goes on', async () => {
    const failure = await handle.db
      .transaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        const pid = rows[0]?.pid;
        // Ended by an operator between two queries: the server's goodbye reaches a client with no query running.
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await vi.waitFor(async () => expect((await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rows).toEqual([]));
        await tx.query('SELECT 1');
      })
      .catch((error: unknown) => error);
    expect(isStorageError(failure, 'database_unavailable')).toBe(true);
    expect(await handle.db.query('SELECT 1 AS one')).toEqual({ rows: [{ one: 1 }], rowCount: 1 });
    expect(await handle.db.health()).toEqual({ reachable: true, listener: 'idle' });
  });

  it('refuses at once, with database_unavailable, when nothing listens on the port', async () => {
    const url = new URL(handle.url as string);
    url.port = '1';
    const nowhere = await openDatabase({ url: url.toString(), migrate: false, connectTimeoutMs: 1_000 });
    const failure = await nowhere.query('SELECT 1').catch((error: unknown) => error);
    expect(isStorageError(failure, 'database_unavailable')).toBe(true);
    expect(await nowhere.health()).toEqual({ reachable: false, listener: 'idle' });
    await nowhere.close();
  });
});
