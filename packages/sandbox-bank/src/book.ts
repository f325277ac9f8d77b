import { createHash, randomBytes } from 'node:crypto';
import { canonicalJson } from '@caisse/protocol';
import { type SandboxBehaviour, TEST_IDENTITY_BEHAVIOURS } from './identities.js';
import type { AmountBody, AuthoriseBody, BankOperation, PayoutBody } from './wire.js';

/**
 * The sandbox bank's books, in memory. This is a fake of a bank on the far side of the
 * network, not part of the payment server: nothing here is the payment server's state,
 * and it is lost when the process ends (which is what a sandbox is for).
 *
 * Idempotency as a real acquirer does it: an operation is recorded under its key the
 * moment it is decided, with a digest of the request; the same key with the same request
 * gets the recorded answer again, the same key with another request is refused.
 */

export type BankRequest =
  | { readonly kind: 'authorise'; readonly body: AuthoriseBody }
  | { readonly kind: 'capture'; readonly authorisationId: string; readonly body: AmountBody }
  | { readonly kind: 'refund'; readonly authorisationId: string; readonly body: AmountBody }
  | { readonly kind: 'void'; readonly authorisationId: string; readonly body: AmountBody }
  | { readonly kind: 'payout'; readonly body: PayoutBody };

export type BankAnswer =
  | { readonly result: 'done'; readonly operation: BankOperation; readonly delayMs: number; readonly replayed: boolean }
  | { readonly result: 'conflict' };

export interface BookOptions {
  /** How long `test_timeout` takes to answer. Default 30 s. */
  readonly timeoutDelayMs?: number;
  /** How long `test_slow` takes to answer. Default 2 s. */
  readonly slowDelayMs?: number;
  /** More accounts, e.g. a merchant's IBAN for payouts, with the behaviour of their choice. */
  readonly accounts?: Readonly<Record<string, SandboxBehaviour>>;
  readonly now?: () => Date;
}

interface Authorisation {
  readonly account: string;
  readonly behaviour: SandboxBehaviour;
  readonly amount: number;
  readonly currency: string;
  captured: number;
  refunded: number;
  /** Once voided, nothing more can be captured: the remainder went back to the customer. */
  voided: boolean;
}

interface Recorded {
  readonly digest: string;
  readonly operation: BankOperation;
  readonly delayMs: number;
}

export interface Book {
  execute(idempotencyKey: string, request: BankRequest): BankAnswer;
  lookup(idempotencyKey: string): BankOperation | undefined;
  /** Every recorded operation in the order it was decided, optionally only those of one account. */
  statement(account?: string): BankOperation[];
}

const DECLINING: Partial<Record<SandboxBehaviour, string>> = {
  insufficient_funds: 'insufficient_funds',
  lost_card: 'lost_card',
  do_not_honour: 'do_not_honour',
};

const PREFIX = { authorise: 'auth', capture: 'cap', refund: 'rfd', payout: 'pay', void: 'void' } as const;

function newReference(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

export function createBook(options: BookOptions = {}): Book {
  const timeoutDelayMs = options.timeoutDelayMs ?? 30_000;
  const slowDelayMs = options.slowDelayMs ?? 2_000;
  const now = options.now ?? (() => new Date());
  const accounts = new Map<string, SandboxBehaviour>([...TEST_IDENTITY_BEHAVIOURS, ...Object.entries(options.accounts ?? {})]);
  const operations = new Map<string, Recorded>();
  const authorisations = new Map<string, Authorisation>();

  const delayOf = (behaviour: SandboxBehaviour | undefined): number =>
    behaviour === 'timeout' ? timeoutDelayMs : behaviour === 'slow' ? slowDelayMs : 0;

  function decide(idempotencyKey: string, request: BankRequest): { operation: BankOperation; delayMs: number } {
    const base = { idempotencyKey, kind: request.kind, createdAt: now().toISOString() };
    const approved = (fields: Pick<BankOperation, 'account' | 'authorisationId' | 'amount' | 'currency'>) => ({
      ...base,
      ...fields,
      status: 'approved' as const,
      reference: newReference(PREFIX[request.kind]),
      declineReason: null,
    });
    const declined = (reason: string, fields: Pick<BankOperation, 'account' | 'authorisationId' | 'amount' | 'currency'>) => ({
      ...base,
      ...fields,
      status: 'declined' as const,
      reference: newReference('dcl'),
      declineReason: reason,
    });

    switch (request.kind) {
      case 'authorise':
      case 'payout': {
        const account = request.kind === 'authorise' ? request.body.customerBankRef : request.body.accountRef;
        const fields = { account, authorisationId: null, amount: request.body.amount, currency: request.body.currency };
        const behaviour = accounts.get(account);
        if (behaviour === undefined) return { operation: declined('account_unknown', fields), delayMs: 0 };
        const reason = DECLINING[behaviour];
        if (reason !== undefined) return { operation: declined(reason, fields), delayMs: delayOf(behaviour) };
        const operation = approved(fields);
        if (request.kind === 'authorise') {
          authorisations.set(operation.reference, {
            account,
            behaviour,
            amount: fields.amount,
            currency: fields.currency,
            captured: 0,
            refunded: 0,
            voided: false,
          });
        }
        return { operation, delayMs: delayOf(behaviour) };
      }
      case 'capture':
      case 'refund':
      case 'void': {
        const authorisation = authorisations.get(request.authorisationId);
        const amount = request.body.amount;
        if (authorisation === undefined) {
          return {
            operation: declined('authorisation_unknown', {
              account: null,
              authorisationId: request.authorisationId,
              amount,
              currency: null,
            }),
            delayMs: 0,
          };
        }
        const fields = {
          account: authorisation.account,
          authorisationId: request.authorisationId,
          amount,
          currency: authorisation.currency,
        };
        const delayMs = delayOf(authorisation.behaviour);
        const uncaptured = authorisation.voided ? 0 : authorisation.amount - authorisation.captured;
        if (request.kind === 'capture') {
          if (amount > uncaptured) return { operation: declined('amount_exceeds_authorisation', fields), delayMs };
          authorisation.captured += amount;
        } else if (request.kind === 'void') {
          // The amount is what the caller believes remains; less is fine (the whole
          // remainder is released all the same), more means it lost count.
          if (amount > uncaptured) return { operation: declined('amount_exceeds_authorisation', fields), delayMs };
          authorisation.voided = true;
        } else {
          if (amount > authorisation.captured - authorisation.refunded)
            return { operation: declined('amount_exceeds_capture', fields), delayMs };
          authorisation.refunded += amount;
        }
        return { operation: approved(fields), delayMs };
      }
    }
  }

  return {
    // Synchronous from lookup to record: two requests with one key cannot both decide.
    execute(idempotencyKey, request) {
      const digest = createHash('sha256').update(canonicalJson(request)).digest('hex');
      const recorded = operations.get(idempotencyKey);
      if (recorded !== undefined) {
        if (recorded.digest !== digest) return { result: 'conflict' };
        return { result: 'done', operation: recorded.operation, delayMs: recorded.delayMs, replayed: true };
      }
      const { operation, delayMs } = decide(idempotencyKey, request);
      operations.set(idempotencyKey, { digest, operation, delayMs });
      return { result: 'done', operation, delayMs, replayed: false };
    },
    lookup: (idempotencyKey) => operations.get(idempotencyKey)?.operation,
    statement: (account) =>
      [...operations.values()]
        .map((recorded) => recorded.operation)
        .filter((operation) => account === undefined || operation.account === account),
  };
}
