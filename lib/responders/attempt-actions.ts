/**
 * The actions one attempt of a step took, for its incident-record entry when the attempt throws.
 *
 * A responder's ActionLog ends in its result, so an attempt that throws loses it; and the changes
 * of a phase cut short by another call of the same phase (the first ENI moved, the second
 * throttled) are not even in the log yet, since a phase records its actions once it ends
 * (pending-actions.ts). Without them a retried quarantine's record dates every change by the
 * attempt that succeeded, and a post-incident review cannot see what the failed attempt changed.
 *
 * So recordingHandler runs each attempt inside an AsyncLocalStorage context, and every ActionLog
 * entry and every mutating call's outcome (mutateEc2, mutateUnprobed) also lands there, stamped
 * when it happened. No responder passes anything in, and nothing is attached to the error: the
 * Lambda error payload Step Functions' Retry/Catch match (errorType, errorMessage, trace) stays
 * what it was. Each attempt has its own context, so parallel branches in one game-day process
 * never see each other's actions. Outside a recorded attempt (tests, the CLI) noting is a no-op.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ResponderAction } from './model';

/** A mutating call's outcome before its phase records it (pending-actions.ts's PendingAction). */
type SettledAction = Omit<ResponderAction, 'at'>;

class AttemptActions {
  private readonly logged: ResponderAction[] = [];
  private readonly settled: ResponderAction[] = [];
  /** Whether the responder's own check confirmed that its playbook execution invoked it (noteVerifiedOrigin). */
  originVerified = false;

  constructor(private readonly now: () => Date) {}

  noteLogged(action: ResponderAction): void {
    this.logged.push(action);
  }

  noteSettled(action: SettledAction): void {
    this.settled.push({ ...action, at: this.now().toISOString() });
  }

  /**
   * What the attempt took: its log in order, then the settled calls its log does not hold yet (a
   * phase cut short). A call is matched to its log entry by API and target only, once each: a
   * responder may reword a call's outcome before logging it (a group's id added to the detail, a
   * rule already gone logged as already-done), and the log's words are the ones kept. The earliest
   * calls are the ones matched, since the log holds every phase that ended.
   */
  taken(): ResponderAction[] {
    const logged = new Map<string, number>();
    for (const action of this.logged) logged.set(callOf(action), (logged.get(callOf(action)) ?? 0) + 1);
    const pending = this.settled.filter((action) => {
      const left = logged.get(callOf(action)) ?? 0;
      if (left === 0) return true;
      logged.set(callOf(action), left - 1);
      return false;
    });
    return [...this.logged, ...pending];
  }
}

function callOf(action: SettledAction): string {
  return JSON.stringify([action.api, action.target]);
}

const current = new AsyncLocalStorage<AttemptActions>();

/**
 * Runs one attempt of a step, keeping what it did: its value, or its error (unchanged) with the actions
 * it took before, and whether the responder confirmed its invocation's origin (noteVerifiedOrigin).
 */
export async function runAttempt<T>(
  attempt: () => Promise<T>,
  now: () => Date,
): Promise<
  | { readonly ok: true; readonly value: T; readonly originVerified: boolean }
  | { readonly ok: false; readonly error: unknown; readonly actions: readonly ResponderAction[]; readonly originVerified: boolean }
> {
  const actions = new AttemptActions(now);
  try {
    const value = await current.run(actions, attempt);
    return { ok: true, value, originVerified: actions.originVerified };
  } catch (error) {
    return { ok: false, error, actions: actions.taken(), originVerified: actions.originVerified };
  }
}

/**
 * Notes that the attempt's own check confirmed its invocation came from its playbook execution: the
 * execution's history scheduled this very task (step-origin.ts, alert-origin.ts), the guard's
 * DescribeExecution (containment-guard.ts), or a grant of a RUNNING execution that clears it
 * (grants.ts). The incident record counts such an entry against the steps' whole budget, any other
 * against the smaller one of unconfirmed invocations (incident-record.ts, docs/security.md row 17d).
 */
export function noteVerifiedOrigin(): void {
  const store = current.getStore();
  if (store) store.originVerified = true;
}

/** Notes an action an ActionLog recorded (action-log.ts). */
export function noteLoggedAction(action: ResponderAction): void {
  current.getStore()?.noteLogged(action);
}

/** Notes a mutating call's outcome as soon as it is known, before its phase records it. */
export function noteSettledAction(action: SettledAction): void {
  current.getStore()?.noteSettled(action);
}
