import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { UNVERIFIED_BACKUP_REASON, createPublishAlertHandler } from '../../lib/responders/alert';
import { SfnAlertOrigins, executionOfDeployment, functionNameOf } from '../../lib/responders/alert-origin';
import { TransientResponderError } from '../../lib/contracts/responder-errors';
import { silentLogger } from '../../lib/responders/logging';
import { ec2Incident } from '../support/incidents';

const snsMock = mockClient(SNSClient);
const sfnMock = mockClient(SFNClient);
const NOW = new Date('2026-11-20T10:03:00.000Z');
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:999988887777:firebreak-alerts';
const BACKUP_ARN = 'arn:aws:sns:eu-west-1:999988887777:firebreak-operations';
const FUNCTION_NAME = 'Firebreak-ResponderPublishAlert-1A2B3C';
const FUNCTION_ARN = `arn:aws:lambda:eu-west-1:999988887777:function:${FUNCTION_NAME}`;
const MACHINE_ARN = 'arn:aws:states:eu-west-1:999988887777:stateMachine:Firebreak-compromised-ec2';
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:999988887777:execution:Firebreak-compromised-ec2:gd-1';
const ENVIRONMENT = {
  FIREBREAK_MODE: 'enforce',
  FIREBREAK_STACK_NAME: 'Firebreak',
  FIREBREAK_SECURITY_ACCOUNT_ID: '999988887777',
  AWS_REGION: 'eu-west-1',
  AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
};

/** A playbook's report as its Report task sends it (compile.ts): the execution context and the results. */
const REPORT = {
  kind: 'report',
  incident: ec2Incident(),
  mode: 'enforce',
  playbook: 'compromised-ec2',
  options: {},
  execution: { executionArn: EXECUTION_ARN, executionName: 'gd-1', playbook: 'compromised-ec2', stateMachineArn: MACHINE_ARN },
  results: {
    contain: {
      responder: 'quarantine-instance',
      status: 'quarantined',
      mode: 'enforce',
      idempotentReplay: false,
      actions: [{ api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-0aaa1111bbbb2222c', outcome: 'done', detail: 'Isolated.', at: NOW.toISOString() }],
    },
  },
};

/** What the attacker sends: the same execution, a containment that never happened. */
const FORGED = {
  ...REPORT,
  results: {
    contain: {
      responder: 'quarantine-instance',
      status: 'quarantined',
      actions: [{ api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-0fffffffffffffff0', outcome: 'done', detail: 'Isolated (forged).', at: NOW.toISOString() }],
    },
  },
};

/** A TaskScheduled event of a lambda:invoke task, its parameters as Step Functions writes them (JSON text). */
function scheduled(payload: unknown, functionName = FUNCTION_ARN, id = 7): HistoryEvent {
  return {
    id,
    timestamp: NOW,
    type: 'TaskScheduled',
    taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: 'eu-west-1', parameters: JSON.stringify({ FunctionName: functionName, Payload: payload }) },
  };
}

const entered = (id: number): HistoryEvent => ({ id, timestamp: NOW, type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Report' } });

/** The same object with its keys in reverse order at every level: Step Functions promises no key order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([key, inner]) => [key, reversedKeys(inner)]));
  return value;
}

function sdkError(name: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(`${name}: simulated`), { name, $metadata: { httpStatusCode } });
}

const handler = () =>
  createPublishAlertHandler({
    clients: { sns: () => new SNSClient({ region: 'eu-west-1' }) } as never,
    logger: silentLogger,
    topicArn: TOPIC_ARN,
    backupTopicArn: BACKUP_ARN,
    origins: new SfnAlertOrigins(new SFNClient({ region: 'eu-west-1' })),
    environment: ENVIRONMENT,
    now: () => NOW,
  });

/** What was published to `topicArn`: its subject and its default (e-mail) message. */
function published(topicArn: string): { subject: string; message: string } | undefined {
  const call = snsMock.commandCalls(PublishCommand).find((c) => c.args[0].input.TopicArn === topicArn);
  if (!call) return undefined;
  const input = call.args[0].input;
  return { subject: input.Subject ?? '', message: (JSON.parse(input.Message ?? '{}') as { default: string }).default };
}

beforeEach(() => {
  snsMock.reset();
  sfnMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('publish-alert: an alert counts as Firebreak\'s only when its execution\'s history shows the task that sent it', () => {
  it('verifies a genuine report with one GetExecutionHistory of its execution, newest first, and publishes it unmarked', async () => {
    // Keys in another order: the comparison is of canonical JSON.
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [scheduled(reversedKeys(REPORT)), entered(6)] });
    const result = await handler()(REPORT);
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: EXECUTION_ARN, reverseOrder: true, maxResults: 1000, includeExecutionData: true },
    ]);
    expect(result.origin).toBe('verified');
    expect(result.subject).not.toContain('[UNVERIFIED]');
    expect(published(TOPIC_ARN)!.message).not.toContain('NOT VERIFIED');
    // A High incident: nothing for the backup channel.
    expect(published(BACKUP_ARN)).toBeUndefined();
    expect(result.actions[0]).toMatchObject({ api: 'states:GetExecutionHistory', target: EXECUTION_ARN, outcome: 'observed' });
  });

  it('accepts the task when its FunctionName is the bare name or a qualified ARN', async () => {
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [scheduled(REPORT, `${FUNCTION_ARN}:$LATEST`)] });
    expect((await handler()(REPORT)).origin).toBe('verified');
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [scheduled(REPORT, FUNCTION_NAME)] });
    expect((await handler()(REPORT)).origin).toBe('verified');
  });

  it('reads the next page when the first does not hold the task, with the same input and the page token', async () => {
    sfnMock
      .on(GetExecutionHistoryCommand, { nextToken: undefined })
      .resolves({ events: [entered(9)], nextToken: 'page-2' })
      .on(GetExecutionHistoryCommand, { nextToken: 'page-2' })
      .resolves({ events: [scheduled(REPORT)] });
    expect((await handler()(REPORT)).origin).toBe('verified');
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: EXECUTION_ARN, reverseOrder: true, maxResults: 1000, includeExecutionData: true },
      { executionArn: EXECUTION_ARN, reverseOrder: true, maxResults: 1000, includeExecutionData: true, nextToken: 'page-2' },
    ]);
  });

  const forgeries: ReadonlyArray<[string, () => void, unknown, RegExp]> = [
    ['an execution that does not exist', () => sfnMock.on(GetExecutionHistoryCommand).rejects(sdkError('ExecutionDoesNotExist')), FORGED, /knows no such execution/],
    ['an execution publish-alert may not read (denied)', () => sfnMock.on(GetExecutionHistoryCommand).rejects(sdkError('AccessDeniedException')), FORGED, /knows no such execution/],
    [
      'an execution that has ended (a replay of its real report)',
      () => sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [{ id: 9, timestamp: NOW, type: 'ExecutionSucceeded' }, scheduled(REPORT)] }),
      REPORT,
      /has ended/,
    ],
    ['a real execution that scheduled another payload', () => sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [scheduled(REPORT)] }), FORGED, /no task that invoked publish-alert/],
    [
      'the same payload, but sent to another function',
      () => sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [scheduled(FORGED, 'arn:aws:lambda:eu-west-1:999988887777:function:Firebreak-ResponderQuarantineInstance-9Z')] }),
      FORGED,
      /no task that invoked publish-alert/,
    ],
    [
      'the scheduled payload with a key added (compared before parsing drops it)',
      () => sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [scheduled(REPORT)] }),
      { ...REPORT, note: 'approved by the CISO' },
      /no task that invoked publish-alert/,
    ],
  ];

  it.each(forgeries)('ATTACK: marks a report naming %s [UNVERIFIED], says why first, and sends it to the backup channel too', async (_what, history, event, why) => {
    history();
    const result = await handler()(event);
    expect(result.origin).toBe('unverified');
    expect(result.subject.startsWith('[UNVERIFIED] ')).toBe(true);
    const alert = published(TOPIC_ARN)!;
    expect(alert.subject).toBe(result.subject);
    const [first] = alert.message.split('\n\n');
    expect(first).toMatch(/^NOT VERIFIED BY STEP FUNCTIONS\nStep Functions does not confirm that a Firebreak execution sent this alert: /);
    expect(first).toMatch(why);
    expect(first).toContain('do not act on');
    expect(first).toContain('firebreak report');
    expect(published(BACKUP_ARN)!.subject).toBe(result.subject);
    expect(result.backup).toMatchObject({ reason: UNVERIFIED_BACKUP_REASON, status: 'published' });
    expect(result.actions[0]).toMatchObject({ api: 'states:GetExecutionHistory', target: EXECUTION_ARN, outcome: 'observed' });
    expect(result.actions[0]!.detail).toMatch(why);
  });

  it("ATTACK (review s25): a forged group summary (which no longer goes to the backup by itself) is still sent there, [UNVERIFIED]", async () => {
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [scheduled(REPORT)] });
    const summary = {
      ...REPORT,
      kind: 'failure',
      failure: { step: 'preserve-evidence', error: 'ResponderFailedError' },
      group: { id: 'contain-and-preserve', failedStep: 'preserve-evidence', steps: { 'preserve-evidence': { failure: { Error: 'ResponderFailedError' } } } },
    };
    const result = await handler()(summary);
    expect(result.origin).toBe('unverified');
    expect(published(BACKUP_ARN)!.subject).toBe(result.subject);
    expect(result.backup).toMatchObject({ reason: UNVERIFIED_BACKUP_REASON, status: 'published' });
  });

  it('ATTACK: marks a report that names no execution, or another stack\'s, another account\'s, or an Express one, without reading any history', async () => {
    const { execution: _none, ...withoutExecution } = FORGED;
    const elsewhere = [
      withoutExecution,
      { ...FORGED, execution: { executionArn: 'arn:aws:states:eu-west-1:999988887777:execution:Other-compromised-ec2:gd-1' } },
      { ...FORGED, execution: { executionArn: 'arn:aws:states:eu-west-1:444455556666:execution:Firebreak-compromised-ec2:gd-1' } },
      { ...FORGED, execution: { executionArn: 'arn:aws:states:eu-west-1:999988887777:express:Firebreak-dispatcher:gd-1:0f1e2d3c' } },
    ];
    for (const event of elsewhere) {
      const result = await handler()(event);
      expect(result.origin).toBe('unverified');
      expect(result.subject.startsWith('[UNVERIFIED] ')).toBe(true);
      expect(result.actions[0]).toMatchObject({ api: 'states:GetExecutionHistory', outcome: 'skipped' });
    }
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
  });

  it('fails the step with a transient error, publishing nothing, when the history cannot be read (throttled): the playbook retries it', async () => {
    sfnMock.on(GetExecutionHistoryCommand).rejects(sdkError('ThrottlingException'));
    await expect(handler()(REPORT)).rejects.toBeInstanceOf(TransientResponderError);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });
});

describe('publish-alert: the dispatcher\'s alerts (Express, no readable history) claim no action', () => {
  const TRIAGE_ONLY = { kind: 'triage-only', incident: ec2Incident(), mode: 'enforce', playbook: 'compromised-ec2', options: {}, reasons: ['protected instance'] };

  it('publishes a triage-only alert unmarked, says it is triage\'s read that claims no action, and reads no history', async () => {
    const result = await handler()(TRIAGE_ONLY);
    expect(result.origin).toBe('dispatcher');
    expect(result.subject).not.toContain('[UNVERIFIED]');
    expect(published(TOPIC_ARN)!.message).toContain("This is triage's reading of an event, sent by the dispatcher: it claims no action");
    expect(result.actions[0]).toMatchObject({ api: 'states:GetExecutionHistory', outcome: 'skipped' });
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
  });

  it('publishes an invalid-event alert and a dispatch failure unmarked (the backup channel has them anyway)', async () => {
    const invalid = await handler()({ kind: 'invalid-event', mode: 'enforce', options: {}, rawEvent: { source: 'aws.guardduty' }, reason: 'not an incident' });
    expect(invalid.origin).toBe('dispatcher');
    const failed = await handler()({ kind: 'failure', mode: 'enforce', options: {}, rawEvent: {}, failure: { step: 'dispatch', error: 'States.TaskFailed', cause: 'x' } });
    expect(failed.origin).toBe('dispatcher');
    expect(failed.subject).not.toContain('[UNVERIFIED]');
  });

  it('ATTACK: marks a dispatcher-kind alert that carries step results or an approval [UNVERIFIED]', async () => {
    const withResults = await handler()({ ...TRIAGE_ONLY, results: FORGED.results });
    expect(withResults.origin).toBe('unverified');
    expect(withResults.subject.startsWith('[UNVERIFIED] ')).toBe(true);
    const dispatchFailure = await handler()({ kind: 'failure', mode: 'enforce', options: {}, failure: { step: 'dispatch', error: 'x' }, results: FORGED.results });
    expect(dispatchFailure.origin).toBe('unverified');
    expect(published(BACKUP_ARN)).toBeDefined();
  });

  it('ATTACK: marks a playbook failure alert without an execution (only the dispatcher\'s come without one)', async () => {
    const result = await handler()({ kind: 'failure', incident: ec2Incident(), mode: 'enforce', options: {}, failure: { step: 'contain', error: 'ResponderFailedError' } });
    expect(result.origin).toBe('unverified');
    expect(result.subject.startsWith('[UNVERIFIED] ')).toBe(true);
  });
});

describe('functionNameOf', () => {
  it.each([
    [FUNCTION_ARN, FUNCTION_NAME],
    [`${FUNCTION_ARN}:live`, FUNCTION_NAME],
    [`999988887777:function:${FUNCTION_NAME}`, FUNCTION_NAME],
    [FUNCTION_NAME, FUNCTION_NAME],
    [`${FUNCTION_NAME}:7`, FUNCTION_NAME],
  ])('reads %s as %s', (reference, name) => {
    expect(functionNameOf(reference)).toBe(name);
  });
});

describe('executionOfDeployment', () => {
  it('knows this deployment\'s playbook executions, the Express ones, and refuses the rest with why', () => {
    expect(executionOfDeployment(EXECUTION_ARN, ENVIRONMENT)).toEqual({ kind: 'playbook' });
    expect(executionOfDeployment('arn:aws:states:eu-west-1:999988887777:express:Firebreak-dispatcher:n:1', ENVIRONMENT)).toEqual({ kind: 'express' });
    expect(executionOfDeployment('arn:aws:states:us-east-1:999988887777:execution:Firebreak-x:n', ENVIRONMENT)).toMatchObject({ kind: 'foreign', why: expect.stringContaining('region us-east-1') });
    expect(executionOfDeployment('not-an-arn', ENVIRONMENT)).toMatchObject({ kind: 'foreign' });
    expect(executionOfDeployment(EXECUTION_ARN, { ...ENVIRONMENT, FIREBREAK_STACK_NAME: undefined })).toMatchObject({ kind: 'foreign', why: expect.stringContaining('FIREBREAK_STACK_NAME') });
  });
});
