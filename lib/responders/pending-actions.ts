/**
 * Helpers shared by the containment responders (quarantine, release): one mutating call in the
 * responder's mode, turned into the timeline entry it deserves, and a Promise.all that never
 * leaves a call in flight when it fails.
 */
import { toResponderError } from '../aws/errors';
import { sendMutating } from './mutating';
import type { ActionLog } from './action-log';
import { noteSettledAction } from './attempt-actions';
import {
  MemberRoleUnavailableError,
  ResponderAccessDeniedError,
  ResponderFailedError,
  ResponderInputError,
  TransientResponderError,
} from '../contracts/responder-errors';
import type { ActionOutcome } from './model';
import type { ResponderMode } from '../contracts/responder-mode';

/** A timeline entry not yet stamped with its time (recorded in a fixed order once a phase ends). */
export interface PendingAction {
  readonly api: string;
  readonly target: string;
  readonly outcome: ActionOutcome;
  readonly detail: string;
}

/** Records pending actions in order. */
export function recordAll(log: ActionLog, actions: readonly PendingAction[]): void {
  for (const a of actions) log.record(a.api, a.target, a.outcome, a.detail);
}

/**
 * Sends one mutating EC2 call (`send(dryRun)` must pass `DryRun: true` when asked) and describes
 * the outcome: done, would-do (EC2 answered DryRunOperation) or would-be-denied
 * (UnauthorizedOperation). Other errors are thrown as responder errors by `sendMutating`.
 */
export async function mutateEc2<T>(
  mode: ResponderMode,
  api: string,
  target: string,
  what: string,
  send: (dryRun: boolean) => Promise<T>,
): Promise<{ readonly action: PendingAction; readonly output?: T }> {
  return settled(await mutateEc2Outcome(mode, api, target, what, send));
}

async function mutateEc2Outcome<T>(
  mode: ResponderMode,
  api: string,
  target: string,
  what: string,
  send: (dryRun: boolean) => Promise<T>,
): Promise<{ readonly action: PendingAction; readonly output?: T }> {
  const result = await sendMutating(mode, api, send);
  switch (result.outcome) {
    case 'done':
      return { action: { api, target, outcome: 'done', detail: capitalize(what) }, output: result.output };
    case 'would-do':
      return { action: { api, target, outcome: 'would-do', detail: `Would ${what} (EC2 answered DryRunOperation)` } };
    case 'would-be-denied':
      return {
        action: {
          api,
          target,
          outcome: 'would-be-denied',
          detail: `Would ${what}, but EC2 would deny it (UnauthorizedOperation): ${result.message}`,
        },
      };
  }
}

/**
 * Notes a call's outcome for the attempt the moment it is known: should another call of the same
 * phase fail, the phase never records it, yet the incident record must show it was made
 * (attempt-actions.ts).
 */
function settled<R extends { readonly action: PendingAction }>(result: R): R {
  noteSettledAction(result.action);
  return result;
}

/**
 * For APIs without a `DryRun` parameter (IAM, DisassociateIamInstanceProfile,
 * AssociateIamInstanceProfile, the record store, Auto Scaling, ELB): enforce sends, dry-run only
 * reports, with `dryRunNote` (why nothing was probed) in the timeline.
 */
export async function mutateUnprobed<T>(
  mode: ResponderMode,
  api: string,
  target: string,
  what: string,
  send: () => Promise<T>,
  dryRunNote = 'not probed: this API has no DryRun',
): Promise<{ readonly action: PendingAction; readonly output?: T }> {
  if (mode === 'dry-run') {
    return settled({
      action: { api, target, outcome: 'would-do', detail: `Would ${what} (${dryRunNote})` },
    });
  }
  let output: T;
  try {
    output = await send();
  } catch (error) {
    throw isResponderError(error) ? error : toResponderError(error, api);
  }
  return settled({ action: { api, target, outcome: 'done', detail: capitalize(what) }, output });
}

/** True for errors already in the responders' vocabulary (not to be classified again). */
export function isResponderError(error: unknown): boolean {
  return (
    error instanceof TransientResponderError ||
    error instanceof ResponderFailedError ||
    error instanceof ResponderAccessDeniedError ||
    error instanceof ResponderInputError ||
    error instanceof MemberRoleUnavailableError
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

type SettledValues<T extends readonly unknown[]> = { -readonly [K in keyof T]: Awaited<T[K]> };

/**
 * Like Promise.all, but waits for every promise to settle before throwing the first error, so no
 * call is still in flight (and no rejection unobserved) when a responder gives up.
 */
export async function settleAll<T extends readonly unknown[]>(promises: T): Promise<SettledValues<T>> {
  const settled = await Promise.allSettled(promises);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as SettledValues<T>;
}
