/**
 * The fleet part of a game day's account (issue 11), through the SDK as everything else here:
 * prepare creates the scenario's target groups, Classic Load Balancers and Auto Scaling groups
 * (each group created from its first instance, its instances attached, its size, hooks and
 * suspended processes set); inspect reads back who is in each group and load balancer.
 */
import {
  AttachInstancesCommand,
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  PutLifecycleHookCommand,
  SuspendProcessesCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateLoadBalancerCommand, DeleteLoadBalancerCommand, DescribeLoadBalancersCommand, RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import { CreateTargetGroupCommand, DeleteTargetGroupCommand, DescribeTargetHealthCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ResolvedInstance } from '../backend';
import type { FleetEnvironmentDocument } from '../fleet-scenario';
import { scenarioTargetId } from '../fleet-scenario';
import { EnvironmentSetupError } from './context';
import type { FleetOperatorClients, InspectedFleet, ResolvedFleet } from '../fleet-types';

function idOf(instances: Readonly<Record<string, ResolvedInstance>>, name: string, where: string): ResolvedInstance {
  const instance = instances[name];
  if (!instance) throw new EnvironmentSetupError(`${where} names instance '${name}', which the environment does not declare`);
  return instance;
}

/** Creates the fleet resources of the scenario (nothing, and no client, when it declares none). */
export async function createFleet(
  clients: FleetOperatorClients,
  fleet: FleetEnvironmentDocument,
  network: { readonly vpcs: Readonly<Record<string, string>>; readonly subnets: Readonly<Record<string, string>>; readonly onlyVpc: string },
  instances: Readonly<Record<string, ResolvedInstance>>,
): Promise<ResolvedFleet> {
  const targetGroups: Record<string, string> = {};
  const classicLoadBalancers: Record<string, string> = {};
  const autoScalingGroups: Record<string, string> = {};
  const tgEntries = Object.entries(fleet.targetGroups);
  if (tgEntries.length > 0) {
    const elbv2 = await clients.elbv2();
    for (const [name, spec] of tgEntries) {
      const vpc = spec.vpc ?? network.onlyVpc;
      const created = await elbv2.send(
        new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: spec.port, VpcId: network.vpcs[vpc], TargetType: spec.targetType, ...(spec.ipAddressType ? { IpAddressType: spec.ipAddressType } : {}) }),
      );
      const arn = created.TargetGroups?.[0]?.TargetGroupArn;
      if (!arn) throw new EnvironmentSetupError(`CreateTargetGroup ${name} answered no ARN`);
      targetGroups[name] = arn;
      const targets = spec.targets.map((instance) => {
        const resolved = idOf(instances, instance, `target group ${name}`);
        const id = scenarioTargetId(spec, resolved);
        if (id === undefined) {
          const family = spec.ipAddressType ?? 'ipv4';
          throw new EnvironmentSetupError(`target group ${name} registers ${instance} by ${spec.registerBy === 'delegated-prefix' ? `an address of its delegated ${family} prefix` : `its ${family === 'ipv6' ? 'IPv6' : 'private'} address`}, and its first ENI has none`);
        }
        return { Id: id, Port: spec.port };
      });
      if (targets.length > 0) await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: targets }));
    }
  }
  const lbEntries = Object.entries(fleet.classicLoadBalancers);
  if (lbEntries.length > 0) {
    const elb = await clients.elb();
    for (const [name, spec] of lbEntries) {
      const vpc = spec.vpc ?? network.onlyVpc;
      await elb.send(
        new CreateLoadBalancerCommand({
          LoadBalancerName: name,
          Listeners: [{ Protocol: 'HTTP', LoadBalancerPort: spec.port, InstanceProtocol: 'HTTP', InstancePort: spec.port }],
          Subnets: [network.subnets[vpc] ?? ''],
        }),
      );
      classicLoadBalancers[name] = name;
      if (spec.instances.length > 0) {
        await elb.send(
          new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: name, Instances: spec.instances.map((i) => ({ InstanceId: idOf(instances, i, `load balancer ${name}`).instanceId })) }),
        );
      }
    }
  }
  const groupEntries = Object.entries(fleet.autoScalingGroups);
  if (groupEntries.length > 0) {
    const autoScaling = await clients.autoScaling();
    for (const [name, spec] of groupEntries) {
      const members = spec.instances.map((i) => idOf(instances, i, `Auto Scaling group ${name}`).instanceId);
      await autoScaling.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: name,
          InstanceId: members[0],
          MinSize: 0,
          MaxSize: spec.maxSize,
          DesiredCapacity: 0,
          HealthCheckType: spec.healthCheckType,
          HealthCheckGracePeriod: 300,
          TargetGroupARNs: spec.targetGroups.map((tg) => {
            const arn = targetGroups[tg];
            if (!arn) throw new EnvironmentSetupError(`Auto Scaling group ${name} names target group '${tg}', which the environment does not declare`);
            return arn;
          }),
          LoadBalancerNames: spec.loadBalancers,
        }),
      );
      autoScalingGroups[name] = name;
      for (const hook of spec.lifecycleHooks) {
        await autoScaling.send(
          new PutLifecycleHookCommand({
            AutoScalingGroupName: name,
            LifecycleHookName: hook.name,
            LifecycleTransition: hook.transition === 'launching' ? 'autoscaling:EC2_INSTANCE_LAUNCHING' : 'autoscaling:EC2_INSTANCE_TERMINATING',
            HeartbeatTimeout: hook.heartbeatTimeout,
            DefaultResult: hook.defaultResult,
          }),
        );
      }
      await autoScaling.send(new AttachInstancesCommand({ AutoScalingGroupName: name, InstanceIds: members }));
      await autoScaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, MinSize: spec.minSize, DesiredCapacity: spec.desiredCapacity ?? members.length }));
      if (spec.suspendedProcesses.length > 0) await autoScaling.send(new SuspendProcessesCommand({ AutoScalingGroupName: name, ScalingProcesses: spec.suspendedProcesses }));
    }
  }
  return { targetGroups, classicLoadBalancers, autoScalingGroups };
}

/** Reads the fleet back (nothing when the scenario declares none). */
export async function inspectFleet(clients: FleetOperatorClients, fleet: ResolvedFleet): Promise<InspectedFleet> {
  const autoScalingGroups: Record<string, InspectedFleet['autoScalingGroups'][string]> = {};
  const groupNames = Object.entries(fleet.autoScalingGroups);
  if (groupNames.length > 0) {
    const answer = await (await clients.autoScaling()).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: groupNames.map(([, n]) => n) }));
    for (const [name, groupName] of groupNames) {
      const group = answer.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === groupName);
      autoScalingGroups[name] = group
        ? {
            desiredCapacity: group.DesiredCapacity ?? 0,
            members: Object.fromEntries((group.Instances ?? []).map((i) => [i.InstanceId ?? '', { state: i.LifecycleState ?? '', protectedFromScaleIn: i.ProtectedFromScaleIn === true }])),
          }
        : undefined;
    }
  }
  const targetGroups: Record<string, string[]> = {};
  for (const [name, arn] of Object.entries(fleet.targetGroups)) {
    const health = await (await clients.elbv2()).send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    targetGroups[name] = (health.TargetHealthDescriptions ?? []).flatMap((d) => (d.Target?.Id ? [d.Target.Id] : []));
  }
  const classicLoadBalancers: Record<string, string[]> = {};
  const classicNames = Object.entries(fleet.classicLoadBalancers);
  if (classicNames.length > 0) {
    const answer = await (await clients.elb()).send(new DescribeLoadBalancersCommand({ LoadBalancerNames: classicNames.map(([, n]) => n) }));
    for (const [name, lbName] of classicNames) {
      classicLoadBalancers[name] = (answer.LoadBalancerDescriptions?.find((lb) => lb.LoadBalancerName === lbName)?.Instances ?? []).flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
    }
  }
  return { autoScalingGroups, targetGroups, classicLoadBalancers };
}

/**
 * Deletes the fleet prepare created, first thing in cleanup: each Auto Scaling group force-deleted
 * (its members, the replacements it launched included, are terminated by the group), then the
 * target groups and Classic Load Balancers. Returns the members that prepare did not create (the
 * replacements), whose termination the EC2 cleanup must wait for before it deletes their subnet.
 */
export async function deleteFleet(
  clients: FleetOperatorClients,
  fleet: ResolvedFleet,
  createdInstanceIds: ReadonlySet<string>,
  attempt: (resource: string, run: () => Promise<unknown>) => Promise<void>,
): Promise<string[]> {
  const launched: string[] = [];
  const groupNames = Object.values(fleet.autoScalingGroups);
  if (groupNames.length > 0) {
    const autoScaling = await clients.autoScaling();
    await attempt(`members of ${groupNames.join(', ')}`, async () => {
      const answer = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: groupNames }));
      for (const group of answer.AutoScalingGroups ?? []) {
        for (const instance of group.Instances ?? []) if (instance.InstanceId && !createdInstanceIds.has(instance.InstanceId)) launched.push(instance.InstanceId);
      }
    });
    for (const name of groupNames) await attempt(name, () => autoScaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true })));
  }
  const targetGroupArns = Object.values(fleet.targetGroups);
  if (targetGroupArns.length > 0) {
    const elbv2 = await clients.elbv2();
    for (const arn of targetGroupArns) await attempt(arn, () => elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn })));
  }
  const classicNames = Object.values(fleet.classicLoadBalancers);
  if (classicNames.length > 0) {
    const elb = await clients.elb();
    for (const name of classicNames) await attempt(name, () => elb.send(new DeleteLoadBalancerCommand({ LoadBalancerName: name })));
  }
  return launched;
}
