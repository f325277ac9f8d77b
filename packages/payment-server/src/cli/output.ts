import type { CliIo } from './commands.js';

/**
 * An amount as `--json` prints it: minor units as a string (never a float, and no limit at
 * 2^53), with its currency.
 */
export interface JsonMoney {
  amount: string;
  currency: string;
}

/** @example jsonMoney(1250n, 'EUR') // { amount: '1250', currency: 'EUR' } — 12.50 EUR */
export function jsonMoney(amount: bigint | number, currency: string): JsonMoney {
  return { amount: String(amount), currency };
}

/** How a command shows one item of a list. */
export interface ListView<T> {
  /** The item as one line of text: tab-separated fields, for people and `cut`. */
  line(item: T): string;
  /** The item as a JSON object: amounts through {@link jsonMoney}, dates as `Date` (printed ISO 8601). */
  json(item: T): object;
  /** Printed on stdout instead of the lines when there is no item (text only: JSON prints `[]`). */
  empty?: string;
}

/**
 * Where a command prints what it found or did: text lines, or with `--json` one JSON
 * document on stdout (an array for a list, an object otherwise) and, on failure, one
 * `{"error": {"code", "message"}}` on stderr. Commands say what to print once, for both.
 */
export interface Output {
  /** True with `--json`. */
  readonly json: boolean;
  list<T>(items: readonly T[], view: ListView<T>): void;
  /** One record, or what an action did: its lines of text, or its JSON object. */
  result(json: object, text: string | readonly string[]): void;
  /** A line for people on stderr (what was done, where it went); left out with `--json`, whose document says it. */
  note(line: string): void;
  /** Why the command exits 1 without having thrown (an audit finding, a refund not made), with its stable code. */
  failure(code: string, message: string): void;
}

/** Bigints (counts, sequence numbers, minor units) as strings; dates are already ISO 8601 strings by their `toJSON`. */
function document(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item), 2);
}

/**
 * The output of a command run with `io`: JSON when the command line had `--json`.
 * @example output(io).list(devices, { line: (device) => device.id, json: (device) => device })
 */
export function output(io: CliIo): Output {
  const json = io.json === true;
  return {
    json,
    list(items, view) {
      if (json) io.out(document(items.map((item) => view.json(item))));
      else if (items.length === 0 && view.empty !== undefined) io.out(view.empty);
      else for (const item of items) io.out(view.line(item));
    },
    result(value, text) {
      if (json) io.out(document(value));
      else for (const line of typeof text === 'string' ? [text] : text) io.out(line);
    },
    note(line) {
      if (!json) io.err(line);
    },
    failure(code, message) {
      // One line: a log collector reading stderr takes it whole.
      io.err(json ? JSON.stringify({ error: { code, message } }) : `caisse-server: ${code}: ${message}`);
    },
  };
}
