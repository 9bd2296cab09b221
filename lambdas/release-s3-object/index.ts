/** release-s3-object Lambda: takes Firebreak's infected tags off an object again (logic in lib/responders/release-s3-object.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { s3ClientsFor } from '../../lib/aws/clients/s3';
import { DynamoDbGrantReader } from '../../lib/responders/grants';
import { SfnExecutionStatusReader } from '../../lib/responders/execution-status';
import { createResponderLogger } from '../../lib/responders/logging';
import { createReleaseS3ObjectHandler } from '../../lib/responders/release-s3-object';
import { DynamoDbS3ObjectReleaseClaims } from '../../lib/responders/s3-object-claims';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { withResponseMetrics } from '../../lib/responders/response-metrics';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { RELEASE_S3_OBJECT } from '../../lib/contracts/responders';

const stateTable = stateTableFromEnv();
const logger = createResponderLogger('release-s3-object');
// S3 in the account that owns the bucket; DynamoDB (the grants, the claims) in the security account.
const clients = s3ClientsFor(targetAccessFromEnvironment());
const dynamodb = homeDynamoDbClients().dynamodb();
// Step Functions in the security account: a grant clears a step only while its execution runs (states:DescribeExecution).
const executions = new SfnExecutionStatusReader(homeSfnClients().sfn());

export const createHandler = createReleaseS3ObjectHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): failures by responder and error (lib/responders/response-metrics.ts).
export const handler = withResponseMetrics('release-s3-object', recordedStep(RELEASE_S3_OBJECT, createHandler({ clients, logger, grants: new DynamoDbGrantReader(dynamodb, stateTable, executions), claims: new DynamoDbS3ObjectReleaseClaims(dynamodb, stateTable) }), logger, dynamodb), { sink: createResponseMetricsSink('release-s3-object') });
