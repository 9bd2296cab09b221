// The pure decisions of snapshot-volumes, tested without any SDK mock.
import { isPlaceholderInstanceId } from '../../lib/responders/instance-state';
import { describe, expect, it } from 'vitest';
import {
  attachedEbsVolumes,
  evidenceSnapshotDescription,
  evidenceSnapshotTags,
  incidentEvidence,
  instanceStoreReport,
  notTakenForIncident,
  planEvidenceSnapshots,
  startedEvidence,
  truncateText,
} from '../../lib/responders/snapshot-plan';

const ROOT = { volumeId: 'vol-root', deviceName: '/dev/xvda', boot: true };
const DATA_B = { volumeId: 'vol-b', deviceName: '/dev/sdb', boot: false };
const DATA_C = { volumeId: 'vol-c', deviceName: '/dev/sdc', boot: false };

describe('attachedEbsVolumes', () => {
  it('marks the volume on the root device as boot and leaves out mappings without EBS', () => {
    expect(
      attachedEbsVolumes({
        RootDeviceName: '/dev/xvda',
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-root' } },
          { DeviceName: '/dev/sdb', Ebs: { VolumeId: 'vol-b' } },
          { DeviceName: '/dev/sdz' },
        ],
      }),
    ).toEqual([ROOT, DATA_B]);
  });

  it('has no boot volume when the root device is not EBS', () => {
    expect(attachedEbsVolumes({ RootDeviceName: '/dev/sda1', RootDeviceType: 'instance-store', BlockDeviceMappings: [{ DeviceName: '/dev/sdb', Ebs: { VolumeId: 'vol-b' } }] })).toEqual([DATA_B]);
  });
});

describe('planEvidenceSnapshots', () => {
  it('snapshots everything and excludes nothing on a first run', () => {
    expect(planEvidenceSnapshots([ROOT, DATA_B, DATA_C], [])).toEqual({
      reused: [],
      toSnapshot: [ROOT, DATA_B, DATA_C],
      excludeBootVolume: false,
      excludeDataVolumeIds: [],
    });
  });

  it('excludes the boot volume when only it was already snapshotted', () => {
    const plan = planEvidenceSnapshots([ROOT, DATA_B], [{ SnapshotId: 'snap-1', VolumeId: 'vol-root', State: 'pending' }]);
    expect(plan.excludeBootVolume).toBe(true);
    expect(plan.excludeDataVolumeIds).toEqual([]);
    expect(plan.toSnapshot).toEqual([DATA_B]);
  });

  it('excludes data volumes already snapshotted by id, never the boot volume by id', () => {
    const plan = planEvidenceSnapshots([ROOT, DATA_B, DATA_C], [{ SnapshotId: 'snap-2', VolumeId: 'vol-b', State: 'completed' }]);
    expect(plan).toMatchObject({ excludeBootVolume: false, excludeDataVolumeIds: ['vol-b'], toSnapshot: [ROOT, DATA_C] });
  });

  it('does not count failed or Recycle-Bin snapshots as evidence', () => {
    const plan = planEvidenceSnapshots(
      [ROOT, DATA_B],
      [
        { SnapshotId: 'snap-e', VolumeId: 'vol-root', State: 'error' },
        { SnapshotId: 'snap-r', VolumeId: 'vol-b', State: 'recoverable' },
      ],
    );
    expect(plan.reused).toEqual([]);
    expect(plan.toSnapshot).toEqual([ROOT, DATA_B]);
  });

  it('prefers a completed snapshot over a pending one of the same volume', () => {
    const plan = planEvidenceSnapshots(
      [DATA_B],
      [
        { SnapshotId: 'snap-p', VolumeId: 'vol-b', State: 'pending' },
        { SnapshotId: 'snap-c', VolumeId: 'vol-b', State: 'completed' },
      ],
    );
    expect(plan.reused).toEqual([{ snapshotId: 'snap-c', volumeId: 'vol-b', deviceName: '/dev/sdb', reused: true, state: 'completed' }]);
  });

  it('ignores snapshots of volumes no longer attached', () => {
    const plan = planEvidenceSnapshots([ROOT], [{ SnapshotId: 'snap-x', VolumeId: 'vol-gone', State: 'completed' }]);
    expect(plan.reused).toEqual([]);
    expect(plan.toSnapshot).toEqual([ROOT]);
  });
});

describe("startedEvidence: CreateSnapshots' answer is evidence only for what EC2 says it started", () => {
  it('reports every planned volume with no pending or completed snapshot in the answer, and why', () => {
    const { evidence, missing } = startedEvidence(
      [
        { SnapshotId: 'snap-a', VolumeId: 'vol-root', State: 'pending' },
        { SnapshotId: 'snap-b', VolumeId: 'vol-b', State: 'error' },
        { VolumeId: 'vol-c', State: 'pending' },
      ],
      [ROOT, DATA_B, DATA_C, { volumeId: 'vol-d', deviceName: '/dev/sdd', boot: false }],
      [ROOT, DATA_B, DATA_C],
    );
    expect(evidence).toEqual([{ snapshotId: 'snap-a', volumeId: 'vol-root', deviceName: '/dev/xvda', reused: false, state: 'pending' }]);
    expect(missing.map((m) => [m.volume.volumeId, m.reason])).toEqual([
      ['vol-b', 'snap-b is in state error'],
      ['vol-c', 'EC2 answered a snapshot of it without an id'],
      ['vol-d', "EC2's answer holds no snapshot of it (detached since it was described?)"],
    ]);
  });

  it('keeps a snapshot of a volume that was not planned (attached since): more evidence, never less', () => {
    const { evidence, missing } = startedEvidence([{ SnapshotId: 'snap-a', VolumeId: 'vol-root', State: 'pending' }, { SnapshotId: 'snap-e', VolumeId: 'vol-e', State: 'pending' }], [ROOT], [ROOT]);
    expect(evidence.map((s) => s.snapshotId)).toEqual(['snap-a', 'snap-e']);
    expect(missing).toEqual([]);
  });
});

describe("notTakenForIncident: a snapshot carrying the incident's tags is its evidence only if Firebreak took it for the incident", () => {
  const incident = { key: 'gd-abc', findingType: 'Backdoor:EC2/C&CActivity.B!DNS', times: { created: '2026-11-20T09:55:00.000Z', updated: '2026-11-20T10:00:00.000Z', received: '2026-11-20T10:01:00.000Z' } };
  const INSTANCE = 'i-0abc1234def567890';
  const firebreaks = (startTime: string) => ({ StartTime: new Date(startTime), Description: evidenceSnapshotDescription(incident), Tags: evidenceSnapshotTags(incident, INSTANCE, { Team: 'secops' }).tags });

  it("takes Firebreak's snapshot started after the incident was created, or within the 5-minute skew before", () => {
    expect(notTakenForIncident(firebreaks('2026-11-20T10:02:00.000Z'), incident, INSTANCE)).toBeUndefined();
    expect(notTakenForIncident(firebreaks('2026-11-20T09:50:00.000Z'), incident, INSTANCE)).toBeUndefined();
  });

  it('refuses one started earlier than that, whatever its description and tags say', () => {
    expect(notTakenForIncident(firebreaks('2026-11-20T09:49:59.999Z'), incident, INSTANCE)).toBe('it started 2026-11-20T09:49:59.999Z, before the incident was created (2026-11-20T09:55:00.000Z)');
  });

  it("refuses one without Firebreak's description or one of its tags, or without a start time", () => {
    const recent = firebreaks('2026-11-20T10:02:00.000Z');
    expect(notTakenForIncident({ ...recent, Description: 'AWS Backup daily' }, incident, INSTANCE)).toBe('its description is not the one Firebreak writes');
    expect(notTakenForIncident({ ...recent, Tags: recent.Tags.filter((tag) => tag.Key !== 'firebreak:evidence') }, incident, INSTANCE)).toBe("it lacks Firebreak's tag firebreak:evidence=true");
    expect(notTakenForIncident({ ...recent, StartTime: undefined }, incident, INSTANCE)).toBe('EC2 reports no start time for it');
  });

  it("refuses every snapshot when the incident's creation time cannot be read (its age cannot be checked)", () => {
    const undated = { ...incident, times: { ...incident.times, created: 'XXXX-XX-XXTXX:XX:XXZ' } };
    expect(notTakenForIncident(firebreaks('2026-11-20T10:02:00.000Z'), undated, INSTANCE)).toMatch(/cannot be read/);
  });

  it('splits what was found into the evidence and the others, with their volume and reason', () => {
    const ours = { ...firebreaks('2026-11-20T10:02:00.000Z'), SnapshotId: 'snap-ours', VolumeId: 'vol-root' };
    const planted = { ...firebreaks('2026-11-13T00:00:00.000Z'), SnapshotId: 'snap-old', VolumeId: 'vol-root' };
    expect(incidentEvidence([ours, planted], incident, INSTANCE)).toEqual({
      evidence: [ours],
      notEvidence: [{ snapshotId: 'snap-old', volumeId: 'vol-root', reason: 'it started 2026-11-13T00:00:00.000Z, before the incident was created (2026-11-20T09:55:00.000Z)' }],
    });
  });
});

describe('evidenceSnapshotTags', () => {
  const incident = { key: 'gd-abc', findingType: 'Backdoor:EC2/C&CActivity.B!DNS' };

  it("puts Firebreak's tags first and the playbook's extras after them", () => {
    expect(evidenceSnapshotTags(incident, 'i-0abc1234def567890', { Team: 'secops' })).toEqual({
      tags: [
        { Key: 'firebreak:incident', Value: 'gd-abc' },
        { Key: 'firebreak:instance', Value: 'i-0abc1234def567890' },
        { Key: 'firebreak:finding-type', Value: 'Backdoor:EC2/C&CActivity.B!DNS' },
        { Key: 'firebreak:evidence', Value: 'true' },
        { Key: 'Team', Value: 'secops' },
      ],
      rejected: [],
    });
  });

  it('cuts values to 256 characters and refuses reserved or overriding keys instead of failing', () => {
    const { tags, rejected } = evidenceSnapshotTags(
      { key: 'gd-abc', findingType: `T:${'x'.repeat(400)}` },
      'i-0abc1234def567890',
      { 'aws:createdBy': 'me', 'firebreak:incident': 'forged', [`k${'y'.repeat(130)}`]: 'v', Note: 'n'.repeat(300) },
    );
    expect(tags.every((t) => (t.Value ?? '').length <= 256)).toBe(true);
    expect(tags.find((t) => t.Key === 'firebreak:finding-type')!.Value).toMatch(/\.\.\.$/);
    expect(tags.find((t) => t.Key === 'firebreak:incident')!.Value).toBe('gd-abc');
    expect(tags.find((t) => t.Key === 'Note')!.Value).toHaveLength(256);
    expect(rejected.map((r) => r.key)).toEqual(['aws:createdBy', 'firebreak:incident', `k${'y'.repeat(130)}`]);
  });

  it('never exceeds 50 tags', () => {
    const extras = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, 'v']));
    const { tags, rejected } = evidenceSnapshotTags(incident, 'i-0abc1234def567890', extras);
    expect(tags).toHaveLength(50);
    expect(rejected).toHaveLength(14);
  });
});

describe('evidenceSnapshotDescription', () => {
  it('names the incident and the finding type', () => {
    expect(evidenceSnapshotDescription({ key: 'gd-abc', findingType: 'Trojan:EC2/DNSDataExfiltration' })).toBe(
      'Firebreak evidence for gd-abc (Trojan:EC2/DNSDataExfiltration)',
    );
  });

  it('stays within the 255 characters EC2 allows', () => {
    const description = evidenceSnapshotDescription({ key: 'gd-abc', findingType: 'x'.repeat(400) });
    expect(description).toHaveLength(255);
    expect(description.endsWith('...')).toBe(true);
  });
});

describe('isPlaceholderInstanceId', () => {
  it.each(['i-99999999', 'i-00000000', 'i-99999999999999999', 'i-xyz', '', 'i-0ABC1234DEF567890'])('treats %j as a placeholder', (id) => {
    expect(isPlaceholderInstanceId(id)).toBe(true);
  });

  it.each(['i-0abc1234def567890', 'i-1234abcd', 'i-081de1d7604b11e4a'])('treats %j as a real instance id', (id) => {
    expect(isPlaceholderInstanceId(id)).toBe(false);
  });
});

describe('instanceStoreReport', () => {
  it('says none for EBS-only types', () => {
    expect(instanceStoreReport('m5.large', undefined, 'ebs')).toMatchObject({ status: 'none', volumeCount: 0, rootDeviceIsInstanceStore: false });
  });

  it('counts the disks of a type with instance store', () => {
    const report = instanceStoreReport('i3.4xlarge', { TotalSizeInGB: 3800, Disks: [{ SizeInGB: 1900, Count: 2, Type: 'ssd' }] }, 'ebs');
    expect(report).toMatchObject({ status: 'present', volumeCount: 2, totalSizeInGB: 3800, disks: [{ count: 2, sizeInGB: 1900, type: 'ssd' }] });
    expect(report.detail).toContain('2 x 1900 GB SSD');
  });

  it('flags an instance-store root device even when the type lists no disks', () => {
    expect(instanceStoreReport('m1.small', undefined, 'instance-store')).toMatchObject({ status: 'present', rootDeviceIsInstanceStore: true });
  });

  it('says unknown, with the reason, when the type could not be described', () => {
    const report = instanceStoreReport('m5.large', undefined, 'ebs', 'ec2:DescribeInstanceTypes failed: AccessDenied');
    expect(report.status).toBe('unknown');
    expect(report.detail).toContain('AccessDenied');
  });
});

describe('truncateText', () => {
  it('leaves short text alone and marks cut text with ...', () => {
    expect(truncateText('abc', 5)).toBe('abc');
    expect(truncateText('abcdefgh', 6)).toBe('abc...');
  });

  it('never splits a character made of two UTF-16 units', () => {
    expect(truncateText('😀😀😀😀😀', 4)).toBe('😀...');
  });
});
