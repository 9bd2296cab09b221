/**
 * publish-alert (communication): publishes the alert that `alert-message.ts` builds to the alert
 * topic, in BOTH modes: a dry-run alert is how people see what enforce mode would have done.
 *
 * Not deduplicated: SNS standard topics have no deduplication, and a duplicate alert after a retried
 * step is better than a lost one. Step Functions Standard runs each step once unless it is retried.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import type { SnsClients } from '../aws/clients/sns';
import { awsErrorCode, toResponderError } from '../aws/errors';
import { ActionLog } from './action-log';
import type { DeploymentEnvironment } from './effective-mode';
import { effectiveMode } from './effective-mode';
import type { AlertInput, AlertMessage } from './alert-message';
import { alertInputSchema, buildAlertMessage } from './alert-message';
import { structuredMessage } from './alert-protocols';
import { approvalOutcomeLines } from './alert-response';
import { toSnsSubject } from './alert-text';
import { ResponderFailedError, ResponderInputError } from '../contracts/responder-errors';
import type { HandlerDeps, Responder, ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import type { ApprovalRequests } from './approval-records';
import type { ApprovalRequestExecutions } from './approval-request';
import { approvalStateMachinesFromEnv, storeVerifiedApprovalRequest } from './approval-request';
import { SECURITY_ENV } from '../contracts/security';
import { FirebreakError } from '../contracts/errors';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { AlertOrigin, AlertOrigins } from './alert-origin';
import { verifyAlertOrigin } from './alert-origin';

export const ALERT_RESPONDER_NAME = RESPONDER_NAMES.publishAlert;

/** The incident key an alert without an incident (an unparseable event, a dispatch failure) is logged under. */
export const NO_INCIDENT_KEY = 'no-incident';

export type AlertStatus = 'published' | 'dry-run-published';

export interface AlertResult extends ResponderResult<AlertStatus> {
  readonly messageId: string;
  readonly subject: string;
  /**
   * Whether Step Functions confirms a Firebreak execution sent the alert (lib/responders/alert-origin.ts):
   * `verified`, `unverified` (published marked, with why in the actions), or `dispatcher` (an alert of
   * the Express dispatcher, which cannot be verified and claims no action). Absent when not checked.
   */
  readonly origin?: AlertOrigin['status'];
  /** The backup channel (docs/communication.md): why this alert went there too, and whether it got there. */
  readonly backup?: { readonly reason: string; readonly status: 'published' | 'failed'; readonly messageId?: string };
}

export interface AlertDeps {
  /** SNS in the security account. */
  readonly clients: SnsClients;
  readonly logger: IncidentLogger;
  /** The alert topic (security account). */
  readonly topicArn: string;
  /**
   * The backup channel (the operations topic, its own key): every Critical incident, every failure
   * and unreadable event, and any alert the alert topic refused go there too. @default none (no backup)
   */
  readonly backupTopicArn?: string;
  /** Where approval requests keep their task token (approval#<executionArn>). Required for approval-request alerts. */
  readonly approvals?: ApprovalRequests;
  /**
   * Step Functions, to verify an approval request before it is stored (DescribeExecution,
   * GetExecutionHistory, SendTaskHeartbeat: lib/responders/approval-request.ts). Required for approval-request alerts.
   */
  readonly approvalExecutions?: ApprovalRequestExecutions;
  /**
   * Step Functions, to verify that the playbook execution an alert names sent it (GetExecutionHistory:
   * lib/responders/alert-origin.ts). Every handler has it (AlertHandlerDeps); @default none: the
   * alert is not checked (publishAlert called directly, as the message tests do).
   */
  readonly origins?: AlertOrigins;
  /** The deployment's environment (FIREBREAK_MODE; FIREBREAK_APPROVAL_STATE_MACHINES, the playbooks that may ask for approval): an alert never claims enforce for a dry-run deployment. @default process.env */
  readonly environment?: DeploymentEnvironment;
  readonly now?: () => Date;
}

/** Classifies an SNS Publish error for the state machine's Retry/Catch (SNS's codes are in aws/errors.ts). */
export function toAlertError(error: unknown): Error {
  return toResponderError(error, 'sns:Publish');
}

/** Validates a raw publish-alert payload; throws `ResponderInputError` naming each offending field. */
export function parseAlertInput(raw: unknown): AlertInput {
  const parsed = alertInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((issue) => `${['input', ...issue.path.map(String)].join('.')}: ${issue.message}`)
      .join('; ');
    throw new ResponderInputError(`Invalid alert input: ${issues}`, { cause: parsed.error });
  }
  return parsed.data;
}

/**
 * The SNS Publish input for an alert (exported so tests and the game-day simulator can agree on it):
 * one message per protocol (`MessageStructure: 'json'`, lib/responders/alert-protocols.ts).
 */
export function publishInput(topicArn: string, alert: AlertMessage, input: AlertInput): {
  TopicArn: string;
  Subject: string;
  Message: string;
  MessageStructure: 'json';
  MessageAttributes: Record<string, { DataType: string; StringValue: string }>;
} {
  return {
    TopicArn: topicArn,
    Subject: alert.subject,
    Message: structuredMessage(input, alert),
    MessageStructure: 'json',
    MessageAttributes: Object.fromEntries(
      Object.entries(alert.attributes).map(([name, a]) => [name, { DataType: a.DataType, StringValue: a.StringValue }]),
    ),
  };
}

/**
 * Publishes the alert for an incident, a failure, an unparseable event or an approval request.
 * `received` is the event exactly as the function received it (before parsing): with `deps.origins`,
 * the alert is verified against the history of the execution it names, and published marked
 * `[UNVERIFIED]` (and to the backup channel) when Step Functions does not confirm it.
 */
export async function publishAlert(claimed: AlertInput, deps: AlertDeps, received: unknown = claimed): Promise<AlertResult> {
  // The mode the alert shows is the one the responders ran in: the deployment's ceiling applied.
  const shownMode = claimed.mode === undefined ? undefined : effectiveMode(claimed.mode, deps.environment ?? process.env).mode;
  const input: AlertInput = shownMode === claimed.mode ? claimed : { ...claimed, mode: shownMode };
  const now = deps.now ?? (() => new Date());
  const log = new ActionLog(now);
  const incidentKey = input.incident?.key ?? NO_INCIDENT_KEY;
  // Verified against the input as claimed (the mode shown is not what the execution sent), once: an
  // approval request asks during its checks, before it is stored (row 5o), any other alert here.
  let checking: Promise<AlertOrigin | undefined> | undefined;
  const verifiedOrigin = (): Promise<AlertOrigin | undefined> =>
    (checking ??= deps.origins === undefined ? Promise.resolve(undefined) : verifyAlertOrigin(claimed, received, { origins: deps.origins, environment: deps.environment ?? process.env }));
  const sentAsReceived = async (): Promise<string | undefined> => {
    const checked = await verifiedOrigin();
    return checked === undefined || checked.status === 'verified' ? undefined : checked.status === 'unverified' ? checked.why : 'the dispatcher never asks for approval';
  };
  const approvalDeadline = input.kind === 'approval-request' ? await storeApprovalRequest(input, deps, now(), log, sentAsReceived) : undefined;
  const origin = await verifiedOrigin();
  if (origin !== undefined) recordOrigin(origin, log, deps.logger);
  const alert = buildAlertMessage(input, {
    now: now(),
    ...(origin?.status === 'unverified' ? { unverified: origin.why } : {}),
    ...(approvalDeadline !== undefined
      ? {
          approvalDeadline: approvalDeadline.at,
          ...(approvalDeadline.latestOnly ? { approvalDeadlineLatestOnly: true } : {}),
          ...(approvalDeadline.onTimeout !== undefined ? { approvalOnTimeout: approvalDeadline.onTimeout } : {}),
        }
      : {}),
  });

  let messageId: string;
  try {
    const output = await deps.clients.sns().send(new PublishCommand(publishInput(deps.topicArn, alert, input)));
    messageId = output.MessageId ?? '';
  } catch (error) {
    deps.logger.error('alert not published', { kind: input.kind, errorCode: awsErrorCode(error) });
    // The alerting path itself failed: the backup channel hears of it before the step fails (and
    // again on each retry: a duplicate there is better than silence).
    const failed: AlertMessage = { ...alert, subject: toSnsSubject(`[ALERT CHANNEL FAILED] ${alert.subject}`) };
    await publishToBackup(input, failed, deps, log, `the alert topic refused the alert (${awsErrorCode(error) ?? 'unknown error'})`);
    throw toAlertError(error);
  }

  const dryRun = input.mode === 'dry-run';
  log.record('sns:Publish', deps.topicArn, 'done', `Published the ${dryRun ? 'dry-run ' : ''}${input.kind} alert "${alert.subject}" (message ${messageId}).`);
  deps.logger.info('alert published', { kind: input.kind, messageId, subject: alert.subject, bytes: Buffer.byteLength(alert.message, 'utf8') });
  const reason = origin?.status === 'unverified' ? UNVERIFIED_BACKUP_REASON : backupReason(input);
  const backup = reason === undefined ? undefined : await publishToBackup(input, alert, deps, log, reason);
  return {
    responder: ALERT_RESPONDER_NAME,
    incidentKey,
    mode: input.mode ?? 'enforce',
    status: dryRun ? 'dry-run-published' : 'published',
    idempotentReplay: false,
    actions: log.actions,
    messageId,
    subject: alert.subject,
    ...(origin !== undefined ? { origin: origin.status } : {}),
    ...(backup !== undefined ? { backup } : {}),
  };
}

/** Why an unverified alert goes to the backup channel too. */
export const UNVERIFIED_BACKUP_REASON = 'Step Functions does not confirm that a Firebreak execution sent this alert';

/** The check of the alert's origin, in the result's actions (states:GetExecutionHistory, or why it was not read). */
function recordOrigin(origin: AlertOrigin, log: ActionLog, logger: IncidentLogger): void {
  if (origin.status === 'verified') {
    log.record('states:GetExecutionHistory', origin.executionArn, 'observed', 'Verified: the running execution\'s own history shows the task that invoked publish-alert with exactly this alert.');
  } else if (origin.status === 'dispatcher') {
    log.record('states:GetExecutionHistory', 'dispatcher', 'skipped', 'Not verifiable: an alert of the dispatcher (an Express execution, whose history GetExecutionHistory does not serve); it claims no step result and no approval.');
  } else {
    logger.warn('alert not verified', { why: origin.why });
    log.record('states:GetExecutionHistory', origin.executionArn ?? 'no execution', origin.historyRead ? 'observed' : 'skipped', `Not verified, published marked [UNVERIFIED]: ${origin.why}.`);
  }
}

/**
 * Why an alert also goes to the backup channel, or undefined when the alert topic is enough. A
 * group's summary after a failed branch is not a failure of its own: the failed step's own failure
 * alert, just before it, went there already, so the backup hears of each failure once (and of the
 * summary only when the incident is Critical, or the alert topic refuses it).
 */
export function backupReason(input: AlertInput): string | undefined {
  if (input.kind === 'failure' && input.group === undefined) return 'a playbook or dispatch step failed';
  if (input.kind === 'invalid-event') return 'an event could not be read';
  if (input.incident?.severity.label === 'Critical') return 'a Critical incident';
  return undefined;
}

/**
 * Publishes to the backup channel, when the deployment has one. Never throws: a backup that fails
 * is logged, recorded in the result (and counted by the response metrics), and the alert topic's
 * outcome stands.
 */
async function publishToBackup(
  input: AlertInput,
  alert: AlertMessage,
  deps: AlertDeps,
  log: ActionLog,
  reason: string,
): Promise<AlertResult['backup']> {
  if (deps.backupTopicArn === undefined) return undefined;
  try {
    const output = await deps.clients.sns().send(new PublishCommand(publishInput(deps.backupTopicArn, alert, input)));
    const messageId = output.MessageId ?? '';
    log.record('sns:Publish', deps.backupTopicArn, 'done', `Published the alert to the backup channel too: ${reason} (message ${messageId}).`);
    return { reason, status: 'published', messageId };
  } catch (error) {
    const code = awsErrorCode(error) ?? 'unknown error';
    deps.logger.error('alert not published to the backup channel', { kind: input.kind, errorCode: code });
    log.record('sns:Publish', deps.backupTopicArn, 'skipped', `The backup channel refused the alert (${code}); ${reason}.`);
    return { reason, status: 'failed' };
  }
}

/** When a request stops taking answers, as its alert gives it; `latestOnly`: the guard's grant could not be read, so it may be earlier. */
interface AlertApprovalDeadline {
  readonly at: string;
  readonly latestOnly: boolean;
  /** What the playbook does when nobody answers, as the guard's grant says (row 10i). */
  readonly onTimeout?: 'contain' | 'evidence-only';
}

/**
 * Keeps the task token out of the alert: the request, with its token, goes to approval#<executionArn>,
 * where only the approval function reads it. Verified against Step Functions first (the execution
 * runs, is a guarded playbook's, runs this incident; the token waits: lib/responders/approval-request.ts),
 * and stored before the alert goes out, so nobody can answer a request that is not there. Returns
 * when the request stops taking answers, as the approval function holds them (the alert says it).
 */
async function storeApprovalRequest(input: AlertInput, deps: AlertDeps, at: Date, log: ActionLog, sentAsReceived: () => Promise<string | undefined>): Promise<AlertApprovalDeadline | undefined> {
  const executionArn = input.execution?.executionArn;
  const approval = input.approval;
  const incident = input.incident;
  if (!deps.approvals) throw new ResponderFailedError('No approval store configured: publish-alert cannot keep the task token of an approval request');
  if (!deps.approvalExecutions) throw new ResponderFailedError('No Step Functions client configured: publish-alert cannot verify an approval request');
  if (executionArn === undefined || approval === undefined || incident === undefined) {
    throw new ResponderInputError('An approval request needs the execution ARN, the approval and the incident');
  }
  const resource = incident.resource;
  const { outcome, deadline, grantUnread } = await storeVerifiedApprovalRequest(
    {
      executionArn,
      taskToken: approval.taskToken,
      incident: { key: incident.key, account: incident.account, region: incident.region, ...(resource.kind === 'ec2-instance' ? { instanceId: resource.instanceId } : {}) },
      waitingSteps: approval.waitingSteps,
      timeoutSeconds: approval.timeoutSeconds,
      // What the alert says approving will and will not do, for `firebreak approve` to show too.
      notes: approvalOutcomeLines(input),
    },
    {
      store: deps.approvals,
      executions: deps.approvalExecutions,
      stateMachineArns: approvalStateMachinesFromEnv(deps.environment ?? process.env),
      stackName: (deps.environment ?? process.env)[SECURITY_ENV.stackName],
      sentAsReceived,
    },
    at,
  );
  const details: Record<typeof outcome, string> = {
    stored: 'Stored the approval request, verified with Step Functions (its task token stays in the state table; only the approval function reads it)',
    exists: 'The approval request of this execution was stored already with the same task token (a retried alert); kept the first',
    replaced: 'Replaced a stored approval request whose task token this execution never scheduled (a planted request) or no longer waits (an earlier attempt of this task) with the verified one',
  };
  log.record('dynamodb:PutItem', executionArn, outcome === 'exists' ? 'already-done' : 'done', details[outcome]);
  if (grantUnread !== undefined) {
    deps.logger.warn('approval deadline not read from the grant', { executionArn, why: grantUnread });
    log.record('dynamodb:GetItem', `grant#${executionArn}`, 'skipped', `The guard's grant could not be read (${grantUnread}): the alert gives the request's latest deadline and says the enforced one may be earlier.`);
  }
  return deadline === undefined ? undefined : { at: deadline.at, latestOnly: grantUnread !== undefined, ...(deadline.onTimeout !== undefined ? { onTimeout: deadline.onTimeout } : {}) };
}

/** The publish-alert function was deployed without a usable ALERT_TOPIC_ARN. */
export class AlertTopicNotConfiguredError extends FirebreakError {
  override readonly name = 'AlertTopicNotConfiguredError';
}

/** The backup topic from the Lambda environment (BACKUP_TOPIC_ARN), or undefined when the deployment has none; a malformed one fails at cold start. */
export function backupTopicArnFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const topicArn = env[DEPLOYMENT_ENV.backupTopicArn];
  return topicArn === undefined || topicArn === '' ? undefined : topicArnFromEnv(env, DEPLOYMENT_ENV.backupTopicArn, 'backup topic');
}

/** The topic from the Lambda environment; a function deployed without it fails at cold start, not at the first incident. */
export function alertTopicArnFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return topicArnFromEnv(env, DEPLOYMENT_ENV.alertTopicArn, 'alert topic');
}

function topicArnFromEnv(env: Readonly<Record<string, string | undefined>>, variable: string, what: string): string {
  const topicArn = env[variable];
  if (topicArn === undefined || !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(topicArn)) {
    throw new AlertTopicNotConfiguredError(
      `${variable} must be the ARN of the ${what} (arn:aws:sns:<region>:<account>:<name>); got ${topicArn === undefined ? 'nothing' : JSON.stringify(topicArn)}`,
    );
  }
  return topicArn;
}

/** publish-alert as the responder runtime runs it (lib/responders/runtime.ts); an alert without an incident logs under NO_INCIDENT_KEY. */
export const publishAlertResponder: Responder<AlertInput, AlertDeps, AlertResult> = {
  parse: parseAlertInput,
  incidentKey: (input) => input.incident?.key ?? NO_INCIDENT_KEY,
  run: publishAlert,
};

/** An alert as the handler received it: the parsed input, and the event itself (what its execution's history must show). */
export interface ReceivedAlert {
  readonly input: AlertInput;
  readonly received: unknown;
}

/** publish-alert as its handler runs it: the raw event kept beside the parsed input, for the origin check. */
export const receivedAlertResponder: Responder<ReceivedAlert, AlertDeps, AlertResult> = {
  parse: (event) => ({ input: parseAlertInput(event), received: event }),
  incidentKey: ({ input }) => input.incident?.key ?? NO_INCIDENT_KEY,
  run: ({ input, received }, deps) => publishAlert(input, deps, received),
};

/** What the publish-alert Lambda is built from: always with Step Functions to verify its alerts. */
export type AlertHandlerDeps = HandlerDeps<AlertDeps> & { readonly origins: AlertOrigins };

/** The publish-alert Lambda handler: parse the input, verify where it came from, publish the alert, return the result. */
export const createPublishAlertHandler = (deps: AlertHandlerDeps): ResponderHandler<AlertResult> =>
  createResponderHandler(receivedAlertResponder, deps);
