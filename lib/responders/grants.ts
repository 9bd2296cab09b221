/**
 * Containment grants: the rails enforced where the action happens. The containment guard, after
 * its rails, writes `grant#<executionArn>` (a `ContainmentGrant`) for the execution it verified
 * with states:DescribeExecution. quarantine-instance and release-instance act only when the grant
 * of THEIR execution matches their incident, account, region and instance (and the kind of
 * change); for an `awaiting-approval` grant they also need `approval#<executionArn>` saying
 * `approved` (or the deadline passed and the playbook's onTimeout is `contain`, for an automatic
 * playbook's containment only: never a release's, row 5n, nor a manual playbook's, row 5p). An answer dated at
 * or after the grant's deadline never overrides the timeout path the playbook took then. A responder
 * invoked directly (no execution, a forged one, or another incident's) finds no matching grant,
 * changes nothing and says why. A grant clears a step only while its execution is RUNNING
 * (states:DescribeExecution, execution-status.ts): a stopped or ended execution's grant clears
 * nothing, however long before its expiry.
 *
 * A grant names its target field by field (incident, account, region, the instance or the one
 * credential or object) and, for everything else the steps read from their input (a DNS domain, the
 * credentials an incident names, the finding's details), the digest of the incident as the verified
 * execution's own input states it: a step given any other incident, even one with the same key,
 * changes nothing. A step that changes none of the subjects (update-security-hub-finding writes back
 * to the incident's own finding) takes the grant of its execution whatever its subject, on the
 * digest alone (`IncidentGrantRequest`).
 *
 * Who may write what is IAM's job (lib/stack/responders.ts, `dynamodb:LeadingKeys`): only the
 * guard's role may PutItem `grant#*`; the mutating responders may only GetItem `grant#*` and
 * `approval#*`. This module is the store (DynamoDB, or in memory for tests) and the pure check.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { ApprovalRecord, ContainmentGrant, GrantReleaseRecord } from '../contracts/security';
import { STATE_KEY_PREFIX } from '../contracts/security';
import { awsErrorCode, itemOfConditionFailure, toResponderError } from '../aws/errors';
import { BLAST_RADIUS_TTL_ATTRIBUTE } from './blast-radius';
import { ResponderFailedError } from '../contracts/responder-errors';
import type { ResponderMode } from '../contracts/responder-mode';
import { APPROVAL_RECORD_ATTRIBUTES, approvalRecordKey, approvalRecordOf } from './approval-records';
import type { Incident } from '../incident/model';
import { canonicalJson } from '../contracts/canonical-json';
import { sha256Hex } from '../incident/keys';
import type { DeployedSteps, StepClaim } from './step-binding';
import { stepBindingProblem } from './step-binding';
import type { ResponderRequest } from './responder-input';
import type { ExecutionStatusReader } from './execution-status';
import type { PauseReader, PauseState } from './emergency-pause';
import { NOT_PAUSED, PAUSE_ACTION, PAUSE_KEY, pauseSentence, pauseStateOf } from './emergency-pause';
import type { ActionLog } from './action-log';
import { noteVerifiedOrigin } from './attempt-actions';

/**
 * The SHA-256 (hex) of an incident's canonical JSON: what a grant binds a step's whole input
 * incident to. Taken of the incident as the responder input schema parses it (incident-schema.ts),
 * on both sides: the guard of the execution's own input, each step of its own payload, which the
 * playbook passes from the execution input unchanged (`incident.$: $.incident`).
 */
export function incidentDigest(incident: Incident): string {
  return sha256Hex(canonicalJson(incident));
}

/** The state-table key of an execution's grant. */
export function grantKey(executionArn: string): string {
  return `${STATE_KEY_PREFIX.grant}${executionArn}`;
}

/** The state-table key of an execution's approval record (one definition, in the approval store). */
export const approvalKey = approvalRecordKey;

/**
 * How long a grant stays usable after it becomes actionable (granted, or the approval deadline):
 * long enough for the playbook's retries of the step (Lambda runs at most 15 minutes), short enough
 * that an old execution's grant cannot be replayed later.
 */
export const GRANT_VALIDITY_SECONDS = 900;

/**
 * The only Step Functions status (DescribeExecution) under which a grant clears a step: a stopped
 * (ABORTED), finished (SUCCEEDED, FAILED, TIMED_OUT) or unknown execution's grant clears nothing,
 * however long before its expiry.
 */
export const RUNNING_EXECUTION_STATUS = 'RUNNING';

/** The guard's side of the store. */
export interface GrantWriter {
  /**
   * Writes the grant unless one exists for the execution (conditional put: a grant, once written,
   * is never replaced); answers with the grant in force.
   */
  putIfAbsent(grant: ContainmentGrant): Promise<{ readonly written: boolean; readonly grant: ContainmentGrant }>;
}

/**
 * The mutating responders' side: the store's grants and approvals, whether the grant's execution
 * still runs (Step Functions, execution-status.ts), and the deployment's emergency pause
 * (emergency-pause.ts), read beside the grant for a containment.
 */
export interface GrantReader extends ExecutionStatusReader, PauseReader {
  getGrant(executionArn: string): Promise<ContainmentGrant | undefined>;
  getApproval(executionArn: string): Promise<ApprovalRecord | undefined>;
}

export type GrantStore = GrantWriter & GrantReader;

// ---------------------------------------------------------------------------------------------
// The check (pure)
// ---------------------------------------------------------------------------------------------

interface GrantRequestBase {
  /** The execution the responder was invoked for (from its input: a claim, checked against the grant). */
  readonly executionArn?: string;
  /** The incident of the step's own input, whole: a claim, checked against the grant (its digest included). */
  readonly incident: Incident;
  readonly kind: ContainmentGrant['kind'];
  /**
   * The step itself: its options and request, and what the deployment says its playbooks' steps of
   * this responder send. The grant clears only a step of its own playbook, with those options and
   * the execution's request (step-binding.ts).
   */
  readonly step: StepClaim;
}

/** What a mutating responder asks: may it change `instanceId` (the grant's subject) for `incident`, in this execution? */
export interface SubjectGrantRequest extends GrantRequestBase {
  readonly instanceId: string;
}

/**
 * What a step that changes none of the grant's subjects asks (update-security-hub-finding): may it
 * act on what the execution's incident names? The grant of the execution clears it whatever its
 * subject (an instance, credentials, an object): the digest binds the whole incident, and the step
 * acts on nothing else.
 */
export interface IncidentGrantRequest extends GrantRequestBase {
  /** What the step would do, for the reasons: `Refused to <action>: …`. */
  readonly action: string;
  /**
   * `ignored`: a grant past its `expiresAt` still clears the step (while DynamoDB's TTL has not
   * deleted it). Only for a step whose replay, the incident being digest-bound, can do nothing but
   * what its own execution did; the caller says why.
   */
  readonly expiry: 'enforced' | 'ignored';
}

export type GrantRequest = SubjectGrantRequest | IncidentGrantRequest;

/** Why a responder refused to act. */
export type GrantRefusalCode =
  | 'no-execution'
  | 'no-grant'
  | 'expired'
  | 'mismatch'
  | 'wrong-kind'
  | 'wrong-step'
  | 'awaiting-approval'
  | 'rejected'
  | 'execution-not-running';

export type GrantCheck =
  | {
      readonly allowed: true;
      readonly grant: ContainmentGrant;
      /** The mode the guard granted (the deployment's ceiling applied): a further ceiling on the responder. */
      readonly mode: ResponderMode;
      /** One sentence for the action log. */
      readonly reason: string;
      /** The approver, when an approval made the grant actionable. */
      readonly approvedBy?: string;
      /** The emergency pause in force when the grant was checked: a containment runs dry-run (`mode`). */
      readonly paused?: Extract<PauseState, { paused: true }>;
    }
  | { readonly allowed: false; readonly code: GrantRefusalCode; readonly reason: string; readonly grant?: ContainmentGrant };

/** How a refusal of `request` begins: `Refused to contain i-…` / `Refused to <action>` (pure). */
function refusalOf(request: GrantRequest): string {
  const what = request.kind === 'contain' ? 'contain' : 'release';
  return 'instanceId' in request ? `Refused to ${what} ${request.instanceId}` : `Refused to ${request.action}`;
}

/** Decides from the grant and approval records (pure: the store reads them). */
export function evaluateGrant(
  request: GrantRequest,
  grant: ContainmentGrant | undefined,
  approval: ApprovalRecord | undefined,
  now: Date,
): GrantCheck {
  const what = request.kind === 'contain' ? 'contain' : 'release';
  const refused = refusalOf(request);
  const nothing = 'nothing was changed';
  if (request.executionArn === undefined) {
    return {
      allowed: false,
      code: 'no-execution',
      reason: `${refused}: the input names no playbook execution, so no containment grant can apply (invoked directly?); ${nothing}.`,
    };
  }
  if (grant === undefined) {
    return {
      allowed: false,
      code: 'no-grant',
      reason: `${refused}: the containment guard wrote no grant for execution ${request.executionArn} (not cleared by the guard, or not a playbook execution of this deployment); ${nothing}.`,
    };
  }
  const mismatches = [
    grant.incidentKey !== request.incident.key ? `incident ${grant.incidentKey}, not ${request.incident.key}` : undefined,
    grant.account !== request.incident.account ? `account ${grant.account}, not ${request.incident.account}` : undefined,
    grant.region !== request.incident.region ? `region ${grant.region}, not ${request.incident.region}` : undefined,
    'instanceId' in request && grant.instanceId !== request.instanceId ? `instance ${grant.instanceId}, not ${request.instanceId}` : undefined,
  ].filter((m): m is string => m !== undefined);
  if (mismatches.length > 0) {
    return {
      allowed: false,
      code: 'mismatch',
      grant,
      reason: `${refused}: the grant of execution ${request.executionArn} is for ${mismatches.join(', ')}; ${nothing}.`,
    };
  }
  if (grant.incidentDigest !== incidentDigest(request.incident)) {
    return {
      allowed: false,
      code: 'mismatch',
      grant,
      reason: `${refused}: the incident in this step's input is not the one execution ${request.executionArn} was started with (same key, other details: a resource, domain, credential or finding field differs from its verified input); ${nothing}.`,
    };
  }
  if (grant.kind !== request.kind) {
    return {
      allowed: false,
      code: 'wrong-kind',
      grant,
      reason: `${refused}: the grant of execution ${request.executionArn} allows ${grant.kind}, not ${what}; ${nothing}.`,
    };
  }
  const otherStep = stepBindingProblem(request.step, grant);
  if (otherStep !== undefined) {
    return { allowed: false, code: 'wrong-step', grant, reason: `${refused}: ${otherStep}; ${nothing}.` };
  }
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (grant.expiresAt <= nowSeconds && !('expiry' in request && request.expiry === 'ignored')) {
    return {
      allowed: false,
      code: 'expired',
      grant,
      reason: `${refused}: the grant of execution ${request.executionArn} expired at ${new Date(grant.expiresAt * 1000).toISOString()}; ${nothing}.`,
    };
  }
  if (grant.status === 'proceed') {
    return {
      allowed: true,
      grant,
      mode: grant.mode,
      reason: `Cleared by the containment guard at ${grant.grantedAt} for ${grant.playbook} (grant of execution ${grant.executionArn}, ${grant.mode}).`,
    };
  }
  // awaiting-approval: a person decides, or the deadline passes and the playbook's onTimeout rules.
  const deadline = grant.approvalDeadline !== undefined ? Date.parse(grant.approvalDeadline) : Number.NaN;
  const pastDeadline = Number.isFinite(deadline) && now.getTime() >= deadline;
  // An answer to an earlier execution under the same name (Step Functions takes a name again 90 days
  // on; approval records have no TTL) is no answer to this grant: ignored, whichever it was.
  const earlier = approval?.decision !== undefined && answeredBeforeGrant(approval, grant) ? approval : undefined;
  const answer = approval?.decision !== undefined && earlier === undefined && !answeredLate(approval, deadline, pastDeadline) ? approval : undefined;
  if (answer?.decision === 'approved' && answer.incidentKey === grant.incidentKey) {
    return {
      allowed: true,
      grant,
      mode: grant.mode,
      ...(answer.decidedBy !== undefined ? { approvedBy: answer.decidedBy } : {}),
      reason: `Approved by ${answer.decidedBy ?? 'an approver'}${answer.decidedAt !== undefined ? ` at ${answer.decidedAt}` : ''} (grant of execution ${grant.executionArn}, ${grant.mode}).`,
    };
  }
  if (answer?.decision === 'rejected') {
    return {
      allowed: false,
      code: 'rejected',
      grant,
      reason: `${refused}: ${answer.decidedBy ?? 'an approver'} rejected it${answer.reason !== undefined ? ` (${answer.reason})` : ''}; ${nothing}.`,
    };
  }
  // An answer given once the deadline had passed: the approval function takes none from then on,
  // and the playbook runs (or is about to run) its onTimeout path, which the answer does not change.
  const ignored =
    earlier !== undefined
      ? ` The ${earlier.decision === 'approved' ? 'approval' : 'rejection'} by ${earlier.decidedBy ?? 'an approver'} at ${earlier.decidedAt ?? '?'} was given before this grant was written (${grant.grantedAt}): an answer to an earlier execution under the same name, ignored`
      : approval?.decision !== undefined && answer === undefined
        ? ` The ${approval.decision === 'approved' ? 'approval' : 'rejection'} by ${approval.decidedBy ?? 'an approver'}${approval.decidedAt !== undefined ? ` at ${approval.decidedAt}` : ''} came after the deadline and was ignored: the playbook had taken its timeout path`
        : '';
  // Never an alarm's (row 10c): SetAlarmState makes its event; the guard writes evidence-only for
  // one, and a grant an older guard wrote still waiting at an upgrade must not contain either.
  // Never a release's (row 5n), nor any step of a manual playbook's (row 5p: its grant binds the
  // request, `requestDigest`): its starter is only a claim, and a person's approval is the whole of
  // its rail; unanswered, it changes nothing, whatever onTimeout the grant says.
  const personOnly = grant.kind === 'release' || grant.requestDigest !== undefined;
  if (grant.onTimeout === 'contain' && pastDeadline && request.incident.source !== 'cloudwatch' && !personOnly) {
    return {
      allowed: true,
      grant,
      mode: grant.mode,
      reason: `Nobody answered the approval request by ${grant.approvalDeadline}, and the playbook's onTimeout is contain (grant of execution ${grant.executionArn}, ${grant.mode}).${ignored !== '' ? `${ignored}.` : ''}`,
    };
  }
  if (pastDeadline && personOnly) {
    return {
      allowed: false,
      code: 'awaiting-approval',
      grant,
      reason: `${refused}: nobody approved execution ${request.executionArn} by ${grant.approvalDeadline}, and ${grant.kind === 'release' ? 'a release' : 'a manual playbook'} runs only on a person's approval, never on its timeout (whatever onTimeout its grant says).${ignored}; ${nothing}.`,
    };
  }
  if (pastDeadline && ignored !== '') {
    return {
      allowed: false,
      code: 'awaiting-approval',
      grant,
      reason: `${refused}: nobody answered the approval request of execution ${request.executionArn} by ${grant.approvalDeadline}, and the playbook's onTimeout is ${grant.onTimeout ?? 'evidence-only'}.${ignored}; ${nothing}.`,
    };
  }
  return {
    allowed: false,
    code: 'awaiting-approval',
    grant,
    reason: `${refused}: the grant of execution ${request.executionArn} waits for a person's approval${grant.approvalDeadline !== undefined ? ` (until ${grant.approvalDeadline})` : ''}, and none is recorded${earlier !== undefined ? ` for it.${ignored}` : ''}; ${nothing}.`,
  };
}

/**
 * Whether a recorded answer was given before the grant was written (pure): then it answered an
 * earlier execution under the same ARN, never this grant's request. The guard writes its grant
 * before the wait starts, publish-alert stores the request after that, and the approval function
 * dates the answer after that again. Step Functions takes an execution name again 90 days after it
 * was used (the per-instance and per-access-key runs of an attack sequence are named without its
 * revision, per-instance.ts; an operator may reuse any name), and approval records have no TTL.
 * An undated answer is left to `answeredLate`.
 */
function answeredBeforeGrant(approval: ApprovalRecord, grant: ContainmentGrant): boolean {
  const decidedAt = approval.decidedAt !== undefined ? Date.parse(approval.decidedAt) : Number.NaN;
  const grantedAt = Date.parse(grant.grantedAt);
  return Number.isFinite(decidedAt) && Number.isFinite(grantedAt) && decidedAt < grantedAt;
}

/**
 * Whether a recorded answer came too late to count (pure): given at or after the grant's approval
 * deadline, from which the approval function takes no answer (the guard's deadline comes a little
 * before the wait's own timeout: it counts from the grant, written before the wait starts, so an
 * answer taken before it still reached a waiting task). Before the deadline every
 * recorded answer was given in time. Once it has passed, an answer whose time cannot be read (no
 * `decidedAt`: the approval function always records one, so someone else wrote the record) counts
 * only on the side that changes nothing: an undated approval is late (it never allows what the
 * timeout path would not), an undated rejection still refuses.
 */
function answeredLate(approval: ApprovalRecord, deadline: number, pastDeadline: boolean): boolean {
  if (!pastDeadline) return false;
  const decidedAt = approval.decidedAt !== undefined ? Date.parse(approval.decidedAt) : Number.NaN;
  if (!Number.isFinite(decidedAt)) return approval.decision === 'approved';
  return decidedAt >= deadline;
}

/**
 * Reads the grant (and, when it waits for one, the approval) and decides; a grant that clears the
 * step clears it only while Step Functions says its execution is RUNNING. An operator's
 * StopExecution (a false positive, a containment cancelled while it waits for approval) or the
 * execution's end would otherwise leave its grant usable until it expires, by anyone with
 * lambda:InvokeFunction on a responder who names the execution: an awaiting-approval grant under
 * onTimeout contain would still become actionable at its deadline, and a released instance could be
 * quarantined again under the old execution's proceed grant. The status is read while the grant
 * is, off the critical path.
 */
export async function checkContainmentGrant(request: GrantRequest, reader: GrantReader, now: Date): Promise<GrantCheck> {
  const executionArn = request.executionArn;
  if (executionArn === undefined) return evaluateGrant(request, undefined, undefined, now);
  // The emergency pause is read beside the grant, for a containment only: releases are never paused.
  const [grant, status, pause] = await Promise.all([
    reader.getGrant(executionArn),
    reader.executionStatus(executionArn),
    request.kind === 'contain' ? reader.pauseState() : Promise.resolve(NOT_PAUSED),
  ]);
  const approval = grant?.status === 'awaiting-approval' ? await reader.getApproval(executionArn) : undefined;
  const check = pausedCheck(evaluateGrant(request, grant, approval, now), pause);
  // A grant that clears nothing keeps its own reason: it says more than the execution's status.
  if (check.allowed && status === RUNNING_EXECUTION_STATUS) noteVerifiedOrigin();
  if (!check.allowed || status === RUNNING_EXECUTION_STATUS) return check;
  const shown =
    status === undefined
      ? `Step Functions does not show execution ${executionArn} (it does not exist, or is not one of this deployment's playbook executions)`
      : `Step Functions says execution ${executionArn} is ${status}, not ${RUNNING_EXECUTION_STATUS} (stopped or ended)`;
  return {
    allowed: false,
    code: 'execution-not-running',
    grant: check.grant,
    reason: `${refusalOf(request)}: ${shown}, and a grant clears a step only while its execution runs; nothing was changed.`,
  };
}

/**
 * A check under the emergency pause (pure): a grant that clears a containment clears it in dry-run
 * only, whatever mode the guard granted (a grant written before the pause included), and says why;
 * a refusal stays a refusal.
 */
export function pausedCheck(check: GrantCheck, pause: PauseState): GrantCheck {
  if (!check.allowed || !pause.paused || check.grant.kind !== 'contain') return check;
  return { ...check, mode: 'dry-run', paused: pause, reason: `${check.reason} ${pauseSentence(pause)}.` };
}

/**
 * Records in a step's action log that the emergency pause held it to dry-run (nothing when the
 * check saw no pause): the PAUSE_ACTION entry the guard records too, on which the alert marks its
 * subject [PAUSED]. An execution the guard cleared before the pause gets no guard entry: without
 * the step's own, its alert's subject would not say that its containment ran dry-run.
 */
export function recordPausedGrant(log: ActionLog, target: string, check: Extract<GrantCheck, { allowed: true }>): void {
  if (check.paused !== undefined) log.record(PAUSE_ACTION, target, 'skipped', `${pauseSentence(check.paused)}: this step acts in dry-run only, whatever mode its grant was issued in.`);
}

/**
 * Why a cleared step runs no higher than its grant's mode, for `run.lowerTo` (pure): the emergency
 * pause when it is in force, else the guard's own dry-run grant.
 */
export function grantDryRunWhy(check: Extract<GrantCheck, { allowed: true }>, what: 'execution' | 'release' = 'execution'): string {
  return check.paused !== undefined ? pauseSentence(check.paused) : `the containment guard cleared this ${what} for dry-run only`;
}

// ---------------------------------------------------------------------------------------------
// Stores
// ---------------------------------------------------------------------------------------------

export function grantItem(grant: ContainmentGrant): Record<string, AttributeValue> {
  return {
    pk: { S: grantKey(grant.executionArn) },
    executionArn: { S: grant.executionArn },
    playbook: { S: grant.playbook },
    incidentKey: { S: grant.incidentKey },
    incidentDigest: { S: grant.incidentDigest },
    ...(grant.requestDigest !== undefined ? { requestDigest: { S: grant.requestDigest } } : {}),
    account: { S: grant.account },
    region: { S: grant.region },
    instanceId: { S: grant.instanceId },
    kind: { S: grant.kind },
    gameDay: { BOOL: grant.gameDay },
    mode: { S: grant.mode },
    status: { S: grant.status },
    ...(grant.approvalDeadline !== undefined ? { approvalDeadline: { S: grant.approvalDeadline } } : {}),
    ...(grant.onTimeout !== undefined ? { onTimeout: { S: grant.onTimeout } } : {}),
    grantedAt: { S: grant.grantedAt },
    expiresAt: { N: String(grant.expiresAt) },
    [BLAST_RADIUS_TTL_ATTRIBUTE]: { N: String(grant.expiresAt) },
    ...(grant.releaseRecord !== undefined
      ? { releaseRecord: { M: { capturedAt: { S: grant.releaseRecord.capturedAt }, claimSerial: { N: String(grant.releaseRecord.claimSerial) } } } }
      : {}),
    ...(grant.heldQuarantine === true ? { heldQuarantine: { BOOL: true } } : {}),
  };
}

/** The record a release grant binds, read back whole or not at all (fail closed: a grant that half-binds a record clears nothing). */
export function releaseRecordOf(item: Record<string, AttributeValue>): GrantReleaseRecord | undefined {
  const attribute = item.releaseRecord;
  if (attribute === undefined) return undefined;
  const capturedAt = attribute.M?.capturedAt?.S;
  const claimSerial = Number(attribute.M?.claimSerial?.N);
  if (capturedAt === undefined || !Number.isSafeInteger(claimSerial) || claimSerial < 0) {
    throw new ResponderFailedError(`Grant ${item.pk?.S ?? '?'} has a releaseRecord that is not a capture and claim serial`);
  }
  return { capturedAt, claimSerial };
}

function text(item: Record<string, AttributeValue>, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new ResponderFailedError(`State-table item ${item.pk?.S ?? '?'} has no "${name}" attribute`);
  return value;
}

function oneOf<T extends string>(item: Record<string, AttributeValue>, name: string, values: readonly T[]): T {
  const value = text(item, name);
  if (!(values as readonly string[]).includes(value)) {
    throw new ResponderFailedError(`State-table item ${item.pk?.S ?? '?'} has ${name}=${JSON.stringify(value)}, not one of ${values.join(', ')}`);
  }
  return value as T;
}

/** A grant item back into a grant; throws ResponderFailedError on an item that is not one (fail closed). */
export function grantFromItem(item: Record<string, AttributeValue>): ContainmentGrant {
  const expiresAt = Number(item.expiresAt?.N);
  if (!Number.isFinite(expiresAt)) throw new ResponderFailedError(`Grant ${item.pk?.S ?? '?'} has no readable expiresAt`);
  const onTimeout = item.onTimeout?.S;
  return {
    pk: text(item, 'pk'),
    executionArn: text(item, 'executionArn'),
    playbook: text(item, 'playbook'),
    incidentKey: text(item, 'incidentKey'),
    // A grant without it (written before digests) clears nothing: `text` fails closed.
    incidentDigest: text(item, 'incidentDigest'),
    ...(item.requestDigest?.S !== undefined ? { requestDigest: item.requestDigest.S } : {}),
    account: text(item, 'account'),
    region: text(item, 'region'),
    instanceId: text(item, 'instanceId'),
    kind: oneOf(item, 'kind', ['contain', 'release'] as const),
    gameDay: item.gameDay?.BOOL === true,
    mode: oneOf(item, 'mode', ['enforce', 'dry-run'] as const),
    status: oneOf(item, 'status', ['proceed', 'awaiting-approval'] as const),
    ...(item.approvalDeadline?.S !== undefined ? { approvalDeadline: item.approvalDeadline.S } : {}),
    ...(onTimeout === 'contain' || onTimeout === 'evidence-only' ? { onTimeout } : {}),
    grantedAt: text(item, 'grantedAt'),
    expiresAt,
    ...(item.heldQuarantine?.BOOL === true ? { heldQuarantine: true as const } : {}),
  };
}

/**
 * The grants and approvals in the Firebreak state table, read: what both the guard's store and the
 * mutating responders' reader read.
 */
export class DynamoDbGrantRecords {
  constructor(
    protected readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** The table, checked at first use (a Lambda module builds the store at cold start, before any event). */
  protected table(): string {
    if (this.tableName === '') throw new ResponderFailedError('The grant store has no state table name (FIREBREAK_STATE_TABLE is not set)');
    return this.tableName;
  }

  async getGrant(executionArn: string): Promise<ContainmentGrant | undefined> {
    const item = await this.read(grantKey(executionArn));
    return item ? grantFromItem(item) : undefined;
  }

  async getApproval(executionArn: string): Promise<ApprovalRecord | undefined> {
    // Only the shared record's attributes: the request's task token never reaches a mutating responder.
    const item = await this.read(approvalKey(executionArn), APPROVAL_RECORD_ATTRIBUTES);
    return item ? approvalRecordOf(item) : undefined;
  }

  protected async read(pk: string, attributes?: readonly string[]): Promise<Record<string, AttributeValue> | undefined> {
    // Names as placeholders: an attribute name may be a DynamoDB reserved word.
    const projection = attributes
      ? {
          ProjectionExpression: attributes.map((_, index) => `#a${index}`).join(', '),
          ExpressionAttributeNames: Object.fromEntries(attributes.map((name, index) => [`#a${index}`, name])),
        }
      : {};
    try {
      const { Item } = await this.client.send(
        // Consistent: the guard wrote the grant a moment ago, and an approval may have just been recorded.
        new GetItemCommand({ TableName: this.table(), Key: { pk: { S: pk } }, ConsistentRead: true, ...projection }),
      );
      return Item;
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
  }
}

/**
 * The mutating responders' side of the grant store over the Firebreak state table, and of Step
 * Functions: they only read grants and approvals, so their bundles carry no grant write
 * (docs/architecture.md, "Lean Lambda bundles"), and ask whether the grant's execution runs
 * (`executions`: states:DescribeExecution in the security account).
 */
export class DynamoDbGrantReader extends DynamoDbGrantRecords implements GrantReader {
  constructor(
    client: DynamoDBClient,
    tableName: string,
    private readonly executions: ExecutionStatusReader,
  ) {
    super(client, tableName);
  }

  executionStatus(executionArn: string): Promise<string | undefined> {
    return this.executions.executionStatus(executionArn);
  }

  /** The emergency pause: one consistent GetItem of `pause#deployment`, beside the grant's. */
  async pauseState(): Promise<PauseState> {
    return pauseStateOf(await this.read(PAUSE_KEY));
  }
}

/**
 * release-instance's reader: its grants carry the pre-quarantine record the guard bound
 * (`releaseRecord`), which only that release restores by; read apart, so that the other responders'
 * bundles do not carry it. Under a plain reader the grant binds no record, and the release restores
 * nothing (fail closed).
 */
export class DynamoDbReleaseGrantReader extends DynamoDbGrantReader {
  override async getGrant(executionArn: string): Promise<ContainmentGrant | undefined> {
    const item = await this.read(grantKey(executionArn));
    if (!item) return undefined;
    const releaseRecord = releaseRecordOf(item);
    return { ...grantFromItem(item), ...(releaseRecord !== undefined ? { releaseRecord } : {}) };
  }
}

/** The guard's grant store over the Firebreak state table: its write, and the reads of the records. */
export class DynamoDbGrantStore extends DynamoDbGrantRecords implements GrantWriter {
  async putIfAbsent(grant: ContainmentGrant): Promise<{ readonly written: boolean; readonly grant: ContainmentGrant }> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table(),
          Item: grantItem(grant),
          // Once written, a grant is never replaced: a second guard run for the same execution (a
          // retry, or someone invoking the guard by hand) gets the decision already in force.
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { written: true, grant };
    } catch (error) {
      if (awsErrorCode(error) !== 'ConditionalCheckFailedException') throw toResponderError(error, 'dynamodb:PutItem');
      const old = itemOfConditionFailure(error);
      const existing = old ? grantFromItem(old) : await this.getGrant(grant.executionArn);
      if (!existing) throw new ResponderFailedError(`The grant of ${grant.executionArn} exists but cannot be read back`, { cause: error });
      return { written: false, grant: existing };
    }
  }
}

/**
 * An in-memory grant store (tests, tools), with the executions' statuses: an execution it was told
 * nothing about is RUNNING (a test's execution runs unless the test stops it); one set to undefined
 * is one Step Functions does not know.
 */
export class InMemoryGrantStore implements GrantStore {
  readonly grants = new Map<string, ContainmentGrant>();
  readonly approvals = new Map<string, ApprovalRecord>();
  readonly executions = new Map<string, string | undefined>();
  /** The emergency pause the readers see. @default not paused */
  pause: PauseState = NOT_PAUSED;

  async putIfAbsent(grant: ContainmentGrant): Promise<{ readonly written: boolean; readonly grant: ContainmentGrant }> {
    const existing = this.grants.get(grant.executionArn);
    if (existing) return { written: false, grant: existing };
    this.grants.set(grant.executionArn, grant);
    return { written: true, grant };
  }

  async getGrant(executionArn: string): Promise<ContainmentGrant | undefined> {
    return this.grants.get(executionArn);
  }

  async getApproval(executionArn: string): Promise<ApprovalRecord | undefined> {
    return this.approvals.get(executionArn);
  }

  async executionStatus(executionArn: string): Promise<string | undefined> {
    return this.executions.has(executionArn) ? this.executions.get(executionArn) : RUNNING_EXECUTION_STATUS;
  }

  async pauseState(): Promise<PauseState> {
    return this.pause;
  }
}

/**
 * The grant check in the shape release's clearance takes (lib/responders/release-clearance.ts
 * `GrantCheck`): the grant's playbook and mode when the guard's `release` grant of the execution
 * clears this step for the target (approved when it waits for approval), else why not. `deployed`: what the
 * deployment's playbooks' steps of the releasing responder send (`deployedStepsOf`).
 */
export function releaseGrantCheck(
  reader: GrantReader,
  responder: string,
  deployed: DeployedSteps,
  now: () => Date = () => new Date(),
): ReleaseGrantCheck {
  return async (executionArn, target) => {
    const check = await checkContainmentGrant(
      {
        executionArn,
        incident: target.incident,
        instanceId: target.instanceId,
        kind: 'release',
        step: { responder, options: target.options, request: target.request, deployed },
      },
      reader,
      now(),
    );
    if (!check.allowed) return { cleared: false, reason: check.reason };
    const bound = check.grant.releaseRecord;
    return { cleared: true, playbook: check.grant.playbook, mode: check.mode, grantedAt: check.grant.grantedAt, ...(bound !== undefined ? { releaseRecord: bound } : {}) };
  };
}

/** What release's clearance asks the grant store (release-clearance.ts). */
export type ReleaseGrantCheck = (
  executionArn: string,
  /** The incident of the release's input, whole (the grant binds its digest), the instance of the record, and the step's own options and request. */
  target: { readonly incident: Incident; readonly instanceId: string; readonly options: unknown; readonly request: ResponderRequest | undefined },
) => Promise<
  | {
      readonly cleared: true;
      readonly playbook: string;
      /** The mode the guard cleared the release for: a ceiling on the releasing step (dry-run always wins). */
      readonly mode: ResponderMode;
      /** The pre-quarantine record the grant binds (an instance's release): release-instance restores only it, at its claim serial. */
      readonly releaseRecord?: GrantReleaseRecord;
      /** When the guard wrote the grant (before the approval was asked). */
      readonly grantedAt?: string;
    }
  | { readonly cleared: false; readonly reason: string }
>;
