import { AssociateIamInstanceProfileCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHandler, handler } from '../../lambdas/release-instance/index';
import { ResponderInputError } from '../../lib/contracts/responder-errors';
import { silentLogger } from '../../lib/responders/logging';
import { InMemoryQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';
import { APP_SG, ENI_A, ISOLATION_SG, PROFILE_ARN, TestClientFactory, VPC, givenInstance, givenMutationsSucceed } from '../responders/quarantine-fixtures';
import type { ReleaseClearance } from '../../lib/responders/release-clearance';
import { TEST_SEALER, sealed } from '../support/record-sealer';

/** Cleared by the guard at the record's first claim (serial 1), and approved. */
const approved: ReleaseClearance = {
  check: async () => ({
    cleared: true,
    approvedBy: 'arn:aws:sts::111122223333:assumed-role/on-call/carol',
    approvedAt: '2026-11-27T16:29:00.000Z',
    executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:x:y',
    mode: 'enforce',
    releaseRecord: { capturedAt: '2026-11-20T10:02:00.000Z', claimSerial: 1 },
  }),
};

const ec2Mock = mockClient(EC2Client);
const iamMock = mockClient(IAMClient);

const event = (options: unknown = {}) =>
  JSON.parse(JSON.stringify({ incident: ec2Incident(), mode: 'enforce', options })) as unknown;

let records: InMemoryQuarantineRecordStore;

beforeEach(async () => {
  ec2Mock.reset();
  iamMock.reset();
  // The recorded profile, as IAM answers it: created before the capture, holding the role it held then (row 3f).
  iamMock.on(GetInstanceProfileCommand).resolves({
    InstanceProfile: { Arn: PROFILE_ARN, InstanceProfileName: 'web-server', InstanceProfileId: 'AIPAWEBSERVERPROFILE1', Path: '/web/', CreateDate: new Date('2025-03-01T00:00:00Z'), Roles: [] },
  });
  givenMutationsSucceed(ec2Mock);
  givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [ISOLATION_SG] }], profileArn: undefined });
  ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: APP_SG, OwnerId: ACCOUNT, VpcId: VPC }] });
  records = new InMemoryQuarantineRecordStore();
  await records.saveIfAbsent(await sealed({
    account: ACCOUNT,
    region: REGION,
    instanceId: INSTANCE_ID,
    incidentKey: ec2Incident().key,
    capturedAt: '2026-11-20T10:02:00.000Z',
    networkInterfaces: [{ networkInterfaceId: ENI_A, groupIds: [APP_SG] }],
    instanceProfileArn: PROFILE_ARN,
    disableApiTermination: false,
    shutdownBehavior: 'terminate',
    deleteOnTermination: [],
    tags: {},
  }));
});

afterEach(() => {
  ec2Mock.reset();
  iamMock.reset();
});

describe('release-instance Lambda', () => {
  it('runs the real responder over injected clients and record store', async () => {
    const run = createHandler({ clients: new TestClientFactory(), logger: silentLogger, records, sealer: TEST_SEALER, clearance: approved });
    const result = await run(event());
    expect(result).toMatchObject({ responder: 'release-instance', status: 'released', networkInterfaces: [{ id: ENI_A, groupsRestored: [APP_SG] }] });
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.released).toBe(true);
  });

  it('defaults restoreInstanceProfile to true, and honours false', async () => {
    const run = createHandler({ clients: new TestClientFactory(), logger: silentLogger, records, sealer: TEST_SEALER, clearance: approved });
    await run(event({ restoreInstanceProfile: false }));
    expect(ec2Mock.commandCalls(AssociateIamInstanceProfileCommand)).toHaveLength(0);
  });

  it('refuses a misspelt option, and the module-scope handler validates before touching AWS', async () => {
    const run = createHandler({ clients: new TestClientFactory(), logger: silentLogger, records, sealer: TEST_SEALER, clearance: approved });
    await expect(run(event({ restoreProfile: true }))).rejects.toBeInstanceOf(ResponderInputError);
    await expect(handler({})).rejects.toBeInstanceOf(ResponderInputError);
    expect(ec2Mock.calls()).toHaveLength(0);
  });
});
