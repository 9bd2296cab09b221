/**
 * The sections of the alert's message about Firebreak's response: the opening lines, what it did
 * and did NOT do, what to do next, the approval asked for, the failure, links and the execution.
 */
import { instanceHeld, perInstanceOutcomes, sequenceLeftOut } from './alert-sequence';
import { credentialHeld, perCredentialOutcomes } from './alert-credentials';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { ConsoleLink } from './console-links';
import { IMPOSTOR_GROUP_ACTION, RENAMED_USER_ACTION } from './model';
import type { ContainmentDecision } from './alert-decision';
import { adviceWithoutContainment } from './alert-decision';
import { dnsBlockLines, dnsUnblockLines, releaseClaimLines, releaseDnsLines } from './alert-release-claims';
import { scannedObjectName } from './alert-malware';
import { credentialReleaseLines } from './alert-credential-release';
import { rawEventField, reasonText, instanceIdOf, isGameDay, isSample } from './alert-incident';
import type { AlertInput, ResultLike, ActionLike, StepSummary } from './alert-model';
import { RAW_EVENT_EXCERPT_BYTES, stepSummaries, ranResponder, hasOutcome, groupOutcomes, isolatingStep, pauseNotice, pausedSteps } from './alert-model';
import { oneLine, ownLine, indentedBlock, utf8Prefix, stringify, describeCause, fieldText, listField } from './alert-text';
import { defangNamedHosts } from './untrusted-text';

const OUTCOME_WORDS: Readonly<Record<string, string>> = {
  done: 'done',
  'already-done': 'already done (earlier run)',
  'would-do': 'would have',
  'would-be-denied': 'would have been DENIED (missing permission)',
  skipped: 'skipped',
};

const NOT_DONE_OUTCOMES = new Set(['would-do', 'would-be-denied', 'skipped']);

/** A step's id as its lines show it; neutralized once for all of the step's lines. */
function stepLabel(step: StepSummary): string {
  return oneLine(step.stepId, 80);
}

/** The remote hosts and IPs the finding names (its queried domain among them): an action naming one shows it defanged. */
function findingHosts(input: AlertInput): readonly string[] {
  const gd = input.incident?.guardDuty;
  return gd === undefined ? [] : [...(gd.dnsDomain !== undefined ? [gd.dnsDomain] : []), ...gd.remoteIndicators];
}

function actionLine(label: string, action: ActionLike, hosts: readonly string[]): string {
  const word = OUTCOME_WORDS[action.outcome] ?? action.outcome;
  const detail = action.detail.trim() === '' ? '' : `: ${action.detail}`;
  return `  - [${label}] ${word}: ${oneLine(defangNamedHosts(`${action.api} on ${action.target}${detail}`, hosts))}`;
}

/** Lists lines up to the budget shared by both action sections, then counts what was left out. */
export class ActionBudget {
  private listed = 0;
  constructor(private readonly max: number) {}
  take(lines: readonly string[]): string[] {
    const room = Math.max(0, this.max - this.listed);
    const shown = lines.slice(0, room);
    this.listed += shown.length;
    const hidden = lines.length - shown.length;
    return hidden > 0 ? [...shown, `  ... and ${hidden} more action(s), listed in the execution history.`] : shown;
  }
}

function stepHeadline(step: StepSummary, label: string): string {
  if (step.result === null) return `  [${label}] did not run`;
  const { responder, status, idempotentReplay } = step.result;
  const replay = idempotentReplay === true ? ' (already done by an earlier run: nothing changed)' : '';
  return `  [${label}] ${oneLine(responder ?? 'step', 80)}: ${oneLine(status ?? 'no status', 80)}${replay}`;
}

/** The WHAT FIREBREAK DID section: each step's changes (done or would-do) within the listing budget; read-only checks only counted. */
export function sectionDid(input: AlertInput, steps: readonly StepSummary[], budget: ActionBudget): string[] {
  const mode = input.mode ?? 'unknown mode';
  const header = `WHAT FIREBREAK DID${input.playbook ? ` (playbook ${oneLine(input.playbook, 80)}, ${mode})` : ` (${mode})`}`;
  if (steps.length === 0) {
    return [header, input.kind === 'triage-only' ? '  Nothing: no playbook step ran for this incident.' : '  Nothing yet: no step had finished.'];
  }
  const lines = [header];
  const hosts = findingHosts(input);
  let observed = 0;
  for (const step of steps) {
    const label = stepLabel(step);
    lines.push(stepHeadline(step, label));
    const done: string[] = [];
    for (const action of step.result?.actions ?? []) {
      if (action.outcome === 'observed') observed += 1;
      else if (!NOT_DONE_OUTCOMES.has(action.outcome)) done.push(actionLine(label, action, hosts));
    }
    lines.push(...budget.take(done));
  }
  if (observed > 0) lines.push(`  (${observed} read-only check(s) not listed.)`);
  return lines;
}

/** The WHAT FIREBREAK DID NOT DO section: dry-run, sample, actions not done, steps that did not run, containment held back. */
export function sectionDidNot(
  input: AlertInput,
  steps: readonly StepSummary[],
  budget: ActionBudget,
  decision: ContainmentDecision | undefined,
): string[] {
  const lines = ['WHAT FIREBREAK DID NOT DO'];
  const hosts = findingHosts(input);
  if (input.mode === 'dry-run') lines.push('  - Dry-run: nothing was changed. "would have" lines are what enforce mode would do.');
  if (isSample(input.incident)) lines.push('  - Sample finding: no resource was touched (its ids are placeholders).');
  for (const step of steps) {
    const notDone = (step.result?.actions ?? []).filter((a) => NOT_DONE_OUTCOMES.has(a.outcome));
    if (notDone.length === 0) continue;
    const label = stepLabel(step);
    lines.push(...budget.take(notDone.map((a) => actionLine(label, a, hosts))));
  }
  if (input.kind === 'failure' && input.failure) {
    lines.push(
      input.group !== undefined
        ? `  - Step ${oneLine(input.failure.step, 80)} of parallel group ${oneLine(input.group.id, 80)} failed: the steps after the group did not run.`
        : `  - Step ${oneLine(input.failure.step, 80)} failed: the steps after it did not run.`,
    );
  }
  if (input.kind === 'approval-request') lines.push('  - The waiting steps have not run: they need a human decision.');
  const incident = input.incident;
  const notContained = decision?.containmentRan === false ? decision.whyNotIsolated : undefined;
  const perInstance = perInstanceOutcomes(steps);
  const perCredential = perCredentialOutcomes(steps);
  if (perCredential !== undefined) {
    // A multi-credential incident: each credential had its own execution (CREDENTIALS says what happened to each).
    const held = perCredential.filter(credentialHeld);
    if (held.length > 0) lines.push(`  - ${held.length} credential(s) of this incident were NOT cut off automatically (see CREDENTIALS for each one and why).`);
  } else if (perInstance !== undefined) {
    // A multi-resource incident: each instance had its own execution (INSTANCES says what happened to each).
    const held = perInstance.filter(instanceHeld);
    if (held.length > 0) lines.push(`  - ${held.length} instance(s) of this incident were NOT contained automatically (see INSTANCES for each one and why).`);
  } else if (incident !== undefined && instanceIdOf(incident) !== undefined && !isSample(incident)) {
    const instanceId = oneLine(instanceIdOf(incident) ?? '');
    // A failure alert's missing step may have run and failed (WHAT FAILED names it): "ran" would be a guess.
    const none = input.kind === 'failure' ? 'finished' : 'ran';
    if (ranResponder(steps, RESPONDER_NAMES.quarantineInstance) === undefined) {
      lines.push(`  - Instance ${instanceId} was NOT isolated${notContained !== undefined ? `: ${notContained}.` : ` (no containment step ${none}).`}`);
    }
    if (ranResponder(steps, RESPONDER_NAMES.snapshotVolumes) === undefined) lines.push(`  - The volumes of ${instanceId} were NOT snapshotted (no evidence step ${none}).`);
  } else if (notContained !== undefined) {
    lines.push(`  - The steps that change resources did NOT run: ${notContained}.`);
  }
  // Row 8k: a sequence's instances and credentials beyond the parser's limits got no execution at all.
  const leftOut = sequenceLeftOut(input.incident);
  if (leftOut.length > 0) lines.push(`  - ${leftOut.length} instance(s) or credential(s) the attack sequence lists were left out of this incident: nothing was started for them (see LEFT OUT for each one).`);
  lines.push('  - Firebreak never terminates instances, deletes resources or changes anything not listed above.');
  return lines;
}

/** The WHAT TO DO NEXT section: the decision's next step when containment was held back, the playbook's advice, then advice for the kind of alert. */
export function sectionNext(input: AlertInput, steps: readonly StepSummary[], decision: ContainmentDecision | undefined): string[] {
  const advice: string[] = [];
  const notContained = decision?.containmentRan === false;
  // When the rails kept containment back, what to do about that comes first; the playbook's own
  // advice assumed its containment ran, so only what still holds is kept (adviceWithoutContainment).
  if (notContained && decision.nextStep !== undefined) advice.push(decision.nextStep);
  // Otherwise the playbook's own words come first: its author knows this kind of incident best.
  if (input.options.advice !== undefined) {
    const playbookAdvice = notContained ? adviceWithoutContainment(input.options.advice) : input.options.advice;
    if (playbookAdvice !== undefined) advice.push(ownLine(playbookAdvice, 2000));
  }
  const incident = input.incident;
  const sample = isSample(incident);
  if (isGameDay(input)) advice.push('Game day: compare this alert and the timeline with the scenario\'s expectations; this is an exercise, not a real incident.');
  if (sample) advice.push('Sample finding: nothing to investigate. Archive it in GuardDuty once you have checked the alert reads well.');
  switch (input.kind) {
    case 'invalid-event':
      advice.push('Find which producer sent this event (source and detail-type above). If it is a real finding in a shape Firebreak does not know, the parser needs updating; the event is kept in the unprocessable-events queue for a replay.');
      break;
    case 'failure':
      advice.push(...failureAdvice(input));
      break;
    case 'approval-request':
      advice.push('Decide now: approve to let the waiting steps run, reject to skip them (commands above).');
      break;
    case 'triage-only':
      advice.push('Firebreak took no action. Decide whether this needs one: review the finding, and archive it or escalate.');
      break;
    case 'report':
      break;
  }
  if (input.mode === 'dry-run' && input.kind !== 'invalid-event') {
    advice.push('Dry-run: check the "would have" actions. Fix any "would have been DENIED" permission, then run a game day before switching the playbook to enforce.');
  }
  if (incident !== undefined && !sample && input.kind !== 'invalid-event') {
    const quarantine = ranResponder(steps, RESPONDER_NAMES.quarantineInstance);
    if (quarantine?.result?.actions.some((a) => a.outcome === 'done' || a.outcome === 'already-done') === true) {
      advice.push(
        ranResponder(steps, RESPONDER_NAMES.snapshotVolumes) !== undefined
          ? 'The instance is isolated: investigate from its snapshots, not by logging in. Then decide whether to rebuild it or release it from quarantine.'
          : 'The instance is isolated, but Firebreak kept no evidence of it: snapshot its volumes by hand first, then investigate from the snapshots, not by logging in. Then decide whether to rebuild it or release it from quarantine.',
      );
    } else if (perCredentialOutcomes(steps) !== undefined) {
      advice.push('Check CREDENTIALS above: cut off by hand every credential Firebreak did not (refused, awaiting approval, failed, or never started), or record why it may stay.');
    } else if (perInstanceOutcomes(steps) !== undefined) {
      advice.push('Check INSTANCES above: contain by hand every instance Firebreak did not (protected, awaiting approval, failed, or never started), or record why it may run.');
    } else if (instanceIdOf(incident) !== undefined && incident.severity.score >= 7 && input.mode !== 'dry-run' && decision?.containmentRan !== false) {
      advice.push('The instance was not isolated by Firebreak: decide now whether to contain it by hand.');
    }
    const snapshot = ranResponder(steps, RESPONDER_NAMES.snapshotVolumes)?.result as (ResultLike & { instanceStoreVolumes?: { status?: string }; locks?: readonly EvidenceLockLike[] }) | undefined;
    if (snapshot?.instanceStoreVolumes?.status === 'present') {
      advice.push('The instance has instance-store volumes that snapshots do not preserve: image them from inside the instance before it stops.');
    }
    const locksLine = evidenceLocksAdvice(snapshot?.locks);
    if (locksLine !== undefined) advice.push(locksLine);
    const copy = ranResponder(steps, RESPONDER_NAMES.copyEvidence)?.result as (ResultLike & { copies?: readonly EvidenceCopyLike[] }) | undefined;
    const custodyLine = custodyAdvice(copy?.copies);
    if (custodyLine !== undefined) advice.push(custodyLine);
    const keptLine = keptDrillCopiesAdvice(copy?.copies);
    if (keptLine !== undefined) advice.push(keptLine);
    if (incident.guardDuty !== undefined) advice.push('Review the finding in GuardDuty (link below) and archive it when the incident is closed.');
  }
  if (input.kind !== 'invalid-event' && hasOutcome(steps, 'would-be-denied')) advice.push('Some calls would be denied: add the missing IAM actions to the responder or member role.');
  return ['WHAT TO DO NEXT', ...advice.map((a, i) => `  ${i + 1}. ${a}`)];
}

/** An object (not null, not a list): a result's entry the alert may read fields of. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A lock of snapshot-volumes' result (lib/responders/snapshot-lock.ts), as the alert reads it: a claim of a step's output, shown, never acted on. */
interface EvidenceLockLike {
  readonly snapshotId?: unknown;
  readonly outcome?: unknown;
  readonly lockState?: unknown;
  readonly lockExpiresOn?: unknown;
  readonly lockDurationDays?: unknown;
  readonly coolOffPeriodExpiresOn?: unknown;
}

/** One advice line on the evidence locks: which snapshots are locked, in what mode, until when (or for how long once complete). */
function evidenceLocksAdvice(locks: unknown): string | undefined {
  const held = listField(locks).filter((l): l is EvidenceLockLike => isObject(l) && (l.outcome === 'locked' || l.outcome === 'already-locked'));
  if (held.length === 0) return undefined;
  const parts = held.map((l) => {
    const until = typeof l.lockExpiresOn === 'string' ? `until ${l.lockExpiresOn}` : typeof l.lockDurationDays === 'number' ? `for ${l.lockDurationDays} day(s) once complete` : '';
    const coolOff = typeof l.coolOffPeriodExpiresOn === 'string' ? `, cooling-off until ${l.coolOffPeriodExpiresOn}` : '';
    return oneLine(`${fieldText(l.snapshotId)} ${l.lockState === undefined || l.lockState === null ? 'locked' : fieldText(l.lockState)} ${until}${coolOff}`, 200);
  });
  return `The evidence snapshots are locked (EBS Snapshot Lock) and cannot be deleted while the lock holds: ${parts.join('; ')}. Governance-mode locks can still be removed by whoever holds ec2:UnlockSnapshot: restrict it with an SCP.`;
}

/** A copy of copy-evidence's result (lib/responders/snapshot-copy.ts), as the alert reads it: a step's output, shown, never acted on. */
interface EvidenceCopyLike {
  readonly sourceSnapshotId?: unknown;
  readonly copySnapshotId?: unknown;
  readonly custody?: {
    readonly sourceVolumeId?: unknown;
    readonly forensicAccount?: unknown;
    readonly kmsKeyId?: unknown;
    readonly copiedAt?: unknown;
    readonly copiedBy?: { readonly forensicRoleArn?: unknown; readonly executionArn?: unknown };
    readonly sourceSha256?: unknown;
    readonly copySha256?: unknown;
    readonly status?: unknown;
    readonly confirmed?: { readonly at?: unknown; readonly copyState?: unknown; readonly copySha256?: unknown; readonly reason?: unknown };
    readonly unshare?: { readonly removed?: unknown };
    readonly verified?: unknown;
  };
}

/** Where one copy stands, in a few words: completed (final hash, share removed or not), failed (why), or pending. */
function custodyState(k: NonNullable<EvidenceCopyLike['custody']>): string {
  const confirmed = k.confirmed;
  if (k.status === 'completed') {
    return `, completed ${fieldText(confirmed?.at)} (final copy SHA-256 ${fieldText(confirmed?.copySha256)}), share with the forensic account ${k.unshare?.removed === true ? 'removed' : 'NOT removed yet'}`;
  }
  if (k.status === 'failed') return `, FAILED: ${fieldText(confirmed?.reason)} (source and its share kept)`;
  if (k.status === 'refused-copy-kept') return ', the drill REFUSED after this copy started: the copy is kept in the forensic account, to be removed by hand';
  return ', pending (not confirmed yet)';
}

/** One advice line with the chain of custody of each forensic copy: who, when, source, copy, key, hashes. */
function custodyAdvice(copies: unknown): string | undefined {
  const held = listField(copies).filter((c): c is EvidenceCopyLike => isObject(c) && isObject(c.custody) && typeof c.copySnapshotId === 'string');
  if (held.length === 0) return undefined;
  const parts = held.map((c) => {
    const k = c.custody!;
    return oneLine(
      `${fieldText(c.sourceSnapshotId)} (volume ${fieldText(k.sourceVolumeId)}) copied to ${fieldText(c.copySnapshotId)} in ${fieldText(k.forensicAccount)}, key ${fieldText(k.kmsKeyId)}, copied ${fieldText(k.copiedAt)} by ${fieldText(k.copiedBy?.forensicRoleArn)}, SHA-256 source ${fieldText(k.sourceSha256)} copy ${fieldText(k.copySha256)}${custodyState(k)}${k.verified === true ? '' : ' (custody record NOT verified)'}`,
      800,
    );
  });
  return `Chain of custody (state table, custody# records, sealed): ${parts.join('; ')}. Investigate from the forensic copies; the sources stay in the member account.`;
}

/**
 * One advice line naming the copies a drill refused after they started left in the forensic account
 * (custody `refused-copy-kept`): copy-evidence never deletes evidence, so the drill's owner removes
 * them by hand there.
 */
function keptDrillCopiesAdvice(copies: unknown): string | undefined {
  const kept = listField(copies).filter((c): c is EvidenceCopyLike => isObject(c) && isObject(c.custody) && c.custody.status === 'refused-copy-kept');
  if (kept.length === 0) return undefined;
  const accounts = [...new Set(kept.map((c) => fieldText(c.custody?.forensicAccount)))].join(', ');
  const named = kept.map((c) => `${fieldText(c.copySnapshotId)} (of ${fieldText(c.sourceSnapshotId)})`).join(', ');
  const one = kept.length === 1;
  return oneLine(
    `The drill was refused after its copies started (instance opted out, or a disk shared): ${kept.length} ${one ? 'copy' : 'copies'} of the drill's snapshots ${one ? 'remains' : 'remain'} in the forensic account ${accounts}: ${named}. Firebreak never deletes evidence: the drill's owner must delete ${one ? 'it' : 'them'} by hand there (ec2:DeleteSnapshot in ${accounts}), once ${one ? 'it is' : 'they are'} no longer needed.`,
    2000,
  );
}

function failureAdvice(input: AlertInput): string[] {
  const error = input.failure?.error ?? '';
  const account = input.incident?.account ?? rawEventField(input.rawEvent, 'account');
  const advice: string[] = [];
  if (error === 'MemberRoleUnavailableError') {
    // The account is the finding's: one of the organization's without the stack, or one outside it
    // (a partner's, an attacker's) where the deployment may not assume a role at all.
    const where = account ?? '(see the cause)';
    advice.push(
      `If account ${where} is one of your organization's, deploy (or repair) the Firebreak member-role stack there: Firebreak cannot act there without it. If it is not (a partner's or an attacker's account the finding names), Firebreak may not act there: contain it with the account's owner.`,
    );
  } else if (error === 'ResponderAccessDeniedError') {
    advice.push('Grant the IAM action named in the error to the responder (or member) role, then run the playbook again for this incident.');
  } else if (error === 'TransientResponderError' || error.startsWith('Lambda.') || error === 'States.Timeout') {
    advice.push('AWS kept throttling or timing out after every retry: run the playbook again for this incident once the API recovers.');
  } else if (error === 'ResponderInputError') {
    advice.push('The step received input it does not accept: this is a Firebreak bug or a playbook option error; the cause names the field.');
  } else {
    advice.push('Open the execution (link below): the failed step\'s input and error are in its history.');
  }
  if (input.incident !== undefined && instanceIdOf(input.incident) !== undefined && !isSample(input.incident)) {
    advice.push('Until then the incident is only partly handled: contain the instance and preserve its volumes by hand if the steps above did not.');
  }
  return advice;
}

/**
 * What still holds after a failure: the instance a quarantine step isolated (a failure alert must
 * not read as if nothing was contained), and on a group's summary what each step of the group did.
 */
function failureOutcomeLines(input: AlertInput): string[] {
  const lines: string[] = [];
  const isolating = isolatingStep(stepSummaries(input.results));
  const instanceId = input.incident !== undefined ? instanceIdOf(input.incident) : undefined;
  if (isolating !== undefined && instanceId !== undefined && !isSample(input.incident)) {
    lines.push(`Instance ${oneLine(instanceId)} IS contained: step ${stepLabel(isolating)} (${oneLine(isolating.result?.responder ?? '', 80)}) isolated it.`);
  }
  const group = groupOutcomes(input);
  if (input.group !== undefined && group.length > 0) {
    const steps = group.map((step) =>
      step.error !== undefined
        ? `${oneLine(step.stepId, 80)} FAILED (${oneLine(step.error, 80)})`
        : `${oneLine(step.stepId, 80)} succeeded (${oneLine(step.result?.responder ?? 'step', 80)}: ${oneLine(step.result?.status ?? 'no status', 80)})`,
    );
    lines.push(`Parallel group ${oneLine(input.group.id, 80)}: ${steps.join('; ')}.`);
  }
  return lines;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * What approving will and will not do, as the records said when the request was made (indented
 * lines of the APPROVAL NEEDED section; also stored with the request, for `firebreak approve`).
 */
export function approvalOutcomeLines(input: AlertInput): string[] {
  const steps = stepSummaries(input.results);
  return [
    // A release of an instance: whether approving restores it, or only takes back this incident's claim.
    // Of an S3 object: whether approving takes the infected tags off, or it stays tagged for another incident.
    ...releaseClaimLines(
      steps,
      input.incident?.key,
      input.incident !== undefined ? instanceIdOf(input.incident) : undefined,
      input.incident !== undefined ? scannedObjectName(input.incident) : undefined,
    ),
    // A release of an access key: whether approving re-activates it (other incidents may still hold
    // it) and whether AWSDenyAll stays for another key's incident.
    ...credentialReleaseLines(steps, input.incident?.key),
    // `firebreak dns unblock`: the domain its step unblocks, and its force, from the request the grant binds (row 5s).
    ...dnsUnblockLines(input.request, input.incident?.key, input.incident !== undefined ? instanceIdOf(input.incident) : undefined),
    // A release whose unblock step lifts the instance's DNS Firewall blocks: which domains resolve again (row 5r).
    ...releaseDnsLines(steps, input.incident?.key, input.incident !== undefined ? instanceIdOf(input.incident) : undefined),
    // A containment whose block-dns-domain step blocks the finding's domain VPC-wide (row 10h).
    ...dnsBlockLines(input.incident?.guardDuty?.dnsDomain, input.approval?.blocksDnsDomain, {
      account: input.incident?.account,
      region: input.incident?.region,
      instanceId: input.incident !== undefined ? instanceIdOf(input.incident) : undefined,
    }),
  ];
}

/**
 * The APPROVAL NEEDED section: the waiting steps, the deadline, and the approve and reject commands.
 * `deadline`: when answers stop being taken, as the approval function holds them (the guard's
 * approval deadline, never later than the stored request's time + timeout); without it, `now` +
 * the timeout. `latestOnly`: the guard's grant could not be read, so `deadline` is the latest one
 * and the enforced one may be earlier (the section says so). `onTimeout`: what the guard's grant says
 * the playbook does when nobody answers by the deadline; the section says it, the DNS block included
 * (row 10i): under `contain`, not answering runs the waiting steps as approving does.
 */
export function sectionApproval(
  input: AlertInput,
  now: Date,
  deadline = new Date(now.getTime() + (input.approval?.timeoutSeconds ?? 0) * 1000).toISOString(),
  latestOnly = false,
  onTimeout?: 'contain' | 'evidence-only',
): string[] {
  const approval = input.approval;
  if (approval === undefined) return [];
  // The task token stays out of the alert (issue 8): publish-alert stored it in the state table,
  // and only the approval function sends it, after recording who answered.
  const steps = approval.waitingSteps.length > 0 ? approval.waitingSteps.map((s) => oneLine(s, 80)).join(', ') : '(the playbook\'s guarded steps)';
  const executionArn = input.execution?.executionArn;
  const execution = executionArn !== undefined ? shellQuote(oneLine(executionArn, 300)) : '<the execution ARN of this playbook run>';
  // What nobody answering does, as the guard's grant says (row 10i): row 10h's line says to approve the
  // DNS block only if the domain is unused, which under onTimeout contain a silent approver does not decide.
  const unanswered =
    onTimeout === 'contain'
      ? `if nobody answers by then, ${steps} run WITHOUT approval (this playbook's onTimeout is contain)${approval.blocksDnsDomain === true ? ', the DNS block above included' : ''}: reject to stop them.`
      : onTimeout === 'evidence-only'
        ? `if nobody answers by then, ${steps} do not run (onTimeout: evidence-only).`
        : "then the playbook's timeout rule applies.";
  return [
    'APPROVAL NEEDED',
    `  Playbook ${oneLine(input.playbook ?? input.execution?.playbook ?? '(unknown)', 80)} is waiting for a decision before: ${steps}.`,
    ...approvalOutcomeLines(input),
    latestOnly
      ? `  It waits ${approval.timeoutSeconds} s at most: answers are taken until ${oneLine(deadline, 40)} at the latest; ${unanswered} The containment guard's own deadline could not be read and may be earlier: answer early.`
      : `  It waits ${approval.timeoutSeconds} s at most: answers are taken until ${oneLine(deadline, 40)}; ${unanswered}`,
    `  Execution: ${executionArn !== undefined ? oneLine(executionArn, 300) : '(unknown)'}`,
    '  Approve (with credentials that carry the stack\'s ApproverPolicy; your identity is recorded):',
    `    npx firebreak approve --execution ${execution}`,
    '  Reject:',
    `    npx firebreak reject --execution ${execution} --reason "..."`,
    '  One answer only; the instance\'s own role cannot answer.',
  ];
}

/** The WHY IT WAS REFUSED section of an invalid event. */
export function sectionRefusal(input: AlertInput): string[] {
  return ['WHY IT WAS REFUSED', ...indentedBlock(reasonText(input) ?? 'no reason given')];
}

/** The THE EVENT section: the raw event, cut to its excerpt's byte budget. */
export function sectionRawEvent(input: AlertInput): string[] {
  const raw = stringify(input.rawEvent);
  const excerpt = utf8Prefix(raw, RAW_EVENT_EXCERPT_BYTES);
  return [
    excerpt.truncated ? `THE EVENT (first ${RAW_EVENT_EXCERPT_BYTES} bytes of ${Buffer.byteLength(raw, 'utf8')})` : 'THE EVENT',
    ...indentedBlock(raw === '' ? '(empty)' : excerpt.text, RAW_EVENT_EXCERPT_BYTES),
  ];
}

/** The WHAT FAILED section: the step, the error and its cause. */
export function sectionFailure(input: AlertInput): string[] {
  const failure = input.failure;
  if (failure === undefined) return [];
  const cause = describeCause(failure.cause);
  // A group's summary names the first failed step; the group's other failures were alerted too.
  const others = groupOutcomes(input).filter((step) => step.error !== undefined && step.stepId !== input.group?.failedStep);
  return [
    'WHAT FAILED',
    `  Step: ${oneLine(failure.step, 80)}`,
    `  Error: ${oneLine(failure.error)}`,
    ...(cause !== undefined ? ['  Cause:', ...indentedBlock(cause)] : []),
    ...(others.length > 0 && input.group !== undefined
      ? [`  Also failed in group ${oneLine(input.group.id, 80)}: ${others.map((step) => `${oneLine(step.stepId, 80)} (${oneLine(step.error ?? '', 80)})`).join(', ')}`]
      : []),
  ];
}

/** The LINKS section: the console links, and the account the instance lives in. */
export function sectionLinks(links: readonly ConsoleLink[], account: string | undefined, resourceWords = 'instance and its snapshots are'): string[] {
  if (links.length === 0) return [];
  return [
    'LINKS',
    ...links.map((l) => `  ${l.label}: ${l.url}`),
    ...(account !== undefined ? [`  (The ${resourceWords} in account ${account}; the execution is in the account Firebreak runs in.)`] : []),
  ];
}

/** The ABOUT THIS ALERT section: its kind, mode, time, execution and incident revision. */
export function sectionExecution(input: AlertInput, now: Date): string[] {
  const lines = ['ABOUT THIS ALERT', `  Kind: ${input.kind}; mode: ${input.mode ?? 'unknown'}; sent ${now.toISOString()}`];
  if (input.execution?.executionArn !== undefined) lines.push(`  Execution: ${oneLine(input.execution.executionArn)}`);
  if (input.incident !== undefined) lines.push(`  Incident revision: ${oneLine(input.incident.revision)}`);
  return lines;
}

/** The alert's opening lines: what happened, then the game-day, dry-run, sample and impostor-group warnings. */
export function openingLines(input: AlertInput): string[] {
  const lines: string[] = [];
  const incident = input.incident;
  switch (input.kind) {
    case 'invalid-event':
      lines.push('Firebreak received an event it could not parse into an incident. It took no action on it.');
      break;
    case 'failure':
      lines.push(`Firebreak FAILED while handling ${incident ? `incident ${incident.key}` : 'an event'}: step ${oneLine(input.failure?.step ?? 'unknown', 80)} failed for good (retries exhausted or a final error).`);
      lines.push(...failureOutcomeLines(input));
      break;
    case 'approval-request':
      lines.push(`Firebreak needs a human decision to continue on incident ${incident?.key ?? ''}.`);
      break;
    case 'triage-only':
      lines.push(`Firebreak did not run a playbook for incident ${incident?.key ?? ''}${reasonText(input) ? `: ${oneLine(reasonText(input) ?? '', 600)}` : '.'}`);
      // The dispatcher's alerts cannot be verified (an Express execution keeps no readable history): they claim no action.
      lines.push('This is triage\'s reading of an event, sent by the dispatcher: it claims no action, and Firebreak changed nothing for it.');
      break;
    case 'report':
      lines.push(`Firebreak handled incident ${incident?.key ?? ''}${input.playbook ? ` with playbook ${oneLine(input.playbook, 80)}` : ''}.`);
      break;
  }
  if (isGameDay(input)) {
    // A release or an unblock is a request Firebreak raises itself (source firebreak, lib/operator/manual-request.ts): nothing was injected.
    lines.push(
      incident?.source === 'firebreak'
        ? `GAME DAY: this request undoes what game-day drill ${oneLine(incident.key, 64)} did. It is an exercise.`
        : `GAME DAY: this ${incident ? 'incident' : 'event'} was injected by a game day. It is an exercise.`,
    );
  }
  if (input.mode === 'dry-run' && input.kind !== 'invalid-event') lines.push('DRY-RUN: Firebreak changed nothing; the actions below are what it WOULD have done.');
  const paused = pauseNotice(stepSummaries(input.results));
  if (paused !== undefined) lines.push(`PAUSED: containment ran as dry-run, nothing was contained. ${oneLine(paused, 900)}`);
  else {
    // Paused after the guard cleared the execution: the steps that found the pause ran dry-run (another may have acted before it).
    const late = pausedSteps(stepSummaries(input.results));
    if (late[0] !== undefined) {
      const names = late.map((step) => oneLine(step.stepId, 80)).join(', ');
      lines.push(`PAUSED: step${late.length === 1 ? '' : 's'} ${names} ran as dry-run: Firebreak was paused after the containment guard cleared this execution. ${oneLine(late[0].notice, 900)}`);
    }
  }
  if (isSample(incident)) lines.push('SAMPLE: a GuardDuty sample finding with placeholder resources; nothing was touched.');
  // Someone created a group named like Firebreak's: isolation did not use it, but people must know it
  // exists. And the user whose key GuardDuty saw was renamed (iam:UpdateUser): its key was followed to
  // the new name (renamed-key-owner.ts, followKeyToRenamedUser); once per user, whichever step saw it.
  const impostors = new Map<string, string>();
  const renamed = new Map<string, string>();
  for (const step of stepSummaries(input.results)) {
    for (const action of step.result?.actions ?? []) {
      if (action.api === IMPOSTOR_GROUP_ACTION) impostors.set(action.target, action.detail);
      else if (action.api === RENAMED_USER_ACTION && !renamed.has(action.target)) renamed.set(action.target, action.detail);
    }
  }
  for (const detail of renamed.values()) {
    lines.push(`WARNING: ${oneLine(detail, 600)}. Find out from CloudTrail (iam:UpdateUser) whether and by whom the user was renamed, and what else that key did: renaming a user whose key was seen is a sign of an attacker evading containment, and a finding naming a user IAM never had is a sign of a forged finding.`);
  }
  for (const [groupId, detail] of impostors) {
    lines.push(`WARNING: ${oneLine(detail || `impostor security group ${groupId}`, 600)}. Find out who created it: a group named like Firebreak's isolation groups is a sign of someone preparing to defeat containment.`);
  }
  return lines;
}
