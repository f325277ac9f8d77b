import type { EscrowResolution, EscrowResolver } from '@caisse/protocol';

/** What happens to payments still held when the escrow time-out runs out. */
export type EscrowTimeoutPolicy = 'release' | 'void';

export type { EscrowResolution, EscrowResolver };
