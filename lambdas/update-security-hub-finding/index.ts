/** update-security-hub-finding Lambda: writes back to the GuardDuty finding's Security Hub copy (logic in lib/responders/update-security-hub-finding.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { securityHubClientsFor } from '../../lib/aws/clients/securityhub';
import { UPDATE_SECURITY_HUB_FINDING } from '../../lib/contracts/responders';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { DynamoDbGrantReader } from '../../lib/responders/grants';
import { SfnExecutionStatusReader } from '../../lib/responders/execution-status';
import { SfnInvocationOrigins } from '../../lib/responders/invocation-origin';
import { createResponderLogger } from '../../lib/responders/logging';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { withResponseMetrics } from '../../lib/responders/response-metrics';
import { DynamoDbSecurityHubFindingRecords } from '../../lib/responders/security-hub-records';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { createUpdateSecurityHubFindingHandler } from '../../lib/responders/update-security-hub-finding';

const logger = createResponderLogger(UPDATE_SECURITY_HUB_FINDING);
// Security Hub in the finding's own account and region, through the member role (served accounts only).
const clients = securityHubClientsFor(targetAccessFromEnvironment());
const dynamodb = homeDynamoDbClients().dynamodb();
// Step Functions in the security account: a grant clears a step only while its execution runs (states:DescribeExecution).
const sfn = homeSfnClients().sfn();
const executions = new SfnExecutionStatusReader(sfn);
// A RESOLVED write-back acts only for the task its running execution scheduled with exactly this input (GetExecutionHistory, row 13h).
const origins = new SfnInvocationOrigins(sfn);
const stateTable = stateTableFromEnv();

export const createHandler = createUpdateSecurityHubFindingHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): failures by responder and error (lib/responders/response-metrics.ts).
export const handler = withResponseMetrics(
  UPDATE_SECURITY_HUB_FINDING,
  recordedStep(UPDATE_SECURITY_HUB_FINDING, createHandler({ clients, records: new DynamoDbSecurityHubFindingRecords(dynamodb, stateTable), grants: new DynamoDbGrantReader(dynamodb, stateTable, executions), origins, logger }), logger, dynamodb),
  { sink: createResponseMetricsSink(UPDATE_SECURITY_HUB_FINDING) },
);
