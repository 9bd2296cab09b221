/**
 * The responders' error vocabulary. The class names are the contract with the state machines:
 * Lambda reports `error.name` as the Step Functions error, so playbook `Retry` matches
 * `TransientResponderError` and `Catch` handles everything else as final.
 */
import { FirebreakError } from './errors';

/** Throttling, 5xx, timeouts: worth retrying with backoff. */
export class TransientResponderError extends FirebreakError {
  override readonly name = 'TransientResponderError';
}

/** The input does not match the responder's schema. Final. */
export class ResponderInputError extends FirebreakError {
  override readonly name = 'ResponderInputError';
}

/** AWS refused the call for lack of permission (in enforce mode). Final: fix IAM, then re-run. */
export class ResponderAccessDeniedError extends FirebreakError {
  override readonly name = 'ResponderAccessDeniedError';
}

/** The responder cannot act in the finding's account: the member role is missing or not trusted. Final. */
export class MemberRoleUnavailableError extends FirebreakError {
  override readonly name = 'MemberRoleUnavailableError';
  constructor(
    message: string,
    readonly account: string,
    readonly roleName: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The incident's account is not one this deployment serves (its own account, the allowlist, or the
 * organization through the member role). Final: the responder made no call there, and never falls
 * back to the security account's own credentials for another account's incident.
 */
export class UnservedAccountError extends FirebreakError {
  override readonly name = 'UnservedAccountError';
  constructor(
    message: string,
    readonly account: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Any other AWS error that retrying will not cure. Final. */
export class ResponderFailedError extends FirebreakError {
  override readonly name = 'ResponderFailedError';
}

/**
 * publish-alert refused an approval request it could not verify against Step Functions (no such
 * running execution of this deployment's guarded playbooks, another incident, a task token that does
 * not wait, or another live token stored already): it stored nothing and published nothing. Final.
 */
export class ApprovalRequestRefusedError extends FirebreakError {
  override readonly name = 'ApprovalRequestRefusedError';
}

/**
 * A step that acts without a containment grant (snapshot-volumes, copy-evidence) was invoked by
 * something that is not a running playbook execution of this deployment whose own history scheduled
 * this very task with exactly this input (lib/responders/step-origin.ts): it did nothing. Final: a
 * direct invocation, an ended execution, another state machine's or another input.
 */
export class StepOriginRefusedError extends FirebreakError {
  override readonly name = 'StepOriginRefusedError';
}

/**
 * The evidence a step needs is not ready yet (EBS snapshots still `pending`: CopySnapshot needs a
 * completed source). Not a failure: the compiled step retries it on a wait schedule of its own
 * (`retryWhileWaiting` of the action), and only when that schedule is spent does it fail the step.
 */
export class EvidencePendingError extends FirebreakError {
  override readonly name = 'EvidencePendingError';
}

/**
 * quarantine-instance could not claim the instance: the last release of another incident holds its
 * pre-quarantine record for its restore (lib/contracts/restore-hold.ts), so a claim now would be
 * undone by that restore. Nothing was changed. Not a failure: the compiled step retries it on a wait
 * schedule of its own (`retryWhileWaiting` of the action) that outlasts the hold, so that a release
 * that died holding the record (its Lambda timed out) delays the containment but never loses it.
 */
export class RecordHeldForRestoreError extends FirebreakError {
  override readonly name = 'RecordHeldForRestoreError';
}

/** Error names a state machine retries. */
export const TRANSIENT_ERROR_NAMES = [
  'TransientResponderError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;
