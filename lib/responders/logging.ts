/**
 * Structured logging for responders: the Powertools logger, with the incident key on every line.
 * Domain code depends only on `IncidentLogger`, so tests can pass a silent or recording logger.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export interface IncidentLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** One module-scope logger per Lambda (created once, reused across invocations). */
export function createResponderLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/** A child logger that stamps `incidentKey` on every line it writes. */
export function loggerForIncident(logger: Logger, incidentKey: string): IncidentLogger {
  return logger.createChild({ persistentKeys: { incidentKey } });
}

/** A logger that writes nothing (tests, the local game day's quiet mode). */
export const silentLogger: IncidentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
