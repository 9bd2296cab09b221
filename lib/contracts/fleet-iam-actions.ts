/**
 * The IAM actions quarantine-instance and release-instance need for fleets (issue 11), written
 * once: the playbook action registry grants them per option, the responders call exactly these.
 * Amazon EC2 Auto Scaling and Elastic Load Balancing have no DryRun parameter: in dry-run the
 * responders make only the Describe* calls and say what they would change.
 */

/** Reading the instance's Auto Scaling group (no resource-level permissions: Resource `*`). */
export const AUTO_SCALING_READ_ACTIONS = [
  'autoscaling:DescribeAutoScalingInstances',
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeLifecycleHooks',
] as const;

/**
 * quarantine-instance, per `autoScaling` mode: protect from scale-in, then detach or standby; an
 * instance a launch hook holds in Pending:Wait cannot leave, and its launch hooks' waits are
 * extended instead (RecordLifecycleActionHeartbeat), so that the group does not terminate it.
 */
export const AUTO_SCALING_QUARANTINE_ACTIONS = {
  detach: [...AUTO_SCALING_READ_ACTIONS, 'autoscaling:SetInstanceProtection', 'autoscaling:DetachInstances', 'autoscaling:RecordLifecycleActionHeartbeat'],
  standby: [...AUTO_SCALING_READ_ACTIONS, 'autoscaling:SetInstanceProtection', 'autoscaling:EnterStandby', 'autoscaling:RecordLifecycleActionHeartbeat'],
} as const;

/** release-instance: back into the group (whichever way it left) and its protection as recorded. */
export const AUTO_SCALING_RELEASE_ACTIONS = [
  ...AUTO_SCALING_READ_ACTIONS,
  'autoscaling:AttachInstances',
  'autoscaling:ExitStandby',
  'autoscaling:SetInstanceProtection',
] as const;

/** Finding every target group and Classic Load Balancer the instance serves (Resource `*`). */
export const LOAD_BALANCER_READ_ACTIONS = [
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetHealth',
  'elasticloadbalancing:DescribeLoadBalancers',
] as const;

/** quarantine-instance: deregister from every target group and Classic Load Balancer found. */
export const LOAD_BALANCER_QUARANTINE_ACTIONS = [
  ...LOAD_BALANCER_READ_ACTIONS,
  'elasticloadbalancing:DeregisterTargets',
  'elasticloadbalancing:DeregisterInstancesFromLoadBalancer',
] as const;

/**
 * release-instance: register the recorded targets again (registration is idempotent), after reading
 * each recorded Classic Load Balancer, whose name may since be another one's (row 3l).
 */
export const LOAD_BALANCER_RELEASE_ACTIONS = [
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:RegisterTargets',
  'elasticloadbalancing:RegisterInstancesWithLoadBalancer',
] as const;
