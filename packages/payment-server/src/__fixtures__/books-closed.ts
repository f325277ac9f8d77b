import { expect } from 'vitest';
import { sealAudit } from '../audit/seal.js';
import { verifyAudit } from '../audit/verify.js';
import { checkLedgerInvariants } from '../ledger/invariants.js';
import type { Database } from '../storage/database.js';

/**
 * What a suite's database must show once all its tests have run, before it is dropped:
 * the ledger's invariants hold, and the audit register, sealed up to the last transfer,
 * verifies with no finding. A suite that left money inconsistent fails here, whichever of
 * its tests did it.
 */
export async function expectBooksClosed(db: Database): Promise<void> {
  expect(await checkLedgerInvariants(db)).toEqual({ ok: true, findings: [] });
  await sealAudit(db);
  const audit = await verifyAudit(db);
  expect({ ok: audit.ok, findings: audit.findings, unsealedTransfers: audit.unsealedTransfers }).toEqual({
    ok: true,
    findings: [],
    unsealedTransfers: 0,
  });
}
