/**
 * What Step Functions says of a playbook execution (states:DescribeExecution), for the responders
 * that must know whether the execution they were invoked for still runs: a containment grant clears
 * a step only while its execution is RUNNING (grants.ts `checkContainmentGrant`), so that a grant
 * outlives neither a StopExecution (a false positive, a containment cancelled while it waits for
 * approval) nor the end of its execution. publish-alert reads the same description of an approval
 * request's execution (approval-request.ts).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { awsErrorCode, toResponderError } from '../aws/errors';

/** An execution as DescribeExecution describes it: what the responders read of it. */
export interface DescribedExecution {
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE (UNKNOWN when Step Functions says none). */
  readonly status: string;
  readonly stateMachineArn: string;
  readonly input?: string;
}

/**
 * DescribeExecution's answers for an execution that cannot count as one of the deployment's: IAM
 * lets a responder describe only the executions of this deployment's guarded playbooks, so a denial
 * is an execution that is not one, as a forged or malformed ARN is.
 */
const UNKNOWN_EXECUTION_CODES: ReadonlySet<string> = new Set(['ExecutionDoesNotExist', 'InvalidArn', 'AccessDeniedException', 'AccessDenied']);

/**
 * The execution, or undefined when Step Functions does not know it or does not let this role see it;
 * throws the classified responder error on any other failure (throttling is transient: the state
 * machine retries).
 */
export async function describeExecution(sfn: SFNClient, executionArn: string): Promise<DescribedExecution | undefined> {
  try {
    const answer = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return { status: answer.status ?? 'UNKNOWN', stateMachineArn: answer.stateMachineArn ?? '', ...(answer.input !== undefined ? { input: answer.input } : {}) };
  } catch (error) {
    if (UNKNOWN_EXECUTION_CODES.has(awsErrorCode(error) ?? '')) return undefined;
    throw toResponderError(error, 'states:DescribeExecution');
  }
}

/** Whether an execution runs, as the grant check asks it. */
export interface ExecutionStatusReader {
  /** The execution's status (RUNNING, ABORTED…), or undefined when it does not exist or this role may not see it. */
  executionStatus(executionArn: string): Promise<string | undefined>;
}

/** Step Functions adapter: one DescribeExecution per check, in the security account. */
export class SfnExecutionStatusReader implements ExecutionStatusReader {
  constructor(private readonly sfn: SFNClient) {}

  async executionStatus(executionArn: string): Promise<string | undefined> {
    return (await describeExecution(this.sfn, executionArn))?.status;
  }
}

/**
 * What a responder that checks containment grants needs in the security account: whether the
 * grant's execution runs. The stack grants it on this deployment's guarded playbooks' executions
 * only, as the guard's (lib/stack/responders.ts).
 */
export const EXECUTION_STATUS_IAM_ACTIONS: readonly string[] = ['states:DescribeExecution'];
