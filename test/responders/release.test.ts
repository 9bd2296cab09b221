import {
  AssociateIamInstanceProfileCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { InstanceProfile } from '@aws-sdk/client-iam';
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../lib/incident/model';
import { ResponderFailedError, TransientResponderError } from '../../lib/contracts/responder-errors';
import { silentLogger } from '../../lib/responders/logging';
import type { ResponderMode } from '../../lib/contracts/responder-mode';
import { quarantineInstance } from '../../lib/responders/quarantine';
import type { QuarantineRecord } from '../../lib/responders/quarantine-records';
import { DynamoDbQuarantineRecordReleaseStore, InMemoryQuarantineRecordStore, RESTORE_HOLD_SECONDS, quarantineRecordKey } from '../../lib/responders/quarantine-records';
import type { ReleaseOptions } from '../../lib/responders/release';
import { releaseInstance, releaseOptionsSchema } from '../../lib/responders/release';
import type { ReleaseClearance } from '../../lib/responders/release-clearance';
import { ApprovalReleaseClearance } from '../../lib/responders/release-clearance';
import { InMemoryApprovalStore } from '../../lib/responders/approval-records';
import { releaseGrantCheck } from '../../lib/responders/grants';
import { deployedStepsOf, requestDigest } from '../../lib/responders/step-binding';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';
import type { ResponderInput, ResponderRequest } from '../../lib/responders/responder-input';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident, ec2Resource } from '../support/incidents';
import { TEST_SEALER, sealed } from '../support/record-sealer';
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
  VPC,
  TestClientFactory,
  givenGroups,
  givenInstance,
  givenMutationsSucceed,
  inputsOf,
  recordOfDefaultInstance,
  sdkError,
} from './quarantine-fixtures';

const ec2Mock = mockClient(EC2Client);
const iamMock = mockClient(IAMClient);
const QUARANTINED_AT = '2026-11-20T10:02:00.000Z';
/** The role the fixture's instance profile held when quarantine recorded it (created long before). */
const WEB_ROLE = { RoleName: 'web-server-role', RoleId: 'AROAWEBSERVERROLE0001', Arn: 'arn:aws:iam::111122223333:role/web-server-role', Path: '/', CreateDate: new Date('2025-03-01T00:00:00Z') };
/** IAM's answer for the fixture's instance profile as quarantine saw it. */
const WEB_PROFILE: InstanceProfile = {
  Arn: PROFILE_ARN,
  InstanceProfileName: 'web-server',
  InstanceProfileId: 'AIPAWEBSERVERPROFILE1',
  Path: '/web/',
  CreateDate: new Date('2025-03-01T00:00:00Z'),
  Roles: [WEB_ROLE],
};
const NOW = new Date('2026-11-27T16:30:00.000Z');
const QUARANTINE_KEY = ec2Incident().key;
/** The release execution's name (`firebreak release` names it; the incident key stays the quarantine's). */
const RELEASE_EXECUTION = 'release-i-0abc1234def567890-20261127';
/** Who ran `firebreak release`, and why (the manual playbook passes it to the step as `request`). */
const ALICE = 'arn:aws:sts::111122223333:assumed-role/incident-responder/alice';
const REQUEST: ResponderRequest = { requestedBy: ALICE, reason: 'Investigation closed: the traffic was a scheduled scan' };

/** Who approved the release through the approval function: the releaser the record keeps. */
const CAROL = 'arn:aws:sts::111122223333:assumed-role/on-call/carol';
const APPROVED_AT = '2026-11-27T16:29:00.000Z';
const EXECUTION_ARN = `arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:${RELEASE_EXECUTION}`;

/** What quarantine recorded (and sealed) for the default fixture instance. */
// As quarantine records it now: with the role ids of the profile (row 3f); LEGACY_RECORD, written before, without.
const RECORD: QuarantineRecord = await sealed({ ...recordOfDefaultInstance(QUARANTINE_KEY, QUARANTINED_AT), instanceProfileRoleIds: [WEB_ROLE.RoleId] });
const LEGACY_RECORD: QuarantineRecord = await sealed(recordOfDefaultInstance(QUARANTINE_KEY, QUARANTINED_AT));

/** The guard cleared the execution, having read the record as the release reads it (its claim serial bound in the grant), and Carol approved it. */
const APPROVED: ReleaseClearance = {
  check: async (_input, record) => ({
    cleared: true,
    approvedBy: CAROL,
    approvedAt: APPROVED_AT,
    executionArn: EXECUTION_ARN,
    mode: 'enforce',
    releaseRecord: { capturedAt: record.capturedAt, claimSerial: record.claimSerial ?? 0 },
  }),
};

/** The guard cleared the execution having read the record at `claimSerial` (none: it could not read it), and Carol approved it. */
const clearedAt = (claimSerial: number | undefined): ReleaseClearance => ({
  check: async () => ({
    cleared: true,
    approvedBy: CAROL,
    approvedAt: APPROVED_AT,
    executionArn: EXECUTION_ARN,
    mode: 'enforce',
    ...(claimSerial !== undefined ? { releaseRecord: { capturedAt: QUARANTINED_AT, claimSerial } } : {}),
  }),
});

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
    incident: ec2Incident({ key: QUARANTINE_KEY, revision: RELEASE_EXECUTION, ...overrides.incident }),
    mode: overrides.mode ?? 'enforce',
    options: { restoreInstanceProfile: true, restoreAutoScaling: false, restoreLoadBalancers: false, ...overrides.options },
    ...(overrides.request ? { request: overrides.request } : {}),
  };
}

function release(i: ResponderInput<ReleaseOptions> = input(), clearance: ReleaseClearance = APPROVED) {
  return releaseInstance(i, { clients, logger: silentLogger, records, sealer: TEST_SEALER, clearance, now: () => NOW });
}

/** EC2's answer for the recorded groups: the instance's account, the fixture VPC. */
function givenRecordedGroups(owner = ACCOUNT, vpcId = VPC): void {
  ec2Mock.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [APP_SG, DB_SG, MON_SG].map((GroupId) => ({ GroupId, OwnerId: owner, VpcId: vpcId, GroupName: GroupId })),
  });
}

function mutatingCallCount(): number {
  return MUTATING_EC2_COMMANDS.reduce((n, command) => n + ec2Mock.commandCalls(command as never).length, 0);
}

beforeEach(async () => {
  ec2Mock.reset();
  iamMock.reset();
  iamMock.on(GetInstanceProfileCommand).resolves({ InstanceProfile: WEB_PROFILE });
  clients = new TestClientFactory();
  records = new InMemoryQuarantineRecordStore();
  givenMutationsSucceed(ec2Mock);
  givenRecordedGroups();
});

afterEach(() => {
  ec2Mock.reset();
  iamMock.reset();
});

/** A record store in which `incidentKey`'s quarantine claims the instance in the moment after the release's first read of the record. */
function claimedAfterTheRead(incidentKey: string): InMemoryQuarantineRecordStore {
  return new (class extends InMemoryQuarantineRecordStore {
    private raced = false;
    override async get(account: string, region: string, instanceId: string): Promise<QuarantineRecord | undefined> {
      const read = await super.get(account, region, instanceId);
      if (!this.raced && read !== undefined) {
        this.raced = true;
        expect(await this.claim(read, incidentKey, NOW.toISOString())).toBe('claimed');
      }
      return read;
    }
  })();
}

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
        preQuarantine: { ...RECORD, claims: [QUARANTINE_KEY], released: false },
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

    it('records the approver as the releaser and the requester only as a claim (issue 8: not a field of the input)', async () => {
      const result = await release(input({ request: REQUEST }));
      expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toEqual({
        ...RECORD,
        releasedClaims: [QUARANTINE_KEY],
        claimSerial: 1,
        lastClaims: { [QUARANTINE_KEY]: 1 },
        released: true,
        releasedAt: NOW.toISOString(),
        releasedBy: CAROL,
        releaseRequestedBy: ALICE,
        releaseReason: REQUEST.reason,
      });
      expect(result).toMatchObject({ status: 'released', releasedBy: CAROL, requestedBy: ALICE, releaseReason: REQUEST.reason });
      expect(result.actions.at(-1)).toEqual({
        api: 'firebreak:mark-released',
        target: INSTANCE_ID,
        outcome: 'done',
        detail: `Marked the pre-quarantine record released at ${NOW.toISOString()} by ${CAROL} (approver), requested by ${ALICE} (as the request claims), reason: ${REQUEST.reason}`,
        at: expect.any(String) as unknown,
      });
    });

    it('records no reason when the person gave none', async () => {
      const result = await release(input({ request: { requestedBy: ALICE, reason: null } }));
      const stored = await records.get(ACCOUNT, REGION, INSTANCE_ID);
      expect(stored).toMatchObject({ released: true, releasedBy: CAROL });
      expect(stored).not.toHaveProperty('releaseReason');
      expect(result).not.toHaveProperty('releaseReason');
      expect(result.actions.at(-1)?.detail).toMatch(/, no reason given$/);
    });

    it('records the approver as releasedBy when the input names no requester', async () => {
      const result = await release();
      expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toEqual({
        ...RECORD,
        releasedClaims: [QUARANTINE_KEY],
        claimSerial: 1,
        lastClaims: { [QUARANTINE_KEY]: 1 },
        released: true,
        releasedAt: NOW.toISOString(),
        releasedBy: CAROL,
      });
      expect(result.releasedBy).toBe(CAROL);
      expect(result).not.toHaveProperty('requestedBy');
    });

    it('says who released it, and why, when asked again', async () => {
      await release(input({ request: REQUEST }));
      const again = await release(input({ request: { requestedBy: 'arn:aws:iam::111122223333:user/bob', reason: null } }));
      expect(again.actions).toEqual([
        expect.objectContaining({
          api: 'firebreak:read-pre-quarantine-state',
          outcome: 'already-done',
          detail: `Already released at ${NOW.toISOString()} (by ${CAROL}, reason: ${REQUEST.reason}); nothing changed`,
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

    it("answers another incident's release of a released record with a refusal, not already-released (which would mark that incident released)", async () => {
      await release();
      ec2Mock.resetHistory();
      const other = await release(input({ incident: { key: 'gd-another-incident' } }));
      expect(other).toMatchObject({ status: 'refused', refusal: expect.stringContaining(`the record is incident ${QUARANTINE_KEY}'s, not gd-another-incident's`) });
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
    await records.saveIfAbsent(await sealed({ ...RECORD, tags }));
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
    // A GuardDuty finding names the profile: quarantine seals its role ids, which release then finds (row 3f).
    const finding = ec2Incident({ resource: ec2Resource({ instanceProfileArn: PROFILE_ARN }) });
    await quarantineInstance(
      { incident: finding, mode: 'enforce', options: { detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'off', deregisterFromLoadBalancers: false }, execution: EXECUTION },
      { clients, logger: silentLogger, records, sealer: TEST_SEALER, grants: storeGranting(finding, new Date(QUARANTINED_AT)), environment: { ...process.env, ...playbookStepsEnvironment({}) }, now: () => new Date(QUARANTINED_AT) },
    );
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.instanceProfileRoleIds).toEqual([WEB_ROLE.RoleId]);
    const quarantineProtections = inputsOf(ec2Mock, ModifyInstanceAttributeCommand);
    ec2Mock.reset();
    givenMutationsSucceed(ec2Mock);
    givenRecordedGroups();
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
        expect.objectContaining({ api: 'firebreak:mark-released', outcome: 'would-do', detail: `Would mark the pre-quarantine record released by ${CAROL} (approver), no reason given` }),
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

describe('releaseInstance in a game day (issue 8: a drill changes only instances that opted in)', () => {
  const DRILL_KEY = 'gameday-7ab9d1b3c0e24f8a';
  const drill = () => input({ incident: { key: DRILL_KEY, gameDay: true } });

  beforeEach(async () => {
    await records.saveIfAbsent(await sealed(recordOfDefaultInstance(DRILL_KEY, QUARANTINED_AT)));
  });

  it('refuses to release an instance EC2 does not show opted in, changing nothing and leaving the record unreleased', async () => {
    givenInstance(ec2Mock, QUARANTINED);
    const result = await release(drill());
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining('firebreak:gameday-target=true') });
    expect(mutatingCallCount()).toBe(0);
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.released).toBe(false);
  });

  it('releases an instance EC2 shows opted in (firebreak:gameday-target=true)', async () => {
    givenInstance(ec2Mock, { ...QUARANTINED, tags: { ...QUARANTINED.tags, 'firebreak:gameday-target': 'true' } });
    const result = await release(drill());
    expect(result.status).toBe('released');
  });
});

describe('releaseInstance under a release the guard cleared for dry-run only', () => {
  // A release playbook whose own mode is dry-run (a rail the guard applies as a ceiling): `firebreak
  // release` starts it with the deployment's mode, enforce, and the guard writes a dry-run grant.
  it('stays dry-run even when its input and the deployment say enforce: every EC2 change a DryRun probe, the record not marked', async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    for (const command of MUTATING_EC2_COMMANDS) ec2Mock.on(command as typeof CreateTagsCommand).rejects(sdkError('DryRunOperation', 412));
    const execution = { ...EXECUTION, executionArn: EXECUTION_ARN, executionName: RELEASE_EXECUTION, playbook: 'release-instance' };
    const step = { ...input({ request: REQUEST }), execution };
    // The guard cleared the release before its request was stored and approved (an approval dated
    // before the grant answered an earlier execution under the same name: row 5l).
    const grants = storeGranting(step.incident, new Date('2026-11-27T16:19:30.000Z'), { executionArn: EXECUTION_ARN, playbook: 'release-instance', kind: 'release', mode: 'dry-run', requestDigest: requestDigest(REQUEST), releaseRecord: { capturedAt: QUARANTINED_AT, claimSerial: 1 } });
    const approvals = new InMemoryApprovalStore();
    await approvals.putRequest({ pk: '', executionArn: EXECUTION_ARN, incidentKey: QUARANTINE_KEY, requestedAt: '2026-11-27T16:20:00.000Z', taskToken: 't', playbook: 'release-instance', account: ACCOUNT, region: REGION, instanceId: INSTANCE_ID, waitingSteps: ['release'], timeoutSeconds: 3600 });
    await approvals.decide(EXECUTION_ARN, { decision: 'approved', decidedBy: CAROL, decidedAt: APPROVED_AT }, 't');
    const deployed = deployedStepsOf(playbookStepsEnvironment(step.options, ['release-instance']), releaseOptionsSchema);
    const clearance = new ApprovalReleaseClearance(approvals, releaseGrantCheck(grants, RESPONDER_NAMES.releaseInstance, deployed, () => NOW));

    const result = await releaseInstance(step, { clients, logger: silentLogger, records, sealer: TEST_SEALER, clearance, environment: { FIREBREAK_MODE: 'enforce' }, now: () => NOW });
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('dry-run only') } });
    const changes = [ModifyNetworkInterfaceAttributeCommand, ModifyInstanceAttributeCommand, CreateTagsCommand, DeleteTagsCommand].flatMap((command) => inputsOf<{ DryRun?: boolean }>(ec2Mock, command));
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((change) => change.DryRun === true)).toBe(true);
    expect(ec2Mock.commandCalls(AssociateIamInstanceProfileCommand)).toHaveLength(0);
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.released).toBe(false);
  });
});

describe('releaseInstance with the DynamoDB record store', () => {
  const dynamoMock = mockClient(DynamoDBClient);
  const TABLE = 'firebreak-state';

  /** The unreleased record as the table holds it, with `fields` beside it (claims, claim serials). */
  function givenStoredRecord(fields: Record<string, AttributeValue> = {}): void {
    dynamoMock.on(GetItemCommand).resolves({
      Item: {
        pk: { S: quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID) },
        released: { BOOL: false },
        ...fields,
        record: { S: JSON.stringify({ ...RECORD, released: false }) },
      },
    });
  }

  /** release-instance through the DynamoDB store, its release cleared by a grant that bound claim serial `serial`. */
  function releaseThroughTable(serial: number, overrides: Parameters<typeof input>[0] = {}) {
    const store = new DynamoDbQuarantineRecordReleaseStore(new DynamoDBClient({ region: REGION }), TABLE);
    return releaseInstance(input(overrides), { clients, logger: silentLogger, records: store, sealer: TEST_SEALER, clearance: clearedAt(serial), now: () => NOW });
  }

  beforeEach(() => {
    dynamoMock.reset();
    givenInstance(ec2Mock, QUARANTINED);
    givenStoredRecord();
    dynamoMock.on(UpdateItemCommand).resolves({});
  });

  afterEach(() => {
    dynamoMock.reset();
  });

  it('marks the record released by the approver, requested by the person, with their reason, in one conditional UpdateItem', async () => {
    // A record written before claim serials has none: the guard read it as 0, and so does the hold.
    const result = await releaseThroughTable(0, { request: REQUEST });
    expect(result.status).toBe('released');
    expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
      // First the hold, before any EC2 change: no incident can claim the instance while it is restored.
      {
        TableName: TABLE,
        Key: { pk: { S: quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID) } },
        UpdateExpression: 'SET restoringFor = :claimKey, restoringUntil = :until, restoringBy = :restoringBy',
        // For this execution alone: no live hold of another release execution (of this incident too).
        ConditionExpression:
          'released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND (attribute_not_exists(claims) OR (size(claims) = :one AND contains(claims, :claimKey))) AND attribute_not_exists(claimSerial) AND (attribute_not_exists(restoringUntil) OR restoringUntil < :at OR restoringBy = :restoringBy)',
        ExpressionAttributeValues: {
          ':claimKey': { S: QUARANTINE_KEY },
          ':until': { S: new Date(NOW.getTime() + RESTORE_HOLD_SECONDS * 1000).toISOString() },
          ':restoringBy': { S: EXECUTION_ARN },
          ':at': { S: NOW.toISOString() },
          ':one': { N: '1' },
          ':false': { BOOL: false },
          ':capturedAt': { S: RECORD.capturedAt },
          ':incidentKey': { S: QUARANTINE_KEY },
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
      {
        TableName: TABLE,
        Key: { pk: { S: quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID) } },
        UpdateExpression:
          'SET released = :true, releasedAt = :releasedAt, releasedBy = :releasedBy, releaseRequestedBy = :releaseRequestedBy, releaseReason = :releaseReason REMOVE restoringFor, restoringUntil, restoringBy ADD releasedClaims :claim DELETE claims :claim',
        // The last claim (a record written before claims has none: its own incident's), on the
        // capture it held at the serial held (review s19: not a capture written since).
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(claims) OR (size(claims) = :one AND contains(claims, :claimKey))) AND released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND attribute_not_exists(claimSerial)',
        ExpressionAttributeValues: {
          ':true': { BOOL: true },
          ':releasedAt': { S: NOW.toISOString() },
          ':releasedBy': { S: CAROL },
          ':releaseRequestedBy': { S: ALICE },
          ':releaseReason': { S: REQUEST.reason },
          ':claim': { SS: [QUARANTINE_KEY] },
          ':claimKey': { S: QUARANTINE_KEY },
          ':one': { N: '1' },
          ':false': { BOOL: false },
          ':capturedAt': { S: RECORD.capturedAt },
          ':incidentKey': { S: QUARANTINE_KEY },
        },
      },
    ]);
  });
  it('holds the record at the claim serial its grant bound, read with the record (one GetItem), so that a claim written since makes the hold fail', async () => {
    givenStoredRecord({
      claims: { SS: [QUARANTINE_KEY] },
      claimSerial: { N: '4' },
    });
    const result = await releaseThroughTable(4);
    expect(result.status).toBe('released');
    expect(inputsOf(dynamoMock, UpdateItemCommand)[0]).toEqual({
      TableName: TABLE,
      Key: { pk: { S: quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID) } },
      UpdateExpression: 'SET restoringFor = :claimKey, restoringUntil = :until, restoringBy = :restoringBy',
      ConditionExpression:
        'released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND (attribute_not_exists(claims) OR (size(claims) = :one AND contains(claims, :claimKey))) AND claimSerial = :claimSerial AND (attribute_not_exists(restoringUntil) OR restoringUntil < :at OR restoringBy = :restoringBy)',
      ExpressionAttributeValues: {
        ':claimKey': { S: QUARANTINE_KEY },
        ':until': { S: new Date(NOW.getTime() + RESTORE_HOLD_SECONDS * 1000).toISOString() },
        ':restoringBy': { S: EXECUTION_ARN },
        ':at': { S: NOW.toISOString() },
        ':one': { N: '1' },
        ':claimSerial': { N: '4' },
        ':false': { BOOL: false },
        ':capturedAt': { S: RECORD.capturedAt },
        ':incidentKey': { S: QUARANTINE_KEY },
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(dynamoMock.commandCalls(GetItemCommand)).toHaveLength(1);
    // And the mark, on that capture at that serial (review s19).
    expect(inputsOf(dynamoMock, UpdateItemCommand)[1]).toMatchObject({
      ConditionExpression:
        'attribute_exists(pk) AND (attribute_not_exists(claims) OR (size(claims) = :one AND contains(claims, :claimKey))) AND released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND claimSerial = :claimSerial',
      ExpressionAttributeValues: expect.objectContaining({ ':claimSerial': { N: '4' }, ':capturedAt': { S: RECORD.capturedAt }, ':incidentKey': { S: QUARANTINE_KEY }, ':false': { BOOL: false } }),
    });
  });

  it("takes back only its claim on the condition that its incident claimed nothing after the serial its grant bound (review s19)", async () => {
    const LATER = 'gd-2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b';
    givenStoredRecord({
      claims: { SS: [QUARANTINE_KEY, LATER] },
      claimSerial: { N: '5' },
      [`lastClaim#${QUARANTINE_KEY}`]: { N: '1' },
      [`lastClaim#${LATER}`]: { N: '5' },
    });
    const result = await releaseThroughTable(4);
    expect(result).toMatchObject({ status: 'claim-released', heldBy: [LATER] });
    expect(inputsOf(dynamoMock, UpdateItemCommand)).toEqual([
      {
        TableName: TABLE,
        Key: { pk: { S: quarantineRecordKey(ACCOUNT, REGION, INSTANCE_ID) } },
        UpdateExpression: 'ADD releasedClaims :claim DELETE claims :claim',
        ConditionExpression:
          'released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND contains(claims, :claimKey) AND size(claims) > :one AND (attribute_not_exists(#lastClaim) OR #lastClaim <= :clearedAtSerial)',
        ExpressionAttributeNames: { '#lastClaim': `lastClaim#${QUARANTINE_KEY}` },
        ExpressionAttributeValues: {
          ':claim': { SS: [QUARANTINE_KEY] },
          ':claimKey': { S: QUARANTINE_KEY },
          ':one': { N: '1' },
          ':clearedAtSerial': { N: '4' },
          ':false': { BOOL: false },
          ':capturedAt': { S: RECORD.capturedAt },
          ':incidentKey': { S: QUARANTINE_KEY },
        },
      },
    ]);
  });

  it('writes nothing when its incident claimed again after the serial its grant bound, another incident holding the instance too (review s19)', async () => {
    givenStoredRecord({
      claims: { SS: [QUARANTINE_KEY, 'gd-2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b'] },
      claimSerial: { N: '6' },
      [`lastClaim#${QUARANTINE_KEY}`]: { N: '6' },
    });
    const result = await releaseThroughTable(4);
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining('its latest claim is at claim serial 6, the containment guard read serial 4') });
    expect(dynamoMock.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(mutatingCallCount()).toBe(0);
  });

  it('writes nothing and changes nothing in EC2 when the serial moved since the guard read it', async () => {
    givenStoredRecord({
      claims: { SS: [QUARANTINE_KEY] },
      claimSerial: { N: '5' },
    });
    const result = await releaseThroughTable(4);
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining('claim serial 4 when the containment guard read it, 5 now') });
    expect(dynamoMock.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(mutatingCallCount()).toBe(0);
  });
});

describe('releaseInstance refuses what it cannot trust, and changes nothing (issue 8: records that cannot be forged)', () => {
  const ATTACKER_PROFILE = 'arn:aws:iam::111122223333:instance-profile/Administrator';

  async function refusedWith(stored: QuarantineRecord, reason: RegExp, clearance: ReleaseClearance = APPROVED) {
    await records.saveIfAbsent(stored);
    givenInstance(ec2Mock, QUARANTINED);
    const result = await release(input({ request: REQUEST }), clearance);
    expect(result.status).toBe('refused');
    expect(result.refusal).toMatch(reason);
    expect(mutatingCallCount()).toBe(0);
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ released: false });
    expect(result.actions.at(-1)).toMatchObject({ outcome: 'skipped', detail: expect.stringMatching(/^Refused: .*; nothing changed$/) });
    return result;
  }

  it('refuses a record whose instance profile was changed in the table', async () => {
    await refusedWith({ ...RECORD, instanceProfileArn: ATTACKER_PROFILE }, /failed its integrity check .*MAC does not match/);
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
  });

  it('refuses a record with a security group added in the table', async () => {
    const tampered: QuarantineRecord = {
      ...RECORD,
      networkInterfaces: RECORD.networkInterfaces.map((eni, i) => (i === 0 ? { ...eni, groupIds: [...eni.groupIds, 'sg-0open00000000000ff'] } : eni)),
    };
    await refusedWith(tampered, /failed its integrity check/);
  });

  it('refuses a record without a MAC', async () => {
    const { seal: _seal, ...unsealed } = RECORD;
    await refusedWith(unsealed, /carries no MAC/);
  });

  it('refuses when no record key is configured (nothing can be verified)', async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    const result = await releaseInstance(input(), { clients, logger: silentLogger, records, clearance: APPROVED, now: () => NOW });
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining('no record key is configured') });
    expect(mutatingCallCount()).toBe(0);
  });

  it('refuses a sealed record whose security group belongs to another account', async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    givenRecordedGroups('444455556666');
    const result = await release(input());
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringMatching(/belongs to account 444455556666, not the instance's account 111122223333/) });
    expect(inputsOf(ec2Mock, DescribeSecurityGroupsCommand)).toEqual([{ GroupIds: [APP_SG, DB_SG, MON_SG].sort() }]);
    expect(mutatingCallCount()).toBe(0);
  });

  it('refuses a sealed record whose security group is in another VPC than the ENI', async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    givenRecordedGroups(ACCOUNT, 'vpc-0other0000000000');
    const result = await release(input());
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringMatching(/is in vpc-0other0000000000, not the ENI's VPC/) });
    expect(mutatingCallCount()).toBe(0);
  });

  it('refuses a sealed record whose instance profile belongs to another account', async () => {
    await refusedWith(await sealed({ ...RECORD, instanceProfileArn: 'arn:aws:iam::444455556666:instance-profile/web' }), /belongs to account 444455556666/);
  });

  it("restores a profile of the instance's account whose path holds characters IAM allows beyond letters (review-member2)", async () => {
    // Quarantine took this profile away without parsing its ARN; release must give it back, not
    // refuse it as "not an instance profile ARN" and leave the instance quarantined for good.
    const profileArn = `arn:aws:iam::${ACCOUNT}:instance-profile/ops~team!/web-server`;
    await records.saveIfAbsent(await sealed({ ...RECORD, instanceProfileArn: profileArn }));
    iamMock.on(GetInstanceProfileCommand, { InstanceProfileName: 'web-server' }).resolves({ InstanceProfile: { ...WEB_PROFILE, Arn: profileArn, Path: '/ops~team!/' } });
    givenInstance(ec2Mock, QUARANTINED);
    const result = await release(input({ request: REQUEST }));
    expect(result.status).toBe('released');
    expect(inputsOf(ec2Mock, AssociateIamInstanceProfileCommand)).toEqual([{ IamInstanceProfile: { Arn: profileArn }, InstanceId: INSTANCE_ID }]);
  });

  it('refuses a sealed record of another instance', async () => {
    await records.saveIfAbsent(await sealed({ ...RECORD }));
    // Stored under this instance's key, but sealed for another one (a copied item).
    const copied = await sealed({ ...RECORD, instanceId: 'i-0fff1234def567890' });
    const store = new InMemoryQuarantineRecordStore();
    await store.saveIfAbsent({ ...copied });
    const get = store.get.bind(store);
    const result = await releaseInstance(input(), {
      clients,
      logger: silentLogger,
      records: {
        ...store,
        saveIfAbsent: store.saveIfAbsent.bind(store),
        supplement: store.supplement.bind(store),
        claim: store.claim.bind(store),
        releaseClaim: store.releaseClaim.bind(store),
        holdForRestore: store.holdForRestore.bind(store),
        markReleased: store.markReleased.bind(store),
        get: () => get(ACCOUNT, REGION, 'i-0fff1234def567890'),
      },
      sealer: TEST_SEALER,
      clearance: APPROVED,
      now: () => NOW,
    });
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining('the record is for i-0fff1234def567890') });
    expect(mutatingCallCount()).toBe(0);
  });

  it("refuses a release under another incident's key (the instance retagged with it), before the approval and any EC2 call", async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, { ...QUARANTINED, tags: { ...QUARANTINED.tags, 'firebreak:incident': 'gd-another-incident' } });
    const asked: string[] = [];
    const clearance: ReleaseClearance = { check: async (i) => (asked.push(i.incident.key), APPROVED.check(i, RECORD)) };
    const result = await release(input({ incident: { key: 'gd-another-incident' } }), clearance);
    expect(result).toMatchObject({
      status: 'refused',
      refusal: `incident gd-another-incident holds no claim on ${INSTANCE_ID}: it is held quarantined by incident ${QUARANTINE_KEY} (recorded by incident ${QUARANTINE_KEY}); their release restores it (\`firebreak release --incident ${QUARANTINE_KEY}\`)`,
    });
    expect(asked).toEqual([]);
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ released: false });
  });

  it('refuses a release nobody approved, and names the requester only as a claim', async () => {
    const result = await refusedWith(RECORD, /not approved \(nobody has approved/, {
      check: async () => ({ cleared: false, reason: `nobody has approved ${EXECUTION_ARN}` }),
    });
    expect(result.requestedBy).toBe(ALICE);
    expect(result).not.toHaveProperty('releasedBy');
  });

  it('refuses without an approval check', async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    const result = await releaseInstance(input(), { clients, logger: silentLogger, records, sealer: TEST_SEALER, now: () => NOW });
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining('no approval check is configured') });
  });
});

describe('releaseInstance when several incidents hold the instance (review r3 F1: one release must not lift another incident\'s containment)', () => {
  const LATER = 'gd-2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b';

  /** The record A (QUARANTINE_KEY) wrote, claimed since by a later incident that found the instance quarantined. */
  async function heldByBoth(): Promise<void> {
    await records.saveIfAbsent(RECORD);
    expect(await records.claim((await records.get(ACCOUNT, REGION, INSTANCE_ID))!, LATER, NOW.toISOString())).toBe('claimed');
    givenInstance(ec2Mock, QUARANTINED);
  }

  it('takes back only the released incident\'s claim: nothing in EC2 changes, the instance stays quarantined, and it names the incident that still holds it', async () => {
    await heldByBoth();
    const result = await release(input({ request: REQUEST }));
    expect(result).toMatchObject({ status: 'claim-released', idempotentReplay: false, heldBy: [LATER], releasedBy: CAROL, requestedBy: ALICE });
    expect(mutatingCallCount()).toBe(0);
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(0);
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ claims: [LATER], releasedClaims: [QUARANTINE_KEY], released: false });
    expect(result.actions.slice(-2)).toEqual([
      expect.objectContaining({ api: 'firebreak:release-claim', outcome: 'done', detail: expect.stringContaining(`Took back incident ${QUARANTINE_KEY}'s claim on ${INSTANCE_ID} by ${CAROL} (approver)`) }),
      expect.objectContaining({ api: 'firebreak:restore', outcome: 'skipped', detail: expect.stringContaining(`${INSTANCE_ID} stays quarantined: incident ${LATER} still holds it`) }),
    ]);
  });

  it('restores the instance from the sealed record of the first incident when the later incident, holding the last claim, is released', async () => {
    await heldByBoth();
    expect((await release()).status).toBe('claim-released');
    const result = await release(input({ incident: { key: LATER } }));
    expect(result).toMatchObject({ status: 'released', instanceProfileArn: PROFILE_ARN, preQuarantine: { incidentKey: QUARANTINE_KEY } });
    expect(inputsOf<{ NetworkInterfaceId: string }>(ec2Mock, ModifyNetworkInterfaceAttributeCommand)).toHaveLength(2);
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ released: true, releasedBy: CAROL, releasedClaims: [QUARANTINE_KEY, LATER] });
    // Either incident asked again: already released, not refused (both were released).
    expect((await release(input({ incident: { key: LATER } }))).status).toBe('already-released');
    expect((await release()).status).toBe('already-released');
  });

  it('still checks the seal before it takes back a claim: a record edited in the table is refused', async () => {
    await records.saveIfAbsent({ ...RECORD, instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/Administrator' });
    await records.claim((await records.get(ACCOUNT, REGION, INSTANCE_ID))!, LATER, NOW.toISOString());
    givenInstance(ec2Mock, QUARANTINED);
    const result = await release(input({ incident: { key: LATER } }));
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining('failed its integrity check') });
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.claims).toEqual([QUARANTINE_KEY, LATER]);
  });

  it('takes back no claim without the approval', async () => {
    await heldByBoth();
    const result = await release(input(), { check: async () => ({ cleared: false, reason: `nobody has approved ${EXECUTION_ARN}` }) });
    expect(result.status).toBe('refused');
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.claims).toEqual([QUARANTINE_KEY, LATER]);
  });

  it('refuses an incident that holds no claim, before the approval and any EC2 call, naming those that do', async () => {
    await heldByBoth();
    const asked: string[] = [];
    const result = await release(input({ incident: { key: 'gd-unrelated' } }), { check: async (i) => (asked.push(i.incident.key), APPROVED.check(i, RECORD)) });
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining(`held quarantined by incident ${QUARANTINE_KEY}, incident ${LATER}`) });
    expect(asked).toEqual([]);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('answers claim-released again, writing nothing, when the same incident is released again while the other still holds it', async () => {
    await heldByBoth();
    await release();
    const again = await release();
    expect(again).toMatchObject({ status: 'claim-released', idempotentReplay: true, heldBy: [LATER] });
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ claims: [LATER], releasedClaims: [QUARANTINE_KEY], released: false });
  });

  it('in dry-run says the claim would go back and the instance would stay quarantined; nothing is written', async () => {
    await heldByBoth();
    const result = await release(input({ mode: 'dry-run' }));
    expect(result).toMatchObject({ status: 'dry-run', heldBy: [LATER] });
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:release-claim', outcome: 'would-do' }));
    expect(mutatingCallCount()).toBe(0);
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.claims).toEqual([QUARANTINE_KEY, LATER]);
  });

  it('fails as transient when the record changed between the read and the claim\'s release (the retry decides again)', async () => {
    await heldByBoth();
    const racing = Object.assign(records, { releaseClaim: async () => 'changed' as const });
    const error = await releaseInstance(input(), { clients, logger: silentLogger, records: racing, sealer: TEST_SEALER, clearance: APPROVED, now: () => NOW }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientResponderError);
  });

  it('takes back only its own claim and restores nothing when another incident claimed the instance after the last release read the record', async () => {
    // Incident B's quarantine claims the instance in the moment after A's release read the record (claims: A only).
    records = claimedAfterTheRead(LATER);
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    const result = await release(input({ request: REQUEST }));
    expect(result).toMatchObject({ status: 'claim-released', heldBy: [LATER], releasedBy: CAROL, requestedBy: ALICE });
    // Nothing restored for B's instance, and none of the evidence protections (termination, volumes) lifted.
    expect(mutatingCallCount()).toBe(0);
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ claims: [LATER], releasedClaims: [QUARANTINE_KEY], released: false });
    expect(result.actions).toContainEqual(
      expect.objectContaining({ api: 'firebreak:hold-record', outcome: 'skipped', detail: expect.stringContaining(`incident ${LATER} claimed ${INSTANCE_ID} after this release read its record`) }),
    );
    expect(result.actions.slice(-2)).toEqual([
      expect.objectContaining({ api: 'firebreak:release-claim', outcome: 'done', detail: expect.stringContaining(`Took back incident ${QUARANTINE_KEY}'s claim on ${INSTANCE_ID}`) }),
      expect.objectContaining({ api: 'firebreak:restore', outcome: 'skipped', detail: expect.stringContaining(`${INSTANCE_ID} stays quarantined: incident ${LATER} still holds it`) }),
    ]);
  });

  it('holds the record for its restore before the first EC2 change, for longer than the release can run', async () => {
    let changesBeforeTheHold: number | undefined;
    let heldUntil: string | undefined;
    let heldBy: unknown;
    class Watched extends InMemoryQuarantineRecordStore {
      override async holdForRestore(...args: Parameters<InMemoryQuarantineRecordStore['holdForRestore']>) {
        changesBeforeTheHold = mutatingCallCount();
        heldUntil = args[2];
        heldBy = args[3];
        return super.holdForRestore(...args);
      }
    }
    records = new Watched();
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    expect((await release()).status).toBe('released');
    expect(changesBeforeTheHold).toBe(0);
    expect(heldUntil).toBe(new Date(NOW.getTime() + RESTORE_HOLD_SECONDS * 1000).toISOString());
    // For this execution, the one its grant and approval were verified for.
    expect(heldBy).toEqual({ executionArn: EXECUTION_ARN, at: NOW.toISOString() });
    expect(mutatingCallCount()).toBeGreaterThan(0);
  });

  it('fails loudly, leaving the record unreleased, when another incident claimed the instance while the last release restored it', async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    const racing = Object.assign(records, { markReleased: async () => 'claimed' as const });
    const error = await releaseInstance(input(), { clients, logger: silentLogger, records: racing, sealer: TEST_SEALER, clearance: APPROVED, now: () => NOW }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponderFailedError);
    expect((error as Error).message).toMatch(/another incident claimed .* while incident .*'s release restored it/);
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.released).toBe(false);
  });
});

describe('releaseInstance holds the record for one release execution alone', () => {
  /** Another release execution of the same incident (`firebreak release` run again seconds later), approved too. */
  const FIRST_ARN = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:release-i-0abc1234def567890-20261127-first';
  const current = async () => (await records.get(ACCOUNT, REGION, INSTANCE_ID))!;
  const UNTIL = new Date(NOW.getTime() + 60_000).toISOString();

  it('restores nothing, changing nothing in EC2, while another release execution of its incident holds the record for its restore', async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    // The first execution passed its checks and holds the record: it is restoring the instance now.
    expect(await records.holdForRestore(await current(), QUARANTINE_KEY, UNTIL, { executionArn: FIRST_ARN, at: NOW.toISOString() })).toBe('held');
    const result = await release(input({ request: REQUEST }));
    expect(result).toMatchObject({
      status: 'refused',
      refusal: expect.stringContaining(`release execution ${FIRST_ARN} of incident ${QUARANTINE_KEY} holds the pre-quarantine record of ${INSTANCE_ID} for its restore until ${UNTIL}`),
      requestedBy: ALICE,
    });
    expect(mutatingCallCount()).toBe(0);
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:hold-record', outcome: 'skipped' }));
    // The record is the first execution's to mark: unreleased, its claim still there.
    expect(await current()).toMatchObject({ released: false, claims: [QUARANTINE_KEY] });
  });

  it("takes its own hold again on a retry of the same execution, and restores", async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    expect(await records.holdForRestore(await current(), QUARANTINE_KEY, UNTIL, { executionArn: EXECUTION_ARN, at: NOW.toISOString() })).toBe('held');
    expect((await release()).status).toBe('released');
    expect(await current()).toMatchObject({ released: true });
  });

  it('restores once the other execution\'s hold has ended (that release died) and its record is still unreleased', async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    expect(await records.holdForRestore(await current(), QUARANTINE_KEY, '2026-11-27T16:29:59.999Z', { executionArn: FIRST_ARN, at: '2026-11-27T16:27:00.000Z' })).toBe('held');
    expect((await release()).status).toBe('released');
  });

  it('writes no hold in dry-run', async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    let holds = 0;
    records = Object.assign(records, { holdForRestore: async () => (holds++, 'held' as const) });
    for (const command of MUTATING_EC2_COMMANDS) ec2Mock.on(command as typeof CreateTagsCommand).rejects(sdkError('DryRunOperation', 412));
    expect((await release(input({ mode: 'dry-run' }))).status).toBe('dry-run');
    expect(holds).toBe(0);
  });
});

describe('releaseInstance marks released only the capture it held (review s19)', () => {
  it('does not mark released a new capture its incident wrote while a second release of the same incident ended the first capture', async () => {
    /**
     * Two release executions of incident A, both approved at the same serial, run at once: the other
     * one marks the record released first, and a new execution of A (GuardDuty updated the finding)
     * then records the instance afresh (a new capture, A's claim alone) before this release's mark.
     */
    class SecondReleaseThenNewCapture extends InMemoryQuarantineRecordStore {
      override async markReleased(...args: Parameters<InMemoryQuarantineRecordStore['markReleased']>): ReturnType<InMemoryQuarantineRecordStore['markReleased']> {
        const [account, region, instanceId, mark] = args;
        expect(await super.markReleased(account, region, instanceId, { ...mark, releasedBy: 'the-other-release' })).toBe('released');
        expect(await this.saveIfAbsent({ ...RECORD, capturedAt: '2026-11-27T16:29:59.000Z' })).toBe('saved');
        return super.markReleased(...args);
      }
    }
    records = new SecondReleaseThenNewCapture();
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    const error = await release().catch((e: unknown) => e);
    // The new capture stays unreleased, held by A's new execution; this release says the instance may be back in service.
    expect(error).toBeInstanceOf(ResponderFailedError);
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ capturedAt: '2026-11-27T16:29:59.000Z', claims: [QUARANTINE_KEY], released: false });
  });
});

describe('releaseInstance when the incident contained the instance again after its release was cleared (a new execution of the same incident: an approval covers only what it was given on)', () => {
  const LATER = 'gd-2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b';
  const current = async () => (await records.get(ACCOUNT, REGION, INSTANCE_ID))!;

  /** The record A wrote (claim serial 1, as the guard read it), then claimed again by a new execution of A (serial 2). */
  async function claimedAgainByItsIncident(): Promise<void> {
    await records.saveIfAbsent(RECORD);
    expect(await records.claim(await current(), QUARANTINE_KEY, NOW.toISOString())).toBe('claimed');
    givenInstance(ec2Mock, QUARANTINED);
  }

  it('restores nothing, makes no EC2 call and writes nothing, and says a new release and approval are needed', async () => {
    await claimedAgainByItsIncident();
    const result = await release(input({ request: REQUEST }), clearedAt(1));
    expect(result).toMatchObject({ status: 'refused', instanceId: INSTANCE_ID, requestedBy: ALICE });
    expect(result.refusal).toContain(`incident ${QUARANTINE_KEY} contained ${INSTANCE_ID} again after this release was cleared`);
    expect(result.refusal).toContain('claim serial 1 when the containment guard read it, 2 now');
    expect(result.refusal).toContain('a new release (and its approval) is needed');
    expect(ec2Mock.calls()).toHaveLength(0);
    // Not marked, not held: another incident may claim the instance at once.
    expect(await current()).toMatchObject({ claims: [QUARANTINE_KEY], claimSerial: 2, released: false });
    expect(await records.claim(await current(), LATER, NOW.toISOString())).toBe('claimed');
  });

  it('refuses the same way in dry-run: nothing is written either way', async () => {
    await claimedAgainByItsIncident();
    const result = await release(input({ mode: 'dry-run' }), clearedAt(1));
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining('again after this release was cleared') });
    expect(ec2Mock.calls()).toHaveLength(0);
    expect(await current()).toMatchObject({ claimSerial: 2, released: false });
  });

  it('refuses when its incident claims again between the release\'s read of the record and its hold (the hold is conditioned on the serial read)', async () => {
    // A new execution of A claims the instance in the moment after A's release read the record.
    records = claimedAfterTheRead(QUARANTINE_KEY);
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    const result = await release(input(), clearedAt(1));
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining(`incident ${QUARANTINE_KEY} contained ${INSTANCE_ID} again after this release was cleared`) });
    expect(mutatingCallCount()).toBe(0);
    expect(await current()).toMatchObject({ claims: [QUARANTINE_KEY], claimSerial: 2, released: false });
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:hold-record', outcome: 'skipped' }));
  });

  it('refuses a grant that binds no record (the guard could not read it): the approval was not given on its claims, and the instance stays contained', async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    const result = await release(input(), clearedAt(undefined));
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining('the containment guard bound no pre-quarantine record of') });
    expect(result.refusal).toContain('a new release (and its approval) is needed');
    expect(ec2Mock.calls()).toHaveLength(0);
    expect((await current()).released).toBe(false);
  });

  it('refuses a grant that bound another capture of the instance (contained afresh since the guard read it)', async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    const otherCapture: ReleaseClearance = {
      check: async () => ({ cleared: true, approvedBy: CAROL, approvedAt: APPROVED_AT, executionArn: EXECUTION_ARN, mode: 'enforce', releaseRecord: { capturedAt: '2026-11-19T08:00:00.000Z', claimSerial: 1 } }),
    };
    const result = await release(input(), otherCapture);
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining('again after this release was cleared') });
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it('restores when nothing claimed the instance since the guard read it', async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    expect((await release(input(), clearedAt(1))).status).toBe('released');
  });

  it('still takes back only its own claim when another incident claimed the instance meanwhile (claim-released, whatever the serial)', async () => {
    await records.saveIfAbsent(RECORD);
    expect(await records.claim(await current(), LATER, NOW.toISOString())).toBe('claimed');
    givenInstance(ec2Mock, QUARANTINED);
    const result = await release(input(), clearedAt(1));
    expect(result).toMatchObject({ status: 'claim-released', heldBy: [LATER] });
    expect(mutatingCallCount()).toBe(0);
  });
  it('keeps its own claim when its incident claimed the instance again after the release was cleared, even with another incident holding it too (review s19: before, the stale approval took back the renewed claim)', async () => {
    await records.saveIfAbsent(RECORD);
    // A new execution of the releasing incident claims the instance (serial 2), then another incident does (serial 3).
    expect(await records.claim(await current(), QUARANTINE_KEY, NOW.toISOString())).toBe('claimed');
    expect(await records.claim(await current(), LATER, NOW.toISOString())).toBe('claimed');
    givenInstance(ec2Mock, QUARANTINED);
    const result = await release(input(), clearedAt(1));
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining(`incident ${QUARANTINE_KEY} contained ${INSTANCE_ID} again after this release was cleared`) });
    expect(result.refusal).toContain('its claim is kept');
    expect(mutatingCallCount()).toBe(0);
    // The renewed claim stays: the other incident's release cannot restore the instance under it.
    expect([...(await current()).claims!].sort()).toEqual([QUARANTINE_KEY, LATER].sort());
    expect((await current()).released).toBe(false);
  });

  it('keeps its own claim the same way when the other incident claimed first and its incident claimed again after', async () => {
    await records.saveIfAbsent(RECORD);
    expect(await records.claim(await current(), LATER, NOW.toISOString())).toBe('claimed');
    expect(await records.claim(await current(), QUARANTINE_KEY, NOW.toISOString())).toBe('claimed');
    givenInstance(ec2Mock, QUARANTINED);
    const result = await release(input(), clearedAt(2));
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining('its claim is kept') });
    expect([...(await current()).claims!].sort()).toEqual([QUARANTINE_KEY, LATER].sort());
    expect((await current()).released).toBe(false);
  });

  it('takes back its claim when only the other incident claimed since the guard read the record, its own claim older', async () => {
    await records.saveIfAbsent(RECORD);
    expect(await records.claim(await current(), QUARANTINE_KEY, NOW.toISOString())).toBe('claimed');
    // The guard read serial 2 (the renewed claim was there when the approval was asked for); another incident claims after.
    expect(await records.claim(await current(), LATER, NOW.toISOString())).toBe('claimed');
    givenInstance(ec2Mock, QUARANTINED);
    expect(await release(input(), clearedAt(2))).toMatchObject({ status: 'claim-released', heldBy: [LATER] });
  });
});

describe('releaseInstance re-associates only the instance profile, and the role, the instance had (review-release, row 3f)', () => {
  /** A role the member account's administrators hold, whose sessions reach everything in it (not a protected name). */
  const DEPLOY_ROLE = { RoleName: 'ci-deploy', RoleId: 'AROACIDEPLOYROLE00001', Arn: 'arn:aws:iam::111122223333:role/ci-deploy', Path: '/', CreateDate: new Date('2024-01-10T00:00:00Z') };

  async function releasedWithProfile(profile: InstanceProfile | Error, record: QuarantineRecord = RECORD) {
    await records.saveIfAbsent(record);
    givenInstance(ec2Mock, QUARANTINED);
    if (profile instanceof Error) iamMock.on(GetInstanceProfileCommand).rejects(profile);
    else iamMock.on(GetInstanceProfileCommand).resolves({ InstanceProfile: profile });
    return release(input({ request: REQUEST }));
  }

  function expectNothingChanged(result: Awaited<ReturnType<typeof release>>, reason: RegExp) {
    expect(result.status).toBe('refused');
    expect(result.refusal).toMatch(reason);
    expect(ec2Mock.commandCalls(AssociateIamInstanceProfileCommand)).toHaveLength(0);
    expect(mutatingCallCount()).toBe(0);
    expect(result.actions.at(-1)).toMatchObject({ api: 'iam:GetInstanceProfile', outcome: 'skipped', detail: expect.stringMatching(/^Refused: .*; nothing changed$/) });
  }

  it('reads the profile by its name in the instance\'s account before it associates it (exact input), then associates it', async () => {
    const result = await releasedWithProfile(WEB_PROFILE, await sealed({ ...recordOfDefaultInstance(QUARANTINE_KEY, QUARANTINED_AT), instanceProfileRoleIds: [WEB_ROLE.RoleId] }));
    expect(result.status).toBe('released');
    expect(iamMock.commandCalls(GetInstanceProfileCommand).map((call) => call.args[0].input)).toEqual([{ InstanceProfileName: 'web-server' }]);
    expect(clients.targets).toContainEqual({ service: 'iam', target: { account: ACCOUNT, region: REGION } });
    expect(inputsOf(ec2Mock, AssociateIamInstanceProfileCommand)).toEqual([{ IamInstanceProfile: { Arn: PROFILE_ARN }, InstanceId: INSTANCE_ID }]);
  });

  it('ATTACK (review-release): the recorded profile deleted and created again under its name, holding another role, is not associated', async () => {
    // A member-account principal deletes web-server and creates it again (same path, same ARN) with
    // ci-deploy in it, while the instance waits for its release: the approved release would pass
    // ci-deploy to the compromised instance with Firebreak's own iam:PassRole.
    const recreated: InstanceProfile = { ...WEB_PROFILE, InstanceProfileId: 'AIPARECREATEDPROFILE9', CreateDate: new Date('2026-11-25T08:00:00Z'), Roles: [DEPLOY_ROLE] };
    expectNothingChanged(await releasedWithProfile(recreated), /created at 2026-11-25T08:00:00.000Z, after the pre-quarantine state was captured \(2026-11-20T10:02:00.000Z\)/);
  });

  it('ATTACK (review-release): the recorded profile\'s role swapped for another existing role is not associated', async () => {
    // RemoveRoleFromInstanceProfile then AddRoleToInstanceProfile: the profile keeps its id and date.
    const record = await sealed({ ...recordOfDefaultInstance(QUARANTINE_KEY, QUARANTINED_AT), instanceProfileRoleIds: [WEB_ROLE.RoleId] });
    expectNothingChanged(await releasedWithProfile({ ...WEB_PROFILE, Roles: [DEPLOY_ROLE] }, record), /now holds arn:aws:iam::111122223333:role\/ci-deploy \(AROACIDEPLOYROLE00001\), not the role quarantine recorded \(AROAWEBSERVERROLE0001\)/);
  });

  it('ATTACK (review-release): a role created after the capture swapped into the profile of an older record (no role ids) is not associated', async () => {
    const fresh = { ...DEPLOY_ROLE, RoleName: 'web-server-role', RoleId: 'AROANEWWEBSERVERROLE1', CreateDate: new Date('2026-11-24T00:00:00Z') };
    expectNothingChanged(await releasedWithProfile({ ...WEB_PROFILE, Roles: [fresh] }, LEGACY_RECORD), /holds role arn:aws:iam::111122223333:role\/ci-deploy, created at 2026-11-24T00:00:00.000Z, after the pre-quarantine state/);
  });

  it('ATTACK (review-profile): an older role swapped into the profile of a record without role ids (a CloudWatch alarm\'s quarantine, an older record) is not passed: the profile stays disassociated (row 3g)', async () => {
    // ci-deploy existed long before the capture: nothing but the role ids could tell it from web's own.
    const result = await releasedWithProfile({ ...WEB_PROFILE, Roles: [DEPLOY_ROLE] }, LEGACY_RECORD);
    expect(result.status).toBe('released');
    expect(ec2Mock.commandCalls(AssociateIamInstanceProfileCommand)).toHaveLength(0);
    const why = /does not say which role instance profile arn:aws:iam::111122223333:instance-profile\/web\/web-server held .*now holds arn:aws:iam::111122223333:role\/ci-deploy \(AROACIDEPLOYROLE00001\).*stays disassociated/;
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:GetInstanceProfile', outcome: 'observed', detail: expect.stringMatching(why) }));
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'ec2:AssociateIamInstanceProfile', target: INSTANCE_ID, outcome: 'skipped', detail: expect.stringMatching(why) }));
    // The rest is restored: the network the owners wait for.
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(2);
  });

  it('associates the profile of a record without role ids while it holds no role (none is passed), and says it holds none', async () => {
    const result = await releasedWithProfile({ ...WEB_PROFILE, Roles: [] }, LEGACY_RECORD);
    expect(result.status).toBe('released');
    expect(inputsOf(ec2Mock, AssociateIamInstanceProfileCommand)).toEqual([{ IamInstanceProfile: { Arn: PROFILE_ARN }, InstanceId: INSTANCE_ID }]);
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:GetInstanceProfile', outcome: 'observed', detail: expect.stringMatching(/holds no role$/) }));
  });

  it('refuses a profile IAM no longer knows, or that now has another path, and associates nothing', async () => {
    expectNothingChanged(await releasedWithProfile(Object.assign(new Error('Instance Profile web-server cannot be found.'), { name: 'NoSuchEntity' })), /no longer exists/);
    ec2Mock.reset();
    givenMutationsSucceed(ec2Mock);
    givenRecordedGroups();
    records = new InMemoryQuarantineRecordStore();
    expectNothingChanged(await releasedWithProfile({ ...WEB_PROFILE, Arn: 'arn:aws:iam::111122223333:instance-profile/other/web-server' }), /is now arn:aws:iam::111122223333:instance-profile\/other\/web-server/);
  });

  it('does not read the profile when it associates none (restoreInstanceProfile off)', async () => {
    await records.saveIfAbsent(RECORD);
    givenInstance(ec2Mock, QUARANTINED);
    const result = await release(input({ request: REQUEST, options: { restoreInstanceProfile: false } }));
    expect(result.status).toBe('released');
    expect(iamMock.commandCalls(GetInstanceProfileCommand)).toHaveLength(0);
  });

  it('seals the role ids: a record whose role ids were dropped in the table is refused', async () => {
    const record = await sealed({ ...recordOfDefaultInstance(QUARANTINE_KEY, QUARANTINED_AT), instanceProfileRoleIds: [WEB_ROLE.RoleId] });
    const { instanceProfileRoleIds: _dropped, ...edited } = record;
    await records.saveIfAbsent(edited);
    givenInstance(ec2Mock, QUARANTINED);
    const result = await release(input({ request: REQUEST }));
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringMatching(/integrity check/) });
    expect(mutatingCallCount()).toBe(0);
  });
});
