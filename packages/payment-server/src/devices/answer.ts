import { createHash } from 'node:crypto';
import {
  type ConfirmationClaims,
  type ConfirmationRequest,
  confirmationClaims,
  isCaisseError,
  parseMessage,
  TOKEN_TYPES,
} from '@caisse/protocol';
import { decodeJws, unverifiedIssuer, verifyJws } from '@caisse/server-kit';
import { ProblemError } from '../http/problem.js';
import type { Logger } from '../log.js';
import { type Database, notify } from '../storage/database.js';
import { constraintName, sqlState } from '../storage/errors.js';
import type { Approval } from './confirmations.js';
import { confirmationMismatch, confirmationUnknown, deviceRevoked, deviceUnknown, pinRequired } from './errors.js';
import { DEVICE_EVENTS_CHANNEL, type DeviceEvent } from './events.js';
import { CONFIRMATION_IAT_TOLERANCE, type ConfirmationState } from './model.js';
import type { DeviceCredentials, DeviceService } from './service.js';

/** A committed answer, as the checkout learns of it (`onAnswered`). */
export interface ConfirmationAnswer {
  sessionId: string;
  customerId: string;
  decision: 'approve' | 'decline';
  /** The voucher's `confirmation.method` if approved: from the request as stored, so a retry after a crash says the same. */
  method: 'device' | 'tap';
  at: Date;
  /**
   * The SHA-256 (base64url) of the signed answer as kept (`confirmation_answers`): an
   * approval's is carried into the payment's ledger transfer, which the audit register
   * seals. Absent for an answer committed before answers were kept (migration 29).
   */
  tokenSha256?: string;
}

/**
 * How an approval of a request was confirmed, from the approval the server asked for
 * when it opened it (absent: the PIN), never from what the phone sent.
 * @example approvalMethod(request.approval) // 'tap'
 */
export function approvalMethod(approval: Approval | undefined): ConfirmationAnswer['method'] {
  return approval === 'tap' ? 'tap' : 'device';
}

export interface AnswerDeps {
  db: Database;
  /** The payment server's issuer: the confirmation's `aud`. */
  issuer: string;
  devices: Pick<DeviceService, 'credentials' | 'checkPin' | 'checkUnlocked'>;
  now?: () => Date;
  log?: Logger;
}

interface RequestRow {
  session_id: string;
  customer_id: string;
  state: ConfirmationState;
  expires_at: Date;
  request: ConfirmationRequest;
}

/** One signed answer closes one request: its `jti` (and so its bytes) can never answer another. */
const REPLAYED = new Set(['confirmation_requests_answer_jti', 'confirmation_answers_token_sha256']);

function asProblem(error: unknown): never {
  if (isCaisseError(error)) {
    if (error.code === 'key_unknown' || error.code === 'signature_invalid') throw deviceUnknown();
    throw new ProblemError(error.code, error.message, { issues: error.issues, cause: error });
  }
  throw error;
}

/**
 * Verifies a phone's signed answer (`caisse-confirmation+jwt`) to one request, as a
 * checklist that changes nothing until every check has passed: the device's key and
 * signature (`kid` = device id), not revoked, our audience, a fresh `iat`; the request
 * belongs to the device's customer (else `confirmation_unknown`, as for no request at
 * all); every signed fact equals the stored request (dynamic linking, else
 * `confirmation_mismatch`); still open and not expired; to approve, what the stored
 * request asks: the PIN proof (counted in the account's lockout; a missing one is
 * `pin_required`, not counted), or for a `tap` request an account that is not locked (a
 * proof sent anyway is neither checked nor counted, so a tap never tells whether a PIN
 * is right). Then one compare-and-set closes the request, so of two answers one wins, and
 * the answer's `jti` can never close a second request; the same statement keeps the signed
 * answer itself (`confirmation_answers`, append-only), the evidence of what the customer
 * decided.
 * @throws ProblemError `device_unknown`, `device_revoked`, `confirmation_unknown`,
 * `confirmation_mismatch`, `confirmation_expired`, `confirmation_answered`, `pin_required`,
 * `pin_invalid`, `account_locked`, `token_replayed`, and the token checks' codes
 * @example const { answer } = await answers.answer(c.req.param('id'), body.token)
 */
export function createAnswers(deps: AnswerDeps) {
  const now = deps.now ?? (() => new Date());

  async function verifyToken(token: string): Promise<{ device: DeviceCredentials; claims: ConfirmationClaims }> {
    let device: DeviceCredentials | undefined;
    let claims: ConfirmationClaims;
    try {
      decodeJws(token, [TOKEN_TYPES.confirmation]);
      const iss = unverifiedIssuer(token);
      device = iss === undefined ? undefined : await deps.devices.credentials(iss);
      if (device === undefined) throw deviceUnknown();
      const verified = await verifyJws(token, [TOKEN_TYPES.confirmation], device.keys);
      claims = parseMessage(confirmationClaims, verified.payload, 'claims_invalid');
    } catch (error) {
      asProblem(error);
    }
    if (claims.iss !== device.id) throw new ProblemError('issuer_mismatch', 'The confirmation issuer changed between reads.');
    if (device.revokedAt !== null) throw deviceRevoked();
    if (claims.aud !== deps.issuer) {
      throw new ProblemError(
        'audience_mismatch',
        `The confirmation is meant for "${claims.aud}"; this payment server is "${deps.issuer}".`,
      );
    }
    const at = Math.floor(now().getTime() / 1000);
    if (claims.iat < at - CONFIRMATION_IAT_TOLERANCE)
      throw new ProblemError('token_expired', 'The confirmation was signed too long ago; sign it again.');
    if (claims.iat > at + CONFIRMATION_IAT_TOLERANCE) {
      throw new ProblemError('token_not_yet_valid', "The confirmation is dated in the future; check the phone's clock.");
    }
    return { device, claims };
  }

  async function answer(requestId: string, token: string): Promise<{ state: 'approved' | 'declined'; answer: ConfirmationAnswer }> {
    const { device, claims } = await verifyToken(token);
    const { rows } = await deps.db.query<RequestRow>(
      'SELECT session_id, customer_id, state, expires_at, request FROM confirmation_requests WHERE id = $1 AND customer_id = $2',
      [requestId, device.customerId],
    );
    const row = rows[0];
    if (row === undefined) throw confirmationUnknown();
    const request = row.request;
    // Dynamic linking: the decision counts only for exactly what the phone showed.
    if (claims.request !== requestId) throw confirmationMismatch('request id');
    if (claims.challenge !== request.challenge) throw confirmationMismatch('challenge');
    if (claims.ticket !== request.ticket.sha256) throw confirmationMismatch('ticket hash');
    if (claims.amount !== request.amount) throw confirmationMismatch('amount');
    if (claims.currency !== request.currency) throw confirmationMismatch('currency');
    if (claims.payee !== request.payee.id) throw confirmationMismatch('payee');

    const refuseClosed = (state: ConfirmationState, expiresAt: Date) => {
      if (state === 'expired' || (state === 'open' && expiresAt <= now())) throw new ProblemError('confirmation_expired');
      if (state !== 'open') throw new ProblemError('confirmation_answered');
    };
    refuseClosed(row.state, row.expires_at);
    const method = approvalMethod(request.approval);
    if (claims.decision === 'approve' && method === 'tap') {
      await deps.devices.checkUnlocked(device);
    } else if (claims.decision === 'approve') {
      // Refused before counting: a phone that forgot the proof has not guessed a PIN.
      if (claims.pinProof === undefined) throw pinRequired();
      await deps.devices.checkPin(device, 'approve', `${requestId}|${request.challenge}`, claims.pinProof);
    }

    const state = claims.decision === 'approve' ? 'approved' : 'declined';
    const at = now();
    const tokenSha256 = createHash('sha256').update(token).digest('base64url');
    try {
      await deps.db.transaction(async (tx) => {
        // Shares the device row, so a revocation committing meanwhile either comes first (and refuses) or waits.
        const current = await tx.query<{ revoked_at: Date | null }>('SELECT revoked_at FROM devices WHERE id = $1 FOR SHARE', [device.id]);
        if (current.rows[0]?.revoked_at != null) throw deviceRevoked();
        // The request closes and its signed answer is kept, in one statement: never one without the other.
        const closed = await tx.query<{ request_id: string }>(
          `WITH closed AS (
             UPDATE confirmation_requests
                SET state = $3, closed_at = $4, answered_at = $4, answer_device_id = $5, answer_jti = $6
              WHERE id = $1 AND customer_id = $2 AND state = 'open' AND expires_at > $4 RETURNING id, session_id)
           INSERT INTO confirmation_answers (request_id, session_id, customer_id, device_id, decision, token, token_sha256, answered_at)
           SELECT id, session_id, $2, $5, $7, $8, $9, $4 FROM closed RETURNING request_id`,
          [requestId, device.customerId, state, at, device.id, claims.jti, claims.decision, token, tokenSha256],
        );
        if (closed.rowCount !== 1) {
          const again = await tx.query<{ state: ConfirmationState; expires_at: Date }>(
            'SELECT state, expires_at FROM confirmation_requests WHERE id = $1',
            [requestId],
          );
          const found = again.rows[0] as { state: ConfirmationState; expires_at: Date };
          refuseClosed(found.state, found.expires_at);
          throw new ProblemError('confirmation_answered');
        }
        const event: DeviceEvent = { kind: 'closed', customerId: device.customerId, id: requestId, state };
        await notify(tx, DEVICE_EVENTS_CHANNEL, JSON.stringify(event));
      });
    } catch (error) {
      if (sqlState(error) === '23505' && REPLAYED.has(constraintName(error) ?? '')) {
        throw new ProblemError('token_replayed', 'This signed answer was already used: sign a new one, with a new jti, for each request.');
      }
      throw error;
    }
    deps.log?.info('confirmation.answered', { customerId: device.customerId, deviceId: device.id, requestId, state });
    return {
      state,
      answer: { sessionId: row.session_id, customerId: device.customerId, decision: claims.decision, method, at, tokenSha256 },
    };
  }

  return { answer };
}

export type Answers = ReturnType<typeof createAnswers>;
