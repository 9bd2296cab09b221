/** release-credentials Lambda: undoes what the credential steps recorded, and only that (logic in lib/responders/release-credentials.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { iamClientsFor, memberIamClientsFor } from '../../lib/aws/clients/iam';
import { homeKmsClients } from '../../lib/aws/clients/kms';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';
import { SECURITY_ENV } from '../../lib/contracts/security';
import { DynamoDbApprovalRecords } from '../../lib/responders/approval-records';
import { DynamoDbCredentialReleaseStore } from '../../lib/responders/credential-record-store';
import { DynamoDbGrantReader, releaseGrantCheck } from '../../lib/responders/grants';
import { SfnExecutionStatusReader } from '../../lib/responders/execution-status';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { createResponderLogger } from '../../lib/responders/logging';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { KmsMacVerifier } from '../../lib/responders/record-mac';
import { createReleaseCredentialsHandler, releaseCredentialsOptionsSchema } from '../../lib/responders/release-credentials';
import { ApprovalReleaseClearance } from '../../lib/responders/release-clearance';
import { withResponseMetrics } from '../../lib/responders/response-metrics';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { deployedStepsOf } from '../../lib/responders/step-binding';

const stateTable = stateTableFromEnv();
const logger = createResponderLogger('release-credentials');
const access = targetAccessFromEnvironment();
// Users' keys and policies through the member role; the role's inline policy through the session revoker.
const clients = memberIamClientsFor(access);
const revokerClients = iamClientsFor(access);
const dynamodb = homeDynamoDbClients().dynamodb();
// Step Functions in the security account: a grant clears a step only while its execution runs (states:DescribeExecution).
const executions = new SfnExecutionStatusReader(homeSfnClients().sfn());
// The record key is the deployment's (never the record's): kms:VerifyMac before anything changes.
const records = new DynamoDbCredentialReleaseStore(dynamodb, stateTable, new KmsMacVerifier(homeKmsClients().kms(), process.env[SECURITY_ENV.recordKey] ?? ''));
// The guard's release grant of this execution, then its approval (the approver is the releaser).
const clearance = new ApprovalReleaseClearance(
  new DynamoDbApprovalRecords(dynamodb, stateTable),
  releaseGrantCheck(
    new DynamoDbGrantReader(dynamodb, stateTable, executions),
    RESPONDER_NAMES.releaseCredentials,
    // Only the release-credentials playbooks' step, with their options and request (lib/responders/step-binding.ts).
    deployedStepsOf(process.env, releaseCredentialsOptionsSchema),
  ),
);

export const createHandler = createReleaseCredentialsHandler;
export const handler = withResponseMetrics(
  'release-credentials',
  recordedStep(RESPONDER_NAMES.releaseCredentials, createHandler({ clients, revokerClients, records, clearance, logger }), logger, dynamodb),
  { sink: createResponseMetricsSink('release-credentials') },
);
