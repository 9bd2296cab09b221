/**
 * Approval records (`approval#<executionArn>`, ApprovalRecord in lib/contracts/security.ts). The
 * task token of a waiting playbook never reaches a person: publish-alert stores it here with the
 * request, and only the approval function (lib/responders/approval.ts) reads it back, records who
 * answered (as AWS authenticated them) and sends it to Step Functions. One answer only: the
 * decision is written with a condition that there is none yet, and that the request still holds
 * the token the answer was checked with (the one it sends). Once Step Functions has answered the
 * send (it took the answer, or the task no longer waits), the record gets `sentAt`: a decision
 * without it was recorded but perhaps never delivered, and its approver may send it again; a first
 * decision whose send found the task no longer waiting is withdrawn (`withdraw`). The
 * approval function also reads the guard's grant of the execution, its approval deadline and
 * onTimeout only (`timeoutPathOf`): no first answer is taken from that deadline on; publish-alert
 * reads the same two attributes, so that the request's alert gives that deadline
 * (`approvalDeadlineOf`, one computation for both).
 */
import { createHash } from 'node:crypto';
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ApprovalRecord } from '../contracts/security';
import { STATE_KEY_PREFIX } from '../contracts/security';
import { awsErrorCode, itemOfConditionFailure, toResponderError } from '../aws/errors';
import { ResponderFailedError } from '../contracts/responder-errors';

/** The partition key of an execution's approval record. */
export function approvalRecordKey(executionArn: string): string {
  return `${STATE_KEY_PREFIX.approval}${executionArn}`;
}

/**
 * The identity of a stored request, as the approval function's `show` gives it and an answer names
 * it (docs/safety-rails.md, "Answering"): the SHA-256 of its task token, in hex. publish-alert
 * stores a request again, for a new attempt of the approval step, only with a new token, so the id
 * changes exactly when the token the answer would send changes; the time it was stored does not
 * (two attempts may be stored in the same millisecond, or the same instant of the game day's
 * clock). Derived, never stored: every request has one, those stored before ids existed included.
 * A digest of a token Step Functions generates tells nothing of the token itself, which never
 * leaves the state table.
 */
export function approvalRequestId(taskToken: string): string {
  return createHash('sha256').update(taskToken, 'utf8').digest('hex');
}

/** A request as publish-alert stores it: the shared record plus what the approval function needs. */
export interface PendingApproval extends ApprovalRecord {
  /** The task token of the waiting state. Never shown to a person, never logged. */
  readonly taskToken: string;
  readonly playbook: string;
  readonly account: string;
  readonly region: string;
  /** The instance the waiting steps would change, when there is one (the approval function refuses its own role as approver). */
  readonly instanceId?: string;
  readonly waitingSteps: readonly string[];
  readonly timeoutSeconds: number;
  /** When a send of the decision returned (Step Functions took it, or the task no longer waited); absent until then. */
  readonly sentAt?: string;
  /**
   * What approving will and will not do, as the approval request's alert said it (a release's
   * claims, read from the records when the request was made): `firebreak approve` shows it.
   */
  readonly notes?: readonly string[];
  /**
   * Earlier executions' answers under the same ARN, newest first, at most MAX_EARLIER_DECISIONS:
   * Step Functions takes an execution name again 90 days on, and the new run's request replaces the
   * earlier run's whole; its answer (who, what, when) is carried here so that the post-incident
   * record keeps it (docs/security.md row 5q). Never read as an answer to this request.
   */
  readonly earlierDecisions?: readonly EarlierDecision[];
}

/** An earlier run's answered request, as the replacement of its item keeps it (row 5q). */
export interface EarlierDecision {
  readonly decision: 'approved' | 'rejected';
  readonly requestedAt?: string;
  readonly incidentKey?: string;
  readonly playbook?: string;
  readonly waitingSteps?: readonly string[];
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly reason?: string;
  readonly sentAt?: string;
}

/** How many earlier answers an approval item keeps (one per reuse of its name, 90 days apart): the item stays far below DynamoDB's 400 KB. */
export const MAX_EARLIER_DECISIONS = 5;
/** The most characters of one kept text, the most waiting steps kept of one answer and characters of one (an item written by hand is bounded too). */
const MAX_KEPT_TEXT = 2000;
const MAX_KEPT_STEPS = 20;
const MAX_KEPT_STEP = 200;

/** A decision to record. */
export interface ApprovalDecision {
  readonly decision: 'approved' | 'rejected';
  readonly decidedBy: string;
  readonly decidedAt: string;
  readonly reason?: string;
}

/** What recording a decision did: recorded, refused for a decision in place, or refused for a request that changed. */
export type DecideOutcome = 'recorded' | 'already-decided' | 'request-changed';

/** What publish-alert learns of a request already stored for the execution when it stores one. */
export interface StoredRequestHead {
  readonly taskToken: string;
  /** A decision is recorded: the request is never replaced. */
  readonly decided: boolean;
  /** When it was stored, and its timeout (what its deadline is counted from), when the item holds them. */
  readonly requestedAt?: string;
  readonly timeoutSeconds?: number;
  /**
   * The answers the item holds, its own first (when answered), then the earlier ones it keeps: what
   * a replacement carries on as its `earlierDecisions` (`answersKept`), so that none is lost.
   */
  readonly answers?: readonly EarlierDecision[];
}

/** The earlier answers a request replacing `stale` keeps (pure): the stale one's own and those it kept, newest first, bounded. */
export function answersKept(stale: Pick<StoredRequestHead, 'answers'>): EarlierDecision[] {
  return (stale.answers ?? []).slice(0, MAX_EARLIER_DECISIONS);
}

/**
 * Where publish-alert stores approval requests, and what it reads of the guard's grant: its
 * approval deadline, so that the alert says when answers stop being taken as the approval
 * function holds them (`approvalDeadlineOf`).
 */
export interface ApprovalRequests {
  /** Stores a new request unless the execution has one; then what that one holds (its token, whether it is answered). */
  putRequest(request: PendingApproval): Promise<'stored' | { readonly existing: StoredRequestHead }>;
  /**
   * Replaces the execution's request only while it still holds `staleToken` and no decision (with
   * `answered`: a decision, an earlier execution's under the same ARN); `changed` otherwise.
   */
  replaceRequest(request: PendingApproval, staleToken: string, answered?: boolean): Promise<'replaced' | 'changed'>;
  /** The timeout path the guard's grant of the execution names; undefined when there is no grant. */
  timeoutPathOf(executionArn: string): Promise<ApprovalTimeoutPath | undefined>;
}

/** What a release's clearance reads of approval records (lib/responders/release-clearance.ts). */
export interface ApprovalRecords {
  get(executionArn: string): Promise<PendingApproval | undefined>;
}

/**
 * What the guard's grant of a waiting execution (`grant#<executionArn>`, ContainmentGrant) says of
 * the wait's end: when its approval deadline is, and what the playbook does then. The grant is
 * written before the wait starts, so its deadline comes before Step Functions' own timeout of the
 * wait, and it is the deadline the steps that change resources hold answers to
 * (lib/responders/grants.ts `evaluateGrant`): the approval function refuses answers from then on.
 */
export interface ApprovalTimeoutPath {
  readonly approvalDeadline?: string;
  readonly onTimeout?: 'contain' | 'evidence-only';
}

/** When a request stops taking answers, and what the playbook does then (when the guard's grant says). */
export interface AnswerDeadline {
  readonly at: string;
  readonly onTimeout?: ApprovalTimeoutPath['onTimeout'];
}

/**
 * The deadline answers to a request are held to (pure): the guard's approval deadline when its
 * grant names one, the instant the steps that change resources stop counting answers (grants.ts
 * `evaluateGrant`), and never later than requestedAt + the request's timeout. The guard writes its
 * grant before the wait starts, so its deadline comes before Step Functions' own timeout of the
 * wait (earlier by the steps between the guard and the wait). The approval function refuses answers
 * from it on, and publish-alert's alert says it: one computation, so they never disagree.
 * Undefined when neither can be read.
 */
export function approvalDeadlineOf(request: Pick<PendingApproval, 'requestedAt' | 'timeoutSeconds'>, path: ApprovalTimeoutPath | undefined): AnswerDeadline | undefined {
  const requested = Date.parse(request.requestedAt) + request.timeoutSeconds * 1000;
  const granted = path?.approvalDeadline !== undefined ? Date.parse(path.approvalDeadline) : Number.NaN;
  // A request without a readable requestedAt or timeout was not stored by publish-alert: no deadline (fail closed).
  const at = Number.isFinite(granted) && granted < requested ? granted : requested;
  if (!Number.isFinite(at)) return undefined;
  return { at: new Date(at).toISOString(), ...(path?.onTimeout !== undefined ? { onTimeout: path.onTimeout } : {}) };
}

/** What the approval function needs: a request's record, the one decision, and the timeout path it is held to. */
export interface ApprovalAnswers extends ApprovalRecords {
  /** The timeout path the guard's grant of the execution names; undefined when there is no grant. */
  timeoutPathOf(executionArn: string): Promise<ApprovalTimeoutPath | undefined>;
  /**
   * Records the decision unless one is recorded already (`already-decided` then), and only while the
   * request still holds `taskToken`, the token the answer was checked with and will send
   * (`request-changed` otherwise: publish-alert stored the request again meanwhile, for a new
   * attempt of its approval step, or it is gone).
   */
  decide(executionArn: string, decision: ApprovalDecision, taskToken: string): Promise<DecideOutcome>;
  /**
   * Removes the decision taken at `decidedAt` while no send of it is recorded (`kept` otherwise): a
   * first answer Step Functions did not take (its task no longer waited when it was sent) must not
   * stay on record as if it counted.
   */
  withdraw(executionArn: string, decidedAt: string): Promise<'withdrawn' | 'kept'>;
  /** Records that the send of the decision taken at `decidedAt` returned, unless that is recorded already (`already-marked` then). */
  markSent(executionArn: string, decidedAt: string, sentAt: string): Promise<'marked' | 'already-marked'>;
}

/** Where approval records live. */
export interface ApprovalStore extends ApprovalRequests, ApprovalAnswers {}

const s = (value: string): AttributeValue => ({ S: value });

function itemOf(request: PendingApproval): Record<string, AttributeValue> {
  return {
    pk: s(approvalRecordKey(request.executionArn)),
    executionArn: s(request.executionArn),
    incidentKey: s(request.incidentKey),
    requestedAt: s(request.requestedAt),
    taskToken: s(request.taskToken),
    playbook: s(request.playbook),
    account: s(request.account),
    region: s(request.region),
    ...(request.instanceId !== undefined ? { instanceId: s(request.instanceId) } : {}),
    waitingSteps: { L: request.waitingSteps.map(s) },
    timeoutSeconds: { N: String(request.timeoutSeconds) },
    // Only when there is something to say: publish-alert stores none for most requests.
    ...(request.notes?.length ? { notes: { L: request.notes.map(s) } } : {}),
    ...(request.earlierDecisions?.length ? { earlierDecisions: { L: request.earlierDecisions.slice(0, MAX_EARLIER_DECISIONS).map((answer) => ({ M: answerItemOf(answer) })) } } : {}),
  };
}

/** The text members of a kept answer, written and read back alike. */
const ANSWER_TEXTS = ['requestedAt', 'incidentKey', 'playbook', 'decidedBy', 'decidedAt', 'reason', 'sentAt'] as const;

function answerItemOf(answer: EarlierDecision): Record<string, AttributeValue> {
  return {
    ...Object.fromEntries(ANSWER_TEXTS.flatMap((name) => (answer[name] !== undefined ? [[name, s(answer[name])]] : []))),
    ...(answer.waitingSteps !== undefined ? { waitingSteps: { L: answer.waitingSteps.map(s) } } : {}),
    decision: s(answer.decision),
  };
}

/**
 * The answer an item (or a kept entry) records, bounded; undefined when it records none, or one that
 * is neither approved nor rejected (written by hand: never shown as an answer).
 */
function answerOf(item: Record<string, AttributeValue>): EarlierDecision | undefined {
  const decision = text(item, 'decision');
  if (decision !== 'approved' && decision !== 'rejected') return undefined;
  return {
    ...Object.fromEntries(
      ANSWER_TEXTS.flatMap((name) => {
        const value = text(item, name);
        return value !== undefined ? [[name, value.slice(0, MAX_KEPT_TEXT)]] : [];
      }),
    ),
    ...(item.waitingSteps?.L !== undefined ? { waitingSteps: texts(item.waitingSteps).slice(0, MAX_KEPT_STEPS).map((step) => step.slice(0, MAX_KEPT_STEP)) } : {}),
    decision,
  };
}

/** The answers an item holds: its own first, then the earlier ones it keeps (entries that are not answers dropped). */
function answersOf(item: Record<string, AttributeValue>): EarlierDecision[] {
  const own = answerOf(item);
  const kept = (item.earlierDecisions?.L ?? []).flatMap((entry) => {
    const answer = entry.M !== undefined ? answerOf(entry.M) : undefined;
    return answer !== undefined ? [answer] : [];
  });
  return [...(own !== undefined ? [own] : []), ...kept];
}

function text(item: Record<string, AttributeValue>, name: string): string | undefined {
  return item[name]?.S;
}

/**
 * The attributes of the shared ApprovalRecord: what the grant check of quarantine and release reads
 * (a GetItem projected on these never returns the task token, which only the approval function reads).
 */
export const APPROVAL_RECORD_ATTRIBUTES = ['pk', 'executionArn', 'incidentKey', 'requestedAt', 'decision', 'decidedBy', 'decidedAt', 'reason'] as const;

/** Readers of one item's attributes; a missing required one is a ResponderFailedError (fail closed). */
function attributesOf(item: Record<string, AttributeValue>) {
  const required = (name: string) => {
    const value = text(item, name);
    if (value === undefined) throw new ResponderFailedError(`Approval record ${text(item, 'pk') ?? '?'} has no ${name}`);
    return value;
  };
  const optional = <N extends string>(name: N): { [K in N]?: string } => {
    const value = text(item, name);
    return (value !== undefined ? { [name]: value } : {}) as { [K in N]?: string };
  };
  return { required, optional };
}

/**
 * An approval item back into the shared record (ApprovalRecord); throws ResponderFailedError on an
 * item that is not one. The grant check needs only the key, the incident and the decision: the
 * execution is the key's, and the request time may be absent.
 */
export function approvalRecordOf(item: Record<string, AttributeValue>): ApprovalRecord {
  const { required, optional } = attributesOf(item);
  const decision = text(item, 'decision');
  if (decision !== undefined && decision !== 'approved' && decision !== 'rejected') {
    throw new ResponderFailedError(`Approval record ${required('pk')} has an unknown decision ${JSON.stringify(decision)}`);
  }
  return {
    pk: required('pk'),
    executionArn: text(item, 'executionArn') ?? required('pk').slice(STATE_KEY_PREFIX.approval.length),
    incidentKey: required('incidentKey'),
    requestedAt: text(item, 'requestedAt') ?? '',
    ...(decision !== undefined ? { decision } : {}),
    ...optional('decidedBy'),
    ...optional('decidedAt'),
    ...optional('reason'),
  };
}

/** The strings of a list attribute (others dropped). */
function texts(list: AttributeValue | undefined): string[] {
  return (list?.L ?? []).flatMap((entry) => (entry.S !== undefined ? [entry.S] : []));
}

/** A stored request: the shared record plus what the approval function needs (the task token among it). */
function recordOf(item: Record<string, AttributeValue>): PendingApproval {
  const { required, optional } = attributesOf(item);
  return {
    ...approvalRecordOf(item),
    executionArn: required('executionArn'),
    requestedAt: required('requestedAt'),
    taskToken: required('taskToken'),
    playbook: required('playbook'),
    account: required('account'),
    region: required('region'),
    waitingSteps: texts(item.waitingSteps),
    timeoutSeconds: Number(item.timeoutSeconds?.N ?? '0'),
    ...optional('instanceId'),
    ...optional('sentAt'),
    notes: item.notes && texts(item.notes),
    ...(item.earlierDecisions !== undefined ? { earlierDecisions: answersOf({ earlierDecisions: item.earlierDecisions }) } : {}),
  };
}

/** The state table approval records live in; a missing name fails the call that needs it. */
abstract class ApprovalTable {
  constructor(
    protected readonly client: DynamoDBClient,
    protected readonly tableName: string,
  ) {}

  protected table(): string {
    if (!this.tableName) throw new ResponderFailedError('No state table configured: set FIREBREAK_STATE_TABLE to the DynamoDB table name');
    return this.tableName;
  }
}

/** The head of a stored request (a conditional put's ALL_OLD item); a malformed one fails closed. */
function headOf(item: Record<string, AttributeValue> | undefined, executionArn: string): StoredRequestHead {
  const taskToken = item === undefined ? undefined : text(item, 'taskToken');
  if (taskToken === undefined) throw new ResponderFailedError(`The approval request of ${executionArn} exists but its task token cannot be read back`);
  const requestedAt = text(item!, 'requestedAt');
  const timeoutSeconds = item?.timeoutSeconds?.N !== undefined ? Number(item.timeoutSeconds.N) : undefined;
  const answers = answersOf(item!);
  return {
    taskToken,
    decided: item?.decision !== undefined,
    ...(requestedAt !== undefined ? { requestedAt } : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    ...(answers.length > 0 ? { answers } : {}),
  };
}

/** Stores a request once; `table` is read inside the call, so a missing table fails as the PutItem it stops. */
async function putApprovalRequest(client: DynamoDBClient, table: () => string, request: PendingApproval): Promise<'stored' | { readonly existing: StoredRequestHead }> {
  try {
    await client.send(
      new PutItemCommand({
        TableName: table(),
        Item: itemOf(request),
        // Never overwrites a request: neither a retried alert nor anyone else can swap the token or
        // erase a decision this way. The one in place comes back with the refusal (no GetItem
        // needed), so publish-alert can check whether its token still waits.
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return 'stored';
  } catch (error) {
    if (awsErrorCode(error) === 'ConditionalCheckFailedException') {
      return { existing: headOf(itemOfConditionFailure(error), request.executionArn) };
    }
    throw toResponderError(error, 'dynamodb:PutItem');
  }
}

/**
 * Replaces a request whose token no longer waits, only while it still holds that token and no
 * decision; `answered`: only while it holds that token and a decision (an earlier execution's
 * answered request under the same ARN, which publish-alert found so).
 */
async function replaceApprovalRequest(client: DynamoDBClient, table: () => string, request: PendingApproval, staleToken: string, answered = false): Promise<'replaced' | 'changed'> {
  try {
    await client.send(
      new PutItemCommand({
        TableName: table(),
        Item: itemOf(request),
        ConditionExpression: answered ? 'taskToken = :staleToken AND attribute_exists(decision)' : 'taskToken = :staleToken AND attribute_not_exists(decision)',
        ExpressionAttributeValues: { ':staleToken': s(staleToken) },
      }),
    );
    return 'replaced';
  } catch (error) {
    if (awsErrorCode(error) === 'ConditionalCheckFailedException') return 'changed';
    throw toResponderError(error, 'dynamodb:PutItem');
  }
}

/*
 * One adapter per kind of caller, so that each Lambda bundles only the calls it makes
 * (docs/architecture.md, "Lean Lambda bundles"): publish-alert stores requests, a release's
 * clearance reads them, the approval function reads them and records the decision; the local game
 * day and the operator's commands take the whole store.
 */

/** publish-alert's adapter: it stores requests, and reads the guard's approval deadline for the alert. */
export class DynamoDbApprovalRequests extends ApprovalTable implements ApprovalRequests {
  putRequest(request: PendingApproval): Promise<'stored' | { readonly existing: StoredRequestHead }> {
    return putApprovalRequest(this.client, () => this.table(), request);
  }

  replaceRequest(request: PendingApproval, staleToken: string, answered = false): Promise<'replaced' | 'changed'> {
    return replaceApprovalRequest(this.client, () => this.table(), request, staleToken, answered);
  }

  timeoutPathOf(executionArn: string): Promise<ApprovalTimeoutPath | undefined> {
    return readTimeoutPath(this.client, () => this.table(), executionArn);
  }
}

/** A release's adapter: it only reads a request and its decision. */
export class DynamoDbApprovalRecords extends ApprovalTable implements ApprovalRecords {
  async get(executionArn: string): Promise<PendingApproval | undefined> {
    let item;
    try {
      ({ Item: item } = await this.client.send(
        new GetItemCommand({ TableName: this.table(), Key: { pk: s(approvalRecordKey(executionArn)) }, ConsistentRead: true }),
      ));
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
    return item ? recordOf(item) : undefined;
  }
}

/** The grant attributes the approval function and publish-alert read (their roles may GetItem `grant#*` and nothing else of grants). */
const TIMEOUT_PATH_ATTRIBUTES = ['approvalDeadline', 'onTimeout'] as const;

/** The guard's grant of an execution, its approval deadline and onTimeout only: one consistent GetItem of `grant#<executionArn>`. */
async function readTimeoutPath(client: DynamoDBClient, table: () => string, executionArn: string): Promise<ApprovalTimeoutPath | undefined> {
  let item;
  try {
    ({ Item: item } = await client.send(
      new GetItemCommand({
        TableName: table(),
        Key: { pk: s(`${STATE_KEY_PREFIX.grant}${executionArn}`) },
        ConsistentRead: true,
        ProjectionExpression: TIMEOUT_PATH_ATTRIBUTES.map((_, index) => `#a${index}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(TIMEOUT_PATH_ATTRIBUTES.map((name, index) => [`#a${index}`, name])),
      }),
    ));
  } catch (error) {
    throw toResponderError(error, 'dynamodb:GetItem');
  }
  if (!item) return undefined;
  const onTimeout = text(item, 'onTimeout');
  const approvalDeadline = text(item, 'approvalDeadline');
  return {
    ...(approvalDeadline !== undefined ? { approvalDeadline } : {}),
    // Anything else is not read as either path.
    ...(onTimeout === 'contain' || onTimeout === 'evidence-only' ? { onTimeout } : {}),
  };
}

/** The approval function's adapter: a request's record, the one decision and the grant's timeout path. */
export class DynamoDbApprovalAnswers extends DynamoDbApprovalRecords implements ApprovalAnswers {
  timeoutPathOf(executionArn: string): Promise<ApprovalTimeoutPath | undefined> {
    return readTimeoutPath(this.client, () => this.table(), executionArn);
  }

  async decide(executionArn: string, decision: ApprovalDecision, taskToken: string): Promise<DecideOutcome> {
    const reason = decision.reason;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table(),
          Key: { pk: s(approvalRecordKey(executionArn)) },
          UpdateExpression: `SET decision = :decision, decidedBy = :decidedBy, decidedAt = :decidedAt${reason !== undefined ? ', reason = :reason' : ''}`,
          // One answer only, only to a request publish-alert stored, and only to the request the
          // answer was checked against: publish-alert replaces a request whose token no longer waits
          // (a new attempt of the approval step), and a decision recorded on the new request while
          // the old token is sent would leave the new task waiting, its request answered.
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(decision) AND taskToken = :taskToken',
          ExpressionAttributeValues: {
            ':decision': s(decision.decision),
            ':decidedBy': s(decision.decidedBy),
            ':decidedAt': s(decision.decidedAt),
            ...(reason !== undefined ? { ':reason': s(reason) } : {}),
            ':taskToken': s(taskToken),
          },
          // Which condition failed: a decision in place, or another request (never logged: it holds a token).
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'recorded';
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') {
        return itemOfConditionFailure(error)?.decision !== undefined ? 'already-decided' : 'request-changed';
      }
      throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }

  async withdraw(executionArn: string, decidedAt: string): Promise<'withdrawn' | 'kept'> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table(),
          Key: { pk: s(approvalRecordKey(executionArn)) },
          UpdateExpression: 'REMOVE decision, decidedBy, decidedAt, reason',
          // Only that decision, and only while no send of it returned (a concurrent resend may have delivered it).
          ConditionExpression: 'decidedAt = :decidedAt AND attribute_not_exists(sentAt)',
          ExpressionAttributeValues: { ':decidedAt': s(decidedAt) },
        }),
      );
      return 'withdrawn';
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return 'kept';
      throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }

  async markSent(executionArn: string, decidedAt: string, sentAt: string): Promise<'marked' | 'already-marked'> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table(),
          Key: { pk: s(approvalRecordKey(executionArn)) },
          UpdateExpression: 'SET sentAt = :sentAt',
          // Only the decision that was sent, and only the first send that returned.
          ConditionExpression: 'decidedAt = :decidedAt AND attribute_not_exists(sentAt)',
          ExpressionAttributeValues: { ':sentAt': s(sentAt), ':decidedAt': s(decidedAt) },
        }),
      );
      return 'marked';
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return 'already-marked';
      throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }
}

/** The whole state-table adapter: requests, their reading and the one decision. */
export class DynamoDbApprovalStore extends DynamoDbApprovalAnswers implements ApprovalStore {
  putRequest(request: PendingApproval): Promise<'stored' | { readonly existing: StoredRequestHead }> {
    return putApprovalRequest(this.client, () => this.table(), request);
  }

  replaceRequest(request: PendingApproval, staleToken: string, answered = false): Promise<'replaced' | 'changed'> {
    return replaceApprovalRequest(this.client, () => this.table(), request, staleToken, answered);
  }
}

/** A stored request's own answer, as a replacement keeps it. */
function inMemoryAnswerOf(record: PendingApproval, decision: EarlierDecision['decision']): EarlierDecision {
  const { requestedAt, incidentKey, playbook, waitingSteps, decidedBy, decidedAt, reason, sentAt } = record;
  return Object.fromEntries(
    Object.entries({ requestedAt, incidentKey, playbook, waitingSteps, decision, decidedBy, decidedAt, reason, sentAt }).filter(([, value]) => value !== undefined),
  ) as unknown as EarlierDecision;
}

/** In-process store with the same semantics (tests). */
export class InMemoryApprovalStore implements ApprovalStore {
  readonly records = new Map<string, PendingApproval>();
  /** The guards' grants as far as the approval function reads them, by execution. */
  readonly timeoutPaths = new Map<string, ApprovalTimeoutPath>();

  async timeoutPathOf(executionArn: string): Promise<ApprovalTimeoutPath | undefined> {
    return this.timeoutPaths.get(executionArn);
  }

  async putRequest(request: PendingApproval): Promise<'stored' | { readonly existing: StoredRequestHead }> {
    const existing = this.records.get(request.executionArn);
    if (existing) {
      const own: EarlierDecision[] = existing.decision !== undefined ? [inMemoryAnswerOf(existing, existing.decision)] : [];
      const answers = [...own, ...(existing.earlierDecisions ?? [])];
      return { existing: { taskToken: existing.taskToken, decided: existing.decision !== undefined, requestedAt: existing.requestedAt, timeoutSeconds: existing.timeoutSeconds, ...(answers.length > 0 ? { answers } : {}) } };
    }
    this.records.set(request.executionArn, structuredClone({ ...request, pk: approvalRecordKey(request.executionArn) }));
    return 'stored';
  }

  async replaceRequest(request: PendingApproval, staleToken: string, answered = false): Promise<'replaced' | 'changed'> {
    const existing = this.records.get(request.executionArn);
    if (!existing || existing.taskToken !== staleToken || (existing.decision !== undefined) !== answered) return 'changed';
    this.records.set(request.executionArn, structuredClone({ ...request, pk: approvalRecordKey(request.executionArn) }));
    return 'replaced';
  }

  async get(executionArn: string): Promise<PendingApproval | undefined> {
    const record = this.records.get(executionArn);
    return record ? structuredClone(record) : undefined;
  }

  async decide(executionArn: string, decision: ApprovalDecision, taskToken: string): Promise<DecideOutcome> {
    const record = this.records.get(executionArn);
    if (record?.decision !== undefined) return 'already-decided';
    if (!record || record.taskToken !== taskToken) return 'request-changed';
    this.records.set(executionArn, { ...record, ...decision });
    return 'recorded';
  }

  async withdraw(executionArn: string, decidedAt: string): Promise<'withdrawn' | 'kept'> {
    const record = this.records.get(executionArn);
    if (!record || record.decidedAt !== decidedAt || record.sentAt !== undefined) return 'kept';
    const { decision: _decision, decidedBy: _decidedBy, decidedAt: _decidedAt, reason: _reason, ...request } = record;
    this.records.set(executionArn, request);
    return 'withdrawn';
  }

  async markSent(executionArn: string, decidedAt: string, sentAt: string): Promise<'marked' | 'already-marked'> {
    const record = this.records.get(executionArn);
    if (!record || record.decidedAt !== decidedAt || record.sentAt !== undefined) return 'already-marked';
    this.records.set(executionArn, { ...record, sentAt });
    return 'marked';
  }
}
