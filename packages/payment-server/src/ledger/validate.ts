import { canonicalJson, isCurrencyCode, LIMITS } from '@caisse/protocol';
import { LedgerError } from './errors.js';
import { ACCOUNT_TYPES, type AccountType, type LineInput } from './model.js';

/** Input checks at the ledger's boundary: shape only. The money rules live in the database. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Lines in one transfer: a basket split across merchants, fees, loyalty… but bounded. */
export const MAX_LINES = 64;
/** Canonical JSON of a transfer's metadata, in characters. */
export const MAX_METADATA_LENGTH = 4_096;
export const MAX_KEY_LENGTH = 255;

function invalid(message: string): LedgerError<'invalid_request'> {
  return new LedgerError('invalid_request', message);
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export function idempotencyKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw invalid(`The idempotency key must be a string of 1 to ${MAX_KEY_LENGTH} characters.`);
  }
  return key;
}

export function requestHash(hash: unknown): string | null {
  if (hash === undefined) return null;
  if (typeof hash !== 'string' || hash.length === 0 || hash.length > 128)
    throw invalid('The request hash must be a string of 1 to 128 characters.');
  return hash;
}

/** Checks each line and returns them ordered by account id (the order rows are locked in). */
export function lines(input: unknown): LineInput[] {
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_LINES) {
    throw invalid(`A transfer has 1 to ${MAX_LINES} lines.`);
  }
  const seen = new Set<string>();
  const checked = input.map((line: unknown, index) => {
    const { accountId, amount } = (line ?? {}) as Partial<LineInput>;
    if (!isUuid(accountId)) throw invalid(`Line ${index}: the account id is not a ledger account id.`);
    if (typeof amount !== 'bigint' || amount === 0n) throw invalid(`Line ${index}: the amount must be a non-zero bigint of minor units.`);
    if (amount > BigInt(LIMITS.amount) || amount < -BigInt(LIMITS.amount))
      throw invalid(`Line ${index}: the amount is beyond ${LIMITS.amount} minor units.`);
    if (seen.has(accountId)) throw invalid(`Line ${index}: the account appears twice; one line per account.`);
    seen.add(accountId);
    return { accountId, amount };
  });
  return checked.sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
}

/** Returns the metadata's canonical JSON (RFC 8785), which is also what is hashed. */
export function metadata(input: unknown): string {
  if (input === undefined) return '{}';
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('Metadata must be a JSON object.');
  let json: string;
  try {
    json = canonicalJson(input);
  } catch {
    throw invalid('Metadata may hold strings, safe integers, booleans, null, arrays and objects only (no floats).');
  }
  if (json.length > MAX_METADATA_LENGTH) throw invalid(`Metadata is limited to ${MAX_METADATA_LENGTH} characters of JSON.`);
  return json;
}

export function accountType(type: unknown): AccountType {
  if (!(ACCOUNT_TYPES as readonly unknown[]).includes(type)) throw invalid(`The account type must be one of ${ACCOUNT_TYPES.join(', ')}.`);
  return type as AccountType;
}

export function ownerId(owner: unknown): string {
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > LIMITS.partyLength) {
    throw invalid(`The owner id must be a string of 1 to ${LIMITS.partyLength} characters.`);
  }
  return owner;
}

export function currency(code: unknown): string {
  if (!isCurrencyCode(code)) throw invalid('The currency must be an active ISO 4217 code with minor units.');
  return code;
}

export function cap(value: unknown): bigint | null {
  if (value === null) return null;
  if (typeof value !== 'bigint' || value < 0n) throw invalid('A cap is a non-negative bigint of minor units, or null for none.');
  return value;
}
