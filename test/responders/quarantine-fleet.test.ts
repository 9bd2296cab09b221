/**
 * quarantine-instance and release-instance on production fleets (issue 11): the Auto Scaling group
 * and the load balancers, with the exact input of every call, the record round trip, and the
 * cases the group or the load balancers make hard (minimum size, suspended Launch, lifecycle
 * hooks, a group already terminating the instance, a group that moved on before release).
 */
import {
  AttachInstancesCommand,
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  DetachInstancesCommand,
  EnterStandbyCommand,
  ExitStandbyCommand,
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
import { DescribeSecurityGroupsCommand, EC2Client, ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResponderAccessDeniedError } from '../../lib/contracts/responder-errors';
import type { ResponderMode } from '../../lib/contracts/responder-mode';
import { ACTIONS, iamActionsForStep } from '../../lib/playbooks/actions';
import type { AutoScalingRecord, LoadBalancerRecord } from '../../lib/responders/fleet-records';
import { silentLogger } from '../../lib/responders/logging';
import type { QuarantineOptions } from '../../lib/responders/quarantine';
import { quarantineInstance } from '../../lib/responders/quarantine';
import { planAutoScaling } from '../../lib/responders/quarantine-autoscaling';
import type { QuarantineRecord } from '../../lib/responders/quarantine-records';
import { InMemoryQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import { canonicalRecord } from '../../lib/responders/record-integrity';
import type { ReleaseOptions } from '../../lib/responders/release';
import { releaseInstance } from '../../lib/responders/release';
import { planAutoScalingReturn } from '../../lib/responders/release-autoscaling';
import type { ReleaseClearance } from '../../lib/responders/release-clearance';
import { EXECUTION, storeGranting } from '../support/grants';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';
import { TEST_SEALER, sealed } from '../support/record-sealer';
import {
  APP_SG,
  DB_SG,
  ENI_A,
  ENI_B,
  ISOLATION_SG,
  MON_SG,
  MUTATING_EC2_COMMANDS,
  TestClientFactory,
  VPC,
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
const NOW = new Date('2026-11-20T10:02:00.000Z');
const GROUP = 'web-asg';
const WEB_TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/web/0123456789abcdef`;
const ADMIN_TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/admin/fedcba9876543210`;
const OTHER_VPC_TG = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/elsewhere/1111111111111111`;
const LEGACY_LB = 'legacy-web';

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
    MinSize: 1,
    MaxSize: 4,
    DesiredCapacity: 2,
    DefaultCooldown: 300,
    AvailabilityZones: [`${REGION}a`],
    HealthCheckType: 'ELB',
    CreatedTime: NOW,
    TargetGroupARNs: [WEB_TG],
    LoadBalancerNames: [],
    SuspendedProcesses: [],
    ...overrides,
  };
}

function givenGroup(state = 'InService', overrides: Partial<AutoScalingGroup> = {}, hooks: { LifecycleHookName: string; LifecycleTransition: string }[] = []): void {
  asMock.on(DescribeAutoScalingInstancesCommand).resolves({
    AutoScalingInstances: [
      { InstanceId: INSTANCE_ID, AutoScalingGroupName: GROUP, LifecycleState: state, HealthStatus: 'HEALTHY', AvailabilityZone: `${REGION}a`, ProtectedFromScaleIn: false },
    ],
  });
  asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [group(overrides)] });
  asMock.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: hooks.map((h) => ({ ...h, AutoScalingGroupName: GROUP, HeartbeatTimeout: 3600 })) });
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

function quarantine(options: Partial<QuarantineOptions> = {}, mode: ResponderMode = 'enforce') {
  const incident = ec2Incident();
  return quarantineInstance(
    {
      incident,
      mode,
      options: { detachInstanceProfile: true, revokeRoleSessions: false, autoScaling: 'detach', deregisterFromLoadBalancers: true, ...options },
      execution: EXECUTION,
    },
    { clients, logger: silentLogger, records, sealer: TEST_SEALER, grants: storeGranting(incident, NOW), environment: { FIREBREAK_MODE: 'enforce' }, now: () => NOW },
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
    const expected: AutoScalingRecord = { groupName: GROUP, mode: 'detach', lifecycleState: 'InService', protectedFromScaleIn: false, desiredCapacity: 2, minSize: 1, maxSize: 4 };
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

  it('is not "already quarantined" while the instance is still in its group: a retry finishes the job', async () => {
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
    expect(inputsOf(elbv2Mock, DescribeTargetHealthCommand).map((i) => i.TargetGroupArn).sort()).toEqual([ADMIN_TG, WEB_TG].sort());
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
    expect(result.preQuarantine?.loadBalancers?.targets).toContainEqual({ targetGroupArn: ADMIN_TG, targetId: '10.0.1.10', port: 8443, availabilityZone: `${REGION}a`, managedByGroup: false });
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
    expect(iamActionsForStep('quarantine-instance', {}).filter((a) => !a.startsWith('ec2:'))).toEqual([]);
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

describe('planAutoScaling and planAutoScalingReturn', () => {
  const observed = {
    groupName: GROUP,
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

  it('leaves an instance that is still launching in the group, and warns', () => {
    const plan = planAutoScaling({ kind: 'member', groupName: GROUP, lifecycleState: 'Pending:Wait', protectedFromScaleIn: false, group: observed }, INSTANCE_ID, 'detach');
    expect(plan.leave).toBe('none');
    expect(plan.record).toBeUndefined();
    expect(plan.warnings.join(' ')).toContain('Pending:Wait');
  });

  it('leaves the instance out of a group at its maximum size, of a deleted group, and of another group', () => {
    expect(planAutoScalingReturn(record, { kind: 'no-group' }, observed)).toMatchObject({ action: 'leave-out', why: expect.stringContaining('maximum size') });
    expect(planAutoScalingReturn(record, { kind: 'no-group' }, undefined)).toMatchObject({ action: 'leave-out', why: expect.stringContaining('no longer exists') });
    expect(planAutoScalingReturn(record, { kind: 'member', groupName: 'other', lifecycleState: 'InService', protectedFromScaleIn: false }, observed)).toMatchObject({ action: 'leave-out' });
  });

  it('attaches a detached instance and exits standby for one on standby, setting protection back', () => {
    expect(planAutoScalingReturn(record, { kind: 'no-group' }, { ...observed, desiredCapacity: 2 })).toMatchObject({ action: 'attach', protect: false });
    expect(
      planAutoScalingReturn({ ...record, mode: 'standby' }, { kind: 'member', groupName: GROUP, lifecycleState: 'Standby', protectedFromScaleIn: true, group: observed }, observed),
    ).toMatchObject({ action: 'exit-standby', protect: false });
  });
});

describe('releaseInstance with a fleet record', () => {
  const APPROVED: ReleaseClearance = {
    check: async () => ({ cleared: true, approvedBy: 'arn:aws:sts::111122223333:assumed-role/on-call/carol', approvedAt: '2026-11-27T16:29:00.000Z', executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-instance:r' }),
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

  async function release(options: Partial<ReleaseOptions> = {}, mode: ResponderMode = 'enforce') {
    await records.saveIfAbsent(await sealed({ ...recordOfDefaultInstance('gd-key', '2026-11-20T10:02:00.000Z'), autoScaling, loadBalancers }));
    givenInstance(ec2Mock, { enis: [{ id: ENI_A, groups: [ISOLATION_SG] }, { id: ENI_B, groups: [ISOLATION_SG] }], tags: { 'firebreak:status': 'quarantined' } });
    ec2Mock.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [APP_SG, DB_SG, MON_SG].map((GroupId) => ({ GroupId, OwnerId: ACCOUNT, VpcId: VPC, GroupName: GroupId })),
    });
    return releaseInstance(
      { incident: ec2Incident({ key: 'release-key' }), mode, options: { restoreInstanceProfile: true, restoreAutoScaling: true, restoreLoadBalancers: true, ...options } },
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
    expect(inputsOf(elbMock, RegisterInstancesWithLoadBalancerCommand)).toEqual([{ LoadBalancerName: LEGACY_LB, Instances: [{ InstanceId: INSTANCE_ID }] }]);
    expect(result.actions.find((a) => a.target.includes('999999999999'))?.detail).toContain('Refused');
    expect(result.fleet?.autoScaling).toBe(`back in group ${GROUP}`);
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
