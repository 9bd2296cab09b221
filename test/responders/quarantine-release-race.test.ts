/**
 * Review of session 15 (release claims): incident A's release lands (markReleased, its claim the
 * last) in the moment between incident B's conditional write of its own record (refused: A's record
 * was still unreleased) and B's read of the record that refused it. B used to carry on under A's
 * released record with no claim of its own: the instance isolated, and no release able to undo it.
 */
import { EC2Client, ModifyNetworkInterfaceAttributeCommand, CreateTagsCommand, DisassociateIamInstanceProfileCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { RecordHeldForRestoreError, TransientResponderError } from '../../lib/contracts/responder-errors';
import { silentLogger } from '../../lib/responders/logging';
import { quarantineInstance } from '../../lib/responders/quarantine';
import type { QuarantineRecord } from '../../lib/responders/quarantine-records';
import { InMemoryQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';
import { TEST_SEALER, sealed } from '../support/record-sealer';
import { DATA_VOLUME, ENI_A, ENI_B, ISOLATION_SG, ROOT_VOLUME, TestClientFactory, givenGroups, givenInstance, givenMutationsSucceed, quarantinedInstance, recordOfDefaultInstance } from './quarantine-fixtures';

const ec2Mock = mockClient(EC2Client);
const NOW = new Date('2026-11-20T10:02:00.000Z');
const EARLIER = 'gd-earlier';
/** The release execution that holds the record for its restore, as it asked (before the hold ends). */
const HOLDER = { executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:release-1', at: '2026-11-20T09:00:00.000Z' };

/** A store in which A's release marks the record released right after B's write was refused. */
class ReleasedMeanwhile extends InMemoryQuarantineRecordStore {
  override async saveIfAbsent(record: QuarantineRecord): Promise<'saved' | 'exists'> {
    const answer = await super.saveIfAbsent(record);
    if (answer === 'exists') {
      await this.markReleased(ACCOUNT, REGION, INSTANCE_ID, { incidentKey: EARLIER, releasedAt: NOW.toISOString(), releasedBy: 'arn:aws:iam::111122223333:role/approver' });
    }
    return answer;
  }
}

beforeEach(() => {
  ec2Mock.reset();
  givenMutationsSucceed(ec2Mock);
});

/** Incident B's quarantine of the instance (detach the profile, no fleet), at `at`, run against `records` as often as called. */
function quarantineOf(records: InMemoryQuarantineRecordStore, at: Date = NOW) {
  const clients = new TestClientFactory();
  const options = { detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'off' as const, deregisterFromLoadBalancers: false };
  const incident = ec2Incident();
  const run = () =>
    quarantineInstance(
      { incident, mode: 'enforce', options, execution: EXECUTION },
      {
        clients,
        logger: silentLogger,
        records,
        sealer: clients.trackSealer(TEST_SEALER),
        grants: clients.trackGrants(storeGranting(incident, at)),
        environment: { ...process.env, ...playbookStepsEnvironment(options) },
        now: () => at,
      },
    );
  return { incident, run };
}

describe('quarantine-instance racing the last release of another incident', () => {
  it('fails as transient before changing anything, and its retry records its own state and claim', async () => {
    const records = new ReleasedMeanwhile();
    await records.saveIfAbsent(await sealed(recordOfDefaultInstance(EARLIER, '2026-11-20T09:00:00.000Z')));
    givenInstance(ec2Mock);
    givenGroups(ec2Mock);
    const { incident, run } = quarantineOf(records);

    await expect(run()).rejects.toBeInstanceOf(TransientResponderError);
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(DisassociateIamInstanceProfileCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(CreateTagsCommand)).toHaveLength(0);

    // The retry: A's record is released now, so B writes its own record, holding its own claim.
    const retry = await run();
    expect(retry.status).toBe('quarantined');
    const stored = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    expect(stored).toMatchObject({ incidentKey: incident.key });
    expect(stored?.released).not.toBe(true);
  });
});

describe('quarantine-instance racing the restore of the last release of another incident', () => {
  it('is refused its claim while that release holds the record, fails with RecordHeldForRestoreError changing nothing, and its retry contains the restored instance', async () => {
    const records = new InMemoryQuarantineRecordStore();
    await records.saveIfAbsent(await sealed(recordOfDefaultInstance(EARLIER, '2026-11-20T09:00:00.000Z')));
    // A's release holds the record (its last claim) and is restoring the instance: EC2 shows it back in its groups.
    const read = (await records.get(ACCOUNT, REGION, INSTANCE_ID))!;
    expect(await records.holdForRestore(read, EARLIER, new Date(NOW.getTime() + 60_000).toISOString(), HOLDER)).toBe('held');
    givenInstance(ec2Mock);
    givenGroups(ec2Mock);
    const { incident, run } = quarantineOf(records);

    // Not a transient error: the playbook retries this one on a schedule that outlasts the hold.
    const refusal = run();
    await expect(refusal).rejects.toBeInstanceOf(RecordHeldForRestoreError);
    await expect(refusal).rejects.toThrow(`held by the release of incident ${EARLIER} until ${new Date(NOW.getTime() + 60_000).toISOString()}`);
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(DisassociateIamInstanceProfileCommand)).toHaveLength(0);
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.claims).toEqual([EARLIER]);

    // A's restore ends and marks the record released; B's retry records the restored state and contains it.
    expect(await records.markReleased(ACCOUNT, REGION, INSTANCE_ID, { incidentKey: EARLIER, releasedAt: NOW.toISOString(), releasedBy: 'arn:aws:iam::111122223333:role/approver' })).toBe('released');
    const retry = await run();
    expect(retry.status).toBe('quarantined');
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ incidentKey: incident.key, claims: [incident.key], released: false });
  });
});

describe('quarantine-instance after the last release of another incident died holding the record', () => {
  /** Incident B's quarantine at `at`, against a record A's release held until `until` and never marked released. */
  async function heldByADeadRelease(until: Date) {
    const records = new InMemoryQuarantineRecordStore();
    await records.saveIfAbsent(await sealed(recordOfDefaultInstance(EARLIER, '2026-11-20T09:00:00.000Z')));
    const read = (await records.get(ACCOUNT, REGION, INSTANCE_ID))!;
    expect(await records.holdForRestore(read, EARLIER, until.toISOString(), HOLDER)).toBe('held');
    return records;
  }

  it('waits while the hold lasts, then claims the record and contains the instance the dead release left restored', async () => {
    // A's release put the instance back in its groups, then its Lambda timed out: no mark, the hold left on.
    const until = new Date(NOW.getTime() + 180_000);
    const records = await heldByADeadRelease(until);
    givenInstance(ec2Mock);
    givenGroups(ec2Mock);

    await expect(quarantineOf(records, NOW).run()).rejects.toBeInstanceOf(RecordHeldForRestoreError);
    await expect(quarantineOf(records, until).run()).rejects.toBeInstanceOf(RecordHeldForRestoreError);
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);

    // Once the hold has ended (nobody marked the record released), B claims A's unreleased record and isolates.
    const { incident, run } = quarantineOf(records, new Date(until.getTime() + 1));
    const contained = await run();
    expect(contained.status).toBe('quarantined');
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand).length).toBeGreaterThan(0);
    // Still A's capture (the original state, sealed), now held by both: A's own release takes back only its claim.
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ incidentKey: EARLIER, claims: [EARLIER, incident.key], released: false });
  });

  it('waits while the hold lasts when the dead release changed nothing, then adds its claim to the quarantined instance', async () => {
    const until = new Date(NOW.getTime() + 180_000);
    const records = await heldByADeadRelease(until);
    givenInstance(ec2Mock, {
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
      tags: { Name: 'web-1', 'firebreak:incident': EARLIER, 'firebreak:status': 'quarantined', 'firebreak:quarantined-at': '2026-11-20T09:00:00.000Z' },
    });
    givenGroups(ec2Mock);

    await expect(quarantineOf(records, NOW).run()).rejects.toBeInstanceOf(RecordHeldForRestoreError);
    const { incident, run } = quarantineOf(records, new Date(until.getTime() + 1));
    expect((await run()).status).toBe('already-quarantined');
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ claims: [EARLIER, incident.key], released: false });
  });
});

describe('quarantine-instance that saw the instance quarantined just before the last release of another incident restored it', () => {
  it('does not answer already-quarantined for the restored instance: it fails as transient, and its retry contains it', async () => {
    const quarantinedShape = quarantinedInstance(EARLIER, '2026-11-20T09:00:00.000Z');
    /** A's whole restore and mark land between B's DescribeInstances (quarantined) and B's read of the record. */
    class RestoredBeforeTheRead extends InMemoryQuarantineRecordStore {
      private restored = false;
      override async get(account: string, region: string, instanceId: string): Promise<QuarantineRecord | undefined> {
        if (!this.restored) {
          this.restored = true;
          await this.markReleased(ACCOUNT, REGION, INSTANCE_ID, { incidentKey: EARLIER, releasedAt: NOW.toISOString(), releasedBy: 'arn:aws:iam::111122223333:role/approver' });
          givenInstance(ec2Mock);
        }
        return super.get(account, region, instanceId);
      }
    }
    const records = new RestoredBeforeTheRead();
    await records.saveIfAbsent(await sealed(recordOfDefaultInstance(EARLIER, '2026-11-20T09:00:00.000Z')));
    givenInstance(ec2Mock, quarantinedShape);
    givenGroups(ec2Mock);
    const { incident, run } = quarantineOf(records);

    await expect(run()).rejects.toBeInstanceOf(TransientResponderError);
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
    const retry = await run();
    expect(retry.status).toBe('quarantined');
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ incidentKey: incident.key, claims: [incident.key], released: false });
  });
});

/**
 * Review of session 18: the hold kept out every incident but the one releasing. GuardDuty updates a
 * finding under its id (a new revision: a new execution of the same incident key) while a person's
 * release of that incident restores the instance. The new execution found its own incident's claim
 * on the record, took it as "already claimed" without asking for the hold, answered
 * already-quarantined (or went on isolating), and the restore then undid it: the newest revision of
 * the finding reported contained while the instance was back in service.
 */
describe('quarantine-instance of the incident whose own release holds the record (a new revision of the finding)', () => {
  const quarantinedShape = quarantinedInstance(ec2Incident().key, '2026-11-20T09:00:00.000Z');

  /** The incident's own record (its claim the only one), held by its own release until a minute from now. */
  async function heldByItsOwnRelease() {
    const records = new InMemoryQuarantineRecordStore();
    const key = ec2Incident().key;
    await records.saveIfAbsent(await sealed(recordOfDefaultInstance(key, '2026-11-20T09:00:00.000Z')));
    const read = (await records.get(ACCOUNT, REGION, INSTANCE_ID))!;
    expect(await records.holdForRestore(read, key, new Date(NOW.getTime() + 60_000).toISOString(), HOLDER)).toBe('held');
    return { records, key };
  }

  it('does not answer already-quarantined while its release holds the record to restore it: it waits (RecordHeldForRestoreError)', async () => {
    const { records, key } = await heldByItsOwnRelease();
    // The release has not changed EC2 yet: the instance still looks quarantined.
    givenInstance(ec2Mock, quarantinedShape);
    givenGroups(ec2Mock);

    await expect(quarantineOf(records).run()).rejects.toBeInstanceOf(RecordHeldForRestoreError);
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);

    // The release restores and marks the record released; the retry records the restored instance afresh and contains it.
    expect(await records.markReleased(ACCOUNT, REGION, INSTANCE_ID, { incidentKey: key, releasedAt: NOW.toISOString(), releasedBy: 'arn:aws:iam::111122223333:role/approver' })).toBe('released');
    givenInstance(ec2Mock);
    const retry = await quarantineOf(records).run();
    expect(retry.status).toBe('quarantined');
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand).length).toBeGreaterThan(0);
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ incidentKey: key, claims: [key], released: false });
  });

  it('changes nothing in EC2 while its release holds the record and has already put the instance back in its groups', async () => {
    const { records } = await heldByItsOwnRelease();
    givenInstance(ec2Mock);
    givenGroups(ec2Mock);

    await expect(quarantineOf(records).run()).rejects.toBeInstanceOf(RecordHeldForRestoreError);
    expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(DisassociateIamInstanceProfileCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(CreateTagsCommand)).toHaveLength(0);
  });
});
