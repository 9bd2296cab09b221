/** The incident record as a Lambda writes it: the state table and the retention from the function's environment. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { homeDynamoDbClients } from '../aws/clients/dynamodb';
import { DynamoDbIncidentRecords, incidentRecordRetentionDaysFromEnv, recordingHandler } from './incident-record';
import type { IncidentLogger } from './logging';
import { stateTableFromEnv } from './state-table';

/**
 * `handler` appending to the incident record after each invocation (lib/responders/incident-record.ts).
 * Read at cold start: a bad retention setting fails the function at once, naming the variable.
 */
export function recordedStep<Result>(
  step: string,
  handler: (event: unknown) => Promise<Result>,
  logger: Pick<IncidentLogger, 'warn'>,
  dynamodb: DynamoDBClient = homeDynamoDbClients().dynamodb(),
  env: Readonly<Record<string, string | undefined>> = process.env,
): (event: unknown) => Promise<Result> {
  const records = new DynamoDbIncidentRecords(dynamodb, stateTableFromEnv(env), incidentRecordRetentionDaysFromEnv(env));
  return recordingHandler(step, handler, { records, logger });
}
