/**
 * What the responders ask Step Functions of the execution they were invoked for (execution-status.ts):
 * one DescribeExecution, exact input; an execution Step Functions does not show this role counts as
 * none (refused), any other failure is the classified responder error.
 */
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ResponderFailedError, TransientResponderError } from '../../lib/contracts/responder-errors';
import { SfnExecutionStatusReader, describeExecution } from '../../lib/responders/execution-status';
import { EXECUTION_ARN } from '../support/grants';

const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-compromised-ec2-instance';

function sdkError(name: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(`${name}: simulated`), { name, $metadata: { httpStatusCode } });
}

const reader = () => new SfnExecutionStatusReader(new SFNClient({ region: 'eu-west-1' }));

beforeEach(() => sfn.reset());

describe('SfnExecutionStatusReader', () => {
  it.each(['RUNNING', 'ABORTED', 'SUCCEEDED', 'FAILED', 'TIMED_OUT'])('answers %s with one DescribeExecution of exactly the execution', async (status) => {
    sfn.on(DescribeExecutionCommand).resolves({ status: status as never, stateMachineArn: MACHINE, input: '{}' });
    expect(await reader().executionStatus(EXECUTION_ARN)).toBe(status);
    expect(sfn.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toEqual([{ executionArn: EXECUTION_ARN }]);
    expect(sfn.calls()).toHaveLength(1);
  });

  it.each(['ExecutionDoesNotExist', 'InvalidArn', 'AccessDeniedException', 'AccessDenied'])('answers no status when Step Functions says %s (a forged ARN, another stack\'s execution)', async (code) => {
    sfn.on(DescribeExecutionCommand).rejects(sdkError(code));
    expect(await reader().executionStatus(EXECUTION_ARN)).toBeUndefined();
  });

  it('throws the transient error on throttling (the state machine retries), naming the call', async () => {
    sfn.on(DescribeExecutionCommand).rejects(sdkError('ThrottlingException'));
    await expect(reader().executionStatus(EXECUTION_ARN)).rejects.toBeInstanceOf(TransientResponderError);
    await expect(reader().executionStatus(EXECUTION_ARN)).rejects.toThrow(/states:DescribeExecution/);
  });

  it('throws the failed-responder error on anything else', async () => {
    sfn.on(DescribeExecutionCommand).rejects(sdkError('KmsAccessDeniedException'));
    await expect(reader().executionStatus(EXECUTION_ARN)).rejects.toBeInstanceOf(ResponderFailedError);
  });

  it('counts an answer without a status as UNKNOWN (not RUNNING)', async () => {
    sfn.on(DescribeExecutionCommand).resolves({});
    expect(await reader().executionStatus(EXECUTION_ARN)).toBe('UNKNOWN');
    expect(await describeExecution(new SFNClient({ region: 'eu-west-1' }), EXECUTION_ARN)).toEqual({ status: 'UNKNOWN', stateMachineArn: '' });
  });
});
