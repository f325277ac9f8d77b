export { batchHash, ENCODING_VERSION, encodeTransfer, type LineRecord, type TransferRecord, ZERO_HASH } from './encoding.js';
export {
  type SealedBatch,
  type SealOptions,
  type SealResult,
  sealAudit,
} from './seal.js';
export { type AuditFinding, type AuditFindingKind, type AuditReport, type VerifyOptions, verifyAudit } from './verify.js';
