/**
 * The error vocabulary of `firebreak release`. Exit statuses follow the rest of the CLI: 2 when no
 * release was started because something is missing or wrong (a flag, credentials, region, the
 * stack or its output, the incident key), 1 when AWS refused or failed the start, the release
 * execution did not succeed, or the watch gave up.
 */
import { z } from 'zod';
import { LiveSetupError } from '../errors';
import { FirebreakError } from '../../contracts/errors';

/** Something the release needs is missing or wrong; no execution was started. Exit 2. */
export class ReleaseSetupError extends FirebreakError {
  override readonly name = 'ReleaseSetupError';
}

/** Step Functions refused the start (access denied, a name already used), or following the execution failed. Exit 1. */
export class ReleaseFailedError extends FirebreakError {
  override readonly name = 'ReleaseFailedError';
}

/** Exit status for a release error: 2 when nothing was started for want of something, 1 otherwise. */
export function releaseExitCodeFor(error: unknown): number {
  // The live game day's setup errors (credentials, stack not found) come from the adapters shared with it.
  return error instanceof ReleaseSetupError || error instanceof LiveSetupError || error instanceof z.ZodError ? 2 : 1;
}
