/** quarantine-instance Lambda: contains an EC2 instance and keeps it as evidence (logic in lib/responders/quarantine.ts). */
import { autoScalingClientsFor } from '../../lib/aws/clients/autoscaling';
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { ec2ClientsFor } from '../../lib/aws/clients/ec2';
import { targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { iamClientsFor } from '../../lib/aws/clients/iam';
import { homeKmsClients } from '../../lib/aws/clients/kms';
import { loadBalancingClientsFor } from '../../lib/aws/clients/load-balancing';
import { SECURITY_ENV } from '../../lib/contracts/security';
import { DynamoDbGrantReader } from '../../lib/responders/grants';
import { SfnExecutionStatusReader } from '../../lib/responders/execution-status';
import { createResponderLogger } from '../../lib/responders/logging';
import { createQuarantineInstanceHandler } from '../../lib/responders/quarantine';
import { DynamoDbQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import { KmsRecordSealer } from '../../lib/responders/record-integrity';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { quarantineMetrics, withResponseMetrics } from '../../lib/responders/response-metrics';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';

// Read at cold start: a function deployed without its table fails at once, not at the first incident.
const stateTable = stateTableFromEnv();
const logger = createResponderLogger('quarantine-instance');
// EC2 (IAM to revoke role sessions, Auto Scaling and ELB for fleets) in the served accounts;
// DynamoDB and KMS in the security account. A client is made on first use only.
const access = targetAccessFromEnvironment();
const clients = { ...ec2ClientsFor(access), ...iamClientsFor(access), ...autoScalingClientsFor(access), ...loadBalancingClientsFor(access) };
const dynamodb = homeDynamoDbClients().dynamodb();
// Step Functions in the security account: a grant clears a step only while its execution runs (states:DescribeExecution).
const executions = new SfnExecutionStatusReader(homeSfnClients().sfn());
const records = new DynamoDbQuarantineRecordStore(dynamodb, stateTable);
// Seals the pre-quarantine record (kms:GenerateMac); without the key the record is saved unsealed.
const recordKey = process.env[SECURITY_ENV.recordKey];
const sealer = recordKey ? new KmsRecordSealer(homeKmsClients().kms(), recordKey) : undefined;
// The containment guard's grants: this function acts only for executions the guard cleared.
const grants = new DynamoDbGrantReader(dynamodb, stateTable, executions);

/** Builds the handler over injected clients and record store: the local game day runs exactly this. */
export const createHandler = createQuarantineInstanceHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): lib/responders/response-metrics.ts.
export const handler = withResponseMetrics('quarantine-instance', recordedStep(RESPONDER_NAMES.quarantineInstance, createHandler({ clients, logger, records, grants, ...(sealer ? { sealer } : {}) }), logger, dynamodb), { sink: createResponseMetricsSink('quarantine-instance'), reading: quarantineMetrics });
