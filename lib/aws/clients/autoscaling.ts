/** Auto Scaling clients for responders that act in the incident's account (only `@aws-sdk/client-auto-scaling`). */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { AwsTarget, TargetAccess, TargetClientConfig } from './access';
import { clientsPerTarget } from './access';

export interface AutoScalingClients {
  /** Amazon EC2 Auto Scaling in the incident's account and region. */
  autoScaling(target: AwsTarget): Promise<AutoScalingClient>;
}

/** Auto Scaling clients through `access` (own credentials or the member role), one per account and region. */
export function autoScalingClientsFor(
  access: TargetAccess,
  make: (config: TargetClientConfig) => AutoScalingClient = (config) => new AutoScalingClient(config),
): AutoScalingClients {
  return { autoScaling: clientsPerTarget(access, { role: 'member' }, make) };
}
