/** disable-access-key Lambda: sets the IAM user access keys a finding names Inactive (logic in lib/responders/disable-access-key.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { memberIamClientsFor } from '../../lib/aws/clients/iam';
import { createDisableAccessKeyHandler } from '../../lib/responders/disable-access-key';
import { DynamoDbGrantReader } from '../../lib/responders/grants';
import { SfnExecutionStatusReader } from '../../lib/responders/execution-status';
import { createResponderLogger } from '../../lib/responders/logging';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { withResponseMetrics } from '../../lib/responders/response-metrics';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';
import { homeKmsClients } from '../../lib/aws/clients/kms';
import { SECURITY_ENV } from '../../lib/contracts/security';
import { DynamoDbCredentialRecordSaver } from '../../lib/responders/credential-records';
import { KmsMacGenerator } from '../../lib/responders/record-mac';

const stateTable = stateTableFromEnv();
const logger = createResponderLogger('disable-access-key');
// IAM in the served accounts through the member role (never the session revoker); DynamoDB in the security account.
const clients = memberIamClientsFor(targetAccessFromEnvironment());
const dynamodb = homeDynamoDbClients().dynamodb();
// Step Functions in the security account: a grant clears a step only while its execution runs (states:DescribeExecution).
const executions = new SfnExecutionStatusReader(homeSfnClients().sfn());
// The sealed record of each change (lib/responders/credential-records.ts), MACed with the deployment's record key.
const records = new DynamoDbCredentialRecordSaver(dynamodb, stateTable, new KmsMacGenerator(homeKmsClients().kms(), process.env[SECURITY_ENV.recordKey] ?? ''));

export const createHandler = createDisableAccessKeyHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): failures by responder and error (lib/responders/response-metrics.ts).
export const handler = withResponseMetrics('disable-access-key', recordedStep(RESPONDER_NAMES.disableAccessKey, createHandler({ clients, logger, grants: new DynamoDbGrantReader(dynamodb, stateTable, executions), records }), logger, dynamodb), { sink: createResponseMetricsSink('disable-access-key') });
