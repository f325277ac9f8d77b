import { isUtf8 } from 'node:buffer';
import { CaisseError } from '@caisse/protocol';

/**
 * Finds the first member name repeated within one JSON object, comparing names after
 * unescaping (`"a"` and `"\u0061"` are the same member). RFC 7515 §5.2 and RFC 8725 §3.6:
 * JSON.parse silently keeps the last duplicate, so a token could show one `alg` or
 * `amount` to one parser and another to the next.
 * Only scans structure: JSON.parse validates the syntax afterwards.
 */
export function findDuplicateMember(text: string): string | undefined {
  const objects: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) {
          escaped = true;
          i++;
        } else if (d === 0x22) break;
      }
      if (!expectName) continue;
      expectName = false;
      let name = text.slice(start + 1, i);
      if (escaped) {
        try {
          name = JSON.parse(text.slice(start, i + 1));
        } catch {
          return undefined;
        }
      }
      const names = objects[objects.length - 1];
      if (names?.has(name)) return name;
      names?.add(name);
    } else if (c === 0x7b) {
      objects.push(new Set());
      expectName = true;
    } else if (c === 0x5b) {
      objects.push(null);
    } else if (c === 0x7d || c === 0x5d) {
      objects.pop();
      expectName = false;
    } else if (c === 0x2c) {
      expectName = objects[objects.length - 1] != null;
    }
  }
  return undefined;
}

/**
 * Decodes UTF-8 JSON bytes that must hold one object, refusing invalid UTF-8, duplicate
 * member names and anything that is not an object.
 */
export function parseJsonObject(bytes: Buffer, what: string): Record<string, unknown> {
  if (!isUtf8(bytes)) throw new CaisseError('token_malformed', `The token ${what} is not valid UTF-8.`);
  const text = bytes.toString('utf8');
  const duplicate = findDuplicateMember(text);
  if (duplicate !== undefined) {
    throw new CaisseError('duplicate_member', `The token ${what} repeats the member "${duplicate.slice(0, 32)}".`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CaisseError('token_malformed', `The token ${what} is not JSON.`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CaisseError('token_malformed', `The token ${what} is not a JSON object.`);
  }
  return value as Record<string, unknown>;
}
