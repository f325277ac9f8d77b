import { createHash, randomInt } from 'node:crypto';
import { ENROLLMENT_CODE_DIGITS } from './model.js';

/**
 * A new enrollment code, grouped by four for reading aloud or typing on a phone
 * (`1234 5678 9012`). Only its hash ({@link enrollmentCodeHash}) is stored.
 */
export function newEnrollmentCode(): string {
  let digits = '';
  for (let index = 0; index < ENROLLMENT_CODE_DIGITS; index++) digits += String(randomInt(10));
  return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** The digits of a code as typed (spaces and dashes ignored), or undefined when it cannot be one. */
export function normaliseEnrollmentCode(typed: string): string | undefined {
  const digits = typed.replace(/[\s-]/g, '');
  return new RegExp(`^\\d{${ENROLLMENT_CODE_DIGITS}}$`).test(digits) ? digits : undefined;
}

/** SHA-256 of the code's digits: what is stored and looked up. */
export function enrollmentCodeHash(digits: string): string {
  return createHash('sha256').update(`caisse-enrollment|${digits}`).digest('base64url');
}
