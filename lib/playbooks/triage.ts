/**
 * Triage: for one incident, which playbook runs (first match by priority) or none, in which mode,
 * and why, in sentences a person on call can read. Pure; the triage Lambda's handler
 * (lib/responders/triage-handler.ts) parses the raw event and calls `triage`.
 *
 * Gates that always hold, whatever the playbooks say:
 * - an archived GuardDuty finding starts nothing (someone closed it);
 * - an alarm whose new state is OK or INSUFFICIENT_DATA starts nothing;
 * - a GuardDuty sample finding never runs in enforce (samples carry placeholder ids such as
 *   i-99999999: https://docs.aws.amazon.com/guardduty/latest/ug/sample_findings.html);
 * - the deploy-time `forceDryRun` runs everything in dry-run;
 * - a finding outside the severity range of every playbook matching it gets at most an alert;
 * - with no playbook at all: an alert when Medium or higher (≥ 4.0), otherwise nothing;
 * - the boundary (docs/security.md): an incident with a malformed id (instance, network interface,
 *   VPC, subnet, security group, account, region) or a placeholder instance id on a finding that
 *   is not marked as a sample gets an alert and no playbook; so does an incident of an account the
 *   deployment does not serve (`unservedAccountReason`), whenever it would otherwise start a
 *   playbook or alert.
 */
import type { ServedAccounts } from '../contracts/security';
import { unservedAccountReason } from '../contracts/security';
import { findingAccountOf } from '../incident/finding-account';
import { describeIdentifierIssue, identifierIssues } from '../incident/identifiers';
import type { Incident } from '../incident/model';
import { eventClippingNote, leanIncident } from '../incident/budget';
import type { EventParseError } from '../incident/parse';
import { playbookExecutionName } from '../incident/parse';
import type { ResponderMode } from '../contracts/responder-mode';
import { MUTATING_ACTIONS } from './mutating-actions';
import { firstMatchingGlob, matchesAnyGlob } from './glob';
import type { PlaybookMatch } from './model';
import type { RoutedPlaybook, RoutingTable } from './routing';
import { byPriority } from './routing';
import type { ContainmentTarget } from './per-instance';
import { containmentTargets, describeTargets } from './per-instance';
import { PER_INSTANCE_ACTION } from './fan-out-names';
import { PER_INSTANCE_LIMITS } from './per-instance-actions';
import type { CredentialTarget } from './per-credential';
import { credentialTargets, describeCredentialTargets } from './per-credential';
import { PER_CREDENTIAL_ACTION } from './fan-out-names';
import { PER_CREDENTIAL_LIMITS } from './per-credential-actions';

export type TriageOutcome = 'start-playbook' | 'alert-only' | 'ignore' | 'invalid';

export interface TriageDecision {
  readonly outcome: TriageOutcome;
  readonly playbook: string | null;
  /**
   * The playbook's index in the deployed routing table (lib/playbooks/routing.ts): the dispatcher
   * starts the state machine at this index of its own list, and only when the name there is `playbook`.
   */
  readonly playbookIndex: number | null;
  /** Deterministic per incident revision: a duplicate delivery maps to the same name. */
  readonly executionName: string | null;
  /** The mode the playbook runs in; dry-run when nothing starts (nothing will be changed). */
  readonly mode: ResponderMode;
  /** Flattened action names of the chosen playbook (empty when none starts). */
  readonly steps: string[];
  /** Why, in human sentences, in the order the gates were applied. */
  readonly reasons: string[];
  readonly incident: Incident | null;
  /**
   * Why the event was refused (outcome `invalid`): the message, the first `INVALID_EVENT_ISSUES_MAX`
   * issues, and how many more there were (`omittedIssues`).
   */
  readonly error: {
    readonly message: string;
    readonly issues: { readonly path: string; readonly expected: string }[];
    readonly omittedIssues?: number;
  } | null;
  /**
   * For a playbook with a `contain-each-instance` step: the instances it runs its per-instance
   * playbook for, each with its own execution name (per-instance.ts); for one with a
   * `contain-each-credential` step, the credentials (per-credential.ts). Absent for other playbooks.
   */
  readonly targets?: readonly ContainmentTarget[] | readonly CredentialTarget[];
}

/** Findings at or above this score (Medium) are alerted even when no playbook matches them. */
export const ALERT_THRESHOLD = 4.0;

const DEFAULT_RANGE = { min: 0, max: 10 } as const;

function score(value: number): string {
  return value.toFixed(1);
}

/** The inclusive severity range of a match (0.0–10.0 when it sets none). */
export function severityRangeOf(match: PlaybookMatch): { min: number; max: number } {
  return match.severity ?? DEFAULT_RANGE;
}

/** True when the incident's score lies in the match's range (inclusive). */
export function severityInRange(incident: Incident, match: PlaybookMatch): boolean {
  const { min, max } = severityRangeOf(match);
  return incident.severity.score >= min && incident.severity.score <= max;
}

/** True when every part of the match holds for the incident, severity aside. */
export function matchesIgnoringSeverity(incident: Incident, match: PlaybookMatch): boolean {
  if (!match.sources.includes(incident.source)) return false;
  if (match.resourceKinds && !match.resourceKinds.includes(incident.resource.kind)) return false;
  if (incident.source === 'guardduty') {
    if (match.findingTypes && !matchesAnyGlob(match.findingTypes, incident.findingType)) return false;
    if (match.resourceRole && incident.guardDuty?.resourceRole !== match.resourceRole) return false;
    return true;
  }
  const alarm = incident.alarm;
  if (alarm === undefined) return false;
  if (match.alarmNames && !matchesAnyGlob(match.alarmNames, alarm.alarmName)) return false;
  return (match.alarmStates ?? ['ALARM']).includes(alarm.state);
}

function describeIncident(incident: Incident): string {
  const resource = incident.resource;
  const on =
    resource.kind === 'ec2-instance'
      ? ` on EC2 instance ${resource.instanceId}`
      : resource.kind === 'access-key'
        ? ` on access key ${resource.accessKeyId ?? resource.userName ?? '(unknown)'}`
        : resource.kind === 'other'
          ? ` on ${resource.type}${resource.id ? ` ${resource.id}` : ''}`
          : '';
  const what = incident.source === 'guardduty' ? `GuardDuty finding ${incident.findingType}` : `CloudWatch alarm ${incident.alarm?.alarmName ?? ''}`;
  return `${what}${on}`;
}

function severityText(incident: Incident): string {
  return `${score(incident.severity.score)} (${incident.severity.label})`;
}

/** Why a playbook matched, in one sentence. */
function matchReason(incident: Incident, playbook: RoutedPlaybook): string {
  const { match } = playbook;
  const parts: string[] = [];
  if (incident.source === 'guardduty') {
    const glob = match.findingTypes ? firstMatchingGlob(match.findingTypes, incident.findingType) : undefined;
    parts.push(glob === undefined ? `any finding type (${incident.findingType})` : `finding type ${incident.findingType} matches "${glob}"`);
    if (match.resourceRole) parts.push(`the resource is the ${match.resourceRole === 'TARGET' ? 'target' : 'actor'} (${match.resourceRole})`);
  } else if (incident.alarm) {
    const glob = match.alarmNames ? firstMatchingGlob(match.alarmNames, incident.alarm.alarmName) : undefined;
    parts.push(glob === undefined ? `alarm ${incident.alarm.alarmName} is in ALARM` : `alarm ${incident.alarm.alarmName} matches "${glob}" and is in ALARM`);
  }
  const { min, max } = severityRangeOf(match);
  parts.push(`severity ${severityText(incident)} is within ${score(min)}–${score(max)}`);
  if (match.resourceKinds) parts.push(`the resource is an ${incident.resource.kind}`);
  return `Playbook ${playbook.name} (priority ${playbook.priority}) matches: ${parts.join(', ')}.`;
}

function noStart(
  outcome: 'alert-only' | 'ignore',
  incident: Incident,
  reasons: string[],
  mode: ResponderMode = 'dry-run',
): TriageDecision {
  return { outcome, playbook: null, playbookIndex: null, executionName: null, mode, steps: [], reasons, incident, error: null };
}

/**
 * What triage knows of its own deployment (never of the event): the accounts it serves, as read
 * from its environment, or why they could not be read. Absent, the served-account gate is off
 * (unit tests of routing); the triage Lambda always passes it.
 */
export interface TriageDeployment {
  readonly servedAccounts?: { readonly served: ServedAccounts } | { readonly problem: string };
}

/** Why this incident's account may not be acted upon, or undefined when it may. */
function accountRefusal(incident: Incident, deployment: TriageDeployment): string | undefined {
  const accounts = deployment.servedAccounts;
  if (accounts === undefined) return undefined;
  if ('problem' in accounts) return `The deployment's served accounts cannot be read (${accounts.problem}): Firebreak acts in no account until that is fixed, and only alerts.`;
  const reason = unservedAccountReason(incident.account, accounts.served, findingAccountOf(incident));
  return reason === undefined ? undefined : `Refused: ${reason}. Firebreak acts only in the accounts this deployment serves, so it starts no playbook and only alerts.`;
}

/** For a game day, who put the event on the bus against what the finding claims, when they differ. */
function envelopeNote(incident: Incident): string | undefined {
  const envelope = incident.envelope;
  if (!incident.gameDay || envelope === undefined) return undefined;
  const put = [envelope.account !== undefined ? `account ${envelope.account}` : undefined, envelope.region].filter((x) => x !== undefined).join(', ');
  return `Game day: the event was put on the bus from ${put || 'an unnamed account'} (its envelope), but the finding claims account ${incident.account}, ${incident.region}; Firebreak goes by the finding's claim only within the accounts it serves.`;
}

/** Decides what Firebreak does with one incident, given the deployed playbooks and the deployment's served accounts. Pure. */
export function triage(incident: Incident, routing: RoutingTable, deployment: TriageDeployment = {}): TriageDecision {
  const reasons: string[] = [`Incident: ${describeIncident(incident)}, severity ${severityText(incident)}, in account ${incident.account} ${incident.region}.`];
  if (incident.gameDay) reasons.push('Injected by a game day (source firebreak.gameday): it is handled like a real event.');
  const note = envelopeNote(incident);
  if (note !== undefined) reasons.push(note);
  // A note only: the clipped copy is triaged as the event would be (lib/incident/clip-event.ts).
  if (incident.clipped?.event !== undefined) reasons.push(eventClippingNote(incident.clipped.event));

  if (incident.guardDuty?.archived === true) {
    reasons.push(`GuardDuty finding ${incident.guardDuty.findingId} is archived: someone already closed it, so Firebreak starts nothing.`);
    return noStart('ignore', incident, reasons);
  }
  if (incident.alarm && incident.alarm.state !== 'ALARM') {
    reasons.push(
      incident.alarm.state === 'OK'
        ? `Alarm ${incident.alarm.alarmName} went to OK: the condition cleared, so Firebreak starts nothing.`
        : `Alarm ${incident.alarm.alarmName} went to INSUFFICIENT_DATA: nothing is known, so Firebreak starts nothing.`,
    );
    return noStart('ignore', incident, reasons);
  }

  if (incident.malwareScan?.kind === 's3-object' && incident.malwareScan.resultStatus === 'NO_THREATS_FOUND') {
    reasons.push('Malware Protection for S3 found no threats in the object: a clean scan needs nothing, so Firebreak starts nothing and alerts nobody.');
    return noStart('ignore', incident, reasons);
  }

  // Alerts carry the deployment's mode: a sample or a dry-run deployment says so in the subject.
  const gatedMode: ResponderMode = incident.sample || routing.settings.forceDryRun ? 'dry-run' : 'enforce';

  // The boundary: an id that cannot be acted on is a forged or broken event, alerted whatever its severity.
  const badIds = identifierIssues(incident);
  if (badIds.length > 0) {
    reasons.push(
      `Refused at the boundary: ${badIds.map(describeIdentifierIssue).join('; ')}. No playbook runs for an incident whose ids cannot name real resources; people get this alert instead.`,
    );
    return noStart('alert-only', incident, reasons, gatedMode);
  }

  const routed = route(incident, routing, reasons, gatedMode, deployment);
  const refusal = accountRefusal(incident, deployment);
  if (refusal === undefined) return routed;
  if (routed.outcome === 'ignore') return { ...routed, reasons: [...routed.reasons, `Also: ${refusal}`] };
  return noStart('alert-only', incident, [
    ...reasons,
    ...(routed.playbook !== null ? [`Playbook ${routed.playbook} matches this incident; it does not run.`] : []),
    refusal,
  ], gatedMode);
}

/** Picks the playbook (or an alert, or nothing) for an incident past the gates. Pure; `reasons` so far are copied, not changed. */
function route(incident: Incident, routing: RoutingTable, reasonsSoFar: readonly string[], gatedMode: ResponderMode, deployment: TriageDeployment): TriageDecision {
  const reasons = [...reasonsSoFar];
  const candidates = [...routing.playbooks].sort(byPriority).filter((playbook) => matchesIgnoringSeverity(incident, playbook.match));
  const chosen = candidates.find((playbook) => severityInRange(incident, playbook.match));

  for (const skipped of candidates) {
    if (skipped === chosen) break;
    const { min, max } = severityRangeOf(skipped.match);
    reasons.push(
      `Playbook ${skipped.name} (priority ${skipped.priority}) matches everything but the severity: ${severityText(incident)} is outside its range ${score(min)}–${score(max)}.`,
    );
  }

  if (chosen === undefined) {
    if (candidates.length > 0) {
      const below = candidates.every((playbook) => incident.severity.score < severityRangeOf(playbook.match).min);
      reasons.push(
        below
          ? 'The severity is below the range of every playbook that matches this incident: it gets an alert, and no playbook runs.'
          : 'The severity is outside the range of every playbook that matches this incident: it gets an alert, and no playbook runs.',
      );
      return noStart('alert-only', incident, reasons, gatedMode);
    }
    if (incident.severity.score >= ALERT_THRESHOLD) {
      reasons.push(`No playbook matches it; it is Medium or higher (${score(incident.severity.score)} ≥ ${score(ALERT_THRESHOLD)}), so people get an alert.`);
      return noStart('alert-only', incident, reasons, gatedMode);
    }
    reasons.push(`No playbook matches it, and its severity is below Medium (${score(incident.severity.score)} < ${score(ALERT_THRESHOLD)}): Firebreak does nothing.`);
    return noStart('ignore', incident, reasons);
  }

  reasons.push(matchReason(incident, chosen));
  let mode: ResponderMode = chosen.mode;
  if (chosen.mode === 'dry-run') reasons.push(`Playbook ${chosen.name} is set to dry-run: its steps check what they would do and change nothing.`);
  if (incident.sample) {
    mode = 'dry-run';
    reasons.push('This is a GuardDuty sample finding (service.additionalInfo.sample): samples never run in enforce, so the playbook runs in dry-run.');
  }
  if (routing.settings.forceDryRun) {
    mode = 'dry-run';
    reasons.push('The deployment forces dry-run (forceDryRun): every playbook runs in dry-run.');
  }
  if (mode === 'enforce') {
    const changing = [...new Set(chosen.steps.filter((step) => MUTATING_ACTIONS.has(step)))];
    reasons.push(
      changing.length > 0
        ? `Mode enforce: ${changing.join(', ')} will change resources.`
        : chosen.steps.includes(PER_INSTANCE_ACTION)
          ? 'Mode enforce: this playbook changes nothing itself; each per-instance execution changes its instance only where its own containment guard clears it.'
          : chosen.steps.includes(PER_CREDENTIAL_ACTION)
            ? 'Mode enforce: this playbook changes nothing itself; each per-credential execution cuts off its credential only where its own containment guard clears it.'
          : 'Mode enforce (no step of this playbook changes resources).',
    );
  }

  let targets: readonly ContainmentTarget[] | readonly CredentialTarget[] | undefined;
  const accounts = deployment.servedAccounts;
  const refuseAccount = accounts !== undefined ? { refuseAccount: (account: string) => ('problem' in accounts ? accounts.problem : unservedAccountReason(account, accounts.served, findingAccountOf(incident))) } : {};
  if (chosen.steps.includes(PER_INSTANCE_ACTION)) {
    // One execution per instance, each under its own guard: the rails hold per instance.
    const planned = containmentTargets(incident, { maxInstances: PER_INSTANCE_LIMITS.maxInstances, ...refuseAccount });
    reasons.push(...describeTargets(planned, chosen.name));
    targets = planned.targets;
  } else if (chosen.steps.includes(PER_CREDENTIAL_ACTION)) {
    // One execution per credential, each under its own guard: the rails hold per credential.
    const planned = credentialTargets(incident, { maxCredentials: PER_CREDENTIAL_LIMITS.maxCredentials, ...refuseAccount });
    reasons.push(...describeCredentialTargets(planned, chosen.name));
    targets = planned.targets;
  }

  return {
    outcome: 'start-playbook',
    playbook: chosen.name,
    playbookIndex: chosen.index,
    // An unconfirmed copy from the oversized-event intake gets a name of its own (row 8g).
    executionName: playbookExecutionName(incident),
    mode,
    steps: [...chosen.steps],
    reasons,
    incident,
    error: null,
    ...(targets !== undefined ? { targets } : {}),
  };
}

/**
 * What a playbook receives of triage's decision (its execution input's `decision`): everything but
 * the incident, which the input carries once beside it (each copy counts against the 256 KiB a
 * Step Functions payload may hold: lib/contracts/payload-size.ts), and the parse error, which a
 * started playbook never has.
 */
export type PlaybookDecision = Omit<TriageDecision, 'incident' | 'error'>;

/**
 * The part of a decision that a started playbook receives as `decision` (see `PlaybookDecision`):
 * every other field, so that a field triage adds reaches the playbook without being listed here.
 */
export function playbookDecisionOf(decision: TriageDecision): PlaybookDecision {
  const { incident: _incident, error: _error, ...playbookDecision } = decision;
  return playbookDecision;
}

/**
 * The most bytes triage's answer may take: from Triage on it is the dispatcher's state (with at most
 * a dispatch error beside it), and the playbook's input is part of it (the incident and the playbook
 * decision), to which every step of the playbook adds its result. 192 KiB leaves 64 KiB of the
 * 256 KiB Step Functions allows (lib/contracts/payload-size.ts) to those results. The incident is
 * within 128 KiB by construction (lib/incident/budget.ts); the rest is the targets and the record.
 */
export const TRIAGE_ANSWER_BUDGET_BYTES = 192 * 1024;

/**
 * The decision when triage's answer would be `bytes`, over its budget: starting the playbook could
 * fail a payload past every Catch, losing the event. Alert only, in dry-run, with the incident's
 * large sections left out (named in the alert): a person responds.
 */
export function tooLargeToHandOn(decision: TriageDecision, bytes: number, budgetBytes: number): TriageDecision {
  const would = decision.playbook === null ? '' : `; playbook ${decision.playbook} would have run`;
  return {
    outcome: 'alert-only',
    playbook: null,
    playbookIndex: null,
    executionName: null,
    mode: 'dry-run',
    steps: [],
    reasons: [
      ...decision.reasons,
      `Triage's answer would be ${bytes} bytes, over the ${budgetBytes} it may hand on within Step Functions' 256 KiB payload limit: nothing is started${would}. The incident is alerted with its large sections left out; a person must respond.`,
    ],
    incident: decision.incident === null ? null : leanIncident(decision.incident),
    error: null,
  };
}

/**
 * At most this many parse issues, each path and text cut to `INVALID_EVENT_TEXT_MAX` characters, are
 * in the decision for a refused event. The parser names every field at fault, and an event names as
 * many as it likes: 4,000 list items that are not objects take 10 KB of JSON and give 4,000 issues
 * (440 KB), and a path spells the event's own keys (an alarm dimension name of any length). The
 * decision is the dispatcher's state and the kept message, so all of them would take it past Step
 * Functions' 256 KiB: States.DataLimitExceeded at Triage, which no Catch handles, and the event
 * would be neither kept nor alerted. The triage Lambda logs the first issues too; the event itself is
 * kept (lib/incident/kept-event.ts) for a person to read the rest.
 */
export const INVALID_EVENT_ISSUES_MAX = 20;
export const INVALID_EVENT_TEXT_MAX = 1024;

function cutText(text: string): string {
  return text.length <= INVALID_EVENT_TEXT_MAX ? text : `${text.slice(0, INVALID_EVENT_TEXT_MAX - 1)}…`;
}

/** The decision for an event the parser refused: kept and alerted by the dispatcher, never dropped. */
export function invalidEventDecision(error: EventParseError): TriageDecision {
  const message = cutText(error.message);
  const omittedIssues = Math.max(0, error.issues.length - INVALID_EVENT_ISSUES_MAX);
  return {
    outcome: 'invalid',
    playbook: null,
    playbookIndex: null,
    executionName: null,
    mode: 'dry-run',
    steps: [],
    reasons: [`The event is not one Firebreak can read: ${message}. It is kept and alerted, not dropped.`],
    incident: null,
    error: {
      message,
      issues: error.issues.slice(0, INVALID_EVENT_ISSUES_MAX).map((issue) => ({ path: cutText(issue.path), expected: cutText(issue.expected) })),
      ...(omittedIssues > 0 ? { omittedIssues } : {}),
    },
  };
}
