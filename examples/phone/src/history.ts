import type { AnsweredRequest, RequestOutcome } from '@caisse/sdk';

/** One request answered from this phone, kept only on this phone. */
export interface HistoryEntry {
  id: string;
  deviceId: string;
  account: string;
  payee: string;
  amount: number;
  currency: string;
  /** What this phone answered. */
  outcome: 'approved' | 'declined';
  /** What became of the payment, as the server told it (the stream's `outcome`, or `history()`); absent until then. */
  result?: RequestOutcome;
  /** Milliseconds since the epoch. */
  at: number;
}

const KEY = 'caisse-phone-history';
const KEEP = 100;

export function readHistory(): HistoryEntry[] {
  try {
    const entries = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(entries) ? (entries as HistoryEntry[]) : [];
  } catch {
    return [];
  }
}

function save(entries: HistoryEntry[]): HistoryEntry[] {
  localStorage.setItem(KEY, JSON.stringify(entries));
  return entries;
}

/** Outcomes heard before this phone's answer came back (the server pays before it answers): kept for the entry. */
const early = new Map<string, RequestOutcome>();

/** Adds an entry, newest first, keeping the last {@link KEEP}, with its outcome when already heard. */
export function addToHistory(entry: HistoryEntry): HistoryEntry[] {
  const result = early.get(entry.id);
  early.delete(entry.id);
  const added = result === undefined ? entry : { ...entry, result };
  return save([added, ...readHistory().filter((old) => old.id !== entry.id)].slice(0, KEEP));
}

/** Records what became of request `id` (the stream's `outcome` event). */
export function recordOutcome(id: string, result: RequestOutcome): HistoryEntry[] {
  const old = readHistory();
  if (!old.some((each) => each.id === id)) early.set(id, result);
  return save(old.map((each) => (each.id === id ? { ...each, result } : each)));
}

/**
 * Takes the server's word (`account.history()`) for the entries of this account: the
 * outcome of each, and the requests answered while this phone was away from the stream.
 */
export function reconcile(deviceId: string, account: string, answered: readonly AnsweredRequest[]): HistoryEntry[] {
  const byId = new Map(answered.map((each) => [each.id, each]));
  const old = readHistory();
  const kept = old.map((entry) => {
    const server = byId.get(entry.id);
    byId.delete(entry.id);
    return server === undefined
      ? entry
      : {
          ...entry,
          payee: server.payee.name,
          amount: server.amount,
          currency: server.currency,
          outcome: server.answer,
          result: server.outcome,
          at: entry.at || server.answeredAt.getTime(),
        };
  });
  const missing = [...byId.values()].map((server) => ({
    id: server.id,
    deviceId,
    account,
    payee: server.payee.name,
    amount: server.amount,
    currency: server.currency,
    outcome: server.answer,
    result: server.outcome,
    at: server.answeredAt.getTime(),
  }));
  return save([...kept, ...missing].sort((a, b) => b.at - a.at).slice(0, KEEP));
}
