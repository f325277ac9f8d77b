import {
  accountPlan,
  type ConfirmationClaims,
  type ConfirmationRequest,
  confirmationRequest,
  customerAllowances,
  deviceHistory,
  isCaisseError,
  moneyOverview,
  PROTOCOL_VERSION,
  parseMessage,
  TOKEN_TYPES,
} from '@caisse/protocol';
import { base64urlDecode } from '@caisse/protocol/base64url';
import { type Allowance, allowanceWithDates, type WatchAllowancesOptions, watchAllowances } from './allowances.js';
import { createAssertion, type Signer } from './crypto/assertion.js';
import { randomId, signJws } from './crypto/jws.js';
import type { DeviceAlgorithm } from './crypto/keys.js';
import { checkPinFormat, derivePinKey, type PinPurpose, pinProof, pinVerifier } from './crypto/pin.js';
import { type Dispute, disputeBody, type OpenDisputeInput, readDispute, readDisputes } from './disputes.js';
import { CaisseDeviceError, isCaisseDeviceError } from './errors.js';
import { type AnsweredRequest, answeredWithDates, type HistoryOptions, historyPath } from './history.js';
import { jsonBody, parsedBody, sendSigned } from './http/send.js';
import type { ServerClock } from './http/server-clock.js';
import { type MoneyOverview, withDates } from './overview.js';
import { type AccountPlan, checkedCurrency, checkedPlanChange, type PlanChange, planError } from './plan.js';
import { type Backoff, type RequestEvent, requestStream } from './requests-stream.js';
import type { AccountRecord, DeviceStore } from './stores/store.js';

/** One customer enrolled on this device, with its own key and PIN. */
export interface Account {
  /** `dev-` + the thumbprint of this account's device key. */
  readonly deviceId: string;
  /** The payment server's issuer URL. */
  readonly server: string;
  /** The customer's account id. */
  readonly account: string;
  readonly displayName?: string;
  readonly algorithm: DeviceAlgorithm;
  readonly enrolledAt: Date;
  /**
   * The open requests, oldest first: one look, the source of truth.
   * @example const open = await account.pending()
   */
  pending(options?: { signal?: AbortSignal }): Promise<ConfirmationRequest[]>;
  /**
   * The live stream of requests, reconnecting by itself until `signal` aborts or the
   * device is revoked (then it throws `device_revoked`).
   * @example for await (const event of account.requests({ signal })) if (event.type === 'request') show(event.request)
   */
  requests(options?: { signal?: AbortSignal; lastEventId?: string }): AsyncGenerator<RequestEvent, void>;
  /**
   * Approves: signs the request's facts, with a proof of the PIN unless the server asked
   * for a tap (`request.approval === 'tap'`, an amount under the customer's tap
   * threshold). A tap request needs no PIN: one given is not used.
   * @throws CaisseDeviceError `pin_required` (a PIN request without a PIN, before anything is sent), `pin_invalid` (with `attemptsLeft`), `account_locked`, `confirmation_expired`, …
   * @example await account.approve(request, '4821') // 'approved'
   * @example if (request.approval === 'tap') await account.approve(request) // 'approved'
   */
  approve(request: ConfirmationRequest, pin?: string): Promise<'approved'>;
  /** @example await account.decline(request) // 'declined' */
  decline(request: ConfirmationRequest): Promise<'declined'>;
  /**
   * Replaces the PIN; the current one must be right (a wrong one counts as a wrong PIN).
   * @example await account.changePin('4821', '903715')
   */
  changePin(currentPin: string, newPin: string): Promise<void>;
  /**
   * The customer's payment plan in a currency, with the operator's bounds.
   * @throws CaisseDeviceError `currency_unknown`, `device_revoked`, `offline`, …
   * @example const { plan, bounds } = await account.plan('EUR') // plan.tapBelow ≤ bounds.tapLimit
   */
  plan(currency: string, options?: { signal?: AbortSignal }): Promise<AccountPlan>;
  /**
   * Changes the payment plan with the customer's PIN (a proof bound to this call; the PIN
   * never leaves the device): the fields given replace the current ones. Amounts in minor units.
   * @throws CaisseDeviceError `pin_invalid` (with `attemptsLeft`), `account_locked`, `plan_out_of_bounds` and
   * `plan_invalid` (with `issues` naming the fields), `pin_malformed`, `currency_unknown`, …
   * @example await account.setPlan('EUR', { means: ['bank', 'wallet'], tapBelow: 1500, dailyCeiling: null }, '4821')
   */
  setPlan(currency: string, change: PlanChange, pin: string): Promise<AccountPlan>;
  /**
   * The customer's money in every currency they hold a wallet or a plan in: the wallet,
   * loyalty points, what was spent today and this month against the ceilings (overall and
   * per means), and the plan.
   * @example const { currencies } = await account.overview() // currencies[0].day.remaining
   */
  overview(options?: { signal?: AbortSignal }): Promise<MoneyOverview>;
  /**
   * The customer's live session allowances, newest first: to whom, how much is used and
   * left of the maximum in the current period, until when.
   * @throws CaisseDeviceError `device_revoked`, `offline`, `message_invalid`, …
   * @example const [first] = await account.allowances() // first.remaining of first.maximum
   */
  allowances(options?: { signal?: AbortSignal }): Promise<Allowance[]>;
  /**
   * Ends one of the customer's allowances now (no PIN: taking a permission back is never
   * what a thief wants): the merchant can charge nothing more, what was charged is settled.
   * Revoking an allowance that already ended changes nothing. Resolves to the live ones left.
   * @throws CaisseDeviceError `allowance_unknown` (none such for this customer), `offline`, …
   * @example const left = await account.revokeAllowance(allowance.id)
   */
  revokeAllowance(id: string): Promise<Allowance[]>;
  /**
   * Disputes one of the customer's payments (not delivered, charged twice…): the merchant
   * is told and answers, then the operator decides; a decision for the customer refunds it.
   * A payment is disputed once (`dispute_exists`: see {@link Account.disputes}).
   * @throws CaisseDeviceError `payment_unknown` (also another customer's), `dispute_exists`, `dispute_window_closed`, `offline`, …
   * @example const dispute = await account.openDispute({ payment: 'pay_1042', reason: 'not_received', message: 'Nothing came.' })
   */
  openDispute(input: OpenDisputeInput): Promise<Dispute>;
  /**
   * The customer's disputes, newest first, with where each stands.
   * @example for (const dispute of await account.disputes()) show(dispute.state, dispute.answerDueAt)
   */
  disputes(options?: { signal?: AbortSignal }): Promise<Dispute[]>;
  /**
   * Calls `onChange` with the live allowances, then each time they change (granted, ended,
   * a new period, and charges seen at each refresh). Resolves when `signal` aborts; rejects
   * on a final error (`device_revoked`, …). It holds its own event stream.
   * @example account.watchAllowances(show, { signal, refreshEvery: 30_000 })
   */
  watchAllowances(onChange: (allowances: Allowance[]) => void, options?: WatchAllowancesOptions): Promise<void>;
  /**
   * The requests the customer answered (on any of their phones), newest first, with what
   * became of each checkout: paid (with the payment id), refused with the reason (a bank
   * may refuse after the approval), cancelled, or still pending. What the stream's
   * `outcome` events told, for a phone that was offline then. Pages: pass the last `id`
   * as `before`.
   * @throws CaisseDeviceError `device_revoked`, `offline`, `message_invalid`, …
   * @example const [last] = await account.history({ limit: 20 }) // last.outcome.status === 'paid'
   */
  history(options?: HistoryOptions): Promise<AnsweredRequest[]>;
  /** Revokes this device at the server and forgets the account here. */
  revoke(): Promise<void>;
  /** Forgets the account on this device only (for one the server already revoked). */
  forget(): Promise<void>;
}

export interface AccountContext {
  store: DeviceStore;
  /** The clock the device signs with for one payment server. */
  clockOf: (server: string) => ServerClock;
  backoff?: Backoff;
}

function authorization(token: string): string {
  return `Caisse-Device ${token}`;
}

/** The request as the protocol defines it, or `message_invalid`: an approval signs every fact in it. */
function checkedRequest(request: ConfirmationRequest): ConfirmationRequest {
  try {
    return parseMessage(confirmationRequest, request);
  } catch (error) {
    if (!isCaisseError(error)) throw error;
    throw new CaisseDeviceError('message_invalid', error.message, { cause: error });
  }
}

/** The answer of both allowance calls: the live list, validated. */
async function readAllowances(response: Response): Promise<Allowance[]> {
  const { allowances } = await parsedBody(response, (body) => parseMessage(customerAllowances, body));
  return allowances.map(allowanceWithDates);
}

/** The account object over a stored record. */
export function accountOf(record: AccountRecord, context: AccountContext): Account {
  const signer: Signer = { deviceId: record.deviceId, algorithm: record.algorithm, privateKey: record.privateKey, issuer: record.server };
  const decoded = base64urlDecode(record.pinSalt);
  if (decoded === undefined || decoded.length !== 16) {
    throw new CaisseDeviceError('store_failed', `The store's PIN salt of ${record.deviceId} is not 16 bytes.`);
  }
  const salt = decoded;
  const clock = context.clockOf(record.server);

  /** PBKDF2 then the proof; the pinKey bytes are wiped as soon as the proof (and verifier) exist. */
  async function withPinKey<T>(pin: string, use: (pinKey: Uint8Array) => Promise<T>): Promise<T> {
    const pinKey = await derivePinKey(pin, salt);
    try {
      return await use(pinKey);
    } finally {
      pinKey.fill(0);
    }
  }

  /** A signed `GET` of JSON (`path` with its query, which the assertion's `htu` covers). */
  function signedGet(path: string, signal: AbortSignal | undefined): Promise<Response> {
    return sendSigned(`${record.server}${path}`, clock, async (now) => ({
      headers: { accept: 'application/json', authorization: authorization(await createAssertion(signer, { method: 'GET', path }, now)) },
      ...(signal ? { signal } : {}),
    }));
  }

  /**
   * Sends a body carrying a PIN proof bound to this call's assertion `jti` (docs/device-api.md,
   * "The PIN"), so that the proof cannot be replayed on any other call.
   */
  function sendWithPinProof(
    request: { method: 'POST' | 'PUT'; path: string },
    pin: string,
    purpose: PinPurpose,
    bodyOf: (proof: string) => object,
  ): Promise<Response> {
    return sendSigned(`${record.server}${request.path}`, clock, async (now) => {
      const jti = randomId();
      const proof = await withPinKey(pin, (pinKey) => pinProof(pinKey, purpose, jti));
      const body = JSON.stringify(bodyOf(proof));
      const token = await createAssertion(signer, { ...request, body }, now, jti);
      return {
        method: request.method,
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: authorization(token) },
        body,
      };
    });
  }

  function events(options: { signal?: AbortSignal; lastEventId?: string }): AsyncGenerator<RequestEvent, void> {
    return requestStream(signer, { ...options, clock, ...(context.backoff ? { backoff: context.backoff } : {}) });
  }

  async function listAllowances(signal: AbortSignal | undefined): Promise<Allowance[]> {
    return readAllowances(await signedGet('/device/allowances', signal));
  }

  async function answer(request: ConfirmationRequest, decision: 'approve' | 'decline', proof?: string): Promise<'approved' | 'declined'> {
    const response = await sendSigned(`${record.server}/device/requests/${encodeURIComponent(request.id)}/answer`, clock, async (now) => {
      const claims: ConfirmationClaims = {
        ver: PROTOCOL_VERSION,
        iss: record.deviceId,
        aud: record.server,
        jti: randomId(),
        iat: Math.floor(now().getTime() / 1000),
        request: request.id,
        challenge: request.challenge,
        ticket: request.ticket.sha256,
        amount: request.amount,
        currency: request.currency,
        payee: request.payee.id,
        decision,
        ...(proof === undefined ? {} : { pinProof: proof }),
      };
      const token = await signJws(
        { alg: record.algorithm, typ: TOKEN_TYPES.confirmation, kid: record.deviceId },
        claims,
        record.privateKey,
      );
      return {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ token }),
      };
    });
    const { state } = ((await jsonBody(response)) ?? {}) as { state?: unknown };
    const expected = decision === 'approve' ? 'approved' : 'declined';
    if (state !== expected) {
      throw new CaisseDeviceError('message_invalid', 'The payment server answered with another state than the decision sent.');
    }
    return expected;
  }

  return {
    deviceId: record.deviceId,
    server: record.server,
    account: record.account,
    ...(record.displayName === undefined ? {} : { displayName: record.displayName }),
    algorithm: record.algorithm,
    enrolledAt: new Date(record.enrolledAt),

    async pending(options = {}) {
      const response = await signedGet('/device/requests', options.signal);
      const { requests } = ((await jsonBody(response)) ?? {}) as { requests?: unknown };
      if (!Array.isArray(requests)) throw new CaisseDeviceError('message_invalid', 'The answer has no `requests` list.');
      return requests.map((request) => checkedRequest(request as ConfirmationRequest));
    },

    requests: (options = {}) => events(options),

    async approve(request, pin) {
      const checked = checkedRequest(request);
      // The server decided tap or PIN when it opened the request, and checks the answer against its own copy.
      if (checked.approval === 'tap') return (await answer(checked, 'approve')) as 'approved';
      if (pin === undefined) throw new CaisseDeviceError('pin_required');
      checkPinFormat(pin);
      const proof = await withPinKey(pin, (pinKey) => pinProof(pinKey, 'approve', `${checked.id}|${checked.challenge}`));
      return (await answer(checked, 'approve', proof)) as 'approved';
    },

    async decline(request) {
      return (await answer(checkedRequest(request), 'decline')) as 'declined';
    },

    async changePin(currentPin, newPin) {
      checkPinFormat(currentPin);
      checkPinFormat(newPin);
      // The proof is bound to this request's assertion, so it cannot be replayed to set another PIN.
      // The salt stays: if the answer is lost, the device still derives whichever PIN the server holds.
      const verifier = await withPinKey(newPin, async (pinKey) => pinVerifier(pinKey));
      await sendWithPinProof({ method: 'POST', path: '/device/pin' }, currentPin, 'pin-change', (proof) => ({
        pinProof: proof,
        pinVerifier: verifier,
      }));
    },

    async plan(currency, options = {}) {
      const response = await signedGet(`/device/plan?currency=${encodeURIComponent(checkedCurrency(currency))}`, options.signal);
      return parsedBody(response, (body) => parseMessage(accountPlan, body));
    },

    async setPlan(currency, change, pin) {
      checkPinFormat(pin);
      const code = checkedCurrency(currency);
      const checked = checkedPlanChange(change);
      try {
        const response = await sendWithPinProof({ method: 'PUT', path: '/device/plan' }, pin, 'plan-change', (proof) => ({
          currency: code,
          change: checked,
          pinProof: proof,
        }));
        return await parsedBody(response, (body) => parseMessage(accountPlan, body));
      } catch (error) {
        throw planError(error);
      }
    },

    async overview(options = {}) {
      return withDates(await parsedBody(await signedGet('/device/overview', options.signal), (body) => parseMessage(moneyOverview, body)));
    },

    allowances: (options = {}) => listAllowances(options.signal),

    async history(options = {}) {
      const response = await signedGet(historyPath(options), options.signal);
      const { requests } = await parsedBody(response, (body) => parseMessage(deviceHistory, body));
      return requests.map(answeredWithDates);
    },

    async revokeAllowance(id) {
      const path = `/device/allowances/${encodeURIComponent(id)}/revoke`;
      const response = await sendSigned(`${record.server}${path}`, clock, async (now) => ({
        method: 'POST',
        headers: { accept: 'application/json', authorization: authorization(await createAssertion(signer, { method: 'POST', path }, now)) },
      }));
      return readAllowances(response);
    },

    async openDispute(input) {
      const body = disputeBody(input);
      const request = { method: 'POST' as const, path: '/device/disputes', body };
      const response = await sendSigned(`${record.server}${request.path}`, clock, async (now) => ({
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: authorization(await createAssertion(signer, request, now)),
        },
        body,
      }));
      return readDispute(response);
    },

    disputes: async (options = {}) => readDisputes(await signedGet('/device/disputes', options.signal)),

    watchAllowances(onChange, options = {}) {
      return watchAllowances({ list: listAllowances, events: (signal) => events({ signal }) }, onChange, options);
    },

    async revoke() {
      try {
        await sendSigned(`${record.server}/device`, clock, async (now) => ({
          method: 'DELETE',
          headers: { authorization: authorization(await createAssertion(signer, { method: 'DELETE', path: '/device' }, now)) },
        }));
      } catch (error) {
        // Already revoked, or never known there: what the caller wants is already true.
        if (!isCaisseDeviceError(error, 'device_revoked') && !isCaisseDeviceError(error, 'device_unknown')) throw error;
      }
      await context.store.delete(record.deviceId);
    },

    forget() {
      return context.store.delete(record.deviceId);
    },
  };
}
