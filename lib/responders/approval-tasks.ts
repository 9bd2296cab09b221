/**
 * What the approval function and publish-alert's check of an approval request both read: a leaf,
 * so that neither bundle carries the other's code.
 */
import type { SFNClient, TaskScheduledEventDetails } from '@aws-sdk/client-sfn';
import { GetExecutionHistoryCommand, SendTaskHeartbeatCommand } from '@aws-sdk/client-sfn';
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { awsErrorCode, toResponderError } from '../aws/errors';

/** Step Functions' answers for a task token no task waits on any more (answered, timed out, execution ended). */
export const CLOSED_TASK_ERROR_CODES: ReadonlySet<string> = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** A comma-separated environment variable as its non-empty, trimmed entries. */
export function environmentList(env: Readonly<Record<string, string | undefined>>, name: string): string[] {
  return (env[name] ?? '').split(',').map((value) => value.trim()).filter((value) => value !== '');
}

/** The guarded playbooks' state machines (FIREBREAK_APPROVAL_STATE_MACHINES), the only ones that ask for approval. */
export function approvalStateMachinesFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): readonly string[] {
  return environmentList(env, DEPLOYMENT_ENV.approvalStateMachines);
}

/**
 * The most history pages (of 1,000 events) read for a token: 25,000 events, a Standard execution's
 * whole history (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). The
 * waiting task (or the alert's own task) is among the newest, read first.
 */
const HISTORY_PAGES = 25;

/**
 * The integration of the approval wait's TaskScheduled event (arn:aws:states:::lambda:invoke.waitForTaskToken,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskScheduledEventDetails.html),
 * the only task of a playbook scheduled with a task token (compile.ts `WAIT_FOR_TASK_TOKEN_RESOURCE`).
 */
const APPROVAL_WAIT_INTEGRATION = { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' } as const;

/**
 * Whether a TaskScheduled event is the approval wait scheduled with `taskToken` (pure): a
 * `lambda:invoke.waitForTaskToken` task whose parameters (JSON text) carry it exactly where the
 * compiled WaitForApproval puts `$$.Task.Token`, `Payload.approval.taskToken`. Anywhere else the
 * token is text someone wrote: every task of a playbook is scheduled with the execution's incident,
 * whose values are whoever started the execution's (states:StartExecution) or the finding's (a
 * process's command line on the compromised instance), so another execution's live token written
 * there would pass as one this execution issued (docs/security.md row 5m).
 */
export function carriesToken(details: { readonly resourceType?: string; readonly resource?: string; readonly parameters?: string }, taskToken: string): boolean {
  if (details.resourceType !== APPROVAL_WAIT_INTEGRATION.resourceType || details.resource !== APPROVAL_WAIT_INTEGRATION.resource) return false;
  if (details.parameters === undefined || !details.parameters.includes(taskToken)) return false;
  const field = (value: unknown, name: string): unknown => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined);
  try {
    return field(field(field(JSON.parse(details.parameters), 'Payload'), 'approval'), 'taskToken') === taskToken;
  } catch {
    return false;
  }
}

/** The history events that end an execution: the newest event of an execution that no longer runs. */
const EXECUTION_END_EVENTS: ReadonlySet<string> = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

/** What an execution's own history shows (searchScheduledTasks). */
export interface ScheduledTaskSearch {
  /**
   * `found`: a TaskScheduled event matched; `not-found`: none in the history; `no-execution`: Step
   * Functions knows no such execution (or, for `unreadableCodes`, will not show it to this function).
   */
  readonly outcome: 'found' | 'not-found' | 'no-execution';
  /** Whether the execution has ended (its newest event is ExecutionSucceeded, Failed, Aborted or TimedOut). */
  readonly ended: boolean;
}

/**
 * Searches the execution's own history, newest first, for a TaskScheduled event whose details
 * `matches`: the only record Step Functions keeps of what a task was invoked with. The task
 * scheduled by the running step is among the newest events, so a search for it reads one page.
 * ExecutionDoesNotExist (and `unreadableCodes`, e.g. a denial) is `no-execution`; any other error
 * is thrown, classified for the state machine's Retry.
 */
export async function searchScheduledTasks(
  sfn: SFNClient,
  executionArn: string,
  matches: (details: TaskScheduledEventDetails) => boolean,
  unreadableCodes: ReadonlySet<string> = new Set(),
): Promise<ScheduledTaskSearch> {
  let nextToken: string | undefined;
  let ended = false;
  try {
    for (let page = 0; page < HISTORY_PAGES; page += 1) {
      const answer = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1000, includeExecutionData: true, ...(nextToken !== undefined ? { nextToken } : {}) }),
      );
      const events = answer.events ?? [];
      if (page === 0) ended = EXECUTION_END_EVENTS.has(events[0]?.type ?? '');
      const found = events.some((event) => event.type === 'TaskScheduled' && event.taskScheduledEventDetails !== undefined && matches(event.taskScheduledEventDetails));
      if (found) return { outcome: 'found', ended };
      nextToken = answer.nextToken;
      if (nextToken === undefined) return { outcome: 'not-found', ended };
    }
    return { outcome: 'not-found', ended };
  } catch (error) {
    const code = awsErrorCode(error) ?? '';
    if (code === 'ExecutionDoesNotExist' || unreadableCodes.has(code)) return { outcome: 'no-execution', ended: false };
    throw toResponderError(error, 'states:GetExecutionHistory');
  }
}

/**
 * Whether the execution's own history shows its approval wait scheduled with `taskToken`
 * (`carriesToken`): a token the execution issued, not another execution's. Step
 * Functions offers no other way to ask whose a token is. False for an execution that does not exist.
 */
export async function executionScheduledToken(sfn: SFNClient, executionArn: string, taskToken: string): Promise<boolean> {
  const search = await searchScheduledTasks(sfn, executionArn, (details) => carriesToken(details, taskToken));
  return search.outcome === 'found';
}

/**
 * `live` while a task waits on `taskToken`, `closed` when Step Functions says none does (answered,
 * timed out, execution ended): SendTaskHeartbeat, which cannot complete, fail or prolong a task (a
 * task's TimeoutSeconds holds whatever the heartbeats;
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskHeartbeat.html).
 */
export async function taskTokenHeartbeat(sfn: SFNClient, taskToken: string): Promise<'live' | 'closed'> {
  try {
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
    return 'live';
  } catch (error) {
    if (CLOSED_TASK_ERROR_CODES.has(awsErrorCode(error) ?? '')) return 'closed';
    throw toResponderError(error, 'states:SendTaskHeartbeat');
  }
}
