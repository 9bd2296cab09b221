/**
 * A playbook execution's own input, as states:DescribeExecution returns it, read for the incident
 * it carries. Two checks ask "is this request about that execution?": publish-alert's approval
 * requests (approval-request.ts) and the containment guard (containment-guard-execution.ts). They
 * compare different things and word their refusals their own way, but the reading is one: the
 * input's JSON, and its `incident` checked as the responders' payloads are (incident-schema.ts).
 */
import type { Incident } from '../incident/model';
import { incidentSchema } from './incident-schema';

/** The execution input and its incident, or which of the two it lacks. */
export type ExecutionInputIncident =
  | { readonly input: unknown; readonly incident: Incident }
  | { readonly problem: 'not-json' | 'no-incident' };

/** Reads DescribeExecution's `input` text: its JSON value and the incident in it. */
export function executionInputIncident(text: string | undefined): ExecutionInputIncident {
  let input: unknown;
  try {
    input = JSON.parse(text ?? '');
  } catch {
    return { problem: 'not-json' };
  }
  const incident = incidentSchema.safeParse((input as { incident?: unknown } | null)?.incident);
  return incident.success ? { input, incident: incident.data } : { problem: 'no-incident' };
}

/** The EC2 instance an incident's resource is, if it is one (never the alarm's metric dimension). */
export function ec2InstanceOf(incident: Pick<Incident, 'resource'>): string | undefined {
  return incident.resource.kind === 'ec2-instance' ? incident.resource.instanceId : undefined;
}
