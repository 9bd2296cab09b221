/**
 * The approval function: the one place a waiting playbook is answered. People call it through its
 * Lambda Function URL (AuthType AWS_IAM: AWS authenticates the SigV4-signed request and IAM decides
 * who may invoke it, through ApproverPolicy; the deployment's approverArns, step 1b, who may answer), with `{ executionArn, decision, requestId, reason? }`
 * (`requestId`: the request its approver was shown, which `{ executionArn, show: true }` gives). It
 *
 * 1. takes the approver from STS's word on the request's caller proof (caller-proof.ts), which must
 *    name the principal `requestContext.authorizer.iam.userArn` names (AWS fills that in from the
 *    signature only for a call through the URL; a direct invocation writes it): never from the body;
 * 1b. refuses (403), before it reads anything, a caller that is not one of the deployment's approvers
 *    when the deployment lists them (`approverArns`, approver-allowlist.ts): IAM lets in whoever holds
 *    lambda:InvokeFunctionUrl (an administrator's `lambda:*` too), the list says whose answer counts.
 *    The same for `show`. Logged with the caller's ARN; nothing recorded or sent;
 * 2. refuses an answer that names no request shown (no `requestId`: an older firebreak, a request
 *    made by hand), then loads `approval#<executionArn>` (the request publish-alert stored, with the
 *    task token);
 * 3. checks the execution is one of this deployment's playbooks and of the same incident as the
 *    request;
 * 4. refuses an approver that is a principal the incident names, as the execution's own input names
 *    it (approval-subjects.ts: an instance's own role session, the IAM user whose key, a session of
 *    the role whose sessions, the access key itself) or one of Firebreak's own roles, before any
 *    answer that reveals the request's state (already answered, by whom; the execution no longer
 *    RUNNING); then refuses a second answer, an execution that no longer waits, an answer whose
 *    `requestId` is not the stored request's (stored again after it was shown, for a new attempt of
 *    the approval step: nobody answers a request they were not shown), and a token the execution's
 *    own history does not show a task scheduled with (GetExecutionHistory: never another
 *    execution's token);
 * 4b. refuses a first answer once the wait is over: from the guard's approval deadline (its grant's,
 *    the instant the steps stop counting answers: grants.ts `evaluateGrant`), or requestedAt +
 *    timeoutSeconds, or when SendTaskHeartbeat says no task waits on the token. The execution is
 *    still RUNNING on its timeout path then, and its history still shows the token: recorded, a late
 *    rejection would stop the containment an `onTimeout: contain` path runs. The approver is told
 *    when the request timed out and which path the playbook took;
 * 5. records decision, decidedBy, decidedAt and reason with a conditional update (one answer only,
 *    and only while the request holds the token it read, the token of the request shown: never a
 *    decision on a request stored again meanwhile, whose new token this answer would not send);
 * 6. then sends the token: SendTaskSuccess `{ approved: true, approvedBy }` or SendTaskFailure
 *    `Firebreak.ApprovalRejected`. Only this function's role may call either;
 * 7. records `sentAt` once Step Functions has answered the send; or, when a first answer's send finds
 *    the task no longer waiting (its wait ended between the heartbeat and the send), withdraws the
 *    decision (conditionally: only it, never sent): Step Functions did not take it, and on record,
 *    dated before the deadline, it would still count against the timeout path the playbook took.
 *
 * The send can fail after the decision is recorded (throttling past the SDK's retries, a 5xx, the
 * function's timeout). Refusing every later answer then would leave the playbook waiting until its
 * timeout while the approver believes it resumed; so a decision without `sentAt` is sent again when
 * the same approver gives the same answer, exactly as recorded, whatever the time and without a
 * heartbeat (an earlier send may have reached the task). Anyone else, or another answer, is still
 * refused: one answer only. A second send of a token already taken is harmless (Step Functions says
 * the task no longer waits).
 *
 * The token is never logged and never returned.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { DescribeExecutionCommand, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import * as z from '../contracts/zod-mini';
import { awsErrorCode, toResponderError } from '../aws/errors';
import { APPROVAL_REJECTED_ERROR } from '../contracts/errors';
import { ResponderFailedError } from '../contracts/responder-errors';
import type { AnswerDeadline, ApprovalAnswers, ApprovalDecision, ApprovalTimeoutPath, PendingApproval } from './approval-records';
import { approvalDeadlineOf, approvalRequestId } from './approval-records';
import type { IncidentLogger } from './logging';
import { APPROVER_ARNS_ENV, DEPLOYMENT_ENV } from '../contracts/environment';
import { CLOSED_TASK_ERROR_CODES, approvalStateMachinesFromEnv, environmentList, executionScheduledToken, taskTokenHeartbeat } from './approval-tasks';
import type { ApproverIdentity, IncidentSubject } from './approval-subjects';
import { sessionOf, subjectOfIncident, subjectsOfIncident } from './approval-subjects';
import { isListedApprover } from './approver-allowlist';
import type { CallerProofVerifier } from './caller-proof';
import { CALLER_PROOF_HEADER, provenCaller } from './caller-proof';
import type { FunctionUrlResult } from './function-url-response';
import { functionUrlEventSchema, jsonFunctionUrlHandler, requestText } from './function-url-response';

export type { FunctionUrlResult } from './function-url-response';

/** The stack output holding the approval function's URL (the CLI reads it). */
export const APPROVAL_URL_OUTPUT_KEY = 'ApprovalFunctionUrl';

/** What SendTaskSuccess hands the waiting execution (the approval state's output, `$.approval`). */
export interface ApprovalAnswer {
  readonly approved: true;
  /** The approver as STS verified their caller proof. */
  readonly approvedBy: string;
  /** Same as approvedBy (the alert reads `by`). */
  readonly by: string;
  readonly at: string;
  readonly comment?: string;
}

/** What SendTaskFailure puts in the execution's `Cause` (JSON). */
export interface RejectionCause {
  readonly by: string;
  readonly at: string;
  readonly reason?: string;
}

const executionArnSchema = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:[A-Za-z0-9_-]{1,80}$/, 'a Step Functions execution ARN'));

/** The id of a request (approval-records.ts `approvalRequestId`): 64 hex digits. */
const requestIdSchema = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'the requestId of the request shown (64 hex digits)'));

/**
 * The answer a person sends (the Function URL's body). `requestId` names the request they were
 * shown (`show` gives it): optional here only so that an answer without it is refused with words
 * saying why, not as a malformed body.
 */
export const approvalRequestBodySchema = z.strictObject({
  executionArn: executionArnSchema,
  decision: z.enum(['approve', 'reject']),
  requestId: z.optional(requestIdSchema),
  reason: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(1000))),
});
export type ApprovalRequestBody = z.output<typeof approvalRequestBodySchema>;

/** What a person asks before answering: what waits, and on what (`firebreak approve` shows it, then asks to confirm). */
export const approvalShowBodySchema = z.strictObject({ executionArn: executionArnSchema, show: z.literal(true) });

/**
 * A waiting request as the approval function shows it before anyone answers: the stored request,
 * and the target read from the execution's own input (what the waiting steps act on), so that the
 * approver sees what they are about to approve, not only the ARN they pasted. Finding text in it
 * (`title`) is the attacker's: a terminal shows it escaped.
 */
export interface ApprovalRequestView {
  readonly playbook: string;
  readonly incidentKey: string;
  readonly account: string;
  readonly region: string;
  readonly waitingSteps: readonly string[];
  /**
   * Which request this is (approval-records.ts `approvalRequestId`): an answer names it, and the
   * function refuses the answer when another request is stored by then.
   */
  readonly requestId: string;
  readonly requestedAt: string;
  /**
   * When answers stop being taken: the guard's approval deadline (its grant's), else requestedAt +
   * the request's timeout. The playbook takes its timeout path then.
   */
  readonly expiresAt: string;
  /** Present once expiresAt has passed with no answer recorded: any answer now is refused. */
  readonly timedOut?: true;
  /**
   * What the playbook does when nobody answers by expiresAt, as the guard's grant says (absent when
   * the grant cannot be read): under `contain` not answering runs the waiting steps as approving does,
   * so `firebreak approve` says it beside the deadline, as the request's alert does (rows 10i, 10j).
   */
  readonly onTimeout?: 'contain' | 'evidence-only';
  /** The execution's status (RUNNING while it waits). */
  readonly status: string;
  /** From the execution input's incident. */
  readonly findingType?: string;
  readonly title?: string;
  readonly severity?: unknown;
  readonly resource?: unknown;
  /** A manual playbook's request (release, unblock): who asked, and why. */
  readonly requestedBy?: string;
  readonly reason?: string;
  /** What approving will and will not do, as the request's alert said it when it was made (a release's claims). */
  readonly notes?: readonly string[];
  /** Present once answered. */
  readonly decision?: 'approved' | 'rejected';
  readonly decidedBy?: string;
  readonly decidedAt?: string;
}

/** What the function answers (the Function URL's JSON body). */
export interface ApprovalResponse {
  readonly statusCode: 200 | 400 | 401 | 403 | 404 | 409 | 502;
  /** `shown`: the answer to a `show` request, with `request`. */
  readonly outcome: 'approved' | 'rejected' | 'refused' | 'shown';
  readonly message: string;
  readonly executionArn?: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  /** When the request was stored (publish-alert), so the answer's wait can be measured. */
  readonly requestedAt?: string;
  /** What waits (a `show` request only). */
  readonly request?: ApprovalRequestView;
}

/** What the approval function needs to know of an execution, and how it answers one. */
export interface ApprovalExecutions {
  /** Status, state machine and input of the execution; undefined when it does not exist. */
  describe(executionArn: string): Promise<{ readonly status: string; readonly stateMachineArn: string; readonly input?: string } | undefined>;
  /**
   * Whether the execution's own history shows a task scheduled with `taskToken` (a TaskScheduled
   * event whose parameters carry it): a token the execution issued, not another execution's.
   */
  scheduled(executionArn: string, taskToken: string): Promise<boolean>;
  /** `live` while a task waits on the token (SendTaskHeartbeat); `closed` when Step Functions says none does. */
  heartbeat(taskToken: string): Promise<'live' | 'closed'>;
  /** `closed` when the task no longer waits (answered, timed out, execution ended). */
  sendSuccess(taskToken: string, output: string): Promise<'sent' | 'closed'>;
  sendFailure(taskToken: string, error: string, cause: string): Promise<'sent' | 'closed'>;
}

/** Step Functions adapter: DescribeExecution, GetExecutionHistory, SendTaskHeartbeat, SendTaskSuccess, SendTaskFailure. */
export class SfnApprovalExecutions implements ApprovalExecutions {
  constructor(private readonly sfn: SFNClient) {}

  heartbeat(taskToken: string): Promise<'live' | 'closed'> {
    return taskTokenHeartbeat(this.sfn, taskToken);
  }

  scheduled(executionArn: string, taskToken: string): Promise<boolean> {
    return executionScheduledToken(this.sfn, executionArn, taskToken);
  }

  async describe(executionArn: string) {
    try {
      const answer = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return {
        status: answer.status ?? 'UNKNOWN',
        stateMachineArn: answer.stateMachineArn ?? '',
        ...(answer.input !== undefined ? { input: answer.input } : {}),
      };
    } catch (error) {
      if (awsErrorCode(error) === 'ExecutionDoesNotExist') return undefined;
      throw toResponderError(error, 'states:DescribeExecution');
    }
  }

  async sendSuccess(taskToken: string, output: string): Promise<'sent' | 'closed'> {
    return this.send('states:SendTaskSuccess', () => this.sfn.send(new SendTaskSuccessCommand({ taskToken, output })));
  }

  async sendFailure(taskToken: string, error: string, cause: string): Promise<'sent' | 'closed'> {
    return this.send('states:SendTaskFailure', () => this.sfn.send(new SendTaskFailureCommand({ taskToken, error, cause })));
  }

  private async send(api: string, call: () => Promise<unknown>): Promise<'sent' | 'closed'> {
    try {
      await call();
      return 'sent';
    } catch (error) {
      if (CLOSED_TASK_ERROR_CODES.has(awsErrorCode(error) ?? '')) return 'closed';
      throw toResponderError(error, api);
    }
  }
}

/** The deployment's facts the function checks answers against (its environment). */
export interface ApprovalConfig {
  /** State machines whose executions may be answered (the deployment's guarded playbooks). */
  readonly stateMachineArns: readonly string[];
  /** Role-name prefixes of Firebreak's own roles: their sessions never approve. */
  readonly deniedRolePrefixes: readonly string[];
  /**
   * The deployment's approvers (IAM role and user ARNs, approver-allowlist.ts): only they, and the
   * roles' sessions, answer or look. Absent: IAM alone decides who may (ApproverPolicy). Empty (the
   * variable set, but naming nobody, which the stack never writes): nobody.
   */
  readonly approverArns?: readonly string[];
}

/** Reads FIREBREAK_APPROVAL_STATE_MACHINES (comma-separated ARNs), FIREBREAK_DENIED_APPROVER_ROLE_PREFIXES and FIREBREAK_APPROVER_ARNS. */
export function readApprovalConfig(env: Readonly<Record<string, string | undefined>> = process.env): ApprovalConfig {
  return {
    stateMachineArns: approvalStateMachinesFromEnv(env),
    deniedRolePrefixes: environmentList(env, DEPLOYMENT_ENV.deniedApproverRolePrefixes),
    // Set but garbled fails closed: an empty list admits nobody, an entry no caller matches admits nobody.
    ...(env[APPROVER_ARNS_ENV] !== undefined ? { approverArns: environmentList(env, APPROVER_ARNS_ENV) } : {}),
  };
}

export interface ApprovalDeps {
  readonly store: ApprovalAnswers;
  /** Who signed a request's caller proof (STS in Lambda; the game day's simulated STS). */
  readonly callers: CallerProofVerifier;
  readonly executions: ApprovalExecutions;
  readonly config: ApprovalConfig;
  readonly logger: IncidentLogger | Logger;
  readonly now?: () => Date;
}

/**
 * Why `approver` may not answer a request about `subjects` (pure), or undefined: a principal the
 * incident names (approval-subjects.ts: its instances' sessions, the user whose key, the role whose
 * sessions, the key itself) or one of Firebreak's own roles.
 */
export function approverRefusal(approver: ApproverIdentity, subjects: readonly IncidentSubject[], config: Pick<ApprovalConfig, 'deniedRolePrefixes'>): string | undefined {
  const subject = subjectOfIncident(approver, subjects);
  if (subject !== undefined) {
    return `${approver.userArn} ${subject}: the subject of an incident never approves or rejects its own containment or release`;
  }
  const session = sessionOf(approver.userArn);
  const denied = session === undefined ? undefined : config.deniedRolePrefixes.find((prefix) => session.role.startsWith(prefix));
  if (denied !== undefined) return `${approver.userArn} is one of Firebreak's own roles (${denied}*): only people answer approval requests`;
  return undefined;
}

/**
 * The principals a request is about: the instance publish-alert stored with it, and every one the
 * execution's own input names (its incident's resource and affected resources).
 */
function subjectsOf(request: Pick<PendingApproval, 'instanceId'>, input: ExecutionInputView): IncidentSubject[] {
  return [...(request.instanceId !== undefined ? [{ kind: 'instance' as const, instanceId: request.instanceId }] : []), ...subjectsOfIncident(input.incident)];
}

function refused(statusCode: ApprovalResponse['statusCode'], message: string, executionArn?: string): ApprovalResponse {
  return { statusCode, outcome: 'refused', message, ...(executionArn !== undefined ? { executionArn } : {}) };
}

/** An execution's input as far as the function reads it: the incident, and a manual request's asker and reason. */
interface ExecutionInputView {
  readonly incident?: { readonly key?: unknown; readonly findingType?: unknown; readonly title?: unknown; readonly severity?: unknown; readonly resource?: unknown };
  readonly requestedBy?: unknown;
  readonly reason?: unknown;
}

function executionInputOf(input: string | undefined): ExecutionInputView {
  if (input === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(input);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as ExecutionInputView) : {};
  } catch {
    return {};
  }
}

function incidentKeyOf(input: ExecutionInputView): string | undefined {
  return typeof input.incident?.key === 'string' ? input.incident.key : undefined;
}

const textOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The view of a request a `show` answers with (pure). */
function requestView(request: PendingApproval, status: string, input: ExecutionInputView, deadline: AnswerDeadline, now: Date): ApprovalRequestView {
  const optional = { findingType: textOf(input.incident?.findingType), title: textOf(input.incident?.title), requestedBy: textOf(input.requestedBy), reason: textOf(input.reason) };
  return {
    playbook: request.playbook,
    incidentKey: request.incidentKey,
    account: request.account,
    region: request.region,
    waitingSteps: request.waitingSteps,
    requestId: approvalRequestId(request.taskToken),
    requestedAt: request.requestedAt,
    expiresAt: deadline.at,
    ...(request.decision === undefined && now.getTime() >= Date.parse(deadline.at) ? { timedOut: true as const } : {}),
    ...(deadline.onTimeout !== undefined ? { onTimeout: deadline.onTimeout } : {}),
    status,
    ...Object.fromEntries(Object.entries(optional).filter((entry) => entry[1] !== undefined)),
    ...(input.incident?.severity !== undefined ? { severity: input.incident.severity } : {}),
    ...(input.incident?.resource !== undefined ? { resource: input.incident.resource } : {}),
    // Left undefined (and out of the JSON answer) when the request has none.
    notes: request.notes,
    ...(request.decision !== undefined ? { decision: request.decision, decidedBy: request.decidedBy, decidedAt: request.decidedAt } : {}),
  };
}

/**
 * The recorded decision `approver` may send again (pure): the same approver's same answer, recorded
 * but never sent. Undefined for anything else, which is refused as a second answer.
 */
function undeliveredAnswerOf(request: PendingApproval, approver: string, decision: ApprovalDecision['decision']): ApprovalDecision | undefined {
  if (request.sentAt !== undefined || request.decision !== decision || request.decidedBy !== approver || request.decidedAt === undefined) return undefined;
  return { decision, decidedBy: approver, decidedAt: request.decidedAt, ...(request.reason !== undefined ? { reason: request.reason } : {}) };
}

/** Why an answer that names no request it was shown is refused (an older firebreak, a request made by hand). */
function noShownRequestRefusal(executionArn: string): string {
  return `the answer for ${executionArn} names no request it was shown (requestId): an answer is taken only for the request its approver saw, so that one stored again meanwhile (a new attempt of its approval step) is never answered in its place. Answer with the current firebreak approve / reject, which shows the request first and sends its requestId; nothing was recorded or sent`;
}

/** Why an answer to a request that is no longer the one stored is refused: both requests named. */
function notShownRefusal(executionArn: string, shownId: string, storedId: string, storedAt: string): string {
  return `the request shown (requestId ${shownId}) is not the one stored for ${executionArn} now (requestId ${storedId}, requested at ${storedAt}): it was stored again after it was shown (a new attempt of its approval step, with a new task token). Nothing was recorded or sent; look at the new request (firebreak approve shows it) before answering it`;
}

function secondAnswerRefusal(request: PendingApproval): string {
  const first = `${request.executionArn} was already ${request.decision ?? 'answered'} by ${request.decidedBy ?? 'unknown'} at ${request.decidedAt ?? 'an earlier time'}: one answer only`;
  return request.sentAt === undefined ? `${first} (not delivered yet: only ${request.decidedBy ?? 'its approver'} can send it again)` : first;
}

/**
 * The deadline an answer is held to (approval-records.ts `approvalDeadlineOf`, the one the request's
 * alert gives). publish-alert always stores requestedAt and timeoutSeconds: a request without them was
 * written by someone else (fail closed).
 */
function answerDeadline(request: PendingApproval, path: ApprovalTimeoutPath | undefined): AnswerDeadline {
  const deadline = approvalDeadlineOf(request, path);
  if (deadline === undefined) throw new ResponderFailedError(`The approval request of ${request.executionArn} has no readable deadline: nothing was recorded or sent`);
  return deadline;
}

const TIMEOUT_PATHS: Readonly<Record<NonNullable<AnswerDeadline['onTimeout']>, string>> = {
  contain: 'contain (its waiting steps run without approval)',
  'evidence-only': 'evidence-only (its waiting steps do not run; contain by hand if it is still needed)',
};

/** What a person is told of a request that timed out (pure): when, which path the playbook took, and that their answer changes nothing. */
function timedOutMessage(executionArn: string, deadline: AnswerDeadline, decision?: ApprovalDecision['decision']): string {
  const path = deadline.onTimeout !== undefined ? TIMEOUT_PATHS[deadline.onTimeout] : 'which the approval function cannot read for this execution (see its history and its alerts)';
  const answer = decision === undefined ? '' : ` This ${decision === 'approved' ? 'approval' : 'rejection'} was not recorded and changes nothing.`;
  return `the approval request of ${executionArn} timed out at ${deadline.at}: the playbook took its onTimeout path, ${path}.${answer}`;
}

/** Sends a decision's token: SendTaskSuccess for an approval, SendTaskFailure for a rejection. */
function sendDecision(executions: ApprovalExecutions, taskToken: string, answer: ApprovalDecision): Promise<'sent' | 'closed'> {
  const { decidedBy: by, decidedAt: at, reason } = answer;
  return answer.decision === 'approved'
    ? executions.sendSuccess(taskToken, JSON.stringify({ approved: true, approvedBy: by, by, at, ...(reason !== undefined ? { comment: reason } : {}) } satisfies ApprovalAnswer))
    : executions.sendFailure(taskToken, APPROVAL_REJECTED_ERROR, JSON.stringify({ by, at, ...(reason !== undefined ? { reason } : {}) } satisfies RejectionCause));
}

/** Answers one approval request (pure of AWS: the store and the executions are injected). */
export async function answerApproval(event: unknown, deps: ApprovalDeps): Promise<ApprovalResponse> {
  const now = deps.now ?? (() => new Date());
  const parsedEvent = functionUrlEventSchema.safeParse(event);
  const iam = parsedEvent.success ? parsedEvent.data.requestContext.authorizer?.iam : undefined;
  if (!parsedEvent.success || iam === undefined) {
    return refused(401, 'the request carries no IAM identity: call the Function URL with a SigV4-signed request (firebreak approve / reject)');
  }
  const raw = requestText(parsedEvent.data);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  // Who calls is what STS says signed the caller proof for this very body, not what the event
  // claims: a direct invocation writes its own requestContext (caller-proof.ts).
  const proven = await provenCaller('approval', parsedEvent.data.headers?.[CALLER_PROOF_HEADER], raw, iam, deps.callers, now());
  if ('refused' in proven) {
    deps.logger.warn('approval refused: caller not proven', { claimedCaller: iam.userArn, reason: proven.refused });
    if ('unavailable' in proven) return refused(502, `${proven.refused}: nothing was recorded or sent`);
    return refused(401, `${proven.refused}: nothing was recorded or sent. Answer with the current firebreak approve / reject, which proves who you are to STS`);
  }
  const approver = proven.arn;
  const identity: ApproverIdentity = { userArn: approver, accessKey: proven.accessKeyId, userId: proven.userId };
  // First of all, before the request is read: who is not an approver learns nothing of it (not
  // whether it exists, is answered, or still waits), whatever they send.
  const approverArns = deps.config.approverArns;
  if (approverArns !== undefined && !isListedApprover(approver, approverArns, identity.userId)) {
    const claimed = executionArnSchema.safeParse((json as { executionArn?: unknown } | null)?.executionArn);
    deps.logger.warn('approval refused: not a listed approver', { approver, ...(claimed.success ? { executionArn: claimed.data } : {}) });
    return refused(403, `${approver} is not one of this deployment's approvers (approverArns): nothing was recorded or sent`);
  }
  const method = parsedEvent.data.requestContext.http?.method;
  if (method !== undefined && method !== 'POST') return refused(400, `use POST, not ${method}`);
  if (json === undefined) {
    return refused(400, 'bad request: the body is not JSON { executionArn, decision, requestId, reason? } or { executionArn, show: true }');
  }
  const show = approvalShowBodySchema.safeParse(json);
  if (show.success) return showApproval(show.data.executionArn, identity, deps);
  const parsed = approvalRequestBodySchema.safeParse(json);
  if (!parsed.success) return refused(400, `bad request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  const body: ApprovalRequestBody = parsed.data;
  const { executionArn } = body;
  const decision = body.decision === 'approve' ? 'approved' : 'rejected';
  const log = (message: string, extra: Record<string, unknown>) => deps.logger.info(message, { executionArn, approver, decision: body.decision, ...extra });

  if (body.requestId === undefined) {
    log('approval refused: no request shown', {});
    return refused(400, noShownRequestRefusal(executionArn), executionArn);
  }

  const gated = await gatedRequest(executionArn, identity, deps, log, 'approval refused');
  if ('outcome' in gated) return gated;
  const { request, checked } = gated;
  const undelivered = undeliveredAnswerOf(request, approver, decision);
  if (request.decision !== undefined && undelivered === undefined) {
    log('approval refused: already answered', { decidedBy: request.decidedBy, sentAt: request.sentAt });
    return refused(409, secondAnswerRefusal(request), executionArn);
  }
  if (checked.status !== 'RUNNING') {
    return refused(409, `${executionArn} is ${checked.status}: it no longer waits for an answer`, executionArn);
  }
  // The answer is for the request its approver was shown. Stored again since (a new attempt of the
  // approval step, a new token), the request is another one, which nobody was shown. The decision
  // below is then conditional on the token read here, so a request stored again after this read is
  // refused too (approval-records.ts `decide`). Checked after the approver: the refusal names the
  // stored request, which who may not answer may not see either (as `show` refuses them; review s25).
  const storedId = approvalRequestId(request.taskToken);
  if (storedId !== body.requestId) {
    log('approval refused: not the request shown', { shownRequestId: body.requestId, storedRequestId: storedId });
    return refused(409, notShownRefusal(executionArn, body.requestId, storedId, request.requestedAt), executionArn);
  }

  // Step Functions cannot say which execution a token belongs to, but the execution's own history
  // shows the tokens its tasks were scheduled with: a request stored with another execution's live
  // token (publish-alert invoked by hand, the table written) would make this approval answer that
  // other execution (docs/security.md §C3).
  if (!(await deps.executions.scheduled(executionArn, request.taskToken))) {
    log('approval refused: the request holds a token this execution never issued', {});
    return refused(
      409,
      `the approval request of ${executionArn} holds a task token this execution never issued (no task of its history was scheduled with it): it was not stored by this execution; nothing was recorded or sent`,
      executionArn,
    );
  }
  let answer: ApprovalDecision;
  let deadline: AnswerDeadline | undefined;
  if (undelivered !== undefined) {
    // A decision recorded in time whose delivery failed: sent again whatever the time, without a
    // heartbeat (an earlier send may have reached the task, which then no longer waits). Step
    // Functions takes it only while the task still waits; the send's answer says which.
    answer = undelivered;
  } else {
    // A first answer counts only while the wait lasts: before the deadline the steps hold answers
    // to, and while Step Functions says a task waits on the token. Recorded otherwise, a late
    // rejection would stop the containment the playbook's timeout path runs (docs/security.md).
    deadline = answerDeadline(request, await deps.store.timeoutPathOf(executionArn));
    const waits = await deps.executions.heartbeat(request.taskToken);
    // Taken after the heartbeat: the recorded time is never earlier than Step Functions' word that the task waits.
    const decidedAt = now();
    if (decidedAt.getTime() >= Date.parse(deadline.at)) {
      log('approval refused: the request timed out', { deadline: deadline.at, onTimeout: deadline.onTimeout });
      return refused(409, timedOutMessage(executionArn, deadline, decision), executionArn);
    }
    if (waits === 'closed') {
      log('approval refused: no task waits on the token', {});
      return refused(
        409,
        `the approval request of ${executionArn} no longer waits for an answer: Step Functions says no task waits on it any more (its wait ended: timed out, or the execution moved on). This answer changes nothing: nothing was recorded or sent; see the execution's history`,
        executionArn,
      );
    }
    answer = { decision, decidedBy: approver, decidedAt: decidedAt.toISOString(), ...(body.reason !== undefined ? { reason: body.reason } : {}) };
  }
  const recorded = undelivered === undefined ? await deps.store.decide(executionArn, answer, request.taskToken) : 'recorded';
  if (recorded === 'already-decided') {
    const now2 = await deps.store.get(executionArn);
    return refused(409, `${executionArn} was answered meanwhile by ${now2?.decidedBy ?? 'someone else'}: one answer only`, executionArn);
  }
  if (recorded === 'request-changed') {
    // publish-alert stored the request again between this function's read and its decision (a new
    // attempt of the approval step, with a new token): the token read is not the one that waits.
    log('approval refused: request stored again meanwhile', {});
    return refused(409, `the approval request of ${executionArn} was stored again while this answer was checked (a new attempt of its approval step, with a new task token): nothing was recorded or sent; answer again`, executionArn);
  }
  const sent = await sendDecision(deps.executions, request.taskToken, answer);
  log('approval answered', { sent, sentAgain: undelivered !== undefined });
  // A first answer the task no longer took: its wait ended between the heartbeat and the send (it
  // timed out, or the execution moved on). On record it would still count where the action happens
  // (dated before the deadline), against the timeout path the playbook took: withdrawn instead.
  if (sent === 'closed' && undelivered === undefined && (await deps.store.withdraw(executionArn, answer.decidedAt)) === 'withdrawn') {
    log('approval withdrawn: the task no longer waited', {});
    const path = deadline?.onTimeout !== undefined ? `; the playbook took its onTimeout path, ${TIMEOUT_PATHS[deadline.onTimeout]}, if the wait timed out` : '';
    return refused(
      409,
      `${executionArn} no longer waited when this ${decision === 'approved' ? 'approval' : 'rejection'} was sent (its wait timed out, or the execution moved on, after the check): Step Functions did not take it, so it was withdrawn and nothing is on record${path}. See its history.`,
      executionArn,
    );
  }
  try {
    await deps.store.markSent(executionArn, answer.decidedAt, now().toISOString());
  } catch (error) {
    // The token went out: a record without sentAt only lets its approver send it again, harmlessly.
    deps.logger.warn('approval sent, sentAt not recorded', { executionArn, error: (error as Error).message });
  }
  const again = undelivered !== undefined ? ` (as recorded at ${answer.decidedAt}, sent again)` : '';
  if (sent === 'closed') {
    const earlier = undelivered !== undefined ? ', or an earlier send reached it' : '';
    return refused(409, `recorded ${decision} by ${approver}${again}, but ${executionArn} no longer waits (it timed out or ended meanwhile${earlier}): see its history`, executionArn);
  }
  return {
    statusCode: 200,
    outcome: decision,
    message: decision === 'approved' ? `Approved${again}: the playbook resumes its waiting steps.` : `Rejected${again}: the playbook takes its rejected path (${APPROVAL_REJECTED_ERROR}).`,
    executionArn,
    decidedBy: approver,
    decidedAt: answer.decidedAt,
    requestedAt: request.requestedAt,
  };
}

/**
 * The request's execution, checked before anything is shown or answered: it exists, it is one of
 * this deployment's playbooks, and it runs the request's incident (else the refusal to answer with).
 */
async function checkedExecution(
  request: PendingApproval,
  deps: ApprovalDeps,
  log: (message: string, extra: Record<string, unknown>) => void,
): Promise<{ readonly status: string; readonly input: ExecutionInputView } | ApprovalResponse> {
  const { executionArn } = request;
  const execution = await deps.executions.describe(executionArn);
  if (!execution) return refused(404, `${executionArn} does not exist`, executionArn);
  if (!deps.config.stateMachineArns.includes(execution.stateMachineArn)) {
    log('approval refused: not a playbook of this deployment', { stateMachineArn: execution.stateMachineArn });
    return refused(403, `${executionArn} is not an execution of this deployment's playbooks`, executionArn);
  }
  const input = executionInputOf(execution.input);
  const executionIncident = incidentKeyOf(input);
  if (executionIncident !== request.incidentKey) {
    log('approval refused: request and execution disagree', { recordIncident: request.incidentKey, executionIncident });
    return refused(409, `the approval request names incident ${request.incidentKey}, but ${executionArn} runs ${executionIncident ?? 'another incident'}: the request was not written by this execution`, executionArn);
  }
  return { status: execution.status, input };
}

/**
 * What every answer and every look passes before anything is said of the request's state (answered,
 * by whom; the execution no longer running): the request exists, its execution is this deployment's
 * and runs its incident (`checkedExecution`), and the caller is none of the principals the incident
 * names nor one of Firebreak's roles (`approverRefusal`). Who may not answer may not learn it either.
 */
async function gatedRequest(
  executionArn: string,
  approver: ApproverIdentity,
  deps: ApprovalDeps,
  log: (message: string, extra: Record<string, unknown>) => void,
  refusedAs: 'approval refused' | 'approval show refused',
): Promise<{ readonly request: PendingApproval; readonly checked: { readonly status: string; readonly input: ExecutionInputView } } | ApprovalResponse> {
  const request = await deps.store.get(executionArn);
  if (!request) {
    log(`${refusedAs}: unknown execution`, {});
    return refused(404, `no approval request is recorded for ${executionArn}: check the ARN in the alert`, executionArn);
  }
  const checked = await checkedExecution(request, deps, log);
  if ('outcome' in checked) return checked;
  const refusal = approverRefusal(approver, subjectsOf(request, checked.input), deps.config);
  if (refusal !== undefined) {
    log(`${refusedAs}: approver`, { refusal });
    return refused(403, refusal, executionArn);
  }
  return { request, checked };
}

/**
 * Shows what waits, answering nothing: the checks an answer makes (the request exists, its execution
 * is this deployment's and runs its incident, the caller is not the instance's own role or one of
 * Firebreak's), then the request, the execution's target and status and any answer already recorded.
 */
async function showApproval(executionArn: string, approver: ApproverIdentity, deps: ApprovalDeps): Promise<ApprovalResponse> {
  const log = (message: string, extra: Record<string, unknown>) => deps.logger.info(message, { executionArn, approver: approver.userArn, show: true, ...extra });
  // Who may not answer may not look either (the incident's own principals, Firebreak's roles).
  const gated = await gatedRequest(executionArn, approver, deps, log, 'approval show refused');
  if ('outcome' in gated) return gated;
  const { request, checked } = gated;
  log('approval request shown', {});
  const deadline = answerDeadline(request, await deps.store.timeoutPathOf(executionArn));
  const view = requestView(request, checked.status, checked.input, deadline, (deps.now ?? (() => new Date()))());
  const message =
    request.decision !== undefined
      ? `${request.decision} by ${request.decidedBy ?? 'unknown'} at ${request.decidedAt ?? 'an earlier time'}`
      : view.timedOut === true
        ? timedOutMessage(executionArn, deadline)
        : checked.status === 'RUNNING'
          ? `${request.playbook} waits for approval of ${request.waitingSteps.join(', ')}`
          : `${executionArn} is ${checked.status}: it no longer waits for an answer`;
  return { statusCode: 200, outcome: 'shown', message, executionArn, requestedAt: request.requestedAt, request: view };
}

/** The Lambda handler: the Function URL event in, a JSON response out. */
export function createApprovalHandler(deps: ApprovalDeps): (event: unknown) => Promise<FunctionUrlResult> {
  return jsonFunctionUrlHandler((event) => answerApproval(event, deps));
}
