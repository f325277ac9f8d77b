/**
 * Advisory lock keys of the payment server, as `(namespace, id)` pairs for
 * `pg_advisory_*lock(int, int)`. The namespace spells 'CAIS'. The register barrier's key
 * is also written in migration 0001 (the trigger that assigns serials).
 */
export const LOCK_NAMESPACE = 0x43414953;

export const LOCKS = {
  migrations: 0,
  registerBarrier: 1,
  auditSealer: 2,
  rollups: 3,
} as const;
