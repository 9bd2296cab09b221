/**
 * Issue 11, the edges security groups do not close: Elastic IPs disassociated and re-associated
 * exactly (never stolen back), the metadata service turned off or restricted and restored.
 */
import {
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DisassociateAddressCommand,
  EC2Client,
  ModifyInstanceMetadataOptionsCommand,
} from '@aws-sdk/client-ec2';
import type { Address } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResponderMode } from '../../lib/contracts/responder-mode';
import { silentLogger } from '../../lib/responders/logging';
import type { QuarantineOptions } from '../../lib/responders/quarantine';
import { quarantineInstance } from '../../lib/responders/quarantine';
import type { QuarantineRecord } from '../../lib/responders/quarantine-records';
import { InMemoryQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import { canonicalRecord } from '../../lib/responders/record-integrity';
import { releaseInstance } from '../../lib/responders/release';
import type { ReleaseClearance } from '../../lib/responders/release-clearance';
import { wantedMetadataSettings } from '../../lib/responders/quarantine-metadata';
import { ACTIONS, iamActionsForStep } from '../../lib/playbooks/actions';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';
import { TEST_SEALER, sealed } from '../support/record-sealer';
import {
  APP_SG,
  DB_SG,
  ENI_A,
  ENI_B,
  MON_SG,
  PROFILE_ARN,
  TestClientFactory,
  VPC,
  describedInstance,
  givenGroups,
  givenInstance,
  givenMutationsSucceed,
  MUTATING_EC2_COMMANDS,
  inputsOf,
  quarantinedInstance,
  recordOfDefaultInstance,
  sdkError,
} from './quarantine-fixtures';

const ec2Mock = mockClient(EC2Client);
const iamMock = mockClient(IAMClient);
/** The instance's own role, in its profile since before the capture (release reads it: rows 3f, 3g). */
const WEB_ROLE = { RoleName: 'web-server-role', RoleId: 'AROAWEBSERVERROLE0001', Arn: 'arn:aws:iam::111122223333:role/web-server-role', Path: '/', CreateDate: new Date('2025-03-01T00:00:00Z') };
const NOW = new Date('2026-11-20T10:02:00.000Z');
const KEY = ec2Incident().key;
const EIP_A = { AllocationId: 'eipalloc-0aaa000000000001', AssociationId: 'eipassoc-0aaa00000000001', PublicIp: '203.0.113.10', NetworkInterfaceId: ENI_A, PrivateIpAddress: '10.0.1.10', InstanceId: INSTANCE_ID, Domain: 'vpc' } as const;
const EIP_B = { AllocationId: 'eipalloc-0bbb000000000002', AssociationId: 'eipassoc-0bbb00000000002', PublicIp: '203.0.113.20', NetworkInterfaceId: ENI_B, PrivateIpAddress: '10.0.2.20', InstanceId: INSTANCE_ID, Domain: 'vpc' } as const;
const RECORDED_A = { allocationId: EIP_A.AllocationId, publicIp: EIP_A.PublicIp, networkInterfaceId: ENI_A, privateIpAddress: EIP_A.PrivateIpAddress };
const RECORDED_B = { allocationId: EIP_B.AllocationId, publicIp: EIP_B.PublicIp, networkInterfaceId: ENI_B, privateIpAddress: EIP_B.PrivateIpAddress };
const OPEN_METADATA = { HttpEndpoint: 'enabled', HttpTokens: 'optional', HttpPutResponseHopLimit: 2, State: 'applied' } as const;

/** The fixture instance as quarantine leaves it. */
const QUARANTINED = quarantinedInstance(KEY, '2026-11-20T10:00:00.000Z');

let clients: TestClientFactory;
let records: InMemoryQuarantineRecordStore;

function givenMetadata(options: typeof OPEN_METADATA | { HttpEndpoint: string; HttpTokens: string; HttpPutResponseHopLimit: number }, shape = {}): void {
  ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ ...describedInstance(shape), MetadataOptions: options as never }] }] });
}

function quarantine(options: Partial<QuarantineOptions> = {}, mode: ResponderMode = 'enforce') {
  const incident = ec2Incident();
  const sent = { detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'off' as const, deregisterFromLoadBalancers: false, ...options };
  return quarantineInstance(
    { incident, mode, options: sent, execution: EXECUTION },
    // The grant's playbook sends quarantine-instance these very options (FIREBREAK_PLAYBOOK_STEPS).
    { clients, logger: silentLogger, records, sealer: TEST_SEALER, grants: storeGranting(incident, NOW), environment: { ...process.env, ...playbookStepsEnvironment(sent) }, now: () => NOW },
  );
}

const APPROVED: ReleaseClearance = {
  // Cleared by the guard at the record as the release reads it (its claim serial bound in the grant).
    check: async (_input, record) => ({ cleared: true, approvedBy: 'carol', approvedAt: NOW.toISOString(), executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:r', mode: 'enforce', releaseRecord: { capturedAt: record.capturedAt, claimSerial: record.claimSerial ?? 0 } }),
};

function release(mode: ResponderMode = 'enforce') {
  return releaseInstance(
    { incident: ec2Incident(), mode, options: { restoreInstanceProfile: true, restoreAutoScaling: true, restoreLoadBalancers: true } },
    { clients, logger: silentLogger, records, sealer: TEST_SEALER, clearance: APPROVED, now: () => NOW },
  );
}

beforeEach(() => {
  ec2Mock.reset();
  clients = new TestClientFactory();
  records = new InMemoryQuarantineRecordStore();
  givenMutationsSucceed(ec2Mock);
  ec2Mock.on(DisassociateAddressCommand).resolves({});
  ec2Mock.on(AssociateAddressCommand).resolves({ AssociationId: 'eipassoc-new' });
  ec2Mock.on(ModifyInstanceMetadataOptionsCommand).resolves({});
});

afterEach(() => {
  ec2Mock.reset();
  iamMock.reset();
});

/** Every mutating call answers as EC2 answers a DryRun that would have been allowed. */
function givenDryRunAllowed(): void {
  for (const command of [...MUTATING_EC2_COMMANDS, DisassociateAddressCommand, AssociateAddressCommand, ModifyInstanceMetadataOptionsCommand]) {
    ec2Mock.on(command as typeof DisassociateAddressCommand).rejects(sdkError('DryRunOperation', 412));
  }
}

describe('quarantineInstance at the edges (issue 11)', () => {
  beforeEach(() => {
    givenInstance(ec2Mock);
    givenGroups(ec2Mock);
  });

  it('reads the Elastic IPs of the instance beside the describe, and disassociates every one of them after isolation', async () => {
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [EIP_A, EIP_B] });
    const result = await quarantine();
    expect(inputsOf(ec2Mock, DescribeAddressesCommand)).toEqual([{ Filters: [{ Name: 'instance-id', Values: [INSTANCE_ID] }] }]);
    expect(inputsOf(ec2Mock, DisassociateAddressCommand)).toEqual([{ AssociationId: EIP_A.AssociationId }, { AssociationId: EIP_B.AssociationId }]);
    expect(clients.firstStarted('ec2:DescribeAddresses')).toMatchObject({ ec2Depth: 0 });
    expect(clients.sent.lastIndexOf('ec2:ModifyNetworkInterfaceAttribute')).toBeLessThan(clients.sent.indexOf('ec2:DisassociateAddress'));
    expect(result.status).toBe('quarantined');
    expect(result.preQuarantine?.elasticIps).toEqual([RECORDED_A, RECORDED_B]);
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.elasticIps).toEqual([RECORDED_A, RECORDED_B]);
    expect(result.actions.filter((a) => a.api === 'ec2:DisassociateAddress').map((a) => [a.target, a.outcome])).toEqual([
      [EIP_A.AllocationId, 'done'],
      [EIP_B.AllocationId, 'done'],
    ]);
  });

  it('keeps only addresses EC2 shows on the instance’s own ENIs', async () => {
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [EIP_A, { ...EIP_B, NetworkInterfaceId: 'eni-0someoneelse00000' }] });
    await quarantine();
    expect(inputsOf(ec2Mock, DisassociateAddressCommand)).toEqual([{ AssociationId: EIP_A.AssociationId }]);
  });

  it('sends DisassociateAddress with DryRun in dry-run and records nothing', async () => {
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [EIP_A] });
    givenDryRunAllowed();
    const result = await quarantine({}, 'dry-run');
    expect(inputsOf(ec2Mock, DisassociateAddressCommand)).toEqual([{ AssociationId: EIP_A.AssociationId, DryRun: true }]);
    expect(result.actions.find((a) => a.api === 'ec2:DisassociateAddress')?.outcome).toBe('would-do');
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toBeUndefined();
  });

  it('neither reads nor disassociates with disassociateElasticIps off, and records no address', async () => {
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [EIP_A] });
    const result = await quarantine({ disassociateElasticIps: false });
    expect(ec2Mock.commandCalls(DescribeAddressesCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(DisassociateAddressCommand)).toHaveLength(0);
    expect(result.preQuarantine?.elasticIps).toBeUndefined();
  });

  it('an association gone meanwhile is already done; a failed describe does not hold up isolation', async () => {
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [EIP_A] });
    ec2Mock.on(DisassociateAddressCommand).rejects(sdkError('InvalidAssociationID.NotFound'));
    const gone = await quarantine();
    expect(gone.actions.find((a) => a.api === 'ec2:DisassociateAddress')?.outcome).toBe('already-done');

    ec2Mock.reset();
    records = new InMemoryQuarantineRecordStore();
    givenMutationsSucceed(ec2Mock);
    givenInstance(ec2Mock);
    givenGroups(ec2Mock);
    ec2Mock.on(DescribeAddressesCommand).rejects(sdkError('UnauthorizedOperation', 403));
    const unread = await quarantine();
    expect(unread.status).toBe('quarantined');
    expect(unread.actions.find((a) => a.api === 'ec2:DescribeAddresses')).toMatchObject({ outcome: 'skipped' });
    expect(unread.networkInterfaces).toHaveLength(2);
  });

  it('turns the metadata endpoint off with instanceMetadata: disable, recording the settings before', async () => {
    givenMetadata(OPEN_METADATA);
    const result = await quarantine({ instanceMetadata: 'disable' });
    expect(inputsOf(ec2Mock, ModifyInstanceMetadataOptionsCommand)).toEqual([
      { InstanceId: INSTANCE_ID, HttpEndpoint: 'disabled', HttpTokens: 'optional', HttpPutResponseHopLimit: 2 },
    ]);
    expect(result.preQuarantine?.instanceMetadata).toEqual({ httpEndpoint: 'enabled', httpTokens: 'optional', httpPutResponseHopLimit: 2 });
  });

  it('requires tokens with hop limit 1 with instanceMetadata: require-tokens, never turning an endpoint on', async () => {
    givenMetadata({ HttpEndpoint: 'disabled', HttpTokens: 'optional', HttpPutResponseHopLimit: 3 });
    await quarantine({ instanceMetadata: 'require-tokens' });
    expect(inputsOf(ec2Mock, ModifyInstanceMetadataOptionsCommand)).toEqual([
      { InstanceId: INSTANCE_ID, HttpEndpoint: 'disabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
    ]);
    expect(wantedMetadataSettings('require-tokens', { httpEndpoint: 'enabled', httpTokens: 'optional', httpPutResponseHopLimit: 2 })).toEqual({
      httpEndpoint: 'enabled',
      httpTokens: 'required',
      httpPutResponseHopLimit: 1,
    });
  });

  it('probes the metadata change with DryRun in dry-run; changes and records nothing by default (keep)', async () => {
    givenMetadata(OPEN_METADATA);
    givenDryRunAllowed();
    const dry = await quarantine({ instanceMetadata: 'disable' }, 'dry-run');
    expect(inputsOf(ec2Mock, ModifyInstanceMetadataOptionsCommand)).toEqual([
      { InstanceId: INSTANCE_ID, HttpEndpoint: 'disabled', HttpTokens: 'optional', HttpPutResponseHopLimit: 2, DryRun: true },
    ]);
    expect(dry.actions.find((a) => a.api === 'ec2:ModifyInstanceMetadataOptions')?.outcome).toBe('would-do');
    ec2Mock.reset();
    givenMutationsSucceed(ec2Mock);
    givenGroups(ec2Mock);
    givenMetadata(OPEN_METADATA);
    const kept = await quarantine();
    expect(ec2Mock.commandCalls(ModifyInstanceMetadataOptionsCommand)).toHaveLength(0);
    expect(kept.preQuarantine?.instanceMetadata).toBeUndefined();
  });

  it('is not already-quarantined while an Elastic IP is still associated', async () => {
    givenInstance(ec2Mock, { ...QUARANTINED, volumes: [] });
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [EIP_A] });
    const result = await quarantine();
    expect(result.status).toBe('quarantined');
    expect(inputsOf(ec2Mock, DisassociateAddressCommand)).toEqual([{ AssociationId: EIP_A.AssociationId }]);
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    expect((await quarantine()).status).toBe('already-quarantined');
  });

  it('asks IAM for the address and metadata actions only as the options need them', () => {
    expect(iamActionsForStep('quarantine-instance', ACTIONS['quarantine-instance'].options.parse({}))).toEqual(expect.arrayContaining(['ec2:DescribeAddresses', 'ec2:DisassociateAddress']));
    expect(iamActionsForStep('quarantine-instance', { disassociateElasticIps: false })).not.toContain('ec2:DisassociateAddress');
    expect(iamActionsForStep('quarantine-instance', {})).not.toContain('ec2:ModifyInstanceMetadataOptions');
    expect(iamActionsForStep('quarantine-instance', { instanceMetadata: 'disable' })).toContain('ec2:ModifyInstanceMetadataOptions');
    expect(() => ACTIONS['quarantine-instance'].options.parse({ instanceMetadata: 'off' })).toThrow();
  });
});

describe('releaseInstance at the edges (issue 11)', () => {
  const withEdges = (): Promise<QuarantineRecord> =>
    sealed({
      ...recordOfDefaultInstance(KEY, NOW.toISOString()),
      instanceProfileRoleIds: [WEB_ROLE.RoleId],
      elasticIps: [RECORDED_A, RECORDED_B],
      instanceMetadata: { httpEndpoint: 'enabled', httpTokens: 'optional', httpPutResponseHopLimit: 2 },
    });

  beforeEach(async () => {
    await records.saveIfAbsent(await withEdges());
    givenInstance(ec2Mock, QUARANTINED);
    iamMock.on(GetInstanceProfileCommand).resolves({
      InstanceProfile: { InstanceProfileName: 'web-server', InstanceProfileId: 'AIPAWEBSERVERPROFILE1', Arn: PROFILE_ARN, Path: '/web/', CreateDate: new Date('2025-03-01T00:00:00Z'), Roles: [WEB_ROLE] },
    });
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [APP_SG, DB_SG, MON_SG].map((GroupId) => ({ GroupId, OwnerId: ACCOUNT, VpcId: VPC, GroupName: GroupId })),
    });
  });

  const unassociated = (eip: typeof EIP_A | typeof EIP_B): Address => ({ AllocationId: eip.AllocationId, PublicIp: eip.PublicIp, Domain: 'vpc' });

  it('re-associates each recorded Elastic IP with its ENI and private IP, never with AllowReassociation', async () => {
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [unassociated(EIP_A), unassociated(EIP_B)] });
    const result = await release();
    expect(inputsOf(ec2Mock, DescribeAddressesCommand)).toEqual([{ Filters: [{ Name: 'allocation-id', Values: [EIP_A.AllocationId, EIP_B.AllocationId] }] }]);
    expect(inputsOf(ec2Mock, AssociateAddressCommand)).toEqual([
      { AllocationId: EIP_A.AllocationId, NetworkInterfaceId: ENI_A, PrivateIpAddress: EIP_A.PrivateIpAddress, AllowReassociation: false },
      { AllocationId: EIP_B.AllocationId, NetworkInterfaceId: ENI_B, PrivateIpAddress: EIP_B.PrivateIpAddress, AllowReassociation: false },
    ]);
    expect(result.status).toBe('released');
    expect(result.elasticIps?.map((a) => a.outcome)).toEqual(['reassociated', 'reassociated']);
  });

  it('does not steal an address associated elsewhere since, nor look for one released since, and says so', async () => {
    ec2Mock.on(DescribeAddressesCommand).resolves({
      Addresses: [{ ...unassociated(EIP_A), AssociationId: 'eipassoc-other', NetworkInterfaceId: 'eni-0other0000000000a', PrivateIpAddress: '10.9.9.9' }],
    });
    const result = await release();
    expect(ec2Mock.commandCalls(AssociateAddressCommand)).toHaveLength(0);
    expect(result.elasticIps?.map((a) => [a.allocationId, a.outcome])).toEqual([
      [EIP_A.AllocationId, 'associated-elsewhere'],
      [EIP_B.AllocationId, 'released-since'],
    ]);
    expect(result.actions.filter((a) => a.api === 'ec2:AssociateAddress').map((a) => a.detail)).toEqual([
      expect.stringContaining('it is not taken back'),
      expect.stringContaining('was released since quarantine'),
    ]);
  });

  it('treats Resource.AlreadyAssociated (associated meanwhile) as associated elsewhere, not an error', async () => {
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [unassociated(EIP_A), unassociated(EIP_B)] });
    ec2Mock.on(AssociateAddressCommand).rejects(sdkError('Resource.AlreadyAssociated'));
    const result = await release();
    expect(result.status).toBe('released');
    expect(result.elasticIps?.map((a) => a.outcome)).toEqual(['associated-elsewhere', 'associated-elsewhere']);
  });

  it('restores the recorded metadata settings exactly, in one call', async () => {
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ ...describedInstance(QUARANTINED), MetadataOptions: { HttpEndpoint: 'disabled', HttpTokens: 'optional', HttpPutResponseHopLimit: 2 } }] }],
    });
    await release();
    expect(inputsOf(ec2Mock, ModifyInstanceMetadataOptionsCommand)).toEqual([
      { InstanceId: INSTANCE_ID, HttpEndpoint: 'enabled', HttpTokens: 'optional', HttpPutResponseHopLimit: 2 },
    ]);
  });

  it('probes AssociateAddress and ModifyInstanceMetadataOptions with DryRun in dry-run', async () => {
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [unassociated(EIP_A), unassociated(EIP_B)] });
    givenDryRunAllowed();
    const result = await release('dry-run');
    expect(inputsOf<{ DryRun?: boolean }>(ec2Mock, AssociateAddressCommand).every((i) => i.DryRun === true)).toBe(true);
    expect(inputsOf<{ DryRun?: boolean }>(ec2Mock, ModifyInstanceMetadataOptionsCommand)).toEqual([
      { InstanceId: INSTANCE_ID, HttpEndpoint: 'enabled', HttpTokens: 'optional', HttpPutResponseHopLimit: 2, DryRun: true },
    ]);
    expect(result.elasticIps?.map((a) => a.outcome)).toEqual(['would-reassociate', 'would-reassociate']);
  });

  it('refuses a record whose Elastic IPs were changed after sealing (the MAC covers them)', async () => {
    const original = await withEdges();
    const tampered = { ...original, elasticIps: [{ ...RECORDED_A, networkInterfaceId: 'eni-0attacker0000000a' }] };
    expect(canonicalRecord(tampered)).not.toEqual(canonicalRecord(original));
    const dropped: QuarantineRecord = { ...original };
    delete (dropped as { elasticIps?: unknown }).elasticIps;
    expect(canonicalRecord(dropped)).not.toEqual(canonicalRecord(original));
    // A record sealed before the fields existed serializes exactly as it did.
    expect(canonicalRecord(recordOfDefaultInstance(KEY, NOW.toISOString()))).not.toContain('elasticIps');
    expect((await TEST_SEALER.verify(tampered)).valid).toBe(false);
  });
});
