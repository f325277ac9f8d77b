/**
 * Evidence of consent: the phone's signed answers kept with the payments they paid
 * (`confirmation_answers`, written by devices/answer.ts; covered by the audit register),
 * the tickets' exact bytes (`tickets.token`), and `caisse-server evidence export`, which gathers one
 * payment's evidence into a bundle anyone can check offline (`caisse evidence verify`).
 */
export { type CertifiedDevice, signDeviceCertificate } from './certificate.js';
export { EVIDENCE_USAGE, evidenceCommand } from './cli.js';
export { EVIDENCE_ERROR_CODES, EvidenceError, type EvidenceErrorCode } from './errors.js';
export { type EvidenceDeps, exportEvidence, type PaymentReference } from './export.js';
