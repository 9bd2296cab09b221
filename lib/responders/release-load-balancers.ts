/**
 * release-instance and Elastic Load Balancing: the instance is registered again in every target
 * group (same target id, port and Availability Zone) and Classic Load Balancer the record lists.
 * Registration is idempotent, so a redelivered release changes nothing more. The registrations
 * that belong to the instance's Auto Scaling group are the group's to make: when the instance went
 * back into the group, the group registers it; when it stayed out (the group moved on), it is not
 * put behind the group's load balancer by hand, unmanaged, and the result says so. A recorded
 * target group of another account or region is never registered to, nor an ip target at an address
 * the instance no longer holds (row 3k), nor a Classic Load Balancer created under the recorded name
 * after the capture (row 3l; a target group's ARN carries an id of its own, so one created again
 * under the same name is another ARN, which RegisterTargets answers as not found).
 */
import { DescribeLoadBalancersCommand, RegisterInstancesWithLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LoadBalancingClients } from '../aws/clients/load-balancing';
import type { ResponderMode } from '../contracts/responder-mode';
import type { LoadBalancerRecord, TargetRegistration } from './fleet-records';
import { createdSinceCapture } from './fleet-records';
import { mutateFleet, requiredClient } from './fleet-calls';
import type { ObservedNetworkInterface } from './instance-state';
import { holdsAddress } from './instance-state';
import { sendReadOnly } from './mutating';
import type { PendingAction } from './pending-actions';
import { settleAll } from './pending-actions';
import { targetDescription, targetsByGroup, unlessGone } from './quarantine-load-balancers';

const SERVICE = 'Elastic Load Balancing';

/** The account and region of a target group ARN (`arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/…`). */
function arnPlace(arn: string): { readonly region?: string; readonly account?: string } {
  const parts = arn.split(':');
  return parts[2] === 'elasticloadbalancing' && parts[5]?.startsWith('targetgroup/') ? { region: parts[3], account: parts[4] } : {};
}

/** An ENI of the instance as EC2 describes it now (release-instance's DescribeInstances). */
type InterfaceNow = Pick<ObservedNetworkInterface, 'networkInterfaceId' | 'vpcId' | 'addresses' | 'prefixes'>;

/**
 * Why an ip target is not registered again, if it is not (pure). An ip target group sends its
 * traffic to the address, whoever holds it: a secondary address unassigned since quarantine (or on
 * an ENI detached from the instance) may be another interface's now (row 3k). And two VPCs may hold
 * the same range: an ENI of another VPC attached to the instance since (multi-VPC attachment), or
 * one of its own ENIs there, can show the address on the instance while, in the target group's VPC,
 * an interface of someone else holds it (row 3n). So the address counts only on the ENI the record
 * names (in the target group's VPC at capture); a record written before names none, and then only an
 * ENI attached at capture counts, and only while every one of those is attached, all in one VPC.
 */
export function ipTargetRefusal(
  target: Pick<TargetRegistration, 'targetId' | 'networkInterfaceId'>,
  instanceId: string,
  interfaces: readonly InterfaceNow[],
  recordedInterfaceIds: ReadonlySet<string>,
): string | undefined {
  if (target.targetId === instanceId) return undefined;
  // An IPv6 address in any spelling (row 3t); an address inside a prefix delegated to the ENI (row 3u).
  const holders = interfaces.filter((eni) => holdsAddress(eni, target.targetId));
  const traffic = `registering it would send this target group's traffic to whatever holds it in the target group's VPC`;
  if (target.networkInterfaceId !== undefined) {
    return holders.some((eni) => eni.networkInterfaceId === target.networkInterfaceId)
      ? undefined
      : `Refused: ${target.targetId} is not held by ${target.networkInterfaceId} now, the ENI of ${instanceId} that held it at quarantine (unassigned or moved since${holders.length > 0 ? `; ${holders.map((eni) => eni.networkInterfaceId).join(', ')} of the instance holds it now` : ''}): ${traffic}`;
  }
  const recorded = interfaces.filter((eni) => recordedInterfaceIds.has(eni.networkInterfaceId));
  const held = holders.find((eni) => recordedInterfaceIds.has(eni.networkInterfaceId));
  if (held === undefined) {
    return `Refused: ${target.targetId} is not one of ${instanceId}'s private addresses now on an ENI it had at quarantine (unassigned or moved since): ${traffic}`;
  }
  // Which VPC the address was in is told only when every ENI of the capture is still attached and
  // all are in one VPC: an ENI detached since may have been the one in the target group's VPC.
  const vpcs = new Set(recorded.map((eni) => eni.vpcId));
  if (recorded.length < recordedInterfaceIds.size) {
    return `Refused: ${target.targetId} is on ${held.networkInterfaceId}, but not every ENI ${instanceId} had at quarantine is attached now, and the record does not say which ENI held it: the VPC it was in cannot be told, and the same address in another VPC is another interface's`;
  }
  return vpcs.size > 1
    ? `Refused: ${target.targetId} is on ${held.networkInterfaceId}, but ${instanceId}'s ENIs are in several VPCs (${[...vpcs].join(', ')}) and the record does not say which ENI held it: the same address in another VPC is another interface's`
    : undefined;
}

/**
 * Why the Classic Load Balancer of the recorded name is not the one the instance served, if it is
 * not. A classic load balancer is known by its name alone, which is free again once it is deleted:
 * whoever may delete and create load balancers in the account could put another one (internet-facing,
 * with the old one's security group so that the instance's rules let it in) under the recorded name
 * (row 3l). No two hold a name at once, so the one the instance served was created before the
 * capture; one created after it is another. Read with DescribeLoadBalancers (sent in dry-run too).
 */
async function anotherClassicOfTheName(elb: ElasticLoadBalancingClient, name: string, capturedAt: string): Promise<string | undefined> {
  const described = await sendReadOnly('elasticloadbalancing:DescribeLoadBalancers', () => unlessGone(() => elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [name] }))));
  const lb = described === 'gone' ? undefined : described.LoadBalancerDescriptions?.find((d) => d.LoadBalancerName === name);
  if (!lb) return 'The load balancer is gone since quarantine: not restored';
  if (!lb.CreatedTime) return `Refused: the Classic Load Balancer ${name} gives no creation time, so it cannot be told from one created again under its name since the capture`;
  return createdSinceCapture(lb.CreatedTime, capturedAt)
    ? `Refused: the Classic Load Balancer ${name} was created after the capture (or in its second: ${lb.CreatedTime.toISOString()}, the record ${capturedAt}): it is not the one the instance served, deleted and created again under the same name since`
    : undefined;
}

/** Registers the instance again where the record says, or says why not. */
export async function restoreLoadBalancers(
  clients: Partial<LoadBalancingClients>,
  target: { readonly account: string; readonly region: string },
  mode: ResponderMode,
  instanceId: string,
  record: LoadBalancerRecord | undefined,
  options: {
    readonly enabled: boolean;
    readonly backInGroup: boolean;
    /** The instance's ENIs as EC2 describes them now (an ip target is registered only at an address one of them holds). */
    readonly interfaces: readonly InterfaceNow[];
    /** The ENIs the record lists (attached at capture). */
    readonly recordedInterfaceIds: ReadonlySet<string>;
    /** When the record was captured: a Classic Load Balancer created after it is not the recorded one. */
    readonly capturedAt: string;
  },
): Promise<PendingAction[]> {
  if (!record) return [];
  const count = record.targets.length + record.classic.length;
  if (!options.enabled) {
    return count === 0
      ? []
      : [{ api: 'elasticloadbalancing:RegisterTargets', target: instanceId, outcome: 'skipped', detail: `Option restoreLoadBalancers is off: ${count} recorded registration(s) not restored` }];
  }
  const actions: PendingAction[] = [];
  const groupWhy = options.backInGroup
    ? 'the Auto Scaling group registers the instance here itself now that it is back in the group'
    : 'the Auto Scaling group\'s own registration, and the instance is not back in the group: not registered by hand behind the group\'s load balancer';
  // A registration made while the instance was quarantined (a later run found and recorded it, row
  // 3v) is not where it was before the incident: whoever may call RegisterTargets chose it (a group
  // of theirs made since the capture, a port of their choice). Named, never registered (row 3w).
  const sinceCapture = 'Refused: registered since the capture (found and deregistered by a later quarantine run), not where the instance was before the incident: register it again by hand if it is wanted';
  const targets = record.targets.filter((t) => {
    if (t.foundSinceCapture === true) {
      actions.push({ api: 'elasticloadbalancing:RegisterTargets', target: t.targetGroupArn, outcome: 'skipped', detail: `${t.targetId}${t.port !== undefined ? ` port ${t.port}` : ''}: ${sinceCapture}` });
      return false;
    }
    if (t.managedByGroup) {
      actions.push({ api: 'elasticloadbalancing:RegisterTargets', target: t.targetGroupArn, outcome: options.backInGroup ? 'already-done' : 'skipped', detail: groupWhy });
      return false;
    }
    const place = arnPlace(t.targetGroupArn);
    if (place.account !== target.account || place.region !== target.region) {
      actions.push({ api: 'elasticloadbalancing:RegisterTargets', target: t.targetGroupArn, outcome: 'skipped', detail: `Refused: the recorded target group is not in the instance's account and region (${target.account}/${target.region})` });
      return false;
    }
    // The address, whoever holds it, gets the target group's traffic (rows 3k, 3n).
    const refused = ipTargetRefusal(t, instanceId, options.interfaces, options.recordedInterfaceIds);
    if (refused !== undefined) {
      actions.push({ api: 'elasticloadbalancing:RegisterTargets', target: t.targetGroupArn, outcome: 'skipped', detail: refused });
      return false;
    }
    return true;
  });
  const classic = record.classic.filter((c) => {
    if (c.foundSinceCapture === true) {
      actions.push({ api: 'elasticloadbalancing:RegisterInstancesWithLoadBalancer', target: c.loadBalancerName, outcome: 'skipped', detail: sinceCapture });
      return false;
    }
    if (c.managedByGroup) actions.push({ api: 'elasticloadbalancing:RegisterInstancesWithLoadBalancer', target: c.loadBalancerName, outcome: options.backInGroup ? 'already-done' : 'skipped', detail: groupWhy });
    return !c.managedByGroup;
  });
  if (targets.length === 0 && classic.length === 0) return actions;
  const [elbv2, elb] = await settleAll([
    targets.length > 0 ? requiredClient(clients.elbv2, target, 'Elastic Load Balancing v2') : undefined,
    classic.length > 0 ? requiredClient(clients.elb, target, 'Classic Load Balancing') : undefined,
  ] as const);
  const calls: Promise<PendingAction>[] = [];
  for (const [arn, registrations] of targetsByGroup(targets)) {
    const api = 'elasticloadbalancing:RegisterTargets';
    const described = registrations.map(targetDescription);
    calls.push(
      mutateFleet(mode, SERVICE, api, arn, `register ${described.map((d) => `${d.Id}${d.Port !== undefined ? ` port ${d.Port}` : ''}`).join(', ')} in target group ${arn} again`, () =>
        unlessGone(() => elbv2!.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: described }))),
      ).then(({ action, output }) => (output === 'gone' ? { api, target: arn, outcome: 'skipped' as const, detail: 'The target group is gone since quarantine: not restored' } : action)),
    );
  }
  for (const lb of classic) {
    const api = 'elasticloadbalancing:RegisterInstancesWithLoadBalancer';
    const register = async (): Promise<PendingAction> => {
      const another = await anotherClassicOfTheName(elb!, lb.loadBalancerName, options.capturedAt);
      if (another !== undefined) return { api, target: lb.loadBalancerName, outcome: 'skipped', detail: another };
      const { action, output } = await mutateFleet(mode, SERVICE, api, lb.loadBalancerName, `register ${instanceId} with Classic Load Balancer ${lb.loadBalancerName} again`, () =>
        unlessGone(() => elb!.send(new RegisterInstancesWithLoadBalancerCommand({ LoadBalancerName: lb.loadBalancerName, Instances: [{ InstanceId: instanceId }] }))),
      );
      return output === 'gone' ? { api, target: lb.loadBalancerName, outcome: 'skipped', detail: 'The load balancer is gone since quarantine: not restored' } : action;
    };
    calls.push(register());
  }
  return [...actions, ...(await settleAll(calls))];
}
