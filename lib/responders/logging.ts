/**
 * Structured logging for responders: one JSON object per line, which CloudWatch Logs reads as one
 * record, with the incident key on every line of an invocation. Domain code depends only on
 * `IncidentLogger`, so tests can pass a silent or recording logger.
 *
 * Written here instead of taken from Powertools' logger: a responder needs levels, a service name,
 * persistent keys and safe JSON, and Powertools' logger put about 20 KB and 15 ms of module
 * initialisation into every bundle (its buffering, sampling and context injection unused), on a
 * critical path of three cold starts (issue 10). The records keep the keys Powertools wrote
 * (`level`, `message`, `timestamp`, `service`, `xray_trace_id`), so log queries keep working, and
 * the level is read from the same variables, Lambda's advanced logging controls first.
 */

export interface IncidentLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Severity order of the level names Lambda's advanced logging controls and Powertools use. */
const LEVELS = { TRACE: 6, DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24, FATAL: 24, SILENT: 28 } as const;
type LevelName = keyof typeof LEVELS;

/**
 * Where the level comes from, first set wins: the function's log level under Lambda's advanced
 * logging controls (records below it would be dropped by Lambda anyway), then the variables
 * Powertools read, so an existing setting keeps working.
 */
const LEVEL_VARIABLES = ['AWS_LAMBDA_LOG_LEVEL', 'POWERTOOLS_LOG_LEVEL', 'LOG_LEVEL'] as const;

function isLevelName(name: string): name is LevelName {
  return Object.hasOwn(LEVELS, name);
}

/** The threshold the environment sets (INFO when none or an unknown name is set). */
export function logLevelFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): number {
  for (const variable of LEVEL_VARIABLES) {
    const name = env[variable]?.trim().toUpperCase();
    if (name !== undefined && isLevelName(name)) return LEVELS[name];
  }
  return LEVELS.INFO;
}

/** The X-Ray trace id Lambda sets per invocation (`Root=1-…;Parent=…;Sampled=…`), if any. */
function traceId(): string | undefined {
  return process.env._X_AMZN_TRACE_ID?.split(';')[0]?.replace(/^Root=/, '') || undefined;
}

/** JSON for anything a log call is given: errors with their name, message, stack and cause; bigints as text; no cycles. */
function toJson(record: Record<string, unknown>): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(record, (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) {
      return { name: value.name, message: value.message, stack: value.stack, ...(value.cause !== undefined ? { cause: value.cause } : {}) };
    }
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[Circular]';
      seen.add(value);
    }
    return value;
  });
}

export interface ResponderLoggerOptions {
  /** The `service` of every record: the responder's name. */
  readonly service: string;
  /** Keys on every record (e.g. the incident key). */
  readonly keys?: Readonly<Record<string, unknown>>;
  /** Records below this level are not written. @default logLevelFromEnvironment() */
  readonly threshold?: number;
  /** Where a line goes. @default process.stdout (Lambda sends it to CloudWatch Logs) */
  readonly write?: (line: string) => void;
}

/** A Lambda's logger: JSON lines with the level, message, time, service, trace id and its keys. */
export class ResponderLogger implements IncidentLogger {
  private readonly service: string;
  private readonly keys: Readonly<Record<string, unknown>>;
  private readonly threshold: number;
  private readonly write: (line: string) => void;

  constructor(options: ResponderLoggerOptions) {
    this.service = options.service;
    this.keys = options.keys ?? {};
    this.threshold = options.threshold ?? logLevelFromEnvironment();
    this.write = options.write ?? ((line) => void process.stdout.write(line));
  }

  /** A logger that adds `keys` to every record, the same service, level and output. */
  withKeys(keys: Readonly<Record<string, unknown>>): ResponderLogger {
    return new ResponderLogger({ service: this.service, keys: { ...this.keys, ...keys }, threshold: this.threshold, write: this.write });
  }

  debug(message: string, ...extra: Record<string, unknown>[]): void {
    this.log('DEBUG', message, extra);
  }

  info(message: string, ...extra: Record<string, unknown>[]): void {
    this.log('INFO', message, extra);
  }

  warn(message: string, ...extra: Record<string, unknown>[]): void {
    this.log('WARN', message, extra);
  }

  error(message: string, ...extra: Record<string, unknown>[]): void {
    this.log('ERROR', message, extra);
  }

  private log(level: LevelName, message: string, extra: readonly Record<string, unknown>[]): void {
    if (LEVELS[level] < this.threshold) return;
    const own = { level, message, timestamp: new Date().toISOString(), service: this.service, xray_trace_id: traceId() };
    // The record's own keys come first and win: an extra named `level` or `message` cannot forge them.
    this.write(`${toJson({ ...own, ...this.keys, ...Object.assign({}, ...extra), ...own })}\n`);
  }
}

/** One module-scope logger per Lambda (created once, reused across invocations). */
export function createResponderLogger(serviceName: string): ResponderLogger {
  return new ResponderLogger({ service: serviceName });
}

/** A child logger that stamps `incidentKey` on every line it writes. */
export function loggerForIncident(logger: ResponderLogger, incidentKey: string): IncidentLogger {
  return logger.withKeys({ incidentKey });
}

/** A logger that writes nothing (tests, the local game day's quiet mode). */
export const silentLogger: IncidentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
