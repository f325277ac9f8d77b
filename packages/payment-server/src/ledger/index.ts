export { findAccount, getAccount, getBalance, getWallet, type OpenAccountInput, openAccount, setCap } from './accounts.js';
export { CONSTRAINT_CODES, fromDatabaseError, isLedgerError, LEDGER_ERROR_CODES, LedgerError, type LedgerErrorCode } from './errors.js';
export {
  ACCOUNT_TYPES,
  type Account,
  type AccountBalance,
  type AccountType,
  credit,
  debit,
  type JsonObject,
  type JsonValue,
  type Line,
  type LineInput,
  type PendingStatus,
  type PendingTransfer,
  TRACKED_ACCOUNT_TYPES,
  type Transfer,
  type TransferInput,
  type Wallet,
} from './model.js';
export { createPending, getPending, postPending, voidPending } from './pending.js';
export { type HighWaterOptions, nextRegisterSerial, registerHighWater } from './register.js';
export { type RollUpResult, rollUpBalances } from './rollups.js';
export { createLedger, type Ledger } from './service.js';
export { findTransfer, getTransfer, transfer } from './transfers.js';
