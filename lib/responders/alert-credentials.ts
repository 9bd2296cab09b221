/**
 * What happened to each credential of an IAM attack sequence, for the one alert the sequence gets:
 * the `contain-each-credential` step's per-credential executions (compile-per-instance.ts), each
 * read from its guard's answer and from what disable-access-key or revoke-role-sessions did to that
 * credential: cut off, already cut off, refused (a break-glass user by name or a protected tag, by
 * the guard before a slot is taken; a key IAM does not pair with its user, by the step…)
 * with the reason, waiting for a person, handled by an earlier revision, failed, or never started
 * (an account the deployment does not serve, the cap). Every line is cut; the alert's byte budget
 * holds the whole message (alert-model.ts).
 */
import * as z from '../contracts/zod-mini';
import { asEarlierRan, describeAlreadyStarted, earlierExecutionSchema } from './alert-earlier';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { Incident } from '../incident/model';
import { PER_CREDENTIAL_ACTION } from '../playbooks/fan-out-names';
import { credentialTargets, describeCredentialTarget } from '../playbooks/per-credential';
import type { StepSummary } from './alert-model';
import { oneLine } from './alert-text';
import { executionLink } from './console-links';
import { quoteUntrusted } from './untrusted-text';

const LIMIT = 20;

// z.lazy: built the first time a credential playbook's outcomes are read, not at cold start.
const targetSchema = z.lazy(() =>
  z.looseObject({
    credential: z.enum(['access-key', 'iam-role']),
    id: z.string(),
    userName: z.optional(z.string()),
    account: z.string(),
    subject: z.optional(z.string()),
  }),
);

const keySchema = z.lazy(() => z.looseObject({ accessKeyId: z.string(), outcome: z.string(), denyAll: z.optional(z.string()), reason: z.optional(z.string()) }));
const roleSchema = z.lazy(() => z.looseObject({ roleName: z.string(), account: z.optional(z.string()), outcome: z.string(), issuedBefore: z.optional(z.string()), reason: z.optional(z.string()) }));
const stepResultSchema = z.lazy(() =>
  z.looseObject({
    responder: z.string(),
    status: z.optional(z.string()),
    refusal: z.optional(z.string()),
    keys: z.optional(z.array(keySchema)),
    roles: z.optional(z.array(roleSchema)),
  }),
);

/** One item of the Map's result, read loosely: a newer shape is shown as far as it reads. */
const perCredentialOutcomeSchema = z.lazy(() =>
  z.looseObject({
    target: targetSchema,
    executionName: z.optional(z.string()),
    executionArn: z.optional(z.string()),
    status: z.string(),
    guard: z.optional(z.string()),
    reasons: z.optional(z.array(z.string())),
    results: z.optional(z.record(z.string(), z.unknown())),
    error: z.optional(z.string()),
    // An ALREADY_STARTED item's earlier execution, read again (compile-per-instance.ts).
    earlier: z.optional(earlierExecutionSchema()),
  }),
);

export type PerCredentialOutcome = z.output<typeof perCredentialOutcomeSchema>;

/** The per-credential outcomes of the `contain-each-credential` step, if the playbook ran one. */
export function perCredentialOutcomes(steps: readonly StepSummary[]): PerCredentialOutcome[] | undefined {
  const step = steps.find((candidate) => candidate.result?.responder === PER_CREDENTIAL_ACTION);
  if (step === undefined) return undefined;
  const credentials = (step.result as { credentials?: unknown } | null)?.credentials;
  if (!Array.isArray(credentials)) return [];
  return credentials.flatMap((item) => {
    const parsed = perCredentialOutcomeSchema.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}

/** The credential steps' results of one per-credential execution. */
function stepResults(outcome: PerCredentialOutcome): z.output<typeof stepResultSchema>[] {
  return Object.values(outcome.results ?? {}).flatMap((entry) => {
    const parsed = stepResultSchema.safeParse((entry as { result?: unknown } | null)?.result);
    return parsed.success ? [parsed.data] : [];
  });
}

const KEY_WORDS: Readonly<Record<string, string>> = {
  disabled: 'CUT OFF: set Inactive (never deleted)',
  'already-inactive': 'already Inactive: nothing changed',
  'would-disable': 'dry-run: would be set Inactive',
  temporary: 'NOT cut off: a temporary key',
  refused: 'NOT cut off, refused',
  'not-found': 'NOT cut off, not found',
};

const ROLE_WORDS: Readonly<Record<string, string>> = {
  revoked: 'CUT OFF: every session issued so far revoked',
  'already-revoked': 'already revoked by this incident: nothing new written',
  'would-revoke': 'dry-run: its sessions would be revoked',
  refused: 'NOT cut off, refused',
  'not-found': 'NOT cut off, not found',
};

/** What happened to one credential, in one sentence. */
export function describeCredentialOutcome(outcome: PerCredentialOutcome): string {
  return outcome.status === 'ALREADY_STARTED' ? describeAlreadyStarted(outcome, describeRun) : describeRun(outcome);
}

/** One execution's outcome for a credential: its status, its guard's answer, then what its step did. */
function describeRun(outcome: PerCredentialOutcome): string {
  if (outcome.status === 'RUNNING') {
    return 'its execution is still RUNNING (waiting for an approval or a retry): NOT cut off yet';
  }
  if (outcome.status === 'TIMED_OUT' || outcome.status === 'ABORTED') {
    return `its execution ended ${outcome.status}: NOT cut off by it; cut it off by hand now`;
  }
  if (outcome.status === 'FAILED') {
    return `FAILED (${oneLine(outcome.error ?? 'unknown error', 120)}): its execution alerted the failure; cut it off by hand now`;
  }
  const firstReason = outcome.reasons?.[0];
  const why = firstReason !== undefined ? `: ${oneLine(firstReason, 300)}` : '';
  if (outcome.guard === 'evidence-only') return `NOT cut off, refused by its containment guard${why}`;
  if (outcome.guard === 'needs-approval') return `NOT cut off yet: a person was asked to approve (the approval record says the answer)${why}`;
  if (outcome.guard !== 'proceed') return `ended ${oneLine(outcome.status, 40)}, guard answered ${oneLine(outcome.guard ?? 'nothing', 40)}`;
  const { target } = outcome;
  for (const result of stepResults(outcome)) {
    if (target.credential === 'access-key' && result.responder === RESPONDER_NAMES.disableAccessKey) {
      const key = result.keys?.find((candidate) => candidate.accessKeyId === target.id);
      if (key !== undefined) {
        const denyAll = key.denyAll === 'attached' ? '; AWSDenyAll attached to the user' : key.denyAll === 'already-attached' ? '; AWSDenyAll already on the user' : key.denyAll === 'would-attach' ? '; AWSDenyAll would be attached' : '';
        return `${KEY_WORDS[key.outcome] ?? oneLine(key.outcome, 40)}${denyAll}${key.reason !== undefined ? `: ${oneLine(key.reason, 300)}` : ''}`;
      }
      if (result.refusal !== undefined) return `NOT cut off, refused: ${oneLine(result.refusal, 300)}`;
    }
    if (target.credential === 'iam-role' && result.responder === RESPONDER_NAMES.revokeRoleSessions) {
      const role = result.roles?.find((candidate) => candidate.roleName === target.id);
      if (role !== undefined) {
        const cutOff = role.issuedBefore !== undefined && (role.outcome === 'revoked' || role.outcome === 'already-revoked') ? ` (issued before ${oneLine(role.issuedBefore, 40)})` : '';
        return `${ROLE_WORDS[role.outcome] ?? oneLine(role.outcome, 40)}${cutOff}${role.reason !== undefined ? `: ${oneLine(role.reason, 300)}` : ''}`;
      }
      if (result.refusal !== undefined) return `NOT cut off, refused: ${oneLine(result.refusal, 300)}`;
    }
  }
  return 'cleared by its containment guard, but no step reported what it did to this credential: check the execution';
}

/** Outcomes of a credential that mean it is cut off (or, in dry-run, would be). */
const CUT_OFF = new Set(['disabled', 'already-inactive', 'would-disable', 'revoked', 'already-revoked', 'would-revoke']);

/** True when the credential is not cut off by this run nor by an earlier revision's: a person must look. */
export function credentialHeld(item: PerCredentialOutcome): boolean {
  const outcome = asEarlierRan(item);
  // An earlier revision whose execution could not be read is not counted: its own alert said.
  if (outcome.status === 'ALREADY_STARTED') return false;
  if (outcome.status !== 'SUCCEEDED' || outcome.guard !== 'proceed') return true;
  const { target } = outcome;
  const results = stepResults(outcome);
  const reached =
    target.credential === 'access-key'
      ? results.flatMap((result) => result.keys ?? []).find((key) => key.accessKeyId === target.id)?.outcome
      : results.flatMap((result) => result.roles ?? []).find((role) => role.roleName === target.id)?.outcome;
  return reached === undefined || !CUT_OFF.has(reached);
}

/**
 * The CREDENTIALS section: each credential the incident names and what happened to it, with its
 * execution's link; then the credentials that got no execution (triage's reasons say why).
 * Empty unless the playbook ran a `contain-each-credential` step.
 */
export function sectionCredentials(incident: Incident, steps: readonly StepSummary[]): string[] {
  const outcomes = perCredentialOutcomes(steps);
  if (outcomes === undefined) return [];
  const lines = [`CREDENTIALS (${outcomes.length} per-credential execution(s), each cleared by its own containment guard)`];
  for (const outcome of outcomes.slice(0, LIMIT)) {
    lines.push(`  ${oneLine(describeCredentialTarget(outcome.target), 200)} (account ${oneLine(outcome.target.account, 20)}): ${describeCredentialOutcome(outcome)}`);
    const runLink = outcome.executionArn !== undefined ? executionLink(outcome.executionArn) : undefined;
    if (runLink !== undefined) lines.push(`    Execution: ${runLink}`);
    else if (outcome.executionName !== undefined) lines.push(`    Execution: ${oneLine(outcome.executionName, 80)}`);
  }
  if (outcomes.length > LIMIT) lines.push(`  ... and ${outcomes.length - LIMIT} more (the execution history has them)`);
  // Credentials the incident names that got no execution: never started (account, cap) or not a credential Firebreak acts on.
  const named = credentialTargets(incident, { maxCredentials: Number.MAX_SAFE_INTEGER });
  const ran = new Set(outcomes.map((outcome) => `${outcome.target.credential}|${outcome.target.account}|${outcome.target.id}`));
  const left = named.targets.filter((target) => !ran.has(`${target.credential}|${target.account}|${target.id}`));
  for (const target of left.slice(0, LIMIT)) {
    lines.push(`  ${oneLine(describeCredentialTarget(target), 200)} (account ${oneLine(target.account, 20)}): NOT cut off by Firebreak, no execution started (an account this deployment does not serve, or past the cap; triage's reasons say which)`);
  }
  for (const skip of named.skipped.slice(0, LIMIT)) {
    lines.push(`  ${quoteUntrusted(skip.value, 200)}${skip.account !== undefined ? ` (account ${oneLine(skip.account, 20)})` : ''}: NOT cut off: ${oneLine(skip.reason, 300)}`);
  }
  return lines;
}
