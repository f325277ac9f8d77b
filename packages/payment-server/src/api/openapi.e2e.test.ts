import { readFileSync } from 'node:fs';
import type { TicketClaims } from '@caisse/protocol';
import { createState } from '@caisse/server-kit';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SHOP_ORIGIN } from '../__fixtures__/payment-server.js';
import { type AllowanceWorld, startAllowanceWorld, testClock } from '../allowances/__fixtures__/world.js';
import { payAs, serverDrivers } from './__fixtures__/api-server.js';
import { signAssertion } from './__fixtures__/assertions.js';
import { OPENAPI_PATH, openapiFile } from './openapi.js';

/**
 * The merchant API's OpenAPI description (`openapi.yaml`) against the server it describes:
 * the document is valid OpenAPI 3.1 and its schemas compile as strict JSON Schema 2020-12;
 * every route the server registers under `/v1` is described, and every described operation
 * is served; real answers (payments by id, order serial and ticket, listing, refunds,
 * escrow, decoupled payments, allowances, settlement, ticket refusals, and problems) each
 * validate against the schema of their operation, status and media type, problem codes
 * included; and every described operation is answered at least once.
 */

interface MediaType {
  schema?: unknown;
}
interface Reference {
  $ref: string;
}
interface ResponseObject {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, MediaType>;
}
interface Parameter {
  name: string;
  in: string;
}
interface Operation {
  operationId: string;
  security?: unknown[];
  parameters?: (Parameter | Reference)[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, ResponseObject | Reference>;
}
interface OpenApiDocument {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, unknown>;
    responses: Record<string, ResponseObject>;
    parameters: Record<string, Parameter>;
  };
}

const TEXT = readFileSync(openapiFile(), 'utf8');
const DOCUMENT = parse(TEXT) as OpenApiDocument;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];
/** Where the paths are mounted: the path of the server URL (`{issuer}/v1`). */
const BASE = new URL(DOCUMENT.servers[0]?.url.replace('{issuer}', 'http://issuer.invalid') ?? '').pathname;
const ACCESS_KEY = 'correct horse battery';

/** Every operation: `METHOD /v1/path/{param}`, its operation. */
function operations(): Map<string, Operation> {
  const found = new Map<string, Operation>();
  for (const [path, item] of Object.entries(DOCUMENT.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (METHODS.includes(method)) found.set(`${method.toUpperCase()} ${BASE}${path}`, operation);
    }
  }
  return found;
}

/** An OpenAPI reference inside this document (`#/components/responses/X`), resolved. */
function resolve<T>(node: T | Reference): T {
  if (typeof node !== 'object' || node === null || !('$ref' in node)) return node;
  let target: unknown = DOCUMENT;
  for (const part of node.$ref.replace(/^#\//, '').split('/')) target = (target as Record<string, unknown>)[part];
  if (target === undefined) throw new Error(`${node.$ref} resolves to nothing`);
  return target as T;
}

// The component schemas as one JSON Schema 2020-12 document whose `$defs` the responses refer to.
const SCHEMAS_ID = 'https://caisse.invalid/openapi/schemas';
function forAjv(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forAjv);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' ? value.replace('#/components/schemas/', `${SCHEMAS_ID}#/$defs/`) : forAjv(value),
    ]),
  );
}
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
addFormats.default(ajv);
ajv.addSchema({ $id: SCHEMAS_ID, $defs: forAjv(DOCUMENT.components.schemas) });
const compiled = new Map<string, ValidateFunction>();
function validator(key: string, schema: unknown): ValidateFunction {
  let validate = compiled.get(key);
  if (validate === undefined) {
    validate = ajv.compile(forAjv(schema) as object);
    compiled.set(key, validate);
  }
  return validate;
}

describe('the OpenAPI description', () => {
  it('is valid OpenAPI 3.1', async () => {
    const validation = new Validator();
    expect(await validation.validate(DOCUMENT as unknown as Record<string, unknown>)).toEqual({ valid: true });
    expect(validation.version).toBe('3.1');
  });

  it('has schemas that compile as strict JSON Schema 2020-12, for every request and response', () => {
    for (const [name, operation] of operations()) {
      for (const [media, { schema }] of Object.entries(operation.requestBody?.content ?? {})) validator(`${name} request ${media}`, schema);
      for (const [status, response] of Object.entries(operation.responses)) {
        const content = resolve(response).content ?? {};
        for (const [media, { schema }] of Object.entries(content)) validator(`${name} ${status} ${media}`, schema);
      }
    }
  });
});

describe.each(await serverDrivers('openapi'))('the OpenAPI description against the server on $name', (driver) => {
  const clock = testClock('2026-03-14T10:00:00Z');
  const seconds = () => Math.floor(clock.now().getTime() / 1000);
  let world: AllowanceWorld;
  let drop = async () => {};
  /** The operations that answered, each with a validated body. */
  const answered = new Set<string>();

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    world = await startAllowanceWorld(database.url, clock.now);
  });
  afterAll(async () => {
    await world?.close();
    await drop();
  });

  interface Call {
    params?: Record<string, string>;
    query?: string;
    /** JSON, sent as `application/json` (a string is sent as it is). */
    body?: unknown;
    headers?: Record<string, string>;
    /** Sign an assertion; default: unless the operation says `security: []`. */
    sign?: boolean;
    /** For an operation that takes one: a key of its own unless given, none with `null`. */
    idempotencyKey?: string | null;
  }

  let keys = 0;

  /**
   * Calls the operation `method template` as a merchant backend does (an assertion signed
   * at the frozen time, an `Idempotency-Key` where the operation declares one), then checks
   * the answer against the description: its status is one the operation lists, its media
   * type one that status lists, and its body validates against that schema. A request body
   * that succeeded validates against the operation's request schema too.
   */
  async function call(method: string, template: string, init: Call = {}) {
    const name = `${method} ${BASE}${template}`;
    const operation = operations().get(name);
    if (operation === undefined) throw new Error(`${name} is not described`);
    const path = `${BASE}${template.replace(/\{(\w+)\}/g, (_, param: string) => encodeURIComponent(init.params?.[param] ?? ''))}${init.query ?? ''}`;
    const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    const headers: Record<string, string> = { ...init.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const takesKey = (operation.parameters ?? []).some((parameter) => resolve(parameter).name === 'Idempotency-Key');
    if (takesKey && init.idempotencyKey !== null) headers['idempotency-key'] = init.idempotencyKey ?? `openapi-${++keys}`;
    if (init.sign ?? (operation.security === undefined || operation.security.length > 0)) {
      const token = signAssertion({
        key: world.shop.merchantKey.signingKey,
        merchantId: world.shop.merchantId,
        audience: world.server.issuer,
        url: `${world.server.issuer}${path}`,
        method,
        iat: seconds(),
        ...(body === undefined ? {} : { body }),
      });
      headers.authorization = `Caisse-Assertion ${token}`;
    }
    const response = await fetch(`${world.shop.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const media = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const text = await response.text();
    const payload: unknown = media.endsWith('json') ? JSON.parse(text) : text;

    const described = operation.responses[String(response.status)];
    if (described === undefined) throw new Error(`${name} answered ${response.status}, which it does not describe: ${text.slice(0, 500)}`);
    const content = resolve(described).content?.[media];
    if (content === undefined) throw new Error(`${name} answered ${response.status} as ${media}, which it does not describe`);
    const validate = validator(`${name} ${response.status} ${media}`, content.schema);
    if (!validate(payload)) {
      throw new Error(
        `${name} ${response.status}: the body does not match its schema: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 1000)}`,
      );
    }
    if (response.ok && body !== undefined) {
      const request = validator(`${name} request application/json`, operation.requestBody?.content['application/json']?.schema);
      if (!request(JSON.parse(body)))
        throw new Error(`${name}: the request body does not match its schema: ${ajv.errorsText(request.errors)}`);
    }
    answered.add(operation.operationId);
    return { status: response.status, headers: response.headers, body: payload as Record<string, unknown>, text };
  }

  let customers = 0;
  let orders = 0;

  /** A customer without a phone, who pays on the hosted page with their access key. */
  async function browserCustomer(): Promise<{ account: string; phone: string }> {
    customers++;
    const account = `openapi-${customers}`;
    const phone = `+3369${String(customers).padStart(8, '0')}`;
    await world.server.customers.add({ accountId: account, phone, accessKey: ACCESS_KEY, limits: { EUR: { walletCap: 50_000n } } });
    await world.server.customers.walletCredit(account, 'EUR', 20_000n, { idempotencyKey: `fund-${account}` });
    return { account, phone };
  }

  function ticket(amount: number, options: { serial?: string; deferred?: boolean } = {}) {
    return world.shop.merchant.createTicket({
      serial: options.serial ?? `order-${++orders}`,
      currency: 'EUR',
      items: [{ id: 'book', label: 'A book', quantity: 1, unitAmount: amount, vatRate: 550 }],
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
      ...(options.deferred ? { fulfilment: 'deferred' as const } : {}),
    });
  }

  /** A payment made on the hosted pages; its payment id (the voucher's jti) and its ticket. */
  async function pay(account: string, amount: number, options: { serial?: string; deferred?: boolean } = {}) {
    const made = ticket(amount, options);
    return { id: await payAs(world.shop.url, made.token, account, ACCESS_KEY), ticket: made };
  }

  it('describes every route the server registers under /v1, and nothing it does not serve', () => {
    const served = new Set<string>();
    for (const route of world.server.app.routes) {
      if (route.method !== 'ALL' && route.path.startsWith(`${BASE}/`))
        served.add(`${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
    }
    expect([...operations().keys()].sort()).toEqual([...served].sort());
  });

  it('serves itself at GET /v1/openapi.yaml, without authentication', async () => {
    const { status, text, headers } = await call('GET', '/openapi.yaml');
    expect({ status, type: headers.get('content-type'), same: text === TEXT }).toEqual({
      status: 200,
      type: 'application/yaml; charset=utf-8',
      same: true,
    });
    expect(`${BASE}/openapi.yaml`).toBe(OPENAPI_PATH);
  });

  it('payments: by id, by order serial (one, then ambiguous), listed, by ticket; and their problems', async () => {
    const { account } = await browserCustomer();
    const first = await pay(account, 1_290);

    const byId = await call('GET', '/payments/{id}', { params: { id: first.id } });
    expect(byId.body).toMatchObject({ id: first.id, serial: first.ticket.claims.serial, amount: 1_290, status: 'authorised' });
    const bySerial = await call('GET', '/payments/by-serial/{serial}', { params: { serial: first.ticket.claims.serial } });
    expect(bySerial.body).toEqual(byId.body);

    const twice = await pay(account, 300, { serial: 'order/twice' });
    const again = await pay(account, 310, { serial: 'order/twice' });
    const ambiguous = await call('GET', '/payments/by-serial/{serial}', { params: { serial: 'order/twice' } });
    expect(ambiguous.body).toMatchObject({ status: 409, code: 'payment_ambiguous', payments: [twice.id, again.id] });

    const period = '?from=2026-03-14T00:00:00Z&to=2026-03-15T00:00:00Z';
    const page = await call('GET', '/payments', { query: `${period}&limit=2` });
    expect(page.body).toMatchObject({ payments: [{ id: first.id }, { id: twice.id }], nextAfter: twice.id });
    const last = await call('GET', '/payments', { query: `${period}&limit=2&after=${twice.id}` });
    expect(last.body).toMatchObject({ payments: [{ id: again.id }], nextAfter: null });

    const paid = await call('GET', '/payments/by-ticket/{jti}', { params: { jti: first.ticket.claims.jti } });
    expect(paid.body).toMatchObject({ ticket: first.ticket.claims.jti, state: 'paid' });

    const problems = [
      await call('GET', '/payments/{id}', { params: { id: first.id }, sign: false }),
      await call('GET', '/payments/{id}', { params: { id: '1042' } }),
      await call('GET', '/payments/{id}', { params: { id: 'pay_999999' } }),
      await call('GET', '/payments/by-serial/{serial}', { params: { serial: 'no-such-order' } }),
      await call('GET', '/payments', { query: '?from=2026-03-14T00:00:00Z' }),
      await call('GET', '/payments/by-ticket/{jti}', { params: { jti: 'never-presented' } }),
    ];
    expect(problems.map(({ status, body }) => [status, body.code])).toEqual([
      [401, 'assertion_missing'],
      [400, 'request_invalid'],
      [404, 'payment_unknown'],
      [404, 'payment_unknown'],
      [400, 'request_invalid'],
      [404, 'payment_unknown'],
    ]);
    expect(problems[0]?.headers.get('www-authenticate')).toBe('Caisse-Assertion');
  });

  it('refunds and escrow: created, listed, delivered, cancelled; and their problems', async () => {
    const { account } = await browserCustomer();
    const payment = await pay(account, 1_500);
    const refund = await call('POST', '/payments/{id}/refunds', { params: { id: payment.id }, body: { amount: 500, reason: 'damaged' } });
    expect({ status: refund.status, body: refund.body }).toMatchObject({
      status: 201,
      body: { payment: payment.id, amount: 500, status: 'succeeded', funding: 'wallet' },
    });
    const refunds = await call('GET', '/payments/{id}/refunds', { params: { id: payment.id } });
    expect(refunds.body).toEqual({ refunds: [refund.body] });

    const delivered = await pay(account, 2_000, { deferred: true });
    const cancelled = await pay(account, 700, { deferred: true });
    const release = await call('POST', '/payments/{id}/deliveries', { params: { id: delivered.id }, body: { reference: 'TRACK-123' } });
    expect(release.body).toMatchObject({
      payment: delivered.id,
      serial: delivered.ticket.claims.serial,
      status: 'released',
      note: 'TRACK-123',
    });
    const voided = await call('POST', '/payments/{id}/cancellation', { params: { id: cancelled.id } });
    expect(voided.body).toMatchObject({ payment: cancelled.id, status: 'voided', transfer: null, resolvedBy: 'merchant' });

    const problems = [
      await call('POST', '/payments/{id}/refunds', { params: { id: payment.id }, body: { amount: 1_001 } }),
      await call('POST', '/payments/{id}/refunds', { params: { id: payment.id }, body: { amount: 1 }, idempotencyKey: null }),
      await call('POST', '/payments/{id}/refunds', { params: { id: payment.id }, body: { amount: 0 } }),
      await call('POST', '/payments/{id}/deliveries', { params: { id: delivered.id }, body: {} }),
      await call('POST', '/payments/{id}/cancellation', { params: { id: payment.id } }),
      await call('GET', '/payments/{id}/refunds', { params: { id: 'pay_999999' } }),
    ];
    expect(problems.map(({ status, body }) => [status, body.code])).toEqual([
      [409, 'refund_exceeds_payment'],
      [400, 'idempotency_key_missing'],
      [400, 'request_invalid'],
      [409, 'escrow_already_released'],
      [409, 'payment_not_held'],
      [404, 'payment_unknown'],
    ]);
  });

  it('decoupled payments and the ticket refusals they list', async () => {
    const { account, phone } = await browserCustomer();
    await world.phone(account);
    const asked = ticket(800);
    const confirming = await call('POST', '/payments', { body: { ticket: asked.token, phone } });
    expect({ status: confirming.status, body: confirming.body }).toMatchObject({
      status: 202,
      body: { ticket: asked.claims.jti, state: 'confirming' },
    });
    const polled = await call('GET', '/payments/by-ticket/{jti}', { params: { jti: asked.claims.jti } });
    expect(polled.body).toMatchObject({ state: 'confirming' });
    const nobody = await call('POST', '/payments', { body: { ticket: ticket(800).token, phone: '+33600000001' } });
    expect(nobody.body).toMatchObject({ state: 'refused', refusal: expect.any(String) });

    const elsewhere = world.shop.resign({
      ...(ticket(800).claims as TicketClaims),
      jti: 'openapi-elsewhere',
      returnUrl: 'https://elsewhere.example/paid',
    });
    const refused = await call('POST', '/payments', { body: { ticket: elsewhere.token, phone } });
    expect([refused.status, refused.body.code]).toEqual([400, 'return_origin_unregistered']);
    const replayed = await call('POST', '/payments', { body: { ticket: asked.token, phone } });
    expect([replayed.status, replayed.body.code]).toEqual([409, 'ticket_replayed']);
    const malformed = await call('POST', '/payments', { body: { ticket: asked.token, phone: '0612345678' } });
    expect([malformed.status, malformed.body.code]).toEqual([400, 'request_invalid']);

    const listed = await call('GET', '/ticket-refusals');
    expect(listed.body).toMatchObject({ refusals: [{ code: 'return_origin_unregistered', ticket: 'openapi-elsewhere', count: 1 }] });
    const badLimit = await call('GET', '/ticket-refusals', { query: '?limit=lots' });
    expect([badLimit.status, badLimit.body.code]).toEqual([400, 'request_invalid']);
  });

  it('session allowances: charged (then the same charge again), read, closed; and their problems', async () => {
    const customer = await world.customer(5_000);
    const { id } = await world.grant(customer, 1_000);
    const charge = world.chargeTicket(id, 10);
    const charged = await call('POST', '/allowances/charges', { body: { ticket: charge.token } });
    expect({ status: charged.status, body: charged.body }).toMatchObject({ status: 201, body: { allowance: id, remaining: 990 } });
    const repeated = await call('POST', '/allowances/charges', { body: { ticket: charge.token } });
    expect({ status: repeated.status, body: repeated.body }).toEqual({ status: 200, body: charged.body });

    const read = await call('GET', '/allowances/{id}', { params: { id } });
    expect(read.body).toMatchObject({ id, state: 'active', used: 10, remaining: 990, charges: [{ serial: charge.claims.serial }] });
    const closed = await call('POST', '/allowances/{id}/close', { params: { id } });
    expect(closed.body).toMatchObject({ id, state: 'ended', endReason: 'closed' });

    const problems = [
      await call('POST', '/allowances/charges', { body: { ticket: ticket(10).token } }),
      await call('POST', '/allowances/charges', { body: { ticket: world.chargeTicket(id, 10).token } }),
      await call('GET', '/allowances/{id}', { params: { id: 'al_AAAAAAAAAAAAAAAAAAAAAA' } }),
    ];
    expect(problems.map(({ status, body }) => [status, body.code])).toEqual([
      [400, 'request_invalid'],
      [409, 'allowance_closed'],
      [404, 'allowance_unknown'],
    ]);
  });

  it('the settlement report, in JSON and CSV; a malformed date', async () => {
    const report = await call('GET', '/settlements/{date}', { params: { date: '2026-03-14' } });
    expect(report.body).toMatchObject({ merchantId: world.shop.merchantId, date: '2026-03-14', currencies: [{ currency: 'EUR' }] });
    const csv = await call('GET', '/settlements/{date}', { params: { date: '2026-03-14' }, headers: { accept: 'text/csv' } });
    expect(csv.text.split('\r\n')[0]).toMatch(/^merchant_id,date,currency,/);
    const malformed = await call('GET', '/settlements/{date}', { params: { date: '14-03-2026' } });
    expect([malformed.status, malformed.body.code]).toEqual([400, 'request_invalid']);
  });

  it('digital goods: stored, replaced, described; and their problems', async () => {
    const good = {
      title: 'The tide tables',
      contentType: 'text/html',
      data: Buffer.from('<p>High water at 06:12.</p>').toString('base64url'),
    };
    const stored = await call('PUT', '/contents/{ref}', { params: { ref: 'tides' }, body: good });
    expect([stored.status, stored.body]).toMatchObject([201, { ref: 'tides', size: 27 }]);
    expect((await call('PUT', '/contents/{ref}', { params: { ref: 'tides' }, body: good })).status).toBe(200);
    expect((await call('GET', '/contents/{ref}', { params: { ref: 'tides' } })).body).toMatchObject({
      ref: 'tides',
      contentType: 'text/html',
    });
    const unknown = await call('GET', '/contents/{ref}', { params: { ref: 'ghost' } });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'content_unknown']);
    const malformed = await call('PUT', '/contents/{ref}', { params: { ref: 'bad' }, body: { ...good, data: 'not base64!' } });
    expect([malformed.status, malformed.body.code]).toEqual([400, 'request_invalid']);
  });

  it('disputes: listed, read, answered; and their problems', async () => {
    const { account } = await browserCustomer();
    const payment = await pay(account, 1_200);
    const opened = await world.server.disputes.open(account, { payment: payment.id, reason: 'not_received', message: 'Nothing came.' });
    const listed = await call('GET', '/disputes', { query: '?state=awaiting_merchant' });
    expect((listed.body as { disputes: { id: string }[] }).disputes.map((dispute) => dispute.id)).toContain(opened.id);
    const read = await call('GET', '/disputes/{id}', { params: { id: opened.id } });
    expect(read.body).toMatchObject({ id: opened.id, payment: payment.id, state: 'awaiting_merchant', evidence: null });
    const answered = await call('POST', '/disputes/{id}/answer', {
      params: { id: opened.id },
      body: { text: 'Delivered on the 4th.', carrier: 'La Poste', trackingReference: 'LP123', deliveredAt: '2026-03-04T10:00:00Z' },
    });
    expect(answered.body).toMatchObject({ state: 'awaiting_decision', evidence: { trackingReference: 'LP123' } });

    const problems = [
      await call('POST', '/disputes/{id}/answer', { params: { id: opened.id }, body: { text: 'Again.' } }),
      await call('POST', '/disputes/{id}/answer', { params: { id: opened.id }, body: {} }),
      await call('GET', '/disputes/{id}', { params: { id: 'dp_AAAAAAAAAAAAAAAAAAAAAA' } }),
    ];
    expect(problems.map(({ status, body }) => [status, body.code])).toEqual([
      [409, 'dispute_not_awaiting_answer'],
      [400, 'request_invalid'],
      [404, 'dispute_unknown'],
    ]);
  });

  it('has had every described operation answered', () => {
    const described = [...operations().values()].map((operation) => operation.operationId);
    expect([...answered].sort()).toEqual(described.sort());
  });
});
