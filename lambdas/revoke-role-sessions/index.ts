/** revoke-role-sessions Lambda: denies every session issued so far to the roles a finding names (logic in lib/responders/revoke-role-sessions.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { iamClientsFor } from '../../lib/aws/clients/iam';
import { ec2ClientsFor } from '../../lib/aws/clients/ec2';
import { DynamoDbGrantReader } from '../../lib/responders/grants';
import { SfnExecutionStatusReader } from '../../lib/responders/execution-status';
import { createResponderLogger } from '../../lib/responders/logging';
import { createRevokeRoleSessionsHandler } from '../../lib/responders/revoke-role-sessions';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { withResponseMetrics } from '../../lib/responders/response-metrics';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';
import { homeKmsClients } from '../../lib/aws/clients/kms';
import { SECURITY_ENV } from '../../lib/contracts/security';
import { DynamoDbRoleSessionsRecordStore } from '../../lib/responders/credential-record-store';
import { KmsMac } from '../../lib/responders/record-mac';

const stateTable = stateTableFromEnv();
const logger = createResponderLogger('revoke-role-sessions');
// IAM in the served accounts through the session-revoker role, the only one that writes role policies.
const access = targetAccessFromEnvironment();
const clients = iamClientsFor(access);
// EC2 through the member role: the protected instances holding the role, whose sessions then stay (row 2x).
const ec2Clients = ec2ClientsFor(access);
const dynamodb = homeDynamoDbClients().dynamodb();
// Step Functions in the security account: a grant clears a step only while its execution runs (states:DescribeExecution).
const executions = new SfnExecutionStatusReader(homeSfnClients().sfn());
// The sealed record of each change (lib/responders/credential-records.ts), MACed with the deployment's record key.
const records = new DynamoDbRoleSessionsRecordStore(dynamodb, stateTable, new KmsMac(homeKmsClients().kms(), process.env[SECURITY_ENV.recordKey] ?? ''));

export const createHandler = createRevokeRoleSessionsHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): failures by responder and error (lib/responders/response-metrics.ts).
export const handler = withResponseMetrics('revoke-role-sessions', recordedStep(RESPONDER_NAMES.revokeRoleSessions, createHandler({ clients, ec2Clients, logger, grants: new DynamoDbGrantReader(dynamodb, stateTable, executions), records }), logger, dynamodb), { sink: createResponseMetricsSink('revoke-role-sessions') });
