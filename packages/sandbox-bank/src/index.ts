export {
  createSandboxAcquirer,
  type SandboxAcquirer,
  type SandboxAcquirerOptions,
} from './adapter.js';
export { BANK_PROBLEMS, createSandboxBank, type SandboxBank, type SandboxBankOptions } from './app.js';
export type { BankAnswer, BankRequest, Book, BookOptions } from './book.js';
export { SANDBOX_BEHAVIOURS, type SandboxBehaviour, TEST_IDENTITIES, TEST_IDENTITY_BEHAVIOURS, type TestIdentity } from './identities.js';
export { type RunningSandboxBank, type StartSandboxBankOptions, startSandboxBank } from './server.js';
export type { AmountBody, AuthoriseBody, BankOperation, PayoutBody, Statement } from './wire.js';
