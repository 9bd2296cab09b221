/**
 * The IAM actions the fleet options (fleet-options.ts) need, for the playbook action registry
 * (actions.ts). Kept out of fleet-options.ts, which the responders' Lambdas bundle: the action
 * lists are top-level arrays built by spreads, which a bundler keeps even where nothing reads them.
 */
import {
  AUTO_SCALING_QUARANTINE_ACTIONS,
  AUTO_SCALING_RELEASE_ACTIONS,
  LOAD_BALANCER_QUARANTINE_ACTIONS,
  LOAD_BALANCER_RELEASE_ACTIONS,
} from '../contracts/fleet-iam-actions';

/** The IAM actions quarantine-instance needs for the fleet options it is given. */
export function fleetQuarantineIamActions(options: Record<string, unknown>): string[] {
  const mode = options.autoScaling;
  return [
    ...(mode === 'detach' || mode === 'standby' ? AUTO_SCALING_QUARANTINE_ACTIONS[mode] : []),
    ...(options.deregisterFromLoadBalancers === true ? LOAD_BALANCER_QUARANTINE_ACTIONS : []),
  ];
}

/** The IAM actions release-instance needs for the fleet options it is given. */
export function fleetReleaseIamActions(options: Record<string, unknown>): string[] {
  return [
    ...(options.restoreAutoScaling === true ? AUTO_SCALING_RELEASE_ACTIONS : []),
    ...(options.restoreLoadBalancers === true ? LOAD_BALANCER_RELEASE_ACTIONS : []),
  ];
}
