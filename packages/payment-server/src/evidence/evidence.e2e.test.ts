import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type EvidenceBundle, TOKEN_TYPES } from '@caisse/protocol';
import { createSandboxAcquirer, type RunningSandboxBank, startSandboxBank } from '@caisse/sandbox-bank';
import { staticKeySet, verifyJws } from '@caisse/server-kit';
import { freshDatabase, requirePostgres } from '@caisse/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { createTestDevice, type TestDevice } from '../__fixtures__/device.js';
import { startTestServer } from '../__fixtures__/payment-server.js';
import { sealAudit } from '../audit/seal.js';
import { type AuditFinding, type AuditReport, verifyAudit } from '../audit/verify.js';
import { addCustomer, PIN, pending, ticketFor } from '../checkout/__fixtures__/phone.js';
import { type CliIo, runCommand } from '../cli/commands.js';
import { paymentLedgerKey } from '../ledger/postings.js';
import { generateSecret } from '../secrets.js';
import type { Transaction } from '../storage/database.js';
import { constraintName } from '../storage/errors.js';
import { rolledBack } from '../storage/test-support.js';
import { EvidenceError } from './errors.js';
import { exportEvidence } from './export.js';

/**
 * The evidence of consent over real HTTP: a customer pays on the hosted pages and approves
 * on their phone; the phone's signed approval is kept (append-only), the payment's ledger
 * transfer names it and the audit register seals it; the evidence bundle exported then
 * verifies with the server kit's `caisse` command, run as a separate process in an empty
 * folder with nothing but the bundle and the payment server's JWKS.
 */
const hasPostgres = await requirePostgres('evidence of consent');
const drivers: { name: string; url: () => Promise<{ url?: string; drop: () => Promise<void> }> }[] = [
  { name: 'pglite', url: async () => ({ drop: async () => {} }) },
];
if (hasPostgres) drivers.push({ name: 'postgres', url: () => freshDatabase('evidence_e2e') });

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/** The server kit's `caisse` command, as its package installs it (`bin`). */
async function kitCli(): Promise<string> {
  const manifest = createRequire(import.meta.url).resolve('@caisse/server-kit/package.json');
  const { bin } = JSON.parse(await readFile(manifest, 'utf8')) as { bin: { caisse: string } };
  return join(dirname(manifest), bin.caisse);
}

/** `caisse evidence verify` in a fresh, empty folder, with no environment but PATH: what a third party runs. */
async function verifyElsewhere(bundle: unknown, jwks: unknown): Promise<{ code: number; stdout: string; stderr: string }> {
  const folder = await mkdtemp(join(tmpdir(), 'caisse-evidence-'));
  try {
    await writeFile(join(folder, 'bundle.json'), JSON.stringify(bundle));
    await writeFile(join(folder, 'jwks.json'), JSON.stringify(jwks));
    const run = promisify(execFile);
    try {
      const { stdout, stderr } = await run(process.execPath, [await kitCli(), 'evidence', 'verify', 'bundle.json', '--jwks', 'jwks.json'], {
        cwd: folder,
        env: { PATH: process.env.PATH ?? '' },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** The same token with one signature byte changed. */
function tamperSignature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

function has(report: AuditReport, ...expected: Partial<AuditFinding>[]) {
  expect(report.ok).toBe(false);
  expect(report.findings).toEqual(expect.arrayContaining(expected.map((finding) => expect.objectContaining(finding))));
}

describe.each(drivers)('evidence of consent on $name', (driver) => {
  let shop: Awaited<ReturnType<typeof startTestServer>>;
  let bank: RunningSandboxBank;
  let drop = async () => {};
  let alicePhone: TestDevice;
  const secret = generateSecret();
  let databaseUrl: string | undefined;

  beforeAll(async () => {
    const database = await driver.url();
    drop = database.drop;
    databaseUrl = database.url;
    bank = await startSandboxBank();
    shop = await startTestServer({
      ...(database.url ? { databaseUrl: database.url } : {}),
      acquirer: createSandboxAcquirer({ url: bank.url }),
      // The wallet pays below 50.00 EUR, the bank above.
      env: { CAISSE_SECRET: secret, CAISSE_WALLET_THRESHOLDS: '*:5000' },
    });
    alicePhone = (await addCustomer(shop, 'alice', '+33612345678')) as TestDevice;
    await shop.server.customers.setBankRef('alice', 'test_approve');
    await addCustomer(shop, 'bob', '+33698765432', { device: false });
  });
  afterAll(async () => {
    await shop?.close();
    await bank?.close();
    await drop();
  });

  const db = () => shop.server.db;
  const evidenceOf = (serial: bigint) =>
    exportEvidence({ db: db(), keys: shop.server.keys, issuer: shop.server.issuer, mode: shop.server.mode }, { serial });

  /** Opens the checkout of a ticket naming the customer and clicks "Confirm on my phone"; returns the request their phone shows. */
  async function confirming(amount = 1290, phone = alicePhone, account = 'alice') {
    const ticket = ticketFor(shop, amount, { account });
    const browser = new ScriptedBrowser(shop.url);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    const page = await browser.go(ScriptedBrowser.action(summary.html, '/phone'), { form: { csrf: ScriptedBrowser.csrf(summary.html) } });
    const request = (await pending(phone)).find((open) => open.ticket.jti === ticket.claims.jti);
    if (!request) throw new Error('no request for this ticket on the phone');
    return { ticket, browser, sessionPath: new URL(page.page?.url ?? '').pathname, request };
  }

  /** The phone answers with a token the test keeps; the browser then leaves with the voucher (or is offered the bank). */
  async function answered(decision: 'approve' | 'decline', amount = 1290, phone = alicePhone, account = 'alice') {
    const { ticket, browser, sessionPath, request } = await confirming(amount, phone, account);
    const token = phone.answer(request, decision, decision === 'approve' ? PIN : undefined);
    const response = await fetch(`${shop.url}/device/requests/${request.id}/answer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(response.status).toBe(200);
    const left = await browser.go(sessionPath);
    const voucher = left.leftTo?.searchParams.get('caisse_voucher') ?? undefined;
    const { rows } = await db().query<{ serial: bigint }>('SELECT serial FROM payments WHERE merchant_id = $1 AND ticket_jti = $2', [
      shop.merchantId,
      ticket.claims.jti,
    ]);
    return { ticket, request, token, voucher, serial: rows[0]?.serial, browser, left };
  }

  /** The approval the payment's ledger transfer names. */
  async function namedApproval(ticketJti: string): Promise<string | undefined> {
    const { rows } = await db().query<{ approval: string }>(
      `SELECT metadata->>'approval' AS approval FROM ledger_transfers WHERE idempotency_key = $1`,
      [paymentLedgerKey(shop.merchantId, ticketJti)],
    );
    return rows[0]?.approval;
  }

  /** Tampers as someone with direct database access would, triggers off; verifies in that transaction, then rolls back. */
  const tampered = (tamper: (tx: Transaction) => Promise<unknown>) =>
    rolledBack(db(), async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tamper(tx);
      return verifyAudit(tx);
    });

  let paid: Awaited<ReturnType<typeof answered>>;
  let transferSerial: bigint;

  it("keeps the phone's signed approval with the payment, append only, and the payment's transfer names it", async () => {
    paid = await answered('approve');
    expect(paid.voucher).toBeDefined();
    const { rows } = await db().query<{ decision: string; token: string; token_sha256: string; device_id: string; customer_id: string }>(
      'SELECT decision, token, token_sha256, device_id, customer_id FROM confirmation_answers WHERE request_id = $1',
      [paid.request.id],
    );
    expect(rows).toEqual([
      { decision: 'approve', token: paid.token, token_sha256: sha256(paid.token), device_id: alicePhone.id, customer_id: 'alice' },
    ]);
    // Verifiable after the fact: the device's signature over the amount, the payee and the challenge.
    const kept = await verifyJws(rows[0]?.token, [TOKEN_TYPES.confirmation], staticKeySet({ keys: [alicePhone.jwk] }));
    expect(kept.payload).toMatchObject({ decision: 'approve', amount: 1290, payee: shop.merchantId, challenge: paid.request.challenge });

    expect(await namedApproval(paid.ticket.claims.jti)).toBe(sha256(paid.token));
    const transfer = await db().query<{ serial: bigint }>('SELECT serial FROM ledger_transfers WHERE idempotency_key = $1', [
      paymentLedgerKey(shop.merchantId, paid.ticket.claims.jti),
    ]);
    transferSerial = transfer.rows[0]?.serial as bigint;

    for (const sql of [
      'UPDATE confirmation_answers SET decision = $2 WHERE request_id = $1',
      'DELETE FROM confirmation_answers WHERE request_id = $1',
    ]) {
      const refused = await db()
        .query(sql, sql.startsWith('UPDATE') ? [paid.request.id, 'decline'] : [paid.request.id])
        .catch((error: unknown) => error);
      expect(constraintName(refused)).toBe('ledger_append_only');
    }
  });

  it('keeps a decline too, and the register verifies clean with every answer checked', async () => {
    const declined = await answered('decline', 700);
    expect(declined.serial).toBeUndefined();
    const { rows } = await db().query<{ decision: string; token_sha256: string }>(
      'SELECT decision, token_sha256 FROM confirmation_answers WHERE request_id = $1',
      [declined.request.id],
    );
    expect(rows).toEqual([{ decision: 'decline', token_sha256: sha256(declined.token) }]);
    await sealAudit(db());
    const report = await verifyAudit(db());
    expect(report).toMatchObject({ ok: true, findings: [], unsealedTransfers: 0 });
    expect(report.answers).toBeGreaterThanOrEqual(2);
  });

  it('reports an approval edited or deleted after the payment, and an audit batch edited', async () => {
    const { rows } = await db().query<{ batch_seq: bigint }>('SELECT batch_seq FROM audit_sealed_transfers WHERE serial = $1', [
      transferSerial,
    ]);
    const batch = rows[0]?.batch_seq as bigint;
    const request = paid.request.id;
    // Another approval for the same amount, properly signed by the same phone: still not the one the payment sealed.
    const other = alicePhone.answer(paid.request, 'approve', PIN);
    has(await tampered((tx) => tx.query('UPDATE confirmation_answers SET token = $2 WHERE request_id = $1', [request, other])), {
      kind: 'answer_edited',
      serial: transferSerial,
      batch,
      requestId: request,
      expected: sha256(paid.token),
      actual: sha256(other),
    });
    // Rewritten whole, its recorded hash too: the sealed transfer names an approval no row has.
    has(
      await tampered((tx) =>
        tx.query('UPDATE confirmation_answers SET token = $2, token_sha256 = $3 WHERE request_id = $1', [request, other, sha256(other)]),
      ),
      { kind: 'approval_missing', serial: transferSerial, batch, expected: sha256(paid.token) },
    );
    has(await tampered((tx) => tx.query('DELETE FROM confirmation_answers WHERE request_id = $1', [request])), {
      kind: 'approval_missing',
      serial: transferSerial,
    });
    has(await tampered((tx) => tx.query(`UPDATE confirmation_answers SET decision = 'decline' WHERE request_id = $1`, [request])), {
      kind: 'answer_edited',
      requestId: request,
      field: 'decision',
      expected: 'approve',
      actual: 'decline',
    });
    has(await tampered((tx) => tx.query(`UPDATE audit_batches SET hash = repeat('a', 64) WHERE seq = $1`, [batch])), {
      kind: 'batch_tampered',
      batch,
    });
    expect(await verifyAudit(db())).toMatchObject({ ok: true });
  });

  it("exports an evidence bundle that the server kit's CLI verifies on a clean machine, and an altered one it fails, naming the check", async () => {
    const bundle = await evidenceOf(paid.serial as bigint);
    expect(bundle).toMatchObject({
      type: 'caisse-evidence',
      issuer: shop.url,
      payment: { id: `pay_${paid.serial}`, merchant: shop.merchantId, ticket: paid.ticket.claims.jti },
      ticket: paid.ticket.token,
      voucher: paid.voucher,
      approval: paid.token,
      device: { jwk: alicePhone.jwk },
      audit: { sealed: true, transfer: { serial: transferSerial.toString() } },
    });
    const jwks = await shop.server.keys.jwks();
    const genuine = await verifyElsewhere(bundle, jwks);
    expect(genuine.stdout).toContain(`Evidence of pay_${paid.serial}`);
    expect(genuine.stdout).toContain('VERIFIED');
    expect(genuine.code).toBe(0);

    if (!bundle.audit.sealed) throw new Error('expected the payment sealed');
    const digests = bundle.audit.batch.digests.map((digest, index) => (index === 0 ? 'f'.repeat(64) : digest));
    const altered: [string, EvidenceBundle][] = [
      ['approval.signature', { ...bundle, approval: tamperSignature(bundle.approval) }],
      ['voucher.signature', { ...bundle, voucher: tamperSignature(bundle.voucher) }],
      ['certificate.signature', { ...bundle, device: { ...bundle.device, certificate: tamperSignature(bundle.device.certificate) } }],
      ['audit.batch', { ...bundle, audit: { ...bundle.audit, batch: { ...bundle.audit.batch, digests } } }],
    ];
    for (const [check, forged] of altered) {
      const result = await verifyElsewhere(forged, jwks);
      expect(result.code, check).toBe(1);
      expect(result.stdout).toMatch(new RegExp(`FAILED {2}${check.replace('.', '\\.')} `));
    }
  });

  it('carries the approval into the payment after a crash between the committed answer and the authorisation', async () => {
    const { ticket, browser, sessionPath, request } = await confirming(450);
    const token = alicePhone.answer(request, 'approve', PIN);
    // What devices/answer.ts commits, with the process gone before onAnswered ran (dated by the server's clock, as it does).
    const at = new Date();
    await db().transaction(async (tx) => {
      await tx.query(
        `UPDATE confirmation_requests SET state = 'approved', closed_at = $3, answered_at = $3, answer_jti = $4, answer_device_id = $2
          WHERE id = $1`,
        [request.id, alicePhone.id, at, `crash-${request.id}`],
      );
      await tx.query(
        `INSERT INTO confirmation_answers (request_id, session_id, customer_id, device_id, decision, token, token_sha256, answered_at)
         SELECT id, session_id, customer_id, $2, 'approve', $3, $4, $5 FROM confirmation_requests WHERE id = $1`,
        [request.id, alicePhone.id, token, sha256(token), at],
      );
    });
    const left = await browser.go(sessionPath);
    expect(left.leftTo?.pathname).toBe('/paid');
    expect(await namedApproval(ticket.claims.jti)).toBe(sha256(token));
  });

  it('carries the approval through the bank, and through the bank taken from an offer after a short wallet', async () => {
    const viaBank = await answered('approve', 6_000);
    expect(viaBank.voucher).toBeDefined();
    expect(await namedApproval(viaBank.ticket.claims.jti)).toBe(sha256(viaBank.token));
    expect((await verifyElsewhere(await evidenceOf(viaBank.serial as bigint), await shop.server.keys.jwks())).code).toBe(0);

    // Carol's wallet holds 10.00 EUR: a 20.00 EUR payment is offered to the bank, which she takes on the page.
    await shop.server.customers.add({ accountId: 'carol', phone: '+33612345699', accessKey: 'correct horse battery' });
    await shop.server.customers.walletCredit('carol', 'EUR', 1_000n, { idempotencyKey: 'top-up-carol' });
    await shop.server.customers.setBankRef('carol', 'test_approve');
    const carolPhone = createTestDevice(shop.url);
    expect((await carolPhone.enroll((await shop.server.devices.createCode('carol')).code, { pin: PIN })).status).toBe(201);
    const short = await answered('approve', 2_000, carolPhone, 'carol');
    expect(short.left.html).toContain('Your wallet is short');
    const taken = await short.browser.go(ScriptedBrowser.action(short.left.html, '/bank'), {
      form: { csrf: ScriptedBrowser.csrf(short.left.html) },
    });
    expect(taken.leftTo?.pathname).toBe('/paid');
    expect(await namedApproval(short.ticket.claims.jti)).toBe(sha256(short.token));
  });

  it('says why a payment has no evidence: unknown, or not approved on a phone', async () => {
    await expect(evidenceOf(987_654_321n)).rejects.toMatchObject({ code: 'payment_unknown' });
    const browser = new ScriptedBrowser(shop.url);
    const ticket = ticketFor(shop, 300);
    const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
    const left = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(summary.html), account: 'bob', accessKey: 'correct horse battery' },
    });
    expect(left.leftTo?.pathname).toBe('/paid');
    const { rows } = await db().query<{ serial: bigint }>('SELECT serial FROM payments WHERE ticket_jti = $1', [ticket.claims.jti]);
    const refused = await evidenceOf(rows[0]?.serial as bigint).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EvidenceError);
    expect(refused).toMatchObject({
      code: 'approval_missing',
      message: expect.stringContaining('confirmed by access_key, not on a phone'),
    });
  });

  // Defined on PostgreSQL only (never a skip on PGlite): the commands connect by DATABASE_URL beside the running
  // server, which an embedded database, held by one process, cannot allow.
  if (driver.name === 'postgres')
    it('caisse-server: audit verify reports the edits, evidence export writes the bundle', async () => {
      const io = () => {
        const out: string[] = [];
        const err: string[] = [];
        const cliIo: CliIo = {
          out: (line) => out.push(line),
          err: (line) => err.push(line),
          env: { DATABASE_URL: databaseUrl, CAISSE_SECRET: secret, CAISSE_ISSUER: shop.url, LOG_LEVEL: 'error' },
          readStdin: async () => '',
          stopSignal: () => Promise.resolve(),
        };
        return { cliIo, out, err };
      };
      const cli = async (argv: string[]) => {
        const { cliIo, out, err } = io();
        const code = await runCommand(argv, cliIo);
        return { code, out: out.join('\n'), err: err.join('\n') };
      };
      const request = paid.request.id;
      // Committed, as a tamperer would (triggers off for the session), then put back the same way.
      const asTamperer = (sql: string, params: unknown[]) =>
        db().transaction(async (tx) => {
          await tx.query('SET LOCAL session_replication_role = replica');
          await tx.query(sql, params);
        });
      const other = alicePhone.answer(paid.request, 'approve', PIN);
      await asTamperer('UPDATE confirmation_answers SET token = $2 WHERE request_id = $1', [request, other]);
      const edited = await cli(['audit', 'verify']);
      await asTamperer('UPDATE confirmation_answers SET token = $2 WHERE request_id = $1', [request, paid.token]);
      expect(edited.code).toBe(1);
      expect(edited.err).toContain(`FINDING answer_edited: Transfer ${transferSerial}`);
      expect(edited.out).toContain('Audit FAILED');

      const { rows } = await db().query<{ seq: bigint; hash: string }>('SELECT seq, hash FROM audit_batches ORDER BY seq LIMIT 1');
      const first = rows[0] as { seq: bigint; hash: string };
      await asTamperer('UPDATE audit_batches SET hash = $2 WHERE seq = $1', [first.seq, 'b'.repeat(64)]);
      const batch = await cli(['audit', 'verify']);
      await asTamperer('UPDATE audit_batches SET hash = $2 WHERE seq = $1', [first.seq, first.hash]);
      expect(batch.code).toBe(1);
      expect(batch.err).toContain('FINDING batch_tampered');
      expect(await cli(['audit', 'verify'])).toMatchObject({ code: 0, out: expect.stringContaining('kept phone answer(s)') });

      const folder = await mkdtemp(join(tmpdir(), 'caisse-export-'));
      try {
        const file = join(folder, 'evidence.json');
        const exported = await cli(['evidence', 'export', `pay_${paid.serial}`, '--out', file]);
        expect(exported).toMatchObject({ code: 0, err: expect.stringContaining(`Evidence of pay_${paid.serial}`) });
        const written = JSON.parse(await readFile(file, 'utf8')) as EvidenceBundle;
        expect(written).toMatchObject({ approval: paid.token, voucher: paid.voucher });
        expect((await verifyElsewhere(written, await shop.server.keys.jwks())).code).toBe(0);
        const byTicket = await cli(['evidence', 'export', '--merchant', shop.merchantId, '--ticket', paid.ticket.claims.jti]);
        expect(JSON.parse(byTicket.out)).toMatchObject({ payment: written.payment, approval: paid.token });
        expect(await cli(['evidence', 'export', 'pay_987654321'])).toMatchObject({
          code: 1,
          err: expect.stringContaining('payment_unknown'),
        });
        expect((await cli(['evidence', 'export', 'order-42'])).code).toBe(2);
        expect((await cli(['evidence', 'export', '--merchant', shop.merchantId])).code).toBe(2);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });
});
