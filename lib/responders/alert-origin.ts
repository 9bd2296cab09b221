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
import type { AlertInput } from './alert-model';
import type { InvocationOrigins } from './invocation-origin';
import { SfnInvocationOrigins, checkScheduledInvocation, executionOfDeployment } from './invocation-origin';
import { noteVerifiedOrigin } from './attempt-actions';

// The check itself is shared with the evidence steps (invocation-origin.ts); publish-alert's names for it.
export { LAMBDA_FUNCTION_NAME_ENV, executionOfDeployment, functionNameOf, invokedWith } from './invocation-origin';
/** What publish-alert asks Step Functions about an alert. */
export type AlertOrigins = InvocationOrigins;
/** Step Functions adapter: GetExecutionHistory only. */
export const SfnAlertOrigins = SfnInvocationOrigins;

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
  const check = await checkScheduledInvocation(executionArn as string, received, { ...context, who: 'publish-alert', what: 'this alert' });
  if (check.verified) noteVerifiedOrigin();
  return check.verified ? { status: 'verified', executionArn: check.executionArn } : { status: 'unverified', why: check.why, executionArn: check.executionArn, historyRead: check.historyRead };
}
