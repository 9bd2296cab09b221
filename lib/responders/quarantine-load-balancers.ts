/**
 * quarantine-instance and Elastic Load Balancing: the instance is deregistered from every target
 * group (Application and Network Load Balancers) and every Classic Load Balancer it serves, not
 * only its Auto Scaling group's, so users stop being sent to a machine that can no longer answer,
 * and each registration (target group, target id, port, Availability Zone; classic load balancer
 * name) is recorded for release.
 *
 * Finding them: neither API can be asked "which target groups hold this instance". The reads start
 * beside DescribeInstances: DescribeTargetGroups (all pages) and the classic DescribeLoadBalancers
 * (whose answer lists each load balancer's instances) need nothing from EC2; once EC2 has said
 * which VPCs the instance's ENIs are in, DescribeTargetHealth runs for the target groups of those
 * VPCs only, a few at a time. That is one round trip more before the record than an instance
 * without the option, and none in the per-ENI budget (docs/responders/quarantine-instance.md).
 */
import { DescribeLoadBalancersCommand, DeregisterInstancesFromLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { DeregisterTargetsCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ElasticLoadBalancingV2Client, TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LoadBalancingClients } from '../aws/clients/load-balancing';
import { awsErrorCode } from '../aws/errors';
import type { ResponderMode } from '../contracts/responder-mode';
import type { ClassicRegistration, LoadBalancerRecord, TargetRegistration } from './fleet-records';
import { mutateFleet, requiredClient } from './fleet-calls';
import type { ObservedInstance } from './instance-state';
import { holdsAddress } from './instance-state';
import { sendReadOnly } from './mutating';
import type { PendingAction } from './pending-actions';
import { settleAll } from './pending-actions';

const SERVICE = 'Elastic Load Balancing';
/** DescribeTargetHealth calls in flight at once: enough to be quick, few enough not to be throttled. */
const HEALTH_CONCURRENCY = 8;
/** Errors that mean the load balancer, target group or target is gone: nothing left to change. */
export const GONE_CODES = new Set(['TargetGroupNotFound', 'TargetGroupNotFoundException', 'LoadBalancerNotFound', 'AccessPointNotFound', 'AccessPointNotFoundException', 'InvalidTarget', 'InvalidTargetException', 'InvalidInstance', 'InvalidEndPointException']);

/** Every page of a Marker/NextMarker list. */
async function allPages<T>(fetch: (marker: string | undefined) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const items: T[] = [];
  let marker: string | undefined;
  do {
    const page = await fetch(marker);
    items.push(...page.items);
    marker = page.next;
  } while (marker !== undefined);
  return items;
}

/** Maps `work` over `items`, at most `limit` at once, results in order. */
async function limited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await settleAll(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** What the load-balancer reads found: registrations, and how much was looked at. */
export interface LoadBalancerObservation {
  readonly record: LoadBalancerRecord;
  readonly targetGroupsChecked: number;
  readonly classicChecked: number;
}

/**
 * Finds every registration of the instance. `instance` is EC2's answer (awaited after the first
 * reads are sent); undefined when the instance was not found (then nothing more is read).
 */
export async function findRegistrations(
  elbv2: ElasticLoadBalancingV2Client,
  elb: ElasticLoadBalancingClient,
  instance: Promise<ObservedInstance | undefined>,
): Promise<LoadBalancerObservation> {
  const [targetGroups, classic, observed] = await settleAll([
    allPages<TargetGroup>(async (marker) => {
      const page = await sendReadOnly('elasticloadbalancing:DescribeTargetGroups', () =>
        elbv2.send(new DescribeTargetGroupsCommand({ PageSize: 400, ...(marker ? { Marker: marker } : {}) })),
      );
      return { items: page.TargetGroups ?? [], ...(page.NextMarker ? { next: page.NextMarker } : {}) };
    }),
    allPages(async (marker) => {
      const page = await sendReadOnly('elasticloadbalancing:DescribeLoadBalancers', () =>
        elb.send(new DescribeLoadBalancersCommand({ PageSize: 400, ...(marker ? { Marker: marker } : {}) })),
      );
      return { items: page.LoadBalancerDescriptions ?? [], ...(page.NextMarker ? { next: page.NextMarker } : {}) };
    }),
    instance,
  ] as const);
  if (!observed) return { record: { targets: [], classic: [] }, targetGroupsChecked: 0, classicChecked: 0 };
  const vpcs = new Set(observed.networkInterfaces.flatMap((eni) => (eni.vpcId ? [eni.vpcId] : [])));
  // An ip target is an address in the target group's VPC ("all" as its zone: outside it). Two VPCs
  // may hold the same range, so an address counts as the instance's only on an ENI of the VPC it is
  // in, and the ENI is recorded: release registers it again only while that ENI holds it (row 3n).
  // An IPv6 target group's targets are IPv6 addresses, matched in one spelling (row 3t); an address
  // inside a prefix delegated to the ENI (pods of an EKS node, say) is the ENI's too (row 3u).
  const holderOf = (address: string, targetGroupVpc: string, outsideVpc: boolean) =>
    observed.networkInterfaces.find((eni) => holdsAddress(eni, address) && (outsideVpc ? eni.vpcId !== targetGroupVpc : eni.vpcId === targetGroupVpc));
  // Only the groups that can hold this instance: its VPCs, instance or ip targets (lambda and alb targets cannot).
  const candidates = targetGroups.filter(
    (tg) => tg.TargetGroupArn && tg.VpcId && vpcs.has(tg.VpcId) && (tg.TargetType === 'instance' || tg.TargetType === 'ip' || tg.TargetType === undefined),
  );
  const perGroup = await limited(candidates, HEALTH_CONCURRENCY, async (tg) => {
    const arn = tg.TargetGroupArn as string;
    const health = await sendReadOnly('elasticloadbalancing:DescribeTargetHealth', () => elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })));
    return (health.TargetHealthDescriptions ?? []).flatMap(({ Target: target, TargetHealth: targetHealth }): TargetRegistration[] => {
      const holder = tg.TargetType === 'ip' && target?.Id ? holderOf(target.Id, tg.VpcId as string, target.AvailabilityZone === 'all') : undefined;
      // A draining target is on its way out already: release must not bring it back.
      return target?.Id && (tg.TargetType === 'ip' ? holder : target.Id === observed.instanceId) && targetHealth?.State !== 'draining'
        ? [
            {
              targetGroupArn: arn,
              targetId: target.Id,
              ...(holder ? { networkInterfaceId: holder.networkInterfaceId } : {}),
              ...(target.Port !== undefined ? { port: target.Port } : {}),
              ...(target.AvailabilityZone !== undefined ? { availabilityZone: target.AvailabilityZone } : {}),
              managedByGroup: false,
            },
          ]
        : [];
    });
  });
  const classicRegistrations: ClassicRegistration[] = classic
    .filter((lb) => lb.LoadBalancerName && (lb.Instances ?? []).some((i) => i.InstanceId === observed.instanceId))
    .map((lb) => ({ loadBalancerName: lb.LoadBalancerName as string, managedByGroup: false }));
  return { record: { targets: perGroup.flat(), classic: classicRegistrations }, targetGroupsChecked: candidates.length, classicChecked: classic.length };
}

/** The option's reading for quarantine-instance: nothing (no client, no call) when it is off. */
export async function observeLoadBalancers(
  clients: Partial<LoadBalancingClients>,
  target: { readonly account: string; readonly region: string },
  enabled: boolean,
  instance: Promise<ObservedInstance | undefined>,
): Promise<LoadBalancerObservation | undefined> {
  if (!enabled) return undefined;
  const [elbv2, elb] = await settleAll([
    requiredClient(clients.elbv2, target, 'Elastic Load Balancing v2'),
    requiredClient(clients.elb, target, 'Classic Load Balancing'),
  ] as const);
  return findRegistrations(elbv2, elb, instance);
}

/**
 * Marks the registrations the instance's Auto Scaling group manages, when the instance leaves the
 * group: the group deregisters it from its own target groups and load balancers itself (and
 * registers it again when it returns), so quarantine and release leave those to the group (pure).
 */
export function markGroupManaged(
  record: LoadBalancerRecord,
  group: { readonly targetGroupArns: readonly string[]; readonly loadBalancerNames: readonly string[] } | undefined,
): LoadBalancerRecord {
  if (!group) return record;
  const targetGroups = new Set(group.targetGroupArns);
  const classic = new Set(group.loadBalancerNames);
  return {
    targets: record.targets.map((t) => ({ ...t, managedByGroup: targetGroups.has(t.targetGroupArn) })),
    classic: record.classic.map((c) => ({ ...c, managedByGroup: classic.has(c.loadBalancerName) })),
  };
}

/** The registrations of one target group, as DeregisterTargets/RegisterTargets take them. */
export function targetsByGroup(targets: readonly TargetRegistration[]): Map<string, TargetRegistration[]> {
  const byGroup = new Map<string, TargetRegistration[]>();
  for (const t of targets) byGroup.set(t.targetGroupArn, [...(byGroup.get(t.targetGroupArn) ?? []), t]);
  return byGroup;
}

/** `{ Id, Port, AvailabilityZone }` as recorded. */
export function targetDescription(t: TargetRegistration): { Id: string; Port?: number; AvailabilityZone?: string } {
  return { Id: t.targetId, ...(t.port !== undefined ? { Port: t.port } : {}), ...(t.availabilityZone !== undefined ? { AvailabilityZone: t.availabilityZone } : {}) };
}

/** Sends a registration change; an answer that the target group, load balancer or target is gone becomes `gone`. */
export async function unlessGone<T>(send: () => Promise<T>): Promise<T | 'gone'> {
  try {
    return await send();
  } catch (error) {
    if (GONE_CODES.has(awsErrorCode(error) ?? '')) return 'gone';
    throw error;
  }
}

function where(t: TargetRegistration): string {
  return `${t.targetId}${t.port !== undefined ? ` port ${t.port}` : ''}${t.availabilityZone !== undefined ? ` (${t.availabilityZone})` : ''}`;
}

/** Deregisters every recorded registration the group does not manage (one call per target group or load balancer, concurrently). */
export async function deregisterFromLoadBalancers(
  clients: Partial<LoadBalancingClients>,
  target: { readonly account: string; readonly region: string },
  mode: ResponderMode,
  instanceId: string,
  record: LoadBalancerRecord | undefined,
): Promise<PendingAction[]> {
  if (!record) return [];
  const managed: PendingAction[] = [
    ...record.targets
      .filter((t) => t.managedByGroup)
      .map((t) => ({ api: 'elasticloadbalancing:DeregisterTargets', target: t.targetGroupArn, outcome: 'skipped' as const, detail: `${where(t)}: the Auto Scaling group's own target group; the group deregisters the instance as it lets it go` })),
    ...record.classic
      .filter((c) => c.managedByGroup)
      .map((c) => ({ api: 'elasticloadbalancing:DeregisterInstancesFromLoadBalancer', target: c.loadBalancerName, outcome: 'skipped' as const, detail: "The Auto Scaling group's own load balancer; the group deregisters the instance as it lets it go" })),
  ];
  const own = record.targets.filter((t) => !t.managedByGroup);
  const classic = record.classic.filter((c) => !c.managedByGroup);
  if (own.length === 0 && classic.length === 0 && managed.length === 0) {
    return [{ api: 'elasticloadbalancing:DeregisterTargets', target: instanceId, outcome: 'already-done', detail: 'The instance is registered with no target group or Classic Load Balancer' }];
  }
  const [elbv2, elb] = await settleAll([
    own.length > 0 ? requiredClient(clients.elbv2, target, 'Elastic Load Balancing v2') : undefined,
    classic.length > 0 ? requiredClient(clients.elb, target, 'Classic Load Balancing') : undefined,
  ] as const);
  const calls: Promise<PendingAction>[] = [];
  for (const [arn, targets] of targetsByGroup(own)) {
    const api = 'elasticloadbalancing:DeregisterTargets';
    calls.push(
      mutateFleet(mode, SERVICE, api, arn, `deregister ${targets.map(where).join(', ')} from target group ${arn}`, () =>
        unlessGone(() => (elbv2 as ElasticLoadBalancingV2Client).send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: targets.map(targetDescription) }))),
      ).then(({ action, output }) => (output === 'gone' ? { api, target: arn, outcome: 'skipped' as const, detail: 'The target group or target is gone: nothing to deregister' } : action)),
    );
  }
  for (const lb of classic) {
    const api = 'elasticloadbalancing:DeregisterInstancesFromLoadBalancer';
    calls.push(
      mutateFleet(mode, SERVICE, api, lb.loadBalancerName, `deregister ${instanceId} from Classic Load Balancer ${lb.loadBalancerName}`, () =>
        unlessGone(() =>
          (elb as ElasticLoadBalancingClient).send(new DeregisterInstancesFromLoadBalancerCommand({ LoadBalancerName: lb.loadBalancerName, Instances: [{ InstanceId: instanceId }] })),
        ),
      ).then(({ action, output }) => (output === 'gone' ? { api, target: lb.loadBalancerName, outcome: 'skipped' as const, detail: 'The load balancer is gone: nothing to deregister' } : action)),
    );
  }
  return [...managed, ...(await settleAll(calls))];
}
