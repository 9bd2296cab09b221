/**
 * The words a playbook's `match:` and name are made of, shared by the playbook validator
 * (schema.ts, build time) and the routing table triage reads (routing.ts, in the triage Lambda):
 * here, apart from the validator, so that the triage bundle does not carry the validator.
 */
import type { ResourceKind } from '../incident/model';

export const PLAYBOOK_NAME_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export const INCIDENT_SOURCES = ['guardduty', 'cloudwatch'] as const;
export const RESOURCE_KINDS = ['ec2-instance', 'access-key', 'other', 'none'] as const satisfies readonly ResourceKind[];
export const RESOURCE_ROLES = ['TARGET', 'ACTOR'] as const;
/**
 * Only ALARM starts a playbook: an alarm returning to OK means the condition cleared, and
 * INSUFFICIENT_DATA means nothing is known (CloudWatch docs, "Alarm states").
 */
export const STARTING_ALARM_STATES = ['ALARM'] as const;
