/**
 * states:DescribeExecution answered from the engine's own executions (the state machines run in
 * the engine, not in the account): the containment guard verifies the execution it clears.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 */
import type { ExecutionDirectory, ExecutionStarter } from '../backend';
import { SimulatedServiceError } from '../sim';

/** The DescribeExecution output for `executionArn`, or the service's error. */
export function describeExecution(directory: ExecutionDirectory, executionArn: string): Record<string, unknown> {
  if (!/^arn:[\w-]+:states:/.test(executionArn)) throw new SimulatedServiceError('InvalidArn', `Invalid Arn: '${executionArn}'`, 400);
  const execution = directory(executionArn);
  if (!execution) throw new SimulatedServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`, 400);
  const { stopDate, ...described } = execution;
  return { ...described, ...(stopDate !== undefined ? { stopDate } : {}), inputDetails: { included: true } };
}

/**
 * states:StartExecution answered by the engine (the oversized-event intake starts the dispatcher):
 * the started execution's ARN and start date, or the service's error under the name the engine
 * gave it (`ValidationException` for an input over 256 KiB, `StateMachineDoesNotExist`…).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
export function startExecution(starter: ExecutionStarter, input: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const stateMachineArn = String(input.stateMachineArn ?? '');
  if (!/^arn:[\w-]+:states:/.test(stateMachineArn)) throw new SimulatedServiceError('InvalidArn', `Invalid Arn: '${stateMachineArn}'`, 400);
  try {
    const started = starter(stateMachineArn, typeof input.input === 'string' ? input.input : '{}');
    return { executionArn: started.executionArn, startDate: started.startDate };
  } catch (error) {
    if (error instanceof SimulatedServiceError) throw error;
    throw new SimulatedServiceError(error instanceof Error ? error.name : 'InternalError', error instanceof Error ? error.message : String(error), 400);
  }
}
