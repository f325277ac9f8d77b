import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

/**
 * prom-client's default metrics (CPU, memory, heap, event loop lag, GC, handles), in a
 * registry of their own made once per process: they describe the process, not one payment
 * server, and each collection of them keeps a GC observer and an event loop monitor
 * running for good, so a process running several servers (tests, an embedder) shares them
 * instead of starting one set per server. Never prom-client's global registry.
 * @example Registry.merge([processMetrics(), registry])
 */
export function processMetrics(): Registry {
  if (shared === undefined) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
