/** quarantine-s3-object Lambda: tags an object a malware scan found threats in, optionally copies it to quarantine (logic in lib/responders/quarantine-s3-object.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { s3ClientsFor } from '../../lib/aws/clients/s3';
import { DynamoDbGrantReader } from '../../lib/responders/grants';
import { SfnExecutionStatusReader } from '../../lib/responders/execution-status';
import { createResponderLogger } from '../../lib/responders/logging';
import { createQuarantineS3ObjectHandler } from '../../lib/responders/quarantine-s3-object';
import { DynamoDbQuarantineCopyRecords } from '../../lib/responders/quarantine-copy-records';
import { DynamoDbS3ObjectClaimer } from '../../lib/responders/s3-object-claims';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { withResponseMetrics } from '../../lib/responders/response-metrics';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { QUARANTINE_S3_OBJECT } from '../../lib/contracts/responders';

const stateTable = stateTableFromEnv();
const logger = createResponderLogger('quarantine-s3-object');
// S3 in the account that owns the bucket; DynamoDB (the grants, the claims, the copies made) in the security account.
const clients = s3ClientsFor(targetAccessFromEnvironment());
const dynamodb = homeDynamoDbClients().dynamodb();
// Step Functions in the security account: a grant clears a step only while its execution runs (states:DescribeExecution).
const executions = new SfnExecutionStatusReader(homeSfnClients().sfn());

export const createHandler = createQuarantineS3ObjectHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): failures by responder and error (lib/responders/response-metrics.ts).
export const handler = withResponseMetrics('quarantine-s3-object', recordedStep(QUARANTINE_S3_OBJECT, createHandler({ clients, logger, grants: new DynamoDbGrantReader(dynamodb, stateTable, executions), claims: new DynamoDbS3ObjectClaimer(dynamodb, stateTable), copies: new DynamoDbQuarantineCopyRecords(dynamodb, stateTable) }), logger, dynamodb), { sink: createResponseMetricsSink('quarantine-s3-object') });
