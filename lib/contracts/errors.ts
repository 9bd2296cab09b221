/**
 * Firebreak's error vocabulary, written once: the base of every named error, and the error names
 * its state machines raise and catch (Step Functions `Error` / `ErrorEquals`).
 */

/**
 * The base of Firebreak's named errors. A subclass sets only its `name`, which is part of a
 * contract (a state machine's `Retry`/`Catch`, a CLI exit status, the tests), and keeps the
 * `{ cause }` of what it wraps.
 */
export abstract class FirebreakError extends Error {
  abstract override readonly name: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The error `firebreak reject` sends with SendTaskFailure; the compiled approval state catches it. */
export const APPROVAL_REJECTED_ERROR = 'Firebreak.ApprovalRejected';

/** Error of the Fail state that ends the dispatch of an invalid event (after it was kept and alerted). */
export const INVALID_EVENT_ERROR = 'Firebreak.InvalidEvent';

/** Error of the Fail state that ends an alert-only dispatch whose alert could not be published (after the event was kept). */
export const ALERT_FAILED_ERROR = 'Firebreak.AlertFailed';

/** The dispatch error recorded when triage answers an outcome the dispatcher does not know. */
export const UNKNOWN_TRIAGE_OUTCOME_ERROR = 'Firebreak.UnknownTriageOutcome';
