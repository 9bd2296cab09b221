/** How a responder handler turns its module-scope logger into one that stamps the incident key. */
import type { IncidentLogger } from './logging';
import { ResponderLogger, loggerForIncident } from './logging';

/**
 * A Lambda's `ResponderLogger` gets a child with the incident key on every line; any other
 * `IncidentLogger` (a test's recorder, the local game day's silent logger) is used as it is.
 */
export function incidentLoggerFrom(logger: IncidentLogger, incidentKey: string): IncidentLogger {
  return logger instanceof ResponderLogger ? loggerForIncident(logger, incidentKey) : logger;
}
