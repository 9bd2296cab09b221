/**
 * publish-alert's side of an approval request (kind `approval-request`, sent by a playbook's
 * WaitForApproval task with `$$.Task.Token`): the request is a claim of whoever invoked the function
 * until Step Functions confirms it. Anyone with lambda:InvokeFunction on publish-alert could otherwise
 * store `approval#<executionArn>` first for an execution whose name they can predict (execution names
 * derive from the incident key), with a token that never reaches the waiting task or without the
 * instance the approval function refuses as approver (docs/security.md §C3). So, before storing:
 *
 * 1. DescribeExecution: the execution is RUNNING, runs one of this deployment's guarded playbooks
 *    (FIREBREAK_APPROVAL_STATE_MACHINES), and its own input names the request's incident (key,
 *    account, region, instance). What is stored of the incident comes from the execution's input.
 * 2. GetExecutionHistory: the execution's own history shows a task scheduled with the request's
 *    token (a TaskScheduled event carrying it), the same check the approval function makes before it
 *    sends a token (approval.ts). Step Functions offers no other way to ask whose a token is: without
 *    it, another execution's live token, or one of the invoker's own callback state machine, passes
 *    the heartbeat below.
 * 3. SendTaskHeartbeat with the request's token: it succeeds only while a task waits on that token,
 *    and it cannot complete, fail or prolong a task (a task's TimeoutSeconds holds whatever the
 *    heartbeats; https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskHeartbeat.html).
 * 4. A conditional put keeps the first request. One stored under another token is replaced, only
 *    while it still holds that token (and its answer, or no answer, as read), when the execution
 *    never scheduled that token (a request planted before this check existed, written to the table,
 *    or an earlier execution's under the same ARN, answered or not: row 5l) or, unanswered, when it
 *    no longer waits (an earlier attempt of the task). An answered request of this execution is
 *    never replaced. Two tokens this execution scheduled that both wait are refused, never merged
 *    (docs/security.md §C3). A replacement keeps the answers the replaced item holds (row 5q).
 * 5. GetItem of the guard's grant (`grant#<executionArn>`, its approvalDeadline and onTimeout only):
 *    the alert says when answers stop being taken as the approval function holds them, from the
 *    grant's deadline (only the guard writes grants; the execution is the one verified above), not
 *    from this function's clock (approval-records.ts `approvalDeadlineOf`).
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { ApprovalRequestRefusedError } from '../contracts/responder-errors';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { executionScheduledToken, taskTokenHeartbeat } from './approval-tasks';
import { SECURITY_ENV } from '../contracts/security';
import type { AnswerDeadline, ApprovalRequests, PendingApproval } from './approval-records';
import { answersKept, approvalDeadlineOf } from './approval-records';
import { ec2InstanceOf, executionInputIncident } from './execution-input';
import type { DescribedExecution } from './execution-status';
import { describeExecution } from './execution-status';

export { approvalStateMachinesFromEnv } from './approval-tasks';

/** What publish-alert asks Step Functions about a request. */
export interface ApprovalRequestExecutions {
  /** Status, state machine and input of the execution; undefined when it does not exist (or IAM does not let publish-alert see it). */
  describe(executionArn: string): Promise<DescribedExecution | undefined>;
  /** `live` while a task waits on the token; `closed` when Step Functions says none does. */
  heartbeat(taskToken: string): Promise<'live' | 'closed'>;
  /** Whether the execution's own history shows a task scheduled with `taskToken` (GetExecutionHistory). */
  scheduled(executionArn: string, taskToken: string): Promise<boolean>;
}

/** Step Functions adapter: DescribeExecution, GetExecutionHistory and SendTaskHeartbeat only (publish-alert never answers a task). */
export class SfnApprovalRequestExecutions implements ApprovalRequestExecutions {
  constructor(private readonly sfn: SFNClient) {}

  scheduled(executionArn: string, taskToken: string): Promise<boolean> {
    return executionScheduledToken(this.sfn, executionArn, taskToken);
  }

  describe(executionArn: string): Promise<DescribedExecution | undefined> {
    // IAM lets publish-alert describe only the guarded playbooks' executions: a denial is an execution that is not one.
    return describeExecution(this.sfn, executionArn);
  }

  heartbeat(taskToken: string): Promise<'live' | 'closed'> {
    return taskTokenHeartbeat(this.sfn, taskToken);
  }
}


/** A request as publish-alert received it: a claim. */
export interface ClaimedApprovalRequest {
  readonly executionArn: string;
  readonly taskToken: string;
  readonly incident: { readonly key: string; readonly account: string; readonly region: string; readonly instanceId?: string };
  readonly waitingSteps: readonly string[];
  readonly timeoutSeconds: number;
  /** What approving will and will not do, as the alert says it (lines built from the step results, each neutralized). */
  readonly notes?: readonly string[];
}

/** What the execution's own input says the request is about (what is stored). */
interface VerifiedExecution {
  readonly playbook: string;
  readonly account: string;
  readonly region: string;
  readonly instanceId?: string;
}

/** The most notes a request keeps, and the most characters of one: the item stays far below DynamoDB's 400 KB. */
const MAX_NOTES = 8;
const MAX_NOTE_LENGTH = 2000;

function boundedNotes(notes: readonly string[]): string[] {
  return notes.slice(0, MAX_NOTES).map((note) => note.trim().slice(0, MAX_NOTE_LENGTH));
}

function refuse(executionArn: string, why: string): ApprovalRequestRefusedError {
  return new ApprovalRequestRefusedError(`Approval request for ${executionArn} refused: ${why}. Nothing was stored and no alert was sent.`);
}

/** The state machine's name: the last part of its ARN. */
const machineName = (stateMachineArn: string) => stateMachineArn.slice(stateMachineArn.lastIndexOf(':') + 1);

/**
 * Checks the claim against DescribeExecution (pure of AWS but for the injected executions); throws
 * ApprovalRequestRefusedError naming what does not match.
 */
async function verifiedExecution(
  claim: ClaimedApprovalRequest,
  executions: ApprovalRequestExecutions,
  stateMachineArns: readonly string[],
  stackName: string | undefined,
): Promise<VerifiedExecution> {
  const { executionArn } = claim;
  if (stateMachineArns.length === 0) {
    throw refuse(executionArn, `publish-alert has no ${DEPLOYMENT_ENV.approvalStateMachines} (the guarded playbooks' state machines), so it cannot check any request`);
  }
  const execution = await executions.describe(executionArn);
  if (!execution) throw refuse(executionArn, 'the execution does not exist (or is not one publish-alert may describe)');
  if (execution.status !== 'RUNNING') throw refuse(executionArn, `the execution is ${execution.status}, not RUNNING`);
  if (!stateMachineArns.includes(execution.stateMachineArn)) {
    throw refuse(executionArn, `its state machine ${execution.stateMachineArn} is not one of this deployment's guarded playbooks`);
  }
  const read = executionInputIncident(execution.input);
  if ('problem' in read) throw refuse(executionArn, read.problem === 'not-json' ? 'the execution input is not JSON' : 'the execution input carries no incident');
  const { input, incident: theirs } = read;
  const theirInstance = ec2InstanceOf(theirs);
  const claimed = claim.incident;
  const differences = [
    theirs.key !== claimed.key ? `incident ${claimed.key}, but the execution runs ${theirs.key}` : undefined,
    theirs.account !== claimed.account ? `account ${claimed.account}, but the execution's is ${theirs.account}` : undefined,
    theirs.region !== claimed.region ? `region ${claimed.region}, but the execution's is ${theirs.region}` : undefined,
    theirInstance !== claimed.instanceId ? `instance ${claimed.instanceId ?? 'none'}, but the execution's is ${theirInstance ?? 'none'}` : undefined,
  ].filter((difference): difference is string => difference !== undefined);
  if (differences.length > 0) throw refuse(executionArn, `the request names ${differences.join('; ')}`);
  // The playbook is the verified state machine's (`<stackName>-<playbook>`), never the input's word:
  // the approver is shown it, and a release's clearance compares it with the grant's.
  const name = machineName(execution.stateMachineArn);
  const prefix = `${stackName ?? ''}-`;
  if (stackName === undefined || stackName === '' || !name.startsWith(prefix)) {
    throw refuse(executionArn, `its state machine ${name} is not named <stack>-<playbook> for this deployment's stack (${SECURITY_ENV.stackName} ${stackName ?? 'unset'})`);
  }
  const playbook = name.slice(prefix.length);
  const claimedPlaybook = (input as { playbook?: unknown }).playbook;
  if (claimedPlaybook !== undefined && claimedPlaybook !== playbook) {
    const named = typeof claimedPlaybook === 'string' ? JSON.stringify(claimedPlaybook.slice(0, 80)) : `a ${typeof claimedPlaybook}`;
    throw refuse(executionArn, `its input names playbook ${named}, but it runs ${playbook}`);
  }
  return {
    playbook,
    account: theirs.account,
    region: theirs.region,
    ...(theirInstance !== undefined ? { instanceId: theirInstance } : {}),
  };
}

/** What storing a verified request did. */
export type ApprovalRequestOutcome = 'stored' | 'exists' | 'replaced';

/** What storing a request needs: the store, Step Functions and the deployment's facts. */
export interface ApprovalRequestDeps {
  readonly store: ApprovalRequests;
  readonly executions: ApprovalRequestExecutions;
  readonly stateMachineArns: readonly string[];
  /** The deployment's stack name: its playbooks' state machines are `<stackName>-<playbook>`. */
  readonly stackName: string | undefined;
  /**
   * Why Step Functions does not confirm that the execution's approval wait invoked publish-alert with
   * exactly the request received (its history's TaskScheduled: publish-alert's alert-origin check),
   * or undefined when it does. The token alone proves the execution, not the words stored beside
   * it (waiting steps, timeout, what approving does). Absent: not checked (tests of other checks).
   */
  readonly sentAsReceived?: () => Promise<string | undefined>;
}

/** What storing a verified request did, and when the request it kept stops taking answers (what its alert says). */
export interface StoredApprovalRequest {
  readonly outcome: ApprovalRequestOutcome;
  /**
   * The deadline the approval function holds answers to (approval-records.ts `approvalDeadlineOf`):
   * the guard's grant's approval deadline, read from the grant (only the guard writes it), never
   * later than the kept request's requestedAt + timeout. Undefined only for a request kept whose
   * time cannot be read, which the approval function refuses to answer.
   */
  readonly deadline?: AnswerDeadline;
  /**
   * Why the guard's grant could not be read (denied, throttled): `deadline` is then requestedAt +
   * timeout, the latest answers can be taken; the grant's own deadline may be earlier.
   */
  readonly grantUnread?: string;
}

/**
 * Verifies an approval request against Step Functions, then stores it in approval#<executionArn>
 * (see the module comment), and reads the guard's grant of the execution for the deadline its alert
 * gives (step 5). Throws ApprovalRequestRefusedError, having stored nothing, when any check fails.
 */
export async function storeVerifiedApprovalRequest(
  claim: ClaimedApprovalRequest,
  deps: ApprovalRequestDeps,
  at: Date,
): Promise<StoredApprovalRequest> {
  const outcome = await storeRequest(claim, deps, at);
  // As the approval function computes it, from the request kept and the guard's grant: the alert's
  // "until" is the instant answers stop being taken, not this function's clock plus the timeout
  // (later by the steps between the guard and the wait, and for a retried alert by the retries).
  const kept = outcome.kept;
  // The request is stored by now: a grant that cannot be read must not cost its alert (nobody would
  // be asked, and the playbook would run its timeout path). The alert then gives the latest deadline
  // and says that the enforced one may be earlier (review s25).
  let path: Awaited<ReturnType<ApprovalRequests['timeoutPathOf']>>;
  let grantUnread: string | undefined;
  try {
    path = await deps.store.timeoutPathOf(claim.executionArn);
  } catch (error) {
    grantUnread = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  const deadline = approvalDeadlineOf(kept, path);
  return { outcome: outcome.outcome, ...(deadline !== undefined ? { deadline } : {}), ...(grantUnread !== undefined ? { grantUnread } : {}) };
}

/** Verifies and stores (the module comment's steps 1-4); says what it did and what the request kept counts its deadline from. */
async function storeRequest(
  claim: ClaimedApprovalRequest,
  deps: ApprovalRequestDeps,
  at: Date,
): Promise<{ readonly outcome: ApprovalRequestOutcome; readonly kept: Pick<PendingApproval, 'requestedAt' | 'timeoutSeconds'> }> {
  const { executionArn, taskToken } = claim;
  const execution = await verifiedExecution(claim, deps.executions, deps.stateMachineArns, deps.stackName);
  if (!(await deps.executions.scheduled(executionArn, taskToken))) {
    throw refuse(executionArn, 'its task token is not one of this execution\'s: this execution never scheduled a task with it (GetExecutionHistory)');
  }
  // The real token with words of the invoker's own (waiting steps, timeout, notes), stored first,
  // would be the request kept: the real one meets the same token ('exists'), and `firebreak approve`
  // shows what is stored (docs/security.md row 5o).
  const notSent = deps.sentAsReceived === undefined ? undefined : await deps.sentAsReceived();
  if (notSent !== undefined) throw refuse(executionArn, `the execution's approval wait did not send it as received (${notSent})`);
  if ((await deps.executions.heartbeat(taskToken)) !== 'live') {
    throw refuse(executionArn, 'its task token is not live: Step Functions says no task waits on it (SendTaskHeartbeat)');
  }
  const request: PendingApproval = {
    pk: '',
    executionArn,
    incidentKey: claim.incident.key,
    requestedAt: at.toISOString(),
    taskToken,
    ...execution,
    waitingSteps: claim.waitingSteps,
    timeoutSeconds: claim.timeoutSeconds,
    ...(claim.notes !== undefined && claim.notes.length > 0 ? { notes: boundedNotes(claim.notes) } : {}),
  };
  const put = await deps.store.putRequest(request);
  if (put === 'stored') return { outcome: 'stored', kept: request };
  const existing = put.existing;
  // A retried alert (the same task attempt): keep the first, with its request time.
  if (existing.taskToken === taskToken) {
    return { outcome: 'exists', kept: { requestedAt: existing.requestedAt ?? '', timeoutSeconds: existing.timeoutSeconds ?? claim.timeoutSeconds } };
  }
  // A token this execution never scheduled was planted (the approval function would never send it),
  // or is an earlier execution's under the same ARN (Step Functions takes a name again 90 days on,
  // and approval records have no TTL): it must not keep the real request out, answered or not. The
  // approval function records an answer only for a token the execution's own history shows, so an
  // answered request of this execution keeps its decision on record; one it scheduled and nobody
  // answered is another attempt of its task, kept while it still waits.
  const planted = !(await deps.executions.scheduled(executionArn, existing.taskToken));
  if (existing.decided && !planted) {
    throw refuse(executionArn, 'a request with another task token is stored and already answered; its decision stays on record');
  }
  if (!planted && (await deps.executions.heartbeat(existing.taskToken)) === 'live') {
    throw refuse(executionArn, 'a request with another task token of this execution that still waits is stored already: neither is trusted with this answer');
  }
  // Replaced only while it still holds that token (and, answered, that answer; else no decision): two
  // real attempts never overwrite each other. The answers it holds (an earlier execution's under the
  // same ARN, and those it kept) go into the new request, newest first and bounded: its execution
  // history is gone by then, and the post-incident record must still say who answered what, when
  // (row 5q). The condition on its token makes them the ones the item holds.
  const earlierDecisions = answersKept(existing);
  const replacement: PendingApproval = earlierDecisions.length > 0 ? { ...request, earlierDecisions } : request;
  const replaced = await deps.store.replaceRequest(replacement, existing.taskToken, existing.decided);
  if (replaced !== 'replaced') throw refuse(executionArn, 'the stored request changed while it was being replaced');
  return { outcome: 'replaced', kept: replacement };
}
