/**
 * The names of the containment guard in a compiled playbook and the outcomes of its guarded paths:
 * the compiler (compile.ts) writes them, publish-alert reads them. A module of its own so that the
 * alert Lambda does not bundle the compiler and every action definition to read three names.
 */
import { RESPONDER_NAMES } from '../contracts/responders';

/** The responder of the guard state (lambdas/containment-guard). */
export const GUARD_RESPONDER = RESPONDER_NAMES.containmentGuard;
/** The guard's Task state; its result is kept like a step's, at `$.results.Guard.result`. */
export const GUARD_STATE = 'Guard';

/**
 * Which guarded path a report alert comes from (`reason.outcome` of its payload): the alert says
 * why containment did not run, or who let it run. `approval` (the answer, or the rejection's
 * `{ Error, Cause }`) accompanies every outcome but evidence-only.
 */
export type GuardedOutcome = 'evidence-only' | 'approved' | 'rejected' | 'timed-out' | 'timed-out-contained';
