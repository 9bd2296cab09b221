import {
  CreateSnapshotsCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypesCommand,
  DescribeLockedSnapshotsCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  LockSnapshotCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsTarget, ClientFactory } from '../../lib/aws/clients';
import { ResponderAccessDeniedError, ResponderFailedError, TransientResponderError } from '../../lib/contracts/responder-errors';
import type { ResponderMode } from '../../lib/contracts/responder-mode';
import { ACTIONS, iamActionsForStep } from '../../lib/playbooks/actions';
import { silentLogger } from '../../lib/responders/logging';
import { buildAlertMessage } from '../../lib/responders/alert-message';
import { alertInputSchema } from '../../lib/responders/alert-model';
import type { SnapshotInput } from '../../lib/responders/snapshot';
import { snapshotVolumes } from '../../lib/responders/snapshot';
import type { EvidenceLockOptions } from '../../lib/responders/snapshot-lock';
import { deployedEvidenceLock, describeLock, lockSnapshotInput, reportedLock, weakerLock } from '../../lib/responders/snapshot-lock';
import { evidenceSnapshotDescription, evidenceSnapshotTags } from '../../lib/responders/snapshot-plan';
import { INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';
import { InMemoryEvidenceRecords } from '../support/evidence-records';

const ec2Mock = mockClient(EC2Client);
const NOW = new Date('2026-11-20T10:02:00.000Z');

class OneClient implements Pick<ClientFactory, 'ec2'> {
  private readonly client = new EC2Client({ region: REGION });
  async ec2(_target: AwsTarget): Promise<EC2Client> {
    return this.client;
  }
}

function sdkError(name: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(`${name}: simulated`), { name, $metadata: { httpStatusCode } });
}

const ROOT = { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-0root000000000001', Status: 'attached' as const } };
const DATA = { DeviceName: '/dev/sdb', Ebs: { VolumeId: 'vol-0data00000000000b', Status: 'attached' as const } };
const GOVERNANCE: EvidenceLockOptions = { mode: 'governance', durationDays: 30 };
const COMPLIANCE: EvidenceLockOptions = { mode: 'compliance', durationDays: 365, coolOffHours: 24 };

function input(lock: EvidenceLockOptions | undefined, mode: ResponderMode = 'enforce'): SnapshotInput {
  return { incident: ec2Incident(), mode, options: { tags: {}, ...(lock ? { lock } : {}) } };
}

/** The deployment's environment: enforce, and the locks its playbooks configure (FIREBREAK_EVIDENCE_LOCKS). */
const deployedLocks = (locks: unknown): Record<string, string> => ({ FIREBREAK_MODE: 'enforce', FIREBREAK_EVIDENCE_LOCKS: JSON.stringify(locks) });
const BOTH_DEPLOYED = deployedLocks([GOVERNANCE, COMPLIANCE]);

const run = (i: SnapshotInput, environment: Record<string, string> = BOTH_DEPLOYED) =>
  snapshotVolumes(i, { clients: new OneClient() as unknown as ClientFactory, records: new InMemoryEvidenceRecords(), logger: silentLogger, environment, now: () => NOW });

const LOCKED_ON = new Date('2026-11-20T10:02:01.000Z');

/** What an earlier run of the incident wrote on its snapshots (snapshot-plan.ts notTakenForIncident). */
const EARLIER_RUN = {
  StartTime: new Date('2026-11-20T10:00:00.000Z'),
  Description: evidenceSnapshotDescription(ec2Incident()),
  Tags: evidenceSnapshotTags(ec2Incident(), INSTANCE_ID).tags,
};

/** Both volumes already have evidence snapshots from an earlier run, in these states. */
function givenReused(rootState: 'pending' | 'completed', dataState: 'pending' | 'completed'): void {
  ec2Mock.on(DescribeSnapshotsCommand).resolves({
    Snapshots: [
      { ...EARLIER_RUN, SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: rootState },
      { ...EARLIER_RUN, SnapshotId: 'snap-0000000000000000b', VolumeId: 'vol-0data00000000000b', State: dataState },
    ],
  });
}


beforeEach(() => {
  ec2Mock.reset();
  ec2Mock.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: [{ InstanceId: INSTANCE_ID, InstanceType: 'm5.large', State: { Code: 16, Name: 'running' }, RootDeviceName: '/dev/xvda', RootDeviceType: 'ebs', BlockDeviceMappings: [ROOT, DATA] }] }],
  });
  ec2Mock.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: [{ InstanceType: 'm5.large' }] });
  ec2Mock.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
  ec2Mock.on(CreateSnapshotsCommand).resolves({
    Snapshots: [
      { SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' },
      { SnapshotId: 'snap-0000000000000000b', VolumeId: 'vol-0data00000000000b', State: 'pending' },
    ],
  });
  ec2Mock.on(LockSnapshotCommand).callsFake((i: { SnapshotId: string; LockMode: string; LockDuration: number; CoolOffPeriod?: number }) => ({
    SnapshotId: i.SnapshotId,
    LockState: i.LockMode === 'compliance' ? (i.CoolOffPeriod ? 'compliance-cooloff' : 'compliance') : 'governance',
    LockDuration: i.LockDuration,
    ...(i.CoolOffPeriod ? { CoolOffPeriod: i.CoolOffPeriod, CoolOffPeriodExpiresOn: new Date(LOCKED_ON.getTime() + i.CoolOffPeriod * 3600_000) } : {}),
    LockCreatedOn: LOCKED_ON,
  }));
});
afterEach(() => ec2Mock.reset());

describe('lockSnapshotInput', () => {
  it('sends mode and duration, and the cooling-off period only in compliance mode', () => {
    expect(lockSnapshotInput('snap-1', GOVERNANCE, false)).toEqual({ SnapshotId: 'snap-1', LockMode: 'governance', LockDuration: 30 });
    expect(lockSnapshotInput('snap-1', COMPLIANCE, true)).toEqual({ SnapshotId: 'snap-1', LockMode: 'compliance', LockDuration: 365, CoolOffPeriod: 24, DryRun: true });
    // A cooling-off period in governance mode is refused by LockSnapshot: never sent, whatever reaches here.
    expect(lockSnapshotInput('snap-1', { mode: 'governance', durationDays: 2, coolOffHours: 5 }, false)).toEqual({ SnapshotId: 'snap-1', LockMode: 'governance', LockDuration: 2 });
  });

  it('reports the lock as EC2 does, in ISO times', () => {
    const lock = reportedLock('snap-1', 'locked', { LockState: 'compliance-cooloff', LockDuration: 7, CoolOffPeriod: 1, CoolOffPeriodExpiresOn: new Date('2026-11-20T11:00:00Z'), LockExpiresOn: new Date('2026-11-27T10:00:00Z') });
    expect(lock).toEqual({ snapshotId: 'snap-1', outcome: 'locked', lockState: 'compliance-cooloff', lockDurationDays: 7, coolOffHours: 1, coolOffPeriodExpiresOn: '2026-11-20T11:00:00.000Z', lockExpiresOn: '2026-11-27T10:00:00.000Z' });
    expect(describeLock(lock)).toBe('snap-1 locked (compliance-cooloff) until 2026-11-27T10:00:00.000Z, cooling-off until 2026-11-20T11:00:00.000Z');
  });
});

describe('the lock option of the playbook schema', () => {
  const parse = (lock: unknown) => ACTIONS['snapshot-volumes'].options.safeParse({ lock });

  it('accepts governance and compliance within LockSnapshot limits', () => {
    expect(parse({ mode: 'governance', durationDays: 1 }).success).toBe(true);
    expect(parse({ mode: 'compliance', durationDays: 36500, coolOffHours: 72 }).success).toBe(true);
  });

  it('refuses a duration or cooling-off period outside the API limits, a cooling-off period in governance mode, and unknown keys', () => {
    expect(parse({ mode: 'governance', durationDays: 0 }).success).toBe(false);
    expect(parse({ mode: 'governance', durationDays: 36501 }).success).toBe(false);
    expect(parse({ mode: 'compliance', durationDays: 10, coolOffHours: 73 }).success).toBe(false);
    expect(parse({ mode: 'compliance', durationDays: 10, coolOffHours: 0 }).success).toBe(false);
    expect(parse({ mode: 'legal-hold', durationDays: 10 }).success).toBe(false);
    expect(parse({ mode: 'governance', durationDays: 10, expires: '2027-01-01' }).success).toBe(false);
    const governanceCoolOff = parse({ mode: 'governance', durationDays: 10, coolOffHours: 5 });
    expect(governanceCoolOff.success).toBe(false);
    expect(JSON.stringify(governanceCoolOff.error?.issues)).toContain('coolOffHours applies only to mode compliance');
  });

  it('needs ec2:LockSnapshot and ec2:DescribeLockedSnapshots only when the option is set', () => {
    expect(iamActionsForStep('snapshot-volumes', {})).not.toContain('ec2:LockSnapshot');
    expect(iamActionsForStep('snapshot-volumes', { lock: GOVERNANCE })).toEqual(expect.arrayContaining(['ec2:LockSnapshot', 'ec2:DescribeLockedSnapshots']));
  });
});

describe('snapshotVolumes with the lock option', () => {
  it('locks every new evidence snapshot right away, pending as it is, and records the lock as EC2 reported it', async () => {
    const result = await run(input(COMPLIANCE));

    expect(result.status).toBe('snapshotted');
    // New snapshots: nothing to look up before locking them.
    expect(ec2Mock.commandCalls(DescribeLockedSnapshotsCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotId: 'snap-0000000000000000a', LockMode: 'compliance', LockDuration: 365, CoolOffPeriod: 24 },
      { SnapshotId: 'snap-0000000000000000b', LockMode: 'compliance', LockDuration: 365, CoolOffPeriod: 24 },
    ]);
    expect(result.locks).toEqual([
      { snapshotId: 'snap-0000000000000000a', outcome: 'locked', lockState: 'compliance-cooloff', lockDurationDays: 365, coolOffHours: 24, lockCreatedOn: LOCKED_ON.toISOString(), coolOffPeriodExpiresOn: '2026-11-21T10:02:01.000Z' },
      { snapshotId: 'snap-0000000000000000b', outcome: 'locked', lockState: 'compliance-cooloff', lockDurationDays: 365, coolOffHours: 24, lockCreatedOn: LOCKED_ON.toISOString(), coolOffPeriodExpiresOn: '2026-11-21T10:02:01.000Z' },
    ]);
    expect(result.actions.filter((a) => a.api === 'ec2:LockSnapshot').map((a) => a.outcome)).toEqual(['done', 'done']);
  });

  it('makes no lock call and reports no locks without the option', async () => {
    const result = await run(input(undefined));
    expect(ec2Mock.commandCalls(LockSnapshotCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(DescribeLockedSnapshotsCommand)).toHaveLength(0);
    expect(result.locks).toBeUndefined();
  });

  it('on a second run, does not lock again what an earlier run locked, and locks a reused snapshot that is not locked', async () => {
    givenReused('completed', 'pending');
    ec2Mock.on(DescribeLockedSnapshotsCommand).resolves({
      Snapshots: [
        { SnapshotId: 'snap-0000000000000000a', LockState: 'governance', LockDuration: 30, LockExpiresOn: new Date('2026-12-20T10:00:00Z') },
        // An expired lock holds nothing: lock again.
        { SnapshotId: 'snap-0000000000000000b', LockState: 'expired', LockDuration: 1 },
      ],
    });

    const result = await run(input(GOVERNANCE));

    expect(result.status).toBe('already-snapshotted');
    expect(result.idempotentReplay).toBe(false);
    expect(ec2Mock.commandCalls(DescribeLockedSnapshotsCommand)[0]!.args[0].input).toEqual({ SnapshotIds: ['snap-0000000000000000a', 'snap-0000000000000000b'] });
    expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([{ SnapshotId: 'snap-0000000000000000b', LockMode: 'governance', LockDuration: 30 }]);
    expect(result.locks?.map((l) => [l.snapshotId, l.outcome, l.lockState])).toEqual([
      ['snap-0000000000000000a', 'already-locked', 'governance'],
      ['snap-0000000000000000b', 'locked', 'governance'],
    ]);
  });

  describe('a weaker lock someone else put on reused evidence is not taken for the deployment\'s (review: snapshot-volumes)', () => {
    // Between a throttled attempt and its retry, anyone allowed ec2:LockSnapshot in the member account
    // (no UnlockSnapshot needed) can lock the still unlocked evidence for one day in governance mode:
    // before the fix the retry reported it "already locked", and the snapshot could be deleted the day after.
    it('locks again, with the deployed lock, a reused snapshot locked for a shorter time', async () => {
      givenReused('completed', 'completed');
      ec2Mock.on(DescribeLockedSnapshotsCommand).resolves({
        Snapshots: [
          { SnapshotId: 'snap-0000000000000000a', LockState: 'governance', LockDuration: 30 },
          { SnapshotId: 'snap-0000000000000000b', LockState: 'governance', LockDuration: 1, LockExpiresOn: new Date('2026-11-21T10:00:00Z') },
        ],
      });

      const result = await run(input(GOVERNANCE));

      expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([lockSnapshotInput('snap-0000000000000000b', GOVERNANCE, false)]);
      expect(result.locks?.map((l) => [l.snapshotId, l.outcome, l.lockDurationDays])).toEqual([
        ['snap-0000000000000000a', 'already-locked', 30],
        ['snap-0000000000000000b', 'locked', 30],
      ]);
      expect(result.idempotentReplay).toBe(false);
      expect(result.actions.find((a) => a.api === 'ec2:LockSnapshot' && a.target === 'snap-0000000000000000b')?.detail).toContain('weaker');
    });

    it('locks in compliance mode a reused snapshot someone locked in governance mode, where the deployment locks in compliance', async () => {
      givenReused('completed', 'completed');
      ec2Mock.on(DescribeLockedSnapshotsCommand).resolves({
        Snapshots: [
          { SnapshotId: 'snap-0000000000000000a', LockState: 'compliance-cooloff', LockDuration: 365 },
          { SnapshotId: 'snap-0000000000000000b', LockState: 'governance', LockDuration: 3650 },
        ],
      });

      const result = await run(input(COMPLIANCE));

      expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([lockSnapshotInput('snap-0000000000000000b', COMPLIANCE, false)]);
      expect(result.locks?.map((l) => [l.snapshotId, l.outcome])).toEqual([
        ['snap-0000000000000000a', 'already-locked'],
        ['snap-0000000000000000b', 'locked'],
      ]);
    });

    it('lengthens a shorter compliance lock past its cooling-off period without a CoolOffPeriod (LockSnapshot refuses one there)', async () => {
      givenReused('completed', 'completed');
      ec2Mock.on(DescribeLockedSnapshotsCommand).resolves({
        Snapshots: [
          { SnapshotId: 'snap-0000000000000000a', LockState: 'compliance', LockDuration: 365 },
          { SnapshotId: 'snap-0000000000000000b', LockState: 'compliance', LockDuration: 7 },
        ],
      });
      await run(input(COMPLIANCE));
      expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([{ SnapshotId: 'snap-0000000000000000b', LockMode: 'compliance', LockDuration: 365 }]);
    });

    it('keeps a lock at least as strong as the deployed one (no reset of its duration)', async () => {
      givenReused('completed', 'completed');
      ec2Mock.on(DescribeLockedSnapshotsCommand).resolves({
        Snapshots: [
          { SnapshotId: 'snap-0000000000000000a', LockState: 'compliance', LockDuration: 30 },
          { SnapshotId: 'snap-0000000000000000b', LockState: 'governance', LockDuration: 90 },
        ],
      });
      const result = await run(input(GOVERNANCE));
      expect(ec2Mock.commandCalls(LockSnapshotCommand)).toHaveLength(0);
      expect(result.idempotentReplay).toBe(true);
    });
  });

  it('is an idempotent replay when every evidence snapshot is already locked', async () => {
    givenReused('completed', 'completed');
    ec2Mock.on(DescribeLockedSnapshotsCommand).resolves({
      Snapshots: [
        { SnapshotId: 'snap-0000000000000000a', LockState: 'compliance', LockDuration: 365 },
        { SnapshotId: 'snap-0000000000000000b', LockState: 'compliance-cooloff', LockDuration: 365 },
      ],
    });
    const result = await run(input(COMPLIANCE));
    expect(ec2Mock.commandCalls(LockSnapshotCommand)).toHaveLength(0);
    expect(result.idempotentReplay).toBe(true);
  });

  it('in dry-run, dry-runs the lock of a snapshot that exists and says the lock of one not yet taken cannot be dry-run', async () => {
    ec2Mock.on(DescribeSnapshotsCommand).resolves({ Snapshots: [{ ...EARLIER_RUN, SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'completed' }] });
    ec2Mock.on(DescribeLockedSnapshotsCommand).resolves({ Snapshots: [] });
    ec2Mock.on(CreateSnapshotsCommand).rejects(sdkError('DryRunOperation'));
    ec2Mock.on(LockSnapshotCommand).rejects(sdkError('DryRunOperation'));

    const result = await run(input(GOVERNANCE, 'dry-run'));

    expect(result.status).toBe('dry-run');
    expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotId: 'snap-0000000000000000a', LockMode: 'governance', LockDuration: 30, DryRun: true },
    ]);
    expect(result.locks).toEqual([{ snapshotId: 'snap-0000000000000000a', outcome: 'would-lock' }]);
    const skipped = result.actions.find((a) => a.api === 'ec2:LockSnapshot' && a.outcome === 'skipped');
    expect(skipped?.target).toBe('vol-0data00000000000b');
    expect(skipped?.detail).toContain('Cannot dry-run');
  });

  it('in dry-run, reports a lock IAM would deny', async () => {
    givenReused('completed', 'completed');
    ec2Mock.on(DescribeLockedSnapshotsCommand).resolves({ Snapshots: [] });
    ec2Mock.on(LockSnapshotCommand).rejects(sdkError('UnauthorizedOperation'));
    const result = await run(input(GOVERNANCE, 'dry-run'));
    expect(result.locks?.map((l) => l.outcome)).toEqual(['would-be-denied', 'would-be-denied']);
  });

  it('fails the step naming the unlocked evidence when a lock is refused, and never deletes anything', async () => {
    ec2Mock.on(LockSnapshotCommand).rejects(sdkError('UnauthorizedOperation'));
    const failure = run(input(GOVERNANCE));
    await expect(failure).rejects.toBeInstanceOf(ResponderAccessDeniedError);
    await expect(run(input(GOVERNANCE))).rejects.toThrow(/snap-0000000000000000a, snap-0000000000000000b exist but are not all locked/);
    ec2Mock.on(LockSnapshotCommand).rejects(sdkError('InvalidParameterCombination'));
    await expect(run(input(GOVERNANCE))).rejects.toBeInstanceOf(ResponderFailedError);
    const calls = ec2Mock.calls().map((c) => c.args[0].constructor.name);
    expect(calls.some((name) => /Delete/.test(name))).toBe(false);
  });

  it('locks the snapshots CreateSnapshots did start before failing for a volume it answered none for (review: snapshot-volumes)', async () => {
    ec2Mock.on(CreateSnapshotsCommand).resolves({ Snapshots: [{ SnapshotId: 'snap-0000000000000000a', VolumeId: 'vol-0root000000000001', State: 'pending' }] });
    await expect(run(input(GOVERNANCE))).rejects.toThrow(/no evidence snapshot of vol-0data00000000000b \(\/dev\/sdb\)/);
    expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([lockSnapshotInput('snap-0000000000000000a', GOVERNANCE, false)]);
  });

  it('lets throttling through as a transient error, so the state machine retries (and the retry reuses the snapshots)', async () => {
    ec2Mock.on(LockSnapshotCommand).rejects(sdkError('RequestLimitExceeded', 503));
    await expect(run(input(GOVERNANCE))).rejects.toBeInstanceOf(TransientResponderError);
  });
});

describe('weakerLock', () => {
  it('finds governance weaker than compliance, and a shorter or unreported duration weaker than the deployed one', () => {
    expect(weakerLock({ LockState: 'governance', LockDuration: 3650 }, COMPLIANCE)).toContain('governance mode');
    expect(weakerLock({ LockState: 'governance', LockDuration: 1 }, GOVERNANCE)).toContain('1 day(s), shorter than the deployed 30');
    expect(weakerLock({ LockState: 'compliance-cooloff', LockDuration: 30 }, COMPLIANCE)).toContain('shorter');
    expect(weakerLock({ LockState: 'governance' }, GOVERNANCE)).toBe('no reported duration');
  });

  it('keeps a lock as strong or stronger: the same, longer, or compliance where governance is deployed', () => {
    expect(weakerLock({ LockState: 'governance', LockDuration: 30 }, GOVERNANCE)).toBeUndefined();
    expect(weakerLock({ LockState: 'governance', LockDuration: 90 }, GOVERNANCE)).toBeUndefined();
    expect(weakerLock({ LockState: 'compliance', LockDuration: 1 }, GOVERNANCE)).toBeUndefined();
    expect(weakerLock({ LockState: 'compliance-cooloff', LockDuration: 365 }, COMPLIANCE)).toBeUndefined();
  });
});

describe('deployedEvidenceLock', () => {
  it('allows exactly a lock the deployed playbooks configure, and no lock when none is asked', () => {
    expect(deployedEvidenceLock(GOVERNANCE, deployedLocks([GOVERNANCE]))).toEqual({ lock: GOVERNANCE });
    expect(deployedEvidenceLock(COMPLIANCE, BOTH_DEPLOYED)).toEqual({ lock: COMPLIANCE });
    expect(deployedEvidenceLock(undefined, {})).toEqual({});
  });

  it('refuses a stronger mode, a longer duration, another cooling-off period, and any lock when none is deployed', () => {
    const governanceOnly = deployedLocks([GOVERNANCE]);
    expect(deployedEvidenceLock({ mode: 'compliance', durationDays: 30 }, governanceOnly).refusal).toBe(
      'the lock asked for (compliance for 30 day(s)) is not one the deployed playbooks configure (FIREBREAK_EVIDENCE_LOCKS: only governance for 30 day(s))',
    );
    expect(deployedEvidenceLock({ mode: 'governance', durationDays: 31 }, governanceOnly).refusal).toContain('(governance for 31 day(s)) is not one');
    expect(deployedEvidenceLock({ ...COMPLIANCE, coolOffHours: 1 }, BOTH_DEPLOYED).refusal).toContain('(compliance for 365 day(s), cooling-off 1 h) is not one');
    expect(deployedEvidenceLock({ mode: 'compliance', durationDays: 365 }, BOTH_DEPLOYED).refusal).toContain('is not one');
    expect(deployedEvidenceLock(GOVERNANCE, deployedLocks([])).refusal).toContain('(FIREBREAK_EVIDENCE_LOCKS: none)');
  });

  it('allows no lock when the variable is unset or unreadable (fail closed)', () => {
    expect(deployedEvidenceLock(GOVERNANCE, { FIREBREAK_MODE: 'enforce' }).refusal).toBe(
      'FIREBREAK_EVIDENCE_LOCKS is not set on this function, and a deployment that does not state its evidence locks allows none',
    );
    for (const unreadable of ['governance', '{"mode":"governance","durationDays":30}', '[{"mode":"governance","durationDays":"30"}]', '[{"mode":"legal-hold","durationDays":30}]']) {
      expect(deployedEvidenceLock(GOVERNANCE, { FIREBREAK_EVIDENCE_LOCKS: unreadable }).refusal).toBe('FIREBREAK_EVIDENCE_LOCKS is not a JSON list of lock settings, so no lock is allowed');
    }
  });
});

describe('snapshotVolumes invoked with a lock the deployment does not configure', () => {
  const CENTURY: EvidenceLockOptions = { mode: 'compliance', durationDays: 36500 };
  const governanceOnly = deployedLocks([GOVERNANCE]);
  const createCalls = () => ec2Mock.commandCalls(CreateSnapshotsCommand).map((c) => c.args[0].input.InstanceSpecification);

  it('still takes the evidence, locks nothing, and fails naming the unlocked snapshots (a 100-year compliance lock)', async () => {
    await expect(run(input(CENTURY), governanceOnly)).rejects.toThrow(
      new ResponderFailedError(
        'Lock refused: the lock asked for (compliance for 36500 day(s)) is not one the deployed playbooks configure (FIREBREAK_EVIDENCE_LOCKS: only governance for 30 day(s)); ' +
          'the evidence snapshots snap-0000000000000000a, snap-0000000000000000b exist but are not locked. Lock them by hand if the incident calls for it',
      ),
    );
    expect(createCalls()).toEqual([{ InstanceId: INSTANCE_ID, ExcludeBootVolume: false }]);
    expect(ec2Mock.commandCalls(LockSnapshotCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(DescribeLockedSnapshotsCommand)).toHaveLength(0);
  });

  it('locks nothing for a longer governance duration than deployed, nor for snapshots an earlier run took', async () => {
    await expect(run(input({ mode: 'governance', durationDays: 31 }), governanceOnly)).rejects.toBeInstanceOf(ResponderFailedError);
    givenReused('completed', 'completed');
    await expect(run(input({ mode: 'governance', durationDays: 31 }), governanceOnly)).rejects.toThrow(/snap-0000000000000000a, snap-0000000000000000b exist but are not locked/);
    expect(ec2Mock.commandCalls(LockSnapshotCommand)).toHaveLength(0);
  });

  it('locks nothing when the deployment configures no lock, or does not say (variable unset)', async () => {
    await expect(run(input(GOVERNANCE), deployedLocks([]))).rejects.toThrow(/FIREBREAK_EVIDENCE_LOCKS: none/);
    await expect(run(input(GOVERNANCE), { FIREBREAK_MODE: 'enforce' })).rejects.toThrow(/FIREBREAK_EVIDENCE_LOCKS is not set/);
    expect(createCalls()).toHaveLength(2);
    expect(ec2Mock.commandCalls(LockSnapshotCommand)).toHaveLength(0);
  });

  it('applies the lock the deployment configures, exactly (the rail does not block the legitimate step)', async () => {
    const result = await run(input(GOVERNANCE), governanceOnly);
    expect(result.status).toBe('snapshotted');
    expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotId: 'snap-0000000000000000a', LockMode: 'governance', LockDuration: 30 },
      { SnapshotId: 'snap-0000000000000000b', LockMode: 'governance', LockDuration: 30 },
    ]);
  });
});

describe('the alert on locked evidence', () => {
  const alert = (locks: unknown) =>
    buildAlertMessage(
      alertInputSchema.parse(
        JSON.parse(
          JSON.stringify({
            kind: 'report',
            incident: ec2Incident(),
            mode: 'enforce',
            playbook: 'compromised-ec2',
            options: {},
            execution: { executionArn: 'arn:aws:states:eu-west-1:999988887777:execution:firebreak-compromised-ec2:x' },
            results: {
              evidence: { responder: 'snapshot-volumes', incidentKey: ec2Incident().key, mode: 'enforce', status: 'snapshotted', idempotentReplay: false, actions: [], snapshots: [], locks },
            },
          }),
        ),
      ),
      { now: NOW },
    ).message;

  it('names each locked snapshot, its state and until when, and says a governance lock yields to ec2:UnlockSnapshot', () => {
    const message = alert([
      { snapshotId: 'snap-0000000000000000a', outcome: 'locked', lockState: 'governance', lockDurationDays: 30 },
      { snapshotId: 'snap-0000000000000000b', outcome: 'already-locked', lockState: 'compliance', lockExpiresOn: '2027-02-18T10:00:00.000Z', coolOffPeriodExpiresOn: '2026-11-21T10:00:00.000Z' },
    ]);
    expect(message).toContain('The evidence snapshots are locked (EBS Snapshot Lock) and cannot be deleted while the lock holds');
    expect(message).toContain('snap-0000000000000000a governance for 30 day(s) once complete');
    expect(message).toContain('snap-0000000000000000b compliance until 2027-02-18T10:00:00.000Z, cooling-off until 2026-11-21T10:00:00.000Z');
    expect(message).toContain('ec2:UnlockSnapshot');
  });

  // Regression: the advice String()-ed each lock's fields; an object whose toString is not a function
  // threw, and a result whose locks was not a list failed the whole alert.
  it("shows a lock field that is not text as unknown, and skips a locks entry that is not a list, without failing the alert", () => {
    const message = alert([{ snapshotId: { toString: null }, outcome: 'locked', lockState: { toString: null, valueOf: null }, lockDurationDays: 30 }, null, 'x', [{ toString: null }]]);
    expect(message).toContain('unknown unknown for 30 day(s) once complete');
    expect(message).not.toContain('[object Object]');
    for (const locks of [{ toString: null }, 'locked', 7]) expect(alert(locks)).not.toContain('EBS Snapshot Lock');
  });

  it('says nothing of locks when none holds (dry-run, or no lock option)', () => {
    expect(alert([{ snapshotId: 'snap-0000000000000000a', outcome: 'would-lock' }])).not.toContain('EBS Snapshot Lock');
    expect(alert([])).not.toContain('EBS Snapshot Lock');
  });
});

describe("snapshotVolumes on a CloudWatch alarm's word (row 10e)", () => {
  // cloudwatch:SetAlarmState puts an alarm in ALARM as often as its caller likes, each time a new
  // incident (docs/security.md row 10c): a compliance lock on each one's evidence would let that caller
  // make snapshots nobody, root included, can delete for the lock's whole duration.
  const alarmInput = (lock: EvidenceLockOptions): SnapshotInput => ({ incident: { ...ec2Incident(), source: 'cloudwatch' }, mode: 'enforce', options: { tags: {}, lock } });

  it('ATTACK (review-alarm): a deployed compliance lock is applied in governance mode, for the same duration, so a hand-set alarm cannot mint undeletable snapshots', async () => {
    const result = await run(alarmInput(COMPLIANCE));

    expect(result.status).toBe('snapshotted');
    expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotId: 'snap-0000000000000000a', LockMode: 'governance', LockDuration: 365 },
      { SnapshotId: 'snap-0000000000000000b', LockMode: 'governance', LockDuration: 365 },
    ]);
    expect(result.actions.find((a) => a.api === 'ec2:LockSnapshot' && a.outcome === 'observed')?.detail).toBe(
      "The incident is a CloudWatch alarm's state change, which anyone allowed cloudwatch:SetAlarmState can make as often as they like: its evidence is locked in governance mode for 365 day(s), not compliance, so that the security team (ec2:UnlockSnapshot) can still remove snapshots of a hand-set alarm.",
    );
  });

  it('keeps a governance lock as deployed, and a GuardDuty finding keeps its compliance lock', async () => {
    await run(alarmInput(GOVERNANCE));
    expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input.LockMode)).toEqual(['governance', 'governance']);
    ec2Mock.resetHistory();
    await run(input(COMPLIANCE));
    expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotId: 'snap-0000000000000000a', LockMode: 'compliance', LockDuration: 365, CoolOffPeriod: 24 },
      { SnapshotId: 'snap-0000000000000000b', LockMode: 'compliance', LockDuration: 365, CoolOffPeriod: 24 },
    ]);
  });
});

describe('snapshotVolumes on an unconfirmed event of the oversized-event intake (row 10f)', () => {
  // Anyone allowed lambda:InvokeFunction on the intake sends it any event, a GuardDuty-looking one
  // with a new finding id each time (row 10c treats it as forged until GuardDuty confirms it): each is
  // its own incident, as a hand-set alarm's is (row 10e), and its evidence runs before any approval.
  const intakeIncident = (confirmed: boolean) => ({ ...ec2Incident(), clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [], event: { originalBytes: 300_000, ...(confirmed ? { confirmed: true as const } : {}) } } });
  const intakeInput = (confirmed: boolean, lock: EvidenceLockOptions = COMPLIANCE): SnapshotInput => ({ incident: intakeIncident(confirmed), mode: 'enforce', options: { tags: {}, lock } });

  it('ATTACK (review-round2): a forged GuardDuty-looking event through the intake gets no compliance lock, only governance for the same duration', async () => {
    const result = await run(intakeInput(false));

    expect(result.status).toBe('snapshotted');
    expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotId: 'snap-0000000000000000a', LockMode: 'governance', LockDuration: 365 },
      { SnapshotId: 'snap-0000000000000000b', LockMode: 'governance', LockDuration: 365 },
    ]);
    expect(result.actions.find((a) => a.api === 'ec2:LockSnapshot' && a.outcome === 'observed')?.detail).toBe(
      "The event reached Firebreak through the oversized-event intake, which anyone allowed to invoke it can call with a forged event as often as they like, and GuardDuty did not confirm it: its evidence is locked in governance mode for 365 day(s), not compliance, so that the security team (ec2:UnlockSnapshot) can still remove snapshots of a forged event.",
    );
  });

  it('keeps the compliance lock of an intake event GuardDuty confirmed (GetFindings matched it)', async () => {
    await run(intakeInput(true));
    expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotId: 'snap-0000000000000000a', LockMode: 'compliance', LockDuration: 365, CoolOffPeriod: 24 },
      { SnapshotId: 'snap-0000000000000000b', LockMode: 'compliance', LockDuration: 365, CoolOffPeriod: 24 },
    ]);
  });
});

describe('snapshotVolumes in a game day (row 1za)', () => {
  // Whoever may put events on the game-day bus injects a drill as often as they like, each a new
  // incident (a fresh finding id), and the instance opted in: a compliance lock on each drill's
  // snapshots would leave snapshots nobody, root included, can delete for the lock's whole duration.
  const OPTED_IN = [{ Key: 'firebreak:gameday-target', Value: 'true' }];
  const drillInput = (lock: EvidenceLockOptions = COMPLIANCE): SnapshotInput => ({ incident: { ...ec2Incident(), gameDay: true, key: 'gameday-gd-drill-1' }, mode: 'enforce', options: { tags: {}, lock } });

  beforeEach(() => {
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: INSTANCE_ID, InstanceType: 'm5.large', State: { Code: 16, Name: 'running' }, RootDeviceName: '/dev/xvda', RootDeviceType: 'ebs', BlockDeviceMappings: [ROOT, DATA], Tags: OPTED_IN }] }],
    });
  });

  it('ATTACK (review-live): a drill\'s evidence gets no compliance lock, only governance for the same duration, so injected drills cannot mint undeletable snapshots', async () => {
    const result = await run(drillInput());

    expect(result.status).toBe('snapshotted');
    expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotId: 'snap-0000000000000000a', LockMode: 'governance', LockDuration: 365 },
      { SnapshotId: 'snap-0000000000000000b', LockMode: 'governance', LockDuration: 365 },
    ]);
    expect(result.actions.find((a) => a.api === 'ec2:LockSnapshot' && a.outcome === 'observed')?.detail).toBe(
      'The incident is a game-day drill, which anyone allowed to put events on the game-day bus can inject as often as they like: its evidence is locked in governance mode for 365 day(s), not compliance, so that the security team (ec2:UnlockSnapshot) can still remove snapshots of a drill.',
    );
  });

  it('keeps a drill\'s governance lock as deployed, and a real finding on the same opted-in instance keeps its compliance lock', async () => {
    await run(drillInput(GOVERNANCE));
    expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotId: 'snap-0000000000000000a', LockMode: 'governance', LockDuration: 30 },
      { SnapshotId: 'snap-0000000000000000b', LockMode: 'governance', LockDuration: 30 },
    ]);
    ec2Mock.resetHistory();
    await run(input(COMPLIANCE));
    expect(ec2Mock.commandCalls(LockSnapshotCommand).map((c) => c.args[0].input.LockMode)).toEqual(['compliance', 'compliance']);
  });
});
