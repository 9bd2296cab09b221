/**
 * Elastic Load Balancing clients for responders that act in the incident's account: the v2 API
 * (Application and Network Load Balancers' target groups, `@aws-sdk/client-elastic-load-balancing-v2`)
 * and the Classic Load Balancer API (`@aws-sdk/client-elastic-load-balancing`). One module for both:
 * a responder that deregisters an instance from its load balancers needs both, and no responder needs one alone.
 */
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsTarget, TargetAccess, TargetClientConfig } from './access';
import { clientsPerTarget } from './access';

export interface LoadBalancingClients {
  /** ELB v2 (target groups of Application and Network Load Balancers) in the incident's account and region. */
  elbv2(target: AwsTarget): Promise<ElasticLoadBalancingV2Client>;
  /** Classic Load Balancers in the incident's account and region. */
  elb(target: AwsTarget): Promise<ElasticLoadBalancingClient>;
}

/** ELB clients through `access` (own credentials or the member role), one per account and region. */
export function loadBalancingClientsFor(
  access: TargetAccess,
  make: {
    readonly elbv2?: (config: TargetClientConfig) => ElasticLoadBalancingV2Client;
    readonly elb?: (config: TargetClientConfig) => ElasticLoadBalancingClient;
  } = {},
): LoadBalancingClients {
  return {
    elbv2: clientsPerTarget(access, { role: 'member' }, make.elbv2 ?? ((config) => new ElasticLoadBalancingV2Client(config))),
    elb: clientsPerTarget(access, { role: 'member' }, make.elb ?? ((config) => new ElasticLoadBalancingClient(config))),
  };
}
