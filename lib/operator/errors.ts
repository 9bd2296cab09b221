/**
 * The operator tools' error vocabulary: the live game day's, and the report's. Exit statuses follow
 * the rest of the CLI: 2 when nothing was injected because something is missing (credentials,
 * region, the deployed stack, one of its outputs, GuardDuty, a valid flag), 1 when AWS refused or
 * failed the injection or the watch.
 */
import { FirebreakError } from '../contracts/errors';

/** Something the injection needs is missing or wrong; nothing was put on the bus. Exit 2. */
export class LiveSetupError extends FirebreakError {
  override readonly name = 'LiveSetupError';
}

/** EventBridge or GuardDuty answered, but refused the injection (a failed PutEvents entry, access denied). Exit 1. */
export class InjectionRejectedError extends FirebreakError {
  override readonly name = 'InjectionRejectedError';
}

/** Following the executions failed for a reason other than a missing thing (throttling that outlasted retries, access denied). Exit 1. */
export class WatchFailedError extends FirebreakError {
  override readonly name = 'WatchFailedError';
}

/** A credential record's seal could not be checked for the report (no record key, VerifyMac refused): not a check that failed. */
export class RecordSealUncheckedError extends FirebreakError {
  override readonly name = 'RecordSealUncheckedError';
}

/** Exit status for an error of the live game day: 2 when nothing was injected for want of something, 1 otherwise. */
export function liveExitCodeFor(error: unknown): number {
  return error instanceof LiveSetupError ? 2 : 1;
}
