import { DescribeExecutionCommand, SendTaskHeartbeatCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SfnApprovalRequestExecutions, approvalStateMachinesFromEnv } from '../../lib/responders/approval-request';
import { TransientResponderError } from '../../lib/contracts/responder-errors';

const EXECUTION = 'arn:aws:states:eu-west-1:999988887777:execution:Firebreak-compromised-ec2:gd-1';
const MACHINE = 'arn:aws:states:eu-west-1:999988887777:stateMachine:Firebreak-compromised-ec2';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd+secret-token=';

function sdkError(name: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(`${name}: simulated`), { name, $metadata: { httpStatusCode } });
}

describe('SfnApprovalRequestExecutions', () => {
  const sfn = mockClient(SFNClient);
  beforeEach(() => sfn.reset());
  const executions = () => new SfnApprovalRequestExecutions(new SFNClient({ region: 'eu-west-1' }));

  it('describes with DescribeExecution and proves a token with SendTaskHeartbeat, exact inputs', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', stateMachineArn: MACHINE, input: '{}' });
    sfn.on(SendTaskHeartbeatCommand).resolves({});
    expect(await executions().describe(EXECUTION)).toEqual({ status: 'RUNNING', stateMachineArn: MACHINE, input: '{}' });
    expect(await executions().heartbeat(TOKEN)).toBe('live');
    expect(sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input)).toEqual([{ executionArn: EXECUTION }]);
    expect(sfn.commandCalls(SendTaskHeartbeatCommand).map((c) => c.args[0].input)).toEqual([{ taskToken: TOKEN }]);
  });

  it.each(['TaskDoesNotExist', 'InvalidToken', 'TaskTimedOut'])('says closed when SendTaskHeartbeat answers %s', async (code) => {
    sfn.on(SendTaskHeartbeatCommand).rejects(sdkError(code));
    expect(await executions().heartbeat(TOKEN)).toBe('closed');
  });

  it.each(['ExecutionDoesNotExist', 'InvalidArn', 'AccessDeniedException'])('treats DescribeExecution answering %s as no execution of this deployment', async (code) => {
    sfn.on(DescribeExecutionCommand).rejects(sdkError(code));
    expect(await executions().describe(EXECUTION)).toBeUndefined();
  });

  it('lets throttling through as a transient error, for the state machine to retry', async () => {
    sfn.on(SendTaskHeartbeatCommand).rejects(sdkError('ThrottlingException'));
    sfn.on(DescribeExecutionCommand).rejects(sdkError('ThrottlingException'));
    await expect(executions().heartbeat(TOKEN)).rejects.toBeInstanceOf(TransientResponderError);
    await expect(executions().describe(EXECUTION)).rejects.toBeInstanceOf(TransientResponderError);
  });
});

describe('approvalStateMachinesFromEnv', () => {
  it('reads the comma-separated ARNs, and nothing from an unset variable', () => {
    expect(approvalStateMachinesFromEnv({ FIREBREAK_APPROVAL_STATE_MACHINES: ` ${MACHINE} ,,arn:x ` })).toEqual([MACHINE, 'arn:x']);
    expect(approvalStateMachinesFromEnv({})).toEqual([]);
  });
});
