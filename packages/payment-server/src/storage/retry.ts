import { isRetryable, StorageError } from './errors.js';

export const DEFAULT_MAX_RETRIES = 10;

/**
 * Runs `attempt` until it succeeds, throws an error that is not a serialization failure or
 * deadlock, or has been retried `maxRetries` times. Waits a little, with jitter, between
 * attempts so that the transactions that collided do not collide again in lockstep.
 */
export async function retrySerializationFailures<T>(attempt: () => Promise<T>, maxRetries = DEFAULT_MAX_RETRIES): Promise<T> {
  for (let retries = 0; ; retries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryable(error)) throw error;
      if (retries >= maxRetries) {
        throw new StorageError(
          'transaction_retries_exhausted',
          `The transaction failed ${retries + 1} times in a row on a serialization failure or deadlock.`,
          {
            cause: error,
          },
        );
      }
      await backoff(retries);
    }
  }
}

function backoff(retries: number): Promise<void> {
  const ceiling = Math.min(100, 2 ** retries);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
