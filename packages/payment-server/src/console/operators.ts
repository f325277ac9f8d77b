import { randomBytes } from 'node:crypto';
import { createAlertService } from '../alerts/service.js';
import {
  DEFAULT_SCRYPT,
  hashAccessKey,
  type ScryptParams,
  type StoredAccessKey,
  sameParams,
  verifyAccessKey,
} from '../customers/access-key.js';
import type { Logger } from '../log.js';
import { ID_PATTERN } from '../merchants/input.js';
import { seal, unseal } from '../secrets.js';
import { type Executor, withTransaction } from '../storage/database.js';
import { sqlState } from '../storage/errors.js';
import { OperatorError } from './errors.js';
import {
  MAX_OPERATOR_ATTEMPTS,
  OPERATOR_COLUMNS,
  type Operator,
  type OperatorRow,
  PASSWORD_LENGTH,
  type TotpEnrollment,
  toOperator,
} from './model.js';
import { isRole, type Role } from './roles.js';
import { endSessionsOf } from './sessions.js';
import { base32Decode, base32Encode, matchTotp, newTotpSecret, otpauthUri } from './totp.js';

export interface OperatorServiceDeps {
  db: Executor;
  /** `deriveKey(secret, 'operator-totp')`: seals each operator's TOTP secret at rest. */
  totpKey: Buffer;
  /** The payment server's issuer: the authenticator app's label says which console a code is for. */
  issuer: string;
  /** Parameters for new password hashes. Default {@link DEFAULT_SCRYPT}, as customers' access keys. */
  passwordHashing?: ScryptParams;
  now?: () => Date;
  log?: Logger;
}

export interface AddOperatorInput {
  id: string;
  displayName: string;
  role: Role;
  /** Stored only as a scrypt hash. */
  password: string;
}

export interface OperatorService {
  /**
   * Adds an operator with a fresh TOTP secret, returned once for their authenticator app.
   * @throws OperatorError `request_invalid`, `operator_exists`
   * @example const { totp } = await operators.add({ id: 'alice', displayName: 'Alice Martin', role: 'admin', password })
   */
  add(input: AddOperatorInput): Promise<{ operator: Operator; totp: TotpEnrollment }>;
  /** Ordered by id. */
  list(): Promise<Operator[]>;
  /** @throws OperatorError `operator_unknown` */
  get(operatorId: string): Promise<Operator>;
  /**
   * Disables an operator and ends their sessions at once. The last admin who can sign in
   * cannot be disabled (nobody could manage operators from the console any more).
   * @throws OperatorError `operator_unknown`, `operator_last_admin`
   */
  disable(operatorId: string): Promise<Operator>;
  /** Lifts a lock-out and clears the count. @throws OperatorError `operator_unknown` */
  unlock(operatorId: string): Promise<Operator>;
  /**
   * A new TOTP secret (a lost phone), returned once; the old one stops working and the
   * operator's sessions end.
   * @throws OperatorError `operator_unknown`
   */
  resetTotp(operatorId: string): Promise<{ operator: Operator; totp: TotpEnrollment }>;
  /**
   * The first factor. A wrong password counts toward the lock-out (as does a wrong code);
   * a right one does not clear the count: only a whole sign-in does, so the password
   * alone never buys more tries at the code. The same answer, after the same work, for an
   * unknown id.
   * @throws OperatorError `operator_credentials_invalid`, `operator_locked`, `operator_disabled`
   */
  checkPassword(operatorId: string, password: string): Promise<Operator>;
  /**
   * The second factor: a code of the operator's authenticator app within one step of now,
   * of a step later than the last one taken (a code is used once, even within its 30 s).
   * A right one clears the count; a wrong one counts.
   * @throws OperatorError `operator_code_invalid` (with `attemptsLeft`), `operator_locked`, `operator_disabled`, `operator_unknown`
   */
  checkCode(operatorId: string, code: string): Promise<Operator>;
}

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT };

interface CredentialsRow extends OperatorRow {
  password_hash: Uint8Array;
  password_salt: Uint8Array;
  password_params: StoredAccessKey['params'];
  totp_secret: string;
  totp_last_step: bigint | null;
}

/** The sealed secret is bound to its operator: copied onto another row, it does not open. */
const totpBinding = (operatorId: string) => `operator-totp:${operatorId}`;

/**
 * Operator accounts: passwords (scrypt, as customers' access keys), TOTP second factor,
 * lock-out, disabling. The only writer of `operators`.
 * @example const operators = createOperatorService({ db, totpKey: deriveKey(secret, 'operator-totp'), issuer })
 */
export function createOperatorService(deps: OperatorServiceDeps): OperatorService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? SILENT;
  const hashing = deps.passwordHashing ?? DEFAULT_SCRYPT;
  const label = `Caisse ${new URL(deps.issuer).host}`;

  function enrollment(operatorId: string, secret: Uint8Array): TotpEnrollment {
    return { secret: base32Encode(secret), uri: otpauthUri({ issuer: label, account: operatorId, secret }) };
  }

  async function credentials(operatorId: string): Promise<CredentialsRow | undefined> {
    if (!ID_PATTERN.test(operatorId)) return undefined;
    const { rows } = await db.query<CredentialsRow>(
      `SELECT ${OPERATOR_COLUMNS}, password_hash, password_salt, password_params, totp_secret, totp_last_step
         FROM operators WHERE id = $1`,
      [operatorId],
    );
    return rows[0];
  }

  async function requireOperator(executor: Executor, operatorId: string): Promise<Operator> {
    const { rows } = ID_PATTERN.test(operatorId)
      ? await executor.query<OperatorRow>(`SELECT ${OPERATOR_COLUMNS} FROM operators WHERE id = $1`, [operatorId])
      : { rows: [] };
    if (rows[0] === undefined) throw new OperatorError('operator_unknown');
    return toOperator(rows[0]);
  }

  /** Counts a wrong password or code; the one that reaches the limit locks the account and raises an alert, in one transaction. */
  async function countWrong(operatorId: string, factor: 'password' | 'code'): Promise<number> {
    return withTransaction(db, async (tx) => {
      const at = now();
      const { rows } = await tx.query<{ failed_attempts: number; locked_at: Date | null }>(
        `UPDATE operators SET failed_attempts = failed_attempts + 1,
                locked_at = CASE WHEN failed_attempts + 1 >= $2 THEN $3::timestamptz ELSE NULL END
          WHERE id = $1 AND locked_at IS NULL RETURNING failed_attempts, locked_at`,
        [operatorId, MAX_OPERATOR_ATTEMPTS, at],
      );
      const counted = rows[0];
      if (counted === undefined) return 0;
      log.warn('operator.sign_in_failed', { operatorId, factor, failed: counted.failed_attempts });
      if (counted.locked_at !== null) {
        await createAlertService({ db: tx, now, log }).raise({
          kind: 'operator_locked',
          subject: operatorId,
          details: { attempts: counted.failed_attempts, factor },
        });
        log.warn('operator.locked', { operatorId });
        return 0;
      }
      return MAX_OPERATOR_ATTEMPTS - counted.failed_attempts;
    });
  }

  function checkUsable(row: CredentialsRow): void {
    if (row.locked_at !== null) throw new OperatorError('operator_locked');
    if (row.disabled_at !== null) throw new OperatorError('operator_disabled');
  }

  async function wrong(operatorId: string, factor: 'password' | 'code'): Promise<never> {
    const attemptsLeft = await countWrong(operatorId, factor);
    if (attemptsLeft === 0) throw new OperatorError('operator_locked');
    // The tries left are said only at the code, once the password has shown who is signing in.
    if (factor === 'password') throw new OperatorError('operator_credentials_invalid');
    throw new OperatorError('operator_code_invalid', undefined, { attemptsLeft });
  }

  return {
    async add(input) {
      const id = typeof input.id === 'string' ? input.id : '';
      const displayName = typeof input.displayName === 'string' ? input.displayName.trim() : '';
      const { password } = input;
      if (!ID_PATTERN.test(id))
        throw new OperatorError('request_invalid', 'id: 1–64 characters of A-Z a-z 0-9 . _ : -, starting with a letter or digit.');
      if (displayName.length === 0 || displayName.length > 200 || /\p{Cc}/u.test(displayName))
        throw new OperatorError('request_invalid', 'name: 1–200 characters, no control characters.');
      if (!isRole(input.role)) throw new OperatorError('request_invalid', 'role: viewer, support, finance or admin.');
      if (typeof password !== 'string' || password.length < PASSWORD_LENGTH.min || password.length > PASSWORD_LENGTH.max)
        throw new OperatorError('request_invalid', `password: ${PASSWORD_LENGTH.min}–${PASSWORD_LENGTH.max} characters.`);
      const stored = await hashAccessKey(password, hashing);
      const secret = newTotpSecret();
      try {
        const { rows } = await db.query<OperatorRow>(
          `INSERT INTO operators (id, display_name, role, password_hash, password_salt, password_params, totp_secret, created_at)
           VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8) RETURNING ${OPERATOR_COLUMNS}`,
          [
            id,
            displayName,
            input.role,
            stored.hash,
            stored.salt,
            JSON.stringify(stored.params),
            seal(deps.totpKey, base32Encode(secret), totpBinding(id)),
            now(),
          ],
        );
        log.info('operator.added', { operatorId: id, role: input.role });
        return { operator: toOperator(rows[0] as OperatorRow), totp: enrollment(id, secret) };
      } catch (error) {
        if (sqlState(error) === '23505') throw new OperatorError('operator_exists');
        throw error;
      }
    },

    async list() {
      const { rows } = await db.query<OperatorRow>(`SELECT ${OPERATOR_COLUMNS} FROM operators ORDER BY id`);
      return rows.map(toOperator);
    },

    get: (operatorId) => requireOperator(db, operatorId),

    async disable(operatorId) {
      const operator = await withTransaction(db, async (tx) => {
        // Admins are locked in id order, so two admins disabling each other at once queue, and the second sees the first.
        const { rows: admins } = await tx.query<{ id: string }>(
          `SELECT id FROM operators WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE`,
        );
        const target = await requireOperator(tx, operatorId);
        if (target.disabledAt !== null) return target;
        if (target.role === 'admin' && admins.length === 1) throw new OperatorError('operator_last_admin');
        const at = now();
        await tx.query('UPDATE operators SET disabled_at = $2 WHERE id = $1', [operatorId, at]);
        await endSessionsOf(tx, operatorId, at);
        return requireOperator(tx, operatorId);
      });
      log.info('operator.disabled', { operatorId });
      return operator;
    },

    async unlock(operatorId) {
      const operator = await withTransaction(db, async (tx) => {
        await requireOperator(tx, operatorId);
        await tx.query('UPDATE operators SET failed_attempts = 0, locked_at = NULL WHERE id = $1', [operatorId]);
        return requireOperator(tx, operatorId);
      });
      log.info('operator.unlocked', { operatorId });
      return operator;
    },

    async resetTotp(operatorId) {
      const result = await withTransaction(db, async (tx) => {
        await requireOperator(tx, operatorId);
        const secret = newTotpSecret();
        await tx.query('UPDATE operators SET totp_secret = $2, totp_last_step = NULL WHERE id = $1', [
          operatorId,
          seal(deps.totpKey, base32Encode(secret), totpBinding(operatorId)),
        ]);
        await endSessionsOf(tx, operatorId, now());
        return { operator: await requireOperator(tx, operatorId), totp: enrollment(operatorId, secret) };
      });
      log.info('operator.totp_reset', { operatorId });
      return result;
    },

    async checkPassword(operatorId, password) {
      const tried = typeof password === 'string' && password.length <= PASSWORD_LENGTH.max ? password : '';
      const row = typeof operatorId === 'string' ? await credentials(operatorId) : undefined;
      if (row?.locked_at != null) throw new OperatorError('operator_locked');
      // An unknown id costs the same scrypt as a known one and never matches.
      const stored: StoredAccessKey = row
        ? { hash: Buffer.from(row.password_hash), salt: Buffer.from(row.password_salt), params: row.password_params }
        : await hashAccessKey(randomBytes(32).toString('base64url'), hashing);
      const matches = (await verifyAccessKey(tried, stored)) && row !== undefined && tried !== '';
      if (row === undefined) throw new OperatorError('operator_credentials_invalid');
      if (!matches) return wrong(row.id, 'password');
      checkUsable(row);
      if (!sameParams(stored.params, hashing)) {
        const rehashed = await hashAccessKey(tried, hashing);
        await db.query('UPDATE operators SET password_hash = $2, password_salt = $3, password_params = $4::text::jsonb WHERE id = $1', [
          row.id,
          rehashed.hash,
          rehashed.salt,
          JSON.stringify(rehashed.params),
        ]);
      }
      return toOperator(row);
    },

    async checkCode(operatorId, code) {
      const row = await credentials(operatorId);
      if (row === undefined) throw new OperatorError('operator_unknown');
      checkUsable(row);
      const secret = base32Decode(unseal(deps.totpKey, row.totp_secret, totpBinding(row.id)));
      const step = matchTotp(secret, typeof code === 'string' ? code.trim() : '', now());
      if (step === undefined) return wrong(row.id, 'code');
      // Takes the step only if it is later than the last one taken, and only while the account is usable: a code works once.
      const { rows } = await db.query<OperatorRow>(
        `UPDATE operators SET totp_last_step = $2, failed_attempts = 0
          WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) AND locked_at IS NULL AND disabled_at IS NULL
        RETURNING ${OPERATOR_COLUMNS}`,
        [row.id, step],
      );
      if (rows[0] === undefined) return wrong(row.id, 'code');
      log.info('operator.signed_in', { operatorId: row.id });
      return toOperator(rows[0]);
    },
  };
}
