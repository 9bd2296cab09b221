import { describe, expect, it } from 'vitest';
import { CreateSnapshotsCommand, DescribeSnapshotsCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { ACCOUNT, ec2World, rejectionOf } from './fixtures';

const EVIDENCE_TAGS = [{ ResourceType: 'snapshot' as const, Tags: [{ Key: 'firebreak:incident', Value: 'inc-1' }] }];

describe('simulated EBS snapshots', () => {
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Using_Filtering.html ("You can escape special characters
  // using a backslash (\\) before the character. For example, a value of \\*amazon\\?\\\\ searches for the literal
  // string *amazon?\\."): the escape holds in a value without wildcards too.
  it('FIDELITY (review-evidence): reads a backslash in a filter value as an escape, with or without a wildcard in it', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({ volumes: [{ device: '/dev/xvda', boot: true }] });
    for (const Description of ['Firebreak evidence for k (A\\B)', 'Firebreak evidence for k (A*B?)']) {
      await ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId }, Description }));
    }
    const found = async (value: string) =>
      (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'description', Values: [value] }] }))).Snapshots?.map((s) => s.Description);
    expect(await found('Firebreak evidence for k (A\\\\B)')).toEqual(['Firebreak evidence for k (A\\B)']);
    expect(await found('Firebreak evidence for k (A\\*B\\?)')).toEqual(['Firebreak evidence for k (A*B?)']);
    expect(await found('Firebreak evidence for k (A\\*B\\?')).toEqual([]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSnapshots.html ("Each volume attached to the
  // specified instance will produce one snapshot that is crash-consistent across the instance.")
  it('creates one snapshot per EBS volume, boot volume included, with the volume tags copied and the specified tags', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({
      volumes: [
        { device: '/dev/xvda', boot: true, sizeGiB: 8, tags: { Name: 'root' } },
        { device: '/dev/sdf', sizeGiB: 100, tags: { Name: 'data', owner: 'payments' } },
      ],
    });
    const [root, data] = box.volumeIds as [string, string];

    const { Snapshots } = await ec2.send(
      new CreateSnapshotsCommand({
        InstanceSpecification: { InstanceId: box.instanceId },
        CopyTagsFromSource: 'volume',
        TagSpecifications: EVIDENCE_TAGS,
        Description: 'Firebreak evidence inc-1',
      }),
    );

    expect(Snapshots?.map((s) => [s.VolumeId, s.State, s.VolumeSize, s.OwnerId, s.Description])).toEqual([
      [root, 'pending', 8, ACCOUNT, 'Firebreak evidence inc-1'],
      [data, 'pending', 100, ACCOUNT, 'Firebreak evidence inc-1'],
    ]);
    expect(Snapshots?.every((s) => /^snap-[0-9a-f]{17}$/.test(s.SnapshotId ?? '') && s.StartTime instanceof Date)).toBe(true);
    expect(sim.snapshotsForVolume(root).map((s) => s.tags)).toEqual([{ Name: 'root', 'firebreak:incident': 'inc-1' }]);
    expect(sim.snapshotsForVolume(data).map((s) => s.tags)).toEqual([{ Name: 'data', 'firebreak:incident': 'inc-1', owner: 'payments' }]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceSpecification.html ("If you specify the ID of
  // the root volume, the request fails. To exclude the root volume, use ExcludeBootVolume.")
  it('excludes the boot volume when asked, and refuses to exclude it through ExcludeDataVolumeIds', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({ volumes: [{ device: '/dev/xvda', boot: true }, { device: '/dev/sdf' }] });
    const [root, data] = box.volumeIds as [string, string];

    const { Snapshots } = await ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId, ExcludeBootVolume: true } }));
    const refused = await rejectionOf(
      ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId, ExcludeDataVolumeIds: [root] } })),
    );

    expect(Snapshots?.map((s) => s.VolumeId)).toEqual([data]);
    expect(refused.name).toBe('InvalidParameterValue');
  });

  // Tag restrictions (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions): 50 per
  // resource. A refused call creates nothing: no snapshot of the volumes whose own tags were few enough.
  it('refuses the whole call when one snapshot would carry more than 50 tags, and creates no snapshot at all', async () => {
    const { sim, ec2 } = await ec2World();
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`label-${i}`, 'x']));
    const box = sim.addInstance({ volumes: [{ device: '/dev/xvda', boot: true }, { device: '/dev/sdf', tags: many }] });
    const [root, data] = box.volumeIds as [string, string];

    const refused = await rejectionOf(
      ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId }, CopyTagsFromSource: 'volume', TagSpecifications: EVIDENCE_TAGS })),
    );
    const { Snapshots } = await ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId }, TagSpecifications: EVIDENCE_TAGS }));

    expect(refused.name).toBe('TagLimitExceeded');
    expect(Snapshots?.map((s) => s.VolumeId)).toEqual([root, data]);
    expect(sim.snapshotsForVolume(root)).toHaveLength(1);
    expect(sim.snapshotsForVolume(data)).toHaveLength(1);
  });

  // CreateSnapshots on an instance without EBS volumes answers InvalidParameterValue "There are no attached
  // EBS-backed volumes on the instance id (i-…)." (the answer AWS gives; instance-store volumes cannot be snapshotted:
  // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/InstanceStorage.html).
  it('refuses an instance with no EBS volume', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({ type: 'm3.medium', volumes: [] });

    const error = await rejectionOf(ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId } })));

    expect([error.name, error.message]).toEqual([
      'InvalidParameterValue',
      `There are no attached EBS-backed volumes on the instance id (${box.instanceId}).`,
    ]);
    expect(sim.instance(box.instanceId)).toMatchObject({ rootDeviceType: 'instance-store', hasInstanceStore: true, volumes: [] });
    expect(sim.snapshots()).toEqual([]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html (State: pending | completed | error)
  it('reports snapshots pending, then completed once the simulated clock has advanced past the completion time', async () => {
    const { sim, ec2 } = await ec2World({ snapshotCompletionMs: 60_000 });
    const box = sim.addInstance();
    await ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId } }));

    const before = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    sim.advance(60_000);
    const after = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));

    expect(before.Snapshots?.map((s) => [s.State, s.Progress])).toEqual([['pending', '0%']]);
    expect(after.Snapshots?.map((s) => [s.State, s.Progress])).toEqual([['completed', '100%']]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html (filters volume-id, tag:<key>)
  it('finds the snapshots of one volume and those carrying a tag with DescribeSnapshots filters', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({ volumes: [{ device: '/dev/xvda', boot: true }, { device: '/dev/sdf' }] });
    const [root] = box.volumeIds as [string, string];
    await ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId }, TagSpecifications: EVIDENCE_TAGS }));
    await ec2.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId } }));

    const ofRoot = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: [root] }] }));
    const evidence = await ec2.send(
      new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:firebreak:incident', Values: ['inc-1'] }] }),
    );
    const unknown = await rejectionOf(ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-0123456789abcdef0'] })));

    expect(ofRoot.Snapshots).toHaveLength(2);
    expect(evidence.Snapshots?.map((s) => s.VolumeId)).toEqual(box.volumeIds);
    expect(unknown.name).toBe('InvalidSnapshot.NotFound');
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVolumes.html (filter attachment.instance-id)
  it('lists the volumes attached to an instance with their DeleteOnTermination flag', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance({ volumes: [{ device: '/dev/xvda', boot: true }, { device: '/dev/sdf' }] });
    sim.addInstance();

    const { Volumes } = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [box.instanceId] }] }));

    expect(Volumes?.map((v) => [v.VolumeId, v.State, v.Attachments?.[0]?.Device, v.Attachments?.[0]?.DeleteOnTermination])).toEqual([
      [box.volumeIds[0], 'in-use', '/dev/xvda', true],
      [box.volumeIds[1], 'in-use', '/dev/sdf', false],
    ]);
  });
});
