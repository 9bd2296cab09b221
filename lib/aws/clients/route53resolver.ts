/** Route 53 Resolver clients for the DNS Firewall responders (only `@aws-sdk/client-route53resolver`). */
import { Route53ResolverClient } from '@aws-sdk/client-route53resolver';
import type { Route53ResolverClientConfig } from '@aws-sdk/client-route53resolver';
import type { AwsTarget, TargetAccess, TargetClientConfig } from './access';
import { clientsPerTarget } from './access';

export interface Route53ResolverClients {
  /** Route 53 Resolver (DNS Firewall) in the incident's account and region, where the VPC lives. */
  route53resolver(target: AwsTarget): Promise<Route53ResolverClient>;
}

/** Route 53 Resolver clients through `access` (own credentials or the member role), one per account and region. */
export function route53ResolverClientsFor(
  access: TargetAccess,
  make: (config: TargetClientConfig) => Route53ResolverClient = (config) => new Route53ResolverClient(config as Route53ResolverClientConfig),
): Route53ResolverClients {
  return { route53resolver: clientsPerTarget(access, { role: 'member' }, make) };
}
