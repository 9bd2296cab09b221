/**
 * The containment decision of a guarded playbook, as the alert states it (docs/safety-rails.md):
 * what the guard answered, what a person approved or rejected, what a timeout did, and advice that
 * never claims a containment that did not happen.
 */
import * as z from '../contracts/zod-mini';
import type { GuardedOutcome } from '../playbooks/guard-names';
import { GUARD_RESPONDER, GUARD_STATE } from '../playbooks/guard-names';
import type { GuardBlastRadius, GuardIntake, GuardResult, GuardStatus, ProtectionRule } from './containment-guard-model';
import { instanceIdOf, isSample } from './alert-incident';
import type { AlertInput, StepSummary } from './alert-model';
import { stepSummaries } from './alert-model';
import { oneLine } from './alert-text';

/** Every `reason.outcome` lib/playbooks/compile.ts sends on the guarded variants of a playbook. */
const GUARDED_OUTCOMES = ['evidence-only', 'approved', 'rejected', 'timed-out', 'timed-out-contained'] as const satisfies readonly GuardedOutcome[];

// z.lazy: built the first time a guarded outcome is read, not at cold start.
/** `reason` on a guarded variant: which path ran, in one sentence, with the approval answer or error. */
const guardedReasonSchema = z.lazy(() =>
  z.looseObject({
    outcome: z.enum(GUARDED_OUTCOMES),
    summary: z.optional(z.string()),
    approval: z.optional(z.unknown()),
  }),
);

/**
 * The containment guard's result (GuardResult, lambdas/containment-guard) as an alert reads it: the
 * fields it uses, each optional, the status and the rule as any text (a step result is a claim; an
 * unknown status is reported as such, not dropped). Typed from GuardResult, so the two cannot drift.
 */
type GuardResultReading = { readonly [K in 'reasons' | 'protected' | 'instanceId']?: GuardResult[K] } & {
  readonly intake?: GuardIntake | (string & {});
  readonly status?: GuardStatus | (string & {});
  readonly protectedBy?: ProtectionRule | (string & {});
  readonly blastRadius?: Partial<Pick<GuardBlastRadius, 'evaluated' | 'granted' | 'used' | 'limit' | 'windowSeconds'>>;
};

const guardResultSchema: z.ZodMiniType<GuardResultReading> = z.lazy(() =>
  z.looseObject({
    status: z.optional(z.string()),
    reasons: z.optional(z.array(z.string())),
    protected: z.optional(z.boolean()),
    protectedBy: z.optional(z.string()),
    instanceId: z.optional(z.string()),
    intake: z.optional(z.string()),
    blastRadius: z.optional(
      z.looseObject({
        evaluated: z.optional(z.boolean()),
        granted: z.optional(z.boolean()),
        used: z.nullish(z.number()),
        limit: z.optional(z.number()),
        windowSeconds: z.optional(z.number()),
      }),
    ),
  }),
);

/** What the rails decided about containment, in words for the alert. */
export interface ContainmentDecision {
  /** Whether the playbook's steps that change resources ran (or, in dry-run, were run to say what they would do). */
  readonly containmentRan: boolean;
  /** Short subject marker, without brackets (on an approval request it qualifies APPROVAL NEEDED); none when the subject needs no warning. */
  readonly marker?: string;
  /** The decision in one sentence. */
  readonly headline: string;
  /** Why the instance was not isolated, completing "Instance i-... was NOT isolated: ..." (only when it was not). */
  readonly whyNotIsolated?: string;
  /** The first thing to do about it (only when containment did not run). */
  readonly nextStep?: string;
  /** The compiler's sentence on the path taken. */
  readonly summary?: string;
  /** The guard's reasons, each one line. */
  readonly reasons: readonly string[];
}

const PROTECTION_RULE_WORDS: Readonly<Record<string, string | undefined>> = {
  'instance-id': "it is in the deployment's list of protected instances",
  'instance-tag': 'it carries the protected tag',
  'privileged-name': 'its user or role is an administrator or break-glass principal by name',
  'credential-tag': 'its user or role carries the protected tag',
} satisfies Record<ProtectionRule, string>;

function guardResultOf(steps: readonly StepSummary[]): GuardResultReading | undefined {
  const step = steps.find((s) => s.result?.responder === GUARD_RESPONDER) ?? steps.find((s) => s.stepId === GUARD_STATE);
  if (step?.result === null || step?.result === undefined) return undefined;
  const parsed = guardResultSchema.safeParse(step.result);
  return parsed.success ? parsed.data : undefined;
}

function guardReasons(input: AlertInput, guard: GuardResultReading | undefined): string[] {
  const given = typeof input.reasons === 'string' ? [input.reasons] : (input.reasons ?? []);
  return [...new Set([...given, ...(guard?.reasons ?? [])].filter((r) => r.trim() !== ''))];
}

/** Who answered the approval request, read from the answer (`{ approved, by, at, comment? }`) or the rejection's `{ Error, Cause }`. */
function approvalAnswer(approval: unknown): { by?: string; at?: string; note?: string; error?: string } {
  if (approval === null || typeof approval !== 'object') return {};
  const record = approval as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
  if (typeof record.Error === 'string') {
    const cause = text(record.Cause);
    let parsed: Record<string, unknown> | undefined;
    try {
      const json: unknown = cause === undefined ? undefined : JSON.parse(cause);
      if (json !== null && typeof json === 'object' && !Array.isArray(json)) parsed = json as Record<string, unknown>;
    } catch {
      // A hand-written rejection (aws stepfunctions send-task-failure) carries plain text.
    }
    const note = parsed === undefined ? cause : text(parsed.reason);
    const by = text(parsed?.by);
    const at = text(parsed?.at);
    return { error: record.Error, ...(by !== undefined ? { by } : {}), ...(at !== undefined ? { at } : {}), ...(note !== undefined ? { note } : {}) };
  }
  const by = text(record.by);
  const at = text(record.at);
  const note = text(record.comment);
  return { ...(by !== undefined ? { by } : {}), ...(at !== undefined ? { at } : {}), ...(note !== undefined ? { note } : {}) };
}

/** The approval timeout, from the compiler's summary ("... within 900 s ..."). */
function timeoutOf(summary: string | undefined): string {
  const seconds = summary?.match(/within (\d+) s\b/)?.[1];
  return seconds !== undefined ? `within ${seconds} s` : 'in time';
}

/**
 * What to do first about an alarm's containment (row 10d): SetAlarmState leaves the same event, and
 * the alarm's reason and its history (DescribeAlarmHistory's newState) hold the caller's StateReason,
 * so only CloudTrail's record of the call and the metric's own datapoints tell the two apart.
 */
const ALARM_NEVER = "an alarm's state change is never contained without a person's approval";
const ALARM_NEXT_STEP =
  "Before approving, check whether someone set the alarm's state: CloudTrail's event history shows any SetAlarmState call on this alarm (event source monitoring.amazonaws.com), the CloudWatch console (link below) the metric's own datapoints. The alarm's reason and history repeat the caller's words and prove nothing. Approve only if the metric crossed the threshold and nobody set the state.";

/** What to do first about an incident from the oversized-event intake: confirm it at its source. */
function intakeNextStep(incident: AlertInput['incident']): string {
  const forged = 'the oversized-event intake takes whatever its callers send, and GuardDuty did not confirm this event, so it may be forged.';
  return incident?.source === 'cloudwatch'
    ? // An alarm that is in that state proves nothing either: SetAlarmState puts it there (row 10d).
      `The oversized-event intake takes whatever its callers send, so this alarm event may be forged. ${ALARM_NEXT_STEP}`
    : `Before approving, check the finding in the GuardDuty console (link below): ${forged} Approve only if GuardDuty shows the same finding on the same resource.`;
}

/**
 * What the containment guard and the approval decided, for report and approval-request alerts of
 * a guarded playbook; undefined when the alert comes from an unguarded playbook.
 */
export function containmentDecision(input: AlertInput): ContainmentDecision | undefined {
  if (input.kind !== 'report' && input.kind !== 'approval-request') return undefined;
  const steps = stepSummaries(input.results);
  const guard = guardResultOf(steps);
  // An unguarded playbook's alert has no reason: not parsed, as a failed parse builds its issues for nothing.
  const parsedReason = input.reason === undefined ? undefined : guardedReasonSchema.safeParse(input.reason);
  const path = parsedReason?.success === true ? parsedReason.data : undefined;
  const reasons = guardReasons(input, guard);
  if (path === undefined && guard === undefined && reasons.length === 0) return undefined;
  const incident = input.incident;
  const instanceId = guard?.instanceId ?? (incident !== undefined ? instanceIdOf(incident) : undefined);
  const instance = instanceId !== undefined ? `Instance ${oneLine(instanceId, 80)}` : 'The resource';
  const summary = path?.summary !== undefined ? oneLine(path.summary, 1000) : undefined;
  const common = { reasons, ...(summary !== undefined ? { summary } : {}) };
  const answer = approvalAnswer(path?.approval);
  // The oversized-event intake cannot authenticate its sender: the guard held containment for a person.
  const fromIntake = guard?.intake === 'oversized-event';
  // An alarm's containment waits for a person too (row 10c): the guard never contains it on a timeout.
  const fromAlarm = incident?.source === 'cloudwatch';
  const by = answer.by !== undefined ? ` by ${oneLine(answer.by, 200)}` : '';
  const at = answer.at !== undefined ? ` at ${oneLine(answer.at, 40)}` : '';
  const note = answer.note !== undefined ? ` ("${oneLine(answer.note, 300)}")` : '';

  switch (path?.outcome) {
    case 'approved':
      return { ...common, containmentRan: true, headline: `Containment was APPROVED${by}${at}${note}: the steps that change resources ran after the evidence steps.` };
    case 'timed-out-contained':
      if (fromIntake || fromAlarm) {
        // The guard's grant for such an incident never contains on a timeout, so the steps this
        // path ran were refused; the compiler's sentence on the path would say otherwise.
        const never = fromIntake ? "an event from the oversized-event intake that GuardDuty did not confirm is never contained without a person's approval" : ALARM_NEVER;
        return {
          reasons,
          containmentRan: false,
          marker: 'NOT CONTAINED: no answer',
          headline: `Nobody answered the approval request ${timeoutOf(path.summary)}. This playbook's onTimeout is contain, but ${never}: the steps that change resources were refused. ${instance} was NOT isolated.`,
          whyNotIsolated: `nobody answered the approval request ${timeoutOf(path.summary)}, and ${never}`,
          nextStep: fromIntake ? intakeNextStep(incident) : ALARM_NEXT_STEP,
        };
      }
      return {
        ...common,
        containmentRan: true,
        marker: 'CONTAINED WITHOUT APPROVAL',
        headline: `Nobody answered the approval request ${timeoutOf(path.summary)}, and this playbook's onTimeout is contain: the steps that change resources ran WITHOUT approval.`,
      };
    case 'rejected': {
      const how = answer.error !== undefined ? `REJECTED${by}${at}${note}` : `not approved: the answer${by} did not say "approved": true`;
      return {
        ...common,
        containmentRan: false,
        marker: 'NOT CONTAINED: rejected',
        headline: `Containment was ${how}. ${instance} was NOT isolated; the evidence steps ran.`,
        whyNotIsolated: `containment was ${answer.error !== undefined ? 'rejected' : 'not approved'}${by}`,
        nextStep: `Containment was not approved, so ${instanceId !== undefined ? 'the instance is still running and connected' : 'nothing was contained'}: make sure whoever decided has a plan (a false positive to archive, or containment by hand).`,
      };
    }
    case 'timed-out':
      return {
        ...common,
        containmentRan: false,
        marker: 'NOT CONTAINED: no answer',
        headline: `Nobody answered the approval request ${timeoutOf(path.summary)}: evidence only (onTimeout: evidence-only). ${instance} was NOT isolated.`,
        whyNotIsolated: `nobody answered the approval request ${timeoutOf(path.summary)}`,
        nextStep: `Nobody answered the approval request in time: ${instanceId !== undefined ? 'the instance is still running and connected' : 'nothing was contained'}. Decide now whether to contain it by hand, and find out why the request went unanswered.`,
      };
    default:
      break;
  }

  const status = path?.outcome === 'evidence-only' ? 'evidence-only' : guard?.status;
  if (status === 'evidence-only') {
    if (guard?.protected === true) {
      const rule = PROTECTION_RULE_WORDS[guard.protectedBy ?? ''];
      const protectedRule = rule !== undefined ? ` (${rule})` : '';
      if (guard.protectedBy === 'privileged-name' || guard.protectedBy === 'credential-tag') {
        return {
          ...common,
          containmentRan: false,
          marker: 'NOT CONTAINED: protected',
          headline: `The credential is PROTECTED${protectedRule}: Firebreak never cuts off a protected credential automatically. It was NOT disabled or revoked; evidence was collected and this alert sent.`,
          whyNotIsolated: 'its user or role is protected, and Firebreak never cuts off a protected credential automatically',
          nextStep: 'The credential is protected, so Firebreak left it working: tell its owner now and decide with them whether to disable it by hand (a break-glass or protected principal may be what people need to recover).',
        };
      }
      return {
        ...common,
        containmentRan: false,
        marker: 'NOT CONTAINED: protected',
        headline: `${instance} is PROTECTED${protectedRule}: Firebreak never contains a protected instance automatically. It was NOT isolated; evidence was collected and this alert sent.`,
        whyNotIsolated: 'it is protected, and Firebreak never contains a protected instance automatically',
        nextStep: `${instance} is protected, so Firebreak left it running and connected: tell its owners now and decide with them whether to contain it by hand (isolating it stops what it serves).`,
      };
    }
    const sample = isSample(incident);
    return {
      ...common,
      containmentRan: false,
      // A sample already says [SAMPLE] in the subject.
      ...(sample ? {} : { marker: 'NOT CONTAINED: evidence only' }),
      headline: `The containment guard answered evidence-only: ${instance} was NOT isolated; evidence was collected and this alert sent.`,
      whyNotIsolated: sample ? 'it is a sample finding' : 'the containment guard answered evidence-only (reasons above)',
      ...(sample ? {} : { nextStep: 'Firebreak did not contain it: read the guard\'s reasons above and decide now whether to contain it by hand.' }),
    };
  }
  if (status === 'needs-approval') {
    if (fromIntake) {
      return {
        ...common,
        containmentRan: false,
        marker: 'oversized event',
        headline: `The event reached Firebreak through the oversized-event intake, which cannot authenticate its sender, and was not confirmed with GuardDuty's own copy of the finding (GetFindings): containment waits for a person's decision. ${instance} has NOT been isolated.`,
        whyNotIsolated: "the event came through the oversized-event intake, which cannot authenticate its sender, and was not confirmed with GuardDuty, so containment waits for a person's approval",
        nextStep: intakeNextStep(incident),
      };
    }
    if (fromAlarm) {
      // The playbook's own approval rule may be off: the guard asked because the incident is an alarm's.
      return {
        ...common,
        containmentRan: false,
        headline: `The incident is a CloudWatch alarm's state change, which cloudwatch:SetAlarmState can cause by hand: containment waits for a person's decision. ${instance} has NOT been isolated.`,
        whyNotIsolated: ALARM_NEVER,
        nextStep: ALARM_NEXT_STEP,
      };
    }
    const radius = guard?.blastRadius;
    const limitReached = radius?.evaluated === true && radius.granted === false;
    const window = radius?.windowSeconds !== undefined ? ` within the last ${radius.windowSeconds} s` : '';
    const cause = limitReached
      ? `Blast-radius limit reached (${radius.used ?? '?'} of ${radius.limit ?? '?'} automatic containments in this account${window})`
      : 'This playbook requires a person to approve';
    return {
      ...common,
      containmentRan: false,
      ...(limitReached ? { marker: 'blast radius' } : {}),
      headline: `${cause}: containment waits for a person's decision. ${instance} has NOT been isolated.`,
      whyNotIsolated: limitReached ? "the blast-radius limit is reached, so containment waits for a person's approval" : "containment waits for a person's approval",
    };
  }
  if (status === 'proceed') {
    return { ...common, containmentRan: true, headline: 'The containment guard let the playbook run as written (no rail held containment back).' };
  }
  return {
    ...common,
    containmentRan: false,
    marker: 'NOT CONTAINED',
    headline: `The containment guard answered ${oneLine(status ?? 'nothing', 40)}: ${instance} was NOT isolated.`,
    whyNotIsolated: `the containment guard answered ${oneLine(status ?? 'nothing', 40)}`,
    nextStep: 'Firebreak did not contain it: decide now whether to contain it by hand.',
  };
}

/** Matches a sentence that says a containment has happened ("the instance is isolated", "sessions are revoked", "the key is Inactive"). */
const CLAIMS_CONTAINMENT = /\b(?:is|are|was|were|has been|have been)\s+(?:now\s+)?(?:isolated|quarantined|contained|revoked|inactive|disabled|deactivated)\b/i;

/**
 * The playbook's advice on a path where its containment did not run. Its author wrote it for the
 * full playbook, so sentences that state a containment as done ("The instance is isolated …")
 * would be false here: they are dropped rather than qualified, because a reader skimming the alert
 * in an incident would take them at their word. What remains (how to investigate, what to rotate)
 * still holds once the instance is contained, so it is kept behind "If you contain it by hand".
 */
export function adviceWithoutContainment(advice: string): string | undefined {
  const kept = advice
    .split(/(?<=[.!?])\s+/)
    .filter((sentence) => sentence.trim() !== '' && !CLAIMS_CONTAINMENT.test(sentence));
  return kept.length === 0 ? undefined : `If you contain it by hand: ${kept.join(' ')}`;
}

/** The CONTAINMENT DECISION section: the decision's headline, path and reasons. */
export function sectionContainmentDecision(decision: ContainmentDecision | undefined): string[] {
  if (decision === undefined) return [];
  return [
    'CONTAINMENT DECISION',
    `  ${decision.headline}`,
    ...(decision.summary !== undefined ? [`  Path: ${decision.summary}`] : []),
    ...(decision.reasons.length > 0 ? ['  Why:', ...decision.reasons.map((r) => `  - ${oneLine(r, 1000)}`)] : []),
  ];
}
