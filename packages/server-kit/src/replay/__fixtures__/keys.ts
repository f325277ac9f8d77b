/**
 * Keys that a careless store would split, merge, unescape or run: quotes, SQL, line breaks, RESP framing, Unicode look-alikes.
 *
 * @example
 * for (const key of AWKWARD_KEYS) expect(await store.claim(key, later)).toBe(true);
 */
export const AWKWARD_KEYS = [
  "it's",
  '"quoted"',
  "'); DROP TABLE caisse_replay; --",
  'line\nbreak',
  'line\r\nbreak',
  'tab\there',
  'x\r\nFLUSHALL\r\n',
  '*3\r\n$3\r\nDEL\r\n',
  'caf\u00e9',
  'cafe\u0301',
  '\u{1F9FE} re\u00e7u',
  '\u0645\u062f\u0641\u0648\u0639',
  ' ',
  '%',
  '\\',
  'a'.repeat(512),
] as const;
