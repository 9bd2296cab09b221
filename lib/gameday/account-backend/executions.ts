/**
 * states:DescribeExecution answered from the engine's own executions (the state machines run in
 * the engine, not in the account): the containment guard verifies the execution it clears.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 */
import type { ExecutionDirectory } from '../backend';
import { SimulatedServiceError } from '../sim';

/** The DescribeExecution output for `executionArn`, or the service's error. */
export function describeExecution(directory: ExecutionDirectory, executionArn: string): Record<string, unknown> {
  if (!/^arn:[\w-]+:states:/.test(executionArn)) throw new SimulatedServiceError('InvalidArn', `Invalid Arn: '${executionArn}'`, 400);
  const execution = directory(executionArn);
  if (!execution) throw new SimulatedServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`, 400);
  const { stopDate, ...described } = execution;
  return { ...described, ...(stopDate !== undefined ? { stopDate } : {}), inputDetails: { included: true } };
}
