/**
 * The containment guard's pure decisions: whether an instance is protected and by which rule, and
 * the blast-radius part of its answer in words fit for the alert.
 */
import type { BlastRadiusDecision, BlastRadiusPolicy } from './blast-radius';
import type { ProtectionRule, GuardBlastRadius, ContainmentGuardConfig } from './containment-guard-model';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import type { DeploymentEnvironment } from './effective-mode';
import { protectedTagOf } from './tag-rules';
import type { Incident } from '../incident/model';

/** What protects an instance: the deployment's id list and protected tag key. */
export type ProtectionRules = Pick<ContainmentGuardConfig, 'protectedInstanceIds' | 'protectedTagKey'>;

/** Whether an instance is protected and by which rule. */
export type ProtectionVerdict =
  | { readonly protected: false }
  | { readonly protected: true; readonly rule: ProtectionRule; readonly reason: string };

/**
 * Protection by id (the deployment's list) or by the protected tag KEY (any value) on the
 * instance's CURRENT tags, as EC2 describes them now. The tags a finding reports are never
 * consulted: anyone who can tag the instance (often the instance's own role) could otherwise exempt
 * it, and the finding's copy may be stale. The key is found in any case (row 2w): EC2 keeps
 * `Firebreak:Protected` as a key of its own, but IAM reads `aws:ResourceTag/<key>` whatever the case
 * of the key, so Firebreak's own `DenyProtectedTagKey` refuses its containing calls on such an
 * instance; judged unprotected, it would be half contained (ENIs moved, then every instance call
 * denied: profile, metadata endpoint and termination protection left). The SCP of docs/security.md
 * §B5 guards the key in every case.
 */
export function protectionOf(
  instanceId: string,
  config: ProtectionRules,
  currentTags?: Readonly<Record<string, string>>,
): ProtectionVerdict {
  if (config.protectedInstanceIds.includes(instanceId)) {
    return {
      protected: true,
      rule: 'instance-id',
      reason: `Instance ${instanceId} is protected: it is in the deploy-time list of protected instances (FIREBREAK_PROTECTED_INSTANCE_IDS), so Firebreak collects evidence and alerts instead of containing it.`,
    };
  }
  const key = config.protectedTagKey;
  if (key === undefined) return { protected: false };
  const tag = currentTags !== undefined ? protectedTagOf(currentTags, key, 'case-insensitive') : undefined;
  if (tag !== undefined) {
    const spelt = tag.key === key ? '' : ` (spelt ${tag.key}: IAM reads the key in any case, and Firebreak's own IAM Deny would refuse its containing calls)`;
    return {
      protected: true,
      rule: 'instance-tag',
      reason: `Instance ${instanceId} is protected: it carries the tag ${tag.key}=${JSON.stringify(tag.value)} now${spelt}, so Firebreak collects evidence and alerts instead of containing it.`,
    };
  }
  return { protected: false };
}

/**
 * The protection rules from the deployment's environment (FIREBREAK_PROTECTED_INSTANCE_IDS,
 * FIREBREAK_PROTECTED_TAG_KEY), for a step that applies them again where it acts. The guard reads
 * the same variables strictly at cold start (containment-guard-config.ts), so a malformed id has
 * already failed the deployment's guard; here it simply matches no instance.
 */
export function protectionRulesOf(environment: DeploymentEnvironment): ProtectionRules {
  const ids = (environment[DEPLOYMENT_ENV.protectedInstanceIds] ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '');
  const key = environment[DEPLOYMENT_ENV.protectedTagKey]?.trim();
  return { protectedInstanceIds: ids, ...(key ? { protectedTagKey: key } : {}) };
}

/**
 * Why an unconfirmed incident from the oversized-event intake waits for a person, and what they
 * should check first: the intake takes whatever its callers send (lambda:InvokeFunction is enough),
 * so the event may be forged, GuardDuty did not confirm it (or, for an alarm, cannot), and the
 * source of truth is the finding (or alarm) itself.
 */
export function intakeApprovalReason(incident: Pick<Incident, 'source'>, originalBytes: number): string {
  const alarm = incident.source === 'cloudwatch';
  const check = alarm ? 'check the alarm in the CloudWatch console' : 'check the finding in the GuardDuty console';
  const unconfirmed = alarm ? 'only GuardDuty findings can be confirmed at their source' : "it was not confirmed with GuardDuty's own copy of the finding (GetFindings; the intake's log says why)";
  return `The event (${originalBytes} bytes) reached Firebreak through the oversized-event intake, which cannot authenticate its sender, and ${unconfirmed}: anyone allowed to invoke that function directly can send a forged event. A person must approve before anything changes: ${check} before approving.`;
}

/**
 * Why a containment on a CloudWatch alarm's word waits for a person (row 10c). The event is
 * CloudWatch's own (source aws.cloudwatch), and its alarm reads an AWS service's metric (row 10b),
 * but the state it reports is no proof that the metric crossed anything: SetAlarmState sets any
 * alarm to any state, with a reason and reason data of its caller's choosing, and CloudWatch sends
 * the same state change event for it as for an evaluation
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html).
 * Nothing in the event tells the two apart, so whoever may call it on one alarm (a monitoring or CI
 * role, CloudWatchFullAccess) would otherwise isolate the instance the alarm is about.
 */
export const ALARM_APPROVAL_REASON =
  "The incident is a CloudWatch alarm's state change, and an alarm's state is not proof that its metric crossed anything: anyone allowed cloudwatch:SetAlarmState sets any alarm to ALARM, with a reason of their choosing, and CloudWatch sends the same event. A person must approve before anything changes: before approving, look in CloudTrail for a SetAlarmState call on the alarm and read the metric's own datapoints (the alarm's reason and history repeat the caller's words).";

/** A window length for people: `3600 s (1 h)`. */
export function describeWindow(windowSeconds: number): string {
  const human =
    windowSeconds % 86400 === 0
      ? `${windowSeconds / 86400} d`
      : windowSeconds % 3600 === 0
        ? `${windowSeconds / 3600} h`
        : windowSeconds % 60 === 0
          ? `${windowSeconds / 60} min`
          : undefined;
  return human === undefined ? `${windowSeconds} s` : `${windowSeconds} s (${human})`;
}

/** The alert sentence for a blast-radius decision. */
export function blastRadiusReason(account: string, decision: BlastRadiusDecision, hypothetical: boolean): string {
  return `${blastRadiusCount(account, decision, hypothetical)}${unboundedSlotsSentence(decision)}`;
}

function blastRadiusCount(account: string, decision: BlastRadiusDecision, hypothetical: boolean): string {
  const window = describeWindow(decision.windowSeconds);
  if (!decision.granted) {
    const holders = decision.activeIncidents.map((hold) => hold.incidentKey);
    const frees = decision.retryAfter !== undefined ? ` The first slot frees at ${decision.retryAfter}.` : '';
    return `Blast radius reached: ${decision.used} of ${decision.limit} automatic containments already made in account ${account} within the last ${window}${holders.length > 0 ? ` (${holders.join(', ')})` : ''}; a person must approve any further containment.${frees}`;
  }
  if (decision.alreadyHeld) {
    return `Blast radius: this incident already counts as containment ${decision.used} of ${decision.limit} in account ${account} for the ${window} window; no second slot taken.`;
  }
  if (decision.sharedWith !== undefined) {
    return `Blast radius: incident ${decision.sharedWith} already counts the containment of this same resource (containment ${decision.used} of ${decision.limit} in account ${account} within ${window}); this incident takes no slot of its own.`;
  }
  return hypothetical
    ? `Blast radius: containing now would be containment ${decision.used} of ${decision.limit} in account ${account} within ${window}.`
    : `Blast radius: containment ${decision.used} of ${decision.limit} in account ${account} within ${window}.`;
}

/**
 * Slot items that counted for nothing (blast-radius.ts `holdFromItem`): the limiter never writes
 * one, so the alert says so, for a person to find out who did.
 */
function unboundedSlotsSentence(decision: BlastRadiusDecision): string {
  const slots = decision.unboundedSlots ?? [];
  if (slots.length === 0) return '';
  return ` Slot item(s) ${slots.join(', ')} of this pool hold no time within the window (no readable write time, and no expiry or one more than a window ahead): counted as free. Only the guard writes slots: find out who wrote these.`;
}

export function blastRadiusSummary(decision: BlastRadiusDecision, slotTaken: boolean): GuardBlastRadius {
  return {
    evaluated: true,
    granted: decision.granted,
    slotTaken: decision.granted && slotTaken,
    used: decision.used,
    limit: decision.limit,
    windowSeconds: decision.windowSeconds,
    ...(decision.granted
      ? {}
      : {
          activeIncidents: decision.activeIncidents.map((hold) => hold.incidentKey),
          ...(decision.retryAfter !== undefined ? { retryAfter: decision.retryAfter } : {}),
        }),
  };
}

export function notEvaluated(policy: BlastRadiusPolicy): GuardBlastRadius {
  return {
    evaluated: false,
    granted: false,
    slotTaken: false,
    used: null,
    limit: policy.maxContainments,
    windowSeconds: policy.windowSeconds,
  };
}
