/**
 * The simulated account's fleets (issue 11): Auto Scaling groups, ELB v2 target groups and Classic
 * Load Balancers, kept beside the world's EC2 state (one FleetState per SimWorld), and the
 * behaviour that matters to containment, run on the simulated clock:
 *  - a group launches instances until its InService and Pending members reach the desired
 *    capacity (a detach or standby without decrement therefore launches a replacement), unless
 *    its Launch process is suspended;
 *  - a group whose health checks include ELB marks an InService member unhealthy once the load
 *    balancer cannot reach it for HEALTH_CHECK_FAILURE_MS (isolation: no ingress rule left on its
 *    primary ENI), then terminates it, termination protection or not, and replaces it: the harm
 *    issue 11 names. Instances on standby or detached are not health-checked.
 *  - a member a launch hook holds in Pending:Wait (a scenario's `pendingWait`) waits for each of
 *    the group's launch hooks until its deadline, which RecordLifecycleActionHeartbeat moves to now
 *    plus the hook's heartbeat timeout, never past min(48 h, 100 x the timeout) from the wait's start
 *    (API_LifecycleHook.html `GlobalTimeout`); at a deadline the hook's default result applies:
 *    ABANDON terminates the instance, CONTINUE ends that hook's wait, and the member goes InService
 *    (registered with the group's load balancers) once no hook holds it. The group's own launches
 *    are not held: they go InService at once.
 */
import { EnvironmentBuilder } from './builder';
import type { InstanceRecord } from './model';
import type { SimWorld } from './world';

/** How long ELB health checks fail before the group acts (2 checks 30 s apart, ELB's default threshold). */
export const HEALTH_CHECK_FAILURE_MS = 60_000;

export interface GroupMember {
  lifecycleState: 'Pending' | 'Pending:Wait' | 'InService' | 'Standby' | 'Terminating';
  protectedFromScaleIn: boolean;
  /** In Pending:Wait: each launch hook's lifecycle action still active, by hook name (simulated ms). */
  waits?: Map<string, { readonly startedAt: number; deadline: number }>;
  /** When the load balancer first failed to reach it (simulated ms). */
  unreachableSince?: number;
}

export interface LifecycleHookRecord {
  readonly name: string;
  readonly transition: string;
  readonly heartbeatTimeout: number;
  /** What the group does when the wait ends with no completion (ABANDON, AWS's default, terminates). */
  readonly defaultResult: 'ABANDON' | 'CONTINUE';
}

/** The longest a lifecycle action may wait: min(48 h, 100 x the heartbeat timeout), in ms (API_LifecycleHook.html `GlobalTimeout`). */
export function globalTimeoutMs(hook: LifecycleHookRecord): number {
  return Math.min(172_800, 100 * hook.heartbeatTimeout) * 1000;
}

export interface AutoScalingGroupRecord {
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly arn: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  healthCheckType: string;
  readonly createdTime: number;
  readonly members: Map<string, GroupMember>;
  targetGroupArns: string[];
  loadBalancerNames: string[];
  readonly suspended: Set<string>;
  readonly hooks: LifecycleHookRecord[];
  /** What a launch looks like (from the instance the group was created from). */
  readonly template: { readonly vpcId: string; readonly subnetId: string; readonly groupIds: readonly string[]; readonly instanceType: string; readonly availabilityZone: string };
  readonly tags: Map<string, string>;
}

export interface TargetRecord {
  readonly id: string;
  readonly port: number;
  readonly availabilityZone?: string;
}

export interface TargetGroupRecord {
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly arn: string;
  readonly vpcId: string;
  readonly port: number;
  readonly protocol: string;
  readonly targetType: 'instance' | 'ip';
  /** ipv6: its ip targets are IPv6 addresses (CreateTargetGroup IpAddressType; default ipv4). */
  readonly ipAddressType: 'ipv4' | 'ipv6';
  targets: TargetRecord[];
  readonly tags: Map<string, string>;
}

export interface ClassicLoadBalancerRecord {
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly vpcId: string;
  readonly port: number;
  /** When it was created (simulated ms): a load balancer created again under the name is newer (row 3l). */
  readonly createdTime: number;
  instances: string[];
}

export interface FleetState {
  /** By account/region/name. */
  readonly groups: Map<string, AutoScalingGroupRecord>;
  /** By ARN. */
  readonly targetGroups: Map<string, TargetGroupRecord>;
  /** By account/region/name. */
  readonly classic: Map<string, ClassicLoadBalancerRecord>;
}

const states = new WeakMap<SimWorld, FleetState>();

/** The fleets of `world`; the first call installs the fleet behaviour in the world's settling. */
export function fleetState(world: SimWorld): FleetState {
  let state = states.get(world);
  if (!state) {
    const created: FleetState = { groups: new Map(), targetGroups: new Map(), classic: new Map() };
    state = created;
    states.set(world, state);
    world.settlers.push(() => settleFleets(world, created));
  }
  return state;
}

export function placeKey(account: string, region: string, name: string): string {
  return `${account}/${region}/${name}`;
}

/** True when a load balancer can reach the instance: running, and its primary ENI admits some traffic in. */
export function reachable(world: SimWorld, instance: InstanceRecord | undefined): boolean {
  if (!instance || instance.state !== 'running') return false;
  const primary = world.interfacesOf(instance.id)[0];
  if (!primary) return false;
  return primary.groupIds.some((id) => (world.securityGroups.get(id)?.rules ?? []).some((rule) => !rule.egress));
}

/** Registers (or deregisters) an instance in the group's own target groups and load balancers, as the group does. */
export function groupRegistration(state: FleetState, group: AutoScalingGroupRecord, instanceId: string, register: boolean): void {
  for (const arn of group.targetGroupArns) {
    const tg = state.targetGroups.get(arn);
    if (!tg) continue;
    tg.targets = tg.targets.filter((t) => t.id !== instanceId);
    if (register) tg.targets.push({ id: instanceId, port: tg.port });
  }
  for (const name of group.loadBalancerNames) {
    const lb = state.classic.get(placeKey(group.account, group.region, name));
    if (!lb) continue;
    lb.instances = lb.instances.filter((id) => id !== instanceId);
    if (register) lb.instances.push(instanceId);
  }
}

/** Launches one instance for the group, as its launch template would, and registers it. */
function launch(world: SimWorld, state: FleetState, group: AutoScalingGroupRecord): void {
  const built = new EnvironmentBuilder(world).addInstance({
    account: group.account,
    region: group.region,
    vpcId: group.template.vpcId,
    subnetId: group.template.subnetId,
    type: group.template.instanceType,
    enis: [{ groupIds: group.template.groupIds }],
    tags: { 'aws:autoscaling:groupName': group.name, Name: `${group.name}-replacement` },
  });
  group.members.set(built.instanceId, { lifecycleState: 'InService', protectedFromScaleIn: false });
  groupRegistration(state, group, built.instanceId, true);
}

/** Health-check replacement, then launches up to the desired capacity. */
function settleFleets(world: SimWorld, state: FleetState): void {
  if (state.groups.size === 0) return;
  const now = world.now();
  for (const group of state.groups.values()) {
    const checksElb = group.healthCheckType.includes('ELB');
    for (const [id, member] of group.members) {
      const instance = world.instances.get(id);
      if (!instance || instance.state === 'terminated') {
        group.members.delete(id);
        groupRegistration(state, group, id, false);
        continue;
      }
      if (member.lifecycleState === 'Pending:Wait') {
        settleWait(world, state, group, id, member, instance);
        continue;
      }
      if (member.lifecycleState !== 'InService' || group.suspended.has('HealthCheck')) continue;
      const healthy = instance.state === 'running' && (!checksElb || reachable(world, instance));
      if (healthy) {
        delete member.unreachableSince;
        continue;
      }
      member.unreachableSince ??= now;
      if (now - member.unreachableSince < HEALTH_CHECK_FAILURE_MS || group.suspended.has('ReplaceUnhealthy')) continue;
      // Unhealthy: the group terminates it. Termination protection does not stop Auto Scaling.
      terminateMember(world, state, group, instance, 'instance failed its ELB health check and was taken out of service', 'terminated the unhealthy instance');
    }
    if (group.suspended.has('Launch')) continue;
    const counted = [...group.members.values()].filter((m) => m.lifecycleState === 'InService' || m.lifecycleState.startsWith('Pending')).length;
    for (let missing = group.desiredCapacity - counted; missing > 0; missing -= 1) launch(world, state, group);
  }
}

/**
 * The group terminates one of its members (termination protection does not stop Auto Scaling):
 * out of the group and its load balancers, shutting down, with EC2's reasons saying why.
 */
function terminateMember(world: SimWorld, state: FleetState, group: AutoScalingGroupRecord, instance: InstanceRecord, transition: string, reason: string): void {
  groupRegistration(state, group, instance.id, false);
  group.members.delete(instance.id);
  world.startTransition(instance, 'shutting-down', 'terminated');
  instance.stateTransitionReason = `Auto Scaling: ${transition}`;
  instance.stateReason = { code: 'Client.UserInitiatedShutdown', message: `Client.UserInitiatedShutdown: Auto Scaling ${reason}` };
}

/** A member in Pending:Wait once the clock has passed a hook's deadline: that hook's default result. */
function settleWait(world: SimWorld, state: FleetState, group: AutoScalingGroupRecord, id: string, member: GroupMember, instance: InstanceRecord): void {
  const now = world.now();
  for (const [name, wait] of member.waits ?? []) {
    if (wait.deadline > now) continue;
    const hook = group.hooks.find((h) => h.name === name);
    if ((hook?.defaultResult ?? 'ABANDON') === 'ABANDON') {
      terminateMember(world, state, group, instance, `launch lifecycle hook ${name} timed out with its default result ABANDON`, 'abandoned the launch at the lifecycle hook timeout');
      return;
    }
    member.waits?.delete(name);
  }
  if ((member.waits?.size ?? 0) > 0) return;
  delete member.waits;
  member.lifecycleState = 'InService';
  groupRegistration(state, group, id, true);
}

/**
 * Puts members of a group in Pending:Wait under each of its launch hooks, as if the group had just
 * launched them and they had waited `elapsedMs` already (the simulator's stand-in for a launch: no
 * AWS API puts an existing instance there; AttachInstances and standby do not invoke lifecycle hooks).
 */
export function holdInPendingWait(world: SimWorld, group: AutoScalingGroupRecord, instanceIds: readonly string[], elapsedMs: number): void {
  const state = fleetState(world);
  const launching = group.hooks.filter((h) => h.transition === 'autoscaling:EC2_INSTANCE_LAUNCHING');
  if (launching.length === 0) throw new Error(`group ${group.name} has no launch lifecycle hook to hold an instance in Pending:Wait`);
  const startedAt = world.now() - elapsedMs;
  for (const id of instanceIds) {
    const member = group.members.get(id);
    if (!member) throw new Error(`instance ${id} is not a member of group ${group.name}`);
    member.lifecycleState = 'Pending:Wait';
    member.waits = new Map(launching.map((h) => [h.name, { startedAt, deadline: startedAt + h.heartbeatTimeout * 1000 }]));
    delete member.unreachableSince;
    groupRegistration(state, group, id, false);
  }
}
