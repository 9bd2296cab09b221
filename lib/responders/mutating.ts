/**
 * Sends one mutating EC2 call in the responder's mode. In dry-run the call carries `DryRun: true`
 * and EC2 answers with an *error*: `DryRunOperation` when it would have been allowed,
 * `UnauthorizedOperation` when IAM would deny it
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/CommonParameters.html).
 */
import type { ResponderMode } from '../contracts/responder-mode';
import { ResponderFailedError } from '../contracts/responder-errors';
import { awsErrorCode, toResponderError } from '../aws/errors';

export type MutationOutcome<T> =
  | { readonly outcome: 'done'; readonly output: T }
  | { readonly outcome: 'would-do' }
  | { readonly outcome: 'would-be-denied'; readonly message: string };

/**
 * Runs `send(dryRun)` once. Enforce: returns the output or throws the classified responder error.
 * Dry-run: returns would-do / would-be-denied; any other answer is classified and thrown.
 */
export async function sendMutating<T>(
  mode: ResponderMode,
  api: string,
  send: (dryRun: boolean) => Promise<T>,
): Promise<MutationOutcome<T>> {
  const dryRun = mode === 'dry-run';
  try {
    const output = await send(dryRun);
    if (dryRun) {
      // EC2 never succeeds a DryRun call; if something did, it may have changed a resource in dry-run.
      throw new ResponderFailedError(`${api} returned success to a DryRun request; refusing to continue in dry-run mode`);
    }
    return { outcome: 'done', output };
  } catch (error) {
    if (error instanceof ResponderFailedError) throw error;
    const code = awsErrorCode(error);
    if (dryRun && code === 'DryRunOperation') return { outcome: 'would-do' };
    if (dryRun && code === 'UnauthorizedOperation') {
      return { outcome: 'would-be-denied', message: error instanceof Error ? error.message : String(error) };
    }
    throw toResponderError(error, api);
  }
}

/** Runs a read-only call, classifying its errors. */
export async function sendReadOnly<T>(api: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw toResponderError(error, api);
  }
}
