import type { OutcomeEvent } from '@caisse/protocol';
import type { Logger } from '../log.js';
import type { Database } from '../storage/database.js';
import type { ConfirmationService, PendingRequest } from './confirmations.js';
import { DEVICE_EVENTS_CHANNEL, parseDeviceEvent } from './events.js';
import { answeredRequest } from './history.js';

/** One open phone stream, as the fan-out sees it. */
export interface StreamSubscriber {
  readonly customerId: string;
  readonly deviceId: string;
  request(pending: PendingRequest): void;
  closed(id: string, state: string): void;
  /** The customer's session allowances changed: the phone reads its list again. */
  allowances(): void;
  /** The checkout of a request the customer answered ended: paid, refused or cancelled. */
  outcome(event: OutcomeEvent): void;
  /** The device was revoked: the stream ends. */
  end(): void;
  ping(): void;
}

export interface DeviceStreamsDeps {
  db: Database;
  confirmations: Pick<ConfirmationService, 'bySeq' | 'pending'>;
  /** Milliseconds between keep-alive comments. Default 15 000. */
  keepAliveMs?: number;
  log?: Logger;
}

export interface DeviceStreams {
  /** Adds a stream; resolves once this process listens for device events. Returns the function that removes it. */
  subscribe(subscriber: StreamSubscriber): Promise<() => void>;
  /** Open streams on this instance. */
  size(): number;
  /** Ends every stream and stops listening. */
  close(): Promise<void>;
}

/**
 * The phones' live streams of this process. One LISTEN per process (not per stream)
 * hears every device event of every instance; an in-memory map sends each to the open
 * streams of its customer only, and one timer sends every stream its keep-alive. A new
 * request (and an outcome) is read once per event, not once per stream. When the LISTEN connection comes
 * back after a drop, the open requests of every connected customer are read again, so a
 * request created in the gap still reaches the phone (each stream sends a request once).
 * @example const streams = createDeviceStreams({ db, confirmations }); const stop = await streams.subscribe(subscriber)
 */
export function createDeviceStreams(deps: DeviceStreamsDeps): DeviceStreams {
  const byCustomer = new Map<string, Set<StreamSubscriber>>();
  let listening: Promise<() => Promise<void>> | undefined;
  let keepAlive: NodeJS.Timeout | undefined;
  let count = 0;

  function onPayload(payload: string): void {
    const event = parseDeviceEvent(payload);
    if (event === undefined) return;
    const subscribers = byCustomer.get(event.customerId);
    if (subscribers === undefined) return;
    switch (event.kind) {
      case 'request':
        deps.confirmations.bySeq(deps.db, BigInt(event.seq)).then(
          (pending) => {
            if (pending === undefined || pending.customerId !== event.customerId) return;
            for (const subscriber of byCustomer.get(event.customerId) ?? []) subscriber.request(pending);
          },
          (error: unknown) => deps.log?.error('device.stream_read_failed', { error }),
        );
        return;
      case 'closed':
        for (const subscriber of subscribers) subscriber.closed(event.id, event.state);
        return;
      case 'revoked':
        for (const subscriber of [...subscribers]) if (subscriber.deviceId === event.deviceId) subscriber.end();
        return;
      case 'allowances':
        for (const subscriber of subscribers) subscriber.allowances();
        return;
      case 'outcome':
        answeredRequest(deps.db, event.customerId, event.id).then(
          (answered) => {
            if (answered === undefined) return;
            const outcome: OutcomeEvent = { id: answered.id, outcome: answered.outcome };
            for (const subscriber of byCustomer.get(event.customerId) ?? []) subscriber.outcome(outcome);
          },
          (error: unknown) => deps.log?.error('device.stream_read_failed', { error }),
        );
        return;
    }
  }

  function resend(customerId: string): void {
    deps.confirmations.pending(deps.db, customerId).then(
      (open) => {
        for (const pending of open) for (const subscriber of byCustomer.get(customerId) ?? []) subscriber.request(pending);
      },
      (error: unknown) => deps.log?.error('device.stream_read_failed', { error }),
    );
  }

  function listen(): Promise<() => Promise<void>> {
    if (listening === undefined) {
      listening = deps.db.listen(DEVICE_EVENTS_CHANNEL, onPayload, {
        onResume: () => {
          for (const customerId of [...byCustomer.keys()]) resend(customerId);
        },
      });
      listening.catch(() => {
        listening = undefined;
      });
    }
    return listening;
  }

  return {
    async subscribe(subscriber) {
      await listen();
      const set = byCustomer.get(subscriber.customerId) ?? new Set();
      set.add(subscriber);
      byCustomer.set(subscriber.customerId, set);
      count++;
      if (keepAlive === undefined) {
        keepAlive = setInterval(() => {
          for (const subscribers of byCustomer.values()) for (const each of subscribers) each.ping();
        }, deps.keepAliveMs ?? 15_000);
        keepAlive.unref();
      }
      let removed = false;
      return () => {
        if (removed) return;
        removed = true;
        count--;
        set.delete(subscriber);
        if (set.size === 0 && byCustomer.get(subscriber.customerId) === set) byCustomer.delete(subscriber.customerId);
      };
    },

    size: () => count,

    async close() {
      clearInterval(keepAlive);
      keepAlive = undefined;
      for (const subscribers of [...byCustomer.values()]) for (const subscriber of [...subscribers]) subscriber.end();
      byCustomer.clear();
      const stop = listening;
      listening = undefined;
      await (await stop?.catch(() => undefined))?.();
    },
  };
}
