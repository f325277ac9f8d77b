import { isCaisseError, parseMessage } from '@caisse/protocol';
import type { z } from 'zod';
import { ProblemError } from '../http/problem.js';

/**
 * Validates a service's input with its zod schema, or throws `request_invalid` naming every
 * offending field (never its value: an access key must not reach an error message).
 * Shared by the party services (merchants, customers).
 * @example const input = parseInput(registerMerchantInput, raw)
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  try {
    return parseMessage(schema, value, 'message_invalid');
  } catch (error) {
    if (!isCaisseError(error)) throw error;
    const first = error.issues[0];
    const detail = first === undefined ? 'The request is malformed.' : `${first.path === '' ? 'request' : first.path}: ${first.message}.`;
    throw new ProblemError('request_invalid', detail, { issues: error.issues, cause: error });
  }
}

/** The protocol's id rule (merchant, account and key ids), as the database CHECKs spell it too. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
