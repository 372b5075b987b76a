// Structured JSON-lines logger. Secrets never reach the output: keys that name credentials
// are replaced with "[redacted]" at any depth, whatever the caller passes.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /pass(word)?|secret|token|credential|authorization|api[-_]?key|private[-_]?key|cookie/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? '[redacted]' : redact(item, depth + 1);
  }
  return out;
}

export interface LoggerOptions {
  /** @default process.env.MULTINIC_LOG_LEVEL or 'info' */
  level?: LogLevel;
  /** Where lines go. @default - process.stderr */
  write?: (line: string) => void;
  /** @default - the wall clock */
  now?: () => Date;
}

export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const envLevel = process.env['MULTINIC_LOG_LEVEL'];
  const level: LogLevel =
    options.level ?? (envLevel !== undefined && envLevel in LEVEL_ORDER ? (envLevel as LogLevel) : 'info');
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const now = options.now ?? (() => new Date());
  const emit = (at: LogLevel, message: string, fields?: LogFields): void => {
    if (LEVEL_ORDER[at] < LEVEL_ORDER[level]) return;
    const record = {
      time: now().toISOString(),
      level: at,
      msg: message,
      ...(redact({ ...base, ...fields }) as LogFields),
    };
    write(JSON.stringify(record));
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything; the default in libraries and tests. */
export const silentLogger: Logger = createLogger({ write: () => undefined });
