/**
 * Amazon EC2 Auto Scaling, simulated: the calls quarantine-instance and release-instance make
 * (DescribeAutoScalingInstances, DescribeAutoScalingGroups, DescribeLifecycleHooks,
 * SetInstanceProtection, DetachInstances, EnterStandby, ExitStandby, AttachInstances) and the ones a
 * game day prepares a group with (CreateAutoScalingGroup from an instance, UpdateAutoScalingGroup,
 * PutLifecycleHook, SuspendProcesses, DeleteAutoScalingGroup), each as its API reference page says
 * (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/): detach and standby only from
 * InService or Standby, a decrement below the minimum refused, an attach past the maximum refused,
 * the group's own load balancers updated as the group does. Launch hooks hold only a member a
 * scenario declares in Pending:Wait (fleet-state.ts: its deadline, RecordLifecycleActionHeartbeat,
 * the default result at the timeout); a launched or returning instance goes InService at once
 * (lifecycle hooks do not run for AttachInstances or standby).
 */
import type {
  AttachInstancesCommandInput,
  CreateAutoScalingGroupCommandInput,
  DeleteAutoScalingGroupCommandInput,
  DescribeAutoScalingGroupsCommandInput,
  DescribeAutoScalingInstancesCommandInput,
  DescribeLifecycleHooksCommandInput,
  DetachInstancesCommandInput,
  EnterStandbyCommandInput,
  ExitStandbyCommandInput,
  PutLifecycleHookCommandInput,
  RecordLifecycleActionHeartbeatCommandInput,
  SetInstanceProtectionCommandInput,
  SuspendProcessesCommandInput,
  UpdateAutoScalingGroupCommandInput,
} from '@aws-sdk/client-auto-scaling';
import { inputOf } from './call';
import type { ApiHandler, SimCall } from './call';
import { SimulatedServiceError } from './errors';
import type { AutoScalingGroupRecord } from './fleet-state';
import { fleetState, globalTimeoutMs, groupRegistration, placeKey } from './fleet-state';
import type { SimWorld } from './world';

function validation(message: string): SimulatedServiceError {
  return new SimulatedServiceError('ValidationError', message, 400);
}

function requireGroup(world: SimWorld, call: SimCall, name: string | undefined): AutoScalingGroupRecord {
  const group = name === undefined ? undefined : fleetState(world).groups.get(placeKey(call.account, call.region, name));
  if (!group) throw validation(`AutoScalingGroup name not found - AutoScalingGroup ${name ?? ''} not found`);
  return group;
}

function activity(group: AutoScalingGroupRecord, world: SimWorld, description: string) {
  return {
    ActivityId: world.ids.uuid(),
    AutoScalingGroupName: group.name,
    Description: description,
    Cause: `At ${new Date(world.now()).toISOString()} ${description.toLowerCase()}`,
    StartTime: new Date(world.now()),
    StatusCode: 'InProgress',
    Progress: 50,
  };
}

function membersOf(group: AutoScalingGroupRecord, ids: readonly string[] | undefined, states: readonly string[]) {
  if (!ids || ids.length === 0) throw validation('The instance IDs are required');
  return ids.map((id) => {
    const member = group.members.get(id);
    if (!member) throw validation(`The instance ${id} is not part of Auto Scaling group ${group.name}.`);
    if (!states.includes(member.lifecycleState)) {
      throw validation(`The instance ${id} is not in ${states.join(' or ')}.`);
    }
    return [id, member] as const;
  });
}


export function autoScalingHandlers(world: SimWorld): Record<string, ApiHandler> {
  const state = fleetState(world);
  const located = (call: SimCall) => [...state.groups.values()].filter((g) => g.account === call.account && g.region === call.region);
  return {
    DescribeAutoScalingInstances(call) {
      const input = inputOf<DescribeAutoScalingInstancesCommandInput>(call);
      const wanted = input.InstanceIds && input.InstanceIds.length > 0 ? new Set(input.InstanceIds) : undefined;
      const AutoScalingInstances = located(call).flatMap((group) =>
        [...group.members].flatMap(([id, member]) =>
          wanted && !wanted.has(id)
            ? []
            : [
                {
                  InstanceId: id,
                  InstanceType: world.instances.get(id)?.instanceType,
                  AutoScalingGroupName: group.name,
                  AvailabilityZone: world.instances.get(id)?.availabilityZone ?? group.template.availabilityZone,
                  LifecycleState: member.lifecycleState,
                  HealthStatus: 'HEALTHY',
                  ProtectedFromScaleIn: member.protectedFromScaleIn,
                },
              ],
        ),
      );
      return { AutoScalingInstances };
    },

    DescribeAutoScalingGroups(call) {
      const input = inputOf<DescribeAutoScalingGroupsCommandInput>(call);
      const names = input.AutoScalingGroupNames && input.AutoScalingGroupNames.length > 0 ? new Set(input.AutoScalingGroupNames) : undefined;
      const AutoScalingGroups = located(call)
        .filter((g) => !names || names.has(g.name))
        .map((g) => ({
          AutoScalingGroupName: g.name,
          AutoScalingGroupARN: g.arn,
          MinSize: g.minSize,
          MaxSize: g.maxSize,
          DesiredCapacity: g.desiredCapacity,
          DefaultCooldown: 300,
          AvailabilityZones: [g.template.availabilityZone],
          LoadBalancerNames: [...g.loadBalancerNames],
          TargetGroupARNs: [...g.targetGroupArns],
          HealthCheckType: g.healthCheckType,
          HealthCheckGracePeriod: 300,
          CreatedTime: new Date(g.createdTime),
          VPCZoneIdentifier: g.template.subnetId,
          SuspendedProcesses: [...g.suspended].map((ProcessName) => ({ ProcessName, SuspensionReason: 'User suspended' })),
          Instances: [...g.members].map(([InstanceId, m]) => ({
            InstanceId,
            AvailabilityZone: g.template.availabilityZone,
            LifecycleState: m.lifecycleState,
            HealthStatus: 'Healthy',
            ProtectedFromScaleIn: m.protectedFromScaleIn,
          })),
          Tags: [...g.tags].map(([Key, Value]) => ({ Key, Value, ResourceId: g.name, ResourceType: 'auto-scaling-group', PropagateAtLaunch: false })),
          NewInstancesProtectedFromScaleIn: false,
        }));
      return { AutoScalingGroups };
    },

    DescribeLifecycleHooks(call) {
      const input = inputOf<DescribeLifecycleHooksCommandInput>(call);
      const group = requireGroup(world, call, input.AutoScalingGroupName);
      return {
        LifecycleHooks: group.hooks.map((h) => ({
          LifecycleHookName: h.name,
          AutoScalingGroupName: group.name,
          LifecycleTransition: h.transition,
          HeartbeatTimeout: h.heartbeatTimeout,
          GlobalTimeout: globalTimeoutMs(h) / 1000,
          DefaultResult: h.defaultResult,
        })),
      };
    },

    /**
     * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RecordLifecycleActionHeartbeat.html:
     * "extends the timeout by the length of time defined using the PutLifecycleHook API call", from
     * now, within the hook's GlobalTimeout from the wait's start. No active action for the hook and
     * instance (none started, completed, or timed out): ValidationError, as AWS answers.
     */
    RecordLifecycleActionHeartbeat(call) {
      const input = inputOf<RecordLifecycleActionHeartbeatCommandInput>(call);
      const group = requireGroup(world, call, input.AutoScalingGroupName);
      if (input.InstanceId === undefined) {
        throw validation(input.LifecycleActionToken === undefined ? 'Either an instance ID or a lifecycle action token is required' : `No active Lifecycle Action found with token ${input.LifecycleActionToken}`);
      }
      const hook = group.hooks.find((h) => h.name === input.LifecycleHookName);
      const wait = group.members.get(input.InstanceId)?.waits?.get(input.LifecycleHookName ?? '');
      if (!hook || !wait || wait.deadline <= world.now()) throw validation(`No active Lifecycle Action found with instance ID ${input.InstanceId}`);
      wait.deadline = Math.min(world.now() + hook.heartbeatTimeout * 1000, wait.startedAt + globalTimeoutMs(hook));
      return {};
    },

    /** https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceProtection.html */
    SetInstanceProtection(call) {
      const input = inputOf<SetInstanceProtectionCommandInput>(call);
      const group = requireGroup(world, call, input.AutoScalingGroupName);
      for (const [, member] of membersOf(group, input.InstanceIds, ['Pending', 'InService', 'Standby'])) member.protectedFromScaleIn = input.ProtectedFromScaleIn === true;
      return {};
    },

    /** https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DetachInstances.html */
    DetachInstances(call) {
      const input = inputOf<DetachInstancesCommandInput>(call);
      const group = requireGroup(world, call, input.AutoScalingGroupName);
      const members = membersOf(group, input.InstanceIds, ['InService', 'Standby']);
      if (input.ShouldDecrementDesiredCapacity === true && group.desiredCapacity - members.length < group.minSize) {
        throw validation(`Detaching ${members.length} instance(s) would reduce the desired capacity below the group's minimum size of ${group.minSize}.`);
      }
      const Activities = members.map(([id]) => {
        group.members.delete(id);
        groupRegistration(state, group, id, false);
        world.instances.get(id)?.tags.delete('aws:autoscaling:groupName');
        return activity(group, world, `Detaching EC2 instance: ${id}`);
      });
      if (input.ShouldDecrementDesiredCapacity === true) group.desiredCapacity -= members.length;
      return { Activities };
    },

    /** https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_EnterStandby.html */
    EnterStandby(call) {
      const input = inputOf<EnterStandbyCommandInput>(call);
      const group = requireGroup(world, call, input.AutoScalingGroupName);
      const members = membersOf(group, input.InstanceIds, ['InService']);
      if (input.ShouldDecrementDesiredCapacity === true && group.desiredCapacity - members.length < group.minSize) {
        throw validation(`Putting ${members.length} instance(s) on standby would reduce the desired capacity below the group's minimum size of ${group.minSize}.`);
      }
      const Activities = members.map(([id, member]) => {
        member.lifecycleState = 'Standby';
        delete member.unreachableSince;
        groupRegistration(state, group, id, false);
        return activity(group, world, `Moving EC2 instance to Standby: ${id}`);
      });
      if (input.ShouldDecrementDesiredCapacity === true) group.desiredCapacity -= members.length;
      return { Activities };
    },

    /** https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_ExitStandby.html: "the desired capacity is incremented". */
    ExitStandby(call) {
      const input = inputOf<ExitStandbyCommandInput>(call);
      const group = requireGroup(world, call, input.AutoScalingGroupName);
      const members = membersOf(group, input.InstanceIds, ['Standby']);
      if (group.desiredCapacity + members.length > group.maxSize) {
        throw validation(`Returning ${members.length} instance(s) to service would raise the desired capacity above the group's maximum size of ${group.maxSize}.`);
      }
      const Activities = members.map(([id, member]) => {
        member.lifecycleState = 'InService';
        groupRegistration(state, group, id, true);
        return activity(group, world, `Moving EC2 instance out of Standby: ${id}`);
      });
      group.desiredCapacity += members.length;
      return { Activities };
    },

    /** https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AttachInstances.html */
    AttachInstances(call) {
      const input = inputOf<AttachInstancesCommandInput>(call);
      const group = requireGroup(world, call, input.AutoScalingGroupName);
      const ids = input.InstanceIds ?? [];
      for (const id of ids) {
        const instance = world.instances.get(id);
        if (!instance || instance.account !== call.account || instance.region !== call.region || instance.state !== 'running') {
          throw validation(`Instance ${id} is not in a running state or does not exist.`);
        }
        if (located(call).some((g) => g.members.has(id))) throw validation(`The instance ${id} is already part of an Auto Scaling group.`);
      }
      if (group.desiredCapacity + ids.length > group.maxSize) {
        throw validation(`Attaching ${ids.length} instance(s) would raise the desired capacity above the group's maximum size of ${group.maxSize}.`);
      }
      for (const id of ids) {
        group.members.set(id, { lifecycleState: 'InService', protectedFromScaleIn: false });
        groupRegistration(state, group, id, true);
        world.instances.get(id)?.tags.set('aws:autoscaling:groupName', group.name);
      }
      group.desiredCapacity += ids.length;
      return {};
    },

    /** Created from an instance (InstanceId): the simulator models no launch templates. */
    CreateAutoScalingGroup(call) {
      const input = inputOf<CreateAutoScalingGroupCommandInput>(call);
      const name = input.AutoScalingGroupName ?? '';
      if (state.groups.has(placeKey(call.account, call.region, name))) {
        throw new SimulatedServiceError('AlreadyExists', `AutoScalingGroup by this name already exists - A group with the name ${name} already exists`, 400);
      }
      const source = input.InstanceId ? world.instances.get(input.InstanceId) : undefined;
      if (!source) throw validation('The simulated account creates groups from an instance only: give InstanceId (launch templates are not modelled)');
      const primary = world.interfacesOf(source.id)[0];
      state.groups.set(placeKey(call.account, call.region, name), {
        account: call.account,
        region: call.region,
        name,
        arn: `arn:aws:autoscaling:${call.region}:${call.account}:autoScalingGroup:${world.ids.uuid()}:autoScalingGroupName/${name}`,
        minSize: input.MinSize ?? 0,
        maxSize: input.MaxSize ?? 0,
        desiredCapacity: input.DesiredCapacity ?? input.MinSize ?? 0,
        healthCheckType: input.HealthCheckType ?? 'EC2',
        createdTime: world.now(),
        members: new Map(),
        targetGroupArns: [...(input.TargetGroupARNs ?? [])],
        loadBalancerNames: [...(input.LoadBalancerNames ?? [])],
        suspended: new Set(),
        hooks: [],
        template: { vpcId: source.vpcId, subnetId: source.subnetId, groupIds: [...(primary?.groupIds ?? [])], instanceType: source.instanceType, availabilityZone: source.availabilityZone },
        tags: new Map((input.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      });
      return {};
    },

    UpdateAutoScalingGroup(call) {
      const input = inputOf<UpdateAutoScalingGroupCommandInput>(call);
      const group = requireGroup(world, call, input.AutoScalingGroupName);
      if (input.MinSize !== undefined) group.minSize = input.MinSize;
      if (input.MaxSize !== undefined) group.maxSize = input.MaxSize;
      if (input.DesiredCapacity !== undefined) group.desiredCapacity = input.DesiredCapacity;
      if (input.HealthCheckType !== undefined) group.healthCheckType = input.HealthCheckType;
      if (group.desiredCapacity < group.minSize || group.desiredCapacity > group.maxSize) {
        throw validation(`Desired capacity:${group.desiredCapacity} must be between the specified min size:${group.minSize} and max size:${group.maxSize}`);
      }
      return {};
    },

    PutLifecycleHook(call) {
      const input = inputOf<PutLifecycleHookCommandInput>(call);
      const group = requireGroup(world, call, input.AutoScalingGroupName);
      group.hooks.push({
        name: input.LifecycleHookName ?? '',
        transition: input.LifecycleTransition ?? '',
        heartbeatTimeout: input.HeartbeatTimeout ?? 3600,
        defaultResult: input.DefaultResult === 'CONTINUE' ? 'CONTINUE' : 'ABANDON',
      });
      return {};
    },

    SuspendProcesses(call) {
      const input = inputOf<SuspendProcessesCommandInput>(call);
      const group = requireGroup(world, call, input.AutoScalingGroupName);
      for (const process of input.ScalingProcesses ?? []) group.suspended.add(process);
      return {};
    },

    DeleteAutoScalingGroup(call) {
      const input = inputOf<DeleteAutoScalingGroupCommandInput>(call);
      const group = requireGroup(world, call, input.AutoScalingGroupName);
      if (group.members.size > 0 && input.ForceDelete !== true) {
        throw new SimulatedServiceError('ResourceInUse', 'You cannot delete an AutoScalingGroup while there are instances still in the group.', 400);
      }
      for (const id of group.members.keys()) {
        const instance = world.instances.get(id);
        if (instance && instance.state !== 'terminated') world.startTransition(instance, 'shutting-down', 'terminated');
      }
      state.groups.delete(placeKey(group.account, group.region, group.name));
      return {};
    },
  };
}

/** The group ARN an Auto Scaling call authorizes on (undefined: no group named, or none such). */
export function autoScalingGroupArn(world: SimWorld, call: { account: string; region: string; input: Readonly<Record<string, unknown>> }): { arn: string; tags: Map<string, string> } | undefined {
  const name = call.input.AutoScalingGroupName;
  if (typeof name !== 'string') return undefined;
  const group = fleetState(world).groups.get(placeKey(call.account, call.region, name));
  return group ? { arn: group.arn, tags: group.tags } : { arn: `arn:aws:autoscaling:${call.region}:${call.account}:autoScalingGroup:*:autoScalingGroupName/${name}`, tags: new Map() };
}
