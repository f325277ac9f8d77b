/** Why the server could not listen, and what the operator does about it. */
export const LISTEN_ERROR_CODES = {
  address_in_use: 'the port is already in use (set PORT to a free port, or stop the other process)',
  address_not_available: "the address is not one of this machine's (set HOST to one of its addresses, or 0.0.0.0)",
  permission_denied: 'this user may not listen on this port (set PORT to 1024 or above, or grant the process the right)',
  listen_failed: 'the system refused (see the cause)',
} as const;

export type ListenErrorCode = keyof typeof LISTEN_ERROR_CODES;

/** The system's error numbers this server explains; any other is `listen_failed`, with its cause kept. */
const BY_ERRNO: Readonly<Record<string, ListenErrorCode>> = {
  EADDRINUSE: 'address_in_use',
  EADDRNOTAVAIL: 'address_not_available',
  EACCES: 'permission_denied',
};

/**
 * The HTTP server could not listen on HOST:PORT. Its message is the one line an operator
 * reads: `cannot listen on 127.0.0.1:4000: the port is already in use (…)`.
 * @example try { await startPaymentServer(config) } catch (error) { if (isListenError(error, 'address_in_use')) … }
 */
export class ListenError<C extends ListenErrorCode = ListenErrorCode> extends Error {
  override readonly name = 'ListenError';
  readonly code: C;
  readonly host: string;
  readonly port: number;

  constructor(code: C, where: { host: string; port: number }, options?: { cause?: unknown }) {
    // An IPv6 address is bracketed, as in a URL, so the port stays readable.
    const host = where.host.includes(':') ? `[${where.host}]` : where.host;
    super(`cannot listen on ${host}:${where.port}: ${LISTEN_ERROR_CODES[code]}.`, options);
    this.code = code;
    this.host = where.host;
    this.port = where.port;
  }
}

/**
 * The listening socket's `error` as a {@link ListenError}.
 * @example http.once('error', (error) => reject(listenErrorOf(error, { host, port })))
 */
export function listenErrorOf(error: unknown, where: { host: string; port: number }): ListenError {
  const errno = (error as { code?: unknown } | null)?.code;
  const code = typeof errno === 'string' && Object.hasOwn(BY_ERRNO, errno) ? BY_ERRNO[errno] : undefined;
  return new ListenError(code ?? 'listen_failed', where, { cause: error });
}

/** Compares `name` and `code` rather than using `instanceof`, so it works across copies of the package. */
export function isListenError<C extends ListenErrorCode>(error: unknown, code?: C): error is ListenError<C> {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (candidate.name !== 'ListenError' || typeof candidate.code !== 'string' || !(candidate.code in LISTEN_ERROR_CODES)) return false;
  return code === undefined || candidate.code === code;
}
