/** The incident model's public surface: parse events into incidents, label severities, name executions, list affected resources and signals. */
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
export { affectedResources, unverifiedResources } from './affected';
export { incidentSignals } from './signals';
export { findingTypeParts } from './finding-family';
export type { FindingTypeParts } from './finding-family';
export { S3_OBJECT_SCAN_DETAIL_TYPE } from './schemas';
