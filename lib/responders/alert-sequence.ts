/**
 * The story of a multi-resource incident, for the one alert an attack sequence gets: the sequence
 * as GuardDuty correlated it (its signals in time order, its actors, its endpoints and indicators:
 * GuardDuty's and the attacker's words, quoted as claims, never as facts), then what happened to
 * each instance (the `contain-each-instance` step's per-instance executions: contained, evidence
 * only and why, waiting for a person, handled by an earlier revision, failed, or never started),
 * with the console links of each instance and each execution. Everything is cut so the whole
 * message stays within the alert's byte budget (alert-model.ts), far below SNS's 256 KiB.
 */
import * as z from '../contracts/zod-mini';
import { affectedResources } from '../incident/affected';
import { isWellFormedInstanceId } from '../incident/identifiers';
import { incidentSignals } from '../incident/signals';
import type { AttackSequenceContext, Incident, IncidentSignal, SequenceActor, SequenceEndpoint } from '../incident/model';
import { PER_INSTANCE_ACTION, unconfirmedIntakeRefusal } from '../playbooks/fan-out-names';
import type { StepSummary } from './alert-model';
import { oneLine } from './alert-text';
import { ec2InstanceLink, executionLink } from './console-links';
import { defangHost, quoteUntrusted } from './untrusted-text';
import { asEarlierRan, describeAlreadyStarted, earlierExecutionSchema } from './alert-earlier';

/** Lines each list may take: a story a person reads on call, not the whole sequence (the console has it). */
const LIMITS = { signals: 25, actors: 10, endpoints: 10, indicators: 10, instances: 50, leftOut: 50 } as const;

// z.lazy: built the first time a fleet playbook's outcomes are read, not at cold start.
/** One item of the Map's result (compile-per-instance.ts), read loosely: a newer shape is shown as far as it reads. */
const perInstanceOutcomeSchema = z.lazy(() =>
  z.looseObject({
    instanceId: z.string(),
    account: z.optional(z.string()),
    region: z.optional(z.string()),
    executionName: z.optional(z.string()),
    executionArn: z.optional(z.string()),
    status: z.string(),
    guard: z.optional(z.string()),
    reasons: z.optional(z.array(z.string())),
    error: z.optional(z.string()),
    cause: z.optional(z.string()),
    // An ALREADY_STARTED item's earlier execution, read again (compile-per-instance.ts).
    earlier: z.optional(earlierExecutionSchema()),
  }),
);

type PerInstanceOutcome = z.output<typeof perInstanceOutcomeSchema>;

/** The per-instance outcomes of the `contain-each-instance` step, if the playbook ran one. */
export function perInstanceOutcomes(steps: readonly StepSummary[]): PerInstanceOutcome[] | undefined {
  const step = steps.find((candidate) => candidate.result?.responder === PER_INSTANCE_ACTION);
  if (step === undefined) return undefined;
  const instances = (step.result as { instances?: unknown } | null)?.instances;
  if (!Array.isArray(instances)) return [];
  return instances.flatMap((item) => {
    const parsed = perInstanceOutcomeSchema.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}

/** True when the instance is not contained by this run nor, as far as its execution says, by an earlier revision's: a person must look. */
export function instanceHeld(outcome: PerInstanceOutcome): boolean {
  const effective = asEarlierRan(outcome);
  // An earlier revision whose execution could not be read is not counted: its own alert said.
  if (effective.status === 'ALREADY_STARTED') return false;
  return !(effective.status === 'SUCCEEDED' && effective.guard === 'proceed');
}

/** What happened to one instance, in one sentence. */
export function describeOutcome(outcome: PerInstanceOutcome): string {
  return outcome.status === 'ALREADY_STARTED' ? describeAlreadyStarted(outcome, describeRun) : describeRun(outcome);
}

/** One execution's outcome for an instance: its status, then its guard's answer. */
function describeRun(outcome: PerInstanceOutcome): string {
  const firstReason = outcome.reasons?.[0];
  const why = firstReason !== undefined ? `: ${oneLine(firstReason, 300)}` : '';
  if (outcome.status === 'RUNNING') {
    return 'its execution is still RUNNING (waiting for an approval or a retry): NOT contained yet';
  }
  if (outcome.status === 'TIMED_OUT' || outcome.status === 'ABORTED') {
    return `its execution ended ${outcome.status}: NOT contained by it; check the instance now`;
  }
  if (outcome.status === 'FAILED') {
    return `FAILED (${oneLine(outcome.error ?? 'unknown error', 120)}): its execution alerted the failure; check the instance now`;
  }
  switch (outcome.guard) {
    case 'proceed':
      return 'CONTAINED: the containment guard cleared it, its steps ran (isolation, evidence)';
    case 'evidence-only':
      return `NOT contained, evidence only${why}`;
    case 'needs-approval':
      return `a person was asked to approve its containment (the approval record says the answer)${why}`;
    default:
      return `ended ${oneLine(outcome.status, 40)}, guard answered ${oneLine(outcome.guard ?? 'nothing', 40)}`;
  }
}

function signalLine(signal: IncidentSignal, index: number): string {
  const when = signal.firstSeen ?? signal.created ?? signal.lastSeen ?? 'time unknown';
  const severity = signal.severity !== undefined ? ` ${signal.severity.label}` : '';
  const count = signal.count !== undefined && signal.count > 1 ? ` x${signal.count}` : '';
  const refs = [
    signal.resourceUids.length > 0 ? `resources ${signal.resourceUids.join(', ')}` : undefined,
    signal.actorIds.length > 0 ? `actors ${signal.actorIds.join(', ')}` : undefined,
    signal.endpointIds.length > 0 ? `endpoints ${signal.endpointIds.join(', ')}` : undefined,
  ].filter((part): part is string => part !== undefined);
  return `    ${index + 1}. ${oneLine(when, 40)} ${oneLine(signal.type, 40)}${severity}${count} ${quoteUntrusted(signal.name.untrusted, 120)}${refs.length > 0 ? ` (${oneLine(refs.join('; '), 300)})` : ''}`;
}

function actorLine(actor: SequenceActor): string {
  const parts: string[] = [];
  if (actor.user !== undefined) {
    const facts = [actor.user.type, actor.user.account !== undefined ? `account ${actor.user.account}` : undefined, actor.user.credentialUid !== undefined ? `credential ${actor.user.credentialUid}` : undefined]
      .filter((part): part is string => part !== undefined);
    parts.push(`user ${quoteUntrusted(actor.user.name.untrusted, 128)}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`);
  }
  if (actor.session !== undefined) {
    const facts = [actor.session.mfaStatus !== undefined ? `MFA ${actor.session.mfaStatus}` : undefined, actor.session.issuer !== undefined ? `issued by ${actor.session.issuer}` : undefined, actor.session.created !== undefined ? `created ${actor.session.created}` : undefined]
      .filter((part): part is string => part !== undefined);
    if (facts.length > 0) parts.push(`session ${facts.join(', ')}`);
  }
  if (actor.process !== undefined) parts.push(`process ${quoteUntrusted(actor.process.name.untrusted, 128)}${actor.process.sha256 !== undefined ? ` sha256 ${actor.process.sha256}` : ''}`);
  return `    ${oneLine(actor.id, 160)}: ${oneLine(parts.join('; ') || 'no details', 600)}`;
}

function endpointLine(endpoint: SequenceEndpoint): string {
  const parts = [
    endpoint.ip !== undefined ? `IP ${defangHost(endpoint.ip)}` : undefined,
    endpoint.port !== undefined ? `port ${endpoint.port}` : undefined,
    endpoint.domain !== undefined ? `domain ${quoteUntrusted(defangHost(endpoint.domain.untrusted), 253)}` : undefined,
    [endpoint.city, endpoint.country].filter((part) => part !== undefined).join(', ') || undefined,
    endpoint.autonomousSystem !== undefined ? `AS${endpoint.autonomousSystem.number ?? '?'} ${endpoint.autonomousSystem.name ?? ''}`.trim() : undefined,
  ].filter((part): part is string => part !== undefined);
  // Every dot of an IP or domain is defanged, whatever its top-level domain: no link to an attacker's host.
  return `    ${oneLine(endpoint.id, 160)}: ${oneLine(parts.join(', ') || 'no details', 600)}`;
}

function more(total: number, shown: number, omitted: number, what: string): string[] {
  const left = total - shown + omitted;
  return left > 0 ? [`    ... and ${left} more ${what} (the GuardDuty console has them all)`] : [];
}

/** The ATTACK SEQUENCE section: the sequence's story as GuardDuty tells it. Empty for incidents without a sequence. */
export function sectionSequenceStory(incident: Incident): string[] {
  const sequence: AttackSequenceContext | undefined = incident.sequence;
  if (sequence === undefined) return [];
  const lines = ['ATTACK SEQUENCE (GuardDuty Extended Threat Detection; its words and the attacker\'s, quoted, not checked)'];
  if (sequence.uid !== undefined) lines.push(`  Sequence ${oneLine(sequence.uid, 160)}`);
  if (sequence.description !== undefined) lines.push(`  Described as: ${quoteUntrusted(sequence.description.untrusted, 600)}`);
  if (sequence.additionalSequenceTypes.length > 0) lines.push(`  Also: ${oneLine(sequence.additionalSequenceTypes.join(', '), 300)}`);
  const signals = incidentSignals(incident);
  lines.push(`  Signals, earliest first (${signals.length + sequence.omitted.signals}):`);
  lines.push(...signals.slice(0, LIMITS.signals).map(signalLine), ...more(signals.length, Math.min(signals.length, LIMITS.signals), sequence.omitted.signals, 'signal(s)'));
  if (sequence.actors.length > 0) {
    lines.push('  Actors:', ...sequence.actors.slice(0, LIMITS.actors).map(actorLine), ...more(sequence.actors.length, Math.min(sequence.actors.length, LIMITS.actors), sequence.omitted.actors, 'actor(s)'));
  }
  if (sequence.endpoints.length > 0) {
    lines.push('  Endpoints:', ...sequence.endpoints.slice(0, LIMITS.endpoints).map(endpointLine), ...more(sequence.endpoints.length, Math.min(sequence.endpoints.length, LIMITS.endpoints), sequence.omitted.endpoints, 'endpoint(s)'));
  }
  if (sequence.indicators.length > 0) {
    lines.push('  Indicators:');
    for (const indicator of sequence.indicators.slice(0, LIMITS.indicators)) {
      lines.push(`    ${oneLine(indicator.key, 60)}: ${oneLine(indicator.values.map((value) => quoteUntrusted(value.untrusted, 120)).join(', '), 600)}`);
    }
  }
  return lines;
}

/**
 * The INSTANCES section: each instance the incident names and what happened to it, with its links.
 * Empty unless the playbook ran a `contain-each-instance` step.
 */
export function sectionInstances(incident: Incident, steps: readonly StepSummary[]): string[] {
  const outcomes = perInstanceOutcomes(steps);
  if (outcomes === undefined) return [];
  const lines = [`INSTANCES (${outcomes.length} per-instance execution(s), each cleared by its own containment guard)`];
  for (const outcome of outcomes.slice(0, LIMITS.instances)) {
    const region = outcome.region ?? incident.region;
    lines.push(`  ${oneLine(outcome.instanceId, 40)} (account ${oneLine(outcome.account ?? incident.account, 20)}, ${oneLine(region, 30)}): ${describeOutcome(outcome)}`);
    const instanceLink = isWellFormedInstanceId(outcome.instanceId) ? ec2InstanceLink(region, outcome.instanceId) : undefined;
    if (instanceLink !== undefined) lines.push(`    EC2: ${instanceLink}`);
    const runLink = outcome.executionArn !== undefined ? executionLink(outcome.executionArn) : undefined;
    if (runLink !== undefined) lines.push(`    Execution: ${runLink}`);
    else if (outcome.executionName !== undefined) lines.push(`    Execution: ${oneLine(outcome.executionName, 80)}`);
  }
  if (outcomes.length > LIMITS.instances) lines.push(`  ... and ${outcomes.length - LIMITS.instances} more (the execution history has them)`);
  // Instances the incident names that got no execution: triage listed why (unverified id, unserved account, the cap).
  const ran = new Set(outcomes.map((outcome) => outcome.instanceId));
  const left = affectedResources(incident).flatMap((resource) => (resource.kind === 'ec2-instance' && !ran.has(resource.instanceId) ? [resource.instanceId] : []));
  const unverified = affectedResources(incident).filter((resource) => resource.kind === 'unverified' && resource.claimedKind === 'ec2-instance');
  if (left.length > 0) {
    // An unconfirmed copy from the oversized-event intake starts none (per-instance.ts): say so here, it is what a person must act on.
    const intake = unconfirmedIntakeRefusal(incident);
    const why = intake !== undefined ? intake : "triage's reasons say why";
    lines.push(`  NOT contained by Firebreak (no execution started; ${why}): ${oneLine(left.join(', '), 800)}`);
  }
  if (unverified.length > 0) lines.push(`  Named with an id that is not an instance id (never acted on): ${unverified.length}`);
  return lines;
}

const LEFT_OUT_WORDS: Readonly<Record<string, string>> = {
  'ec2-instance': 'instance',
  'access-key': 'access key',
  'iam-user': 'IAM user',
  'iam-role': 'role',
  'role-session': 'role (session)',
};

/** The instances and credentials of the incident's sequence the parser's limits left out, by id (row 8k). */
export function sequenceLeftOut(incident: Incident | undefined): NonNullable<AttackSequenceContext['leftOut']> {
  return incident?.sequence?.leftOut ?? [];
}

/**
 * True when the parser's limits may have left an instance or credential of the sequence out of the
 * incident (row 8k): it named one, or it read a copy the intake clipped, whose resources beyond it
 * cannot be named. No fan-out acts on such a resource, so the subject says NOT CONTAINED.
 */
export function sequenceLeftOutActedOn(incident: Incident | undefined): boolean {
  const sequence = incident?.sequence;
  if (sequence === undefined || sequence.omitted.resources === 0) return false;
  return sequenceLeftOut(incident).length > 0 || incident?.clipped?.event !== undefined;
}

/**
 * The LEFT OUT section (row 8k): how many resources of the sequence the parser's limits left out of
 * the incident, and, by id, each instance and credential among them, which no execution was started
 * for. Empty when none were.
 */
export function sectionLeftOut(incident: Incident): string[] {
  const sequence = incident.sequence;
  if (sequence === undefined || sequence.omitted.resources === 0) return [];
  const named = sequence.leftOut ?? [];
  const lines = [
    `LEFT OUT (${sequence.omitted.resources} resource(s) of the sequence are beyond what Firebreak reads of it: nothing was started for them; contain or cut off by hand each one below, the GuardDuty console lists them all)`,
  ];
  for (const left of named.slice(0, LIMITS.leftOut)) {
    const account = left.account ?? incident.account;
    const region = left.region ?? incident.region;
    lines.push(`  ${LEFT_OUT_WORDS[left.kind] ?? oneLine(left.kind, 20)} ${oneLine(left.id, 130)} (account ${oneLine(account, 20)}, ${oneLine(region, 30)}): NOT contained by Firebreak`);
    const link = left.kind === 'ec2-instance' && isWellFormedInstanceId(left.id) ? ec2InstanceLink(region, left.id) : undefined;
    if (link !== undefined) lines.push(`    EC2: ${link}`);
  }
  if (named.length > LIMITS.leftOut) lines.push(`  ... and ${named.length - LIMITS.leftOut} more instance(s) or credential(s) named in the incident (sequence.leftOut)`);
  if (incident.clipped?.event !== undefined) lines.push('  This incident was read from a clipped copy of the event: resources the copy left out cannot be named here; the GuardDuty console has them.');
  return lines;
}
