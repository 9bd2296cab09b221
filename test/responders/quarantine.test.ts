import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DescribeAddressesCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  type DescribeInstancesCommandInput,
  DescribeSecurityGroupsCommand,
  DisassociateAddressCommand,
  DisassociateIamInstanceProfileCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import { iamActionsForStep } from '../../lib/playbooks/actions';
import { GetInstanceProfileCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient, ListInstanceProfilesForRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { describeInstancesAsEc2, describeInstancesByRegion, describeRegionsAs, holder, profileHolding } from '../support/role-holders';
import { revokeOlderSessionsPolicy } from '../../lib/responders/quarantine-credentials';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FindingNetworkInterface, Incident } from '../../lib/incident/model';
import { ResponderAccessDeniedError, TransientResponderError } from '../../lib/contracts/responder-errors';
import { silentLogger } from '../../lib/responders/logging';
import type { ResponderMode } from '../../lib/contracts/responder-mode';
import type { QuarantineOptions } from '../../lib/responders/quarantine';
import { quarantineInstance } from '../../lib/responders/quarantine';
import { findingVpcIds } from '../../lib/responders/quarantine-plan';
import type { QuarantineRecord } from '../../lib/responders/quarantine-records';
import { DynamoDbQuarantineRecordStore, InMemoryQuarantineRecordStore, RECORD_SEAL_SCHEME } from '../../lib/responders/quarantine-records';
import type { ResponderInput } from '../../lib/responders/responder-input';
import type { IncidentRecordEntry } from '../../lib/responders/incident-record';
import { recordingHandler } from '../../lib/responders/incident-record';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident, ec2Resource } from '../support/incidents';
import { APP_SG, ASSOCIATION_ID, DATA_VOLUME, DB_SG, ENI_A, ENI_B, ISOLATION_SG, MON_SG, MUTATING_EC2_COMMANDS, OTHER_VPC, PROFILE_ARN, ROLE_NAME, ROOT_VOLUME, TestClientFactory, UNTRACK_SG, VPC, describedInstance, firebreakGroup, givenGroups, givenInstance, givenMutationsSucceed, inputsOf, quarantinedInstance, recordOfDefaultInstance, sdkError } from './quarantine-fixtures';
import { TEST_RECORD_KEY_ARN, TEST_SEALER, TestRecordSealer, sealed } from '../support/record-sealer';
import { KmsRecordSealer, recordMacMessage } from '../../lib/responders/record-integrity';

const ec2Mock = mockClient(EC2Client);
const iamMock = mockClient(IAMClient);
const kmsMock = mockClient(KMSClient);
const NOW = new Date('2026-11-20T10:02:00.000Z');
const KEY = ec2Incident().key;

/** A record store whose reads and writes are round trips in the factory's call log. */
class RecordingStore extends InMemoryQuarantineRecordStore {
  constructor(private readonly factory: TestClientFactory) {
    super();
  }
  override async saveIfAbsent(record: QuarantineRecord): Promise<'saved' | 'exists'> {
    return this.factory.roundTrip('store:saveIfAbsent', () => super.saveIfAbsent(record));
  }
  override async get(account: string, region: string, instanceId: string): Promise<QuarantineRecord | undefined> {
    return this.factory.roundTrip('store:get', () => super.get(account, region, instanceId));
  }
}

/** The grant's playbook sends quarantine-instance the options `input()` gives (FIREBREAK_PLAYBOOK_STEPS). */
const STEP_ENV = { ...process.env, ...playbookStepsEnvironment({ detachInstanceProfile: true, autoScaling: 'off' }) };
let clients: TestClientFactory;
let records: RecordingStore;

function input(
  overrides: { incident?: Partial<Incident>; mode?: ResponderMode; options?: Partial<QuarantineOptions> } = {},
): ResponderInput<QuarantineOptions> {
  return {
    incident: ec2Incident(overrides.incident),
    mode: overrides.mode ?? 'enforce',
    options: { detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'off', deregisterFromLoadBalancers: false, ...overrides.options },
    execution: EXECUTION,
  };
}

/** Runs quarantine for an execution the guard cleared (a grant matching the input's incident and instance). */
function run(i: ResponderInput<QuarantineOptions> = input(), environment?: Record<string, string>) {
  return quarantineInstance(i, {
    clients,
    logger: silentLogger,
    records,
    sealer: clients.trackSealer(TEST_SEALER),
    grants: clients.trackGrants(storeGranting(i.incident, NOW)),
    // The grant's playbook sends quarantine-instance exactly these options (FIREBREAK_PLAYBOOK_STEPS).
    environment: { ...(environment ?? process.env), ...playbookStepsEnvironment(i.options) },
    now: () => NOW,
  });
}

function mutatingCallCount(): number {
  return MUTATING_EC2_COMMANDS.reduce((n, command) => n + ec2Mock.commandCalls(command as never).length, 0);
}

const UNTRACK_DESCRIPTION = 'Firebreak: all traffic, so that flows become untracked';

/** One ENI as a finding reports it (a claim: the responder acts on what EC2 says). */
function findingEni(networkInterfaceId: string, vpcId?: string): FindingNetworkInterface {
  return { networkInterfaceId, ...(vpcId !== undefined ? { vpcId } : {}), securityGroups: [] };
}

beforeEach(() => {
  ec2Mock.reset();
  iamMock.reset();
  kmsMock.reset();
  clients = new TestClientFactory();
  records = new RecordingStore(clients);
  givenMutationsSucceed(ec2Mock);
  // One region enabled for the account unless a test says otherwise (row 2z reads every enabled one).
  ec2Mock.on(DescribeRegionsCommand).callsFake(describeRegionsAs([REGION]));
});

afterEach(() => {
  ec2Mock.reset();
  iamMock.reset();
});

describe('quarantineInstance', () => {
  describe('on a running instance with two ENIs in a VPC seen before', () => {
    beforeEach(() => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
    });

    it('describes the instance, its profile association, its attributes and the VPC groups with exact inputs', async () => {
      await run();
      expect(inputsOf(ec2Mock, DescribeInstancesCommand)).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
      expect(inputsOf(ec2Mock, DescribeIamInstanceProfileAssociationsCommand)).toEqual([
        { Filters: [{ Name: 'instance-id', Values: [INSTANCE_ID] }] },
      ]);
      expect(inputsOf(ec2Mock, DescribeInstanceAttributeCommand)).toEqual([
        { InstanceId: INSTANCE_ID, Attribute: 'disableApiTermination' },
        { InstanceId: INSTANCE_ID, Attribute: 'instanceInitiatedShutdownBehavior' },
      ]);
      expect(inputsOf(ec2Mock, DescribeSecurityGroupsCommand)).toEqual([
        {
          Filters: [
            { Name: 'vpc-id', Values: [VPC] },
            { Name: 'group-name', Values: ['firebreak-untrack', 'firebreak-untrack-*', 'firebreak-isolation', 'firebreak-isolation-*'] },
          ],
        },
      ]);
      expect(clients.targets).toEqual([{ service: 'ec2', target: { account: ACCOUNT, region: REGION, findingAccount: ACCOUNT } }]);
    });

    it('moves every ENI to the untrack group then to the isolation group, never only the primary one', async () => {
      const result = await run();
      const moves = inputsOf<{ NetworkInterfaceId: string }>(ec2Mock, ModifyNetworkInterfaceAttributeCommand);
      expect(moves).toHaveLength(4);
      for (const eni of [ENI_A, ENI_B]) {
        expect(moves.filter((m) => m.NetworkInterfaceId === eni)).toEqual([
          { NetworkInterfaceId: eni, Groups: [UNTRACK_SG] },
          { NetworkInterfaceId: eni, Groups: [ISOLATION_SG] },
        ]);
      }
      expect(result).toMatchObject({
        status: 'quarantined',
        idempotentReplay: false,
        instanceId: INSTANCE_ID,
        isolationGroupId: ISOLATION_SG,
        untrackGroupId: UNTRACK_SG,
        networkInterfaces: [
          { id: ENI_A, groupsBefore: [APP_SG] },
          { id: ENI_B, groupsBefore: [DB_SG, MON_SG] },
        ],
        instanceProfileArn: PROFILE_ARN,
      });
      expect(ec2Mock.commandCalls(CreateSecurityGroupCommand)).toHaveLength(0);
      expect(ec2Mock.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(0);
      expect(ec2Mock.commandCalls(RevokeSecurityGroupEgressCommand)).toHaveLength(0);
    });

    it('keeps the instance as evidence, one attribute per call, DeleteOnTermination off only where it was on', async () => {
      await run();
      expect(inputsOf(ec2Mock, ModifyInstanceAttributeCommand)).toEqual([
        { InstanceId: INSTANCE_ID, DisableApiTermination: { Value: true } },
        { InstanceId: INSTANCE_ID, InstanceInitiatedShutdownBehavior: { Value: 'stop' } },
        { InstanceId: INSTANCE_ID, BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: false } }] },
      ]);
    });

    it('takes the instance profile away and tags the instance with the incident key and status', async () => {
      await run();
      expect(inputsOf(ec2Mock, DisassociateIamInstanceProfileCommand)).toEqual([{ AssociationId: ASSOCIATION_ID }]);
      expect(inputsOf(ec2Mock, CreateTagsCommand)).toEqual([
        {
          Resources: [INSTANCE_ID],
          Tags: [
            { Key: 'firebreak:incident', Value: KEY },
            { Key: 'firebreak:status', Value: 'quarantined' },
            { Key: 'firebreak:quarantined-at', Value: NOW.toISOString() },
          ],
        },
      ]);
      expect(iamMock.calls()).toHaveLength(0);
    });

    it('runs in the order of issue 10: record, then isolation with the evidence protections beside it, then credentials and tags', async () => {
      await run();
      const sent = clients.sent;
      const first = (name: string) => sent.indexOf(name);
      const last = (name: string) => sent.lastIndexOf(name);
      const firstMutation = sent.findIndex((c) => c.startsWith('ec2:') && !c.startsWith('ec2:Describe'));
      expect(first('store:saveIfAbsent')).toBeLessThan(firstMutation);
      // Beside the first move, never before it: every protection starts in the round trip in which the first ENI leaves its groups.
      const firstMove = clients.firstStarted('ec2:ModifyNetworkInterfaceAttribute');
      const protections = clients.started.filter((c) => c.call === 'ec2:ModifyInstanceAttribute');
      expect(protections).toHaveLength(3);
      expect(protections.every((c) => c.depth === firstMove.depth && c.ec2Depth === firstMove.ec2Depth)).toBe(true);
      expect(last('ec2:ModifyNetworkInterfaceAttribute')).toBeLessThan(first('ec2:DisassociateIamInstanceProfile'));
      expect(last('ec2:ModifyNetworkInterfaceAttribute')).toBeLessThan(first('ec2:CreateTags'));
    });

    it('records the pre-quarantine state: groups per ENI, profile, protections, volumes and firebreak tags', async () => {
      const result = await run();
      const expected = await sealed(recordOfDefaultInstance(KEY, NOW.toISOString()));
      expect(result.preQuarantine).toEqual(expected);
      expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toEqual({ ...expected, claims: [KEY], claimSerial: 1, lastClaims: { [KEY]: 1 }, released: false });
    });

    it('needs at most 4 + 2 x ENIs sequential EC2 round trips, running independent calls concurrently', async () => {
      await run();
      expect(clients.ec2Depth).toBeLessThanOrEqual(4 + 2 * 2);
      // describe and groups together, untrack (with the protections beside it), isolation,
      // credentials+tags: whatever the number of ENIs.
      expect(clients.ec2Depth).toBe(4);
    });

    it('moves the first ENI out of its groups after 4 round trips, 1 of them EC2: grant, describe and groups, seal, record', async () => {
      await run();
      expect(clients.firstStarted('ec2:ModifyNetworkInterfaceAttribute')).toEqual({ call: 'ec2:ModifyNetworkInterfaceAttribute', depth: 4, ec2Depth: 1 });
      // The grant alone before the describes (the rail: no call in the incident's account before it).
      expect(clients.firstStarted('dynamodb:GetItem(grant)').depth).toBe(0);
      for (const describe of ['ec2:DescribeInstances', 'ec2:DescribeIamInstanceProfileAssociations', 'ec2:DescribeInstanceAttribute', 'ec2:DescribeSecurityGroups']) {
        expect(clients.firstStarted(describe)).toMatchObject({ depth: 1, ec2Depth: 0 });
      }
      expect(clients.firstStarted('kms:GenerateMac').depth).toBe(2);
      expect(clients.firstStarted('store:saveIfAbsent').depth).toBe(3);
      expect(clients.sent.filter((c) => c === 'ec2:DescribeSecurityGroups')).toHaveLength(1);
    });

    it('lists every action it took in the result, in order', async () => {
      const result = await run();
      expect(result.actions.map((a) => [a.api, a.target, a.outcome])).toEqual([
        ['firebreak:check-grant', INSTANCE_ID, 'observed'],
        ['ec2:DescribeInstances', INSTANCE_ID, 'observed'],
        ['kms:GenerateMac', INSTANCE_ID, 'done'],
        ['firebreak:record-pre-quarantine-state', INSTANCE_ID, 'done'],
        ['ec2:DescribeSecurityGroups', VPC, 'already-done'],
        ['ec2:ModifyNetworkInterfaceAttribute', ENI_A, 'done'],
        ['ec2:ModifyNetworkInterfaceAttribute', ENI_A, 'done'],
        ['ec2:ModifyNetworkInterfaceAttribute', ENI_B, 'done'],
        ['ec2:ModifyNetworkInterfaceAttribute', ENI_B, 'done'],
        ['ec2:ModifyInstanceAttribute', INSTANCE_ID, 'done'],
        ['ec2:ModifyInstanceAttribute', INSTANCE_ID, 'done'],
        ['ec2:ModifyInstanceAttribute', INSTANCE_ID, 'done'],
        ['ec2:DisassociateIamInstanceProfile', INSTANCE_ID, 'done'],
        ['ec2:CreateTags', INSTANCE_ID, 'done'],
      ]);
      expect(result.actions.every((a) => a.at === NOW.toISOString())).toBe(true);
    });
  });

  describe('isolation groups', () => {
    it('creates both groups in a VPC seen for the first time, tagged as Firebreak’s, and sets their rules', async () => {
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }] });
      givenGroups(ec2Mock, []);
      ec2Mock
        .on(RevokeSecurityGroupEgressCommand, { IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] })
        .rejects(sdkError('InvalidPermission.NotFound'));
      const result = await run();
      const tags = (purpose: string) => [
        {
          ResourceType: 'security-group',
          Tags: [
            { Key: 'Name', Value: `firebreak-${purpose}` },
            { Key: 'firebreak:managed', Value: 'true' },
            { Key: 'firebreak:purpose', Value: purpose },
          ],
        },
      ];
      expect(inputsOf(ec2Mock, CreateSecurityGroupCommand)).toEqual([
        {
          GroupName: 'firebreak-untrack',
          Description: 'Firebreak containment: allows all traffic so that tracked connections become untracked before isolation',
          VpcId: VPC,
          TagSpecifications: tags('untrack'),
        },
        {
          GroupName: 'firebreak-isolation',
          Description: 'Firebreak containment: no inbound and no outbound rules, isolates quarantined instances',
          VpcId: VPC,
          TagSpecifications: tags('isolation'),
        },
      ]);
      expect(inputsOf(ec2Mock, AuthorizeSecurityGroupIngressCommand)).toEqual([
        {
          GroupId: UNTRACK_SG,
          IpPermissions: [
            {
              IpProtocol: '-1',
              IpRanges: [{ CidrIp: '0.0.0.0/0', Description: UNTRACK_DESCRIPTION }],
              Ipv6Ranges: [{ CidrIpv6: '::/0', Description: UNTRACK_DESCRIPTION }],
            },
          ],
        },
      ]);
      // The exact default egress rule; the IPv6 one answers NotFound in an IPv4-only VPC, harmlessly.
      expect(inputsOf(ec2Mock, RevokeSecurityGroupEgressCommand)).toEqual([
        { GroupId: ISOLATION_SG, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] },
        { GroupId: ISOLATION_SG, IpPermissions: [{ IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] }] },
      ]);
      expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand)).toEqual([
        { NetworkInterfaceId: ENI_A, Groups: [UNTRACK_SG] },
        { NetworkInterfaceId: ENI_A, Groups: [ISOLATION_SG] },
      ]);
      expect(result).toMatchObject({ status: 'quarantined', isolationGroupId: ISOLATION_SG, untrackGroupId: UNTRACK_SG });
      expect(result.actions.filter((a) => a.api === 'ec2:RevokeSecurityGroupEgress').map((a) => a.outcome)).toEqual(['done', 'already-done']);
      // The groups are ready before the first ENI moves.
      const sent = clients.sent;
      expect(sent.lastIndexOf('ec2:RevokeSecurityGroupEgress')).toBeLessThan(sent.indexOf('ec2:ModifyNetworkInterfaceAttribute'));
      expect(sent.lastIndexOf('ec2:AuthorizeSecurityGroupIngress')).toBeLessThan(sent.indexOf('ec2:ModifyNetworkInterfaceAttribute'));
    });

    it('sends each ENI to the groups of its own VPC: reused in one, created in the other', async () => {
      const otherUntrack = 'sg-0otheruntrack00001';
      const otherIsolation = 'sg-0otherisolation002';
      givenInstance(ec2Mock, {
        enis: [
          { id: ENI_A, groups: [APP_SG] },
          { id: ENI_B, groups: [DB_SG], vpcId: OTHER_VPC },
        ],
      });
      givenGroups(ec2Mock);
      ec2Mock.on(CreateSecurityGroupCommand, { GroupName: 'firebreak-untrack', VpcId: OTHER_VPC }).resolves({ GroupId: otherUntrack });
      ec2Mock.on(CreateSecurityGroupCommand, { GroupName: 'firebreak-isolation', VpcId: OTHER_VPC }).resolves({ GroupId: otherIsolation });
      // The finding lists both ENIs, as GuardDuty does: one lookup beside the describe covers both VPCs.
      await run(input({ incident: { resource: ec2Resource({ networkInterfaces: [findingEni(ENI_A, VPC), findingEni(ENI_B, OTHER_VPC)] }) } }));
      expect(inputsOf(ec2Mock, DescribeSecurityGroupsCommand)).toEqual([
        {
          Filters: [
            { Name: 'vpc-id', Values: [VPC, OTHER_VPC] },
            { Name: 'group-name', Values: ['firebreak-untrack', 'firebreak-untrack-*', 'firebreak-isolation', 'firebreak-isolation-*'] },
          ],
        },
      ]);
      expect(inputsOf<{ VpcId: string }>(ec2Mock, CreateSecurityGroupCommand).map((c) => c.VpcId)).toEqual([OTHER_VPC, OTHER_VPC]);
      const moves = inputsOf<{ NetworkInterfaceId: string }>(ec2Mock, ModifyNetworkInterfaceAttributeCommand);
      expect(moves.filter((m) => m.NetworkInterfaceId === ENI_A)).toEqual([
        { NetworkInterfaceId: ENI_A, Groups: [UNTRACK_SG] },
        { NetworkInterfaceId: ENI_A, Groups: [ISOLATION_SG] },
      ]);
      expect(moves.filter((m) => m.NetworkInterfaceId === ENI_B)).toEqual([
        { NetworkInterfaceId: ENI_B, Groups: [otherUntrack] },
        { NetworkInterfaceId: ENI_B, Groups: [otherIsolation] },
      ]);
    });

    it('reuses a group a concurrent run created first (InvalidGroup.Duplicate), found by describing again', async () => {
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }] });
      ec2Mock
        .on(DescribeSecurityGroupsCommand)
        .resolvesOnce({ SecurityGroups: [] })
        .resolves({ SecurityGroups: [firebreakGroup('isolation')] });
      ec2Mock.on(CreateSecurityGroupCommand, { GroupName: 'firebreak-isolation' }).rejects(sdkError('InvalidGroup.Duplicate'));
      const result = await run();
      expect(inputsOf(ec2Mock, DescribeSecurityGroupsCommand)).toEqual([
        {
          Filters: [
            { Name: 'vpc-id', Values: [VPC] },
            { Name: 'group-name', Values: ['firebreak-untrack', 'firebreak-untrack-*', 'firebreak-isolation', 'firebreak-isolation-*'] },
          ],
        },
        {
          Filters: [
            { Name: 'vpc-id', Values: [VPC] },
            { Name: 'group-name', Values: ['firebreak-isolation', 'firebreak-isolation-*'] },
          ],
        },
      ]);
      // The other run's group is already rule-free: nothing to revoke on it.
      expect(ec2Mock.commandCalls(RevokeSecurityGroupEgressCommand)).toHaveLength(0);
      expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand)).toEqual([
        { NetworkInterfaceId: ENI_A, Groups: [UNTRACK_SG] },
        { NetworkInterfaceId: ENI_A, Groups: [ISOLATION_SG] },
      ]);
      expect(result.status).toBe('quarantined');
      expect(result.actions).toContainEqual(
        expect.objectContaining({ api: 'ec2:CreateSecurityGroup', outcome: 'already-done', detail: expect.stringContaining('InvalidGroup.Duplicate') }),
      );
    });

    it('ignores a tagged isolation group holding rules Firebreak never sets (issue 8: an impostor), creating its own instead', async () => {
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }] });
      givenGroups(ec2Mock, [
        firebreakGroup('untrack'),
        firebreakGroup('isolation', {
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'ssh' }] }],
          IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }],
        }),
      ]);
      ec2Mock.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-0own0000000000003' });
      const result = await run();
      // Before issue 8 its rules were revoked and the group used: an attacker's group, trusted by its name.
      expect(ec2Mock.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
      expect(inputsOf(ec2Mock, CreateSecurityGroupCommand)).toEqual([
        expect.objectContaining({ GroupName: expect.stringMatching(/^firebreak-isolation-[0-9a-f]{8}$/) as unknown, VpcId: VPC }),
      ]);
      expect(inputsOf(ec2Mock, RevokeSecurityGroupEgressCommand).map((c) => (c as { GroupId: string }).GroupId)).toEqual(['sg-0own0000000000003', 'sg-0own0000000000003']);
      expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand)).toEqual([
        { NetworkInterfaceId: ENI_A, Groups: [UNTRACK_SG] },
        { NetworkInterfaceId: ENI_A, Groups: ['sg-0own0000000000003'] },
      ]);
      expect(result.actions).toContainEqual(
        expect.objectContaining({ api: 'firebreak:ignore-impostor-group', target: ISOLATION_SG, outcome: 'skipped', detail: expect.stringContaining('holds 1 rule(s) Firebreak never sets (inbound tcp 22-22 cidr 10.0.0.0/8)') }),
      );
    });

    it("ATTACK (review-members): never isolates in groups another account owns (a VPC owner's shared groups, named, tagged and ruled as Firebreak's), creating its own instead", async () => {
      // A shared VPC: the instance's account is a participant, the VPC another member account's. That
      // account's administrator makes both groups under Firebreak's names, tags and rules and shares
      // them with the organization (RAM security group sharing); the participant's DescribeSecurityGroups
      // lists them, OwnerId the VPC owner's. Used, the contained ENI would sit in groups whose rules
      // the other account changes at will (an ingress rule added after the move opens the instance).
      const VPC_OWNER = '444455556666';
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }] });
      givenGroups(ec2Mock, [firebreakGroup('untrack', { OwnerId: VPC_OWNER }), firebreakGroup('isolation', { OwnerId: VPC_OWNER })]);
      ec2Mock.on(CreateSecurityGroupCommand).callsFake((request: { GroupName: string }) => ({
        GroupId: request.GroupName.startsWith('firebreak-untrack') ? 'sg-0own0000000000001' : 'sg-0own0000000000002',
      }));
      const result = await run();
      expect(result.status).toBe('quarantined');
      expect(inputsOf(ec2Mock, CreateSecurityGroupCommand).map((c) => (c as { GroupName: string }).GroupName).sort()).toEqual([
        expect.stringMatching(/^firebreak-isolation-[0-9a-f]{8}$/),
        expect.stringMatching(/^firebreak-untrack-[0-9a-f]{8}$/),
      ]);
      expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand)).toEqual([
        { NetworkInterfaceId: ENI_A, Groups: ['sg-0own0000000000001'] },
        { NetworkInterfaceId: ENI_A, Groups: ['sg-0own0000000000002'] },
      ]);
      for (const foreign of [UNTRACK_SG, ISOLATION_SG]) {
        expect(result.actions).toContainEqual(
          expect.objectContaining({ api: 'firebreak:ignore-impostor-group', target: foreign, outcome: 'skipped', detail: expect.stringContaining(`is owned by account ${VPC_OWNER}`) }),
        );
      }
    });

    it('tried (review-members): a group whose OwnerId is the incident account is used as before', async () => {
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }] });
      givenGroups(ec2Mock, [firebreakGroup('untrack', { OwnerId: ec2Incident().account }), firebreakGroup('isolation', { OwnerId: ec2Incident().account })]);
      const result = await run();
      expect(ec2Mock.commandCalls(CreateSecurityGroupCommand)).toHaveLength(0);
      expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand)).toEqual([
        { NetworkInterfaceId: ENI_A, Groups: [UNTRACK_SG] },
        { NetworkInterfaceId: ENI_A, Groups: [ISOLATION_SG] },
      ]);
      expect(result.actions.filter((a) => a.api === 'firebreak:ignore-impostor-group')).toEqual([]);
    });

    it("tried (review-9b): an instance tagged quarantined whose ENIs sit in a VPC owner's shared groups named, tagged and ruled as Firebreak's is not already quarantined: it is moved into the account's own groups", async () => {
      // The VPC owner (or the attacker with the instance's tags) puts the ENIs into its shared lookalike
      // and tags the instance quarantined: a re-quarantine must not answer already-quarantined.
      const VPC_OWNER = '444455556666';
      givenInstance(ec2Mock, quarantinedInstance('gd-earlier', '2026-11-20T10:00:00.000Z'));
      givenGroups(ec2Mock, [firebreakGroup('untrack', { OwnerId: VPC_OWNER }), firebreakGroup('isolation', { OwnerId: VPC_OWNER })]);
      ec2Mock.on(CreateSecurityGroupCommand).callsFake((request: { GroupName: string }) => ({
        GroupId: request.GroupName.startsWith('firebreak-untrack') ? 'sg-0own0000000000001' : 'sg-0own0000000000002',
      }));
      const result = await run();
      expect(result.status).toBe('quarantined');
      const moves = inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand) as { NetworkInterfaceId: string; Groups: string[] }[];
      for (const eni of [ENI_A, ENI_B]) {
        expect(moves.filter((m) => m.NetworkInterfaceId === eni)).toEqual([
          { NetworkInterfaceId: eni, Groups: ['sg-0own0000000000001'] },
          { NetworkInterfaceId: eni, Groups: ['sg-0own0000000000002'] },
        ]);
      }
    });

    it("tried (review-9b): a VPC owner's shared lookalikes and a failed creation of the account's own groups (quota) fail the step and never move an ENI into the owner's groups", async () => {
      const VPC_OWNER = '444455556666';
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }] });
      givenGroups(ec2Mock, [firebreakGroup('untrack', { OwnerId: VPC_OWNER }), firebreakGroup('isolation', { OwnerId: VPC_OWNER })]);
      ec2Mock.on(CreateSecurityGroupCommand).rejects(Object.assign(new Error('The maximum number of security groups has been reached.'), { name: 'SecurityGroupLimitExceeded' }));
      await expect(run()).rejects.toThrow();
      const moved = inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand).flatMap((c) => (c as { Groups: string[] }).Groups);
      expect(moved).not.toContain(UNTRACK_SG);
      expect(moved).not.toContain(ISOLATION_SG);
      expect(moved).toEqual([]);
    });

    it('revokes the default egress left on its own isolation group by an interrupted run, and uses it', async () => {
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }] });
      givenGroups(ec2Mock, [
        firebreakGroup('untrack'),
        firebreakGroup('isolation', { IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [] }] }),
      ]);
      await run();
      expect(inputsOf(ec2Mock, RevokeSecurityGroupEgressCommand)).toEqual([
        { GroupId: ISOLATION_SG, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] },
      ]);
      expect(ec2Mock.commandCalls(CreateSecurityGroupCommand)).toHaveLength(0);
      expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand).at(-1)).toEqual({ NetworkInterfaceId: ENI_A, Groups: [ISOLATION_SG] });
    });

    it('adds the all-traffic ingress an existing untrack group lacks (a run interrupted after creating it)', async () => {
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }] });
      givenGroups(ec2Mock, [firebreakGroup('untrack', { IpPermissions: [] }), firebreakGroup('isolation')]);
      await run();
      expect(inputsOf(ec2Mock, AuthorizeSecurityGroupIngressCommand)).toEqual([
        {
          GroupId: UNTRACK_SG,
          IpPermissions: [
            {
              IpProtocol: '-1',
              IpRanges: [{ CidrIp: '0.0.0.0/0', Description: UNTRACK_DESCRIPTION }],
              Ipv6Ranges: [{ CidrIpv6: '::/0', Description: UNTRACK_DESCRIPTION }],
            },
          ],
        },
      ]);
    });

    it('moves an ENI left in the untrack group by an interrupted run straight to isolation', async () => {
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [UNTRACK_SG] }, { id: ENI_B, groups: [DB_SG] }] });
      givenGroups(ec2Mock);
      await run();
      expect(inputsOf<{ NetworkInterfaceId: string }>(ec2Mock, ModifyNetworkInterfaceAttributeCommand).filter((m) => m.NetworkInterfaceId === ENI_A)).toEqual([
        { NetworkInterfaceId: ENI_A, Groups: [ISOLATION_SG] },
      ]);
    });
  });

  describe('instance states', () => {
    it('quarantines a stopped instance all the same', async () => {
      givenInstance(ec2Mock, { state: 'stopped' });
      givenGroups(ec2Mock);
      const result = await run();
      expect(result.status).toBe('quarantined');
      expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(4);
      expect(ec2Mock.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(3);
      expect(ec2Mock.commandCalls(DisassociateIamInstanceProfileCommand)).toHaveLength(1);
    });

    it.each(['terminated', 'shutting-down'])('reports a %s instance as terminated and changes nothing', async (state) => {
      givenInstance(ec2Mock, { state });
      givenGroups(ec2Mock);
      const result = await run();
      expect(result).toMatchObject({ status: 'terminated', instanceId: INSTANCE_ID, idempotentReplay: false });
      expect(mutatingCallCount()).toBe(0);
      expect(clients.sent).not.toContain('store:saveIfAbsent');
    });

    it.each(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed'])(
      'reports %s as not-found, a result and not a crash',
      async (code) => {
        for (const command of [DescribeInstancesCommand, DescribeInstanceAttributeCommand] as const) {
          ec2Mock.on(command as typeof DescribeInstancesCommand).rejects(sdkError(code));
        }
        ec2Mock.on(DescribeIamInstanceProfileAssociationsCommand).resolves({ IamInstanceProfileAssociations: [] });
        const result = await run();
        expect(result).toMatchObject({ status: 'not-found', instanceId: INSTANCE_ID });
        expect(result.actions).toEqual([
          expect.objectContaining({ api: 'firebreak:check-grant', outcome: 'observed' }),
          expect.objectContaining({ api: 'ec2:DescribeInstances', outcome: 'observed' }),
        ]);
        expect(mutatingCallCount()).toBe(0);
      },
    );

    it('reports an instance DescribeInstances does not list as not-found', async () => {
      givenInstance(ec2Mock);
      ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
      expect((await run()).status).toBe('not-found');
      expect(mutatingCallCount()).toBe(0);
    });

    it('changes no volume attribute on an instance without EBS volumes, and says so', async () => {
      givenInstance(ec2Mock, { volumes: [] });
      givenGroups(ec2Mock);
      const result = await run();
      expect(inputsOf(ec2Mock, ModifyInstanceAttributeCommand)).toEqual([
        { InstanceId: INSTANCE_ID, DisableApiTermination: { Value: true } },
        { InstanceId: INSTANCE_ID, InstanceInitiatedShutdownBehavior: { Value: 'stop' } },
      ]);
      expect(result.actions).toContainEqual(expect.objectContaining({ outcome: 'already-done', detail: 'No EBS volume to keep' }));
      expect(result.preQuarantine?.deleteOnTermination).toEqual([]);
    });

    it('leaves the shutdown behaviour of an instance-store-backed instance alone (it cannot stop)', async () => {
      givenInstance(ec2Mock, { volumes: [] });
      givenGroups(ec2Mock);
      ec2Mock
        .on(DescribeInstancesCommand)
        .resolves({ Reservations: [{ Instances: [{ ...describedInstance({ volumes: [] }), RootDeviceType: 'instance-store' }] }] });
      const result = await run();
      expect(inputsOf(ec2Mock, ModifyInstanceAttributeCommand)).toEqual([{ InstanceId: INSTANCE_ID, DisableApiTermination: { Value: true } }]);
      expect(result.actions).toContainEqual(
        expect.objectContaining({ api: 'ec2:ModifyInstanceAttribute', outcome: 'skipped', detail: expect.stringContaining('cannot stop') }),
      );
    });

    it('skips the protections already in place', async () => {
      givenInstance(ec2Mock, {
        terminationProtection: true,
        shutdownBehavior: 'stop',
        volumes: [{ device: '/dev/xvda', volumeId: ROOT_VOLUME, deleteOnTermination: false }],
      });
      givenGroups(ec2Mock);
      const result = await run();
      expect(ec2Mock.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(0);
      expect(result.actions.filter((a) => a.api === 'ec2:ModifyInstanceAttribute').map((a) => a.outcome)).toEqual([
        'already-done',
        'already-done',
        'already-done',
      ]);
    });

    it('refuses an incident about something other than an EC2 instance, without any call', async () => {
      const result = await run(input({ incident: { resource: { kind: 'access-key', accessKeyId: 'AKIAEXAMPLE' } } }));
      expect(result.status).toBe('not-an-instance');
      expect(ec2Mock.calls()).toHaveLength(0);
    });
  });

  describe('sample findings', () => {
    it('makes no AWS call at all for a GuardDuty sample finding, not even a DryRun one', async () => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
      for (const mode of ['enforce', 'dry-run'] as const) {
        const result = await run(input({ mode, incident: { sample: true } }));
        expect(result).toMatchObject({ status: 'skipped-sample', instanceId: INSTANCE_ID });
      }
      expect(mutatingCallCount()).toBe(0);
      expect(ec2Mock.calls()).toHaveLength(0);
      expect(iamMock.calls()).toHaveLength(0);
      expect(clients.sent).toEqual([]);
    });

    it('treats a placeholder instance id (i-99999999) as a sample even when the flag is missing', async () => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
      const result = await run(input({ incident: { sample: false, resource: ec2Resource({ instanceId: 'i-99999999' }) } }));
      expect(result.status).toBe('skipped-sample');
      expect(mutatingCallCount()).toBe(0);
      expect(ec2Mock.calls()).toHaveLength(0);
    });

    it('acts on a real finding for the same instance (the gate must not block everything)', async () => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
      expect((await run(input({ incident: { sample: false } }))).status).toBe('quarantined');
      expect(mutatingCallCount()).toBeGreaterThan(0);
    });
  });

  describe('idempotency', () => {
    const quarantinedShape = quarantinedInstance(KEY, '2026-11-20T10:00:00.000Z');

    it('says already-quarantined and sends no mutating call on an instance already quarantined', async () => {
      givenInstance(ec2Mock, quarantinedShape);
      givenGroups(ec2Mock);
      const result = await run();
      expect(result).toMatchObject({ status: 'already-quarantined', idempotentReplay: true, isolationGroupId: ISOLATION_SG });
      expect(mutatingCallCount()).toBe(0);
      expect(clients.sent).not.toContain('store:saveIfAbsent');
      // No record to claim (Firebreak did not write one): said, since release cannot restore it.
      expect(result.actions.map((a) => [a.api, a.outcome])).toEqual([
        ['firebreak:check-grant', 'observed'],
        ['ec2:DescribeInstances', 'observed'],
        ['firebreak:decide', 'already-done'],
        ['firebreak:claim-quarantine', 'skipped'],
      ]);
    });

    it("claims the quarantine for this incident on another incident's record, so that incident's release leaves the instance contained (review r3 F1)", async () => {
      givenInstance(ec2Mock, quarantinedShape);
      givenGroups(ec2Mock);
      await records.saveIfAbsent(await sealed(recordOfDefaultInstance('gd-earlier', '2026-11-20T09:00:00.000Z')));
      const result = await run();
      expect(result).toMatchObject({ status: 'already-quarantined', idempotentReplay: true });
      expect(mutatingCallCount()).toBe(0);
      expect(result.actions.find((a) => a.api === 'firebreak:claim-quarantine')).toMatchObject({ outcome: 'done', detail: expect.stringContaining('beside incident gd-earlier') as unknown });
      expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.claims).toEqual(['gd-earlier', KEY]);
      expect(result.preQuarantine?.claims).toEqual(['gd-earlier', KEY]);
      // Run again (a retry): the claim is there already, nothing is written.
      const again = await run();
      expect(again.actions.find((a) => a.api === 'firebreak:claim-quarantine')?.outcome).toBe('already-done');
      expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.claims).toEqual(['gd-earlier', KEY]);
    });

    it('in dry-run only says it would claim the quarantine', async () => {
      givenInstance(ec2Mock, quarantinedShape);
      givenGroups(ec2Mock);
      await records.saveIfAbsent(await sealed(recordOfDefaultInstance('gd-earlier', '2026-11-20T09:00:00.000Z')));
      const result = await run(input({ mode: 'dry-run' }));
      expect(result.actions.find((a) => a.api === 'firebreak:claim-quarantine')?.outcome).toBe('would-do');
      expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.claims).toEqual(['gd-earlier']);
    });

    it('claims the kept record of another incident when its own record could not be written (exists)', async () => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
      await records.saveIfAbsent(await sealed(recordOfDefaultInstance('gd-earlier', '2026-11-20T09:00:00.000Z')));
      const result = await run();
      expect(result.status).toBe('quarantined');
      expect(result.preQuarantine).toMatchObject({ incidentKey: 'gd-earlier', claims: ['gd-earlier', KEY] });
      expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.claims).toEqual(['gd-earlier', KEY]);
    });

    it('is not fooled by the tag alone: an ENI outside the isolation group is moved', async () => {
      givenInstance(ec2Mock, { ...quarantinedShape, enis: [{ id: ENI_A, groups: [ISOLATION_SG] }, { id: ENI_B, groups: [DB_SG] }] });
      givenGroups(ec2Mock);
      const result = await run();
      expect(result.status).toBe('quarantined');
      expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand)).toEqual([
        { NetworkInterfaceId: ENI_B, Groups: [UNTRACK_SG] },
        { NetworkInterfaceId: ENI_B, Groups: [ISOLATION_SG] },
      ]);
      // The quarantine in force keeps its tags.
      expect(ec2Mock.commandCalls(CreateTagsCommand)).toHaveLength(0);
    });

    it('takes an association another execution removed meanwhile as done (InvalidAssociationID.NotFound), not as a failure', async () => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
      ec2Mock.on(DisassociateIamInstanceProfileCommand).rejects(sdkError('InvalidAssociationID.NotFound', 400));
      const result = await run();
      expect(result.status).toBe('quarantined');
      expect(inputsOf(ec2Mock, DisassociateIamInstanceProfileCommand)).toEqual([{ AssociationId: ASSOCIATION_ID }]);
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'ec2:DisassociateIamInstanceProfile', target: INSTANCE_ID, outcome: 'already-done' }));
      // Any other refusal still fails the step.
      ec2Mock.on(DisassociateIamInstanceProfileCommand).rejects(sdkError('UnauthorizedOperation', 403));
      await expect(run()).rejects.toThrow();
    });

    it('never overwrites the original record: a retry after an interrupted run reports the state before the first run', async () => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
      ec2Mock.on(DisassociateIamInstanceProfileCommand).rejectsOnce(sdkError('RequestLimitExceeded', 503));
      await expect(run()).rejects.toBeInstanceOf(TransientResponderError);
      const original = await records.get(ACCOUNT, REGION, INSTANCE_ID);
      expect(original?.networkInterfaces).toEqual([
        { networkInterfaceId: ENI_A, groupIds: [APP_SG] },
        { networkInterfaceId: ENI_B, groupIds: [DB_SG, MON_SG] },
      ]);

      // The retry sees the half-quarantined instance: isolated, protected, profile still there, not tagged.
      ec2Mock.reset();
      givenMutationsSucceed(ec2Mock);
      givenGroups(ec2Mock);
      givenInstance(ec2Mock, { ...quarantinedShape, profileArn: PROFILE_ARN, tags: { Name: 'web-1' } });
      const retry = await run();
      expect(retry.status).toBe('quarantined');
      expect(retry.preQuarantine).toEqual(original);
      expect(retry.networkInterfaces).toEqual([
        { id: ENI_A, groupsBefore: [APP_SG] },
        { id: ENI_B, groupsBefore: [DB_SG, MON_SG] },
      ]);
      // The same record; the retry's claim, written again, advanced its claim serial.
      expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toEqual({ ...original, claimSerial: 2, lastClaims: { [KEY]: 2 } });
      expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
      expect(ec2Mock.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(0);
      expect(inputsOf(ec2Mock, DisassociateIamInstanceProfileCommand)).toEqual([{ AssociationId: ASSOCIATION_ID }]);
      expect(retry.actions).toContainEqual(
        expect.objectContaining({ api: 'firebreak:record-pre-quarantine-state', outcome: 'already-done' }),
      );
    });
  });

  describe('dry-run', () => {
    beforeEach(() => {
      givenInstance(ec2Mock);
    });

    it('makes the same describe calls and sends every mutating EC2 call with DryRun: true (DryRunOperation → would-do)', async () => {
      givenGroups(ec2Mock);
      for (const command of MUTATING_EC2_COMMANDS) ec2Mock.on(command as typeof CreateTagsCommand).rejects(sdkError('DryRunOperation', 412));
      const result = await run(input({ mode: 'dry-run' }));
      expect(result.status).toBe('dry-run');
      expect(ec2Mock.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
      expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(1);
      expect(inputsOf(ec2Mock, ModifyInstanceAttributeCommand)).toEqual([
        { InstanceId: INSTANCE_ID, DisableApiTermination: { Value: true }, DryRun: true },
        { InstanceId: INSTANCE_ID, InstanceInitiatedShutdownBehavior: { Value: 'stop' }, DryRun: true },
        { InstanceId: INSTANCE_ID, BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: false } }], DryRun: true },
      ]);
      const moves = inputsOf<{ NetworkInterfaceId: string }>(ec2Mock, ModifyNetworkInterfaceAttributeCommand);
      for (const eni of [ENI_A, ENI_B]) {
        expect(moves.filter((m) => m.NetworkInterfaceId === eni)).toEqual([
          { NetworkInterfaceId: eni, Groups: [UNTRACK_SG], DryRun: true },
          { NetworkInterfaceId: eni, Groups: [ISOLATION_SG], DryRun: true },
        ]);
      }
      expect(inputsOf(ec2Mock, CreateTagsCommand)).toEqual([
        expect.objectContaining({ Resources: [INSTANCE_ID], DryRun: true }),
      ]);
      // DisassociateIamInstanceProfile has no DryRun parameter: it must not be sent at all.
      expect(ec2Mock.commandCalls(DisassociateIamInstanceProfileCommand)).toHaveLength(0);
      expect(clients.sent).not.toContain('store:saveIfAbsent');
      expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toBeUndefined();
      const outcomes = result.actions.filter((a) => a.outcome !== 'observed' && a.outcome !== 'already-done');
      expect(outcomes.every((a) => a.outcome === 'would-do')).toBe(true);
      expect(result.actions).toContainEqual(
        expect.objectContaining({ api: 'ec2:DisassociateIamInstanceProfile', outcome: 'would-do', detail: expect.stringContaining('not probed') }),
      );
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:record-pre-quarantine-state', outcome: 'would-do' }));
    });

    it('reports the calls IAM would deny (UnauthorizedOperation → would-be-denied) and carries on', async () => {
      givenGroups(ec2Mock);
      ec2Mock.on(ModifyInstanceAttributeCommand).rejects(sdkError('DryRunOperation', 412));
      ec2Mock.on(CreateTagsCommand).rejects(sdkError('DryRunOperation', 412));
      ec2Mock.on(ModifyNetworkInterfaceAttributeCommand).rejects(sdkError('UnauthorizedOperation', 403));
      const result = await run(input({ mode: 'dry-run' }));
      expect(result.status).toBe('dry-run');
      const byApi = (api: string) => result.actions.filter((a) => a.api === api).map((a) => a.outcome);
      expect(byApi('ec2:ModifyNetworkInterfaceAttribute')).toEqual(['would-be-denied', 'would-be-denied', 'would-be-denied', 'would-be-denied']);
      expect(byApi('ec2:ModifyInstanceAttribute')).toEqual(['would-do', 'would-do', 'would-do']);
      expect(byApi('ec2:CreateTags')).toEqual(['would-do']);
      expect(result.actions.find((a) => a.outcome === 'would-be-denied')?.detail).toContain('UnauthorizedOperation');
    });

    it('probes the group creation in a new VPC and reports the ENI moves as not probed', async () => {
      givenGroups(ec2Mock, []);
      for (const command of MUTATING_EC2_COMMANDS) ec2Mock.on(command as typeof CreateTagsCommand).rejects(sdkError('DryRunOperation', 412));
      const result = await run(input({ mode: 'dry-run' }));
      expect(inputsOf<{ GroupName: string; DryRun: boolean }>(ec2Mock, CreateSecurityGroupCommand).map((c) => [c.GroupName, c.DryRun])).toEqual([
        ['firebreak-untrack', true],
        ['firebreak-isolation', true],
      ]);
      expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
      expect(ec2Mock.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(0);
      expect(ec2Mock.commandCalls(RevokeSecurityGroupEgressCommand)).toHaveLength(0);
      const moves = result.actions.filter((a) => a.api === 'ec2:ModifyNetworkInterfaceAttribute');
      expect(moves.map((a) => [a.target, a.outcome])).toEqual([
        [ENI_A, 'would-do'],
        [ENI_B, 'would-do'],
      ]);
      expect(moves.every((a) => a.detail.includes('not probed'))).toBe(true);
      expect(result.isolationGroupId).toBeUndefined();
    });
  });

  describe('under the emergency pause (pause#deployment)', () => {
    beforeEach(() => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
    });

    it('ATTACK: a direct invocation under an enforce grant written before the pause changes nothing: every mutating call is DryRun, and the log says who paused', async () => {
      for (const command of MUTATING_EC2_COMMANDS) ec2Mock.on(command as typeof CreateTagsCommand).rejects(sdkError('DryRunOperation', 412));
      const i = input();
      const store = storeGranting(i.incident, NOW);
      store.pause = { paused: true, pausedBy: 'arn:aws:sts::111122223333:assumed-role/OnCall/alice', pausedAt: '2026-11-20T10:00:00.000Z', reason: 'false positives' };
      const result = await quarantineInstance(i, { clients, logger: silentLogger, records, sealer: TEST_SEALER, grants: store, environment: { ...process.env, FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment(i.options) }, now: () => NOW });
      expect(result).toMatchObject({ mode: 'dry-run', status: 'dry-run', forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('Firebreak is PAUSED: arn:aws:sts::111122223333:assumed-role/OnCall/alice paused automated containment at 2026-11-20T10:00:00.000Z (reason: "false positives")') } });
      expect(mutatingCallCount()).toBeGreaterThan(0);
      for (const command of MUTATING_EC2_COMMANDS) {
        for (const call of ec2Mock.commandCalls(command as never)) expect((call.args[0] as { input: { DryRun?: boolean } }).input.DryRun).toBe(true);
      }
      expect(result.actions.find((a) => a.api === 'firebreak:effective-mode')).toMatchObject({ outcome: 'skipped', detail: expect.stringMatching(/^The input asked for enforce, but Firebreak is PAUSED/) });
      // The entry the alert marks its subject [PAUSED] on (alert-model.ts pausedSteps).
      expect(result.actions.filter((a) => a.api === 'firebreak:emergency-pause')).toEqual([
        expect.objectContaining({
          target: i.incident.resource.kind === 'ec2-instance' ? i.incident.resource.instanceId : '',
          outcome: 'skipped',
          detail: expect.stringMatching(/^Firebreak is PAUSED: arn:aws:sts::111122223333:assumed-role\/OnCall\/alice paused automated containment .*: this step acts in dry-run only, whatever mode its grant was issued in\.$/),
        }),
      ]);
    });

    it('acts in enforce under the same grant once the pause is lifted', async () => {
      const i = input();
      const result = await quarantineInstance(i, { clients, logger: silentLogger, records, sealer: TEST_SEALER, grants: storeGranting(i.incident, NOW), environment: { ...process.env, FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment(i.options) }, now: () => NOW });
      expect(result).toMatchObject({ mode: 'enforce', status: 'quarantined' });
      expect(result).not.toHaveProperty('forcedDryRun');
      expect(result.actions.some((a) => a.api === 'firebreak:emergency-pause')).toBe(false);
    });
  });

  describe('errors', () => {
    it('surfaces RequestLimitExceeded on a describe as the retryable TransientResponderError', async () => {
      givenInstance(ec2Mock);
      ec2Mock.on(DescribeInstancesCommand).rejects(sdkError('RequestLimitExceeded', 503));
      await expect(run()).rejects.toBeInstanceOf(TransientResponderError);
    });

    it('surfaces RequestLimitExceeded on an ENI move as TransientResponderError', async () => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
      ec2Mock.on(ModifyNetworkInterfaceAttributeCommand).rejects(sdkError('RequestLimitExceeded', 503));
      const error = await run().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientResponderError);
      expect((error as Error).message).toContain('ec2:ModifyNetworkInterfaceAttribute');
    });

    it('surfaces UnauthorizedOperation in enforce mode as the final ResponderAccessDeniedError', async () => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
      ec2Mock.on(ModifyInstanceAttributeCommand).rejects(sdkError('UnauthorizedOperation', 403));
      await expect(run()).rejects.toBeInstanceOf(ResponderAccessDeniedError);
    });
  });

  describe('credentials', () => {
    /** The profile's role as IAM shows it (GetInstanceProfile, GetRole), with its tags now. */
    const givenRole = (roleName: string, tags: Record<string, string> = {}, path = '/') => {
      const role = {
        RoleName: roleName,
        RoleId: 'AROAEXAMPLE',
        Arn: `arn:aws:iam::${ACCOUNT}:role${path}${roleName}`,
        Path: path,
        CreateDate: new Date('2026-01-01T00:00:00Z'),
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      };
      iamMock.on(GetInstanceProfileCommand).resolves({
        InstanceProfile: { InstanceProfileName: 'web-server', InstanceProfileId: 'AIPAEXAMPLE', Arn: PROFILE_ARN, Path: '/web/', CreateDate: new Date('2026-01-01T00:00:00Z'), Roles: [role] },
      });
      iamMock.on(GetRoleCommand, { RoleName: roleName }).resolves({ Role: role });
      // The instance's own profile holds the role (row 2v's read finds only the instance itself).
      iamMock.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [profileHolding(PROFILE_ARN, roleName, ACCOUNT)], IsTruncated: false });
    };
    /** A deployment with the protected tag key and a member role (an organization's usual settings). */
    const DEPLOYMENT = {
      FIREBREAK_MODE: 'enforce',
      FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT,
      FIREBREAK_PROTECTED_TAG_KEY: 'firebreak:protected',
      FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakMember',
      FIREBREAK_SESSION_REVOKER_ROLE_NAME: 'FirebreakSessionRevoker',
    };

    beforeEach(() => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
      givenRole(ROLE_NAME);
      iamMock.on(PutRolePolicyCommand).resolves({});
    });

    it('with revokeRoleSessions, denies the role every session issued before now, then disassociates', async () => {
      const result = await run(input({ options: { revokeRoleSessions: true } }));
      expect(inputsOf(iamMock, GetInstanceProfileCommand)).toEqual([{ InstanceProfileName: 'web-server' }]);
      // The role's tags are read where it lives, right before the deny is written.
      expect(inputsOf(iamMock, GetRoleCommand)).toEqual([{ RoleName: ROLE_NAME }]);
      expect(clients.sent.indexOf('iam:GetRole')).toBeLessThan(clients.sent.indexOf('iam:PutRolePolicy'));
      expect(inputsOf<{ PolicyDocument: string }>(iamMock, PutRolePolicyCommand)).toEqual([
        { RoleName: ROLE_NAME, PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: expect.any(String) },
      ]);
      expect(JSON.parse(inputsOf<{ PolicyDocument: string }>(iamMock, PutRolePolicyCommand)[0]!.PolicyDocument)).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'FirebreakRevokeOlderSessions',
            Effect: 'Deny',
            Action: ['*'],
            Resource: ['*'],
            Condition: { DateLessThan: { 'aws:TokenIssueTime': NOW.toISOString() } },
          },
        ],
      });
      expect(clients.sent.indexOf('iam:PutRolePolicy')).toBeLessThan(clients.sent.indexOf('ec2:DisassociateIamInstanceProfile'));
      expect(clients.targets).toContainEqual({ service: 'iam', target: { account: ACCOUNT, region: REGION } });
      expect(result.revokedRoleSessions).toEqual({
        roleName: ROLE_NAME,
        policyName: 'FirebreakRevokeOlderSessions',
        issuedBefore: NOW.toISOString(),
      });
    });

    it("ATTACK (review-member): never revokes, by name, the role of a same-named profile when EC2's association names another account's profile", async () => {
      // The association is the answer of the incident's account's EC2: its ARN is a claim. Looked up by
      // name alone, arn:aws:iam::999988887777:instance-profile/web/web-server would find this account's
      // own web-server profile and cut the sessions of its role, which the instance does not hold.
      givenInstance(ec2Mock, { profileArn: 'arn:aws:iam::999988887777:instance-profile/web/web-server' });
      const result = await run(input({ options: { revokeRoleSessions: true } }));
      expect(iamMock.commandCalls(GetInstanceProfileCommand)).toHaveLength(0);
      expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
      expect(result.revokedRoleSessions).toBeUndefined();
      expect(result.actions).toContainEqual(
        expect.objectContaining({ api: 'iam:PutRolePolicy', outcome: 'skipped', detail: expect.stringContaining(`belongs to account 999988887777, not the instance's account ${ACCOUNT}`) }),
      );
      expect(result.status).toBe('quarantined');
    });

    it("revokes the role of the account's own profile whose path holds characters IAM allows beyond letters (review-member2)", async () => {
      // IAM paths take any ASCII from ! to DEL between the slashes: /ops~team!/ is a real profile's
      // path. Before, the profile-ARN check read it as "not an instance profile ARN" and left the
      // sessions of a genuinely compromised instance's role valid.
      givenInstance(ec2Mock, { profileArn: `arn:aws:iam::${ACCOUNT}:instance-profile/ops~team!/web-server` });
      const result = await run(input({ options: { revokeRoleSessions: true } }));
      expect(inputsOf(iamMock, GetInstanceProfileCommand)).toEqual([{ InstanceProfileName: 'web-server' }]);
      expect(inputsOf(iamMock, PutRolePolicyCommand)).toEqual([{ RoleName: ROLE_NAME, PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: expect.any(String) }]);
      expect(result.revokedRoleSessions).toMatchObject({ roleName: ROLE_NAME });
      expect(result.status).toBe('quarantined');
    });

    describe("the credential rails on the profile's role (the role is shared: its deny hits every holder)", () => {
      const refusedRevocation = async (result: Awaited<ReturnType<typeof run>>, roleName: string, reason: RegExp) => {
        expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
        expect(result.revokedRoleSessions).toBeUndefined();
        expect(result.roleSessionsNotRevoked).toEqual([{ roleName, reason: expect.stringMatching(reason) }]);
        expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:PutRolePolicy', target: roleName, outcome: 'skipped', detail: expect.stringMatching(reason) }));
        // The instance itself is contained all the same: every ENI isolated, the profile taken away.
        expect(result.status).toBe('quarantined');
        expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(4);
        expect(inputsOf(ec2Mock, DisassociateIamInstanceProfileCommand)).toEqual([{ AssociationId: ASSOCIATION_ID }]);
      };

      it('leaves the sessions of a role carrying the protected tag key in IAM now', async () => {
        givenRole('payments-shared-role', { 'firebreak:protected': 'shared with the payments DB' });
        const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
        expect(inputsOf(iamMock, GetRoleCommand)).toEqual([{ RoleName: 'payments-shared-role' }]);
        await refusedRevocation(result, 'payments-shared-role', /carries the protected tag key firebreak:protected in IAM now/);
      });

      it('revokes the sessions of the same role without the tag (the rail does not block everything)', async () => {
        givenRole('payments-shared-role', { Team: 'payments' });
        const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
        expect(inputsOf<{ RoleName: string; PolicyName: string }>(iamMock, PutRolePolicyCommand)).toEqual([
          { RoleName: 'payments-shared-role', PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: expect.any(String) },
        ]);
        expect(result.roleSessionsNotRevoked).toBeUndefined();
      });

      it('never reads nor writes an administrator or break-glass role (by name, before any IAM call on it)', async () => {
        givenRole('BreakGlass-Ops');
        const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
        expect(iamMock.commandCalls(GetRoleCommand)).toHaveLength(0);
        await refusedRevocation(result, 'BreakGlass-Ops', /matches the privileged name pattern \*BreakGlass\*/);
      });

      // Row 11ab. The stack's IAM deny names the privileged roles by ARN, `role/<pattern>`, and an
      // ARN holds the role's path: `role/*admin*` denies `role/platform-admin/web-server`, whose name
      // matches no pattern. The rail read the name alone, so PutRolePolicy met AccessDenied and
      // quarantine failed before it took the profile away: the compromised instance kept its
      // credentials, and every retry failed the same way.
      it('ATTACK (review-operator): leaves the sessions of a role whose path the privileged patterns name, as IAM reads its ARN, and still takes the profile away', async () => {
        givenRole('web-server', {}, '/platform-admin/');
        const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
        expect(inputsOf(iamMock, GetRoleCommand)).toEqual([{ RoleName: 'web-server' }]);
        await refusedRevocation(result, 'web-server', /role web-server at path \/platform-admin\/ matches the privileged name pattern \*Admin\* as IAM reads its ARN \(role\/platform-admin\/web-server\)/);
      });

      // Row 11ad. The deny holds each pattern that starts with no `*` twice, `role/<pattern>` and
      // `role/*/<pattern>`, and IAM's `*` crosses `/` on both sides: `role/*/stacksets-exec-*` denies
      // `role/ops/stacksets-exec-payments/runner`. Row 11ab's check matched the path and name against
      // `<pattern>` only, so quarantine met AccessDenied before it took the profile away, as before row 11ab.
      it('ATTACK (rereview-operator): leaves the sessions of a role under a path whose inner folder a privileged pattern names (role/*/stacksets-exec-*), and still takes the profile away', async () => {
        givenRole('runner', {}, '/ops/stacksets-exec-payments/');
        const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
        await refusedRevocation(result, 'runner', /role runner at path \/ops\/stacksets-exec-payments\/ matches the privileged name pattern stacksets-exec-\* as IAM reads its ARN \(role\/ops\/stacksets-exec-payments\/runner\)/);
      });

      it('tried (review-operator): revokes the sessions of a role whose path names no privileged pattern', async () => {
        givenRole('web-server', {}, '/payments/');
        const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
        expect(inputsOf<{ RoleName: string }>(iamMock, PutRolePolicyCommand)).toEqual([{ RoleName: 'web-server', PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: expect.any(String) }]);
        expect(result.roleSessionsNotRevoked).toBeUndefined();
      });

      it("never revokes Firebreak's own member-account roles", async () => {
        givenRole('FirebreakSessionRevoker');
        const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
        expect(iamMock.commandCalls(GetRoleCommand)).toHaveLength(0);
        await refusedRevocation(result, 'FirebreakSessionRevoker', /Firebreak's own member-account role/);
      });

      it("never revokes another responder's member-account role, as the stack names them (`<name>-<responder>`)", async () => {
        givenRole('FirebreakMember-snapshot-volumes');
        const deployed = { ...DEPLOYMENT, FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakMember-quarantine-instance', FIREBREAK_SESSION_REVOKER_ROLE_NAME: 'FirebreakSessionRevoker-quarantine-instance' };
        const result = await run(input({ options: { revokeRoleSessions: true } }), deployed);
        expect(iamMock.commandCalls(GetRoleCommand)).toHaveLength(0);
        await refusedRevocation(result, 'FirebreakMember-snapshot-volumes', /Firebreak's own member-account role/);
      });

      describe('a protected instance that holds the same role (row 2v)', () => {
        const DB = 'i-0db0000000000000a';
        const DB_PROFILE = `arn:aws:iam::${ACCOUNT}:instance-profile/payments-db`;
        const STATES = { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] };
        const BY_PROFILE = (...arns: string[]) => [{ Name: 'iam-instance-profile.arn', Values: arns }, STATES];
        /** EC2 as it answers (exact filters; the instance's own read as before), and IAM's profiles of the role. */
        const givenHolders = (instances: Parameters<typeof describeInstancesAsEc2>[0], profiles: string[], pageSize?: number) => {
          const asEc2 = describeInstancesAsEc2(instances, pageSize);
          ec2Mock.on(DescribeInstancesCommand).callsFake((request: DescribeInstancesCommandInput) => (request.InstanceIds?.length ? { Reservations: [{ Instances: [describedInstance()] }] } : asEc2(request)));
          iamMock.on(ListInstanceProfilesForRoleCommand, { RoleName: ROLE_NAME }).resolves({ InstanceProfiles: profiles.map((arn) => profileHolding(arn, ROLE_NAME, ACCOUNT)), IsTruncated: false });
        };
        const protectionReads = () => inputsOf<{ Filters?: unknown }>(ec2Mock, DescribeInstancesCommand).filter((i) => i.Filters !== undefined);

        it.each([
          ["in the deployment's protected list", { FIREBREAK_PROTECTED_INSTANCE_IDS: DB }, {}, "in the deployment's protected list"],
          ['carrying the protected tag key in EC2 now', {}, { 'firebreak:protected': 'payments DB' }, 'tagged firebreak:protected'],
        ] as const)('ATTACK (review-rails): never revokes the sessions of the role a protected instance holds through the same profile (%s): its running workload would lose its credentials', async (_why, rails, tags, by) => {
          // The role itself carries no tag: the protected workload is protected as an instance
          // (protectedInstanceIds, the way docs/security.md §B5 prefers), and shares web-server's profile.
          givenRole(ROLE_NAME);
          givenHolders([holder(INSTANCE_ID, PROFILE_ARN, { 'firebreak:protected': 'tagged by the attacker' }), holder(DB, PROFILE_ARN, tags)], [PROFILE_ARN]);
          const result = await run(input({ options: { revokeRoleSessions: true } }), { ...DEPLOYMENT, ...rails });
          expect(inputsOf(iamMock, ListInstanceProfilesForRoleCommand)).toEqual([{ RoleName: ROLE_NAME }]);
          expect(protectionReads()).toEqual([{ Filters: BY_PROFILE(PROFILE_ARN), MaxResults: 1000 }]);
          await refusedRevocation(result, ROLE_NAME, new RegExp(`protected instance ${DB} \\(${by}\\) holds the same instance profile ${PROFILE_ARN}`));
        });

        it('ATTACK (review-rails): never revokes them when the protected instance holds the same role through another profile', async () => {
          givenRole(ROLE_NAME);
          givenHolders([holder(INSTANCE_ID, PROFILE_ARN), holder(DB, DB_PROFILE)], [PROFILE_ARN, DB_PROFILE]);
          const result = await run(input({ options: { revokeRoleSessions: true } }), { ...DEPLOYMENT, FIREBREAK_PROTECTED_INSTANCE_IDS: DB });
          // The other profile is found by IAM's list of the role's profiles: no read of each profile.
          expect(inputsOf(iamMock, GetInstanceProfileCommand)).toEqual([{ InstanceProfileName: 'web-server' }]);
          expect(protectionReads()).toEqual([{ Filters: BY_PROFILE(PROFILE_ARN, DB_PROFILE), MaxResults: 1000 }]);
          await refusedRevocation(result, ROLE_NAME, new RegExp(`protected instance ${DB} .* holds instance profile ${DB_PROFILE}, which holds the same role ${ROLE_NAME}`));
        });

        it('tried (review-rails): revokes them when the protected instance holds another role (the rail does not block everything)', async () => {
          givenRole(ROLE_NAME);
          // IAM lists only web-server as holding the role: the database's profile holds another.
          givenHolders([holder(INSTANCE_ID, PROFILE_ARN), holder(DB, DB_PROFILE, { 'firebreak:protected': 'payments DB' })], [PROFILE_ARN]);
          const result = await run(input({ options: { revokeRoleSessions: true } }), { ...DEPLOYMENT, FIREBREAK_PROTECTED_INSTANCE_IDS: DB });
          expect(protectionReads()).toEqual([{ Filters: BY_PROFILE(PROFILE_ARN), MaxResults: 1000 }]);
          expect(inputsOf(iamMock, GetInstanceProfileCommand)).toEqual([{ InstanceProfileName: 'web-server' }]);
          expect(inputsOf(iamMock, PutRolePolicyCommand)).toEqual([{ RoleName: ROLE_NAME, PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: expect.any(String) }]);
          expect(result.roleSessionsNotRevoked).toBeUndefined();
        });

        it('ATTACK (review-holders): never revokes the sessions of the role a protected instance holds while hibernated: on start its processes resume with the credentials they held (row 2za)', async () => {
          givenRole(ROLE_NAME);
          givenHolders([holder(INSTANCE_ID, PROFILE_ARN), holder(DB, PROFILE_ARN, {}, 'stopped', true)], [PROFILE_ARN]);
          const result = await run(input({ options: { revokeRoleSessions: true } }), { ...DEPLOYMENT, FIREBREAK_PROTECTED_INSTANCE_IDS: DB });
          expect(protectionReads()).toEqual([{ Filters: BY_PROFILE(PROFILE_ARN), MaxResults: 1000 }]);
          await refusedRevocation(result, ROLE_NAME, new RegExp(`protected instance ${DB} \\(in the deployment's protected list\\), stopped with hibernation configured .*, holds the same instance profile ${PROFILE_ARN}`));
        });

        describe('in every region enabled for the account (row 2z)', () => {
          /** EC2 as each region answers: the instance's own read in its region, the holders of the role region by region. */
          const givenHoldersByRegion = (regions: string[], byRegion: Parameters<typeof describeInstancesByRegion>[0], profiles: string[]) => {
            const asEc2 = describeInstancesByRegion(byRegion);
            ec2Mock.on(DescribeRegionsCommand).callsFake(describeRegionsAs(regions));
            ec2Mock.on(DescribeInstancesCommand).callsFake((request: DescribeInstancesCommandInput, getClient) => (request.InstanceIds?.length ? { Reservations: [{ Instances: [describedInstance()] }] } : asEc2(request, getClient)));
            iamMock.on(ListInstanceProfilesForRoleCommand, { RoleName: ROLE_NAME }).resolves({ InstanceProfiles: profiles.map((arn) => profileHolding(arn, ROLE_NAME, ACCOUNT)), IsTruncated: false });
          };

          it("ATTACK (holders-regions): never revokes the sessions of the role a protected instance holds in another region of the account: IAM roles are global, EC2's search was the incident's region only", async () => {
            givenRole(ROLE_NAME);
            givenHoldersByRegion([REGION, 'us-east-1'], { [REGION]: [holder(INSTANCE_ID, PROFILE_ARN)], 'us-east-1': [holder(DB, PROFILE_ARN, { 'firebreak:protected': 'payments DB' })] }, [PROFILE_ARN]);
            const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
            await refusedRevocation(result, ROLE_NAME, new RegExp(`protected instance ${DB} \\(tagged firebreak:protected\\) in us-east-1 holds the same instance profile ${PROFILE_ARN}`));
            expect(inputsOf(ec2Mock, DescribeRegionsCommand)).toEqual([{ AllRegions: false }]);
            expect(protectionReads()).toEqual([{ Filters: BY_PROFILE(PROFILE_ARN), MaxResults: 1000 }, { Filters: BY_PROFILE(PROFILE_ARN), MaxResults: 1000 }]);
            expect(clients.targets.filter((t) => t.service === 'ec2').map((t) => t.target)).toEqual([{ account: ACCOUNT, region: REGION, findingAccount: ACCOUNT }, { account: ACCOUNT, region: 'us-east-1' }]);
          });

          it("ATTACK (review-holders): takes the instance profile away even when a region's holders cannot be read now (throttled, an outage): the profile kept handing the instance fresh credentials (row 2zb)", async () => {
            // Whoever holds the stolen credentials floods DescribeInstances in a quiet region of the
            // account (EC2's request limits are the account's, per region), or that region's EC2 is down.
            givenRole(ROLE_NAME);
            givenHoldersByRegion([REGION, 'sa-east-1'], { [REGION]: [holder(INSTANCE_ID, PROFILE_ARN)] }, [PROFILE_ARN]);
            const byRegion = describeInstancesByRegion({ [REGION]: [holder(INSTANCE_ID, PROFILE_ARN)] });
            ec2Mock.on(DescribeInstancesCommand).callsFake(async (request: DescribeInstancesCommandInput, getClient) => {
              if (request.InstanceIds?.length) return { Reservations: [{ Instances: [describedInstance()] }] };
              if (String(await getClient().config.region()) === 'sa-east-1') throw sdkError('RequestLimitExceeded', 503);
              return byRegion(request, getClient);
            });
            await expect(run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT)).rejects.toMatchObject({
              name: 'TransientResponderError',
              message: expect.stringMatching(new RegExp(`^The sessions of the role of instance profile ${PROFILE_ARN} \\(the profile is taken away\\) are not revoked yet: In sa-east-1: ec2:DescribeInstances failed transiently`)),
            });
            // Nothing revoked blind, but the profile is gone: the retry finds the instance quarantined
            // and denies the role's sessions from the sealed record (row 11i), or the failure is alerted.
            expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
            expect(inputsOf(ec2Mock, DisassociateIamInstanceProfileCommand)).toEqual([{ AssociationId: ASSOCIATION_ID }]);
            expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(4);
          });

          it("ATTACK (rereview-holders): the retry of a quarantine whose isolation failed beside the holder read (the profile taken, nothing revoked) still denies the role's sessions: it met an instance neither quarantined nor holding a profile and revoked nothing, for good (row 2ze)", async () => {
            // Whoever holds the stolen credentials throttles a quiet region's DescribeInstances (the
            // holder read fails) while the isolation fails too (the account's EC2 mutations throttled, or
            // the Region's security-group quota used up first). Row 2zb takes the profile away and fails
            // the step; the retry then sees no association and the instance not quarantined, so it took the
            // first-quarantine path, where no profile means "no role whose sessions to revoke".
            givenRole(ROLE_NAME);
            iamMock.on(GetRolePolicyCommand).rejects(sdkError('NoSuchEntity', 404));
            ec2Mock.on(DescribeRegionsCommand).callsFake(describeRegionsAs([REGION, 'sa-east-1']));
            let first = true;
            const byRegion = describeInstancesByRegion({});
            ec2Mock.on(DescribeInstancesCommand).callsFake(async (request: DescribeInstancesCommandInput, getClient) => {
              if (request.InstanceIds?.length) return { Reservations: [{ Instances: [describedInstance(first ? {} : { profileArn: undefined })] }] };
              if (first && String(await getClient().config.region()) === 'sa-east-1') throw sdkError('RequestLimitExceeded', 503);
              return byRegion(request, getClient);
            });
            ec2Mock.on(ModifyNetworkInterfaceAttributeCommand).callsFake(() => {
              if (first) throw sdkError('RequestLimitExceeded', 503);
              return {};
            });
            await expect(run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT)).rejects.toBeInstanceOf(TransientResponderError);
            expect(inputsOf(ec2Mock, DisassociateIamInstanceProfileCommand)).toEqual([{ AssociationId: ASSOCIATION_ID }]);
            expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
            // The retry: EC2 shows no profile now (the first attempt took it), the regions answer.
            first = false;
            ec2Mock.on(DescribeIamInstanceProfileAssociationsCommand).resolves({ IamInstanceProfileAssociations: [] });
            const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
            expect(result.status).toBe('quarantined');
            expect(inputsOf(iamMock, PutRolePolicyCommand)).toEqual([{ RoleName: ROLE_NAME, PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: revokeOlderSessionsPolicy(NOW.toISOString()) }]);
            expect(result.revokedRoleSessions).toMatchObject({ roleName: ROLE_NAME });
          });

          it('tried (holders-regions): the contained instance is not its own holder in its region only: the same id in another region is judged', async () => {
            givenRole(ROLE_NAME);
            givenHoldersByRegion([REGION, 'us-east-1'], { [REGION]: [holder(INSTANCE_ID, PROFILE_ARN)], 'us-east-1': [holder(INSTANCE_ID, PROFILE_ARN, { 'firebreak:protected': '' })] }, [PROFILE_ARN]);
            const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
            await refusedRevocation(result, ROLE_NAME, new RegExp(`protected instance ${INSTANCE_ID} \\(tagged firebreak:protected\\) in us-east-1 holds`));
          });

          it('ATTACK (holder-regions-setting): with instanceRegions, a region a service control policy denies outside it is not read, and the sessions are revoked', async () => {
            givenRole(ROLE_NAME);
            givenHoldersByRegion([REGION, 'us-east-1', 'sa-east-1'], { [REGION]: [holder(INSTANCE_ID, PROFILE_ARN)], 'us-east-1': [holder('i-0ab0000000000000c', PROFILE_ARN)] }, [PROFILE_ARN]);
            const byRegion = describeInstancesByRegion({ [REGION]: [holder(INSTANCE_ID, PROFILE_ARN)], 'us-east-1': [holder('i-0ab0000000000000c', PROFILE_ARN)] });
            const reads: { region: string; input: DescribeInstancesCommandInput }[] = [];
            ec2Mock.on(DescribeInstancesCommand).callsFake(async (request: DescribeInstancesCommandInput, getClient) => {
              if (request.InstanceIds?.length) return { Reservations: [{ Instances: [describedInstance()] }] };
              const region = String(await getClient().config.region());
              reads.push({ region, input: request });
              if (region === 'sa-east-1') throw sdkError('UnauthorizedOperation', 403);
              return byRegion(request, getClient);
            });
            const result = await run(input({ options: { revokeRoleSessions: true } }), { ...DEPLOYMENT, FIREBREAK_INSTANCE_REGIONS: 'us-east-1' });
            // The account's enabled regions, asked once (a named region it has not enabled runs no instance: row 2zd).
            expect(inputsOf(ec2Mock, DescribeRegionsCommand)).toEqual([{ AllRegions: false }]);
            expect(reads.sort((a, b) => a.region.localeCompare(b.region))).toEqual([
              { region: REGION, input: { Filters: BY_PROFILE(PROFILE_ARN), MaxResults: 1000 } },
              { region: 'us-east-1', input: { Filters: BY_PROFILE(PROFILE_ARN), MaxResults: 1000 } },
            ].sort((a, b) => a.region.localeCompare(b.region)));
            expect(inputsOf(iamMock, PutRolePolicyCommand)).toEqual([{ RoleName: ROLE_NAME, PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: expect.any(String) }]);
            expect(result.roleSessionsNotRevoked).toBeUndefined();
          });

          it('fails the step before anything is written when FIREBREAK_INSTANCE_REGIONS is malformed (the environment is a claim)', async () => {
            givenRole(ROLE_NAME);
            givenHoldersByRegion([REGION], { [REGION]: [holder(INSTANCE_ID, PROFILE_ARN)] }, [PROFILE_ARN]);
            await expect(run(input({ options: { revokeRoleSessions: true } }), { ...DEPLOYMENT, FIREBREAK_INSTANCE_REGIONS: 'us-east-1,*' })).rejects.toMatchObject({
              name: 'ResponderFailedError',
              message: expect.stringContaining('FIREBREAK_INSTANCE_REGIONS holds "*"'),
            });
            expect(mutatingCallCount()).toBe(0);
            expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
          });
        });

        describe('whatever the case of the tag key, on every page (row 2y)', () => {
          it("ATTACK (holders): never revokes the sessions of the role a protected instance holds when its tag key differs in case from the deployment's (row 2y)", async () => {
            // Row 2w made `Firebreak:Protected` protection; EC2's tag-key filter is exact, so the
            // holder read spelt as the deployment spells the key did not find the database.
            givenRole(ROLE_NAME);
            givenHolders([holder(INSTANCE_ID, PROFILE_ARN), holder(DB, PROFILE_ARN, { 'Firebreak:Protected': 'payments DB' })], [PROFILE_ARN]);
            const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
            await refusedRevocation(result, ROLE_NAME, new RegExp(`protected instance ${DB} \\(tagged Firebreak:Protected\\) holds the same instance profile ${PROFILE_ARN}`));
            expect(inputsOf(iamMock, ListInstanceProfilesForRoleCommand)).toEqual([{ RoleName: ROLE_NAME }]);
            expect(protectionReads()).toEqual([{ Filters: BY_PROFILE(PROFILE_ARN), MaxResults: 1000 }]);
          });

          it('ATTACK (holders): finds the protected holder on a later page, through another profile holding the role (row 2y)', async () => {
            givenRole(ROLE_NAME);
            const others = Array.from({ length: 3 }, (_, n) => holder(`i-0a${String(n).padStart(15, '0')}`, PROFILE_ARN));
            givenHolders([holder(INSTANCE_ID, PROFILE_ARN), ...others, holder(DB, DB_PROFILE, { 'FIREBREAK:PROTECTED': '' })], [PROFILE_ARN, DB_PROFILE], 2);
            const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
            await refusedRevocation(result, ROLE_NAME, new RegExp(`protected instance ${DB} \\(tagged FIREBREAK:PROTECTED\\) holds instance profile ${DB_PROFILE}, which holds the same role ${ROLE_NAME}`));
            expect(protectionReads()).toEqual([
              { Filters: BY_PROFILE(PROFILE_ARN, DB_PROFILE), MaxResults: 1000 },
              { Filters: BY_PROFILE(PROFILE_ARN, DB_PROFILE), MaxResults: 1000, NextToken: '2' },
              { Filters: BY_PROFILE(PROFILE_ARN, DB_PROFILE), MaxResults: 1000, NextToken: '4' },
            ]);
          });

          it('tried (holders): revokes them when no holder of the role is protected (a stopped one, or one without the key, does not count)', async () => {
            givenRole(ROLE_NAME);
            givenHolders([holder(INSTANCE_ID, PROFILE_ARN), holder(DB, PROFILE_ARN, { 'firebreak:protected': '' }, 'stopped'), holder('i-0ab0000000000000b', PROFILE_ARN, { 'firebreak:protectedx': '' })], [PROFILE_ARN]);
            const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
            expect(inputsOf(iamMock, PutRolePolicyCommand)).toEqual([{ RoleName: ROLE_NAME, PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: expect.any(String) }]);
            expect(result.roleSessionsNotRevoked).toBeUndefined();
          });
        });

        it("keeps the role's sessions and contains the instance all the same when IAM denies the read of the role's profiles (a member role deployed before it)", async () => {
          givenRole(ROLE_NAME);
          givenHolders([holder(INSTANCE_ID, PROFILE_ARN)], [PROFILE_ARN]);
          iamMock.on(ListInstanceProfilesForRoleCommand).rejects(sdkError('AccessDenied', 403));
          const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
          await refusedRevocation(result, ROLE_NAME, /the instances holding the role could not be read \(iam:ListInstanceProfilesForRole was denied \(AccessDenied\)\)/);
        });

        it('makes no such read in a deployment that protects nothing', async () => {
          givenRole(ROLE_NAME);
          givenHolders([holder(DB, PROFILE_ARN, { 'firebreak:protected': '' })], [PROFILE_ARN]);
          const { FIREBREAK_PROTECTED_TAG_KEY: _none, ...unprotected } = DEPLOYMENT;
          await run(input({ options: { revokeRoleSessions: true } }), unprotected);
          expect(protectionReads()).toEqual([]);
          expect(iamMock.commandCalls(ListInstanceProfilesForRoleCommand)).toHaveLength(0);
          expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
        });
      });

      it('writes nothing on a role IAM no longer knows', async () => {
        givenRole(ROLE_NAME);
        iamMock.on(GetRoleCommand).rejects(sdkError('NoSuchEntity', 404));
        const result = await run(input({ options: { revokeRoleSessions: true } }), DEPLOYMENT);
        await refusedRevocation(result, ROLE_NAME, /IAM knows no role web-server-role/);
      });
    });

    it('leaves the role alone by default', async () => {
      await run();
      expect(iamMock.calls()).toHaveLength(0);
    });

    it('reads the role but does not write the deny in dry-run (IAM has no DryRun)', async () => {
      for (const command of MUTATING_EC2_COMMANDS) ec2Mock.on(command as typeof CreateTagsCommand).rejects(sdkError('DryRunOperation', 412));
      const result = await run(input({ mode: 'dry-run', options: { revokeRoleSessions: true } }));
      expect(iamMock.commandCalls(GetInstanceProfileCommand)).toHaveLength(1);
      expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:PutRolePolicy', outcome: 'would-do' }));
    });

    it('keeps the profile when detachInstanceProfile is off, and says so', async () => {
      const result = await run(input({ options: { detachInstanceProfile: false } }));
      expect(ec2Mock.commandCalls(DisassociateIamInstanceProfileCommand)).toHaveLength(0);
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'ec2:DisassociateIamInstanceProfile', outcome: 'skipped' }));
      expect(result.instanceProfileArn).toBeUndefined();
    });

    it('has nothing to disassociate on an instance without a profile', async () => {
      givenInstance(ec2Mock, { profileArn: undefined });
      const result = await run();
      expect(ec2Mock.commandCalls(DisassociateIamInstanceProfileCommand)).toHaveLength(0);
      expect(result.preQuarantine?.instanceProfileArn).toBeUndefined();
    });
  });
});

describe('quarantineInstance on an instance already quarantined, for a new execution with revokeRoleSessions (row 11i)', () => {
  // GuardDuty updated the finding (a new revision: a new execution of the incident) because the
  // role's credentials were used again, perhaps with a session taken after the first cut-off.
  const quarantined = quarantinedInstance(KEY, '2026-11-20T09:00:05.000Z');
  /** The first revision's cut-off: before this execution was cleared (the grant is written at NOW). */
  const FIRST_CUT_OFF = '2026-11-20T09:00:04.000Z';
  const role = (tags: Record<string, string> = {}) => ({ RoleName: ROLE_NAME, RoleId: 'AROAEXAMPLE', Arn: `arn:aws:iam::${ACCOUNT}:role/${ROLE_NAME}`, Path: '/', CreateDate: new Date('2026-01-01T00:00:00Z'), Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
  const givenRole = (tags: Record<string, string> = {}) => {
    iamMock.on(GetInstanceProfileCommand).resolves({ InstanceProfile: { InstanceProfileName: 'web-server', InstanceProfileId: 'AIPAEXAMPLE', Arn: PROFILE_ARN, Path: '/web/', CreateDate: new Date('2026-01-01T00:00:00Z'), Roles: [role(tags)] } });
    iamMock.on(GetRoleCommand, { RoleName: ROLE_NAME }).resolves({ Role: role(tags) });
    iamMock.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [profileHolding(PROFILE_ARN, ROLE_NAME, ACCOUNT)], IsTruncated: false });
  };
  /** The role's deny as IAM answers GetRolePolicy: URL-encoded JSON. */
  const givenDeny = (document: string) => iamMock.on(GetRolePolicyCommand).resolves({ RoleName: ROLE_NAME, PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: encodeURIComponent(document) });
  const revoke = (overrides: Parameters<typeof input>[0] = {}) => input({ ...overrides, options: { revokeRoleSessions: true, ...overrides.options } });
  const DEPLOYMENT = { FIREBREAK_MODE: 'enforce', FIREBREAK_SECURITY_ACCOUNT_ID: ACCOUNT, FIREBREAK_PROTECTED_TAG_KEY: 'firebreak:protected' };

  beforeEach(async () => {
    givenInstance(ec2Mock, quarantined);
    givenGroups(ec2Mock);
    givenRole();
    givenDeny(revokeOlderSessionsPolicy(FIRST_CUT_OFF));
    iamMock.on(PutRolePolicyCommand).resolves({});
    // The first revision's record and claim: this incident quarantined the instance.
    await records.saveIfAbsent(await sealed(recordOfDefaultInstance(KEY, '2026-11-20T09:00:03.000Z')));
  });

  it("denies the role's sessions again up to now, from the profile the record holds, and touches nothing of the isolation", async () => {
    const before = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    const sentBefore = clients.sent.length;
    const result = await run(revoke());
    expect(inputsOf(iamMock, GetInstanceProfileCommand)).toEqual([{ InstanceProfileName: 'web-server' }]);
    expect(inputsOf(iamMock, GetRoleCommand)).toEqual([{ RoleName: ROLE_NAME }]);
    expect(inputsOf(iamMock, GetRolePolicyCommand)).toEqual([{ RoleName: ROLE_NAME, PolicyName: 'FirebreakRevokeOlderSessions' }]);
    expect(inputsOf(iamMock, PutRolePolicyCommand)).toEqual([{ RoleName: ROLE_NAME, PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: revokeOlderSessionsPolicy(NOW.toISOString()) }]);
    expect(clients.sent.indexOf('iam:GetRole')).toBeLessThan(clients.sent.indexOf('iam:GetRolePolicy'));
    expect(clients.sent.indexOf('iam:GetRolePolicy')).toBeLessThan(clients.sent.indexOf('iam:PutRolePolicy'));
    expect(result).toMatchObject({ status: 'already-quarantined', idempotentReplay: false, revokedRoleSessions: { roleName: ROLE_NAME, policyName: 'FirebreakRevokeOlderSessions', issuedBefore: NOW.toISOString() } });
    // No ENI move, no evidence change, no disassociation, no new record of the "original" groups.
    expect(mutatingCallCount()).toBe(0);
    expect(clients.sent.slice(sentBefore)).not.toContain('store:saveIfAbsent');
    // The original state release restores is the first revision's (the claim is only asked again, as before).
    const after = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    const original = (record: typeof before) => ({ capturedAt: record?.capturedAt, incidentKey: record?.incidentKey, networkInterfaces: record?.networkInterfaces, instanceProfileArn: record?.instanceProfileArn, seal: record?.seal, disableApiTermination: record?.disableApiTermination, deleteOnTermination: record?.deleteOnTermination });
    expect(original(after)).toEqual(original(before));
    expect(after?.networkInterfaces).toEqual([{ networkInterfaceId: ENI_A, groupIds: [APP_SG] }, { networkInterfaceId: ENI_B, groupIds: [DB_SG, MON_SG] }]);
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:GetRolePolicy', outcome: 'observed', detail: expect.stringContaining(`issued before ${FIRST_CUT_OFF} only`) }));
  });

  it('ATTACK (held-rails): under a grant the guard issued without a slot (held quarantined already), denies no session again: the deny reaches every holder of the role, a change no slot was taken for', async () => {
    const i = revoke();
    const result = await quarantineInstance(i, {
      clients,
      logger: silentLogger,
      records,
      sealer: TEST_SEALER,
      grants: storeGranting(i.incident, NOW, { heldQuarantine: true }),
      environment: { ...process.env, ...DEPLOYMENT, ...playbookStepsEnvironment(i.options) },
      now: () => NOW,
    });
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(mutatingCallCount()).toBe(0);
    expect(result.status).toBe('already-quarantined');
    expect(result.revokedRoleSessions).toBeUndefined();
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:PutRolePolicy', outcome: 'skipped', detail: expect.stringContaining('took no blast-radius slot') }));
  });

  it('writes nothing when the deny already reaches past this execution\'s clearance (a rerun of it, or a later execution wrote it)', async () => {
    givenDeny(revokeOlderSessionsPolicy(NOW.toISOString()));
    const result = await run(revoke());
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(result).toMatchObject({ status: 'already-quarantined', idempotentReplay: true });
    expect(result.revokedRoleSessions).toBeUndefined();
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:PutRolePolicy', target: ROLE_NAME, outcome: 'already-done' }));
    givenDeny(revokeOlderSessionsPolicy('2026-11-20T11:00:00.000Z'));
    await run(revoke());
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
  });

  it('writes the deny when the role holds none, or one of that name that is not exactly Firebreak\'s', async () => {
    iamMock.on(GetRolePolicyCommand).rejects(sdkError('NoSuchEntity', 404));
    await run(revoke());
    givenDeny(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: ['*'], Resource: ['*'], Condition: { DateLessThan: { 'aws:TokenIssueTime': '2099-01-01T00:00:00.000Z' } } }] }));
    await run(revoke());
    expect(inputsOf<{ PolicyDocument: string }>(iamMock, PutRolePolicyCommand).map((i) => i.PolicyDocument)).toEqual([revokeOlderSessionsPolicy(NOW.toISOString()), revokeOlderSessionsPolicy(NOW.toISOString())]);
  });

  it('fails as IAM answers when the deny cannot be read for a transient reason, writing nothing (the step is retried)', async () => {
    iamMock.on(GetRolePolicyCommand).rejects(sdkError('ServiceFailure', 500));
    await expect(run(revoke())).rejects.toBeInstanceOf(TransientResponderError);
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
  });

  it("tried (review-holders): the retry of a quarantine whose holder read failed (the profile taken, nothing revoked) denies the sessions once the regions answer, and a failure says whose sessions are kept (row 2zb)", async () => {
    iamMock.on(GetRolePolicyCommand).rejects(sdkError('NoSuchEntity', 404));
    ec2Mock.on(DescribeRegionsCommand).callsFake(describeRegionsAs([REGION, 'sa-east-1']));
    const holders = describeInstancesByRegion({});
    let throttled = true;
    ec2Mock.on(DescribeInstancesCommand).callsFake(async (request: DescribeInstancesCommandInput, getClient) => {
      if (request.InstanceIds?.length) return { Reservations: [{ Instances: [describedInstance(quarantined)] }] };
      if (throttled && String(await getClient().config.region()) === 'sa-east-1') throw sdkError('RequestLimitExceeded', 503);
      return holders(request, getClient);
    });
    await expect(run(revoke(), DEPLOYMENT)).rejects.toMatchObject({
      name: 'TransientResponderError',
      message: expect.stringMatching(new RegExp(`^The sessions of the role of instance profile ${PROFILE_ARN} are not revoked yet: In sa-east-1: ec2:DescribeInstances failed transiently`)),
    });
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    throttled = false;
    const result = await run(revoke(), DEPLOYMENT);
    expect(inputsOf(iamMock, PutRolePolicyCommand)).toEqual([{ RoleName: ROLE_NAME, PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: revokeOlderSessionsPolicy(NOW.toISOString()) }]);
    expect(result).toMatchObject({ status: 'already-quarantined', revokedRoleSessions: { roleName: ROLE_NAME } });
  });

  it('writes the deny again when IAM refuses to show it (a member role deployed before GetRolePolicy was needed), and says so', async () => {
    iamMock.on(GetRolePolicyCommand).rejects(sdkError('AccessDenied', 403));
    const result = await run(revoke());
    expect(inputsOf(iamMock, PutRolePolicyCommand)).toEqual([{ RoleName: ROLE_NAME, PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: revokeOlderSessionsPolicy(NOW.toISOString()) }]);
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:GetRolePolicy', outcome: 'observed', detail: expect.stringContaining('could not be read (AccessDenied') }));
  });

  it('keeps the credential rails: a role carrying the protected tag key keeps its sessions (not even its deny is read)', async () => {
    givenRole({ 'firebreak:protected': 'shared' });
    const result = await run(revoke(), DEPLOYMENT);
    expect(iamMock.commandCalls(GetRolePolicyCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(result.roleSessionsNotRevoked).toEqual([{ roleName: ROLE_NAME, reason: expect.stringMatching(/protected tag key firebreak:protected/) }]);
  });

  it('in dry-run reads the deny and only says it would write a later cut-off', async () => {
    const result = await run(revoke({ mode: 'dry-run' }));
    expect(iamMock.commandCalls(GetRolePolicyCommand)).toHaveLength(1);
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:PutRolePolicy', outcome: 'would-do' }));
  });

  it('makes no IAM call without revokeRoleSessions', async () => {
    const result = await run(input());
    expect(iamMock.calls()).toHaveLength(0);
    expect(result).toMatchObject({ status: 'already-quarantined', idempotentReplay: true });
  });

  it('revokes nothing when no profile is known (isolated by hand: no record, none associated), and says why', async () => {
    records = new RecordingStore(clients);
    const result = await run(revoke());
    expect(iamMock.calls()).toHaveLength(0);
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:PutRolePolicy', target: INSTANCE_ID, outcome: 'skipped', detail: expect.stringContaining('not known') }));
  });

  it('takes the role from the profile still associated when the step keeps it (detachInstanceProfile off)', async () => {
    givenInstance(ec2Mock, { ...quarantined, profileArn: PROFILE_ARN });
    records = new RecordingStore(clients);
    await run(revoke({ options: { detachInstanceProfile: false } }));
    expect(inputsOf(iamMock, GetInstanceProfileCommand)).toEqual([{ InstanceProfileName: 'web-server' }]);
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
  });

  describe('the profile the pre-quarantine record names counts only when its seal holds (a forged record names another role)', () => {
    /** Another instance profile of the account, whose role a forged record would have lose its sessions. */
    const OTHER_PROFILE_ARN = `arn:aws:iam::${ACCOUNT}:instance-profile/payments/payments-app`;
    const OTHER_ROLE = 'payments-app';
    /** What IAM answers of the other profile: its own role, which the rails let through (no protected tag, not privileged). */
    const givenOtherProfile = () => {
      const other = { ...role(), RoleName: OTHER_ROLE, Arn: `arn:aws:iam::${ACCOUNT}:role/${OTHER_ROLE}` };
      iamMock.on(GetInstanceProfileCommand, { InstanceProfileName: 'payments-app' }).resolves({ InstanceProfile: { InstanceProfileName: 'payments-app', InstanceProfileId: 'AIPAOTHER', Arn: OTHER_PROFILE_ARN, Path: '/payments/', CreateDate: new Date('2026-01-01T00:00:00Z'), Roles: [other] } });
      iamMock.on(GetRoleCommand, { RoleName: OTHER_ROLE }).resolves({ Role: other });
      iamMock.on(GetRolePolicyCommand, { RoleName: OTHER_ROLE }).rejects(sdkError('NoSuchEntity', 404));
    };
    /** A store whose unreleased record of the instance is `record` as written to the table (read back as it is, claimed as the real store would). */
    const storeHolding = async (record: QuarantineRecord) => {
      records = new RecordingStore(clients);
      // saveIfAbsent keeps every field but the claims, as the DynamoDB store's PutItem does.
      await records.saveIfAbsent(record);
    };
    const refusedRenewal = (result: Awaited<ReturnType<typeof run>>) => {
      expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
      expect(iamMock.calls()).toHaveLength(0);
      expect(result).toMatchObject({ status: 'already-quarantined', idempotentReplay: true });
      expect(result.revokedRoleSessions).toBeUndefined();
      expect(result.actions).toContainEqual(
        expect.objectContaining({ api: 'iam:PutRolePolicy', target: INSTANCE_ID, outcome: 'skipped', detail: expect.stringContaining(`${OTHER_PROFILE_ARN}, which is not trusted`) }),
      );
      // The rest of the step stands: the claim is written, nothing of the isolation is touched.
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:claim-quarantine', outcome: 'done' }));
      expect(mutatingCallCount()).toBe(0);
    };

    beforeEach(() => givenOtherProfile());

    it('denies no role when the record carries no seal (written to the table by someone else), and says why', async () => {
      await storeHolding({ ...recordOfDefaultInstance('other-incident', '2026-11-20T09:00:03.000Z'), instanceProfileArn: OTHER_PROFILE_ARN });
      const result = await run(revoke());
      refusedRenewal(result);
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:PutRolePolicy', outcome: 'skipped', detail: expect.stringContaining('carries no MAC') }));
    });

    it('denies no role when the profile was changed in the table after quarantine sealed the record', async () => {
      const genuine = await sealed(recordOfDefaultInstance('other-incident', '2026-11-20T09:00:03.000Z'));
      await storeHolding({ ...genuine, instanceProfileArn: OTHER_PROFILE_ARN });
      const result = await run(revoke());
      refusedRenewal(result);
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:PutRolePolicy', outcome: 'skipped', detail: expect.stringContaining('a field was changed after quarantine sealed it') }));
    });

    it('denies no role when the record is a sealed record of another instance copied under this one', async () => {
      const foreign = await sealed({ ...recordOfDefaultInstance('other-incident', '2026-11-20T09:00:03.000Z'), instanceId: 'i-0fedcba9876543210', instanceProfileArn: OTHER_PROFILE_ARN });
      records = new (class extends RecordingStore {
        override async get(): Promise<QuarantineRecord | undefined> {
          return { ...foreign, claims: ['other-incident'], claimSerial: 1, released: false };
        }
        override async claim(): Promise<'claimed'> {
          return 'claimed';
        }
      })(clients);
      const result = await run(revoke());
      refusedRenewal(result);
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:PutRolePolicy', outcome: 'skipped', detail: expect.stringContaining(`the record is for i-0fedcba9876543210 in ${ACCOUNT}/${REGION}, not ${INSTANCE_ID}`) }));
    });

    it('denies no role from the record when no record key is configured (the seal cannot be checked)', async () => {
      await storeHolding(await sealed(recordOfDefaultInstance(KEY, '2026-11-20T09:00:03.000Z')));
      const result = await quarantineInstance(revoke(), { clients, logger: silentLogger, records, grants: storeGranting(ec2Incident(), NOW), environment: { ...process.env, ...playbookStepsEnvironment(revoke().options) }, now: () => NOW });
      expect(iamMock.calls()).toHaveLength(0);
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:PutRolePolicy', target: INSTANCE_ID, outcome: 'skipped', detail: expect.stringContaining('no record key is configured') }));
    });

    it('checks the seal with kms:GenerateMac of the record key over the record\'s message, then denies the role the sealed record names', async () => {
      const record = recordOfDefaultInstance(KEY, '2026-11-20T09:00:03.000Z');
      const mac = new Uint8Array(32).fill(7);
      kmsMock.on(GenerateMacCommand).resolves({ KeyId: TEST_RECORD_KEY_ARN, MacAlgorithm: 'HMAC_SHA_256', Mac: mac });
      await storeHolding({ ...record, seal: { scheme: RECORD_SEAL_SCHEME, algorithm: 'HMAC_SHA_256', keyId: TEST_RECORD_KEY_ARN, mac: Buffer.from(mac).toString('base64') } });
      const sealer = new KmsRecordSealer(new KMSClient({ region: REGION }), TEST_RECORD_KEY_ARN);
      const result = await quarantineInstance(revoke(), { clients, logger: silentLogger, records, sealer, grants: storeGranting(ec2Incident(), NOW), environment: { ...process.env, ...playbookStepsEnvironment(revoke().options) }, now: () => NOW });
      expect(inputsOf(kmsMock, GenerateMacCommand)).toEqual([{ KeyId: TEST_RECORD_KEY_ARN, MacAlgorithm: 'HMAC_SHA_256', Message: recordMacMessage(record) }]);
      expect(inputsOf(iamMock, GetInstanceProfileCommand)).toEqual([{ InstanceProfileName: 'web-server' }]);
      expect(inputsOf(iamMock, PutRolePolicyCommand)).toEqual([{ RoleName: ROLE_NAME, PolicyName: 'FirebreakRevokeOlderSessions', PolicyDocument: revokeOlderSessionsPolicy(NOW.toISOString()) }]);
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'kms:GenerateMac', target: INSTANCE_ID, outcome: 'observed', detail: expect.stringContaining('seal holds') }));
    });

    it('makes no seal check when EC2 still shows the profile associated (EC2\'s answer is the truthful one)', async () => {
      givenInstance(ec2Mock, { ...quarantined, profileArn: PROFILE_ARN });
      await storeHolding({ ...recordOfDefaultInstance('other-incident', '2026-11-20T09:00:03.000Z'), instanceProfileArn: OTHER_PROFILE_ARN });
      const sent = clients.sent.length;
      await run(revoke({ options: { detachInstanceProfile: false } }));
      expect(clients.sent.slice(sent)).not.toContain('kms:GenerateMac');
      expect(inputsOf(iamMock, GetInstanceProfileCommand)).toEqual([{ InstanceProfileName: 'web-server' }]);
      expect(inputsOf<{ RoleName: string }>(iamMock, PutRolePolicyCommand).map((i) => i.RoleName)).toEqual([ROLE_NAME]);
    });
  });
});

describe('quarantineInstance seals the pre-quarantine record (issue 8: records that cannot be forged)', () => {
  beforeEach(() => {
    givenInstance(ec2Mock);
    givenGroups(ec2Mock);
  });

  it('saves the record with a MAC of the record key over its fields, before the first change', async () => {
    await run();
    const stored = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    expect(stored?.seal).toEqual(await TEST_SEALER.seal(stored!));
    expect(await TEST_SEALER.verify(stored!)).toEqual({ valid: true });
  });

  it('still contains when the key cannot seal (disabled, denied), saving the record unsealed so release refuses it', async () => {
    const broken = new TestRecordSealer();
    broken.seal = async () => {
      throw Object.assign(new Error('key is disabled'), { name: 'DisabledException' });
    };
    const result = await quarantineInstance(input(), { clients, logger: silentLogger, records, sealer: broken, grants: storeGranting(ec2Incident(), NOW), environment: STEP_ENV, now: () => NOW });
    expect(result.status).toBe('quarantined');
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.seal).toBeUndefined();
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'kms:GenerateMac', outcome: 'skipped', detail: expect.stringContaining('release will refuse') }));
  });

  it('does not call the key in dry-run (nothing is saved)', async () => {
    const spy = new TestRecordSealer();
    let sealed = 0;
    spy.seal = async (record) => {
      sealed += 1;
      return TEST_SEALER.seal(record);
    };
    for (const command of MUTATING_EC2_COMMANDS) ec2Mock.on(command as never).rejects(sdkError('DryRunOperation', 412));
    await quarantineInstance(input({ mode: 'dry-run' }), { clients, logger: silentLogger, records, sealer: spy, grants: storeGranting(ec2Incident(), NOW), environment: STEP_ENV, now: () => NOW });
    expect(sealed).toBe(0);
  });
});

describe('quarantineInstance, isolation first (issue 10): the finding’s VPC is a claim, and no failure loses the original state', () => {
  const FOREIGN_UNTRACK = 'sg-0f0e1g0untrack001';
  const FOREIGN_ISOLATION = 'sg-0f0e1g0isolate002';
  const lookupOf = (...vpcIds: string[]) => ({
    Filters: [
      { Name: 'vpc-id', Values: vpcIds },
      { Name: 'group-name', Values: ['firebreak-untrack', 'firebreak-untrack-*', 'firebreak-isolation', 'firebreak-isolation-*'] },
    ],
  });
  const claiming = (...enis: FindingNetworkInterface[]) => input({ incident: { resource: ec2Resource({ networkInterfaces: enis }) } });
  const everyMoveOf = (eni: string) => [
    { NetworkInterfaceId: eni, Groups: [UNTRACK_SG] },
    { NetworkInterfaceId: eni, Groups: [ISOLATION_SG] },
  ];
  const movesOf = (eni: string) =>
    inputsOf<{ NetworkInterfaceId: string }>(ec2Mock, ModifyNetworkInterfaceAttributeCommand).filter((m) => m.NetworkInterfaceId === eni);

  describe('the VPC the finding names', () => {
    it('names another VPC: looks up the groups of the VPC EC2 shows, and no ENI moves to the other VPC’s groups', async () => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
      // Firebreak's own, ready groups in the VPC the finding names: the instance is not there.
      ec2Mock.on(DescribeSecurityGroupsCommand, lookupOf(OTHER_VPC)).resolves({
        SecurityGroups: [
          firebreakGroup('untrack', { GroupId: FOREIGN_UNTRACK, VpcId: OTHER_VPC }),
          firebreakGroup('isolation', { GroupId: FOREIGN_ISOLATION, VpcId: OTHER_VPC }),
        ],
      });
      const result = await run(claiming(findingEni(ENI_A, OTHER_VPC)));
      expect(inputsOf(ec2Mock, DescribeSecurityGroupsCommand)).toEqual([lookupOf(OTHER_VPC), lookupOf(VPC)]);
      expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand)).toHaveLength(4);
      expect(movesOf(ENI_A)).toEqual(everyMoveOf(ENI_A));
      expect(movesOf(ENI_B)).toEqual(everyMoveOf(ENI_B));
      expect(JSON.stringify(ec2Mock.calls().map((c) => c.args[0].input))).not.toMatch(/sg-0f0e1g0/);
      expect(result).toMatchObject({ status: 'quarantined', isolationGroupId: ISOLATION_SG, untrackGroupId: UNTRACK_SG });
      expect(result.actions).toContainEqual(
        expect.objectContaining({
          api: 'firebreak:check-finding-vpc',
          outcome: 'observed',
          detail: `The finding names ${OTHER_VPC}, but EC2 shows the instance's ENIs in ${VPC}: only the groups of the VPCs EC2 shows are used`,
        }),
      );
      // The wrong claim costs one more EC2 round trip, after the describe.
      expect(clients.firstStarted('ec2:ModifyNetworkInterfaceAttribute').ec2Depth).toBe(2);
    });

    it('names no VPC (a CloudWatch alarm): looks the groups up once EC2 has answered, one round trip later', async () => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
      const result = await run(claiming());
      expect(inputsOf(ec2Mock, DescribeSecurityGroupsCommand)).toEqual([lookupOf(VPC)]);
      expect(clients.firstStarted('ec2:DescribeSecurityGroups')).toMatchObject({ depth: 2, ec2Depth: 1 });
      expect(clients.firstStarted('ec2:ModifyNetworkInterfaceAttribute')).toMatchObject({ depth: 5, ec2Depth: 2 });
      expect(result.status).toBe('quarantined');
      expect(result.actions.map((a) => a.api)).not.toContain('firebreak:check-finding-vpc');
    });

    it('names the VPC of one ENI only: looks up the other ENI’s VPC once EC2 has answered', async () => {
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }, { id: ENI_B, groups: [DB_SG], vpcId: OTHER_VPC }] });
      givenGroups(ec2Mock, [firebreakGroup('untrack'), firebreakGroup('isolation')]);
      ec2Mock.on(DescribeSecurityGroupsCommand, lookupOf(OTHER_VPC)).resolves({
        SecurityGroups: [
          firebreakGroup('untrack', { GroupId: FOREIGN_UNTRACK, VpcId: OTHER_VPC }),
          firebreakGroup('isolation', { GroupId: FOREIGN_ISOLATION, VpcId: OTHER_VPC }),
        ],
      });
      await run(claiming(findingEni(ENI_A, VPC)));
      expect(inputsOf(ec2Mock, DescribeSecurityGroupsCommand)).toEqual([lookupOf(VPC), lookupOf(OTHER_VPC)]);
      expect(movesOf(ENI_A)).toEqual(everyMoveOf(ENI_A));
      // Here the other VPC is the ENI's own (EC2 says so): its groups are the right ones.
      expect(movesOf(ENI_B)).toEqual([
        { NetworkInterfaceId: ENI_B, Groups: [FOREIGN_UNTRACK] },
        { NetworkInterfaceId: ENI_B, Groups: [FOREIGN_ISOLATION] },
      ]);
    });

    it("tried (review-inputs): a finding whose interfaces are another instance's moves only the interfaces EC2 shows attached to the finding's instance", async () => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
      const otherInstancesEni = 'eni-0ccc5555dddd6666e';
      const result = await run(claiming(findingEni(otherInstancesEni, VPC)));
      expect(result.status).toBe('quarantined');
      expect(movesOf(otherInstancesEni)).toEqual([]);
      expect(inputsOf<{ NetworkInterfaceId: string }>(ec2Mock, ModifyNetworkInterfaceAttributeCommand).map((move) => move.NetworkInterfaceId).sort()).toEqual([ENI_A, ENI_A, ENI_B, ENI_B].sort());
    });

    it('never sends a malformed VPC id from the finding to EC2', async () => {
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
      await run(claiming(findingEni(ENI_A, 'vpc-0123"; drop'), findingEni(ENI_B, VPC.toUpperCase())));
      expect(inputsOf(ec2Mock, DescribeSecurityGroupsCommand)).toEqual([lookupOf(VPC)]);
      expect(findingVpcIds(ec2Resource({ networkInterfaces: [findingEni(ENI_A, VPC), findingEni(ENI_B, VPC), findingEni(ENI_B, 'vpc-1')] }))).toEqual([VPC]);
    });

    it('the lookup beside the describe fails: looks up again once the instance is known, and contains', async () => {
      givenInstance(ec2Mock);
      ec2Mock
        .on(DescribeSecurityGroupsCommand)
        .rejectsOnce(sdkError('RequestLimitExceeded', 503))
        .resolves({ SecurityGroups: [firebreakGroup('untrack'), firebreakGroup('isolation')] });
      const result = await run();
      expect(inputsOf(ec2Mock, DescribeSecurityGroupsCommand)).toEqual([lookupOf(VPC), lookupOf(VPC)]);
      expect(result.status).toBe('quarantined');
      expect(movesOf(ENI_A)).toEqual(everyMoveOf(ENI_A));
    });

    it('the lookup beside the describe fails and the instance does not exist: not-found, whatever the lookup said', async () => {
      givenInstance(ec2Mock);
      ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
      ec2Mock.on(DescribeSecurityGroupsCommand).rejects(sdkError('UnauthorizedOperation', 403));
      const result = await run();
      expect(result.status).toBe('not-found');
      expect(mutatingCallCount()).toBe(0);
      expect(clients.sent).not.toContain('store:saveIfAbsent');
    });
  });

  describe('failure paths: release always has the exact original state', () => {
    const dynamoMock = mockClient(DynamoDBClient);
    const TABLE = 'firebreak-state';
    const DESCRIBES = [
      // Issue 11: the Elastic IPs are read beside the describe (disassociateElasticIps is on by default).
      'DescribeAddressesCommand',
      'DescribeInstancesCommand',
      'DescribeIamInstanceProfileAssociationsCommand',
      'DescribeInstanceAttributeCommand',
      'DescribeInstanceAttributeCommand',
      'DescribeSecurityGroupsCommand',
    ].sort();

    beforeEach(() => {
      dynamoMock.reset();
      givenInstance(ec2Mock);
      givenGroups(ec2Mock);
    });
    afterEach(() => {
      dynamoMock.reset();
    });

    it('the record cannot be written: no EC2 change at all (no ENI moves before the record is durable), and the retry records the same original', async () => {
      const store = new DynamoDbQuarantineRecordStore(new DynamoDBClient({ region: REGION }), TABLE);
      dynamoMock.on(PutItemCommand).rejectsOnce(sdkError('ProvisionedThroughputExceededException')).resolves({});
      const deps = { clients, logger: silentLogger, records: store, sealer: TEST_SEALER, grants: storeGranting(ec2Incident(), NOW), environment: STEP_ENV, now: () => NOW };

      const error = await quarantineInstance(input(), deps).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientResponderError);
      expect((error as Error).message).toContain('dynamodb:PutItem');
      expect(mutatingCallCount()).toBe(0);
      expect(ec2Mock.calls().map((c) => c.args[0].constructor.name).sort()).toEqual(DESCRIBES);
      const original = await sealed(recordOfDefaultInstance(KEY, NOW.toISOString()));
      const put = {
        TableName: TABLE,
        Item: {
          pk: { S: `quarantine#${ACCOUNT}#${REGION}#${INSTANCE_ID}` },
          account: { S: ACCOUNT },
          region: { S: REGION },
          instanceId: { S: INSTANCE_ID },
          incidentKey: { S: KEY },
          capturedAt: { S: NOW.toISOString() },
          released: { BOOL: false },
          claims: { SS: [KEY] },
          claimSerial: { N: '1' },
          [`lastClaim#${KEY}`]: { N: '1' },
          record: { S: JSON.stringify({ ...original, released: false }) },
        },
        ConditionExpression: 'attribute_not_exists(pk) OR released = :true',
        ExpressionAttributeValues: { ':true': { BOOL: true } },
      };
      expect(inputsOf(dynamoMock, PutItemCommand)).toEqual([put]);

      // The state machine's retry finds the instance untouched, so it records the same original.
      const retry = await quarantineInstance(input(), deps);
      expect(retry.status).toBe('quarantined');
      expect(retry.preQuarantine).toEqual(original);
      expect(inputsOf(dynamoMock, PutItemCommand)).toEqual([put, put]);
      expect(movesOf(ENI_A)).toEqual(everyMoveOf(ENI_A));
      expect(movesOf(ENI_B)).toEqual(everyMoveOf(ENI_B));
    });

    it('ATTACK: the isolation groups cannot be created (the Region\'s security group quota used up by the attacker): the profile is still taken away, no tag claims isolation, and the step fails', async () => {
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }] });
      givenGroups(ec2Mock, []);
      ec2Mock.on(CreateSecurityGroupCommand).rejects(sdkError('SecurityGroupLimitExceeded', 400));
      const written: IncidentRecordEntry[] = [];
      const handler = recordingHandler('quarantine-instance', async () => run(), { records: { append: async (_header, entry) => { written.push(entry); } }, now: () => NOW });
      const error = await handler(input()).catch((e: unknown) => e);
      expect((error as Error).name).toBe('ResponderFailedError');
      expect((error as Error).message).toContain('SecurityGroupLimitExceeded');
      expect(ec2Mock.commandCalls(ModifyNetworkInterfaceAttributeCommand)).toHaveLength(0);
      // The network could not be cut: what does not depend on it is taken all the same.
      expect(inputsOf(ec2Mock, DisassociateIamInstanceProfileCommand)).toEqual([{ AssociationId: ASSOCIATION_ID }]);
      expect(ec2Mock.commandCalls(CreateTagsCommand).filter((call) => call.args[0].input.Resources?.includes(INSTANCE_ID))).toHaveLength(0);
      expect(written).toHaveLength(1);
      expect(written[0]!.actions.filter((action) => action.outcome === 'done').map((action) => action.api)).toContain('ec2:DisassociateIamInstanceProfile');
      const original = await sealed(recordOfDefaultInstance(KEY, NOW.toISOString()));
      expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.instanceProfileArn).toBe(original.instanceProfileArn);
    });

    it('ATTACK (review): the playbook retries a failed isolation after the profile was taken: the retry reads the stripped instance but never records it, so release still has the original profile and Elastic IP', async () => {
      const eip = { AllocationId: 'eipalloc-0aaa000000000001', AssociationId: 'eipassoc-0aaa00000000001', PublicIp: '203.0.113.10', NetworkInterfaceId: ENI_A, PrivateIpAddress: '10.0.1.10', InstanceId: INSTANCE_ID, Domain: 'vpc' as const };
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }] });
      givenGroups(ec2Mock, []);
      ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [eip] });
      ec2Mock.on(CreateSecurityGroupCommand).rejects(sdkError('RequestLimitExceeded', 503));
      await expect(run()).rejects.toBeInstanceOf(TransientResponderError);
      expect(inputsOf(ec2Mock, DisassociateIamInstanceProfileCommand)).toEqual([{ AssociationId: ASSOCIATION_ID }]);
      expect(inputsOf(ec2Mock, DisassociateAddressCommand)).toEqual([{ AssociationId: eip.AssociationId }]);
      const original = await records.get(ACCOUNT, REGION, INSTANCE_ID);
      expect(original?.instanceProfileArn).toBe(PROFILE_ARN);
      expect(original?.elasticIps).toEqual([{ allocationId: eip.AllocationId, networkInterfaceId: ENI_A, privateIpAddress: eip.PrivateIpAddress, publicIp: eip.PublicIp }]);

      // The retry: EC2 now shows the instance without its profile or its Elastic IP; the isolation fails again.
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }], profileArn: undefined });
      ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: eip.AllocationId, PublicIp: eip.PublicIp, Domain: 'vpc' }] });
      await expect(run()).rejects.toBeInstanceOf(TransientResponderError);
      expect(ec2Mock.commandCalls(DisassociateIamInstanceProfileCommand)).toHaveLength(1);
      expect(ec2Mock.commandCalls(DisassociateAddressCommand)).toHaveLength(1);
      // Only its claim serial moves (the retry claims its own record again): the captured state stays the first run's.
      const kept = await records.get(ACCOUNT, REGION, INSTANCE_ID);
      expect(kept?.instanceProfileArn).toBe(PROFILE_ARN);
      expect(kept && { ...kept, claimSerial: undefined, lastClaims: undefined }).toEqual(original && { ...original, claimSerial: undefined, lastClaims: undefined });
    });

    it('ATTACK (review): a failed isolation in dry-run changes nothing: no profile is taken, every EC2 change is sent with DryRun, no record is written', async () => {
      givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }] });
      givenGroups(ec2Mock, []);
      for (const command of MUTATING_EC2_COMMANDS) ec2Mock.on(command as typeof CreateTagsCommand).rejects(sdkError('DryRunOperation', 412));
      ec2Mock.on(CreateSecurityGroupCommand).rejects(sdkError('RequestLimitExceeded', 503));
      await expect(run(input({ mode: 'dry-run', options: { instanceMetadata: 'disable' } }))).rejects.toBeInstanceOf(TransientResponderError);
      // The isolation was tried (with DryRun), failed, and the credentials path ran in dry-run: the
      // disassociation has no DryRun in EC2, so it is not sent at all (mutateUnprobed).
      expect(ec2Mock.commandCalls(CreateSecurityGroupCommand).length).toBeGreaterThan(0);
      expect(ec2Mock.commandCalls(DisassociateIamInstanceProfileCommand)).toHaveLength(0);
      for (const command of MUTATING_EC2_COMMANDS) {
        for (const call of ec2Mock.commandCalls(command as never)) expect((call.args[0] as { input: { DryRun?: boolean } }).input.DryRun).toBe(true);
      }
      expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toBeUndefined();
    });

    it('the protections fail: every ENI is still isolated, and the record holds the exact original for release', async () => {
      ec2Mock.on(ModifyInstanceAttributeCommand).rejects(sdkError('UnauthorizedOperation', 403));
      await expect(run()).rejects.toBeInstanceOf(ResponderAccessDeniedError);
      expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand)).toHaveLength(4);
      expect(movesOf(ENI_A)).toEqual(everyMoveOf(ENI_A));
      expect(movesOf(ENI_B)).toEqual(everyMoveOf(ENI_B));
      expect(inputsOf(ec2Mock, ModifyInstanceAttributeCommand)).toEqual([
        { InstanceId: INSTANCE_ID, DisableApiTermination: { Value: true } },
        { InstanceId: INSTANCE_ID, InstanceInitiatedShutdownBehavior: { Value: 'stop' } },
        { InstanceId: INSTANCE_ID, BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: false } }] },
      ]);
      // The failure is final (the playbook's Catch alerts); credentials and tags wait for a person.
      expect(ec2Mock.commandCalls(DisassociateIamInstanceProfileCommand)).toHaveLength(0);
      expect(ec2Mock.commandCalls(CreateTagsCommand)).toHaveLength(0);
      const original = await sealed(recordOfDefaultInstance(KEY, NOW.toISOString()));
      expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toEqual({ ...original, claims: [KEY], claimSerial: 1, lastClaims: { [KEY]: 1 }, released: false });
    });

    it('one ENI’s move fails: the failed attempt’s incident-record entry holds the moves and protections it made first', async () => {
      ec2Mock.on(ModifyNetworkInterfaceAttributeCommand, { NetworkInterfaceId: ENI_B, Groups: [ISOLATION_SG] }).rejects(sdkError('RequestLimitExceeded', 503));
      const written: IncidentRecordEntry[] = [];
      const handler = recordingHandler('quarantine-instance', async () => run(), { records: { append: async (_header, entry) => { written.push(entry); } }, now: () => NOW });
      const error = await handler(input()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientResponderError);
      expect(written).toHaveLength(1);
      const entry = written[0]!;
      expect(entry).toMatchObject({ outcome: 'failed', status: 'TransientResponderError', error: { name: 'TransientResponderError' } });
      const changes = entry.actions.filter((action) => action.outcome === 'done').map((action) => [action.api, action.target]);
      expect(changes).toEqual(expect.arrayContaining([
        ['ec2:ModifyNetworkInterfaceAttribute', ENI_A],
        ['ec2:ModifyNetworkInterfaceAttribute', ENI_B],
        ['ec2:ModifyInstanceAttribute', INSTANCE_ID],
      ]));
      // ENI_A: untrack then isolation; ENI_B: untrack only (its isolation move was throttled).
      expect(entry.actions.filter((action) => action.api === 'ec2:ModifyNetworkInterfaceAttribute' && action.outcome === 'done').map((action) => action.target).sort()).toEqual([ENI_A, ENI_A, ENI_B]);
      expect(entry.actions.filter((action) => action.api === 'ec2:ModifyInstanceAttribute' && action.outcome === 'done')).toHaveLength(3);
      // Each action carries its time, and the record save that came before the first change is there too.
      expect(entry.actions.every((action) => action.at === NOW.toISOString())).toBe(true);
      expect(entry.actions.map((action) => action.api)).toContain('firebreak:record-pre-quarantine-state');
    });

    it('one ENI’s move fails: the other ENI is isolated, the protections are on, and the retry resumes from the original record', async () => {
      ec2Mock.on(ModifyNetworkInterfaceAttributeCommand, { NetworkInterfaceId: ENI_B }).rejects(sdkError('RequestLimitExceeded', 503));
      await expect(run()).rejects.toBeInstanceOf(TransientResponderError);
      expect(movesOf(ENI_A)).toEqual(everyMoveOf(ENI_A));
      expect(movesOf(ENI_B)).toEqual([{ NetworkInterfaceId: ENI_B, Groups: [UNTRACK_SG] }]);
      expect(ec2Mock.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(3);
      const original = await sealed(recordOfDefaultInstance(KEY, NOW.toISOString()));
      expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toEqual({ ...original, claims: [KEY], claimSerial: 1, lastClaims: { [KEY]: 1 }, released: false });

      // The retry sees ENI_A isolated, ENI_B where it was, the protections on.
      ec2Mock.reset();
      givenMutationsSucceed(ec2Mock);
      givenGroups(ec2Mock);
      givenInstance(ec2Mock, {
        enis: [
          { id: ENI_A, groups: [ISOLATION_SG] },
          { id: ENI_B, groups: [DB_SG, MON_SG] },
        ],
        terminationProtection: true,
        shutdownBehavior: 'stop',
        volumes: [
          { device: '/dev/xvda', volumeId: ROOT_VOLUME, deleteOnTermination: false },
          { device: '/dev/sdb', volumeId: DATA_VOLUME, deleteOnTermination: false },
        ],
      });
      const retry = await run();
      expect(retry.status).toBe('quarantined');
      expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand)).toEqual(everyMoveOf(ENI_B));
      expect(ec2Mock.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(0);
      expect(retry.preQuarantine).toEqual({ ...original, claims: [KEY], claimSerial: 1, lastClaims: { [KEY]: 1 }, released: false });
      expect(retry.networkInterfaces).toEqual([
        { id: ENI_A, groupsBefore: [APP_SG] },
        { id: ENI_B, groupsBefore: [DB_SG, MON_SG] },
      ]);
    });
  });
});

describe('quarantineInstance on an instance whose isolation was undone after Firebreak isolated it', () => {
  // Someone with the member account's EC2 permissions moved ENI_A back into its application group
  // after the first revision isolated it; GuardDuty then updated the finding (a new execution).
  const undone = { ...quarantinedInstance(KEY, '2026-11-20T09:00:05.000Z'), enis: [{ id: ENI_A, groups: [APP_SG] }, { id: ENI_B, groups: [ISOLATION_SG] }] };

  beforeEach(async () => {
    givenInstance(ec2Mock, undone);
    givenGroups(ec2Mock);
    givenMutationsSucceed(ec2Mock);
    await records.saveIfAbsent(await sealed(recordOfDefaultInstance(KEY, '2026-11-20T09:00:03.000Z')));
  });

  it('isolates the moved ENI again, keeps the original record, and says in the move that its isolation had been undone', async () => {
    const before = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    const result = await run();
    expect(result.status).toBe('quarantined');
    expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand)).toEqual([
      { NetworkInterfaceId: ENI_A, Groups: [UNTRACK_SG] },
      { NetworkInterfaceId: ENI_A, Groups: [ISOLATION_SG] },
    ]);
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toMatchObject({ capturedAt: before?.capturedAt, networkInterfaces: before?.networkInterfaces });
    const moves = result.actions.filter((action) => action.api === 'ec2:ModifyNetworkInterfaceAttribute' && action.outcome === 'done');
    expect(moves.map((action) => action.target)).toEqual([ENI_A, ENI_A]);
    for (const move of moves) {
      expect(move.detail).toContain(`isolated again: ${INSTANCE_ID} is tagged quarantined (incident ${KEY}), but ${ENI_A} was out of the isolation group`);
    }
  });
});

describe('quarantineInstance records the role ids of the profile it takes away (review-release, row 3f)', () => {
  const ROLE_ID = 'AROAWEBSERVERROLE0001';
  const NAMING_PROFILE = input({ incident: { resource: ec2Resource({ instanceProfileArn: PROFILE_ARN }) } });

  beforeEach(() => {
    givenInstance(ec2Mock);
    givenGroups(ec2Mock);
    iamMock.on(GetInstanceProfileCommand).resolves({
      InstanceProfile: { InstanceProfileName: 'web-server', InstanceProfileId: 'AIPAWEBSERVERPROFILE1', Arn: PROFILE_ARN, Path: '/web/', CreateDate: new Date('2025-03-01T00:00:00Z'), Roles: [{ RoleName: ROLE_NAME, RoleId: ROLE_ID, Arn: `arn:aws:iam::${ACCOUNT}:role/${ROLE_NAME}`, Path: '/', CreateDate: new Date('2025-03-01T00:00:00Z') }] },
    });
  });

  it('reads the profile the finding names beside the describe (exact input) and seals its role ids into the record, the first move still after 4 round trips', async () => {
    const result = await run(NAMING_PROFILE);
    expect(result.status).toBe('quarantined');
    expect(inputsOf(iamMock, GetInstanceProfileCommand)).toEqual([{ InstanceProfileName: 'web-server' }]);
    expect(iamMock.calls()).toHaveLength(1);
    const stored = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    expect(stored).toMatchObject({ instanceProfileArn: PROFILE_ARN, instanceProfileRoleIds: [ROLE_ID] });
    expect(await TEST_SEALER.verify(stored!)).toEqual({ valid: true });
    expect(clients.firstStarted('iam:GetInstanceProfile').depth).toBe(1);
    expect(clients.firstStarted('ec2:ModifyNetworkInterfaceAttribute')).toEqual({ call: 'ec2:ModifyNetworkInterfaceAttribute', depth: 4, ec2Depth: 1 });
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:GetInstanceProfile', target: PROFILE_ARN, outcome: 'observed' }));
  });

  it('records no role ids when the finding names another profile than EC2 shows, and reads none when it names none', async () => {
    const other = `arn:aws:iam::${ACCOUNT}:instance-profile/other`;
    const result = await run(input({ incident: { resource: ec2Resource({ instanceProfileArn: other }) } }));
    expect(result.status).toBe('quarantined');
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.instanceProfileRoleIds).toBeUndefined();
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:GetInstanceProfile', target: PROFILE_ARN, outcome: 'skipped', detail: expect.stringContaining(`names instance profile ${other}, not the associated one`) }));
    records = new RecordingStore(clients);
    iamMock.resetHistory();
    await run();
    expect(iamMock.calls()).toHaveLength(0);
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.instanceProfileRoleIds).toBeUndefined();
  });

  it('ATTACK (review-profile): a finding that names no VPC and no profile (a CloudWatch alarm) still gets the role ids of the profile EC2 shows, read beside the group lookup it makes anyway (row 3h)', async () => {
    // Without them release cannot tell an older role swapped into the profile from the instance's own (row 3g).
    const alarmLike = input({ incident: { resource: ec2Resource({ networkInterfaces: [] }) } });
    const result = await run(alarmLike);
    expect(result.status).toBe('quarantined');
    expect(inputsOf(iamMock, GetInstanceProfileCommand)).toEqual([{ InstanceProfileName: 'web-server' }]);
    const stored = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    expect(stored).toMatchObject({ instanceProfileArn: PROFILE_ARN, instanceProfileRoleIds: [ROLE_ID] });
    expect(await TEST_SEALER.verify(stored!)).toEqual({ valid: true });
    // Beside the group lookup of the VPC EC2 names (the alarm named none), never after it.
    expect(clients.firstStarted('iam:GetInstanceProfile').depth).toBe(clients.firstStarted('ec2:DescribeSecurityGroups').depth);
    expect(clients.firstStarted('ec2:ModifyNetworkInterfaceAttribute')).toEqual({ call: 'ec2:ModifyNetworkInterfaceAttribute', depth: 5, ec2Depth: 2 });
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:GetInstanceProfile', target: PROFILE_ARN, outcome: 'observed' }));
  });

  it('reads no profile when the step keeps it (detachInstanceProfile: false), whose role is granted no iam:GetInstanceProfile for it', async () => {
    const result = await run(input({ options: { detachInstanceProfile: false }, incident: { resource: ec2Resource({ instanceProfileArn: PROFILE_ARN }) } }));
    expect(result.status).toBe('quarantined');
    expect(iamMock.calls()).toHaveLength(0);
    expect(iamActionsForStep('quarantine-instance', { detachInstanceProfile: false })).not.toContain('iam:GetInstanceProfile');
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.instanceProfileRoleIds).toBeUndefined();
    expect(result.actions).not.toContainEqual(expect.objectContaining({ api: 'iam:GetInstanceProfile' }));
  });

  it('contains the instance all the same when IAM refuses the read (a member role not yet upgraded): no role ids recorded', async () => {
    iamMock.on(GetInstanceProfileCommand).rejects(sdkError('AccessDenied', 403));
    const result = await run(NAMING_PROFILE);
    expect(result.status).toBe('quarantined');
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.instanceProfileRoleIds).toBeUndefined();
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'iam:GetInstanceProfile', outcome: 'skipped', detail: expect.stringContaining('could not be read') }));
  });
});
