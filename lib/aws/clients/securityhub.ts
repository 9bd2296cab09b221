/** Security Hub clients for the write-back responder (only `@aws-sdk/client-securityhub`). */
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { AwsTarget, TargetAccess, TargetClientConfig } from './access';
import { clientsPerTarget } from './access';

export interface SecurityHubClients {
  /**
   * Security Hub in the finding's own account and region, through the member role: GuardDuty sends
   * its findings to the Security Hub of the same account and region, and a member account may
   * update its own findings with BatchUpdateFindings (the administrator's view follows).
   */
  securityhub(target: AwsTarget): Promise<SecurityHubClient>;
}

/** Security Hub clients through `access` (own credentials or the member role), one per account and region. */
export function securityHubClientsFor(
  access: TargetAccess,
  make: (config: TargetClientConfig) => SecurityHubClient = (config) => new SecurityHubClient(config),
): SecurityHubClients {
  return { securityhub: clientsPerTarget(access, { role: 'member' }, make) };
}
