/**
 * One mutating call to Amazon EC2 Auto Scaling or Elastic Load Balancing in the responder's mode.
 * Neither API has a DryRun parameter (unlike EC2's), so a dry-run cannot prove the permission or
 * the outcome: it sends nothing and says what it would do, with "cannot dry-run" in the timeline.
 */
import { toResponderError } from '../aws/errors';
import type { ResponderMode } from '../contracts/responder-mode';
import { ResponderFailedError } from '../contracts/responder-errors';
import type { PendingAction } from './pending-actions';
import { isResponderError } from './pending-actions';

/** The services these calls go to, as a person reads them. */
export type FleetService = 'Amazon EC2 Auto Scaling' | 'Elastic Load Balancing';

/** Enforce: sends and describes what was done. Dry-run: sends nothing and says it cannot dry-run. */
export async function mutateFleet<T>(
  mode: ResponderMode,
  service: FleetService,
  api: string,
  target: string,
  what: string,
  send: () => Promise<T>,
): Promise<{ readonly action: PendingAction; readonly output?: T }> {
  if (mode === 'dry-run') {
    return {
      action: { api, target, outcome: 'would-do', detail: `Would ${what} (cannot dry-run: ${service} has no DryRun parameter, so nothing was sent)` },
    };
  }
  let output: T;
  try {
    output = await send();
  } catch (error) {
    throw isResponderError(error) ? error : toResponderError(error, api);
  }
  return { action: { api, target, outcome: 'done', detail: what.charAt(0).toUpperCase() + what.slice(1) } , output };
}

/** A client the step needs but the deployment did not wire: a configuration error, said plainly. */
export async function requiredClient<C>(make: ((target: { account: string; region: string }) => Promise<C>) | undefined, target: { account: string; region: string }, what: string): Promise<C> {
  if (!make) throw new ResponderFailedError(`No ${what} client is configured for this responder, but the step's options need one`);
  return make(target);
}
