/**
 * What the approval function and publish-alert's check of an approval request both read: a leaf,
 * so that neither bundle carries the other's code.
 */
import { DEPLOYMENT_ENV } from '../contracts/environment';

/** Step Functions' answers for a task token no task waits on any more (answered, timed out, execution ended). */
export const CLOSED_TASK_ERROR_CODES: ReadonlySet<string> = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** A comma-separated environment variable as its non-empty, trimmed entries. */
export function environmentList(env: Readonly<Record<string, string | undefined>>, name: string): string[] {
  return (env[name] ?? '').split(',').map((value) => value.trim()).filter((value) => value !== '');
}

/** The guarded playbooks' state machines (FIREBREAK_APPROVAL_STATE_MACHINES), the only ones that ask for approval. */
export function approvalStateMachinesFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): readonly string[] {
  return environmentList(env, DEPLOYMENT_ENV.approvalStateMachines);
}
