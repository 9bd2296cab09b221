/**
 * The alert's SNS subject (at most 100 printable ASCII characters, no line break) and its message
 * attributes (for subscription filter policies; none may be empty).
 */
import { affectedResources } from '../incident/affected';
import type { AffectedResource, Incident } from '../incident/model';
import { neutralizeText } from './untrusted-text';
import { sequenceLeftOutActedOn } from './alert-sequence';
import { rolesNamed } from './credential-targets';
import type { ContainmentDecision } from './alert-decision';
import { rawEventField, reasonHeadline, resourceId, isGameDay, isSample } from './alert-incident';
import type { AlertKind, AlertInput, SnsMessageAttribute } from './alert-model';
import { MAX_SUBJECT_LENGTH, isolatingStep, pausedSteps, stepSummaries } from './alert-model';
import { toPrintableAscii, toSnsSubject, oneLine } from './alert-text';

const KIND_PREFIX: Readonly<Record<AlertKind, string>> = {
  report: '',
  failure: '[FAILED]',
  'invalid-event': '[INVALID EVENT]',
  'approval-request': '[APPROVAL NEEDED]',
  'triage-only': '[NO ACTION]',
};

/**
 * The markers of the subject's front ([SAMPLE], [GAME DAY], [DRY-RUN], [PAUSED], the kinds, the
 * decision's, [UNVERIFIED] and [ALERT CHANNEL FAILED] of alert.ts, [FIREBREAK PAUSED] and [FIREBREAK
 * RESUMED] of pause-control.ts), as a title, a target or a raw event may quote them: GuardDuty's own
 * [SAMPLE], an alarm's name or its InstanceId dimension, which whoever created it chose. The subject
 * says each only in front, and only when it holds. Matched in the text as the subject prints it
 * (ASCII): a fullwidth ［GAME DAY］ or one split by a zero-width character would otherwise come out
 * of the transliteration as the marker itself.
 */
const QUOTED_MARKER =
  /\[\s*(?:SAMPLE|GAME[\s-]*DAY|DRY[\s-]*RUN|PAUSED|FAILED|NO\s+ACTION|INVALID\s+EVENT|(?:NOT\s+)?CONTAINED|APPROVAL\s+NEEDED|UNVERIFIED|ALERT\s+CHANNEL|FIREBREAK\s+(?:PAUSED|RESUMED)|BLAST[\s-]*RADIUS|OVERSIZED[\s-]*EVENT)\b[^\]]*\]\s*/gi;

/** Text of the finding or event as the subject prints it: printable ASCII, without any marker it quotes. */
function unmarked(text: string): string {
  return toPrintableAscii(text).replace(QUOTED_MARKER, '').trim();
}

/**
 * The subject: markers that change how a reader should take it (game day, dry-run, sample, kind)
 * first, so truncation never drops them; then severity, finding type, resource and title.
 * `decision` is the alert's containment decision (alert-decision.ts), which the message states too.
 */
export function alertSubject(input: AlertInput, decision: ContainmentDecision | undefined): string {
  const { incident } = input;
  // "Not contained" changes what the reader must do, so it is a marker too: a subject that only
  // names a backdoor finding reads as handled.
  // A failure alert whose results show the instance isolated says so: "[FAILED]" alone reads as
  // if nothing was contained (a snapshot that failed beside a quarantine that worked).
  const contained = input.kind === 'failure' && !isSample(incident) && isolatingStep(stepSummaries(input.results)) !== undefined;
  // An instance or credential the parser's limits left out of a sequence got no execution (row 8k).
  const leftOut = sequenceLeftOutActedOn(incident) ? 'NOT CONTAINED: resources left out' : undefined;
  // A decision that held containment back says so first (its marker is why nothing ran); one that
  // let it run (CONTAINED WITHOUT APPROVAL) comes after the left-out marker, which it would hide.
  const heldBack = decision?.containmentRan === false ? decision.marker : undefined;
  const marker = heldBack ?? leftOut ?? decision?.marker ?? (contained ? 'CONTAINED' : undefined);
  const kindPrefix =
    marker === undefined ? KIND_PREFIX[input.kind] : input.kind === 'approval-request' ? `[APPROVAL NEEDED: ${marker}]` : `${KIND_PREFIX[input.kind]}[${marker}]`;
  const prefix = [
    isGameDay(input) ? '[GAME DAY]' : '',
    input.mode === 'dry-run' ? '[DRY-RUN]' : '',
    // The deployment was paused: containment ran dry-run whatever the mode the execution claims,
    // whether the guard cleared it under the pause or a step found the pause after the guard.
    pausedSteps(stepSummaries(input.results)).length > 0 ? '[PAUSED]' : '',
    isSample(incident) ? '[SAMPLE]' : '',
    kindPrefix,
  ].join('');
  let body: string;
  if (incident === undefined) {
    const source = rawEventField(input.rawEvent, 'source');
    const detailType = rawEventField(input.rawEvent, 'detail-type');
    const what = [source, detailType].filter((x) => x !== undefined).join(' ');
    // The event's source, detail-type and the reason quoting it are the sender's text.
    body = unmarked(
      input.kind === 'invalid-event'
        ? `Unparseable ${detailType ?? 'event'}${source !== undefined ? ` from ${source}` : ''}: ${reasonHeadline(input) ?? 'no reason given'}`
        : `Firebreak ${input.failure?.step ?? 'dispatch'} failed${what ? ` on ${what}` : ''}: ${input.failure?.error ?? 'unknown error'}`,
    );
  } else {
    // The target is the alarm's InstanceId dimension when the alarm names one (any text on a custom
    // namespace), and the finding type is whatever a forged event says: neither may carry a marker.
    const on = unmarked(subjectTarget(incident) ?? '');
    const title = unmarked(incident.title);
    const target = on !== '' ? ` on ${on}` : '';
    const findingType = shortenedFindingType(prefix, incident.severity.label, unmarked(incident.findingType), target);
    body = `${incident.severity.label}: ${findingType}${target}${title !== '' ? ` - ${title}` : ''}`;
  }
  return subjectText(`${prefix} ${body}`);
}

/** Neutralized after the ASCII transliteration, which would otherwise turn a fullwidth ｈｔｔｐ:// back into a link. */
const subjectText = (text: string) => toSnsSubject(neutralizeText(toPrintableAscii(text), 4 * MAX_SUBJECT_LENGTH));

/** What is left of a title cut to nothing: its separator and toSnsSubject's ellipsis. */
const TITLE_CUT = ' - ...';

/** The fewest characters of a finding type a shortened subject keeps (its family: `DefenseEvasion:Runt...`). */
const MIN_FINDING_TYPE = 12;

/**
 * The finding type as the subject shows it: whole when the subject then still names its target,
 * else cut (`...`) so that it does. The subject is cut at 100 characters, and behind the markers a
 * long finding type (GuardDuty's runtime types run to 58 characters) pushed the instance out of it,
 * and out of the SMS, which repeats the subject; the message names the whole finding type anyway.
 */
function shortenedFindingType(prefix: string, severity: string, findingType: string, target: string): string {
  const head = (type: string) => subjectText(`${prefix} ${severity}: ${type}${target}`);
  if (target === '' || !head(findingType).endsWith('...')) return findingType;
  // Room for the finding type's `...`, and for ` - ...` where toSnsSubject cuts the title, so that
  // the target never reads as running on (measured around one character: an empty type would leave
  // two spaces, which collapse).
  const room = MAX_SUBJECT_LENGTH - (head('x').length - 1) - 3 - TITLE_CUT.length;
  return room >= findingType.length ? findingType : `${findingType.slice(0, Math.max(MIN_FINDING_TYPE, room)).trimEnd()}...`;
}

/** What the subject counts for each attack-sequence family: the resources its playbook acts on or lists. */
const SEQUENCE_COUNTS: readonly { readonly prefix: string; readonly kind: AffectedResource['kind']; readonly noun: string }[] = [
  { prefix: 'AttackSequence:EC2/', kind: 'ec2-instance', noun: 'instances' },
  { prefix: 'AttackSequence:S3/', kind: 's3-bucket', noun: 'buckets' },
  { prefix: 'AttackSequence:EKS/', kind: 'eks-cluster', noun: 'EKS clusters' },
  { prefix: 'AttackSequence:ECS/', kind: 'ecs-cluster', noun: 'ECS clusters' },
];

/**
 * What the subject says the incident is on: its resource, or, for an attack sequence naming more
 * than one resource of its family's kind, how many (`on 4 instances`): the top-level resource of a
 * sequence is only one of them, and a subject naming it reads as a one-machine incident. Unverified
 * entries are not counted (their ids are claims the parser could not check). An IAM sequence's
 * credentials are of two kinds, each counted on its own (`on 2 access keys and 1 role`): users'
 * long-term keys, and roles (a role counts once, however many of its sessions the sequence names).
 */
function subjectTarget(incident: Incident): string | undefined {
  const on = resourceId(incident);
  if (incident.findingType.startsWith('AttackSequence:IAM/')) return credentialCount(incident) ?? on;
  const family = SEQUENCE_COUNTS.find((entry) => incident.findingType.startsWith(entry.prefix));
  if (family === undefined) return on;
  const count = affectedResources(incident).filter((resource) => resource.kind === family.kind).length;
  return count > 1 ? `${count} ${family.noun}` : on;
}

/** `2 access keys and 1 role`: the credentials of an IAM sequence by kind, when it names more than one. */
function credentialCount(incident: Incident): string | undefined {
  const keys = new Set<string>();
  for (const resource of affectedResources(incident)) {
    if (resource.kind === 'access-key' && resource.userType === 'IAMUser' && !resource.temporary) keys.add(`${resource.account ?? incident.account}|${resource.accessKeyId}`);
  }
  // The roles as revoke-role-sessions counts them: once per account, whatever sessions are named.
  const roles = rolesNamed(incident).length;
  if (keys.size + roles < 2) return undefined;
  const counted = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
  return [keys.size > 0 ? counted(keys.size, 'access key') : undefined, roles > 0 ? counted(roles, 'role') : undefined].filter((part) => part !== undefined).join(' and ');
}

function attributeValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const clean = oneLine(value, 256);
  return clean === '' ? undefined : clean;
}

/**
 * Message attributes subscribers can filter on (https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html).
 * Attributes without a value are left out: SNS rejects an empty StringValue.
 */
export function alertAttributes(input: AlertInput): Record<string, SnsMessageAttribute> {
  const { incident } = input;
  const strings: Record<string, string | undefined> = {
    severity: incident?.severity.label,
    playbook: input.playbook ?? input.execution?.playbook ?? undefined,
    account: incident?.account ?? rawEventField(input.rawEvent, 'account'),
    incident_key: incident?.key,
    mode: input.mode,
    kind: input.kind,
    source: incident?.source ?? rawEventField(input.rawEvent, 'source'),
  };
  const attributes: Record<string, SnsMessageAttribute> = {};
  for (const [name, raw] of Object.entries(strings)) {
    const value = attributeValue(raw);
    if (value !== undefined) attributes[name] = { DataType: 'String', StringValue: value };
  }
  if (incident !== undefined && Number.isFinite(incident.severity.score)) {
    attributes.severity_score = { DataType: 'Number', StringValue: String(incident.severity.score) };
  }
  return attributes;
}
