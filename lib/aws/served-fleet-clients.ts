/**
 * Auto Scaling and ELB clients for the accounts the deployment serves only, as
 * ServedAccountClientFactory does for EC2 and IAM (member-accounts.ts): for another account they
 * throw UnservedAccountError before a client exists. Lambdas get the same rule from their
 * ServedAccountAccess; the local game day wraps its clients with this.
 */
import type { ServedAccounts } from '../contracts/security';
import type { AwsTarget } from './clients/access';
import { assertServedAccount } from './clients/access';
import type { AutoScalingClients } from './clients/autoscaling';
import type { LoadBalancingClients } from './clients/load-balancing';

export function servedFleetClients(inner: AutoScalingClients & LoadBalancingClients, served: ServedAccounts): AutoScalingClients & LoadBalancingClients {
  const checked =
    <C>(make: (target: AwsTarget) => Promise<C>) =>
    async (target: AwsTarget): Promise<C> => {
      assertServedAccount(target.account, served, target.findingAccount);
      return make(target);
    };
  return { autoScaling: checked((t) => inner.autoScaling(t)), elbv2: checked((t) => inner.elbv2(t)), elb: checked((t) => inner.elb(t)) };
}
