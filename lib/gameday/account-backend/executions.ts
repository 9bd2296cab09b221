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
  const { stopDate, scheduledTasks: _history, ...described } = execution;
  return { ...described, ...(stopDate !== undefined ? { stopDate } : {}), inputDetails: { included: true } };
}

/**
 * states:GetExecutionHistory of `executionArn` as far as the engine keeps it: ExecutionStarted, one
 * TaskScheduled event per task it scheduled (its parameters as JSON text, the task token among them
 * as `$$.Task.Token` puts it there), and the event that ended it once it has, newest first when
 * asked, in one page. What publish-alert (the task that invoked it, an approval request's token)
 * and the approval function read of it.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html
 */
export function executionHistory(directory: ExecutionDirectory, input: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const executionArn = String(input.executionArn ?? '');
  if (!/^arn:[\w-]+:states:/.test(executionArn)) throw new SimulatedServiceError('InvalidArn', `Invalid Arn: '${executionArn}'`, 400);
  const execution = directory(executionArn);
  if (!execution) throw new SimulatedServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`, 400);
  const region = executionArn.split(':')[3];
  const tasks = execution.scheduledTasks ?? [];
  const events: Record<string, unknown>[] = [
    { id: 1, type: 'ExecutionStarted', timestamp: execution.startDate },
    ...tasks.map((task, index) => ({
      id: index + 2,
      type: 'TaskScheduled',
      timestamp: execution.startDate,
      taskScheduledEventDetails: { resourceType: task.resourceType, resource: task.resource, region, parameters: JSON.stringify(task.parameters ?? {}) },
    })),
  ];
  if (execution.status !== 'RUNNING') {
    events.push({ id: tasks.length + 2, type: execution.status === 'SUCCEEDED' ? 'ExecutionSucceeded' : 'ExecutionFailed', timestamp: execution.stopDate ?? execution.startDate });
  }
  return { events: input.reverseOrder === true ? events.reverse() : events };
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
