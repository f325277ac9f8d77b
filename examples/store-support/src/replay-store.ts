import type { ReplayStore } from '@caisse/server-kit';

/** The part of an `openJsonFile` document the replay store keeps: used token ids and when each may be forgotten (ms). */
interface UsedIds {
  used: Record<string, number>;
}

/**
 * The server kit's replay store over a store's JSON file, so a restart does not forget
 * which vouchers and notifications were already taken. Expired ids are dropped on each claim.
 * @example const replayStore = jsonFileReplayStore(records)
 */
export function jsonFileReplayStore(file: { update<R>(change: (draft: UsedIds) => R): Promise<R> }): ReplayStore {
  return {
    claim: (key, expiresAt) =>
      file.update((draft) => {
        const at = Date.now();
        for (const [used, until] of Object.entries(draft.used)) if (until <= at) delete draft.used[used];
        if (draft.used[key] !== undefined) return false;
        draft.used[key] = expiresAt;
        return true;
      }),
    release: async (key) => {
      await file.update((draft) => {
        delete draft.used[key];
      });
    },
  };
}
