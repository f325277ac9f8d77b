/**
 * Version of the wire format carried in the `ver` claim of every token. A verifier refuses
 * a version it does not know (`version_unsupported`); new claims come with a new version.
 */
export const PROTOCOL_VERSION = 1;

/** Versions this implementation reads. */
export const SUPPORTED_VERSIONS: readonly number[] = [1];
