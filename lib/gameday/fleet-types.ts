/** The fleet shapes the game-day backend shares (issue 11); account-backend/fleet.ts creates and reads them. */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';

/** The backend's own fleet clients. */
export interface FleetOperatorClients {
  autoScaling(): Promise<AutoScalingClient>;
  elbv2(): Promise<ElasticLoadBalancingV2Client>;
  elb(): Promise<ElasticLoadBalancingClient>;
}

/** What prepare made: target group ARNs, classic names and group names by scenario name. */
export interface ResolvedFleet {
  readonly targetGroups: Readonly<Record<string, string>>;
  readonly classicLoadBalancers: Readonly<Record<string, string>>;
  readonly autoScalingGroups: Readonly<Record<string, string>>;
}

/** Who is where after the run, by scenario name of the group or load balancer (instance ids). */
export interface InspectedFleet {
  readonly autoScalingGroups: Readonly<Record<string, { readonly desiredCapacity: number; readonly members: Readonly<Record<string, { readonly state: string; readonly protectedFromScaleIn: boolean }>> } | undefined>>;
  readonly targetGroups: Readonly<Record<string, readonly string[]>>;
  readonly classicLoadBalancers: Readonly<Record<string, readonly string[]>>;
}

