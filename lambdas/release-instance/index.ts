/** release-instance Lambda: restores a quarantined instance to its recorded state (logic in lib/responders/release.ts). */
import { autoScalingClientsFor } from '../../lib/aws/clients/autoscaling';
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { ec2ClientsFor } from '../../lib/aws/clients/ec2';
import { targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { memberIamClientsFor } from '../../lib/aws/clients/iam';
import { homeKmsClients } from '../../lib/aws/clients/kms';
import { loadBalancingClientsFor } from '../../lib/aws/clients/load-balancing';
import { SECURITY_ENV } from '../../lib/contracts/security';
import { DynamoDbApprovalRecords } from '../../lib/responders/approval-records';
import { DynamoDbReleaseGrantReader, releaseGrantCheck } from '../../lib/responders/grants';
import { SfnExecutionStatusReader } from '../../lib/responders/execution-status';
import { createResponderLogger } from '../../lib/responders/logging';
import { DynamoDbQuarantineRecordReleaseStore } from '../../lib/responders/quarantine-records';
import { KmsRecordSealer } from '../../lib/responders/record-integrity';
import { createReleaseInstanceHandler, releaseOptionsSchema } from '../../lib/responders/release';
import { ApprovalReleaseClearance } from '../../lib/responders/release-clearance';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { releaseMetrics, withResponseMetrics } from '../../lib/responders/response-metrics';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';
import { deployedStepsOf } from '../../lib/responders/step-binding';

// Read at cold start: a function deployed without its table fails at once, not at the first incident.
const stateTable = stateTableFromEnv();
const logger = createResponderLogger('release-instance');
// EC2 (Auto Scaling and ELB for fleets; IAM, through the member role, to read the instance profile it
// would associate) in the served accounts; DynamoDB and KMS in the security account.
const access = targetAccessFromEnvironment();
const clients = { ...ec2ClientsFor(access), ...memberIamClientsFor(access), ...autoScalingClientsFor(access), ...loadBalancingClientsFor(access) };
const dynamodb = homeDynamoDbClients().dynamodb();
// Step Functions in the security account: a grant clears a step only while its execution runs (states:DescribeExecution).
const executions = new SfnExecutionStatusReader(homeSfnClients().sfn());
const records = new DynamoDbQuarantineRecordReleaseStore(dynamodb, stateTable);
// The record key is the deployment's (never the record's): kms:VerifyMac before anything changes.
const sealer = new KmsRecordSealer(homeKmsClients().kms(), process.env[SECURITY_ENV.recordKey] ?? '');
// The guard's grant of this execution (lib/responders/grants.ts), with the record it bound, and its approval.
const clearance = new ApprovalReleaseClearance(
  new DynamoDbApprovalRecords(dynamodb, stateTable),
    // Only the release-instance playbooks' step, with their options and request (lib/responders/step-binding.ts).
  releaseGrantCheck(new DynamoDbReleaseGrantReader(dynamodb, stateTable, executions), RESPONDER_NAMES.releaseInstance, deployedStepsOf(process.env, releaseOptionsSchema)),
);

/** Builds the handler over injected clients and record store: the local game day runs exactly this. */
export const createHandler = createReleaseInstanceHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): lib/responders/response-metrics.ts.
export const handler = withResponseMetrics('release-instance', recordedStep(RESPONDER_NAMES.releaseInstance, createHandler({ clients, logger, records, sealer, clearance }), logger, dynamodb), { sink: createResponseMetricsSink('release-instance'), reading: releaseMetrics });
