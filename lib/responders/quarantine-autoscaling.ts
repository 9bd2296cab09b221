/**
 * quarantine-instance and Amazon EC2 Auto Scaling. Isolation makes the load balancer's health
 * checks fail; a group that uses them marks the instance unhealthy and terminates it to replace it
 * (termination protection does not stop Auto Scaling), and the memory and instance store go with
 * it. So the instance is taken out of its group's hands on the critical path, beside the ENI
 * moves: protected from scale-in, then detached (DetachInstances) or put on standby
 * (EnterStandby), in both cases with ShouldDecrementDesiredCapacity false, so the group launches a
 * replacement and the service keeps its capacity. An instance a launch hook holds in Pending:Wait
 * cannot leave: its hooks' waits are extended instead (RecordLifecycleActionHeartbeat), or the
 * group would terminate it at their timeout (row 3q). Why each choice: docs/responders/quarantine-instance.md.
 *
 * Reading is two hops (DescribeAutoScalingInstances, then the group and its lifecycle hooks
 * together), started beside DescribeInstances so that they overlap EC2's own reads.
 */
import {
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  DetachInstancesCommand,
  EnterStandbyCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetInstanceProtectionCommand,
} from '@aws-sdk/client-auto-scaling';
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { AutoScalingClients } from '../aws/clients/autoscaling';
import type { ResponderMode } from '../contracts/responder-mode';
import type { AutoScalingMode, AutoScalingRecord } from './fleet-records';
import { mutateFleet, requiredClient } from './fleet-calls';
import { sendReadOnly } from './mutating';
import { noteSettledAction } from './attempt-actions';
import type { PendingAction } from './pending-actions';
import { settleAll } from './pending-actions';
import { shellWord } from './untrusted-text';

const SERVICE = 'Amazon EC2 Auto Scaling';

/** The instance's group as Auto Scaling describes it now. */
export interface ObservedGroup {
  readonly groupName: string;
  /** Its ARN: its id part tells a group from one created again under the same name. */
  readonly groupArn?: string;
  /** When it was created (ISO 8601). */
  readonly createdTime?: string;
  readonly minSize: number;
  readonly maxSize: number;
  readonly desiredCapacity: number;
  /** `EC2`, `ELB`, `EBS`, `VPC_LATTICE`… (comma-joined when several). */
  readonly healthCheckType: string;
  readonly suspendedProcesses: readonly string[];
  /** Target groups and Classic Load Balancers attached to the group (it registers its instances there itself). */
  readonly targetGroupArns: readonly string[];
  readonly loadBalancerNames: readonly string[];
  readonly lifecycleHooks: readonly LifecycleHook[];
}

/** One of the group's lifecycle hooks. */
export interface LifecycleHook {
  readonly name: string;
  readonly transition: string;
  readonly heartbeatTimeout?: number;
}

/** What Auto Scaling says of the instance: the option is off, it is in no group, or its membership. */
export type AutoScalingObservation =
  | { readonly kind: 'off' }
  | { readonly kind: 'no-group' }
  | {
      readonly kind: 'member';
      readonly groupName: string;
      readonly lifecycleState: string;
      readonly protectedFromScaleIn: boolean;
      /** Undefined when the group could not be described any more (deleted in between). */
      readonly group?: ObservedGroup;
    };

/** DescribeAutoScalingGroups and DescribeLifecycleHooks of one group, concurrently. */
export async function describeGroup(autoScaling: AutoScalingClient, groupName: string): Promise<ObservedGroup | undefined> {
  // The hooks of a group deleted in between answer an error; only a group that exists needs them.
  const [groups, hooksRead] = await settleAll([
    sendReadOnly('autoscaling:DescribeAutoScalingGroups', () =>
      autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] })),
    ),
    sendReadOnly('autoscaling:DescribeLifecycleHooks', () => autoScaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: groupName }))).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
  ] as const);
  const group = groups.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === groupName);
  if (!group) return undefined;
  if (!hooksRead.ok) throw hooksRead.error;
  const hooks = hooksRead.value;
  return {
    groupName,
    ...(group.AutoScalingGroupARN ? { groupArn: group.AutoScalingGroupARN } : {}),
    ...(group.CreatedTime ? { createdTime: group.CreatedTime.toISOString() } : {}),
    minSize: group.MinSize ?? 0,
    maxSize: group.MaxSize ?? 0,
    desiredCapacity: group.DesiredCapacity ?? 0,
    healthCheckType: group.HealthCheckType ?? 'EC2',
    suspendedProcesses: (group.SuspendedProcesses ?? []).flatMap((p) => (p.ProcessName ? [p.ProcessName] : [])).sort(),
    targetGroupArns: [...(group.TargetGroupARNs ?? [])],
    loadBalancerNames: [...(group.LoadBalancerNames ?? [])],
    lifecycleHooks: (hooks.LifecycleHooks ?? []).flatMap((h) =>
      h.LifecycleHookName && h.LifecycleTransition
        ? [{ name: h.LifecycleHookName, transition: h.LifecycleTransition, ...(h.HeartbeatTimeout !== undefined ? { heartbeatTimeout: h.HeartbeatTimeout } : {}) }]
        : [],
    ),
  };
}

/** The instance's membership (DescribeAutoScalingInstances), and its group when it has one. */
export async function observeMembership(autoScaling: AutoScalingClient, instanceId: string): Promise<Exclude<AutoScalingObservation, { kind: 'off' }>> {
  const answer = await sendReadOnly('autoscaling:DescribeAutoScalingInstances', () =>
    autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })),
  );
  const member = answer.AutoScalingInstances?.find((i) => i.InstanceId === instanceId);
  if (!member?.AutoScalingGroupName) return { kind: 'no-group' };
  const group = await describeGroup(autoScaling, member.AutoScalingGroupName);
  return {
    kind: 'member',
    groupName: member.AutoScalingGroupName,
    lifecycleState: member.LifecycleState ?? 'unknown',
    protectedFromScaleIn: member.ProtectedFromScaleIn === true,
    ...(group ? { group } : {}),
  };
}

/** The option's reading for quarantine-instance: nothing (no client, no call) when it is off. */
export async function observeAutoScaling(
  clients: Partial<AutoScalingClients>,
  target: { readonly account: string; readonly region: string },
  instanceId: string,
  mode: AutoScalingMode | 'off',
): Promise<AutoScalingObservation> {
  if (mode === 'off') return { kind: 'off' };
  const autoScaling = await requiredClient(clients.autoScaling, target, 'Auto Scaling');
  return observeMembership(autoScaling, instanceId);
}

/** What quarantine does with the group (pure). */
export interface AutoScalingPlan {
  /** The timeline's reading of the group (state, capacity, hooks, suspended processes). */
  readonly observed: PendingAction[];
  /** Set when the instance leaves the group (or would): goes into the pre-quarantine record. */
  readonly record?: AutoScalingRecord;
  readonly protect: boolean;
  readonly leave: AutoScalingMode | 'none';
  /** Why nothing is left to do, or why it cannot be done (recorded when `leave` is none). */
  readonly noLeave?: { readonly outcome: 'already-done' | 'skipped'; readonly detail: string };
  /** Things a person must know: the group cannot replace the instance, is already terminating it… */
  readonly warnings: readonly string[];
  /** The launch hooks holding the instance in Pending:Wait: each gets a heartbeat, beside the ENI moves. */
  readonly heartbeat?: readonly LifecycleHook[];
}

const LEAVABLE = new Set(['InService', 'Standby']);
const LAUNCHING = 'autoscaling:EC2_INSTANCE_LAUNCHING';

/**
 * The AWS CLI command a person runs on one of the instance's hooks (`<hook>` to fill in). The
 * group's name is its creator's choice and may hold `$( )`, `;` or backticks: one quoted shell word
 * (row 3r). The instance id is EC2's (`i-` and hex digits).
 */
function cli(command: string, groupName: string, instanceId: string): string {
  return `aws autoscaling ${command} --auto-scaling-group-name ${shellWord(groupName)} --lifecycle-hook-name <hook> --instance-id ${instanceId}`;
}

/** The lifecycle-hook, capacity and process facts that matter when the instance leaves (pure). */
function groupFacts(group: ObservedGroup, mode: AutoScalingMode): { notes: string[]; warnings: string[] } {
  const notes: string[] = [];
  const warnings: string[] = [];
  const suspended = new Set(group.suspendedProcesses);
  notes.push(`desired ${group.desiredCapacity}, min ${group.minSize}, max ${group.maxSize}, health checks ${group.healthCheckType}`);
  if (group.desiredCapacity <= group.minSize) {
    // Decrementing below the minimum is refused; Firebreak never decrements, so the group replaces the instance.
    notes.push(`at its minimum size: the desired capacity is kept at ${group.desiredCapacity} (ShouldDecrementDesiredCapacity false), so the group launches a replacement`);
  }
  if (suspended.has('Launch')) {
    warnings.push(`the group's Launch process is suspended: it cannot launch the replacement, so the service runs one instance short until Launch is resumed`);
  }
  if (suspended.has('HealthCheck') || suspended.has('ReplaceUnhealthy')) {
    notes.push('health checks or unhealthy replacement are suspended: the group would not terminate the instance now, but would once they are resumed, so it is taken out anyway');
  }
  if (suspended.size > 0) notes.push(`suspended processes: ${[...suspended].join(', ')}`);
  if (mode === 'standby' && !suspended.has('AZRebalance')) {
    notes.push('AZRebalance is active: standby can unbalance the Availability Zones and the group may rebalance its other instances');
  }
  const launching = group.lifecycleHooks.filter((h) => h.transition === LAUNCHING);
  const terminating = group.lifecycleHooks.filter((h) => h.transition === 'autoscaling:EC2_INSTANCE_TERMINATING');
  if (launching.length > 0) {
    notes.push(
      `launch lifecycle hook(s) ${launching.map((h) => h.name).join(', ')}: the replacement waits in Pending:Wait until each completes (or its heartbeat timeout), and so will this instance when release returns it`,
    );
  }
  if (terminating.length > 0) {
    notes.push(`termination lifecycle hook(s) ${terminating.map((h) => h.name).join(', ')}: not invoked by ${mode === 'detach' ? 'a detach' : 'standby'} (the instance is not terminated)`);
  }
  return { notes, warnings };
}

/** Decides what to do with the instance's group (pure). */
export function planAutoScaling(observation: AutoScalingObservation, instanceId: string, mode: AutoScalingMode | 'off'): AutoScalingPlan {
  const api = 'autoscaling:DescribeAutoScalingInstances';
  if (observation.kind === 'off' || mode === 'off') return { observed: [], protect: false, leave: 'none', warnings: [] };
  if (observation.kind === 'no-group') {
    return { observed: [{ api, target: instanceId, outcome: 'observed', detail: 'The instance is in no Auto Scaling group' }], protect: false, leave: 'none', warnings: [] };
  }
  const { groupName, lifecycleState, group } = observation;
  const observed: PendingAction[] = [
    {
      api,
      target: instanceId,
      outcome: 'observed',
      detail: `In Auto Scaling group ${groupName}, lifecycle state ${lifecycleState}, ${observation.protectedFromScaleIn ? 'protected' : 'not protected'} from scale-in`,
    },
  ];
  if (!group) {
    return {
      observed,
      protect: false,
      leave: 'none',
      noLeave: { outcome: 'skipped', detail: `The group ${groupName} could not be described (deleted since?): nothing to leave` },
      warnings: [],
    };
  }
  const facts = groupFacts(group, mode);
  observed.push({ api: 'autoscaling:DescribeAutoScalingGroups', target: groupName, outcome: 'observed', detail: `Group ${groupName}: ${facts.notes.join('; ')}` });
  const record: AutoScalingRecord = {
    groupName,
    ...(group.groupArn !== undefined ? { groupArn: group.groupArn } : {}),
    mode,
    lifecycleState,
    protectedFromScaleIn: observation.protectedFromScaleIn,
    desiredCapacity: group.desiredCapacity,
    minSize: group.minSize,
    maxSize: group.maxSize,
  };
  if (lifecycleState.startsWith('Terminating') || lifecycleState === 'Terminated') {
    return {
      observed,
      protect: false,
      leave: 'none',
      noLeave: { outcome: 'skipped', detail: `The group is already terminating the instance (${lifecycleState}): it cannot be detached or put on standby now` },
      warnings: [`Auto Scaling is already terminating ${instanceId} (${lifecycleState}): the running instance and its memory are at risk; snapshots keep the EBS volumes`],
    };
  }
  if (lifecycleState === 'Detaching' || lifecycleState === 'Detached' || (mode === 'standby' && lifecycleState === 'EnteringStandby')) {
    return { observed, protect: false, leave: 'none', noLeave: { outcome: 'already-done', detail: `Already leaving the group's hands (${lifecycleState})` }, warnings: facts.warnings };
  }
  if (mode === 'standby' && lifecycleState === 'Standby') {
    return {
      observed,
      record,
      protect: !observation.protectedFromScaleIn,
      leave: 'none',
      noLeave: { outcome: 'already-done', detail: 'Already on standby: the group neither health-checks nor scales it in' },
      warnings: facts.warnings,
    };
  }
  if (!LEAVABLE.has(lifecycleState)) {
    const noLeave = { outcome: 'skipped' as const, detail: `An instance can leave its group only InService or on Standby; it is ${lifecycleState}` };
    const holding = lifecycleState === 'Pending:Wait' ? group.lifecycleHooks.filter((h) => h.transition === LAUNCHING) : [];
    if (holding.length === 0) {
      return {
        observed,
        protect: false,
        leave: 'none',
        noLeave,
        warnings: [`${instanceId} could not be taken out of group ${groupName} (${lifecycleState}): the group may still replace it once isolation fails its health checks`],
      };
    }
    // A launch hook holds it. Its credentials are taken, so it cannot complete the hook itself; at the
    // hook's heartbeat timeout the default result applies, and ABANDON (the default) makes the group
    // terminate it. A heartbeat (beside the ENI moves) extends the wait; the record says it never left.
    return {
      observed,
      record,
      protect: false,
      leave: 'none',
      noLeave,
      heartbeat: holding,
      warnings: [
        `${instanceId} is in Pending:Wait under launch hook(s) ${holding.map((h) => `${h.name} (timeout ${h.heartbeatTimeout ?? 3600} s)`).join(', ')} and cannot leave group ${groupName}: at a hook's timeout, ABANDON (the default) terminates it. Each heartbeat adds a timeout, up to min(48 h, 100 x timeout) in all. Before that, complete each hook with CONTINUE then detach the instance at once (${cli('complete-lifecycle-action', groupName, instanceId)} --lifecycle-action-result CONTINUE; aws autoscaling detach-instances --auto-scaling-group-name ${shellWord(groupName)} --instance-ids ${instanceId} --no-should-decrement-desired-capacity), or heartbeat again (${cli('record-lifecycle-action-heartbeat', groupName, instanceId)})`,
      ],
    };
  }
  return { observed, record, protect: !observation.protectedFromScaleIn, leave: mode, warnings: facts.warnings };
}

/**
 * Protects the instance from scale-in, then detaches it or puts it on standby, never decrementing
 * the desired capacity. Protection first: it is the call no capacity rule can refuse, so the
 * instance is never the group's choice for a scale-in even if the second call fails.
 */
export async function leaveAutoScalingGroup(
  clients: Partial<AutoScalingClients>,
  target: { readonly account: string; readonly region: string },
  mode: ResponderMode,
  instanceId: string,
  plan: AutoScalingPlan,
): Promise<PendingAction[]> {
  const group = plan.record?.groupName;
  const actions: PendingAction[] = [];
  if (group === undefined || (!plan.protect && plan.leave === 'none' && !plan.heartbeat)) {
    if (plan.noLeave) actions.push({ api: 'autoscaling:DetachInstances', target: instanceId, ...plan.noLeave });
    return actions;
  }
  const autoScaling = await requiredClient(clients.autoScaling, target, 'Auto Scaling');
  if (plan.protect) {
    const protectedNow = await mutateFleet(mode, SERVICE, 'autoscaling:SetInstanceProtection', instanceId, `protect ${instanceId} from scale-in in group ${group}`, () =>
      autoScaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: group, InstanceIds: [instanceId], ProtectedFromScaleIn: true })),
    );
    actions.push(protectedNow.action);
  }
  if (plan.leave !== 'none') {
    // One call either way, never decrementing: the group launches a replacement and deregisters the
    // instance from its own load balancers; on standby it neither health-checks nor scales it in.
    const standby = plan.leave === 'standby';
    const input = { AutoScalingGroupName: group, InstanceIds: [instanceId], ShouldDecrementDesiredCapacity: false };
    const left = await mutateFleet(
      mode,
      SERVICE,
      standby ? 'autoscaling:EnterStandby' : 'autoscaling:DetachInstances',
      instanceId,
      `${standby ? `put ${instanceId} on standby in` : `detach ${instanceId} from`} group ${group} without decrementing its desired capacity (${standby ? 'no health checks or scale-in there; ' : ''}the group launches a replacement and deregisters the instance from its own load balancers)`,
      () => autoScaling.send(standby ? new EnterStandbyCommand(input) : new DetachInstancesCommand(input)),
    );
    actions.push(left.action);
  } else if (plan.noLeave) {
    actions.push({ api: plan.record?.mode === 'standby' ? 'autoscaling:EnterStandby' : 'autoscaling:DetachInstances', target: instanceId, ...plan.noLeave });
  }
  if (plan.heartbeat) actions.push(...(await heartbeatLaunchHooks(autoScaling, mode, instanceId, group, plan.heartbeat)));
  return actions;
}

/**
 * One RecordLifecycleActionHeartbeat per launch hook holding the instance in Pending:Wait, by
 * instance id (no token needed), concurrently: each extends that hook's wait by its heartbeat
 * timeout from now, within AWS's cap of min(48 h, 100 x the timeout) from the wait's start
 * (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RecordLifecycleActionHeartbeat.html,
 * API_LifecycleHook.html `GlobalTimeout`). A hook whose action is no longer active (completed, or
 * timed out since the read: `ValidationError` "No active Lifecycle Action found") is said and
 * skipped. Any other failure does not stop the other hooks: each is logged, then the first is
 * thrown so that the step fails once the ENIs are isolated (retried, alerted).
 */
async function heartbeatLaunchHooks(
  autoScaling: AutoScalingClient,
  mode: ResponderMode,
  instanceId: string,
  group: string,
  hooks: readonly LifecycleHook[],
): Promise<PendingAction[]> {
  const api = 'autoscaling:RecordLifecycleActionHeartbeat';
  const failures: unknown[] = [];
  const actions = await Promise.all(
    hooks.map(async ({ name, heartbeatTimeout = 3600 }) => {
      // What a person must do before the wait ends is the plan's warning, in the same alert.
      const what = `extend the Pending:Wait of ${instanceId} under launch hook ${name} of group ${group} by ${heartbeatTimeout} s from now (AWS ends it at most ${Math.min(172_800, 100 * heartbeatTimeout)} s after it began)`;
      const send = () =>
        autoScaling.send(new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: group, LifecycleHookName: name, InstanceId: instanceId })).catch((error: unknown) => {
          // An SDK error reads `<name>: <message>`: ValidationError "No active Lifecycle Action found…".
          if (/^ValidationError: No active Lifecycle Action/i.test(String(error))) return false;
          throw error;
        });
      try {
        const sent = await mutateFleet(mode, SERVICE, api, instanceId, what, send);
        return sent.output === false
          ? { api, target: instanceId, outcome: 'skipped' as const, detail: `No lifecycle action of hook ${name} is active for ${instanceId} now (completed, or timed out): nothing to extend` }
          : sent.action;
      } catch (error) {
        failures.push(error);
        const action: PendingAction = { api, target: instanceId, outcome: 'skipped', detail: `Could not ${what}: ${error instanceof Error ? error.message : String(error)}` };
        noteSettledAction(action);
        return action;
      }
    }),
  );
  if (failures.length > 0) throw failures[0];
  return actions;
}
