/** How a responder handler turns its module-scope logger into one that stamps the incident key. */
import { Logger } from '@aws-lambda-powertools/logger';
import type { IncidentLogger } from './logging';
import { loggerForIncident } from './logging';

/**
 * A Powertools logger gets a child with the incident key on every line; any other `IncidentLogger`
 * (a test's recorder, the local game day's silent logger) is used as it is.
 */
export function incidentLoggerFrom(logger: Logger | IncidentLogger, incidentKey: string): IncidentLogger {
  return logger instanceof Logger ? loggerForIncident(logger, incidentKey) : logger;
}
