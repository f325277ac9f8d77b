import { currentRequestId } from './http/request-context.js';

/**
 * Structured logs, one JSON object a line. Nothing secret may reach them: members whose
 * names say they hold a secret are replaced, and so is any string shaped like a token,
 * wherever it hides (a URL, an error message, a stack), because a log line is read by more
 * people, for longer, than the request that wrote it. A line written while serving a
 * request names its `requestId` (http/request-context.ts).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_NAME = /token|ticket|voucher|refusal|assertion|access.?key|pin|password|secret|authorization|cookie|private|jwk$|^d$/i;
const COMPACT_JWS = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;

/** How deep objects (and an error's chain of causes) are written; past it, `[nested]`. */
const MAX_DEPTH = 4;

/**
 * An error as a log line shows it: its stack, where the fault is found, and its causes
 * (a database error under a storage error), each with its stack. Only these members are
 * written, never the error's other own properties, which may hold anything (a request's
 * headers, a pg error's parameters); the text is redacted like any other string.
 */
function redactError(error: Error, depth: number): Record<string, unknown> {
  const { code } = error as { code?: unknown };
  return {
    name: error.name,
    message: redact(error.message),
    ...(code === undefined ? {} : { code: redact(code) }),
    ...(error.stack === undefined ? {} : { stack: redact(error.stack) }),
    ...(error.cause === undefined ? {} : { cause: redact(error.cause, depth + 1) }),
  };
}

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(COMPACT_JWS, '[token]');
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) return '[nested]';
  if (value instanceof Error) return redactError(value, depth);
  if (Array.isArray(value)) return value.slice(0, 20).map((item) => redact(item, depth + 1));
  const clean: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(value)) clean[name] = SECRET_NAME.test(name) ? '[redacted]' : redact(member, depth + 1);
  return clean;
}

/** @example const log = createLogger({ level: 'info' }); log.info('payment.authorised', { serial, amount }) */
export function createLogger(options: { level?: LogLevel; write?: (line: string) => void; fields?: LogFields } = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = options.fields ?? {};
  const emit =
    (level: LogLevel) =>
    (event: string, fields: LogFields = {}) => {
      if (LEVELS[level] < threshold) return;
      const requestId = currentRequestId();
      const context = requestId === undefined ? {} : { requestId };
      write(JSON.stringify({ time: new Date().toISOString(), level, event, ...(redact({ ...context, ...base, ...fields }) as LogFields) }));
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}
