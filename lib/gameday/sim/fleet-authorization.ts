/**
 * What IAM sees of an Auto Scaling or Elastic Load Balancing call in the simulated account: the
 * group, target group or classic load balancer it authorizes on, with its tags
 * (`aws:ResourceTag/*`, `autoscaling:ResourceTag/*`, `elasticloadbalancing:ResourceTag/*`), as
 * the Service Authorization Reference lists them. Describe* calls have no resource type: `*`.
 */
import { fleetState, placeKey } from './fleet-state';
import type { SimWorld } from './world';

/** authorization.ts's AuthorizationTarget and the part of its call used here (no import: it imports this module). */
interface FleetTarget {
  readonly resourceType: string;
  readonly arn: string;
  readonly keys: Record<string, string[]>;
  readonly complete: readonly string[];
}

function tagKeys(service: string, tags: ReadonlyMap<string, string> | undefined): Record<string, string[]> {
  const keys: Record<string, string[]> = {};
  for (const [key, value] of tags ?? []) {
    keys[`aws:ResourceTag/${key}`] = [value];
    keys[`${service}:ResourceTag/${key}`] = [value];
  }
  return keys;
}

export function fleetTargets(service: 'autoscaling' | 'elasticloadbalancing', _action: string, call: { readonly account: string; readonly region: string; readonly input: Readonly<Record<string, unknown>> }, world: SimWorld): FleetTarget[] | undefined {
  const state = fleetState(world);
  const complete = ['aws:ResourceTag/', `${service}:ResourceTag/`];
  const input = call.input;
  if (service === 'autoscaling') {
    if (typeof input.AutoScalingGroupName !== 'string') return undefined;
    const group = state.groups.get(placeKey(call.account, call.region, input.AutoScalingGroupName));
    const arn = group?.arn ?? `arn:aws:autoscaling:${call.region}:${call.account}:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${input.AutoScalingGroupName}`;
    return [{ resourceType: 'autoScalingGroup', arn, keys: tagKeys(service, group?.tags), complete }];
  }
  if (typeof input.TargetGroupArn === 'string') {
    return [{ resourceType: 'targetgroup', arn: input.TargetGroupArn, keys: tagKeys(service, state.targetGroups.get(input.TargetGroupArn)?.tags), complete }];
  }
  if (typeof input.LoadBalancerName === 'string') {
    return [{ resourceType: 'loadbalancer', arn: `arn:aws:elasticloadbalancing:${call.region}:${call.account}:loadbalancer/${input.LoadBalancerName}`, keys: {}, complete }];
  }
  return undefined;
}
