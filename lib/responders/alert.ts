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
import { ResponderFailedError, ResponderInputError } from '../contracts/responder-errors';
import type { HandlerDeps, Responder, ResponderHandler } from './runtime';
import { createResponderHandler } from './runtime';
import type { IncidentLogger } from './logging';
import type { ResponderResult } from './model';
import type { ApprovalRequests } from './approval-records';
import { FirebreakError } from '../contracts/errors';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { RESPONDER_NAMES } from '../contracts/responders';

export const ALERT_RESPONDER_NAME = RESPONDER_NAMES.publishAlert;

/** The incident key an alert without an incident (an unparseable event, a dispatch failure) is logged under. */
export const NO_INCIDENT_KEY = 'no-incident';

export type AlertStatus = 'published' | 'dry-run-published';

export interface AlertResult extends ResponderResult<AlertStatus> {
  readonly messageId: string;
  readonly subject: string;
}

export interface AlertDeps {
  /** SNS in the security account. */
  readonly clients: SnsClients;
  readonly logger: IncidentLogger;
  /** The alert topic (security account). */
  readonly topicArn: string;
  /** Where approval requests keep their task token (approval#<executionArn>). Required for approval-request alerts. */
  readonly approvals?: ApprovalRequests;
  /** The deployment's environment (FIREBREAK_MODE): an alert never claims enforce for a dry-run deployment. @default process.env */
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

/** The SNS Publish input for an alert (exported so tests and the game-day simulator can agree on it). */
export function publishInput(topicArn: string, alert: AlertMessage): {
  TopicArn: string;
  Subject: string;
  Message: string;
  MessageAttributes: Record<string, { DataType: string; StringValue: string }>;
} {
  return {
    TopicArn: topicArn,
    Subject: alert.subject,
    Message: alert.message,
    MessageAttributes: Object.fromEntries(
      Object.entries(alert.attributes).map(([name, a]) => [name, { DataType: a.DataType, StringValue: a.StringValue }]),
    ),
  };
}

/** Publishes the alert for an incident, a failure, an unparseable event or an approval request. */
export async function publishAlert(claimed: AlertInput, deps: AlertDeps): Promise<AlertResult> {
  // The mode the alert shows is the one the responders ran in: the deployment's ceiling applied.
  const shownMode = claimed.mode === undefined ? undefined : effectiveMode(claimed.mode, deps.environment ?? process.env).mode;
  const input: AlertInput = shownMode === claimed.mode ? claimed : { ...claimed, mode: shownMode };
  const now = deps.now ?? (() => new Date());
  const log = new ActionLog(now);
  const alert = buildAlertMessage(input, { now: now() });
  const incidentKey = input.incident?.key ?? NO_INCIDENT_KEY;
  if (input.kind === 'approval-request') await storeApprovalRequest(input, deps, now(), log);

  let messageId: string;
  try {
    const output = await deps.clients.sns().send(new PublishCommand(publishInput(deps.topicArn, alert)));
    messageId = output.MessageId ?? '';
  } catch (error) {
    deps.logger.error('alert not published', { kind: input.kind, errorCode: awsErrorCode(error) });
    throw toAlertError(error);
  }

  const dryRun = input.mode === 'dry-run';
  log.record('sns:Publish', deps.topicArn, 'done', `Published the ${dryRun ? 'dry-run ' : ''}${input.kind} alert "${alert.subject}" (message ${messageId}).`);
  deps.logger.info('alert published', { kind: input.kind, messageId, subject: alert.subject, bytes: Buffer.byteLength(alert.message, 'utf8') });
  return {
    responder: ALERT_RESPONDER_NAME,
    incidentKey,
    mode: input.mode ?? 'enforce',
    status: dryRun ? 'dry-run-published' : 'published',
    idempotentReplay: false,
    actions: log.actions,
    messageId,
    subject: alert.subject,
  };
}

/**
 * Keeps the task token out of the alert: the request, with its token, goes to approval#<executionArn>
 * (a conditional put: a retried alert keeps the first request), where only the approval function
 * reads it. Stored before the alert goes out, so nobody can answer a request that is not there.
 */
async function storeApprovalRequest(input: AlertInput, deps: AlertDeps, at: Date, log: ActionLog): Promise<void> {
  const executionArn = input.execution?.executionArn;
  const approval = input.approval;
  const incident = input.incident;
  if (!deps.approvals) throw new ResponderFailedError('No approval store configured: publish-alert cannot keep the task token of an approval request');
  if (executionArn === undefined || approval === undefined || incident === undefined) {
    throw new ResponderInputError('An approval request needs the execution ARN, the approval and the incident');
  }
  const resource = incident.resource;
  const stored = await deps.approvals.putRequest({
    pk: '',
    executionArn,
    incidentKey: incident.key,
    requestedAt: at.toISOString(),
    taskToken: approval.taskToken,
    playbook: input.playbook ?? input.execution?.playbook ?? 'unknown',
    account: incident.account,
    region: incident.region,
    ...(resource.kind === 'ec2-instance' ? { instanceId: resource.instanceId } : {}),
    waitingSteps: approval.waitingSteps,
    timeoutSeconds: approval.timeoutSeconds,
  });
  log.record(
    'dynamodb:PutItem',
    executionArn,
    stored === 'stored' ? 'done' : 'already-done',
    stored === 'stored'
      ? 'Stored the approval request (its task token stays in the state table; only the approval function reads it)'
      : 'The approval request of this execution was stored already (a retried alert); kept the first',
  );
}

/** The publish-alert function was deployed without a usable ALERT_TOPIC_ARN. */
export class AlertTopicNotConfiguredError extends FirebreakError {
  override readonly name = 'AlertTopicNotConfiguredError';
}

/** The topic from the Lambda environment; a function deployed without it fails at cold start, not at the first incident. */
export function alertTopicArnFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const topicArn = env[DEPLOYMENT_ENV.alertTopicArn];
  if (topicArn === undefined || !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(topicArn)) {
    throw new AlertTopicNotConfiguredError(
      `${DEPLOYMENT_ENV.alertTopicArn} must be the ARN of the alert topic (arn:aws:sns:<region>:<account>:<name>); got ${topicArn === undefined ? 'nothing' : JSON.stringify(topicArn)}`,
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

/** What the publish-alert Lambda is built from. */
export type AlertHandlerDeps = HandlerDeps<AlertDeps>;

/** The publish-alert Lambda handler: parse the input, publish the alert, return the result. */
export const createPublishAlertHandler = (deps: AlertHandlerDeps): ResponderHandler<AlertResult> =>
  createResponderHandler(publishAlertResponder, deps);
