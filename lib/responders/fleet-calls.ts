/**
 * One mutating call to Amazon EC2 Auto Scaling or Elastic Load Balancing in the responder's mode.
 * Neither API has a DryRun parameter (unlike EC2's), so a dry-run cannot prove the permission or
 * the outcome: it sends nothing and says what it would do, with "cannot dry-run" in the timeline.
 */
import type { ResponderMode } from '../contracts/responder-mode';
import { ResponderFailedError } from '../contracts/responder-errors';
import type { PendingAction } from './pending-actions';
import { mutateUnprobed } from './pending-actions';

/** The services these calls go to, as a person reads them. */
export type FleetService = 'Amazon EC2 Auto Scaling' | 'Elastic Load Balancing';

/** Enforce: sends and describes what was done. Dry-run: sends nothing and says it cannot dry-run. */
export function mutateFleet<T>(
  mode: ResponderMode,
  service: FleetService,
  api: string,
  target: string,
  what: string,
  send: () => Promise<T>,
): Promise<{ readonly action: PendingAction; readonly output?: T }> {
  return mutateUnprobed(mode, api, target, what, send, `cannot dry-run: ${service} has no DryRun parameter, so nothing was sent`);
}

/** A client the step needs but the deployment did not wire: a configuration error, said plainly. */
export async function requiredClient<C>(make: ((target: { account: string; region: string }) => Promise<C>) | undefined, target: { account: string; region: string }, what: string): Promise<C> {
  if (!make) throw new ResponderFailedError(`No ${what} client is configured for this responder, but the step's options need one`);
  return make(target);
}
