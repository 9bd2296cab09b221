/** EC2 clients for responders that act in the incident's account (only `@aws-sdk/client-ec2`). */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsTarget, TargetAccess, TargetClientConfig } from './access';
import { clientsPerTarget } from './access';

export interface Ec2Clients {
  /** EC2 in the incident's account and region. */
  ec2(target: AwsTarget): Promise<EC2Client>;
}

/** EC2 clients through `access` (own credentials or the member role), one per account and region. */
export function ec2ClientsFor(
  access: TargetAccess,
  make: (config: TargetClientConfig) => EC2Client = (config) => new EC2Client(config),
): Ec2Clients {
  return { ec2: clientsPerTarget(access, { role: 'member' }, make) };
}
