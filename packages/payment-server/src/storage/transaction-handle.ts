import type { Driver, Queryable, QueryResult, Transaction } from './database.js';
import { StorageError } from './errors.js';

/**
 * Wraps a driver's connection into a {@link Transaction} handle that refuses to be used
 * once the transaction has ended, and that nests savepoints.
 */
export function transactionHandle(connection: Queryable): { tx: Transaction; end: () => void } {
  let open = true;
  let savepoints = 0;
  const ensureOpen = () => {
    if (!open) throw new StorageError('transaction_closed');
  };
  const tx: Transaction = {
    driver: connection.driver as Driver,
    async query<T extends object>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      ensureOpen();
      return connection.query<T>(sql, params);
    },
    async exec(sql: string): Promise<void> {
      ensureOpen();
      return connection.exec(sql);
    },
    async savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      ensureOpen();
      const name = `caisse_sp_${++savepoints}`;
      await connection.exec(`SAVEPOINT ${name}`);
      try {
        const result = await fn(tx);
        await connection.exec(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (error) {
        await connection.exec(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`);
        throw error;
      }
    },
  };
  return {
    tx,
    end: () => {
      open = false;
    },
  };
}
