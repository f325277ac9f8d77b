import { ACQUIRER_USAGE } from '../acquirer/cli.js';
import { AFTER_PAYMENT_USAGE } from '../after-payment/cli.js';
import { OPERATORS_USAGE } from '../console/cli.js';
import { DISPUTES_USAGE } from '../disputes/index.js';
import { EVIDENCE_USAGE } from '../evidence/index.js';
import { HOUSEKEEPING_USAGE } from '../housekeeping/index.js';
import { MERCHANT_KEYS_USAGE, MERCHANT_LIFECYCLE_USAGE } from '../merchants/cli.js';
import { BACKUP_USAGE } from '../storage/backup-cli.js';
import { TICKET_REFUSALS_USAGE } from '../ticket-refusals/cli.js';
import { ALLOWANCES_USAGE } from './allowances.js';

/**
 * One line per command (continued on lines indented to the description's column): each
 * domain keeps the lines of its own commands, and `caisse-server GROUP --help` picks a
 * group's lines out of this text, so no line is written twice.
 */
const COMMANDS = `  start                         run the payment server (HOST, PORT, DATABASE_URL or CAISSE_DATA_DIR, CAISSE_ISSUER, …)
  migrate                       apply pending database migrations and exit; says which it applied
  version                       the package version and the latest migration it knows (also --version)
  help [COMMAND]                this text, or one command's (also COMMAND --help)
  merchants add                 --id ID --name NAME --jwks FILE --origin URL [--origin URL …] [--notify-url URL] [--quote-url URL]
                                [--pending]   (pending: it takes no payments until approved)
  merchants list                (id, status, name, origins)
${MERCHANT_LIFECYCLE_USAGE}
${MERCHANT_KEYS_USAGE}
${TICKET_REFUSALS_USAGE}
  customers add                 --account ID --phone +E164 [--currency EUR] [--cap 150.00] [--daily 300.00]
                                [--monthly 1000.00] [--bank-ref REF] [--locale en|fr]   (the access key is read from stdin;
                                the locale is the language of the customer's receipts, en by default)
  customers unlock              --account ID
  customers lock                --account ID --reason TEXT   (payments refused account_locked until unlocked; the reason goes to the register)
  customers plan ACCOUNT        [--currency EUR]  the customer's payment plan and the operator's bounds (reads only)
  devices code CUSTOMER         print a one-time code (10 min) to enroll a phone for the customer
  devices list CUSTOMER         the customer's phones (id, state, name, enrolled at)
  devices revoke DEVICE         revoke a phone: it can no longer confirm payments
  wallet credit                 --account ID --amount 50.00 [--currency EUR] --idempotency-key KEY
  keys rotate                   [--alg EdDSA|ES256] [--immediately]
  keys list
  audit verify                  [--expected-head SEQ:HASH]  (the head printed by an earlier run, kept outside the database)
${EVIDENCE_USAGE}
  alerts list
  notifications list            [--parked]  (parked: retried for 3 days without an acknowledgement)
  notifications resend          --id ID     (puts a parked notification back in the queue, same id)
${AFTER_PAYMENT_USAGE}
${DISPUTES_USAGE}
${ALLOWANCES_USAGE}
${ACQUIRER_USAGE}
${OPERATORS_USAGE}
${HOUSEKEEPING_USAGE}
${BACKUP_USAGE}`;

const FOOTER = `Every command takes --help, and --json: one JSON document on stdout (amounts in minor units, as strings, with
their currency; dates ISO 8601), errors as {"error": {"code", "message"}} on stderr, same exit codes.
While \`start\` runs on CAISSE_DATA_DIR, the other commands run inside it (through its admin.sock).
Configuration comes from the environment; see the package README.`;

/** The whole usage: what the bare `caisse-server` and `caisse-server --help` print. */
export const USAGE = `Usage: caisse-server <command> [options]

${COMMANDS}

${FOOTER}`;

/** One command's lines in {@link COMMANDS}, and the words that name it (`['merchants', 'key', 'add']`). */
interface Entry {
  words: readonly string[];
  lines: string[];
}

/** A command word: lowercase, as `carrier-key`; placeholders (`ACCOUNT`) and options end the name. */
const WORD = /^[a-z][a-z-]*$/;

const ENTRIES: readonly Entry[] = (() => {
  const entries: Entry[] = [];
  for (const line of COMMANDS.split('\n')) {
    const last = entries.at(-1);
    if (/^ {3}/.test(line) && last !== undefined) {
      last.lines.push(line);
      continue;
    }
    // The name ends where the description's column starts (two spaces or more).
    const name = line.trim().split(/\s{2,}/)[0] ?? '';
    const words: string[] = [];
    for (const word of name.split(' ')) {
      if (!WORD.test(word)) break;
      words.push(word);
    }
    entries.push({ words, lines: [line] });
  }
  return entries;
})();

/** The words of `argv` that name a command: the group, and its action when the group has actions. */
export function commandWords(argv: readonly string[]): string[] {
  const [group = '', action = ''] = argv;
  const hasActions = ENTRIES.some((entry) => entry.words[0] === group && entry.words.length > 1);
  return hasActions && WORD.test(action) ? [group, action] : [group];
}

/** The usage of the command `argv` names (`['customers', 'plan', …]`), or of its group; undefined when there is no such command. */
export function commandUsage(argv: readonly string[]): string | undefined {
  const words = commandWords(argv);
  const matching = ENTRIES.filter((entry) => words.every((word, index) => entry.words[index] === word));
  if (matching.length === 0) return undefined;
  const shape = matching.some((entry) => entry.words.length > words.length) ? `${words.join(' ')} <action>` : words.join(' ');
  return `Usage: caisse-server ${shape} [options]\n\n${matching.flatMap((entry) => entry.lines).join('\n')}\n\n${FOOTER}`;
}

/** Edits (insert, delete, replace one character) from `a` to `b`. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The known command nearest to what `argv` names, when it is a likely typo (`merchant
 * list` → `merchants list`); undefined when nothing is near.
 * @example nearestCommand(['custmers', 'add']) // 'customers add'
 */
export function nearestCommand(argv: readonly string[]): string | undefined {
  const typed = argv
    .slice(0, 2)
    .filter((word) => WORD.test(word))
    .join(' ');
  const known = [...new Set(ENTRIES.map((entry) => entry.words.slice(0, 2).join(' ')))];
  // Against as many words as the known command has: `prun --dry-run` is near `prune`, `customers ad` near `customers add`.
  const scored = known.map((name) => {
    const words = name.split(' ').length;
    const compared = typed.split(' ').slice(0, words).join(' ');
    return { name, edits: distance(compared, name) };
  });
  const best = scored.reduce((nearest, candidate) => (candidate.edits < nearest.edits ? candidate : nearest));
  return best.edits > 0 && best.edits <= Math.max(2, Math.floor(typed.length / 4)) ? best.name : undefined;
}
