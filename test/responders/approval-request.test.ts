import { DescribeExecutionCommand, GetExecutionHistoryCommand, SendTaskHeartbeatCommand, SFNClient } from '@aws-sdk/client-sfn';
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

  it("reads the execution's own history, newest first, for a task scheduled with the token (exact inputs)", async () => {
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: [{ type: 'TaskScheduled', id: 9, timestamp: new Date(), taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'eu-west-1', parameters: JSON.stringify({ Payload: { approval: { taskToken: 'other' } } }) } }], nextToken: 'page-2' })
      .resolvesOnce({ events: [{ type: 'TaskScheduled', id: 4, timestamp: new Date(), taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'eu-west-1', parameters: JSON.stringify({ Payload: { approval: { taskToken: TOKEN } } }) } }] });
    expect(await executions().scheduled(EXECUTION, TOKEN)).toBe(true);
    expect(sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input)).toEqual([
      { executionArn: EXECUTION, reverseOrder: true, maxResults: 1000, includeExecutionData: true },
      { executionArn: EXECUTION, reverseOrder: true, maxResults: 1000, includeExecutionData: true, nextToken: 'page-2' },
    ]);
  });

  it('says not scheduled for a token only another event names (not a TaskScheduled parameter), or an execution that does not exist', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [{ type: 'TaskSucceeded', id: 5, timestamp: new Date(), taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: JSON.stringify({ taskToken: TOKEN }) } }] });
    expect(await executions().scheduled(EXECUTION, TOKEN)).toBe(false);
    sfn.on(GetExecutionHistoryCommand).rejects(sdkError('ExecutionDoesNotExist'));
    expect(await executions().scheduled(EXECUTION, TOKEN)).toBe(false);
    sfn.on(GetExecutionHistoryCommand).rejects(sdkError('ThrottlingException'));
    await expect(executions().scheduled(EXECUTION, TOKEN)).rejects.toBeInstanceOf(TransientResponderError);
  });

  it("ATTACK (review-approval): says not scheduled for a token only the execution's incident carries (passed to every task), however deep", async () => {
    const incident = { key: 'gd-1', title: TOKEN, details: { process: { commandLine: { untrusted: TOKEN } } } };
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { type: 'TaskScheduled', id: 7, timestamp: new Date(), taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'eu-west-1', parameters: JSON.stringify({ Payload: { incident, approval: { taskToken: 'its-own', waitingSteps: [TOKEN] } } }) } },
        { type: 'TaskScheduled', id: 3, timestamp: new Date(), taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'eu-west-1', parameters: JSON.stringify({ Payload: { incident } }) } },
      ],
    });
    expect(await executions().scheduled(EXECUTION, TOKEN)).toBe(false);
  });

  // Review review-5l: the other tasks a playbook schedules that could carry Payload.approval.taskToken
  // (a plain Lambda invoke, a per-instance child's startExecution.sync, a Map or Parallel branch's
  // task, whose TaskScheduled events are the parent's) and a wait payload shaped otherwise.
  it('tried (review-5l): a token at Payload.approval.taskToken of any other integration, or not exactly there in the wait, was never scheduled by the approval wait', async () => {
    const approval = { approval: { taskToken: TOKEN } };
    const scheduled = (resourceType: string, resource: string, parameters: unknown) => ({ type: 'TaskScheduled' as const, id: 3, timestamp: new Date(), taskScheduledEventDetails: { resourceType, resource, region: 'eu-west-1', parameters: JSON.stringify(parameters) } });
    for (const event of [
      scheduled('lambda', 'invoke', { FunctionName: 'publish-alert', Payload: approval }),
      scheduled('states', 'startExecution.sync:2', { StateMachineArn: MACHINE, Input: approval, Payload: approval }),
      scheduled('states', 'startExecution.waitForTaskToken', { Payload: approval }),
      scheduled('sqs', 'sendMessage.waitForTaskToken', { Payload: approval }),
      scheduled('lambda', 'invoke.waitForTaskToken', { Payload: [approval] }),
      scheduled('lambda', 'invoke.waitForTaskToken', { Payload: { approval: { taskToken: [TOKEN] } } }),
      scheduled('lambda', 'invoke.waitForTaskToken', { Payload: { approval: { taskToken: `${TOKEN} ` } } }),
      scheduled('lambda', 'invoke.waitForTaskToken', { Payload: { incident: approval }, approval: { taskToken: TOKEN } }),
    ]) {
      sfn.reset();
      sfn.on(GetExecutionHistoryCommand).resolves({ events: [event] });
      expect(await executions().scheduled(EXECUTION, TOKEN)).toBe(false);
    }
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
