/**
 * What release-instance does for fleets, after the ENIs are back in their groups (so the instance
 * passes its health checks when it returns): back into the Auto Scaling group, then back behind
 * the load balancers the group does not manage (release-autoscaling.ts, release-load-balancers.ts).
 */
import type { ResponderMode } from '../contracts/responder-mode';
import type { ObservedInstance } from './instance-state';
import type { PendingAction } from './pending-actions';
import type { FleetClients } from './quarantine-fleet';
import type { QuarantineRecord } from './quarantine-records';
import { restoreAutoScaling } from './release-autoscaling';
import { restoreLoadBalancers } from './release-load-balancers';
import type { ReleaseOptions } from './release-plan';

/** What the release result says of the fleet. */
export interface FleetRelease {
  /** Back in the group, or why it was left out. */
  readonly autoScaling?: string;
}

export async function releaseFleet(
  clients: FleetClients,
  target: { readonly account: string; readonly region: string },
  mode: ResponderMode,
  record: QuarantineRecord,
  options: Pick<ReleaseOptions, 'restoreAutoScaling' | 'restoreLoadBalancers'>,
  instance: Pick<ObservedInstance, 'networkInterfaces'>,
): Promise<{ readonly actions: PendingAction[]; readonly result?: FleetRelease }> {
  const group = await restoreAutoScaling(clients, target, mode, record.instanceId, record.autoScaling, options.restoreAutoScaling, record.capturedAt);
  const balancers = await restoreLoadBalancers(clients, target, mode, record.instanceId, record.loadBalancers, {
    enabled: options.restoreLoadBalancers,
    backInGroup: group.returned,
    interfaces: instance.networkInterfaces,
    recordedInterfaceIds: new Set(record.networkInterfaces.map((eni) => eni.networkInterfaceId)),
    capturedAt: record.capturedAt,
  });
  return { actions: [...group.actions, ...balancers], ...(group.summary !== undefined ? { result: { autoScaling: group.summary } } : {}) };
}
