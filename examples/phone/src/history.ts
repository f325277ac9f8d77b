/** One request answered from this phone, kept only on this phone. */
export interface HistoryEntry {
  id: string;
  deviceId: string;
  account: string;
  payee: string;
  amount: number;
  currency: string;
  outcome: 'approved' | 'declined';
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

/** Adds an entry, newest first, keeping the last {@link KEEP}. */
export function addToHistory(entry: HistoryEntry): HistoryEntry[] {
  const entries = [entry, ...readHistory().filter((old) => old.id !== entry.id)].slice(0, KEEP);
  localStorage.setItem(KEY, JSON.stringify(entries));
  return entries;
}
