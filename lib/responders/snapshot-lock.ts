/**
 * EBS Snapshot Lock for the evidence snapshots (snapshot-volumes' `lock` option): the pure model of
 * a lock as LockSnapshot / DescribeLockedSnapshots report it, and the calls.
 *
 * Why right after CreateSnapshots, without waiting: LockSnapshot accepts a snapshot in the `pending`
 * state, and its duration then starts only when the snapshot completes
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockedSnapshotsInfo.html,
 * `lockDurationStartTime`). The evidence is protected from deletion from the moment it exists,
 * with no Step Functions wait in between.
 *
 * Why DescribeLockedSnapshots before locking a reused snapshot: LockSnapshot on a locked snapshot
 * does not answer "already locked", it changes the lock (a governance lock's duration is reset; a
 * compliance lock past its cooling-off period refuses a shorter duration or a cooling-off period),
 * so a redelivered step must not lock again what an earlier run locked.
 *
 * Why the lock must be one the deployment configures (SECURITY_ENV.evidenceLocks): taking evidence
 * needs no containment grant, so the Lambda input is all a caller with lambda:InvokeFunction needs;
 * a compliance lock it chose (up to 100 years) could then never be removed, by anyone. The stack
 * writes the locks of the deployed playbooks' snapshot-volumes steps; any other lock is refused
 * before any AWS call, the snapshots are still taken (evidence is never given up for a lock), and
 * the step fails naming them, as a lock EC2 refuses does.
 */
import type { EC2Client, LockedSnapshotsInfo, LockSnapshotCommandInput, LockSnapshotCommandOutput } from '@aws-sdk/client-ec2';
import { DescribeLockedSnapshotsCommand, LockSnapshotCommand } from '@aws-sdk/client-ec2';
import type { ResponderMode } from '../contracts/responder-mode';
import { ResponderAccessDeniedError, ResponderFailedError, TransientResponderError } from '../contracts/responder-errors';
import type { EvidenceLockSettings } from '../contracts/security';
import { SECURITY_ENV } from '../contracts/security';
import * as z from '../contracts/zod-mini';
import { evidenceLockOptions } from '../playbooks/instance-options';
import type { ActionLog } from './action-log';
import type { DeploymentEnvironment } from './effective-mode';
import { sendMutating, sendReadOnly } from './mutating';
import type { EvidenceSnapshot } from './snapshot-plan';

/** The playbook's `lock:` option of snapshot-volumes (validated by the playbook schema). */
export type EvidenceLockOptions = EvidenceLockSettings;

/** The lock a step may apply: the input's when the deployment configures it, else none and why. */
export interface EvidenceLockRail {
  readonly lock?: EvidenceLockOptions;
  readonly refusal?: string;
}

const deployedLocksSchema = z.array(evidenceLockOptions);

/** A lock in words: `compliance for 36500 day(s), cooling-off 24 h`. */
const lockWords = (lock: EvidenceLockOptions): string =>
  `${lock.mode} for ${lock.durationDays} day(s)${lock.coolOffHours !== undefined ? `, cooling-off ${lock.coolOffHours} h` : ''}`;

const sameLock = (a: EvidenceLockOptions, b: EvidenceLockOptions): boolean =>
  a.mode === b.mode && a.durationDays === b.durationDays && a.coolOffHours === b.coolOffHours;

/**
 * Checks the input's lock against the locks the deployment configures (SECURITY_ENV.evidenceLocks):
 * exactly one of them, or no lock at all. An unset or unreadable variable allows none.
 */
export function deployedEvidenceLock(requested: EvidenceLockOptions | undefined, env: DeploymentEnvironment): EvidenceLockRail {
  if (requested === undefined) return {};
  const name = SECURITY_ENV.evidenceLocks;
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    return { refusal: `${name} is not set on this function, and a deployment that does not state its evidence locks allows none` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const deployed = deployedLocksSchema.safeParse(parsed);
  if (!deployed.success) return { refusal: `${name} is not a JSON list of lock settings, so no lock is allowed` };
  if (deployed.data.some((lock) => sameLock(lock, requested))) return { lock: requested };
  const allowed = deployed.data.length > 0 ? `only ${deployed.data.map(lockWords).join('; ')}` : 'none';
  return { refusal: `the lock asked for (${lockWords(requested)}) is not one the deployed playbooks configure (${name}: ${allowed})` };
}

/** The step's failure once a refused lock's snapshots are taken: they exist, unlocked, and the error names them. */
export function evidenceLockRefusedError(refusal: string, snapshots: readonly EvidenceSnapshot[], wouldCreate: readonly string[]): ResponderFailedError {
  const taken = snapshots.length > 0 ? `the evidence snapshots ${snapshots.map((s) => s.snapshotId).join(', ')} exist but are not locked` : 'no evidence snapshot is locked';
  const dryRun = wouldCreate.length > 0 ? ` (dry-run: ${wouldCreate.join(', ')} would have been snapshotted, unlocked)` : '';
  return new ResponderFailedError(`Lock refused: ${refusal}; ${taken}${dryRun}. Lock them by hand if the incident calls for it`);
}

/** Lock states under which the snapshot cannot be deleted (`expired` can). */
const HOLDING_LOCK_STATES = new Set(['governance', 'compliance', 'compliance-cooloff']);

/** One evidence snapshot's lock, as EC2 reported it (LockSnapshot's answer, or DescribeLockedSnapshots for one locked before). */
export interface EvidenceLock {
  readonly snapshotId: string;
  /** locked: LockSnapshot locked it now; already-locked: an earlier run had; would-lock: dry-run (DryRunOperation, or cannot be dry-run). */
  readonly outcome: 'locked' | 'already-locked' | 'would-lock' | 'would-be-denied';
  /** `governance`, `compliance-cooloff`, `compliance` (what EC2 reports; absent in dry-run). */
  readonly lockState?: string;
  readonly lockDurationDays?: number;
  readonly coolOffHours?: number;
  /** ISO 8601 times as EC2 reports them. */
  readonly lockCreatedOn?: string;
  readonly lockExpiresOn?: string;
  readonly lockDurationStartTime?: string;
  readonly coolOffPeriodExpiresOn?: string;
}

/** The exact LockSnapshot input for one evidence snapshot. */
export function lockSnapshotInput(snapshotId: string, lock: EvidenceLockOptions, dryRun: boolean): LockSnapshotCommandInput {
  return {
    SnapshotId: snapshotId,
    LockMode: lock.mode,
    LockDuration: lock.durationDays,
    // LockSnapshot refuses CoolOffPeriod in governance mode; the playbook schema refuses it there too.
    ...(lock.mode === 'compliance' && lock.coolOffHours !== undefined ? { CoolOffPeriod: lock.coolOffHours } : {}),
    ...(dryRun ? { DryRun: true } : {}),
  };
}

const iso = (date: Date | undefined): string | undefined => (date === undefined ? undefined : date.toISOString());

/** The lock as EC2 reported it (LockSnapshot's output and DescribeLockedSnapshots' entries have the same fields). */
export function reportedLock(
  snapshotId: string,
  outcome: EvidenceLock['outcome'],
  reported: Pick<LockSnapshotCommandOutput, 'LockState' | 'LockDuration' | 'CoolOffPeriod' | 'LockCreatedOn' | 'LockExpiresOn' | 'LockDurationStartTime' | 'CoolOffPeriodExpiresOn'> | LockedSnapshotsInfo,
): EvidenceLock {
  const fields: Record<string, string | number | undefined> = {
    lockState: reported.LockState,
    lockDurationDays: reported.LockDuration,
    coolOffHours: reported.CoolOffPeriod,
    lockCreatedOn: iso(reported.LockCreatedOn),
    lockExpiresOn: iso(reported.LockExpiresOn),
    lockDurationStartTime: iso(reported.LockDurationStartTime),
    coolOffPeriodExpiresOn: iso(reported.CoolOffPeriodExpiresOn),
  };
  const present = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  return { snapshotId, outcome, ...present } as EvidenceLock;
}

/** One sentence for the action log and the alert: mode, until when, and the cooling-off period. */
export function describeLock(lock: EvidenceLock): string {
  const state = lock.lockState ?? 'unknown state';
  const until = lock.lockExpiresOn !== undefined
    ? `until ${lock.lockExpiresOn}`
    : lock.lockDurationDays !== undefined
      ? `for ${lock.lockDurationDays} day(s) from completion`
      : 'for an unreported duration';
  const coolOff = lock.coolOffPeriodExpiresOn !== undefined ? `, cooling-off until ${lock.coolOffPeriodExpiresOn}` : '';
  return `${lock.snapshotId} locked (${state}) ${until}${coolOff}`;
}

/**
 * Why a lock a reused snapshot already holds is weaker than the deployed one, or undefined when it
 * is at least as strong. The holder is a claim: anyone allowed ec2:LockSnapshot in the member
 * account (no ec2:UnlockSnapshot needed) can lock unlocked evidence first, for a day in governance
 * mode, between a throttled attempt and its retry, or on a snapshot they took themselves with
 * Firebreak's marks. Such a lock is replaced by the deployed one (LockSnapshot changes a
 * governance lock, and lengthens a compliance one); a lock as strong is left as it is, so a re-run
 * never resets its duration. Weaker: governance where the deployment locks in compliance, or a
 * duration shorter than the deployed one, or none reported.
 */
export function weakerLock(held: Pick<LockedSnapshotsInfo, 'LockState' | 'LockDuration'>, lock: EvidenceLockOptions): string | undefined {
  const heldMode = held.LockState === 'governance' ? 'governance' : 'compliance';
  if (lock.mode === 'compliance' && heldMode === 'governance') return 'governance mode, which ec2:UnlockSnapshot lifts, where the deployment locks in compliance mode';
  // A compliance lock cannot be turned into governance: it is kept whatever its duration when the deployment locks in governance mode.
  if (lock.mode === 'governance' && heldMode === 'compliance') return undefined;
  if (held.LockDuration === undefined) return 'no reported duration';
  if (held.LockDuration < lock.durationDays) return `${held.LockDuration} day(s), shorter than the deployed ${lock.durationDays}`;
  return undefined;
}

/** The locks the snapshots already hold (DescribeLockedSnapshots), by snapshot id; expired locks are left out. */
async function existingLocks(ec2: EC2Client, snapshotIds: readonly string[]): Promise<Map<string, LockedSnapshotsInfo>> {
  const found = new Map<string, LockedSnapshotsInfo>();
  if (snapshotIds.length === 0) return found;
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const output = await sendReadOnly('ec2:DescribeLockedSnapshots', () =>
      ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [...snapshotIds], ...(token !== undefined ? { NextToken: token } : {}) })),
    );
    for (const info of output.Snapshots ?? []) {
      if (info.SnapshotId !== undefined && HOLDING_LOCK_STATES.has(info.LockState ?? '')) found.set(info.SnapshotId, info);
    }
    nextToken = output.NextToken;
  } while (nextToken !== undefined && nextToken !== '');
  return found;
}

/**
 * Locks every evidence snapshot that is not locked yet. Reused snapshots (an earlier run's) are
 * checked first; new ones are locked at once, pending or not. In dry-run, a snapshot that exists is
 * locked with `DryRun: true`; one that CreateSnapshots only dry-ran does not exist, so its lock
 * cannot be dry-run and the action log says so. A lock that fails for good throws a
 * `ResponderFailedError` naming the snapshots, which exist unlocked: the step fails and alerts, and
 * its retry or a re-run reuses them and locks them.
 */
export async function lockEvidenceSnapshots(
  ec2: EC2Client,
  mode: ResponderMode,
  log: ActionLog,
  snapshots: readonly EvidenceSnapshot[],
  lock: EvidenceLockOptions,
  wouldCreate: readonly string[] = [],
): Promise<EvidenceLock[]> {
  const locks: EvidenceLock[] = [];
  const reusedIds = snapshots.filter((s) => s.reused).map((s) => s.snapshotId);
  const held = await existingLocks(ec2, reusedIds);
  if (reusedIds.length > 0) {
    log.record('ec2:DescribeLockedSnapshots', reusedIds.join(', '), 'observed', `${held.size} of ${reusedIds.length} reused evidence snapshot(s) already locked.`);
  }
  for (const snapshot of snapshots) {
    const existing = held.get(snapshot.snapshotId);
    const weaker = existing === undefined ? undefined : weakerLock(existing, lock);
    if (existing !== undefined && weaker === undefined) {
      const report = reportedLock(snapshot.snapshotId, 'already-locked', existing);
      log.record('ec2:LockSnapshot', snapshot.snapshotId, 'already-done', `Already ${describeLock(report)} by an earlier run: not locked again (that would change the lock).`);
      locks.push(report);
      continue;
    }
    if (existing !== undefined) {
      log.record('ec2:DescribeLockedSnapshots', snapshot.snapshotId, 'observed', `${describeLock(reportedLock(snapshot.snapshotId, 'already-locked', existing))}: a weaker lock than the deployment's (${weaker}), so it is locked again with the deployed lock.`);
    }
    let outcome;
    try {
      // Lengthening a compliance lock past its cooling-off period must omit CoolOffPeriod (LockSnapshot refuses it there).
      const asked = existing?.LockState === 'compliance' ? { mode: lock.mode, durationDays: lock.durationDays } : lock;
      outcome = await sendMutating(mode, 'ec2:LockSnapshot', (dryRun) => ec2.send(new LockSnapshotCommand(lockSnapshotInput(snapshot.snapshotId, asked, dryRun))));
    } catch (error) {
      // Throttling is retried by the state machine; the retry reuses the snapshots and locks them.
      if (error instanceof TransientResponderError) throw error;
      const all = snapshots.map((s) => s.snapshotId).join(', ');
      const message = `${error instanceof Error ? error.message : String(error)}; the evidence snapshots ${all} exist but are not all locked: lock them by hand, or fix the cause and re-run the step (it reuses them)`;
      throw error instanceof ResponderAccessDeniedError ? new ResponderAccessDeniedError(message, { cause: error }) : new ResponderFailedError(message, { cause: error });
    }
    if (outcome.outcome === 'would-do') {
      log.record('ec2:LockSnapshot', snapshot.snapshotId, 'would-do', `Would have locked ${snapshot.snapshotId} in ${lock.mode} mode for ${lock.durationDays} day(s) (EC2 answered DryRunOperation).`);
      locks.push({ snapshotId: snapshot.snapshotId, outcome: 'would-lock' });
    } else if (outcome.outcome === 'would-be-denied') {
      log.record('ec2:LockSnapshot', snapshot.snapshotId, 'would-be-denied', `Would have been denied locking ${snapshot.snapshotId}: ${outcome.message}`);
      locks.push({ snapshotId: snapshot.snapshotId, outcome: 'would-be-denied' });
    } else {
      const report = reportedLock(snapshot.snapshotId, 'locked', outcome.output);
      log.record('ec2:LockSnapshot', snapshot.snapshotId, 'done', `${describeLock(report)}${weaker !== undefined ? `, replacing a weaker lock (${weaker})` : ''}.`);
      locks.push(report);
    }
  }
  if (wouldCreate.length > 0) {
    log.record(
      'ec2:LockSnapshot',
      wouldCreate.join(', '),
      'skipped',
      `Cannot dry-run: the snapshot(s) of ${wouldCreate.join(', ')} do not exist (CreateSnapshots was itself a dry run), and LockSnapshot's DryRun needs an existing snapshot. In enforce they would be locked in ${lock.mode} mode for ${lock.durationDays} day(s) right after creation.`,
    );
  }
  return locks;
}
