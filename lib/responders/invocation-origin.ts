/**
 * Whether a Lambda invocation came from one of this deployment's playbook executions (docs/security.md
 * §D5): a responder's input is a claim of whoever invoked the function, and anyone with
 * lambda:InvokeFunction on it can name any execution. Step Functions writes a TaskScheduled event,
 * with the task's parameters (the function and its payload), into the execution's history before it
 * invokes the function, and nobody else writes an execution's history. So an invocation is the
 * execution's only when:
 *
 * - the execution it names is a Standard execution of one of this deployment's playbooks
 *   (`arn:<partition>:states:<region>:<account>:execution:<stack>-<playbook>:<name>`, the function's
 *   own account and region; IAM lets the function read no other history);
 * - that execution's own history (GetExecutionHistory, newest first, paged) shows a TaskScheduled
 *   event of a Lambda task that invoked THIS function (`AWS_LAMBDA_FUNCTION_NAME`) with a payload
 *   equal, as canonical JSON, to the event the function received before parsing (a retry of the
 *   task is scheduled again with the same payload, so it matches too);
 * - the execution still runs (its newest event ends none): a task's function runs while its
 *   execution does, so an ended one means a copy sent again.
 *
 * publish-alert marks an alert that fails this (alert-origin.ts); the evidence steps refuse to act
 * (step-origin.ts). A history that cannot be read (throttled past the SDK's retries, a 5xx) is not
 * an answer: the search throws a TransientResponderError and the playbook's Retry asks again.
 */
import type { SFNClient, TaskScheduledEventDetails } from '@aws-sdk/client-sfn';
import { sameCanonicalJson } from '../contracts/canonical-json';
import type { ScheduledTaskSearch } from './approval-tasks';
import { searchScheduledTasks } from './approval-tasks';
import { SECURITY_ENV } from '../contracts/security';

/** The variable the Lambda runtime sets to the function's own name (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime). */
export const LAMBDA_FUNCTION_NAME_ENV = 'AWS_LAMBDA_FUNCTION_NAME';

/** What a function asks Step Functions about its own invocation. */
export interface InvocationOrigins {
  /**
   * Searches the execution's own history for a TaskScheduled event of a Lambda task that invoked
   * `functionName` with exactly `payload` (GetExecutionHistory).
   */
  scheduledInvocation(executionArn: string, functionName: string, payload: unknown): Promise<ScheduledTaskSearch>;
}

/** GetExecutionHistory's answers for an execution the function may not count as one of the deployment's. */
const UNREADABLE_EXECUTION_CODES: ReadonlySet<string> = new Set(['InvalidArn', 'AccessDeniedException', 'AccessDenied']);

/** Step Functions adapter: GetExecutionHistory only. */
export class SfnInvocationOrigins implements InvocationOrigins {
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

const EXECUTION_ARN = /^arn:[a-z-]+:states:([a-z0-9-]+):(\d{12}):(execution|express):([A-Za-z0-9_-]{1,80}):[^:]+(:[^:]+)?$/;

/**
 * Where an execution ARN points (pure): a Standard execution of one of this deployment's
 * playbooks, an Express one, or neither (with why). `who` names the function in the why.
 */
export function executionOfDeployment(
  executionArn: string,
  environment: Readonly<Record<string, string | undefined>>,
  who = 'publish-alert',
): { readonly kind: 'playbook' } | { readonly kind: 'express' } | { readonly kind: 'foreign'; readonly why: string } {
  const match = EXECUTION_ARN.exec(executionArn);
  if (!match) return { kind: 'foreign', why: 'its execution ARN is not a Step Functions execution ARN' };
  const [, region, account, type, machine] = match as unknown as [string, string, string, string, string];
  if (type === 'express') return { kind: 'express' };
  if (match[5] !== undefined) return { kind: 'foreign', why: 'its execution ARN is not a Standard execution ARN' };
  const stackName = environment[SECURITY_ENV.stackName] ?? '';
  const ownAccount = environment[SECURITY_ENV.securityAccountId];
  const ownRegion = environment.AWS_REGION;
  if (stackName === '') return { kind: 'foreign', why: `${who} has no ${SECURITY_ENV.stackName}, so it cannot tell this deployment's playbooks` };
  if (ownAccount !== undefined && ownAccount !== '' && account !== ownAccount) return { kind: 'foreign', why: `its execution is in account ${account}, not this deployment's (${ownAccount})` };
  if (ownRegion !== undefined && ownRegion !== '' && region !== ownRegion) return { kind: 'foreign', why: `its execution is in region ${region}, not this deployment's (${ownRegion})` };
  if (!machine.startsWith(`${stackName}-`)) return { kind: 'foreign', why: `its state machine ${machine} is not one of this deployment's playbooks (${stackName}-<playbook>)` };
  return { kind: 'playbook' };
}

/** What checking an invocation against its playbook execution's history concluded. */
export type InvocationCheck =
  | { readonly verified: true; readonly executionArn: string }
  /** `why` in plain words; `historyRead` when GetExecutionHistory was asked. */
  | { readonly verified: false; readonly why: string; readonly executionArn: string; readonly historyRead: boolean };

/** What the check reads of the deployment, and the words it uses. */
export interface InvocationCheckContext {
  readonly origins: InvocationOrigins;
  /** The deployment's environment: the stack name, the security account, the region, the function's own name. */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /** The function, as the reasons name it (`publish-alert`). */
  readonly who: string;
  /** What was received, as the reasons name it (`this alert`). */
  readonly what: string;
}

/**
 * Checks that the Standard playbook execution `executionArn` (already `executionOfDeployment`'s
 * `playbook`) scheduled the task that invoked this function with exactly `received`, and still
 * runs. Throws a classified error when the history cannot be read.
 */
export async function checkScheduledInvocation(executionArn: string, received: unknown, context: InvocationCheckContext): Promise<InvocationCheck> {
  const { who, what } = context;
  const functionName = context.environment[LAMBDA_FUNCTION_NAME_ENV] ?? '';
  if (functionName === '') {
    return { verified: false, why: `${who} does not know its own function name (${LAMBDA_FUNCTION_NAME_ENV}), so it cannot match the task that invoked it`, executionArn, historyRead: false };
  }
  const search = await context.origins.scheduledInvocation(executionArn, functionName, received);
  if (search.outcome === 'no-execution') {
    return { verified: false, why: `Step Functions knows no such execution of this deployment (or does not let ${who} read it)`, executionArn, historyRead: true };
  }
  if (search.outcome === 'not-found') {
    return { verified: false, why: `the execution's history shows no task that invoked ${who} with ${what}'s exact content`, executionArn, historyRead: true };
  }
  if (search.ended) {
    return { verified: false, why: `the execution has ended, so none of its tasks is invoking ${who}: this is a copy of ${what}, sent again`, executionArn, historyRead: true };
  }
  return { verified: true, executionArn };
}
