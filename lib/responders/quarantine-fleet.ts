/**
 * What quarantine-instance does for fleets, in the three places it happens (quarantine.ts stays a
 * list of steps): the reads, started beside DescribeInstances; the plan and the record fields,
 * before the record is written; the changes, beside the ENI moves. Auto Scaling is
 * quarantine-autoscaling.ts, the load balancers quarantine-load-balancers.ts.
 */
import type { AutoScalingClients } from '../aws/clients/autoscaling';
import type { LoadBalancingClients } from '../aws/clients/load-balancing';
import type { ResponderMode } from '../contracts/responder-mode';
import type { AutoScalingRecord, LoadBalancerRecord } from './fleet-records';
import { newRegistrations } from './fleet-records';
import type { InstanceObservation } from './instance-state';
import type { PendingAction } from './pending-actions';
import { settleAll } from './pending-actions';
import type { AutoScalingObservation, AutoScalingPlan } from './quarantine-autoscaling';
import { leaveAutoScalingGroup, observeAutoScaling, planAutoScaling } from './quarantine-autoscaling';
import type { LoadBalancerObservation } from './quarantine-load-balancers';
import { deregisterFromLoadBalancers, markGroupManaged, observeLoadBalancers } from './quarantine-load-balancers';
import type { QuarantineOptions } from './quarantine-plan';

/** The clients the fleet options need (absent: the deployment wired none; an option that needs one fails clearly). */
export type FleetClients = Partial<AutoScalingClients & LoadBalancingClients>;

type Target = { readonly account: string; readonly region: string };

/** What the fleet reads found. */
export interface FleetObservation {
  readonly autoScaling: AutoScalingObservation;
  readonly loadBalancers?: LoadBalancerObservation;
}

/** The reads of both options, concurrently; `instance` is EC2's describe, awaited only where it is needed. */
export async function readFleet(
  clients: FleetClients,
  target: Target,
  instanceId: string,
  options: Pick<QuarantineOptions, 'autoScaling' | 'deregisterFromLoadBalancers'>,
  instance: Promise<InstanceObservation>,
): Promise<FleetObservation> {
  // A failed describe is the main path's to throw; here it only means there is nothing to match.
  const observed = instance.then(
    (o) => (o.found ? o.instance : undefined),
    () => undefined,
  );
  const [autoScaling, loadBalancers] = await settleAll([
    observeAutoScaling(clients, target, instanceId, options.autoScaling),
    observeLoadBalancers(clients, target, options.deregisterFromLoadBalancers, observed),
  ] as const);
  return { autoScaling, ...(loadBalancers ? { loadBalancers } : {}) };
}

/** The plan of the fleet changes, the record fields, and what the timeline shows of the reads. */
export interface FleetPlan {
  readonly autoScaling: AutoScalingPlan;
  readonly loadBalancers?: LoadBalancerRecord;
  /** The optional record fields (fleet-records.ts). */
  readonly recordFields: { readonly autoScaling?: AutoScalingRecord; readonly loadBalancers?: LoadBalancerRecord };
  readonly observed: readonly PendingAction[];
  readonly warnings: readonly string[];
  /** Set when the reads failed: isolation goes on, and the step fails after it so that it is retried and seen. */
  readonly failure?: unknown;
}

/**
 * Plans from the reads (pure but for the failure it carries). A failed read never holds back
 * isolation: the plan is empty, the timeline says why, and the step fails once the ENIs are moved.
 */
export function planFleet(
  read: { readonly ok: true; readonly value: FleetObservation } | { readonly ok: false; readonly error: unknown },
  instanceId: string,
  options: Pick<QuarantineOptions, 'autoScaling' | 'deregisterFromLoadBalancers'>,
): FleetPlan {
  if (!read.ok) {
    const why = read.error instanceof Error ? `${read.error.name}: ${read.error.message}` : String(read.error);
    return fleetLeftAlone(
      instanceId,
      read.error,
      `Could not read the instance's Auto Scaling group or load balancers (${why}): the ENIs are isolated first, then the step fails so that it is retried`,
      `The Auto Scaling group and load balancers of ${instanceId} could not be read (${why}): the instance may still be replaced by its group`,
    );
  }
  const { autoScaling: asObservation, loadBalancers: lbObservation } = read.value;
  const autoScaling = planAutoScaling(asObservation, instanceId, options.autoScaling);
  const group = autoScaling.record && asObservation.kind === 'member' ? asObservation.group : undefined;
  const loadBalancers = lbObservation ? markGroupManaged(lbObservation.record, group) : undefined;
  const observed: PendingAction[] = [...autoScaling.observed];
  if (lbObservation && loadBalancers) {
    const registrations = [
      ...loadBalancers.targets.map((t) => `${t.targetGroupArn} (${t.targetId}${t.port !== undefined ? `:${t.port}` : ''})`),
      ...loadBalancers.classic.map((c) => `classic ${c.loadBalancerName}`),
    ];
    observed.push({
      api: 'elasticloadbalancing:DescribeTargetHealth',
      target: instanceId,
      outcome: 'observed',
      detail: `Checked ${lbObservation.targetGroupsChecked} target group(s) in the instance's VPC(s) and ${lbObservation.classicChecked} Classic Load Balancer(s): ${registrations.length > 0 ? `registered in ${registrations.join(', ')}` : 'registered nowhere'}`,
    });
  }
  // What a person must know (the group cannot replace it, is already terminating it) is listed in
  // the alert's "did not do" section, where skipped actions go.
  observed.push(...autoScaling.warnings.map((warning) => ({ api: 'firebreak:check-fleet', target: instanceId, outcome: 'skipped' as const, detail: warning })));
  return {
    autoScaling,
    ...(loadBalancers ? { loadBalancers } : {}),
    recordFields: { ...(autoScaling.record ? { autoScaling: autoScaling.record } : {}), ...(loadBalancers ? { loadBalancers } : {}) },
    observed,
    warnings: autoScaling.warnings,
  };
}

/**
 * A plan that changes nothing of the fleet and fails the step after isolation (`failure`), so that
 * it is retried and, if it keeps failing, alerted: a failed read, or a record that could not be
 * given the fleet fields (quarantine-record-capture.ts).
 */
export function fleetLeftAlone(instanceId: string, failure: unknown, detail: string, warning: string): FleetPlan {
  return {
    autoScaling: planAutoScaling({ kind: 'off' }, instanceId, 'off'),
    recordFields: {},
    observed: [{ api: 'firebreak:read-fleet', target: instanceId, outcome: 'skipped', detail }],
    warnings: [warning],
    failure,
  };
}

/**
 * The plan without the registrations the kept record does not hold (pure but for the failure it
 * carries): found since the capture, they could not be added to it (row 3v), and deregistered
 * unrecorded, release could not name them (it registers none of them again, row 3w). Each is
 * said, the rest of the fleet is changed as planned, and the step fails after isolation so that it
 * is retried (the retry adds them, then deregisters them).
 */
export function recordedRegistrationsOnly(plan: FleetPlan, kept: LoadBalancerRecord | undefined, failure: Error): FleetPlan {
  if (!plan.loadBalancers) return { ...plan, failure };
  const unrecorded = newRegistrations(kept ?? { targets: [], classic: [] }, plan.loadBalancers);
  const why = `found since the pre-quarantine record was captured, and not added to it (${failure.message}): not deregistered until the record names it, as release names each registration it does not restore; the step fails so that it is retried`;
  const loadBalancers = {
    targets: plan.loadBalancers.targets.filter((t) => !unrecorded.targets.includes(t)),
    classic: plan.loadBalancers.classic.filter((c) => !unrecorded.classic.includes(c)),
  };
  return {
    ...plan,
    loadBalancers,
    recordFields: { ...plan.recordFields, loadBalancers },
    observed: [
      ...plan.observed,
      ...unrecorded.targets.map((t) => ({ api: 'elasticloadbalancing:DeregisterTargets', target: t.targetGroupArn, outcome: 'skipped' as const, detail: `${t.targetId}: ${why}` })),
      ...unrecorded.classic.map((c) => ({ api: 'elasticloadbalancing:DeregisterInstancesFromLoadBalancer', target: c.loadBalancerName, outcome: 'skipped' as const, detail: `The instance's registration: ${why}` })),
    ],
    failure,
  };
}

/** The fleet changes, beside the ENI moves: out of the group's hands, out of the load balancers. */
export async function containFleet(clients: FleetClients, target: Target, mode: ResponderMode, instanceId: string, plan: FleetPlan): Promise<PendingAction[]> {
  const [group, balancers] = await settleAll([
    leaveAutoScalingGroup(clients, target, mode, instanceId, plan.autoScaling),
    deregisterFromLoadBalancers(clients, target, mode, instanceId, plan.loadBalancers),
  ] as const);
  return [...group, ...balancers];
}

/** What the result says of the fleet: the group, the mode, the registrations, and what a person must know. */
export interface FleetResult {
  readonly autoScaling?: AutoScalingRecord;
  readonly loadBalancers?: LoadBalancerRecord;
  readonly warnings?: readonly string[];
}

export function fleetResult(plan: FleetPlan): FleetResult {
  return {
    ...(plan.recordFields.autoScaling ? { autoScaling: plan.recordFields.autoScaling } : {}),
    ...(plan.recordFields.loadBalancers ? { loadBalancers: plan.recordFields.loadBalancers } : {}),
    ...(plan.warnings.length > 0 ? { warnings: plan.warnings } : {}),
  };
}

/**
 * True when the fleet still needs a change (or could not be read): an instance whose ENIs are all
 * isolated is not "already quarantined" while it is still in its group's hands or behind a load
 * balancer, so a retry after a failed fleet call finishes the job instead of ending early (pure).
 */
export function fleetPending(plan: FleetPlan): boolean {
  return (
    plan.failure !== undefined ||
    plan.autoScaling.protect ||
    plan.autoScaling.leave !== 'none' ||
    // Held in Pending:Wait by a launch hook: each run extends the wait again.
    plan.autoScaling.heartbeat !== undefined ||
    (plan.loadBalancers?.targets.some((t) => !t.managedByGroup) ?? false) ||
    (plan.loadBalancers?.classic.some((c) => !c.managedByGroup) ?? false)
  );
}

/**
 * After isolation, credentials and tags: the first fleet failure (a read or a change), thrown so
 * that the step fails, is retried, and is alerted when it keeps failing. Containment itself never
 * waits for the fleet: a missing Auto Scaling or ELB permission cannot hold back the ENI moves.
 */
export function throwFleetFailure(plan: FleetPlan, changes: { readonly ok: true } | { readonly ok: false; readonly error: unknown }): void {
  if (plan.failure !== undefined) throw plan.failure;
  if (!changes.ok) throw changes.error;
}
