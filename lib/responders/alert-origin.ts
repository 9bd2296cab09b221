/**
 * Whether an alert is Firebreak's (docs/security.md §D5): publish-alert's input is a claim of
 * whoever invoked the function. Anyone with lambda:InvokeFunction on it could otherwise publish
 * "contained", "approved by …" or results "observed from EC2" for an execution that never ran,
 * has ended, or never sent them. So, before it publishes:
 *
 * - An alert that names a Standard execution of one of this deployment's playbooks
 *   (`arn:<partition>:states:<region>:<account>:execution:<stack>-<playbook>:<name>`) is verified
 *   against that execution's own history (GetExecutionHistory, newest first): it counts as
 *   Firebreak's only if a TaskScheduled event there invoked THIS function with a payload equal to
 *   the event the function received (canonical JSON, before parsing drops any key), and the
 *   execution still runs (a task's function runs while its execution does; an ended one is a replay).
 *   Step Functions writes that event before it invokes the function, and nobody but Step Functions
 *   writes an execution's history.
 * - The dispatcher is an Express state machine: GetExecutionHistory and DescribeExecution do not
 *   support Express executions (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html),
 *   so its alerts (triage-only, invalid-event, the dispatch failure) cannot be verified. They claim
 *   no action: one that carries step results or an approval is not the dispatcher's and is unverified.
 * - Anything else (no execution, an execution not of this deployment, one that does not exist or
 *   that IAM does not let publish-alert read, a history without the matching task) is unverified:
 *   still published (nothing is lost), marked `[UNVERIFIED]`, with why, and sent to the backup channel.
 *
 * A history that cannot be read (throttled past the SDK's retries, a 5xx) fails the step with a
 * transient error: the playbook's Retry runs it again (TRANSIENT_RETRY), and a genuine alert is
 * never shown unverified because Step Functions was busy.
 */
import type { SFNClient, TaskScheduledEventDetails } from '@aws-sdk/client-sfn';
import { sameCanonicalJson } from './canonical-json';
import type { ScheduledTaskSearch } from './approval-tasks';
import { searchScheduledTasks } from './approval-tasks';
import type { AlertInput } from './alert-model';
import { SECURITY_ENV } from '../contracts/security';

/** The variable the Lambda runtime sets to the function's own name (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime). */
export const LAMBDA_FUNCTION_NAME_ENV = 'AWS_LAMBDA_FUNCTION_NAME';

/** What publish-alert asks Step Functions about an alert. */
export interface AlertOrigins {
  /**
   * Searches the execution's own history for a TaskScheduled event of a Lambda task that invoked
   * `functionName` with exactly `payload` (GetExecutionHistory).
   */
  scheduledInvocation(executionArn: string, functionName: string, payload: unknown): Promise<ScheduledTaskSearch>;
}

/** GetExecutionHistory's answers for an execution publish-alert may not count as one of the deployment's. */
const UNREADABLE_EXECUTION_CODES: ReadonlySet<string> = new Set(['InvalidArn', 'AccessDeniedException', 'AccessDenied']);

/** Step Functions adapter: GetExecutionHistory only. */
export class SfnAlertOrigins implements AlertOrigins {
  constructor(private readonly sfn: SFNClient) {}

  scheduledInvocation(executionArn: string, functionName: string, payload: unknown): Promise<ScheduledTaskSearch> {
    // Another function's task is passed over without parsing its parameters (a name needs no JSON escape).
    const matches = (details: TaskScheduledEventDetails) =>
      details.resourceType === 'lambda' && details.parameters?.includes(functionName) === true && invokedWith(details.parameters, functionName, payload);
    return searchScheduledTasks(this.sfn, executionArn, matches, UNREADABLE_EXECUTION_CODES);
  }
}

/**
 * Whether a Lambda task's parameters (JSON text) invoked `functionName` with `payload`: the same
 * canonical JSON, compared without writing either text (sameCanonicalJson).
 */
export function invokedWith(parameters: string | undefined, functionName: string, payload: unknown): boolean {
  if (parameters === undefined) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(parameters);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const { FunctionName: reference, Payload: invoked } = parsed as { FunctionName?: unknown; Payload?: unknown };
  return typeof reference === 'string' && functionNameOf(reference) === functionName && sameCanonicalJson(invoked ?? null, payload);
}

/**
 * The function name of a Lambda FunctionName reference, as the Invoke API accepts it: a name, a
 * full ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`) or a partial one
 * (`<account>:function:<name>[:<qualifier>]`), with or without a version or alias.
 */
export function functionNameOf(reference: string): string {
  const parts = reference.split(':');
  if (parts[0] === 'arn') return parts[6] ?? '';
  if (parts[1] === 'function') return parts[2] ?? '';
  return parts[0] ?? '';
}

/** What publish-alert concluded about where an alert came from. */
export type AlertOrigin =
  | { readonly status: 'verified'; readonly executionArn: string }
  /** Not the dispatcher's nor a verified playbook's: `why` in plain words, for the alert and its result. */
  | { readonly status: 'unverified'; readonly why: string; readonly executionArn?: string; readonly historyRead: boolean }
  /** The dispatcher's (an Express execution, or none): not verifiable, and it claims no action. */
  | { readonly status: 'dispatcher' };

/** What verifying an alert reads of the deployment. */
export interface AlertOriginContext {
  readonly origins: AlertOrigins;
  /** The deployment's environment: the stack name, the security account, the region, the function's own name. */
  readonly environment: Readonly<Record<string, string | undefined>>;
}

/** The kinds the dispatcher sends (lib/playbooks/dispatcher.ts): a triage read, an unreadable event, a dispatch failure. */
function isDispatcherKind(input: AlertInput): boolean {
  return input.kind === 'triage-only' || input.kind === 'invalid-event' || (input.kind === 'failure' && input.failure?.step === 'dispatch');
}

/** Whether the alert claims anything a step did: a step result or an approval. */
function claimsAction(input: AlertInput): boolean {
  return Object.keys(input.results ?? {}).length > 0 || input.approval !== undefined;
}

const EXECUTION_ARN = /^arn:[a-z-]+:states:([a-z0-9-]+):(\d{12}):(execution|express):([A-Za-z0-9_-]{1,80}):[^:]+(:[^:]+)?$/;

/**
 * Where an execution ARN points (pure): a Standard execution of one of this deployment's
 * playbooks, an Express one, or neither (with why).
 */
export function executionOfDeployment(
  executionArn: string,
  environment: Readonly<Record<string, string | undefined>>,
): { readonly kind: 'playbook' } | { readonly kind: 'express' } | { readonly kind: 'foreign'; readonly why: string } {
  const match = EXECUTION_ARN.exec(executionArn);
  if (!match) return { kind: 'foreign', why: 'its execution ARN is not a Step Functions execution ARN' };
  const [, region, account, type, machine] = match as unknown as [string, string, string, string, string];
  if (type === 'express') return { kind: 'express' };
  if (match[5] !== undefined) return { kind: 'foreign', why: 'its execution ARN is not a Standard execution ARN' };
  const stackName = environment[SECURITY_ENV.stackName] ?? '';
  const ownAccount = environment[SECURITY_ENV.securityAccountId];
  const ownRegion = environment.AWS_REGION;
  if (stackName === '') return { kind: 'foreign', why: `publish-alert has no ${SECURITY_ENV.stackName}, so it cannot tell this deployment's playbooks` };
  if (ownAccount !== undefined && ownAccount !== '' && account !== ownAccount) return { kind: 'foreign', why: `its execution is in account ${account}, not this deployment's (${ownAccount})` };
  if (ownRegion !== undefined && ownRegion !== '' && region !== ownRegion) return { kind: 'foreign', why: `its execution is in region ${region}, not this deployment's (${ownRegion})` };
  if (!machine.startsWith(`${stackName}-`)) return { kind: 'foreign', why: `its state machine ${machine} is not one of this deployment's playbooks (${stackName}-<playbook>)` };
  return { kind: 'playbook' };
}

/**
 * Decides where an alert came from (see the module comment): `received` is the event exactly as
 * the function received it, before parsing. Throws a classified error when the history cannot be read.
 */
export async function verifyAlertOrigin(input: AlertInput, received: unknown, context: AlertOriginContext): Promise<AlertOrigin> {
  const executionArn = input.execution?.executionArn;
  const where = executionArn === undefined ? undefined : executionOfDeployment(executionArn, context.environment);
  if (where === undefined || where.kind === 'express') {
    if (isDispatcherKind(input) && !claimsAction(input)) return { status: 'dispatcher' };
    const why =
      where === undefined
        ? 'it names no execution, and only the dispatcher\'s alerts (which claim no action) come without one'
        : isDispatcherKind(input)
          ? 'it names an Express execution (the dispatcher\'s, whose history Step Functions does not keep for GetExecutionHistory) yet claims step results or an approval, which the dispatcher never sends'
          : `it names an Express execution (the dispatcher's, whose history Step Functions does not keep for GetExecutionHistory), and the dispatcher never sends a ${input.kind} alert`;
    return { status: 'unverified', why, ...(executionArn !== undefined ? { executionArn } : {}), historyRead: false };
  }
  if (where.kind === 'foreign') return { status: 'unverified', why: where.why, executionArn: executionArn as string, historyRead: false };
  const functionName = context.environment[LAMBDA_FUNCTION_NAME_ENV] ?? '';
  if (functionName === '') {
    return { status: 'unverified', why: `publish-alert does not know its own function name (${LAMBDA_FUNCTION_NAME_ENV}), so it cannot match the task that invoked it`, executionArn: executionArn as string, historyRead: false };
  }
  const arn = executionArn as string;
  const search = await context.origins.scheduledInvocation(arn, functionName, received);
  if (search.outcome === 'no-execution') {
    return { status: 'unverified', why: 'Step Functions knows no such execution of this deployment (or does not let publish-alert read it)', executionArn: arn, historyRead: true };
  }
  if (search.outcome === 'not-found') {
    return { status: 'unverified', why: 'the execution\'s history shows no task that invoked publish-alert with this alert\'s exact content', executionArn: arn, historyRead: true };
  }
  if (search.ended) {
    return { status: 'unverified', why: 'the execution has ended, so none of its tasks is sending alerts: this is a copy of one of its earlier alerts, sent again', executionArn: arn, historyRead: true };
  }
  return { status: 'verified', executionArn: arn };
}
