/**
 * Step Functions execution histories as GetExecutionHistory returns them, for the live game-day
 * tests: the event types, the previousEventId chain, the detail field names and the optimized Lambda
 * integration's output (`{ExecutedVersion, Payload, StatusCode}`) follow
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export const INJECTED_AT = new Date('2026-11-20T10:15:30.000Z');
export const at = (ms: number) => new Date(INJECTED_AT.getTime() + ms);

const lambdaOutput = (payload: unknown) => JSON.stringify({ ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 });

const quarantineResult = (mode: 'enforce' | 'dry-run') => ({
  responder: 'quarantine-instance',
  incidentKey: 'gd-9f8e7d6c5b4a39281706f5e4d3c2b1a0',
  mode,
  status: mode === 'enforce' ? 'quarantined' : 'dry-run',
  idempotentReplay: false,
  instanceId: 'i-0123456789abcdef0',
  networkInterfaces: [{ id: 'eni-0f1e2d3c4b5a69788', groupsBefore: ['sg-0a1a2b3c4d5e6f708'] }],
  actions: [
    {
      api: 'ec2:ModifyNetworkInterfaceAttribute',
      target: 'eni-0f1e2d3c4b5a69788',
      outcome: mode === 'enforce' ? 'done' : 'would-do',
      detail: 'moved to the isolation group (no rules)',
      at: at(6_000).toISOString(),
    },
  ],
});

const snapshotResult = {
  responder: 'snapshot-volumes',
  incidentKey: 'gd-9f8e7d6c5b4a39281706f5e4d3c2b1a0',
  mode: 'enforce',
  status: 'snapshotted',
  idempotentReplay: false,
  instanceId: 'i-0123456789abcdef0',
  actions: [{ api: 'ec2:CreateSnapshots', target: 'i-0123456789abcdef0', outcome: 'done', detail: '1 snapshot', at: at(5_000).toISOString() }],
};

/**
 * compromised-ec2-instance: Parallel[quarantine-instance | snapshot-volumes] → notify. The two
 * branches' events interleave; quarantine is throttled once and retried.
 */
export function containedHistory(options: { mode?: 'enforce' | 'dry-run'; sample?: boolean; findingType?: string; key?: string } = {}): HistoryEvent[] {
  const mode = options.mode ?? 'enforce';
  const input = JSON.stringify({
    incident: {
      key: options.key ?? 'gd-9f8e7d6c5b4a39281706f5e4d3c2b1a0',
      findingType: options.findingType ?? 'Backdoor:EC2/C&CActivity.B',
      sample: options.sample ?? false,
      resource: { kind: 'ec2-instance', instanceId: 'i-0123456789abcdef0' },
    },
    mode,
    playbook: 'compromised-ec2-instance',
  });
  return [
    { id: 1, timestamp: at(1_200), type: 'ExecutionStarted', executionStartedEventDetails: { input, roleArn: 'arn:aws:iam::111122223333:role/Firebreak-PlaybookRole' } },
    { id: 2, previousEventId: 1, timestamp: at(1_250), type: 'ParallelStateEntered', stateEnteredEventDetails: { name: 'contain-and-preserve-evidence', input } },
    { id: 3, previousEventId: 2, timestamp: at(1_260), type: 'ParallelStateStarted' },
    { id: 4, previousEventId: 3, timestamp: at(1_270), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'quarantine-instance', input } },
    { id: 5, previousEventId: 3, timestamp: at(1_271), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'snapshot-volumes', input } },
    { id: 6, previousEventId: 4, timestamp: at(1_280), type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'eu-west-1', parameters: '{}' } },
    { id: 7, previousEventId: 5, timestamp: at(1_281), type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'eu-west-1', parameters: '{}' } },
    { id: 8, previousEventId: 6, timestamp: at(1_300), type: 'TaskStarted', taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' } },
    { id: 9, previousEventId: 7, timestamp: at(1_301), type: 'TaskStarted', taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' } },
    {
      id: 10,
      previousEventId: 8,
      timestamp: at(2_500),
      type: 'TaskFailed',
      taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'TransientResponderError', cause: 'ec2:DescribeInstances answered RequestLimitExceeded' },
    },
    { id: 11, previousEventId: 10, timestamp: at(4_500), type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'eu-west-1', parameters: '{}' } },
    { id: 12, previousEventId: 11, timestamp: at(4_520), type: 'TaskStarted', taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' } },
    { id: 13, previousEventId: 9, timestamp: at(5_100), type: 'TaskSucceeded', taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: lambdaOutput(snapshotResult) } },
    { id: 14, previousEventId: 13, timestamp: at(5_110), type: 'TaskStateExited', stateExitedEventDetails: { name: 'snapshot-volumes', output: '{}' } },
    {
      id: 15,
      previousEventId: 12,
      timestamp: at(6_400),
      type: 'TaskSucceeded',
      taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: lambdaOutput(quarantineResult(mode)) },
    },
    { id: 16, previousEventId: 15, timestamp: at(6_410), type: 'TaskStateExited', stateExitedEventDetails: { name: 'quarantine-instance', output: '{}' } },
    { id: 17, previousEventId: 16, timestamp: at(6_420), type: 'ParallelStateSucceeded' },
    { id: 18, previousEventId: 17, timestamp: at(6_430), type: 'ParallelStateExited', stateExitedEventDetails: { name: 'contain-and-preserve-evidence', output: '{}' } },
    { id: 19, previousEventId: 18, timestamp: at(6_440), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'notify', input: '{}' } },
    { id: 20, previousEventId: 19, timestamp: at(6_450), type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'eu-west-1', parameters: '{}' } },
    { id: 21, previousEventId: 20, timestamp: at(6_460), type: 'TaskStarted', taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' } },
    {
      id: 22,
      previousEventId: 21,
      timestamp: at(7_300),
      type: 'TaskSucceeded',
      taskSucceededEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        output: lambdaOutput({ responder: 'publish-alert', mode, status: 'published', idempotentReplay: false, actions: [] }),
      },
    },
    { id: 23, previousEventId: 22, timestamp: at(7_310), type: 'TaskStateExited', stateExitedEventDetails: { name: 'notify', output: '{}' } },
    { id: 24, previousEventId: 23, timestamp: at(7_320), type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: '{}' } },
  ];
}

/** The first `count` events of a history: the execution as a poll finds it while it runs. */
export function runningPart(events: readonly HistoryEvent[], count: number): HistoryEvent[] {
  return events.slice(0, count);
}

/** An execution whose quarantine step failed for good: the failure alert, then the Fail state. */
export function failedHistory(): HistoryEvent[] {
  const input = JSON.stringify({ incident: { key: 'gd-1', findingType: 'Backdoor:EC2/C&CActivity.B', sample: false }, mode: 'enforce', playbook: 'p' });
  return [
    { id: 1, timestamp: at(1_000), type: 'ExecutionStarted', executionStartedEventDetails: { input } },
    { id: 2, previousEventId: 1, timestamp: at(1_010), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'quarantine-instance' } },
    { id: 3, previousEventId: 2, timestamp: at(1_020), type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'eu-west-1', parameters: '{}' } },
    { id: 4, previousEventId: 3, timestamp: at(1_030), type: 'TaskStarted' },
    {
      id: 5,
      previousEventId: 4,
      timestamp: at(2_000),
      type: 'TaskFailed',
      taskFailedEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        error: 'ResponderAccessDeniedError',
        cause: 'ec2:ModifyNetworkInterfaceAttribute answered UnauthorizedOperation',
      },
    },
    { id: 6, previousEventId: 5, timestamp: at(2_010), type: 'TaskStateExited', stateExitedEventDetails: { name: 'quarantine-instance' } },
    { id: 7, previousEventId: 6, timestamp: at(2_020), type: 'FailStateEntered', stateEnteredEventDetails: { name: 'playbook-failed' } },
    {
      id: 8,
      previousEventId: 7,
      timestamp: at(2_030),
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'ResponderAccessDeniedError', cause: 'ec2:ModifyNetworkInterfaceAttribute answered UnauthorizedOperation' },
    },
  ];
}
