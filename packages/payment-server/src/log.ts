/**
 * Structured logs, one JSON object a line. Nothing secret may reach them: members whose
 * names say they hold a secret are replaced, and so is any string shaped like a token,
 * wherever it hides (a URL, an error message), because a log line is read by more
 * people, for longer, than the request that wrote it.
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

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(COMPACT_JWS, '[token]');
  if (value instanceof Error) return { name: value.name, message: redact(value.message), code: (value as { code?: unknown }).code };
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 4) return '[nested]';
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
      write(JSON.stringify({ time: new Date().toISOString(), level, event, ...(redact({ ...base, ...fields }) as LogFields) }));
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}
