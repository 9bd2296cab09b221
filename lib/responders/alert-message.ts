/**
 * The alert a person on call reads: what was found, on what, where, how severe, what Firebreak did
 * and did NOT do, what to do next, and where to click. Pure: input in, subject + message + message
 * attributes out; `alert.ts` only publishes it.
 *
 * SNS limits shape it (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): the subject is
 * at most 100 printable ASCII characters without line breaks, the message at most 256 KiB, and a
 * message attribute may not have an empty value.
 *
 * The parts sit beside it: alert-model.ts (input, output, limits), alert-text.ts, alert-incident.ts,
 * alert-decision.ts (a guarded playbook's decision), alert-subject.ts (subject and attributes), and
 * the message's sections in alert-found.ts and alert-response.ts.
 */
import { isWellFormedInstanceId } from '../incident/identifiers';
import { consoleLinks } from './console-links';
import { containmentDecision, sectionContainmentDecision } from './alert-decision';
import { sectionWhatWasFound, sectionOnWhat, sectionWhere } from './alert-found';
import { sectionInstances, sectionLeftOut, sectionSequenceStory } from './alert-sequence';
import { sectionCredentials } from './alert-credentials';
import { isS3ObjectScan, malwareLinks, sectionMalwareScan, sectionRuntime } from './alert-malware';
import type { IncidentDetail } from './alert-details';
import type { Incident } from '../incident/model';
import { checkIncidentDetails, sectionUnreadableDetails } from './alert-details';
import { rawEventField, instanceIdOf, isSample } from './alert-incident';
import type { AlertInput, AlertMessage } from './alert-model';
import { MAX_LISTED_ACTIONS, MAX_MESSAGE_BYTES, alertInputSchema, stepSummaries, withGroupResults } from './alert-model';
import {
  ActionBudget,
  sectionDid,
  sectionDidNot,
  sectionNext,
  sectionApproval,
  sectionRefusal,
  sectionRawEvent,
  sectionFailure,
  sectionLinks,
  sectionExecution,
  openingLines,
} from './alert-response';
import { alertSubject, alertAttributes } from './alert-subject';
import { oneLine, toSnsSubject, utf8Prefix } from './alert-text';

// publish-alert's input schema and types, where its handler takes them from.
export { alertInputSchema };
export type { AlertInput, AlertMessage };

/** What the LINKS section says lives in the incident's account (a sequence's instances, a role's sessions…). */
function linkedResourceWords(incident: Incident): string {
  if (isS3ObjectScan(incident)) return 'object and its quarantine copy are';
  if (incident.resource.kind === 'ec2-instance') return 'instance and its snapshots are';
  if (incident.resource.kind === 'access-key') return 'credential is';
  return 'resources are';
}

/** The subject prefix of an alert Step Functions does not confirm (lib/responders/alert-origin.ts). */
export const UNVERIFIED_PREFIX = '[UNVERIFIED]';

/**
 * The first section of an alert Step Functions does not confirm: says so plainly, why (neutralized:
 * it can quote the input), and not to act on it.
 */
export function sectionUnverified(why: string): string[] {
  return [
    'NOT VERIFIED BY STEP FUNCTIONS',
    `Step Functions does not confirm that a Firebreak execution sent this alert: ${oneLine(why, 600)}.`,
    'Anyone allowed to invoke the publish-alert function could have written it: do not act on what it says was found, done, contained or approved.',
    'Check what Firebreak really did with `firebreak report` (and the execution itself in the Step Functions console), and find out who invoked publish-alert.',
  ];
}

/**
 * Builds the subject, plain-text message and message attributes of one alert. `unverified`: why
 * Step Functions does not confirm it came from a Firebreak execution (marked, first section).
 * `approvalDeadline`: when an approval request stops taking answers, as the approval function holds
 * them (publish-alert reads it with the request it stored: approval-request.ts); without it the
 * section counts the request's timeout from `now`. `approvalDeadlineLatestOnly`: the guard's grant
 * could not be read, so `approvalDeadline` is the latest, and the enforced one may be earlier.
 * `approvalOnTimeout`: what the guard's grant says the playbook does when nobody answers (row 10i).
 */
export function buildAlertMessage(
  claimed: AlertInput,
  context: {
    readonly now: Date;
    readonly unverified?: string;
    readonly approvalDeadline?: string;
    readonly approvalDeadlineLatestOnly?: boolean;
    readonly approvalOnTimeout?: 'contain' | 'evidence-only';
  },
): AlertMessage {
  // The incident's story fields are checked before any section reads them (alert-details.ts).
  let unreadable: readonly IncidentDetail[] = [];
  // A group's summary: its steps that succeeded count as results, as they do on a report.
  let input = withGroupResults(claimed);
  if (claimed.incident !== undefined) {
    const checked = checkIncidentDetails(claimed.incident);
    unreadable = checked.unreadable;
    input = { ...input, incident: checked.incident as NonNullable<AlertInput['incident']> };
  }
  const { incident } = input;
  const steps = stepSummaries(input.results);
  const budget = new ActionBudget(MAX_LISTED_ACTIONS);
  const account = incident?.account ?? rawEventField(input.rawEvent, 'account');
  const region = incident?.region ?? rawEventField(input.rawEvent, 'region');
  // No console link is built from an id that is not an instance id (triage refused it; the link would carry attacker text).
  const claimedInstanceId = incident !== undefined && !isSample(incident) ? instanceIdOf(incident) : undefined;
  const instanceId = claimedInstanceId !== undefined && isWellFormedInstanceId(claimedInstanceId) ? claimedInstanceId : undefined;
  const links = [
    ...consoleLinks({
      ...(region !== undefined ? { region } : {}),
      ...(incident?.guardDuty?.findingId !== undefined ? { findingId: incident.guardDuty.findingId } : {}),
      ...(incident?.alarm?.alarmName !== undefined ? { alarmName: incident.alarm.alarmName } : {}),
      ...(instanceId !== undefined ? { instanceId } : {}),
      ...(input.execution?.executionArn !== undefined ? { executionArn: input.execution.executionArn } : {}),
    }),
    // The scanned S3 object, or the finding that triggered an EC2 scan (issue 12).
    ...(incident !== undefined && !isSample(incident) ? malwareLinks(incident) : []),
  ];

  const decision = containmentDecision(input);
  const sections: string[][] = [
    ...(context.unverified !== undefined ? [sectionUnverified(context.unverified)] : []),
    openingLines(input),
    sectionContainmentDecision(decision),
  ];
  if (input.kind === 'approval-request') sections.push(sectionApproval(input, context.now, context.approvalDeadline, context.approvalDeadlineLatestOnly === true, context.approvalOnTimeout));
  if (input.kind === 'failure') sections.push(sectionFailure(input));
  if (incident !== undefined) {
    sections.push(sectionWhatWasFound(incident), sectionOnWhat(incident, steps), sectionWhere(account, region, incident));
    // Multi-resource incidents (issue 12): the sequence's story, then each instance's outcome.
    sections.push(sectionSequenceStory(incident), sectionLeftOut(incident), sectionInstances(incident, steps), sectionCredentials(incident, steps));
    // Malware scans and runtime threats (issue 12): the scan's detections, the process and its lineage.
    sections.push(sectionMalwareScan(incident), sectionRuntime(incident), sectionUnreadableDetails(unreadable));
  } else {
    if (input.kind === 'invalid-event') sections.push(sectionRefusal(input));
    if (input.rawEvent !== undefined || input.kind === 'invalid-event') sections.push(sectionRawEvent(input));
    if (account !== undefined || region !== undefined) sections.push(sectionWhere(account, region));
  }
  if (input.kind !== 'invalid-event') {
    sections.push(sectionDid(input, steps, budget), sectionDidNot(input, steps, budget, decision));
  }
  sections.push(sectionNext(input, steps, decision), sectionLinks(links, incident?.account, incident !== undefined ? linkedResourceWords(incident) : undefined), sectionExecution(input, context.now));

  const filled = sections.filter((s) => s.length > 0);
  const text = filled.map((s) => s.join('\n')).join('\n\n');
  const capped = utf8Prefix(text, MAX_MESSAGE_BYTES - 200);
  const message = capped.truncated ? `${capped.text}\n\n[Message cut at ${MAX_MESSAGE_BYTES} bytes; the execution history has everything.]` : text;
  const subject = alertSubject(input, decision);
  return { subject: context.unverified !== undefined ? toSnsSubject(`${UNVERIFIED_PREFIX} ${subject}`) : subject, message, attributes: alertAttributes(input), sections: filled, links };
}
