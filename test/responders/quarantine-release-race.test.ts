/**
 * Review of session 15 (release claims): incident A's release lands (markReleased, its claim the
 * last) in the moment between incident B's conditional write of its own record (refused: A's record
 * was still unreleased) and B's read of the record that refused it. B used to carry on under A's
 * released record with no claim of its own: the instance isolated, and no release able to undo it.
 */
import { EC2Client, ModifyNetworkInterfaceAttributeCommand, CreateTagsCommand, DisassociateIamInstanceProfileCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TransientResponderError } from '../../lib/contracts/responder-errors';
import { silentLogger } from '../../lib/responders/logging';
import { quarantineInstance } from '../../lib/responders/quarantine';
import type { QuarantineRecord } from '../../lib/responders/quarantine-records';
import { InMemoryQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';
import { TEST_SEALER, sealed } from '../support/record-sealer';
import { TestClientFactory, givenGroups, givenInstance, givenMutationsSucceed, recordOfDefaultInstance } from './quarantine-fixtures';

const ec2Mock = mockClient(EC2Client);
const NOW = new Date('2026-11-20T10:02:00.000Z');
const EARLIER = 'gd-earlier';

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

describe('quarantine-instance racing the last release of another incident', () => {
  it('fails as transient before changing anything, and its retry records its own state and claim', async () => {
    const clients = new TestClientFactory();
    const records = new ReleasedMeanwhile();
    await records.saveIfAbsent(await sealed(recordOfDefaultInstance(EARLIER, '2026-11-20T09:00:00.000Z')));
    givenInstance(ec2Mock);
    givenGroups(ec2Mock);
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
          grants: clients.trackGrants(storeGranting(incident, NOW)),
          environment: { ...process.env, ...playbookStepsEnvironment(options) },
          now: () => NOW,
        },
      );

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
