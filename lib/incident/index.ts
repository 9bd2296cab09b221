/** The incident model's public surface: parse events into incidents, label severities, name executions. */
export type * from './model';
export { parseEvent, parseEvents, parseEventJson } from './parse';
export type { ParseOptions } from './parse';
export { EventParseError } from './errors';
export type { EventParseIssue } from './errors';
export { severityLabel, severityOf, alarmSeverity, ALARM_SEVERITY_SCORE } from './severity';
export { executionNameFor, findingKey, alarmKey } from './keys';
export { toIsoTime } from './time';
