/**
 * update-security-hub-finding: writes back to the GuardDuty finding's Security Hub copy what
 * Firebreak did (issue 13, "the finding's own record"): `BatchUpdateFindings` with the finding's
 * identifier, a workflow status (NOTIFIED after containment or an alert, RESOLVED in a release
 * playbook) and a note naming the incident key and each step's outcome, so people triaging in the
 * Security Hub console see that it is handled.
 *
 * WHICH ACCOUNT: the finding's own account and region, through the member role. GuardDuty sends each
 * finding to the Security Hub of the same account and region; a member account may update its own
 * findings, and the administrator (aggregator) account sees the update
 * (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindings.html). Calling
 * from the security account instead would work only when it is also the Security Hub
 * administrator, and only in the aggregation region: the member role works in every layout.
 *
 * ONLY UNDER ITS EXECUTION'S GRANT: anyone with lambda:InvokeFunction can write this step's whole
 * input, the incident and so the finding ARN included. Before it reads or sends anything, the
 * containment guard's grant of the execution the input names must hold the digest of that incident
 * (grants.ts), of the kind the status reports (`contain` for NOTIFIED, `release` for RESOLVED) and,
 * when it waited for a person, approved. Any subject's grant will do (an instance, credentials, an
 * object): the step changes none of them, only the finding the digest-bound incident names.
 *
 * EVERY INPUT IS A CLAIM: the finding ARN comes from the event. Before any call it must have
 * GuardDuty's finding ARN format, and its region, account, detector and finding id must be the
 * incident's own (a finding that names another account's finding is refused, nothing sent). The
 * incident names no partition: the ARN's must be one of AWS's, and since the whole ARN is the Id
 * Security Hub matches, one that is not the finding's names no finding (FindingNotFound).
 * A release resolves the finding its containment recorded, checked the same way against the
 * release's incident (the record is a state-table item: a claim too).
 * Security Hub has no DryRun: in dry-run nothing is sent, and the result says what would have been.
 */
import { BatchUpdateFindingsCommand } from '@aws-sdk/client-securityhub';
import type { SecurityHubClients } from '../aws/clients/securityhub';
import { awsErrorCode, toResponderError } from '../aws/errors';
import * as z from '../contracts/zod-mini';
import { UPDATE_SECURITY_HUB_FINDING } from '../contracts/responders';
import { TransientResponderError } from '../contracts/responder-errors';
import { isKeyOfFinding, isOwnKeyOfFinding } from '../incident/keys';
import type { Incident } from '../incident/model';
import { SECURITY_HUB_NOTE_AUTHOR, updateSecurityHubFindingOptions } from '../playbooks/security-hub-options';
import type { ReleaseStepResponder, SecurityHubWorkflowStatus } from '../playbooks/security-hub-options';
import { ActionLog } from './action-log';
import type { DeploymentEnvironment } from './effective-mode';
import { effectiveMode, forcedDryRunField, recordEffectiveMode } from './effective-mode';
import type { GrantReader } from './grants';
import { checkContainmentGrant, grantDryRunWhy, recordPausedGrant } from './grants';
import type { InvocationOrigins } from './invocation-origin';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import type { SecurityHubFindingRecord, SecurityHubFindingRecords } from './security-hub-records';
import type { ResponderInput } from './responder-input';
import { parseResponderInput } from './responder-input';
import type { HandlerDeps, Responder, ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import { neutralizeText } from './untrusted-text';
import { isGameDayIncident } from './game-day';
import { stepClaimOf } from './step-binding';
import { requireStepOrigin } from './step-origin';
import type { ReleaseStatus } from './release';
import type { ReleaseCredentialsStatus } from './release-credentials';
import type { ReleaseS3ObjectStatus } from './release-s3-object';

export const UPDATE_SECURITY_HUB_FINDING_RESPONDER = UPDATE_SECURITY_HUB_FINDING;
export const updateSecurityHubFindingOptionsSchema = updateSecurityHubFindingOptions;

/** BatchUpdateFindings limits (API reference, NoteUpdate): Text 1–512 characters, UpdatedBy 1–128. */
export const SECURITY_HUB_NOTE_LIMITS = { text: 512, updatedBy: 128 } as const;
/** Who the note says wrote it (the only author the IAM statement allows). */
export { SECURITY_HUB_NOTE_AUTHOR };

/**
 * GuardDuty's finding ARN, which is the `Id` of its Security Hub copy:
 * `arn:<partition>:guardduty:<region>:<account>:detector/<detectorId>/finding/<findingId>`.
 */
const GUARDDUTY_FINDING_ARN = /^arn:(aws|aws-cn|aws-us-gov):guardduty:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):detector\/([a-z0-9]{1,64})\/finding\/([a-z0-9]{1,64})$/;

export type UpdateSecurityHubFindingStatus =
  | 'updated'
  | 'dry-run'
  | 'refused'
  | 'not-guardduty'
  | 'no-record'
  | 'skipped-sample'
  | 'not-found'
  | 'security-hub-off'
  | 'unprocessed'
  /** A release of one resource (a child incident) of a finding that names several: the finding stays open. */
  | 'partial-release'
  /** RESOLVED withheld: the release step before it released nothing (refused, no record, not found): the finding stays open. */
  | 'not-released';

/** The finding as Security Hub identifies it. */
export interface SecurityHubFindingIdentifier {
  readonly Id: string;
  readonly ProductArn: string;
}

export interface UpdateSecurityHubFindingResult extends ResponderResult<UpdateSecurityHubFindingStatus> {
  /** The finding written to (or that would have been), when the event named a valid one. */
  readonly finding?: SecurityHubFindingIdentifier;
  readonly workflowStatus?: SecurityHubWorkflowStatus;
  /** The note as sent (or as it would have been sent). */
  readonly note?: string;
  /** Why nothing was sent (refused, no grant, not GuardDuty, sample, partial release, not released, Security Hub off, not found, unprocessed). */
  readonly reason?: string;
}

export interface UpdateSecurityHubFindingDeps {
  /** Security Hub in the finding's account and region (member role; only served accounts). */
  readonly clients: SecurityHubClients;
  /** The finding each incident's write-back checked (state table): a release resolves the one its containment named. */
  readonly records: SecurityHubFindingRecords;
  /** The containment guard's grants (read only): the step acts only under its execution's. */
  readonly grants: GrantReader;
  readonly logger: IncidentLogger;
  /**
   * Step Functions, to prove a RESOLVED write-back's origin (GetExecutionHistory): its `results`
   * decide whether the release released, so it acts only for the task its running execution
   * scheduled with exactly this input (step-origin.ts, row 13h).
   */
  readonly origins: InvocationOrigins;
  /** @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

/** The outcome of one earlier step, as the compiled playbook passes it (`results.<stepId>`). */
const stepOutcomeSchema = z.looseObject({ responder: z.optional(z.string()), status: z.optional(z.string()) });
const resultsSchema = z._default(z.record(z.string(), z.nullish(stepOutcomeSchema)), {});

/** The step's input: the responder envelope plus the results of the steps before it. */
export interface UpdateSecurityHubFindingInput extends ResponderInput<z.output<typeof updateSecurityHubFindingOptionsSchema>> {
  readonly results: Readonly<Record<string, { readonly responder?: string; readonly status?: string } | null | undefined>>;
  /** The event as the function received it (what the execution's history must show for a RESOLVED write-back); set by the parser. */
  readonly received?: unknown;
}

/** Parses the envelope (strict, as every responder's) and, apart, the earlier steps' results. */
export function parseUpdateSecurityHubFindingInput(event: unknown): UpdateSecurityHubFindingInput {
  const { results, ...envelope } = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const input = parseResponderInput(envelope, updateSecurityHubFindingOptionsSchema);
  const parsed = z.safeParse(resultsSchema, results);
  return { ...input, results: parsed.success ? parsed.data : {}, received: event };
}

type FindingCheck = { finding: SecurityHubFindingIdentifier } | { refusal: string };

/** A GuardDuty finding ARN's parts, in the incident's account and region; a reason when it is not that. */
function guardDutyFindingArnOf(arn: string, incident: Incident): { partition: string; detectorId: string; findingId: string } | { refusal: string } {
  const match = GUARDDUTY_FINDING_ARN.exec(arn);
  const shown = JSON.stringify(neutralizeText(arn, 200));
  if (!match) return { refusal: `${shown} is not a GuardDuty finding ARN (arn:<partition>:guardduty:<region>:<account>:detector/<id>/finding/<id>)` };
  const [, partition, region, account, detectorId, findingId] = match as unknown as [string, string, string, string, string, string];
  if (account !== incident.account) return { refusal: `the finding ARN names account ${account}, not the incident's account ${incident.account}` };
  if (region !== incident.region) return { refusal: `the finding ARN names region ${region}, not the incident's region ${incident.region}` };
  return { partition, detectorId, findingId };
}

/** The product ARN of GuardDuty's findings in Security Hub, in a partition and region. */
const guardDutyProductArn = (partition: string, region: string) => `arn:${partition}:securityhub:${region}::product/aws/guardduty`;

/**
 * The finding's Security Hub identifier, checked against the incident; a reason when it is not
 * the incident's own finding (nothing is sent then).
 */
export function securityHubFindingOf(incident: Incident): FindingCheck {
  const arn = incident.guardDuty?.arn;
  if (arn === undefined) return { refusal: 'the finding carries no ARN, so its Security Hub copy cannot be named' };
  const parts = guardDutyFindingArnOf(arn, incident);
  if ('refusal' in parts) return parts;
  const { partition, detectorId, findingId } = parts;
  if (findingId !== incident.guardDuty?.findingId) return { refusal: `the finding ARN names finding ${findingId}, not the incident's finding ${neutralizeText(incident.guardDuty?.findingId ?? '', 64)}` };
  const detector = incident.guardDuty.detectorId;
  if (detector !== undefined && detector !== detectorId) return { refusal: `the finding ARN names detector ${detectorId}, not the finding's detector ${neutralizeText(detector, 64)}` };
  return { finding: { Id: arn, ProductArn: guardDutyProductArn(partition, incident.region) } };
}

/**
 * The finding a release resolves: the one its containment recorded, checked again against the
 * release's incident (the record is a state-table item, a claim like any other): a GuardDuty finding
 * ARN in the incident's account and region, whose finding id is that incident's (its key is the
 * finding's), and GuardDuty's product. The release names no detector: the whole ARN is the Id
 * Security Hub matches, so the finding id binds it.
 */
export function recordedSecurityHubFindingOf(recorded: SecurityHubFindingRecord, incident: Incident): FindingCheck {
  if (recorded.account !== incident.account || recorded.region !== incident.region) {
    return { refusal: `the recorded finding is in ${recorded.account} ${recorded.region}, not the release's ${incident.account} ${incident.region}` };
  }
  const parts = guardDutyFindingArnOf(recorded.id, incident);
  if ('refusal' in parts) return { refusal: `the recorded finding: ${parts.refusal}` };
  if (!isKeyOfFinding(incident.key, parts.findingId)) return { refusal: `the recorded finding ARN names finding ${parts.findingId}, not incident ${incident.key}'s` };
  const product = guardDutyProductArn(parts.partition, incident.region);
  if (recorded.productArn !== product) return { refusal: `the recorded product ${JSON.stringify(neutralizeText(recorded.productArn, 200))} is not GuardDuty's (${product})` };
  return { finding: { Id: recorded.id, ProductArn: product } };
}

/**
 * The note, from what is bound to the grant only: the incident key, the playbook the guard verified
 * (the grant's, never the input's claim), the mode the step runs in, the execution (the last part
 * of its ARN, which the grant was looked up by) and, on a release, who asked and why (the manual
 * request, bound by its digest, but written by whoever started the execution: shown as its claim,
 * row 13i). The earlier steps' statuses are left out: they reach this step as
 * its input's `results`, which nothing binds, and a direct invocation under an old grant could
 * write any story into the finding under Firebreak's name; the incident record holds them. At most
 * 512 characters.
 */
export function securityHubNote(
  input: UpdateSecurityHubFindingInput,
  workflowStatus: SecurityHubWorkflowStatus,
  bound: { readonly playbook: string; readonly mode: string; readonly executionArn: string },
): string {
  const { incident, request } = input;
  const head =
    workflowStatus === 'RESOLVED'
      ? `Firebreak incident ${incident.key}: released by playbook ${bound.playbook}${request ? `, requested by ${neutralizeText(request.requestedBy, 160)} (as the release's input claims, not verified)` : ''}.`
      : `Firebreak incident ${incident.key}: handled by playbook ${bound.playbook} (${bound.mode}).`;
  const parts = [head];
  if (request?.reason) parts.push(`Reason: ${neutralizeText(request.reason, 160)}.`);
  parts.push(`Execution ${neutralizeText(bound.executionArn.split(':').at(-1) ?? '', 80)}; what each step did: firebreak incident ${incident.key}.`);
  const text = parts.join(' ');
  const chars = Array.from(text);
  return chars.length <= SECURITY_HUB_NOTE_LIMITS.text ? text : `${chars.slice(0, SECURITY_HUB_NOTE_LIMITS.text - 3).join('')}...`;
}

/**
 * The release steps (RELEASE_STEP_RESPONDERS, the playbook schema's too: a key missing here does not
 * compile), each with what it answers when this incident let go of its resource:
 * released (untagged), its claim taken back while another incident holds it, already released, or
 * would be in dry-run. Any other answer (refused, no record, not found, terminated, no credential,
 * changed, a status added later) left the resource as it was, and the finding is not dealt with:
 * RESOLVED is withheld (row 13e).
 */
const LET_GO: readonly string[] = ['released', 'claim-released', 'already-released', 'dry-run'] satisfies (ReleaseStatus & ReleaseCredentialsStatus)[];
const RELEASED_STATUSES: Readonly<Record<ReleaseStepResponder, readonly string[]>> = {
  'release-instance': LET_GO,
  'release-credentials': LET_GO,
  'release-s3-object': ['untagged', 'held', 'not-tagged', 'dry-run'] satisfies ReleaseS3ObjectStatus[],
};

/**
 * Why RESOLVED is withheld, if it is: no release step answered before the write-back (placed
 * before the release, beside it in a parallel group, or in a playbook without one: the playbook
 * schema refuses those, row 13g, and this holds for any definition or input that gets past it), or
 * one answered that it released nothing (row 13e). The results are the input's claim: here they only
 * withhold RESOLVED, and RESOLVED itself acts only for the task the running execution scheduled with
 * exactly this input (requireStepOrigin, row 13h), so a forged result can keep a finding open, never
 * resolve one.
 */
function unreleasedAnswer(results: UpdateSecurityHubFindingInput['results']): string | undefined {
  // Own keys only: a claimed responder named `constructor` must not read Object's.
  const releasedBy = (outcome: (typeof results)[string]): readonly string[] | undefined => {
    const responder = outcome?.responder ?? '';
    return Object.hasOwn(RELEASED_STATUSES, responder) ? RELEASED_STATUSES[responder as ReleaseStepResponder] : undefined;
  };
  const releases = Object.values(results).filter((outcome) => releasedBy(outcome) !== undefined);
  if (releases.length === 0) return 'no release step answered before the write-back';
  const step = releases.find((outcome) => !releasedBy(outcome)?.includes(outcome?.status ?? ''));
  return step ? `${step.responder} answered ${neutralizeText(step.status ?? 'nothing', 40)}` : undefined;
}

/** Unprocessed-finding codes worth another attempt (the state machine's transient retrier). */
const RETRYABLE_UNPROCESSED = new Set(['ConcurrentUpdateError', 'InternalFailure']);

/** Writes the workflow status and note back to the incident's finding in Security Hub. */
export async function updateSecurityHubFinding(input: UpdateSecurityHubFindingInput, deps: UpdateSecurityHubFindingDeps): Promise<UpdateSecurityHubFindingResult> {
  const now = deps.now ?? (() => new Date());
  const log = new ActionLog(now);
  const { incident } = input;
  const environment = deps.environment ?? process.env;
  let effective = effectiveMode(input.mode, environment);
  const workflowStatus = input.options.workflowStatus;
  const finish = (status: UpdateSecurityHubFindingStatus, extra: Partial<UpdateSecurityHubFindingResult> = {}): UpdateSecurityHubFindingResult => {
    deps.logger.info('update-security-hub-finding finished', { status, ...(extra.reason !== undefined ? { reason: extra.reason } : {}) });
    return {
      responder: UPDATE_SECURITY_HUB_FINDING_RESPONDER,
      incidentKey: incident.key,
      mode: effective.mode,
      status,
      idempotentReplay: false,
      actions: log.actions,
      ...forcedDryRunField(effective),
      ...extra,
    };
  };
  const skip = (status: UpdateSecurityHubFindingStatus, target: string, reason: string, extra: Partial<UpdateSecurityHubFindingResult> = {}) => {
    log.record('firebreak:decide', target, 'skipped', `${reason.charAt(0).toUpperCase()}${reason.slice(1)}; nothing sent to Security Hub`);
    return finish(status, { reason, ...extra });
  };

  if (incident.sample) return skip('skipped-sample', incident.key, 'the finding is a GuardDuty sample, which never causes a change');
  const isFinding = incident.source === 'guardduty' && incident.guardDuty !== undefined;
  if (!isFinding && incident.source !== 'firebreak') {
    const what = incident.source === 'cloudwatch' ? 'a CloudWatch alarm' : 'not a GuardDuty finding (a Malware Protection for S3 scan result is an event, not a finding)';
    return skip('not-guardduty', incident.key, `the incident is ${what}, so it has no Security Hub finding`);
  }

  // The guard's grant of this execution, for this very incident, before anything is read or sent.
  // NOTIFIED ignores its expiry: the step usually runs last, after the snapshot and copy waits, often
  // more than GRANT_VALIDITY_SECONDS after the grant became actionable; and since the digest binds the
  // whole incident and the kind the status, a replay can only set the incident's own finding to the
  // status its own playbook set. DynamoDB's TTL still deletes the grant within days. RESOLVED
  // enforces it: a release's write-back runs right after the release, which acts only before the
  // grant expires, and a replay in the days before the TTL deletes it would resolve again a finding
  // reopened since (by a person, or by GuardDuty's new activity), hiding it.
  const grant = await checkContainmentGrant(
    {
      executionArn: input.execution?.executionArn,
      incident,
      kind: workflowStatus === 'RESOLVED' ? 'release' : 'contain',
      action: `set the Security Hub finding of incident ${incident.key} to ${workflowStatus}`,
      expiry: workflowStatus === 'RESOLVED' ? 'enforced' : 'ignored',
      // Only a playbook with this very write-back step: an unblock's grant never resolves the finding.
      step: stepClaimOf(UPDATE_SECURITY_HUB_FINDING_RESPONDER, input, updateSecurityHubFindingOptionsSchema, environment),
    },
    deps.grants,
    now(),
  );
  if (!grant.allowed) {
    log.record('firebreak:check-grant', incident.key, 'skipped', grant.reason);
    return finish('refused', { reason: grant.reason });
  }
  log.record('firebreak:check-grant', incident.key, 'observed', grant.reason);
  recordPausedGrant(log, incident.key, grant);
  effective = effectiveMode(input.mode, environment, { mode: grant.mode, why: grantDryRunWhy(grant) });
  // A drill rehearses: its finding is no finding GuardDuty raised, so its Security Hub copy can only
  // be a real one whose ARN the injected event (or a record under the drill's key) copied, and
  // NOTIFIED or RESOLVED would take that finding off the triage queue. No opt-in tag covers a finding.
  if (effective.mode === 'enforce' && isGameDayIncident({ key: incident.key, gameDay: incident.gameDay || grant.grant.gameDay })) {
    effective = effectiveMode(input.mode, environment, {
      mode: 'dry-run',
      why: `${incident.key} is a game-day incident: a drill's finding is never GuardDuty's, so the one it names can only be real`,
    });
  }

  let finding: SecurityHubFindingIdentifier;
  let fromRecord = false;
  if (isFinding) {
    const identified = securityHubFindingOf(incident);
    if ('refusal' in identified) return skip('refused', incident.key, identified.refusal);
    finding = identified.finding;
  } else {
    // A release (`firebreak release`): its input names the incident, not the finding; the
    // containment's write-back recorded the finding it checked.
    const recorded = await deps.records.get(incident.key);
    if (recorded === undefined) return skip('no-record', incident.key, `no Security Hub finding was recorded for incident ${incident.key} (its containment wrote nothing back)`);
    const checked = recordedSecurityHubFindingOf(recorded, incident);
    if ('refusal' in checked) return skip('refused', incident.key, checked.refusal);
    finding = checked.finding;
    fromRecord = true;
  }
  // RESOLVED only for the finding's own incident. An attack sequence (any finding naming several
  // instances or credentials) is contained one resource at a time, each under a child incident
  // key whose write-back names the sequence's one finding: releasing one of them (a bystander, a
  // false positive for that instance) says nothing of the others, still contained, and RESOLVED
  // would take the whole finding off the views people triage. A person resolves it.
  const findingId = finding.Id.slice(finding.Id.lastIndexOf('/') + 1);
  if (workflowStatus === 'RESOLVED' && !isOwnKeyOfFinding(incident.key, findingId)) {
    return skip('partial-release', finding.Id, `incident ${incident.key} is one resource of finding ${findingId}, which names others: the finding stays open`);
  }
  // RESOLVED only once the release released: a release refused (a tampered record, contained again
  // since it was cleared), without a record, or of an instance no longer there left it as it was.
  const unreleased = workflowStatus === 'RESOLVED' ? unreleasedAnswer(input.results) : undefined;
  if (unreleased !== undefined) return skip('not-released', finding.Id, `${unreleased}: nothing was released, the finding stays open`);
  // The results are the input's claim: a direct invocation while the release execution runs (its
  // grant still valid) could claim a release the release step refused. RESOLVED acts only for the task
  // the running execution scheduled with exactly this input, results included (row 13h).
  if (workflowStatus === 'RESOLVED') {
    await requireStepOrigin(input, input.received ?? input, { origins: deps.origins, logger: deps.logger, environment, ...(deps.now !== undefined ? { now: deps.now } : {}) }, { responder: UPDATE_SECURITY_HUB_FINDING_RESPONDER, nothingDone: 'the finding was not resolved' });
  }
  const note = securityHubNote(input, workflowStatus, { playbook: grant.grant.playbook, mode: effective.mode, executionArn: grant.grant.executionArn });
  const described = { finding, workflowStatus, note };
  recordEffectiveMode(log, finding.Id, effective);
  if (effective.mode === 'dry-run') {
    log.record('securityhub:BatchUpdateFindings', finding.Id, 'skipped', `Dry-run: Security Hub has no DryRun, so nothing was sent; would set workflow status ${workflowStatus} and the note`);
    return finish('dry-run', described);
  }
  // Recorded before the call (the same on a redelivery): a release resolves this finding even if
  // Security Hub did not hold it yet at containment (GuardDuty exports within minutes).
  if (!fromRecord) {
    await deps.records.put({ incidentKey: incident.key, id: finding.Id, productArn: finding.ProductArn, account: incident.account, region: incident.region, recordedAt: now().toISOString() });
  }

  const client = await deps.clients.securityhub({ account: incident.account, region: incident.region });
  // Once the call is made, what Security Hub answered is logged against it, never as "nothing
  // sent". BatchUpdateFindings answers 200 whether or not it updated the finding; its lists say
  // which (a partial failure is an entry of UnprocessedFindings).
  const notUpdated = (status: UpdateSecurityHubFindingStatus, reason: string) => {
    log.record('securityhub:BatchUpdateFindings', finding.Id, 'skipped', `Sent; ${reason}: nothing changed`);
    return finish(status, { reason, ...described });
  };
  let answer;
  try {
    answer = await client.send(
      new BatchUpdateFindingsCommand({
        FindingIdentifiers: [finding],
        Workflow: { Status: workflowStatus },
        Note: { Text: note, UpdatedBy: SECURITY_HUB_NOTE_AUTHOR },
      }),
    );
  } catch (error) {
    // Security Hub not enabled in this account and region: nothing to write back to (not a failure of the incident).
    if (awsErrorCode(error) === 'InvalidAccessException') {
      return notUpdated('security-hub-off', `Security Hub is not enabled in account ${incident.account} ${incident.region} (InvalidAccessException)`);
    }
    throw toResponderError(error, 'securityhub:BatchUpdateFindings');
  }
  const unprocessed = answer.UnprocessedFindings?.find((entry) => entry.FindingIdentifier?.Id === finding.Id) ?? answer.UnprocessedFindings?.[0];
  if (unprocessed !== undefined) {
    const code = unprocessed.ErrorCode ?? 'Unknown';
    if (RETRYABLE_UNPROCESSED.has(code)) {
      throw new TransientResponderError(`securityhub:BatchUpdateFindings left the finding unprocessed (${code}): ${unprocessed.ErrorMessage ?? ''}`);
    }
    // GuardDuty exports to Security Hub within minutes; a finding not (yet) there is said, not failed.
    if (code === 'FindingNotFound') return notUpdated('not-found', 'Security Hub holds no copy of this finding (FindingNotFound): it may not be exported yet, or Security Hub does not receive GuardDuty findings here');
    return notUpdated('unprocessed', `Security Hub did not update the finding (${code}: ${unprocessed.ErrorMessage ?? ''})`);
  }
  // Updated only when the answer says so: an answer that names the finding in neither list (or
  // under another product) is no evidence that Security Hub changed it.
  const processed = answer.ProcessedFindings?.some((entry) => entry.Id === finding.Id && entry.ProductArn === finding.ProductArn) === true;
  if (!processed) return notUpdated('unprocessed', 'Security Hub did not list the finding as processed (nor as unprocessed)');
  log.record('securityhub:BatchUpdateFindings', finding.Id, 'done', `Workflow status ${workflowStatus} and a note with incident ${incident.key}`);
  return finish('updated', described);
}

/** update-security-hub-finding as the responder runtime runs it (its input carries the earlier steps' results). */
export const updateSecurityHubFindingResponder: Responder<UpdateSecurityHubFindingInput, UpdateSecurityHubFindingDeps, UpdateSecurityHubFindingResult> = {
  parse: parseUpdateSecurityHubFindingInput,
  incidentKey: (input) => input.incident.key,
  run: updateSecurityHubFinding,
};
export type UpdateSecurityHubFindingHandlerDeps = HandlerDeps<UpdateSecurityHubFindingDeps>;
export const createUpdateSecurityHubFindingHandler = (deps: UpdateSecurityHubFindingHandlerDeps): ResponderHandler<UpdateSecurityHubFindingResult> =>
  createResponderHandler(updateSecurityHubFindingResponder, deps);
