/** The incident model's public surface: parse events into incidents, label severities, name executions. */
export type * from './model';
export { parseEvent, parseEvents, parseEventJson } from './parse';
export type { ParseOptions } from './parse';
export { EventParseError } from './errors';
export type { EventParseIssue } from './errors';
export { severityLabel, severityOf, alarmSeverity, ALARM_SEVERITY_SCORE } from './severity';
export { executionNameFor, findingKey, alarmKey, incidentKey, isGameDayKey } from './keys';
export { identifierIssues, describeIdentifierIssue, isPlaceholderInstanceId, isWellFormedInstanceId } from './identifiers';
export type { IdentifierIssue } from './identifiers';
export { toIsoTime } from './time';
