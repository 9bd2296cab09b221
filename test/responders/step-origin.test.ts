import { CreateSnapshotsCommand, DescribeInstancesCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { StepOriginRefusedError, TransientResponderError } from '../../lib/contracts/responder-errors';
import { SfnInvocationOrigins } from '../../lib/responders/invocation-origin';
import { silentLogger } from '../../lib/responders/logging';
import { KmsMac } from '../../lib/responders/record-integrity';
import { createSnapshotVolumesHandler } from '../../lib/responders/snapshot';
import { createCopyEvidenceHandler } from '../../lib/responders/snapshot-copy';
import { DynamoDbCustodyStore } from '../../lib/responders/snapshot-custody';
import { runAttempt } from '../../lib/responders/attempt-actions';
import { INSTANCE_ID, REGION, ec2Incident, ec2Resource } from '../support/incidents';
import { InMemoryEvidenceRecords } from '../support/evidence-records';

const ec2Mock = mockClient(EC2Client);
const sfnMock = mockClient(SFNClient);
const NOW = new Date('2026-11-20T10:02:00.000Z');
const SECURITY = '999988887777';
const SNAPSHOT_FUNCTION = 'Firebreak-ResponderSnapshotVolumes-1A2B3C';
const COPY_FUNCTION = 'Firebreak-ResponderCopyEvidence-4D5E6F';
const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${SECURITY}:function:${name}`;
const MACHINE_ARN = `arn:aws:states:${REGION}:${SECURITY}:stateMachine:Firebreak-compromised-ec2-instance`;
const EXECUTION_ARN = `arn:aws:states:${REGION}:${SECURITY}:execution:Firebreak-compromised-ec2-instance:gd-1`;
const environment = (functionName: string) => ({
  FIREBREAK_MODE: 'enforce',
  FIREBREAK_STACK_NAME: 'Firebreak',
  FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY,
  AWS_REGION: REGION,
  AWS_LAMBDA_FUNCTION_NAME: functionName,
});

/** The payload a playbook's evidence step sends (compile.ts): the incident, the mode, the step's options and the execution context. */
function stepPayload(options: Record<string, unknown>, executionArn: string = EXECUTION_ARN, incident = ec2Incident()): Record<string, unknown> {
  return {
    incident,
    mode: 'enforce',
    options,
    execution: { executionArn, executionName: executionArn.split(':').at(-1), playbook: 'compromised-ec2-instance', stateMachineArn: MACHINE_ARN },
  };
}
const SNAPSHOT_STEP = stepPayload({ tags: {} });
const COPY_STEP = stepPayload({ waitMinutes: 120 });

/** A TaskScheduled event of a lambda:invoke task, its parameters as Step Functions writes them (JSON text). */
function scheduled(id: number, functionName: string, payload: unknown): HistoryEvent {
  return {
    id,
    type: 'TaskScheduled',
    timestamp: NOW,
    taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: REGION, parameters: JSON.stringify({ FunctionName: functionArn(functionName), Payload: payload }) },
  };
}
const started: HistoryEvent = { id: 1, type: 'ExecutionStarted', timestamp: NOW };

/** The execution's history, newest first, as GetExecutionHistory answers with reverseOrder. */
function givenHistory(events: HistoryEvent[]): void {
  sfnMock.on(GetExecutionHistoryCommand).resolves({ events });
}

const sdkError = (name: string, httpStatusCode = 400) => Object.assign(new Error(`${name}: simulated`), { name, $metadata: { httpStatusCode } });

const ec2 = new EC2Client({ region: REGION });
const origins = new SfnInvocationOrigins(new SFNClient({ region: REGION }));
const snapshotHandler = createSnapshotVolumesHandler({ clients: { ec2: async () => ec2 }, records: new InMemoryEvidenceRecords(), origins, logger: silentLogger, environment: environment(SNAPSHOT_FUNCTION), now: () => NOW });
const copyHandler = createCopyEvidenceHandler({
  clients: { ec2: async () => ec2 },
  forensic: { ec2: async () => ec2 },
  custody: new DynamoDbCustodyStore(new DynamoDBClient({ region: REGION }), 'state', new KmsMac(new KMSClient({ region: REGION }), 'arn:aws:kms:eu-west-1:999988887777:key/record')),
  evidence: new InMemoryEvidenceRecords(),
  target: { accountId: '444455556666', roleName: 'FirebreakForensicCopier', kmsKeyArn: `arn:aws:kms:${REGION}:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab` },
  origins,
  logger: silentLogger,
  environment: environment(COPY_FUNCTION),
  now: () => NOW,
});

/** The one history read the check makes: newest first, with the tasks' parameters. */
const HISTORY_READ = { executionArn: EXECUTION_ARN, reverseOrder: true, maxResults: 1000, includeExecutionData: true };

beforeEach(() => {
  ec2Mock.reset();
  sfnMock.reset();
  ec2Mock.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: [{ InstanceId: INSTANCE_ID, State: { Code: 16, Name: 'running' }, RootDeviceName: '/dev/xvda', BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-0root000000000001', Status: 'attached' } }] }] }],
  });
  ec2Mock.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
  ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' }] });
});

describe('snapshot-volumes proves its invocation came from a running playbook execution', () => {
  it("snapshots for the task its running execution's history scheduled with exactly this input (one GetExecutionHistory, exact input)", async () => {
    givenHistory([scheduled(3, SNAPSHOT_FUNCTION, SNAPSHOT_STEP), scheduled(2, 'Firebreak-ResponderContainmentGuard-9Z', { other: true }), started]);

    const result = await snapshotHandler(JSON.parse(JSON.stringify(SNAPSHOT_STEP)));

    expect(result.status).toBe('snapshotted');
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand).map((call) => call.args[0].input)).toEqual([HISTORY_READ]);
    expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(1);
  });

  it('acts on a retry of the same task: Step Functions scheduled it again with the same payload', async () => {
    givenHistory([
      scheduled(6, SNAPSHOT_FUNCTION, SNAPSHOT_STEP),
      { id: 5, type: 'TaskFailed', timestamp: NOW, taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error: 'TransientResponderError' } },
      { id: 4, type: 'TaskStarted', timestamp: NOW },
      scheduled(3, SNAPSHOT_FUNCTION, SNAPSHOT_STEP),
      started,
    ]);

    expect((await snapshotHandler(SNAPSHOT_STEP)).status).toBe('snapshotted');
  });

  it('ATTACK: a direct invocation naming no execution is refused before any call, and nothing is snapshotted', async () => {
    const { execution: _none, ...direct } = SNAPSHOT_STEP;

    const refusal = snapshotHandler(direct);

    await expect(refusal).rejects.toBeInstanceOf(StepOriginRefusedError);
    await expect(refusal).rejects.toThrow(/snapshot-volumes refused this invocation: .*names no execution.*no volume was snapshotted and no EC2 call was made/);
    expect(sfnMock.calls()).toHaveLength(0);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('ATTACK: naming an ended execution (its history shows this very task) is refused: the copy of an earlier input, sent again', async () => {
    givenHistory([{ id: 5, type: 'ExecutionSucceeded', timestamp: NOW }, scheduled(3, SNAPSHOT_FUNCTION, SNAPSHOT_STEP), started]);

    await expect(snapshotHandler(SNAPSHOT_STEP)).rejects.toThrow(/StepOriginRefusedError|the execution has ended/);
    await expect(snapshotHandler(SNAPSHOT_STEP)).rejects.toBeInstanceOf(StepOriginRefusedError);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it("ATTACK: another state machine's execution is refused without reading its history, and nothing is snapshotted", async () => {
    const other = `arn:aws:states:${REGION}:${SECURITY}:execution:Attacker-callback:gd-1`;
    const payload = stepPayload({ tags: {} }, other);

    await expect(snapshotHandler(payload)).rejects.toThrow(/state machine Attacker-callback is not one of this deployment's playbooks/);
    expect(sfnMock.calls()).toHaveLength(0);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('ATTACK: an execution IAM does not let it read, or one that does not exist, is refused', async () => {
    for (const code of ['AccessDeniedException', 'ExecutionDoesNotExist']) {
      sfnMock.reset();
      sfnMock.on(GetExecutionHistoryCommand).rejects(sdkError(code));
      await expect(snapshotHandler(SNAPSHOT_STEP)).rejects.toThrow(/knows no such execution of this deployment \(or does not let snapshot-volumes read it\)/);
    }
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('ATTACK: a running execution whose history scheduled the step for another instance is refused: another input, nothing snapshotted', async () => {
    const genuine = stepPayload({ tags: {} }, EXECUTION_ARN, ec2Incident({ resource: ec2Resource({ instanceId: 'i-0ffffffffffffffff' }) }));
    givenHistory([scheduled(3, SNAPSHOT_FUNCTION, genuine), started]);

    await expect(snapshotHandler(SNAPSHOT_STEP)).rejects.toThrow(/history shows no task that invoked snapshot-volumes with this input's exact content/);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('ATTACK: a task of the execution that invoked another function with this payload is not this one', async () => {
    givenHistory([scheduled(3, COPY_FUNCTION, SNAPSHOT_STEP), started]);

    await expect(snapshotHandler(SNAPSHOT_STEP)).rejects.toBeInstanceOf(StepOriginRefusedError);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('a history Step Functions cannot read now (throttled) is no refusal: TransientResponderError, for the playbook to retry; nothing snapshotted yet', async () => {
    sfnMock.on(GetExecutionHistoryCommand).rejects(sdkError('ThrottlingException'));

    await expect(snapshotHandler(SNAPSHOT_STEP)).rejects.toBeInstanceOf(TransientResponderError);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('writes the refusal into the attempt\'s actions, for the incident record', async () => {
    const { execution: _none, ...direct } = SNAPSHOT_STEP;

    const attempt = await runAttempt(() => snapshotHandler(direct), () => NOW);

    expect(attempt.ok).toBe(false);
    expect(attempt.ok ? [] : attempt.actions).toEqual([expect.objectContaining({ api: 'states:GetExecutionHistory', target: '(no execution)', outcome: 'skipped' })]);
  });

  it("tells the incident record whether the attempt's origin was confirmed: its own execution's task is, a direct invocation is not (row 17d)", async () => {
    givenHistory([scheduled(3, SNAPSHOT_FUNCTION, SNAPSHOT_STEP), started]);
    const { execution: _none, ...direct } = SNAPSHOT_STEP;

    const genuine = await runAttempt(() => snapshotHandler(SNAPSHOT_STEP), () => NOW);
    const refused = await runAttempt(() => snapshotHandler(direct), () => NOW);

    expect([genuine.originVerified, refused.originVerified]).toEqual([true, false]);
  });
});

describe('copy-evidence proves its invocation came from a running playbook execution', () => {
  it("runs for the task its running execution's history scheduled with exactly this input (exact GetExecutionHistory input)", async () => {
    givenHistory([scheduled(9, COPY_FUNCTION, COPY_STEP), scheduled(3, SNAPSHOT_FUNCTION, SNAPSHOT_STEP), started]);
    // An instance with no EBS volume: there is no evidence to find (row 3x fails the step for a volume without any).
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: INSTANCE_ID, State: { Code: 16, Name: 'running' }, BlockDeviceMappings: [] }] }] });

    const result = await copyHandler(COPY_STEP);

    // The member account holds no evidence in this test: the step ran and found none to copy.
    expect(result.status).toBe('no-evidence');
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand).map((call) => call.args[0].input)).toEqual([HISTORY_READ]);
    // By the incident's tags, then by snapshot-volumes' description (row 3x).
    expect(ec2Mock.commandCalls(DescribeSnapshotsCommand)).toHaveLength(2);
  });

  it('ATTACK: a direct invocation (no execution, an ended one, another instance) shares and copies nothing, and calls EC2 not at all', async () => {
    const { execution: _none, ...direct } = COPY_STEP;
    await expect(copyHandler(direct)).rejects.toThrow(/copy-evidence refused this invocation: .*no snapshot was shared or copied/);

    givenHistory([{ id: 12, type: 'ExecutionFailed', timestamp: NOW }, scheduled(9, COPY_FUNCTION, COPY_STEP), started]);
    await expect(copyHandler(COPY_STEP)).rejects.toThrow(/the execution has ended/);

    const otherInstance = stepPayload({ waitMinutes: 120 }, EXECUTION_ARN, ec2Incident({ resource: ec2Resource({ instanceId: 'i-0ffffffffffffffff' }) }));
    givenHistory([scheduled(9, COPY_FUNCTION, COPY_STEP), started]);
    await expect(copyHandler(otherInstance)).rejects.toBeInstanceOf(StepOriginRefusedError);

    expect(ec2Mock.calls()).toHaveLength(0);
  });
});
