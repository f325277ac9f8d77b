import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AUDIT_ZERO_HASH, auditBatch, auditBatchHash, auditBatchPreimage, auditDigest, auditTransferRecord } from './audit.js';
import { canonicalJson } from './canonical-json.js';
import { expectAccepted, refusedAt } from './test-support.js';

const ENCODINGS = ['{"a":"1"}', '{"b":"2"}'];
const DIGESTS = [
  '9afeb0f2b203f254312ec8ded441d0318b7c34c57f8695ede42d2215a30c0960',
  '9268a0dfde6aff01f3cf2fdc2b1b4634c3b011105a51648dc81b28e2ae0af137',
];
const PREV = 'ab'.repeat(32);

function record(): Record<string, unknown> {
  return {
    v: 1,
    serial: '42',
    idempotencyKey: 'ticket:librairie-du-port:tkt_01J9Z3K7Q8',
    pendingId: null,
    requestHash: '9ywQc21IB9cvJqxOF4BCiNGfqTbFaLs7uts95cAF7Os',
    metadata: '{"ticket": "tkt_01J9Z3K7Q8", "approval": "x", "merchant": "librairie-du-port"}',
    createdAt: '2026-01-01T00:02:00.123456Z',
    lines: [
      { account: 'a1', type: 'customer_wallet', owner: 'alice', currency: 'EUR', amount: '-2199' },
      { account: 'a2', type: 'merchant_till', owner: 'librairie-du-port', currency: 'EUR', amount: '2199' },
    ],
  };
}

// The batch hash is what a payment server stored years ago: a change here breaks every
// evidence bundle ever exported, so the vector is pinned, not recomputed.
describe('audit batch hash', () => {
  it('is the SHA-256 of the version, the previous hash, the header and each digest, one per line', async () => {
    expect(auditBatchPreimage(PREV, 3n, 7n, DIGESTS)).toBe(
      `caisse-audit-v1\n${PREV}\n{"count":2,"lastSerial":"7","seq":"3"}\n${DIGESTS.join('\n')}`,
    );
    expect(await Promise.all(ENCODINGS.map(auditDigest))).toEqual(DIGESTS);
    expect(await auditBatchHash({ prevHash: PREV, seq: '3', lastSerial: '7', digests: DIGESTS })).toBe(
      '7de91757cc0704c8450ff725235377293dd943e1425dd1bc4ffbc17060417348',
    );
  });

  it('hashes the preimage as node:crypto does, so a server may hash it in its own thread', async () => {
    const preimage = auditBatchPreimage(AUDIT_ZERO_HASH, 1n, 9_223_372_036_854_775_807n, DIGESTS);
    expect(await auditDigest(preimage)).toBe(createHash('sha256').update(preimage, 'utf8').digest('hex'));
    expect(await auditDigest('é')).toBe(createHash('sha256').update('é', 'utf8').digest('hex'));
  });

  it('changes with any digest, their order, the sequence number or the last serial', async () => {
    const batch = { prevHash: PREV, seq: '3', lastSerial: '7', digests: DIGESTS };
    const hash = await auditBatchHash(batch);
    expect(await auditBatchHash({ ...batch, digests: [...DIGESTS].reverse() })).not.toBe(hash);
    expect(await auditBatchHash({ ...batch, digests: [DIGESTS[0] as string] })).not.toBe(hash);
    expect(await auditBatchHash({ ...batch, seq: '4' })).not.toBe(hash);
    expect(await auditBatchHash({ ...batch, lastSerial: '8' })).not.toBe(hash);
    expect(await auditBatchHash({ ...batch, prevHash: AUDIT_ZERO_HASH })).not.toBe(hash);
  });
});

describe('auditTransferRecord', () => {
  it('reads a sealed transfer as its canonical encoding states it', () => {
    const parsed = expectAccepted(auditTransferRecord, JSON.parse(canonicalJson(record())));
    expect(JSON.parse(parsed.metadata)).toMatchObject({ approval: 'x' });
  });

  it('refuses another encoding version, a serial that is not a decimal, an amount that is not whole', () => {
    expect(refusedAt(auditTransferRecord, { ...record(), v: 2 })).toEqual(['v']);
    expect(refusedAt(auditTransferRecord, { ...record(), serial: '042' })).toEqual(['serial']);
    const lines = [{ account: 'a1', type: null, owner: null, currency: 'EUR', amount: '1.5' }];
    expect(refusedAt(auditTransferRecord, { ...record(), lines })).toEqual(['lines.0.amount']);
  });
});

describe('auditBatch', () => {
  it('takes lower-case hex digests and decimal serials only', () => {
    const batch = { seq: '3', prevHash: PREV, hash: DIGESTS[0], lastSerial: '7', digests: DIGESTS };
    expectAccepted(auditBatch, batch);
    expect(refusedAt(auditBatch, { ...batch, hash: DIGESTS[0]?.toUpperCase() })).toEqual(['hash']);
    expect(refusedAt(auditBatch, { ...batch, digests: [] })).toEqual(['digests']);
    expect(refusedAt(auditBatch, { ...batch, seq: 3 })).toEqual(['seq']);
  });
});
