/**
 * The incident's budget of a Step Functions payload. The incident rides in triage's answer, in the
 * playbook's execution input and in every state of the playbook after it, beside the step results:
 * all of it must stay under 256 KiB (lib/contracts/payload-size.ts), or the state fails with
 * States.DataLimitExceeded, which no Catch on States.ALL handles, and the event is lost. Each list
 * the parser copies from the event has its own cap and budget; this is the bound of the whole, made
 * at parse time so that it is deterministic (the containment guard binds a grant to the digest of
 * the parsed incident: lib/responders/grants.ts).
 */
import { payloadBytesOver } from '../contracts/payload-size';
import type { Incident, IncidentClipping } from './model';

/**
 * 96 KiB of UTF-8 JSON: what the sections of an incident can sum to when the event is forged or
 * runaway is more than that, and it leaves the rest of the 256 KiB to triage's answer (the record
 * write, the per-instance targets) and to the step results a playbook adds to its state.
 */
export const INCIDENT_BUDGET_BYTES = 128 * 1024;

/**
 * Sections that only inform the alert, in the order they are left out while the incident is over
 * its budget. What a decision or a responder reads (the resource's id, the affected resources, the
 * malware scan's status) is never among them.
 */
const ALERT_ONLY_SECTIONS: readonly { readonly name: string; readonly leaveOut: (incident: Incident) => Incident | undefined }[] = [
  {
    name: 'tags',
    leaveOut: (incident) =>
      incident.resource.kind === 'ec2-instance' && Object.keys(incident.resource.tags).length > 0 ? { ...incident, resource: { ...incident.resource, tags: {} } } : undefined,
  },
  {
    name: 'networkInterfaces',
    leaveOut: (incident) =>
      incident.resource.kind === 'ec2-instance' && incident.resource.networkInterfaces.length > 0 ? { ...incident, resource: { ...incident.resource, networkInterfaces: [] } } : undefined,
  },
  { name: 'signals', leaveOut: ({ signals, ...incident }) => (signals === undefined ? undefined : incident) },
  { name: 'sequence', leaveOut: ({ sequence, ...incident }) => (sequence === undefined ? undefined : incident) },
  { name: 'runtime', leaveOut: ({ runtime, ...incident }) => (runtime === undefined ? undefined : incident) },
  {
    name: 'malwareScan.threats',
    leaveOut: (incident) =>
      incident.malwareScan !== undefined && incident.malwareScan.threats.length > 0 ? { ...incident, malwareScan: { ...incident.malwareScan, threats: [] } } : undefined,
  },
  { name: 'description', leaveOut: ({ description, ...incident }) => (description === undefined ? undefined : incident) },
];

/** The affected resources: left out of a lean incident after the alert-only sections but its description. */
const AFFECTED_SECTION: { readonly name: string; readonly leaveOut: (incident: Incident) => Incident | undefined } = {
  name: 'affected',
  leaveOut: ({ affected, ...incident }) => (affected === undefined ? undefined : incident),
};

const NOTHING_CLIPPED: IncidentClipping = { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [] };

/** The incident, with alert-only sections left out (and named in `clipped.sections`) until it is within its budget. */
export function withinIncidentBudget(incident: Incident): Incident {
  return leavingOut(incident, ALERT_ONLY_SECTIONS, (fitted) => payloadBytesOver(fitted, INCIDENT_BUDGET_BYTES) === undefined);
}

/**
 * The incident, with alert-only sections left out (and named in `clipped.sections`) until it is within
 * `budgetBytes`: triage asks for less than the incident's budget when its answer would be over its own
 * (lib/responders/triage-handler.ts, row 1zi), so that the playbook still starts. What a decision or a
 * responder reads is never among those sections, nor the attack sequence's: its `leftOut` names the
 * instances and credentials the parser's limits left out, which the alert says were NOT contained
 * (row 8k), and a playbook started without it would let them go unmentioned.
 */
export function withinBytes(incident: Incident, budgetBytes: number): Incident {
  const sections = ALERT_ONLY_SECTIONS.filter((section) => section.name !== 'sequence');
  return leavingOut(incident, sections, (fitted) => payloadBytesOver(fitted, budgetBytes) === undefined);
}

/**
 * The incident with every section that can be large left out (named in `clipped.sections`): its
 * identity, resource id, texts and times, enough for an alert. For triage's answer over its budget.
 */
export function leanIncident(incident: Incident): Incident {
  // Every section that can be large, left out: what an alert-only decision still carries when the
  // whole answer was too large. Listed here, not at module scope: a module-scope `.filter(…)` call
  // would keep both lists in every bundle that imports this module for describeClipping alone
  // (publish-alert, oversized-event).
  const lean = [...ALERT_ONLY_SECTIONS.filter((section) => section.name !== 'description'), AFFECTED_SECTION];
  return leavingOut(incident, lean, () => false);
}

function leavingOut(
  incident: Incident,
  candidates: readonly { readonly name: string; readonly leaveOut: (incident: Incident) => Incident | undefined }[],
  fits: (incident: Incident) => boolean,
): Incident {
  let fitted = incident;
  const sections: string[] = [];
  for (const section of candidates) {
    if (fits(fitted)) break;
    const without = section.leaveOut(fitted);
    if (without === undefined) continue;
    fitted = without;
    sections.push(section.name);
  }
  if (sections.length === 0) return incident;
  const clipped = incident.clipped ?? NOTHING_CLIPPED;
  return { ...fitted, clipped: { ...clipped, sections: [...clipped.sections, ...sections] } };
}

/** Names what was left out of the incident, for the alert; undefined when nothing was. */
export function describeClipping(clipped: IncidentClipping | undefined): string | undefined {
  if (clipped === undefined) return undefined;
  const counted = [
    [clipped.tags, 'tag(s)'],
    [clipped.networkInterfaces, 'network interface(s)'],
    [clipped.securityGroups, 'security group(s)'],
  ] as const;
  const parts = counted.filter(([count]) => count > 0).map(([count, what]) => `${count} ${what} left out`);
  if (clipped.texts > 0) parts.push(`${clipped.texts} tag or group name(s) cut to EC2's length`);
  if (clipped.sections.length > 0) parts.push(`left out whole: ${clipped.sections.join(', ')}`);
  const event = clipped.event === undefined ? undefined : eventClippingNote(clipped.event);
  if (parts.length === 0) return event;
  const shortened = `Shortened to fit a Step Functions payload (256 KiB): ${parts.join('; ')}. The finding itself (GuardDuty console) has everything.`;
  return event === undefined ? shortened : `${event} ${shortened}`;
}

/** What the alert and triage's reasons say of an incident parsed from the intake's clipped copy of its event, and whether GuardDuty confirmed it. */
export function eventClippingNote(event: NonNullable<IncidentClipping['event']>): string {
  const confirmation =
    event.confirmed === true
      ? " GuardDuty's own copy of the finding (GetFindings) matched the event, so it is treated as GuardDuty's."
      : ' It was not confirmed with GuardDuty (GetFindings): any containment waits for a person\'s approval.';
  return `The event was ${event.originalBytes} bytes, over Step Functions' 256 KiB: Firebreak's oversized-event intake clipped it before triage (its lists keep their first items, its long texts their first characters); the deployment's event archive holds it whole.${confirmation}`;
}
