import type { KeyObject } from 'node:crypto';
import type { Algorithm, PublicJwk } from '@caisse/protocol';

/** A trusted public key, imported once and kept as a `KeyObject`. */
export interface VerificationKey {
  readonly kid: string;
  readonly alg: Algorithm;
  readonly key: KeyObject;
  readonly jwk: PublicJwk;
}

/** A private key ready to sign, with the `kid` every token names. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: Algorithm;
  readonly key: KeyObject;
}

/**
 * Where verification looks keys up by `kid`. Never by anything else in the token: a
 * token cannot bring or point to its own key.
 */
export interface KeySet {
  /** The key with this `kid`, or undefined when the set does not have it (after any refresh it allows). */
  get(kid: string): VerificationKey | undefined | Promise<VerificationKey | undefined>;
}
