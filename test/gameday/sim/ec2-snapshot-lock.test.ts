/**
 * EBS Snapshot Lock in the simulated account: LockSnapshot on a pending snapshot, the lock states
 * over simulated time, DeleteSnapshot refused while a lock holds, and IAM evaluated on the snapshot
 * with its tags (Firebreak's grant is conditioned on aws:ResourceTag/firebreak:evidence).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CreateSnapshotsCommand, DeleteSnapshotCommand, DescribeLockedSnapshotsCommand, LockSnapshotCommand, UnlockSnapshotCommand } from '@aws-sdk/client-ec2';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { loadIamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import type { IamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import { ec2World, rejectionOf } from './fixtures';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function evidence(options: { snapshotCompletionMs?: number } = {}) {
  const world = await ec2World({ snapshotCompletionMs: options.snapshotCompletionMs ?? 10 * 60_000 });
  const box = world.sim.addInstance({ volumes: [{ device: '/dev/xvda', boot: true }] });
  const { Snapshots } = await world.ec2.send(
    new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId }, TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'firebreak:evidence', Value: 'true' }] }] }),
  );
  return { ...world, snapshotId: Snapshots![0]!.SnapshotId! };
}

describe('simulated EBS Snapshot Lock', () => {
  it('locks a pending snapshot; the duration starts only when the snapshot completes', async () => {
    const { sim, ec2, snapshotId } = await evidence();
    const locked = await ec2.send(new LockSnapshotCommand({ SnapshotId: snapshotId, LockMode: 'governance', LockDuration: 30 }));
    expect(locked.LockState).toBe('governance');
    expect(locked.LockExpiresOn).toBeUndefined();
    sim.advance(10 * 60_000);
    const { Snapshots } = await ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    expect(Snapshots?.[0]?.LockDurationStartTime?.getTime()).toBe(locked.LockCreatedOn!.getTime() + 10 * 60_000);
    expect(Snapshots?.[0]?.LockExpiresOn?.getTime()).toBe(Snapshots![0]!.LockDurationStartTime!.getTime() + 30 * DAY);
  });

  it('refuses DeleteSnapshot while the lock holds, whoever asks, and allows it once the lock expired', async () => {
    const { sim, ec2, snapshotId } = await evidence();
    await ec2.send(new LockSnapshotCommand({ SnapshotId: snapshotId, LockMode: 'governance', LockDuration: 1 }));
    const refused = await rejectionOf(ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })));
    expect(refused.name).toBe('SnapshotLocked');
    expect(sim.snapshots().map((s) => s.snapshotId)).toContain(snapshotId);
    sim.advance(DAY + HOUR);
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    expect(sim.snapshots().map((s) => s.snapshotId)).not.toContain(snapshotId);
  });

  it('lets compliance mode be undone during its cooling-off period only, and never shortened after it', async () => {
    const { sim, ec2, snapshotId } = await evidence();
    const locked = await ec2.send(new LockSnapshotCommand({ SnapshotId: snapshotId, LockMode: 'compliance', LockDuration: 7, CoolOffPeriod: 1 }));
    expect(locked.LockState).toBe('compliance-cooloff');
    expect(locked.CoolOffPeriodExpiresOn?.getTime()).toBe(locked.LockCreatedOn!.getTime() + HOUR);
    sim.advance(2 * HOUR);
    expect((await rejectionOf(ec2.send(new UnlockSnapshotCommand({ SnapshotId: snapshotId })))).name).toBe('InvalidParameterCombination');
    expect((await rejectionOf(ec2.send(new LockSnapshotCommand({ SnapshotId: snapshotId, LockMode: 'compliance', LockDuration: 1 })))).name).toBe('InvalidParameterValue');
    expect((await rejectionOf(ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })))).name).toBe('SnapshotLocked');
  });

  it('refuses the values LockSnapshot refuses', async () => {
    const { ec2, snapshotId } = await evidence();
    expect((await rejectionOf(ec2.send(new LockSnapshotCommand({ SnapshotId: snapshotId, LockMode: 'governance', LockDuration: 30, CoolOffPeriod: 2 })))).name).toBe('InvalidParameterCombination');
    expect((await rejectionOf(ec2.send(new LockSnapshotCommand({ SnapshotId: snapshotId, LockMode: 'compliance', LockDuration: 36_501 })))).name).toBe('InvalidParameterValue');
    expect((await rejectionOf(ec2.send(new LockSnapshotCommand({ SnapshotId: snapshotId, LockMode: 'compliance', LockDuration: 3, CoolOffPeriod: 73 })))).name).toBe('InvalidParameterValue');
  });
});

describe('IAM on LockSnapshot and DeleteSnapshot in the simulated account', () => {
  let catalog: IamCatalog;
  beforeAll(async () => {
    catalog = await loadIamCatalog();
  });
  const ACCOUNT = '111122223333';
  const REGION = 'eu-west-1';
  const ROLE = `arn:aws:iam::${ACCOUNT}:role/firebreak-responder-${REGION}-snapshot-volumes`;
  const ATTACKER = `arn:aws:iam::${ACCOUNT}:role/stolen-admin`;

  it('authorizes LockSnapshot on the snapshot with its tags: evidence yes, any other snapshot no; a DeleteSnapshot grant does not beat the lock', async () => {
    const sim = new SeededSimulatedAws({ seed: 'lock-iam', defaultAccount: ACCOUNT, defaultRegion: REGION });
    const box = sim.addInstance({ volumes: [{ device: '/dev/xvda', boot: true }, { device: '/dev/sdf' }] });
    sim.enforceIdentityPolicies(ROLE, [
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'ec2:LockSnapshot', Resource: 'arn:aws:ec2:*::snapshot/*', Condition: { StringEquals: { 'aws:ResourceTag/firebreak:evidence': 'true' } } },
        ],
      },
    ], catalog);
    sim.enforceIdentityPolicies(ATTACKER, [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:DeleteSnapshot', Resource: '*' }] }], catalog);
    const admin = await sim.clientFactory().ec2({ account: ACCOUNT, region: REGION });
    const { Snapshots } = await admin.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId, ExcludeBootVolume: true }, TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'firebreak:evidence', Value: 'true' }] }] }));
    const { Snapshots: other } = await admin.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId, ExcludeBootVolume: true } }));
    const firebreak = await sim.clientFactory({ principal: ROLE }).ec2({ account: ACCOUNT, region: REGION });
    const evidenceId = Snapshots![0]!.SnapshotId!;
    await firebreak.send(new LockSnapshotCommand({ SnapshotId: evidenceId, LockMode: 'governance', LockDuration: 30 }));
    expect((await rejectionOf(firebreak.send(new LockSnapshotCommand({ SnapshotId: other![0]!.SnapshotId!, LockMode: 'governance', LockDuration: 30 })))).name).toBe('UnauthorizedOperation');

    const attacker = await sim.clientFactory({ principal: ATTACKER }).ec2({ account: ACCOUNT, region: REGION });
    expect((await rejectionOf(attacker.send(new DeleteSnapshotCommand({ SnapshotId: evidenceId })))).name).toBe('SnapshotLocked');
    // The unlocked one goes: the grant itself works, the lock is what holds.
    await attacker.send(new DeleteSnapshotCommand({ SnapshotId: other![0]!.SnapshotId! }));
    expect(sim.snapshots().map((s) => s.snapshotId)).toEqual([evidenceId]);
  });

  it('caps the lock at the deployed duration (ec2:SnapshotLockDuration, as the synthesized statement has it): longer, or by an expiry date, is denied', async () => {
    const sim = new SeededSimulatedAws({ seed: 'lock-cap', defaultAccount: ACCOUNT, defaultRegion: REGION });
    const box = sim.addInstance({ volumes: [{ device: '/dev/xvda', boot: true }, { device: '/dev/sdf' }] });
    // test/stack/snapshot-lock-iam.test.ts pins this statement in the templates (the shipped playbooks lock 30 days).
    sim.enforceIdentityPolicies(ROLE, [
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'ec2:LockSnapshot',
            Resource: 'arn:aws:ec2:*::snapshot/*',
            Condition: { StringEquals: { 'aws:ResourceTag/firebreak:evidence': 'true' }, NumericLessThanEquals: { 'ec2:SnapshotLockDuration': '30' } },
          },
        ],
      },
    ], catalog);
    const admin = await sim.clientFactory().ec2({ account: ACCOUNT, region: REGION });
    const { Snapshots } = await admin.send(new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId: box.instanceId }, TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'firebreak:evidence', Value: 'true' }] }] }));
    const [first, second] = Snapshots!.map((snapshot) => snapshot.SnapshotId!);
    const firebreak = await sim.clientFactory({ principal: ROLE }).ec2({ account: ACCOUNT, region: REGION });
    // A hundred years in compliance mode: nobody, the root user included, could delete it, and its storage is paid for as long.
    expect((await rejectionOf(firebreak.send(new LockSnapshotCommand({ SnapshotId: first!, LockMode: 'compliance', LockDuration: 36_500 })))).name).toBe('UnauthorizedOperation');
    expect((await rejectionOf(firebreak.send(new LockSnapshotCommand({ SnapshotId: first!, LockMode: 'governance', LockDuration: 31 })))).name).toBe('UnauthorizedOperation');
    expect((await rejectionOf(firebreak.send(new LockSnapshotCommand({ SnapshotId: first!, LockMode: 'compliance', ExpirationDate: new Date(Date.UTC(2125, 0, 1)) })))).name).toBe('UnauthorizedOperation');
    const locked = async () => ((await admin.send(new DescribeLockedSnapshotsCommand({}))).Snapshots ?? []).map((snapshot) => snapshot.SnapshotId).sort();
    expect(await locked()).toEqual([]);
    await firebreak.send(new LockSnapshotCommand({ SnapshotId: first!, LockMode: 'governance', LockDuration: 30 }));
    await firebreak.send(new LockSnapshotCommand({ SnapshotId: second!, LockMode: 'compliance', LockDuration: 7, CoolOffPeriod: 24 }));
    expect(await locked()).toEqual([first, second].sort());
  });
});
