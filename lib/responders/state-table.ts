/**
 * The deployment's state table (records, grants, approvals, blast-radius counter), read from the
 * Lambda environment at cold start: a function deployed without it fails at once, naming the
 * variable, as a missing alert topic does, instead of at the first incident.
 */
import { DEPLOYMENT_ENV } from '../contracts/environment';
import { FirebreakError } from '../contracts/errors';

/** DynamoDB table names: 3-255 characters of `[a-zA-Z0-9_.-]` (DynamoDB naming rules). */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** The function was deployed without a usable FIREBREAK_STATE_TABLE. */
export class StateTableNotConfiguredError extends FirebreakError {
  override readonly name = 'StateTableNotConfiguredError';
}

/** The state table's name from the Lambda environment; throws StateTableNotConfiguredError naming the variable. */
export function stateTableFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const table = env[DEPLOYMENT_ENV.stateTable]?.trim();
  if (table === undefined || !TABLE_NAME.test(table)) {
    throw new StateTableNotConfiguredError(
      `${DEPLOYMENT_ENV.stateTable} must be the name of the deployment's DynamoDB state table; got ${table === undefined ? 'nothing' : JSON.stringify(table)}`,
    );
  }
  return table;
}
