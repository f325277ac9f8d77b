import type { Database } from '../storage/database.js';
import { SESSION_CHANNEL } from './sessions.js';

/**
 * One LISTEN per process on {@link SESSION_CHANNEL}, fanned out in memory to the live
 * status feeds of this instance by session id. Whichever instance moves a session, the
 * database tells every instance at commit; nothing is kept that another instance needs.
 */
export interface SessionEvents {
  /** Calls `onChange` whenever the session may have moved; resolves once listening. Returns the unsubscribe function. */
  subscribe(sessionId: string, onChange: () => void): Promise<() => void>;
  /** True once {@link close} was called: feeds end (the page's EventSource reconnects to another instance). */
  readonly closed: boolean;
  /** Stops listening and wakes every subscriber, so feeds end and the HTTP server can close. */
  close(): Promise<void>;
}

/** @example const events = createSessionEvents(db); const stop = await events.subscribe(session.id, () => check()) */
export function createSessionEvents(db: Database): SessionEvents {
  const subscribers = new Map<string, Set<() => void>>();
  let listening: Promise<() => Promise<void>> | undefined;
  let closed = false;

  function wakeAll() {
    for (const set of [...subscribers.values()]) for (const onChange of [...set]) onChange();
  }

  function listen() {
    if (listening === undefined) {
      listening = db.listen(
        SESSION_CHANNEL,
        (sessionId) => {
          for (const onChange of subscribers.get(sessionId) ?? []) onChange();
        },
        // A move notified while the connection was down never arrives: every feed looks again.
        { onResume: wakeAll },
      );
      // A LISTEN that failed (the database was away) is tried again by the next feed, not kept failed for the process's life.
      listening.catch(() => {
        listening = undefined;
      });
    }
    return listening;
  }

  return {
    get closed() {
      return closed;
    },
    async subscribe(sessionId, onChange) {
      await listen();
      const set = subscribers.get(sessionId) ?? new Set();
      set.add(onChange);
      subscribers.set(sessionId, set);
      return () => {
        set.delete(onChange);
        if (set.size === 0 && subscribers.get(sessionId) === set) subscribers.delete(sessionId);
      };
    },
    async close() {
      closed = true;
      const started = listening;
      listening = undefined;
      wakeAll();
      subscribers.clear();
      if (started) await (await started)();
    },
  };
}
