/**
 * The fleet options of quarantine-instance and release-instance (issue 11): Auto Scaling and load
 * balancers, with the IAM actions each needs. Off by default, so a deployment gains these
 * permissions only when one of its playbooks turns them on (the shipped compromised-ec2-instance
 * and release-instance playbooks do, and say why). zod/mini: the responders' Lambdas parse these
 * options (lib/contracts/zod-mini.ts). The IAM actions each needs are fleet-iam.ts's, apart: the
 * responders' bundles carry these options and never the action lists.
 */
import * as z from '../contracts/zod-mini';

export const fleetQuarantineOptions = {
  /**
   * Take the instance out of its Auto Scaling group's hands before isolation makes it fail its
   * health checks (the group would terminate it, memory and instance store with it; termination
   * protection does not stop Auto Scaling). `detach`: DetachInstances without decrementing the
   * desired capacity, so the group launches a replacement; `standby`: EnterStandby, same capacity
   * rule. Both first protect the instance from scale-in. `off` (default): the group is not touched.
   */
  autoScaling: z._default(z.enum(['detach', 'standby', 'off']), 'off'),
  /**
   * Deregister the instance from every Application/Network Load Balancer target group and Classic
   * Load Balancer it serves (not only its group's), recording each registration (port,
   * Availability Zone) for release. Default off.
   */
  deregisterFromLoadBalancers: z._default(z.boolean(), false),
};

export const fleetReleaseOptions = {
  /** Put the instance back into the Auto Scaling group recorded at quarantine (AttachInstances or ExitStandby) and its scale-in protection as it was. Default off. */
  restoreAutoScaling: z._default(z.boolean(), false),
  /** Register the instance again in the target groups and Classic Load Balancers recorded at quarantine. Default off. */
  restoreLoadBalancers: z._default(z.boolean(), false),
};
