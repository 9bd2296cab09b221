import {
  AssociateIamInstanceProfileCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../lib/incident/model';
import { TransientResponderError } from '../../lib/responders/errors';
import { silentLogger } from '../../lib/responders/logging';
import type { ResponderMode } from '../../lib/responders/model';
import { quarantineInstance } from '../../lib/responders/quarantine';
import type { QuarantineRecord } from '../../lib/responders/quarantine-records';
import { DynamoDbQuarantineRecordStore, InMemoryQuarantineRecordStore, quarantineRecordKey } from '../../lib/responders/quarantine-records';
import type { ReleaseOptions } from '../../lib/responders/release';
import { releaseInstance } from '../../lib/responders/release';
import type { ResponderInput, ResponderRequest } from '../../lib/responders/responder-input';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident, ec2Resource } from '../support/incidents';
import type { InstanceShape } from './quarantine-fixtures';
import {
  APP_SG,
  DATA_VOLUME,
  DB_SG,
  ENI_A,
  ENI_B,
  ISOLATION_SG,
  MON_SG,
  MUTATING_EC2_COMMANDS,
  PROFILE_ARN,
  ROOT_VOLUME,
  TestClientFactory,
  givenGroups,
  givenInstance,
  givenMutationsSucceed,
  inputsOf,
  recordOfDefaultInstance,
  sdkError,
} from './quarantine-fixtures';

const ec2Mock = mockClient(EC2Client);
const QUARANTINED_AT = '2026-11-20T10:02:00.000Z';
const NOW = new Date('2026-11-27T16:30:00.000Z');
const QUARANTINE_KEY = ec2Incident().key;
const RELEASE_KEY = 'release-i-0abc1234def567890-20261127';
/** Who ran `firebreak release`, and why (the manual playbook passes it to the step as `request`). */
const ALICE = 'arn:aws:sts::111122223333:assumed-role/incident-responder/alice';
const REQUEST: ResponderRequest = { requestedBy: ALICE, reason: 'Investigation closed: the traffic was a scheduled scan' };

/** What quarantine recorded for the default fixture instance. */
const RECORD: QuarantineRecord = recordOfDefaultInstance(QUARANTINE_KEY, QUARANTINED_AT);

/** The fixture instance as quarantine leaves it. */
const QUARANTINED: InstanceShape = {
  enis: [
    { id: ENI_A, groups: [ISOLATION_SG] },
    { id: ENI_B, groups: [ISOLATION_SG] },
  ],
  profileArn: undefined,
  terminationProtection: true,
  shutdownBehavior: 'stop',
  volumes: [
    { device: '/dev/xvda', volumeId: ROOT_VOLUME, deleteOnTermination: false },
    { device: '/dev/sdb', volumeId: DATA_VOLUME, deleteOnTermination: false },
  ],
  tags: {
    Name: 'web-1',
    'firebreak:incident': QUARANTINE_KEY,
    'firebreak:status': 'quarantined',
    'firebreak:quarantined-at': QUARANTINED_AT,
  },
};

let clients: TestClientFactory;
let records: InMemoryQuarantineRecordStore;

function input(
  overrides: { incident?: Partial<Incident>; mode?: ResponderMode; options?: Partial<ReleaseOptions>; request?: ResponderRequest } = {},
): ResponderInput<ReleaseOptions> {
  return {
    incident: ec2Incident({ key: RELEASE_KEY, ...overrides.incident }),
    mode: overrides.mode ?? 'enforce',
    options: { restoreInstanceProfile: true, ...overrides.options },
    ...(overrides.request ? { request: overrides.request } : {}),
  };
}

function release(i: ResponderInput<ReleaseOptions> = input()) {
  return releaseInstance(i, { clients, logger: silentLogger, records, now: () => NOW });
}

function mutatingCallCount(): number {
  return MUTATING_EC2_COMMANDS.reduce((n, command) => n + ec2Mock.commandCalls(command as never).length, 0);
}

beforeEach(async () => {
  ec2Mock.reset();
  clients = new TestClientFactory();
  records = new InMemoryQuarantineRecordStore();
  givenMutationsSucceed(ec2Mock);
});

afterEach(() => {
  ec2Mock.reset();
});

describe('releaseInstance', () => {
  describe('on an instance quarantined by Firebreak', () => {
    beforeEach(async () => {
      await records.saveIfAbsent(RECORD);
      givenInstance(ec2Mock, QUARANTINED);
    });

    it('puts every ENI back in exactly its recorded groups', async () => {
      const result = await release();
      const moves = inputsOf<{ NetworkInterfaceId: string }>(ec2Mock, ModifyNetworkInterfaceAttributeCommand);
      expect([...moves].sort((a, b) => a.NetworkInterfaceId.localeCompare(b.NetworkInterfaceId))).toEqual([
        { NetworkInterfaceId: ENI_A, Groups: [APP_SG] },
        { NetworkInterfaceId: ENI_B, Groups: [DB_SG, MON_SG] },
      ]);
      expect(result).toMatchObject({
        status: 'released',
        idempotentReplay: false,
        instanceId: INSTANCE_ID,
        networkInterfaces: [
          { id: ENI_A, groupsRestored: [APP_SG] },
          { id: ENI_B, groupsRestored: [DB_SG, MON_SG] },
        ],
        instanceProfileArn: PROFILE_ARN,
        preQuarantine: { ...RECORD, released: false },
      });
    });

    it('restores the protections to their recorded values, one attribute per call', async () => {
      await release();
      expect(inputsOf(ec2Mock, ModifyInstanceAttributeCommand)).toEqual([
        { InstanceId: INSTANCE_ID, DisableApiTermination: { Value: false } },
        { InstanceId: INSTANCE_ID, InstanceInitiatedShutdownBehavior: { Value: 'terminate' } },
        { InstanceId: INSTANCE_ID, BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: true } }] },
      ]);
    });

    it('re-associates the recorded instance profile', async () => {
      await release();
      expect(inputsOf(ec2Mock, AssociateIamInstanceProfileCommand)).toEqual([
        { IamInstanceProfile: { Arn: PROFILE_ARN }, InstanceId: INSTANCE_ID },
      ]);
    });

    it('tags the instance released and removes the quarantine tags it did not have before', async () => {
      await release();
      expect(inputsOf(ec2Mock, CreateTagsCommand)).toEqual([
        {
          Resources: [INSTANCE_ID],
          Tags: [
            { Key: 'firebreak:status', Value: 'released' },
            { Key: 'firebreak:released-at', Value: NOW.toISOString() },
          ],
        },
      ]);
      expect(inputsOf(ec2Mock, DeleteTagsCommand)).toEqual([
        { Resources: [INSTANCE_ID], Tags: [{ Key: 'firebreak:incident' }, { Key: 'firebreak:quarantined-at' }] },
      ]);
    });

    it('records who released the instance and why, and says so in its result and last action', async () => {
      const result = await release(input({ request: REQUEST }));
      expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toEqual({
        ...RECORD,
        released: true,
        releasedAt: NOW.toISOString(),
        releasedBy: ALICE,
        releaseReason: REQUEST.reason,
      });
      expect(result).toMatchObject({ status: 'released', releasedBy: ALICE, releaseReason: REQUEST.reason });
      expect(result.actions.at(-1)).toEqual({
        api: 'firebreak:mark-released',
        target: INSTANCE_ID,
        outcome: 'done',
        detail: `Marked the pre-quarantine record released at ${NOW.toISOString()} by ${ALICE}, reason: ${REQUEST.reason}`,
        at: expect.any(String) as unknown,
      });
    });

    it('records no reason when the person gave none', async () => {
      const result = await release(input({ request: { requestedBy: ALICE, reason: null } }));
      const stored = await records.get(ACCOUNT, REGION, INSTANCE_ID);
      expect(stored).toMatchObject({ released: true, releasedBy: ALICE });
      expect(stored).not.toHaveProperty('releaseReason');
      expect(result).not.toHaveProperty('releaseReason');
      expect(result.actions.at(-1)?.detail).toMatch(new RegExp(`by ${ALICE}, no reason given$`));
    });

    it('records the release incident key as releasedBy when the input says no person', async () => {
      const result = await release();
      expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toEqual({
        ...RECORD,
        released: true,
        releasedAt: NOW.toISOString(),
        releasedBy: RELEASE_KEY,
      });
      expect(result.releasedBy).toBe(RELEASE_KEY);
    });

    it('says who released it, and why, when asked again', async () => {
      await release(input({ request: REQUEST }));
      const again = await release(input({ request: { requestedBy: 'arn:aws:iam::111122223333:user/bob', reason: null } }));
      expect(again.actions).toEqual([
        expect.objectContaining({
          api: 'firebreak:read-pre-quarantine-state',
          outcome: 'already-done',
          detail: `Already released at ${NOW.toISOString()} (by ${ALICE}, reason: ${REQUEST.reason}); nothing changed`,
        }),
      ]);
    });

    it('changes nothing the second time and says so', async () => {
      await release();
      ec2Mock.resetHistory();
      const again = await release();
      expect(again).toMatchObject({ status: 'already-released', idempotentReplay: true });
      expect(ec2Mock.calls()).toHaveLength(0);
    });

    it('restores the network before the rest, and marks the record only at the end', async () => {
      const result = await release();
      const sent = clients.sent;
      expect(sent.lastIndexOf('ec2:ModifyNetworkInterfaceAttribute')).toBeLessThan(sent.indexOf('ec2:ModifyInstanceAttribute'));
      expect(result.actions.at(-1)).toMatchObject({ api: 'firebreak:mark-released', outcome: 'done' });
    });

    it('leaves the record unreleased when a call fails, so a retry finishes the job', async () => {
      ec2Mock.on(AssociateIamInstanceProfileCommand).rejects(sdkError('RequestLimitExceeded', 503));
      await expect(release()).rejects.toBeInstanceOf(TransientResponderError);
      expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.released).toBe(false);
    });
  });

  it('restores the firebreak tags an instance had before quarantine instead of removing them', async () => {
    const tags = { 'firebreak:incident': 'gd-older', 'firebreak:quarantined-at': '2026-01-01T00:00:00.000Z', 'firebreak:status': 'released' };
    await records.saveIfAbsent({ ...RECORD, tags });
    givenInstance(ec2Mock, QUARANTINED);
    await release();
    expect(inputsOf(ec2Mock, CreateTagsCommand)).toEqual([
      {
        Resources: [INSTANCE_ID],
        Tags: [
          { Key: 'firebreak:status', Value: 'released' },
          { Key: 'firebreak:released-at', Value: NOW.toISOString() },
          { Key: 'firebreak:incident', Value: 'gd-older' },
          { Key: 'firebreak:quarantined-at', Value: '2026-01-01T00:00:00.000Z' },
        ],
      },
    ]);
    expect(ec2Mock.commandCalls(DeleteTagsCommand)).toHaveLength(0);
  });

  it('undoes a real quarantine: every value quarantine changed goes back to what it was', async () => {
    // Quarantine the default fixture instance, then release it as quarantine left it.
    givenInstance(ec2Mock);
    givenGroups(ec2Mock);
    await quarantineInstance(
      { incident: ec2Incident(), mode: 'enforce', options: { detachInstanceProfile: true, revokeRoleSessions: false } },
      { clients, logger: silentLogger, records, now: () => new Date(QUARANTINED_AT) },
    );
    const quarantineProtections = inputsOf(ec2Mock, ModifyInstanceAttributeCommand);
    ec2Mock.reset();
    givenMutationsSucceed(ec2Mock);
    givenInstance(ec2Mock, QUARANTINED);
    await release();
    const moves = inputsOf<{ NetworkInterfaceId: string; Groups: string[] }>(ec2Mock, ModifyNetworkInterfaceAttributeCommand);
    expect(Object.fromEntries(moves.map((m) => [m.NetworkInterfaceId, m.Groups]))).toEqual({ [ENI_A]: [APP_SG], [ENI_B]: [DB_SG, MON_SG] });
    // Each protection quarantine switched on is switched back, on the same attribute.
    expect(quarantineProtections).toEqual([
      { InstanceId: INSTANCE_ID, DisableApiTermination: { Value: true } },
      { InstanceId: INSTANCE_ID, InstanceInitiatedShutdownBehavior: { Value: 'stop' } },
      { InstanceId: INSTANCE_ID, BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: false } }] },
    ]);
    expect(inputsOf(ec2Mock, ModifyInstanceAttributeCommand)).toEqual([
      { InstanceId: INSTANCE_ID, DisableApiTermination: { Value: false } },
      { InstanceId: INSTANCE_ID, InstanceInitiatedShutdownBehavior: { Value: 'terminate' } },
      { InstanceId: INSTANCE_ID, BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: true } }] },
    ]);
    expect(inputsOf(ec2Mock, AssociateIamInstanceProfileCommand)).toEqual([{ IamInstanceProfile: { Arn: PROFILE_ARN }, InstanceId: INSTANCE_ID }]);
  });

  describe('what it leaves alone', () => {
    beforeEach(async () => {
      await records.saveIfAbsent(RECORD);
    });

    it('does not replace a profile someone associated since the quarantine', async () => {
      givenInstance(ec2Mock, { ...QUARANTINED, profileArn: 'arn:aws:iam::111122223333:instance-profile/forensics' });
      const result = await release();
      expect(ec2Mock.commandCalls(AssociateIamInstanceProfileCommand)).toHaveLength(0);
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'ec2:AssociateIamInstanceProfile', outcome: 'skipped' }));
    });

    it('keeps the profile off when restoreInstanceProfile is off (the role itself was compromised)', async () => {
      givenInstance(ec2Mock, QUARANTINED);
      const result = await release(input({ options: { restoreInstanceProfile: false } }));
      expect(ec2Mock.commandCalls(AssociateIamInstanceProfileCommand)).toHaveLength(0);
      expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(2);
      expect(result.instanceProfileArn).toBeUndefined();
    });

    it('skips an ENI detached since the quarantine and restores the others', async () => {
      givenInstance(ec2Mock, { ...QUARANTINED, enis: [{ id: ENI_A, groups: [ISOLATION_SG] }] });
      const result = await release();
      expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand)).toEqual([{ NetworkInterfaceId: ENI_A, Groups: [APP_SG] }]);
      expect(result.actions).toContainEqual(
        expect.objectContaining({ api: 'ec2:ModifyNetworkInterfaceAttribute', target: ENI_B, outcome: 'skipped' }),
      );
    });

    it('sends no call for values already as recorded', async () => {
      givenInstance(ec2Mock, { ...QUARANTINED, enis: [{ id: ENI_A, groups: [APP_SG] }, { id: ENI_B, groups: [MON_SG, DB_SG] }], terminationProtection: false });
      await release();
      expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
      expect(inputsOf<{ DisableApiTermination?: unknown }>(ec2Mock, ModifyInstanceAttributeCommand).some((c) => c.DisableApiTermination)).toBe(false);
    });
  });

  describe('when there is nothing to release', () => {
    it('changes nothing without a record: status no-record', async () => {
      givenInstance(ec2Mock, QUARANTINED);
      const result = await release();
      expect(result).toMatchObject({ status: 'no-record', instanceId: INSTANCE_ID });
      expect(ec2Mock.calls()).toHaveLength(0);
    });

    it('reports a terminated instance and leaves its record unreleased', async () => {
      await records.saveIfAbsent(RECORD);
      givenInstance(ec2Mock, { ...QUARANTINED, state: 'terminated' });
      expect((await release()).status).toBe('terminated');
      expect(mutatingCallCount()).toBe(0);
      expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.released).toBe(false);
    });

    it('reports an instance EC2 no longer knows as not-found', async () => {
      await records.saveIfAbsent(RECORD);
      givenInstance(ec2Mock, QUARANTINED);
      ec2Mock.on(DescribeInstancesCommand).rejects(sdkError('InvalidInstanceID.NotFound'));
      expect((await release()).status).toBe('not-found');
      expect(mutatingCallCount()).toBe(0);
    });

    it('makes no call at all for a sample finding or a placeholder id', async () => {
      await records.saveIfAbsent(RECORD);
      givenInstance(ec2Mock, QUARANTINED);
      expect((await release(input({ incident: { sample: true } }))).status).toBe('skipped-sample');
      expect((await release(input({ incident: { resource: ec2Resource({ instanceId: 'i-99999999' }) } }))).status).toBe('skipped-sample');
      expect(ec2Mock.calls()).toHaveLength(0);
    });
  });

  describe('dry-run', () => {
    beforeEach(async () => {
      await records.saveIfAbsent(RECORD);
      givenInstance(ec2Mock, QUARANTINED);
    });

    it('probes every EC2 change with DryRun: true, does not associate the profile, does not mark the record', async () => {
      for (const command of MUTATING_EC2_COMMANDS) ec2Mock.on(command as typeof CreateTagsCommand).rejects(sdkError('DryRunOperation', 412));
      const result = await release(input({ mode: 'dry-run' }));
      expect(result.status).toBe('dry-run');
      const probes = [ModifyNetworkInterfaceAttributeCommand, ModifyInstanceAttributeCommand, CreateTagsCommand, DeleteTagsCommand].flatMap(
        (command) => inputsOf<{ DryRun?: boolean }>(ec2Mock, command),
      );
      expect(probes).toHaveLength(2 + 3 + 1 + 1);
      expect(probes.every((p) => p.DryRun === true)).toBe(true);
      expect(ec2Mock.commandCalls(AssociateIamInstanceProfileCommand)).toHaveLength(0);
      expect(result.actions).toContainEqual(
        expect.objectContaining({ api: 'ec2:AssociateIamInstanceProfile', outcome: 'would-do', detail: expect.stringContaining('not probed') }),
      );
      expect(result.actions).toContainEqual(
        expect.objectContaining({ api: 'firebreak:mark-released', outcome: 'would-do', detail: 'Would mark the pre-quarantine record released by release-i-0abc1234def567890-20261127, no reason given' }),
      );
      expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.released).toBe(false);
    });

    it('reports the calls IAM would deny as would-be-denied', async () => {
      for (const command of MUTATING_EC2_COMMANDS) ec2Mock.on(command as typeof CreateTagsCommand).rejects(sdkError('DryRunOperation', 412));
      ec2Mock.on(ModifyNetworkInterfaceAttributeCommand).rejects(sdkError('UnauthorizedOperation', 403));
      const result = await release(input({ mode: 'dry-run' }));
      expect(result.actions.filter((a) => a.api === 'ec2:ModifyNetworkInterfaceAttribute').map((a) => a.outcome)).toEqual([
        'would-be-denied',
        'would-be-denied',
      ]);
    });
  });
});

describe('releaseInstance with the DynamoDB record store', () => {
  const dynamoMock = mockClient(DynamoDBClient);
  const TABLE = 'firebreak-state';

  beforeEach(() => {
    dynamoMock.reset();
    givenInstance(ec2Mock, QUARANTINED);
    dynamoMock.on(GetItemCommand).resolves({
      Item: {
        pk: { S: quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID) },
        released: { BOOL: false },
        record: { S: JSON.stringify({ ...RECORD, released: false }) },
      },
    });
    dynamoMock.on(UpdateItemCommand).resolves({});
  });

  afterEach(() => {
    dynamoMock.reset();
  });

  it('marks the record released by the person, with their reason, in one conditional UpdateItem', async () => {
    const store = new DynamoDbQuarantineRecordStore(new DynamoDBClient({ region: REGION }), TABLE);
    const result = await releaseInstance(input({ request: REQUEST }), { clients, logger: silentLogger, records: store, now: () => NOW });
    expect(result.status).toBe('released');
    expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
      {
        TableName: TABLE,
        Key: { pk: { S: quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID) } },
        UpdateExpression: 'SET released = :true, releasedAt = :releasedAt, releasedBy = :releasedBy, releaseReason = :releaseReason',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: {
          ':true': { BOOL: true },
          ':releasedAt': { S: NOW.toISOString() },
          ':releasedBy': { S: ALICE },
          ':releaseReason': { S: REQUEST.reason },
        },
      },
    ]);
  });
});
