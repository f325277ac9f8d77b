import { type Account, type AnsweredRequest, type ConfirmationRequest, isCaisseDeviceError, type RequestOutcome } from '@caisse/sdk';
import { useEffect, useState } from 'preact/hooks';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'revoked' | 'stopped';

export interface LiveState {
  /** Open requests per device id, oldest first. */
  requests: Record<string, ConfirmationRequest[]>;
  connections: Record<string, Connection>;
}

/** What the streams tell of answered requests: each outcome as it comes, and the server's history on each (re)connection. */
export interface OutcomeHandlers {
  onOutcome(id: string, outcome: RequestOutcome): void;
  onHistory(account: Account, answered: AnsweredRequest[]): void;
}

/**
 * Follows every account's request stream. On each (re)connection it takes `pending()`
 * as the truth, since `closed` events are best effort; new requests and closed ones
 * update the list in between. Outcomes go the same way: `history()` on each
 * (re)connection (those missed while away), `outcome` events in between.
 */
export function useLiveRequests(
  accounts: Account[],
  handlers: OutcomeHandlers,
): [LiveState, (deviceId: string, requestId: string) => void] {
  const [state, setState] = useState<LiveState>({ requests: {}, connections: {} });

  useEffect(() => {
    const controller = new AbortController();
    const update = (deviceId: string, change: (requests: ConfirmationRequest[]) => ConfirmationRequest[], connection?: Connection) =>
      setState((old) => ({
        requests: { ...old.requests, [deviceId]: change(old.requests[deviceId] ?? []) },
        connections: connection ? { ...old.connections, [deviceId]: connection } : old.connections,
      }));

    for (const account of accounts) {
      const id = account.deviceId;
      update(id, (requests) => requests, 'connecting');
      (async () => {
        try {
          for await (const event of account.requests({ signal: controller.signal })) {
            if (event.type === 'open') {
              update(id, (requests) => requests, 'live');
              const open = await account.pending({ signal: controller.signal }).catch(() => undefined);
              if (open) update(id, () => open);
              const answered = await account.history({ signal: controller.signal }).catch(() => undefined);
              if (answered) handlers.onHistory(account, answered);
            } else if (event.type === 'request') {
              update(id, (requests) => [...requests.filter((request) => request.id !== event.request.id), event.request]);
            } else if (event.type === 'outcome') {
              handlers.onOutcome(event.id, event.outcome);
            } else if (event.type === 'closed') {
              update(id, (requests) => requests.filter((request) => request.id !== event.id));
            } else if (event.type === 'retry') {
              update(id, (requests) => requests, 'reconnecting');
            }
          }
        } catch (error) {
          if (controller.signal.aborted) return;
          const revoked = isCaisseDeviceError(error, 'device_revoked') || isCaisseDeviceError(error, 'device_unknown');
          update(id, () => [], revoked ? 'revoked' : 'stopped');
        }
      })();
    }
    return () => controller.abort();
  }, [accounts]);

  const remove = (deviceId: string, requestId: string) =>
    setState((old) => ({
      ...old,
      requests: { ...old.requests, [deviceId]: (old.requests[deviceId] ?? []).filter((request) => request.id !== requestId) },
    }));
  return [state, remove];
}
