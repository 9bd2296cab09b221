/**
 * EBS Snapshot Lock: LockSnapshot, DescribeLockedSnapshots, UnlockSnapshot, and the rule that a
 * locked snapshot cannot be deleted (DeleteSnapshot asks `refuseLockedDeletion`).
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-snapshot-lock.html
 *
 * Modelled: governance and compliance modes; a pending snapshot's lock duration starts when the
 * snapshot completes; the compliance cooling-off period (1–72 h) during which the lock can still be
 * removed; after it, the lock cannot be removed, shortened or given a cooling-off period again; an
 * expired lock holds nothing. The error code a locked snapshot's DeleteSnapshot answers is this
 * simulator's choice (`SnapshotLocked`), not one verified against EC2.
 */
import type { DescribeLockedSnapshotsCommandInput, LockedSnapshotsInfo, LockSnapshotCommandInput, UnlockSnapshotCommandInput } from '@aws-sdk/client-ec2';
import { inputOf } from './call';
import type { ApiHandler } from './call';
import { ec2Error, invalidParameterValue, missingParameter, requireSnapshot } from './ec2-common';
import type { SnapshotLockRecord, SnapshotRecord } from './model';
import type { SimWorld } from './world';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

type LockState = 'governance' | 'compliance-cooloff' | 'compliance' | 'expired';

/** When the lock's duration starts: at locking, or when a pending snapshot completes. */
function durationStart(snapshot: SnapshotRecord, lock: SnapshotLockRecord): number {
  return Math.max(lock.createdOn, snapshot.completesAt);
}

function expiresOn(snapshot: SnapshotRecord, lock: SnapshotLockRecord): number {
  return durationStart(snapshot, lock) + lock.durationDays * DAY_MS;
}

function coolOffExpiresOn(lock: SnapshotLockRecord): number | undefined {
  return lock.mode === 'compliance' && lock.coolOffHours !== undefined ? lock.createdOn + lock.coolOffHours * HOUR_MS : undefined;
}

/** The lock state at the current simulated time (undefined: never locked). */
export function lockState(world: SimWorld, snapshot: SnapshotRecord): LockState | undefined {
  const lock = snapshot.lock;
  if (lock === undefined) return undefined;
  const now = world.now();
  if (now >= expiresOn(snapshot, lock)) return 'expired';
  if (lock.mode === 'governance') return 'governance';
  const coolOff = coolOffExpiresOn(lock);
  return coolOff !== undefined && now < coolOff ? 'compliance-cooloff' : 'compliance';
}

/** DeleteSnapshot's rule: a snapshot under a lock that has not expired is not deleted, whoever asks. */
export function refuseLockedDeletion(world: SimWorld, snapshot: SnapshotRecord): void {
  const state = lockState(world, snapshot);
  if (state !== undefined && state !== 'expired') {
    throw ec2Error('SnapshotLocked', `The snapshot '${snapshot.id}' is locked in ${state} mode and cannot be deleted until its lock expires${state === 'compliance' ? '' : ' or it is unlocked'}.`);
  }
}

function lockInfo(world: SimWorld, snapshot: SnapshotRecord): LockedSnapshotsInfo {
  const lock = snapshot.lock as SnapshotLockRecord;
  const coolOff = coolOffExpiresOn(lock);
  return {
    OwnerId: snapshot.account,
    SnapshotId: snapshot.id,
    LockState: lockState(world, snapshot),
    LockDuration: lock.durationDays,
    ...(lock.coolOffHours !== undefined ? { CoolOffPeriod: lock.coolOffHours } : {}),
    ...(coolOff !== undefined ? { CoolOffPeriodExpiresOn: new Date(coolOff) } : {}),
    LockCreatedOn: new Date(lock.createdOn),
    // Only once the snapshot has completed does the duration run.
    ...(world.now() >= snapshot.completesAt ? { LockDurationStartTime: new Date(durationStart(snapshot, lock)), LockExpiresOn: new Date(expiresOn(snapshot, lock)) } : {}),
  };
}

export function ec2SnapshotLockHandlers(world: SimWorld): Record<string, ApiHandler> {
  return {
    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockSnapshot.html */
    LockSnapshot(call) {
      const input = inputOf<LockSnapshotCommandInput>(call);
      if (!input.SnapshotId) throw missingParameter('SnapshotId');
      if (input.LockMode !== 'governance' && input.LockMode !== 'compliance') throw missingParameter('LockMode');
      if (input.LockDuration === undefined) throw missingParameter('LockDuration');
      if (!Number.isInteger(input.LockDuration) || input.LockDuration < 1 || input.LockDuration > 36_500) {
        throw invalidParameterValue(`Value (${input.LockDuration}) for parameter LockDuration is invalid. It must be between 1 and 36500.`);
      }
      if (input.CoolOffPeriod !== undefined) {
        if (input.LockMode === 'governance') throw ec2Error('InvalidParameterCombination', 'CoolOffPeriod can be specified only with LockMode compliance.');
        if (!Number.isInteger(input.CoolOffPeriod) || input.CoolOffPeriod < 1 || input.CoolOffPeriod > 72) {
          throw invalidParameterValue(`Value (${input.CoolOffPeriod}) for parameter CoolOffPeriod is invalid. It must be between 1 and 72.`);
        }
      }
      const snapshot = requireSnapshot(world, call, input.SnapshotId);
      const state = lockState(world, snapshot);
      if (state === 'compliance') {
        if (input.LockMode === 'governance') throw ec2Error('InvalidParameterCombination', `The snapshot '${snapshot.id}' is locked in compliance mode: its mode cannot change.`);
        if (input.CoolOffPeriod !== undefined) throw ec2Error('InvalidParameterCombination', `The snapshot '${snapshot.id}' is past its cooling-off period.`);
        if (input.LockDuration < (snapshot.lock as SnapshotLockRecord).durationDays) {
          throw invalidParameterValue(`The lock duration of the compliance-mode snapshot '${snapshot.id}' can only be increased.`);
        }
      }
      call.dryRunGate();
      snapshot.lock = {
        mode: input.LockMode,
        durationDays: input.LockDuration,
        ...(input.CoolOffPeriod !== undefined ? { coolOffHours: input.CoolOffPeriod } : {}),
        createdOn: world.now(),
      };
      const info = lockInfo(world, snapshot);
      return { ...info, OwnerId: undefined };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLockedSnapshots.html */
    DescribeLockedSnapshots(call) {
      const input = inputOf<DescribeLockedSnapshotsCommandInput>(call);
      const candidates = input.SnapshotIds?.length
        ? input.SnapshotIds.map((id) => requireSnapshot(world, call, id))
        : [...world.snapshots.values()].filter((s) => s.account === call.account && s.region === call.region);
      const wanted = new Set(input.Filters?.find((f) => f.Name === 'lock-state')?.Values ?? []);
      call.dryRunGate();
      const Snapshots = candidates
        .filter((s) => s.lock !== undefined)
        .map((s) => lockInfo(world, s))
        .filter((info) => wanted.size === 0 || wanted.has(info.LockState ?? ''));
      return { Snapshots };
    },

    /** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_UnlockSnapshot.html: governance, or compliance within its cooling-off period. */
    UnlockSnapshot(call) {
      const input = inputOf<UnlockSnapshotCommandInput>(call);
      if (!input.SnapshotId) throw missingParameter('SnapshotId');
      const snapshot = requireSnapshot(world, call, input.SnapshotId);
      const state = lockState(world, snapshot);
      if (state === 'compliance') throw ec2Error('InvalidParameterCombination', `The snapshot '${snapshot.id}' is locked in compliance mode past its cooling-off period and cannot be unlocked.`);
      call.dryRunGate();
      delete snapshot.lock;
      return { SnapshotId: snapshot.id };
    },
  };
}
