import {
  CreateSnapshotsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import type { Instance, InstanceTypeInfo, Snapshot } from '@aws-sdk/client-ec2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsTarget, ClientFactory } from '../../lib/aws/clients';
import type { Incident } from '../../lib/incident/model';
import { ResponderFailedError, ResponderInputError, TransientResponderError } from '../../lib/contracts/responder-errors';
import { silentLogger } from '../../lib/responders/logging';
import type { ResponderMode } from '../../lib/contracts/responder-mode';
import type { SnapshotInput } from '../../lib/responders/snapshot';
import { createSnapshotVolumesHandler, snapshotVolumes } from '../../lib/responders/snapshot';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident, ec2Resource } from '../support/incidents';
import { confirmingOrigins } from '../support/alert-origins';
import { InMemoryEvidenceRecords } from '../support/evidence-records';

const ec2Mock = mockClient(EC2Client);
const NOW = new Date('2026-11-20T10:02:00.000Z');
const KEY = ec2Incident().key;

/** A factory that hands out one EC2 client (intercepted by aws-sdk-client-mock) and records where it was asked to act. */
class RecordingClientFactory implements ClientFactory {
  readonly targets: AwsTarget[] = [];
  private readonly client = new EC2Client({ region: REGION });
  async ec2(target: AwsTarget): Promise<EC2Client> {
    this.targets.push(target);
    return this.client;
  }
  async iam(): Promise<IAMClient> {
    return new IAMClient({ region: REGION });
  }
  sns(): SNSClient {
    return new SNSClient({ region: REGION });
  }
  sfn(): SFNClient {
    return new SFNClient({ region: REGION });
  }
  dynamodb(): DynamoDBClient {
    return new DynamoDBClient({ region: REGION });
  }
}

function sdkError(name: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(`${name}: simulated`), { name, $metadata: { httpStatusCode } });
}

const ROOT = { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-0root000000000001', Status: 'attached' as const, DeleteOnTermination: true } };
const DATA_B = { DeviceName: '/dev/sdb', Ebs: { VolumeId: 'vol-0data00000000000b', Status: 'attached' as const, DeleteOnTermination: false } };
const DATA_C = { DeviceName: '/dev/sdc', Ebs: { VolumeId: 'vol-0data00000000000c', Status: 'attached' as const, DeleteOnTermination: false } };

function instance(overrides: Partial<Instance> = {}): Instance {
  return {
    InstanceId: INSTANCE_ID,
    InstanceType: 'm5.large',
    State: { Code: 16, Name: 'running' },
    RootDeviceName: '/dev/xvda',
    RootDeviceType: 'ebs',
    BlockDeviceMappings: [ROOT, DATA_B, DATA_C],
    ...overrides,
  };
}

function givenInstance(i: Instance | undefined): void {
  ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: i === undefined ? [] : [{ Instances: [i] }] });
}

function givenInstanceType(info: InstanceTypeInfo): void {
  ec2Mock.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: [info] });
}

function givenExistingSnapshots(snapshots: (Pick<Snapshot, 'StartTime' | 'Description' | 'Tags'> & { SnapshotId: string; VolumeId: string; State: 'pending' | 'completed' | 'error' })[]): void {
  ec2Mock.on(DescribeSnapshotsCommand).resolves({ Snapshots: snapshots.map((snapshot) => ({ ...takenByFirebreak, ...snapshot })) });
}

function input(overrides: { incident?: Partial<Incident>; mode?: ResponderMode; tags?: Record<string, string> } = {}): SnapshotInput {
  return {
    incident: ec2Incident(overrides.incident),
    mode: overrides.mode ?? 'enforce',
    options: { tags: overrides.tags ?? {} },
  };
}

let clients: RecordingClientFactory;
let records: InMemoryEvidenceRecords;
const run = (i: SnapshotInput) => snapshotVolumes(i, { clients, records, logger: silentLogger, now: () => NOW });

const EXPECTED_DESCRIBE_SNAPSHOTS = {
  OwnerIds: ['self'],
  Filters: [
    { Name: 'tag:firebreak:incident', Values: [KEY] },
    { Name: 'tag:firebreak:instance', Values: [INSTANCE_ID] },
  ],
};
const EXPECTED_TAGS = [
  { Key: 'firebreak:incident', Value: KEY },
  { Key: 'firebreak:instance', Value: INSTANCE_ID },
  { Key: 'firebreak:finding-type', Value: 'Backdoor:EC2/C&CActivity.B!DNS' },
  { Key: 'firebreak:evidence', Value: 'true' },
];
const EXPECTED_DESCRIPTION = `Firebreak evidence for ${KEY} (Backdoor:EC2/C&CActivity.B!DNS)`;
/** An earlier run's snapshot as EC2 describes it: started after the finding was created (09:55), Firebreak's description and tags. */
const takenByFirebreak = { StartTime: new Date('2026-11-20T09:58:00.000Z'), Description: EXPECTED_DESCRIPTION, Tags: EXPECTED_TAGS };

beforeEach(() => {
  ec2Mock.reset();
  clients = new RecordingClientFactory();
  records = new InMemoryEvidenceRecords();
  givenInstanceType({ InstanceType: 'm5.large' });
  givenExistingSnapshots([]);
});
afterEach(() => ec2Mock.reset());

describe('snapshotVolumes', () => {
  it('snapshots all three EBS volumes, boot volume included, in ONE CreateSnapshots call with the evidence tags', async () => {
    givenInstance(instance());
    ec2Mock.on(CreateSnapshotsCommand).resolves({
      Snapshots: [
        { SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' },
        { SnapshotId: 'snap-0000000000000000b', VolumeId: 'vol-0data00000000000b', State: 'pending' },
        { SnapshotId: 'snap-0000000000000000c', VolumeId: 'vol-0data00000000000c', State: 'pending' },
      ],
    });

    const result = await run(input({ tags: { CostCenter: 'security' } }));

    expect(clients.targets).toEqual([{ account: ACCOUNT, region: REGION, findingAccount: ACCOUNT }]);
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: [INSTANCE_ID] });
    expect(ec2Mock.commandCalls(DescribeInstanceTypesCommand)[0]!.args[0].input).toEqual({ InstanceTypes: ['m5.large'] });
    expect(ec2Mock.commandCalls(DescribeSnapshotsCommand)).toHaveLength(1);
    expect(ec2Mock.commandCalls(DescribeSnapshotsCommand)[0]!.args[0].input).toEqual(EXPECTED_DESCRIBE_SNAPSHOTS);
    expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(1);
    expect(ec2Mock.commandCalls(CreateSnapshotsCommand)[0]!.args[0].input).toEqual({
      InstanceSpecification: { InstanceId: INSTANCE_ID, ExcludeBootVolume: false },
      Description: EXPECTED_DESCRIPTION,
      CopyTagsFromSource: 'volume',
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: [...EXPECTED_TAGS, { Key: 'CostCenter', Value: 'security' }] }],
    });
    expect(ec2Mock.calls()).toHaveLength(4);

    expect(result).toMatchObject({ responder: 'snapshot-volumes', incidentKey: KEY, mode: 'enforce', status: 'snapshotted', idempotentReplay: false, instanceId: INSTANCE_ID });
    expect(result.snapshots).toEqual([
      { snapshotId: 'snap-0000000000000000a', volumeId: 'vol-0root000000000001', deviceName: '/dev/xvda', reused: false, state: 'pending' },
      { snapshotId: 'snap-0000000000000000b', volumeId: 'vol-0data00000000000b', deviceName: '/dev/sdb', reused: false, state: 'pending' },
      { snapshotId: 'snap-0000000000000000c', volumeId: 'vol-0data00000000000c', deviceName: '/dev/sdc', reused: false, state: 'pending' },
    ]);
    expect(result.instanceStoreVolumes).toMatchObject({ status: 'none', volumeCount: 0 });
    const done = result.actions.filter((a) => a.outcome === 'done' && a.api === 'ec2:CreateSnapshots');
    expect(done.map((a) => a.target)).toEqual(['vol-0root000000000001', 'vol-0data00000000000b', 'vol-0data00000000000c']);
    expect(done[0]!.detail).toContain('snap-0000000000000000a');
    expect(done.every((a) => a.at === NOW.toISOString())).toBe(true);
  });

  it('reports an instance-store-only instance as no-ebs-volumes without searching or creating snapshots', async () => {
    givenInstance(instance({ InstanceType: 'm3.medium', RootDeviceType: 'instance-store', RootDeviceName: '/dev/sda1', BlockDeviceMappings: [] }));
    givenInstanceType({ InstanceType: 'm3.medium', InstanceStorageInfo: { TotalSizeInGB: 4, Disks: [{ SizeInGB: 4, Count: 1, Type: 'ssd' }] } });

    const result = await run(input());

    expect(result.status).toBe('no-ebs-volumes');
    expect(result.snapshots).toEqual([]);
    expect(ec2Mock.commandCalls(DescribeInstanceTypesCommand)[0]!.args[0].input).toEqual({ InstanceTypes: ['m3.medium'] });
    expect(ec2Mock.commandCalls(DescribeSnapshotsCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
    expect(result.instanceStoreVolumes).toMatchObject({
      status: 'present',
      instanceType: 'm3.medium',
      volumeCount: 1,
      totalSizeInGB: 4,
      rootDeviceIsInstanceStore: true,
    });
    expect(result.actions.filter((a) => a.outcome === 'skipped').map((a) => a.detail).join(' ')).toMatch(/instance-store/);
  });

  it('snapshots the EBS volumes of an instance that also has instance store, and reports the instance store it cannot preserve', async () => {
    givenInstance(instance({ InstanceType: 'm5d.large', BlockDeviceMappings: [ROOT] }));
    givenInstanceType({ InstanceType: 'm5d.large', InstanceStorageInfo: { TotalSizeInGB: 75, Disks: [{ SizeInGB: 75, Count: 1, Type: 'ssd' }] } });
    ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' }] });

    const result = await run(input());

    expect(result.status).toBe('snapshotted');
    expect(result.instanceStoreVolumes).toMatchObject({ status: 'present', volumeCount: 1, totalSizeInGB: 75, rootDeviceIsInstanceStore: false });
    expect(result.instanceStoreVolumes!.detail).toContain('1 x 75 GB SSD');
    const skipped = result.actions.find((a) => a.outcome === 'skipped');
    expect(skipped).toMatchObject({ api: 'ec2:CreateSnapshots', target: INSTANCE_ID });
  });

  it('snapshots a stopped instance: its volumes stay attached', async () => {
    givenInstance(instance({ State: { Code: 80, Name: 'stopped' }, BlockDeviceMappings: [ROOT] }));
    ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' }] });

    const result = await run(input());

    expect(result.status).toBe('snapshotted');
    expect(ec2Mock.commandCalls(CreateSnapshotsCommand)[0]!.args[0].input.InstanceSpecification).toEqual({ InstanceId: INSTANCE_ID, ExcludeBootVolume: false });
    expect(result.actions[0]!.detail).toContain('stopped');
  });

  it('reuses the incident snapshots on a second run: no CreateSnapshots, idempotent replay said so', async () => {
    givenInstance(instance());
    givenExistingSnapshots([
      { SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'completed' },
      { SnapshotId: 'snap-0000000000000000b', VolumeId: 'vol-0data00000000000b', State: 'pending' },
      { SnapshotId: 'snap-0000000000000000c', VolumeId: 'vol-0data00000000000c', State: 'completed' },
    ]);

    const result = await run(input());

    expect(ec2Mock.commandCalls(DescribeSnapshotsCommand)[0]!.args[0].input).toEqual(EXPECTED_DESCRIBE_SNAPSHOTS);
    expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
    expect(result.status).toBe('already-snapshotted');
    expect(result.idempotentReplay).toBe(true);
    expect(result.snapshots.map((s) => [s.snapshotId, s.reused])).toEqual([
      ['snap-0000000000000000a', true],
      ['snap-0000000000000000b', true],
      ['snap-0000000000000000c', true],
    ]);
    expect(result.actions.filter((a) => a.outcome === 'already-done')).toHaveLength(3);
    expect(result.actions.every((a) => ['observed', 'already-done'].includes(a.outcome))).toBe(true);
  });

  it('completes a partial earlier run: excludes the boot volume and the data volume already snapshotted', async () => {
    givenInstance(instance());
    givenExistingSnapshots([
      { SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'completed' },
      { SnapshotId: 'snap-0000000000000000b', VolumeId: 'vol-0data00000000000b', State: 'pending' },
      // A failed snapshot is no evidence: vol-…c must be taken again.
      { SnapshotId: 'snap-00000000000000bad', VolumeId: 'vol-0data00000000000c', State: 'error' },
    ]);
    ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0000000000000000c', VolumeId: 'vol-0data00000000000c', State: 'pending' }] });

    const result = await run(input());

    expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(1);
    expect(ec2Mock.commandCalls(CreateSnapshotsCommand)[0]!.args[0].input).toEqual({
      InstanceSpecification: { InstanceId: INSTANCE_ID, ExcludeBootVolume: true, ExcludeDataVolumeIds: ['vol-0data00000000000b'] },
      Description: EXPECTED_DESCRIPTION,
      CopyTagsFromSource: 'volume',
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: EXPECTED_TAGS }],
    });
    expect(result.status).toBe('snapshotted');
    expect(result.idempotentReplay).toBe(false);
    expect(result.snapshots.map((s) => [s.volumeId, s.snapshotId, s.reused])).toEqual([
      ['vol-0root000000000001', 'snap-0000000000000000a', true],
      ['vol-0data00000000000b', 'snap-0000000000000000b', true],
      ['vol-0data00000000000c', 'snap-0000000000000000c', false],
    ]);
  });

  it('follows DescribeSnapshots pages before deciding', async () => {
    givenInstance(instance({ BlockDeviceMappings: [ROOT, DATA_B] }));
    ec2Mock
      .on(DescribeSnapshotsCommand)
      .resolvesOnce({ Snapshots: [{ ...takenByFirebreak, SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'completed' }], NextToken: 'page-2' })
      .resolvesOnce({ Snapshots: [{ ...takenByFirebreak, SnapshotId: 'snap-0000000000000000b', VolumeId: 'vol-0data00000000000b', State: 'completed' }] });

    const result = await run(input());

    expect(ec2Mock.commandCalls(DescribeSnapshotsCommand).map((c) => c.args[0].input)).toEqual([
      EXPECTED_DESCRIBE_SNAPSHOTS,
      { ...EXPECTED_DESCRIBE_SNAPSHOTS, NextToken: 'page-2' },
    ]);
    expect(result.status).toBe('already-snapshotted');
  });

  describe("snapshots carrying the incident's tags that Firebreak did not take (anyone with ec2:CreateTags can tag one)", () => {
    /** Last week's backup of the root volume, tagged with the (predictable) incident key before the step ran. */
    const PLANTED = {
      SnapshotId: 'snap-0backup0000000001',
      VolumeId: 'vol-0root000000000001',
      State: 'completed' as const,
      StartTime: new Date('2026-11-13T00:00:00.000Z'),
      Description: 'AWS Backup daily',
      Tags: [{ Key: 'firebreak:incident', Value: KEY }, { Key: 'firebreak:instance', Value: INSTANCE_ID }],
    };
    const FRESH_ROOT = { SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' as const };

    it('takes a fresh snapshot of a volume whose tagged snapshot predates the incident, and leaves the planted one as it is', async () => {
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      givenExistingSnapshots([PLANTED]);
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [FRESH_ROOT] });

      const result = await run(input());

      expect(ec2Mock.commandCalls(CreateSnapshotsCommand).map((call) => call.args[0].input)).toEqual([
        {
          InstanceSpecification: { InstanceId: INSTANCE_ID, ExcludeBootVolume: false },
          Description: EXPECTED_DESCRIPTION,
          CopyTagsFromSource: 'volume',
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: EXPECTED_TAGS }],
        },
      ]);
      expect(result.status).toBe('snapshotted');
      expect(result.snapshots).toEqual([{ snapshotId: 'snap-0000000000000000a', volumeId: 'vol-0root000000000001', deviceName: '/dev/xvda', reused: false, state: 'pending' }]);
      expect(result.actions).toContainEqual(
        expect.objectContaining({
          api: 'ec2:DescribeSnapshots',
          target: 'snap-0backup0000000001',
          outcome: 'skipped',
          detail: expect.stringMatching(/started 2026-11-13T00:00:00.000Z, before the incident was created \(2026-11-20T09:55:00.000Z\).*not taken as evidence/),
        }),
      );
      // Evidence is never destroyed: the planted snapshot is read, never changed or deleted.
      expect(ec2Mock.calls().map((call) => call.args[0].constructor.name).sort()).toEqual(['CreateSnapshotsCommand', 'DescribeInstanceTypesCommand', 'DescribeInstancesCommand', 'DescribeSnapshotsCommand']);
    });

    it('takes a fresh snapshot when a tagged snapshot started after the finding lacks the description Firebreak writes', async () => {
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      givenExistingSnapshots([{ ...PLANTED, StartTime: new Date('2026-11-20T09:59:00.000Z') }]);
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [FRESH_ROOT] });

      const result = await run(input());

      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)[0]!.args[0].input.InstanceSpecification).toEqual({ InstanceId: INSTANCE_ID, ExcludeBootVolume: false });
      expect(result.actions).toContainEqual(expect.objectContaining({ target: 'snap-0backup0000000001', outcome: 'skipped', detail: expect.stringContaining('description is not the one Firebreak writes') }));
    });

    it("reuses Firebreak's own snapshot started within the 5-minute skew before the finding's creation, not one started earlier", async () => {
      givenInstance(instance({ BlockDeviceMappings: [ROOT, DATA_B] }));
      givenExistingSnapshots([
        { SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'completed', StartTime: new Date('2026-11-20T09:50:00.000Z') },
        { SnapshotId: 'snap-0000000000000000b', VolumeId: 'vol-0data00000000000b', State: 'completed', StartTime: new Date('2026-11-20T09:49:59.999Z') },
      ]);
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0000000000000000c', VolumeId: 'vol-0data00000000000b', State: 'pending' }] });

      const result = await run(input());

      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)[0]!.args[0].input.InstanceSpecification).toEqual({ InstanceId: INSTANCE_ID, ExcludeBootVolume: true });
      expect(result.snapshots.map((snapshot) => [snapshot.snapshotId, snapshot.reused])).toEqual([
        ['snap-0000000000000000a', true],
        ['snap-0000000000000000c', false],
      ]);
    });
  });

  describe('sealed evidence records (row 3za): the description and tags are claims, a record this step sealed is not', () => {
    /** The root volume's snapshot someone allowed ec2:CreateSnapshot and ec2:CreateTags made before the step ran, with Firebreak's description and tags (incident keys are predictable). */
    const FORGED = { SnapshotId: 'snap-0f0f0f0f0f0f0f0f1', VolumeId: 'vol-0root000000000001', State: 'completed' as const };
    const FRESH_ROOT = { SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' as const, StartTime: new Date('2026-11-20T10:02:00.000Z') };

    it('ATTACK (evidence-records): a snapshot forged with the evidence\'s description and tags before the step ran is not reused: the volume is snapshotted now, and the forgery named and left as it is', async () => {
      records = new InMemoryEvidenceRecords([]);
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      givenExistingSnapshots([FORGED]);
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [FRESH_ROOT] });

      const result = await run(input());

      // Before the fix: `already-snapshotted`, no CreateSnapshots, the forgery reported as the incident's evidence of the root volume.
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand).map((call) => call.args[0].input.InstanceSpecification)).toEqual([{ InstanceId: INSTANCE_ID, ExcludeBootVolume: false }]);
      expect(result.status).toBe('snapshotted');
      expect(result.snapshots.map((snapshot) => snapshot.snapshotId)).toEqual(['snap-0000000000000000a']);
      expect(records.verified).toEqual([{ incidentKey: KEY, snapshotId: FORGED.SnapshotId, volumeId: 'vol-0root000000000001', instanceId: INSTANCE_ID, account: ACCOUNT, region: REGION }]);
      expect(result.actions).toContainEqual(
        expect.objectContaining({
          api: 'ec2:DescribeSnapshots',
          target: FORGED.SnapshotId,
          outcome: 'skipped',
          detail: expect.stringMatching(/carries the description and tags of .*'s evidence, but no record of snapshot-volumes names it .*: they are claims .* not reused as evidence; it is left as it is, and vol-0root000000000001 is snapshotted now/),
        }),
      );
      // Evidence is never destroyed: the forgery is read, never changed or deleted.
      expect(ec2Mock.calls().map((call) => call.args[0].constructor.name).sort()).toEqual(['CreateSnapshotsCommand', 'DescribeInstanceTypesCommand', 'DescribeInstancesCommand', 'DescribeSnapshotsCommand']);
    });

    it('ATTACK (evidence-records): thirty forgeries of a volume cost at most 10 record checks and one line past them, and the volume is snapshotted now', async () => {
      records = new InMemoryEvidenceRecords([]);
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      givenExistingSnapshots(Array.from({ length: 30 }, (_, i) => ({ ...FORGED, SnapshotId: `snap-0f0f0f0f0f0f0${String(i).padStart(4, '0')}` })));
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [FRESH_ROOT] });

      const result = await run(input());

      expect(records.verified).toHaveLength(10);
      expect(result.status).toBe('snapshotted');
      const skipped = result.actions.filter((a) => a.outcome === 'skipped' && a.api === 'ec2:DescribeSnapshots');
      expect(skipped).toHaveLength(11);
      expect(skipped.at(-1)?.detail).toMatch(/^20 more snapshot\(s\) of vol-0root000000000001 carry the description and tags of .*; past the first 10 none was checked against the records, nor reused: snap-0f0f0f0f0f0f00010, .*vol-0root000000000001 is snapshotted now\.$/);
    });

    it('a rerun reaches its recorded evidence past twelve earlier forgeries through the volume\'s record (row 2zi), reuses it, and takes no snapshot again', async () => {
      records = new InMemoryEvidenceRecords([]);
      await records.save({ incidentKey: KEY, snapshotId: FRESH_ROOT.SnapshotId, volumeId: FRESH_ROOT.VolumeId, instanceId: INSTANCE_ID, account: ACCOUNT, region: REGION, recordedAt: NOW.toISOString() });
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      const forged = Array.from({ length: 12 }, (_, i) => ({ ...FORGED, SnapshotId: `snap-0f0f0f0f0f0f0${String(i).padStart(4, '0')}`, StartTime: new Date('2026-11-20T09:50:00.000Z') }));
      givenExistingSnapshots([...forged, { ...FRESH_ROOT, State: 'completed' as const }]);

      const result = await run(input());

      expect(result.status).toBe('already-snapshotted');
      expect(result.snapshots.map((snapshot) => snapshot.snapshotId)).toEqual([FRESH_ROOT.SnapshotId]);
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
      expect(records.volumeLookups).toEqual([{ incidentKey: KEY, volumeId: 'vol-0root000000000001', instanceId: INSTANCE_ID, account: ACCOUNT, region: REGION }]);
      expect(records.verified).toHaveLength(10);
      expect(result.actions.filter((a) => a.outcome === 'skipped' && a.api === 'ec2:DescribeSnapshots').at(-1)?.detail).toMatch(
        /^2 more snapshot\(s\) of vol-0root000000000001 .*past the first 10 none was checked against the records, nor reused: .*\. snap-0000000000000000a, which the volume's sealed record names, is its evidence\.$/,
      );
    });

    it('seals a record of each snapshot CreateSnapshots answered, naming it, its volume, the instance, the account, the region and the execution', async () => {
      givenInstance(instance({ BlockDeviceMappings: [ROOT, DATA_B] }));
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [FRESH_ROOT, { SnapshotId: 'snap-0000000000000000b', VolumeId: 'vol-0data00000000000b', State: 'pending' }] });
      const executionArn = `arn:aws:states:${REGION}:999988887777:execution:Firebreak-compromised-ec2-instance:gd-1`;

      const result = await run({ ...input(), execution: { executionArn } });

      expect(records.saved).toEqual([
        { incidentKey: KEY, snapshotId: 'snap-0000000000000000a', volumeId: 'vol-0root000000000001', instanceId: INSTANCE_ID, account: ACCOUNT, region: REGION, startedAt: '2026-11-20T10:02:00.000Z', recordedAt: NOW.toISOString(), executionArn },
        { incidentKey: KEY, snapshotId: 'snap-0000000000000000b', volumeId: 'vol-0data00000000000b', instanceId: INSTANCE_ID, account: ACCOUNT, region: REGION, recordedAt: NOW.toISOString(), executionArn },
      ]);
      expect(result.actions.filter((a) => a.api === 'dynamodb:PutItem').map((a) => [a.target, a.outcome])).toEqual([
        ['snap-0000000000000000a', 'done'],
        ['snap-0000000000000000b', 'done'],
      ]);
    });

    it('reuses a snapshot whose record verifies, and records nothing again', async () => {
      records = new InMemoryEvidenceRecords(['snap-0000000000000000a']);
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      givenExistingSnapshots([{ SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'completed' }]);

      const result = await run(input());

      expect(result.status).toBe('already-snapshotted');
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
      expect(records.saved).toEqual([]);
    });

    it('asks for no record of a snapshot of a volume no longer attached, nor of one in error', async () => {
      records = new InMemoryEvidenceRecords([]);
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      givenExistingSnapshots([
        { SnapshotId: 'snap-0000000000000000d', VolumeId: 'vol-0gone000000000001', State: 'completed' },
        { SnapshotId: 'snap-0000000000000000e', VolumeId: 'vol-0root000000000001', State: 'error' },
      ]);
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [FRESH_ROOT] });
      await run(input());
      expect(records.verified).toEqual([]);
    });

    it('a record that cannot be written keeps the snapshot (locked first when configured) and fails the step transiently, so that a retry takes the volume again and records that', async () => {
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [FRESH_ROOT] });
      records.save = async () => {
        throw new TransientResponderError('dynamodb:PutItem failed transiently (ProvisionedThroughputExceededException)');
      };
      const failure = await run(input()).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(TransientResponderError);
      expect((failure as Error).message).toMatch(/The evidence snapshots snap-0000000000000000a were started, but their sealed records could not be written.*kept \(never deleted\); a rerun of the step snapshots their volumes again/);
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(1);
    });

    it('a record refused for good fails the step for good, naming the snapshot it keeps', async () => {
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [FRESH_ROOT] });
      records.save = async () => {
        throw new ResponderFailedError('kms:GenerateMac denied');
      };
      const failure = await run(input()).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ResponderFailedError);
      expect(failure).not.toBeInstanceOf(TransientResponderError);
      expect((failure as Error).message).toContain('snap-0000000000000000a');
    });

    it('writes no record in dry-run', async () => {
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      ec2Mock.on(CreateSnapshotsCommand).rejects(sdkError('DryRunOperation', 412));
      await run(input({ mode: 'dry-run' }));
      expect(records.saved).toEqual([]);
    });
  });

  describe("the volume's own tags (copied by CopyTagsFromSource) never cost the evidence (review: snapshot-volumes)", () => {
    // Anyone allowed ec2:CreateTags on the volume (no more) can give it 46 tags ahead of time: with
    // Firebreak's four and the playbook's own, the copy would pass EC2's 50 per snapshot, and EC2
    // refuses the whole CreateSnapshots. Before the fix the step failed with no disk preserved.
    const tagLimit = () => sdkError('TagLimitExceeded');

    it("takes the snapshots again without the volumes' tags when EC2 refuses the copied tags, and says so", async () => {
      givenInstance(instance());
      ec2Mock
        .on(CreateSnapshotsCommand)
        .rejectsOnce(tagLimit())
        .resolves({
          Snapshots: [
            { SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' },
            { SnapshotId: 'snap-0000000000000000b', VolumeId: 'vol-0data00000000000b', State: 'pending' },
            { SnapshotId: 'snap-0000000000000000c', VolumeId: 'vol-0data00000000000c', State: 'pending' },
          ],
        });

      const result = await run(input({ tags: { CostCenter: 'security' } }));

      const creates = ec2Mock.commandCalls(CreateSnapshotsCommand).map((c) => c.args[0].input);
      expect(creates).toEqual([
        {
          InstanceSpecification: { InstanceId: INSTANCE_ID, ExcludeBootVolume: false },
          Description: EXPECTED_DESCRIPTION,
          CopyTagsFromSource: 'volume',
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: [...EXPECTED_TAGS, { Key: 'CostCenter', Value: 'security' }] }],
        },
        // The second call copies no tag from the volumes; Firebreak's and the playbook's are never more than 50.
        {
          InstanceSpecification: { InstanceId: INSTANCE_ID, ExcludeBootVolume: false },
          Description: EXPECTED_DESCRIPTION,
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: [...EXPECTED_TAGS, { Key: 'CostCenter', Value: 'security' }] }],
        },
      ]);
      expect(result.status).toBe('snapshotted');
      expect(result.snapshots.map((s) => s.snapshotId)).toEqual(['snap-0000000000000000a', 'snap-0000000000000000b', 'snap-0000000000000000c']);
      const refused = result.actions.find((a) => a.api === 'ec2:CreateSnapshots' && a.outcome === 'skipped' && a.detail.includes('TagLimitExceeded'));
      expect(refused?.detail).toContain("without the volumes' own tags");
    });

    it('retries only once: a second refusal fails the step, naming it', async () => {
      givenInstance(instance());
      ec2Mock.on(CreateSnapshotsCommand).rejects(tagLimit());
      await expect(run(input())).rejects.toThrow(/TagLimitExceeded/);
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(2);
    });

    it('never retries another refusal without tags (the tags are not the problem there)', async () => {
      givenInstance(instance());
      ec2Mock.on(CreateSnapshotsCommand).rejects(sdkError('SnapshotCreationPerVolumeRateExceeded'));
      await expect(run(input())).rejects.toBeInstanceOf(ResponderFailedError);
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(1);
    });

    it('in dry-run, sends one DryRun call with the tags it would write first', async () => {
      givenInstance(instance());
      ec2Mock.on(CreateSnapshotsCommand).rejects(sdkError('DryRunOperation', 412));
      const result = await run(input({ mode: 'dry-run' }));
      expect(result.status).toBe('dry-run');
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(1);
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)[0]!.args[0].input).toMatchObject({ CopyTagsFromSource: 'volume', DryRun: true });
    });
  });

  describe("CreateSnapshots' answer is checked: evidence is reported taken only for what EC2 says it started (review: snapshot-volumes)", () => {
    it('fails the step naming a volume the answer has no snapshot of (a partial answer, a volume detached meanwhile), after reporting the others', async () => {
      givenInstance(instance());
      ec2Mock.on(CreateSnapshotsCommand).resolves({
        Snapshots: [
          { SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' },
          { SnapshotId: 'snap-0000000000000000b', VolumeId: 'vol-0data00000000000b', State: 'pending' },
        ],
      });
      const failure = await run(input()).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ResponderFailedError);
      expect((failure as Error).message).toMatch(/no evidence snapshot of vol-0data00000000000c \(\/dev\/sdc\)/);
      expect((failure as Error).message).toContain('snap-0000000000000000a, snap-0000000000000000b');
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(1);
    });

    it('takes a snapshot EC2 answers in the error state for no evidence', async () => {
      givenInstance(instance());
      ec2Mock.on(CreateSnapshotsCommand).resolves({
        Snapshots: [
          { SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' },
          { SnapshotId: 'snap-0000000000000000b', VolumeId: 'vol-0data00000000000b', State: 'pending' },
          { SnapshotId: 'snap-0000000000000000c', VolumeId: 'vol-0data00000000000c', State: 'error' },
        ],
      });
      await expect(run(input())).rejects.toThrow(/no evidence snapshot of vol-0data00000000000c \(\/dev\/sdc\): snap-0000000000000000c is in state error/);
    });

    it('takes an answer without a snapshot id for no evidence', async () => {
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ VolumeId: 'vol-0root000000000001', State: 'pending' }] });
      await expect(run(input())).rejects.toThrow(/no evidence snapshot of vol-0root000000000001 \(\/dev\/xvda, boot\)/);
    });

    it('keeps a snapshot of a volume attached since DescribeInstances as evidence too (more, never less)', async () => {
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      ec2Mock.on(CreateSnapshotsCommand).resolves({
        Snapshots: [
          { SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' },
          { SnapshotId: 'snap-0000000000000000d', VolumeId: 'vol-0data00000000000d', State: 'pending' },
        ],
      });
      const result = await run(input());
      expect(result.status).toBe('snapshotted');
      expect(result.snapshots.map((s) => s.snapshotId)).toEqual(['snap-0000000000000000a', 'snap-0000000000000000d']);
    });
  });

  describe('sample findings and placeholder ids (must never reach a mutating call)', () => {
    it.each<ResponderMode>(['enforce', 'dry-run'])('makes no AWS call at all for a GuardDuty sample finding in %s', async (mode) => {
      givenInstance(instance({ InstanceId: 'i-99999999' }));
      const result = await run(
        input({ mode, incident: { sample: true, title: '[SAMPLE] C&C', resource: ec2Resource({ instanceId: 'i-99999999' }) } }),
      );
      expect(ec2Mock.calls()).toHaveLength(0);
      expect(clients.targets).toEqual([]);
      expect(result.status).toBe('skipped-sample');
      expect(result.actions).toEqual([
        expect.objectContaining({ api: 'firebreak:evidence', target: 'i-99999999', outcome: 'skipped' }),
      ]);
    });

    it('skips a placeholder instance id even when the finding is not flagged as a sample', async () => {
      const result = await run(input({ incident: { resource: ec2Resource({ instanceId: 'i-99999999' }) } }));
      expect(ec2Mock.calls()).toHaveLength(0);
      expect(result.status).toBe('skipped-sample');
    });

    it('acts on a real (non-sample) finding with a real instance id: the gate must not over-match', async () => {
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' }] });
      await run(input());
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(1);
    });
  });

  describe('game days (issue 8)', () => {
    it('snapshots nothing for a game-day incident on an instance EC2 does not show opted in', async () => {
      givenInstance(instance());
      const result = await run(input({ incident: { key: 'gameday-7ab9d1b3', gameDay: true } }));
      expect(result).toMatchObject({ status: 'refused', snapshots: [] });
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:check-gameday-target', outcome: 'skipped' }));
    });

    it('snapshots a game-day target tagged firebreak:gameday-target=true in EC2', async () => {
      givenInstance(instance({ Tags: [{ Key: 'firebreak:gameday-target', Value: 'true' }], BlockDeviceMappings: [ROOT] }));
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' }] });
      await run(input({ incident: { key: 'gameday-7ab9d1b3', gameDay: true } }));
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(1);
    });
  });

  describe('a drill on an instance sharing a Multi-Attach volume (drill-shared-volume)', () => {
    const OPTED_IN = [{ Key: 'firebreak:gameday-target', Value: 'true' }];
    const DRILL = { incident: { key: 'gameday-7ab9d1b3', gameDay: true } } as const;
    const SHARED_FILTER = { Filters: [{ Name: 'block-device-mapping.volume-id', Values: ['vol-0root000000000001', 'vol-0data00000000000b', 'vol-0data00000000000c'] }] };
    const PRODUCTION = { InstanceId: 'i-0000000000000prod', Tags: [{ Key: 'Name', Value: 'db-primary' }], BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { VolumeId: 'vol-0data00000000000b', Status: 'attached' as const } }] };

    function givenDrillInstanceSharing(...others: Instance[]): void {
      const self = instance({ Tags: OPTED_IN });
      givenInstance(self);
      ec2Mock.on(DescribeInstancesCommand, SHARED_FILTER).resolves({ Reservations: [{ Instances: [self, ...others] }] });
    }

    it('ATTACK (drill-shared-volume): leaves out a volume also attached to an instance that does not opt in, reading who else holds the volumes with one exact DescribeInstances', async () => {
      givenDrillInstanceSharing(PRODUCTION);
      ec2Mock.on(CreateSnapshotsCommand).resolves({
        Snapshots: [
          { SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' },
          { SnapshotId: 'snap-0000000000000000c', VolumeId: 'vol-0data00000000000c', State: 'pending' },
        ],
      });
      const result = await run(input(DRILL));
      const reads = ec2Mock.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input);
      // Every page, 1,000 a page (describeInstancesWhere, shared with the protected-holder read).
      expect(reads).toContainEqual({ ...SHARED_FILTER, MaxResults: 1000 });
      const creates = ec2Mock.commandCalls(CreateSnapshotsCommand);
      expect(creates).toHaveLength(1);
      expect(creates[0]?.args[0].input.InstanceSpecification).toEqual({ InstanceId: INSTANCE_ID, ExcludeBootVolume: false, ExcludeDataVolumeIds: ['vol-0data00000000000b'] });
      expect(result).toMatchObject({ status: 'snapshotted' });
      expect(result.snapshots.map((snapshot) => snapshot.volumeId)).toEqual(['vol-0root000000000001', 'vol-0data00000000000c']);
      expect(result.actions).toContainEqual(
        expect.objectContaining({ api: 'ec2:CreateSnapshots', target: 'vol-0data00000000000b', outcome: 'skipped', detail: expect.stringContaining('also attached to i-0000000000000prod') }),
      );
    });

    it('ATTACK (drill-shared-volume): snapshots nothing when every volume is shared with an instance outside the drill', async () => {
      const self = instance({ Tags: OPTED_IN, BlockDeviceMappings: [DATA_B] });
      givenInstance(self);
      ec2Mock.on(DescribeInstancesCommand, { Filters: [{ Name: 'block-device-mapping.volume-id', Values: ['vol-0data00000000000b'] }] }).resolves({ Reservations: [{ Instances: [self] }, { Instances: [PRODUCTION] }] });
      const result = await run(input(DRILL));
      expect(result).toMatchObject({ status: 'refused', snapshots: [] });
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
    });

    it('snapshots a shared volume when every instance it is attached to opts in to drills', async () => {
      givenDrillInstanceSharing({ ...PRODUCTION, Tags: OPTED_IN });
      ec2Mock.on(CreateSnapshotsCommand).resolves({
        Snapshots: ['vol-0root000000000001', 'vol-0data00000000000b', 'vol-0data00000000000c'].map((VolumeId, index) => ({ SnapshotId: `snap-000000000000000${index}`, VolumeId, State: 'pending' as const })),
      });
      const result = await run(input(DRILL));
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)[0]?.args[0].input.InstanceSpecification).toEqual({ InstanceId: INSTANCE_ID, ExcludeBootVolume: false });
      expect(result.snapshots).toHaveLength(3);
    });

    it('fails the step, snapshotting nothing, when it cannot read who else holds the volumes', async () => {
      givenInstance(instance({ Tags: OPTED_IN }));
      ec2Mock.on(DescribeInstancesCommand, SHARED_FILTER).rejects(sdkError('UnauthorizedOperation', 403));
      await expect(run(input(DRILL))).rejects.toThrow(/DescribeInstances/);
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
    });

    it('asks nothing more for a real incident: one DescribeInstances, of the instance', async () => {
      givenInstance(instance());
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [] });
      await run(input()).catch(() => undefined);
      expect(ec2Mock.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input)).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
    });
  });

  describe('dry-run', () => {
    it('in a dry-run deployment, sends CreateSnapshots with DryRun even when its input says enforce, and says why', async () => {
      givenInstance(instance());
      ec2Mock.on(CreateSnapshotsCommand).rejects(sdkError('DryRunOperation', 412));
      const result = await snapshotVolumes(input({ mode: 'enforce' }), {
        clients,
        records,
        logger: silentLogger,
        environment: { FIREBREAK_MODE: 'dry-run' },
        now: () => NOW,
      });
      expect(result).toMatchObject({ mode: 'dry-run', forcedDryRun: { requested: 'enforce' } });
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand).map((call) => call.args[0].input.DryRun)).toEqual([true]);
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:effective-mode', outcome: 'skipped' }));
    });

    it('sends CreateSnapshots with DryRun and reports would-do when EC2 answers DryRunOperation', async () => {
      givenInstance(instance());
      ec2Mock.on(CreateSnapshotsCommand).rejects(sdkError('DryRunOperation', 412));

      const result = await run(input({ mode: 'dry-run' }));

      expect(ec2Mock.commandCalls(DescribeInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: [INSTANCE_ID] });
      expect(ec2Mock.commandCalls(DescribeSnapshotsCommand)[0]!.args[0].input).toEqual(EXPECTED_DESCRIBE_SNAPSHOTS);
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(1);
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)[0]!.args[0].input).toEqual({
        InstanceSpecification: { InstanceId: INSTANCE_ID, ExcludeBootVolume: false },
        Description: EXPECTED_DESCRIPTION,
        CopyTagsFromSource: 'volume',
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: EXPECTED_TAGS }],
        DryRun: true,
      });
      expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', snapshots: [] });
      const last = result.actions.at(-1)!;
      expect(last).toMatchObject({ api: 'ec2:CreateSnapshots', target: INSTANCE_ID, outcome: 'would-do' });
      expect(last.detail).toContain('vol-0data00000000000c');
    });

    it('reports would-be-denied when EC2 answers UnauthorizedOperation, without failing the step', async () => {
      givenInstance(instance());
      ec2Mock.on(CreateSnapshotsCommand).rejects(sdkError('UnauthorizedOperation', 403));

      const result = await run(input({ mode: 'dry-run' }));

      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)[0]!.args[0].input.DryRun).toBe(true);
      expect(result.status).toBe('dry-run');
      expect(result.actions.at(-1)).toMatchObject({ outcome: 'would-be-denied', target: INSTANCE_ID });
    });

    it('sends nothing mutating when every volume is already preserved', async () => {
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      givenExistingSnapshots([{ SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'completed' }]);
      const result = await run(input({ mode: 'dry-run' }));
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
      expect(result.status).toBe('already-snapshotted');
    });
  });

  describe('errors', () => {
    it('surfaces RequestLimitExceeded on DescribeInstances as the retryable TransientResponderError', async () => {
      ec2Mock.on(DescribeInstancesCommand).rejects(sdkError('RequestLimitExceeded', 503));
      const error = await run(input()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientResponderError);
      expect((error as Error).name).toBe('TransientResponderError');
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
    });

    it('surfaces RequestLimitExceeded on CreateSnapshots as TransientResponderError', async () => {
      givenInstance(instance());
      ec2Mock.on(CreateSnapshotsCommand).rejects(sdkError('RequestLimitExceeded', 503));
      await expect(run(input())).rejects.toBeInstanceOf(TransientResponderError);
    });

    it('surfaces RequestLimitExceeded on DescribeSnapshots as TransientResponderError', async () => {
      givenInstance(instance());
      ec2Mock.on(DescribeSnapshotsCommand).rejects(sdkError('RequestLimitExceeded', 503));
      await expect(run(input())).rejects.toBeInstanceOf(TransientResponderError);
    });

    it('fails for good on a final CreateSnapshots error', async () => {
      givenInstance(instance());
      ec2Mock.on(CreateSnapshotsCommand).rejects(sdkError('SnapshotCreationPerVolumeRateExceeded'));
      await expect(run(input())).rejects.toBeInstanceOf(ResponderFailedError);
    });

    it('still takes the EBS evidence when DescribeInstanceTypes is denied, and says the instance store is unknown', async () => {
      givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
      ec2Mock.on(DescribeInstanceTypesCommand).rejects(sdkError('UnauthorizedOperation', 403));
      ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' }] });

      const result = await run(input());

      expect(result.status).toBe('snapshotted');
      expect(result.instanceStoreVolumes).toMatchObject({ status: 'unknown' });
      expect(result.instanceStoreVolumes!.detail).toContain('UnauthorizedOperation');
    });

    it('retries (fails transiently) when DescribeInstanceTypes is throttled', async () => {
      givenInstance(instance());
      ec2Mock.on(DescribeInstanceTypesCommand).rejects(sdkError('RequestLimitExceeded', 503));
      await expect(run(input())).rejects.toBeInstanceOf(TransientResponderError);
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
    });
  });

  describe('instances that are not there', () => {
    it('returns not-found for InvalidInstanceID.NotFound instead of crashing', async () => {
      ec2Mock.on(DescribeInstancesCommand).rejects(sdkError('InvalidInstanceID.NotFound'));
      const result = await run(input());
      expect(result).toMatchObject({ status: 'not-found', snapshots: [], instanceId: INSTANCE_ID });
      expect(ec2Mock.calls()).toHaveLength(1);
    });

    it('returns not-found when DescribeInstances answers with no reservation', async () => {
      givenInstance(undefined);
      expect((await run(input())).status).toBe('not-found');
    });

    it("says an answer owned by another account is another account's instance, not that none was found (review-member2)", async () => {
      ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ OwnerId: '999988887777', Instances: [instance()] }] });
      const result = await run(input());
      expect(result.status).toBe('not-found');
      expect(result.actions[0]!.detail).toContain('another account owns');
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
    });

    it('returns not-found for a terminated instance and creates nothing', async () => {
      givenInstance(instance({ State: { Code: 48, Name: 'terminated' }, BlockDeviceMappings: [] }));
      const result = await run(input());
      expect(result.status).toBe('not-found');
      expect(result.actions[0]!.detail).toContain('terminated');
      expect(ec2Mock.commandCalls(CreateSnapshotsCommand)).toHaveLength(0);
    });

    it('returns not-an-instance for an incident about an access key, without any AWS call', async () => {
      const result = await run(input({ incident: { resource: { kind: 'access-key', accessKeyId: 'AKIAEXAMPLE' } } }));
      expect(result.status).toBe('not-an-instance');
      expect(ec2Mock.calls()).toHaveLength(0);
    });
  });
});

/** The deployment facts the origin check reads (step-origin.ts), and an execution of its playbook whose history the check confirms (confirmingOrigins). */
const ORIGIN_ENVIRONMENT = { FIREBREAK_MODE: 'enforce', FIREBREAK_STACK_NAME: 'Firebreak', AWS_LAMBDA_FUNCTION_NAME: 'Firebreak-ResponderSnapshotVolumes-1A2B3C' };
const EXECUTION = { executionArn: `arn:aws:states:${REGION}:999988887777:execution:Firebreak-compromised-ec2-instance:gd-1` };

describe('createSnapshotVolumesHandler', () => {
  it('parses the state machine payload and runs the responder with the injected clients', async () => {
    givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
    ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' }] });
    const handler = createSnapshotVolumesHandler({ clients, records, origins: confirmingOrigins, environment: ORIGIN_ENVIRONMENT, logger: silentLogger, now: () => NOW });

    const result = await handler(JSON.parse(JSON.stringify({ incident: ec2Incident(), mode: 'enforce', options: {}, execution: EXECUTION })));

    expect(result.status).toBe('snapshotted');
    // options.tags defaulted to {} by the playbook schema: only Firebreak's own tags.
    expect(ec2Mock.commandCalls(CreateSnapshotsCommand)[0]!.args[0].input.TagSpecifications).toEqual([{ ResourceType: 'snapshot', Tags: EXPECTED_TAGS }]);
  });

  it('refuses a payload with unknown options with ResponderInputError before any AWS call', async () => {
    const handler = createSnapshotVolumesHandler({ clients, records, origins: confirmingOrigins, environment: ORIGIN_ENVIRONMENT, logger: silentLogger });
    await expect(handler({ incident: ec2Incident(), mode: 'enforce', options: { tag: { a: 'b' } }, execution: EXECUTION })).rejects.toBeInstanceOf(ResponderInputError);
    expect(ec2Mock.calls()).toHaveLength(0);
  });
});

describe('lambdas/snapshot-volumes', () => {
  it('exports the Lambda handler and createHandler, which runs the real responder over injected clients', async () => {
    const lambda = await import('../../lambdas/snapshot-volumes/index');
    expect(typeof lambda.handler).toBe('function');
    givenInstance(instance({ BlockDeviceMappings: [ROOT] }));
    givenExistingSnapshots([{ SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'completed' }]);

    const result = await lambda.createHandler({ clients, records, origins: confirmingOrigins, environment: ORIGIN_ENVIRONMENT, logger: silentLogger })({ incident: ec2Incident(), mode: 'enforce', options: {}, execution: EXECUTION });

    expect(result.status).toBe('already-snapshotted');
    expect(clients.targets).toEqual([{ account: ACCOUNT, region: REGION, findingAccount: ACCOUNT }]);
  });
});
