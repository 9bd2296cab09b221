/** publish-alert Lambda: tells people what Firebreak found and did (logic in lib/responders/alert.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { homeSnsClients } from '../../lib/aws/clients/sns';
import { alertTopicArnFromEnv, backupTopicArnFromEnv, createPublishAlertHandler } from '../../lib/responders/alert';
import { DynamoDbApprovalRequests } from '../../lib/responders/approval-records';
import { SfnApprovalRequestExecutions } from '../../lib/responders/approval-request';
import { SfnAlertOrigins } from '../../lib/responders/alert-origin';
import { createResponderLogger } from '../../lib/responders/logging';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { alertMetrics, withResponseMetrics } from '../../lib/responders/response-metrics';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';

// Read at cold start: a function deployed without its topic or table fails at once, not at the first incident.
const topicArn = alertTopicArnFromEnv();
// The backup channel (Critical incidents, failures, a refused alert): set by the stack, absent in older deployments.
const backupTopicArn = backupTopicArnFromEnv();
const stateTable = stateTableFromEnv();
const logger = createResponderLogger('publish-alert');
// Only the clients it calls (issue 10): SNS to publish, DynamoDB for the approval requests, Step
// Functions to verify them (DescribeExecution, GetExecutionHistory, SendTaskHeartbeat) and to verify
// that the execution an alert names sent it (GetExecutionHistory: lib/responders/alert-origin.ts).
const clients = homeSnsClients();
const dynamodb = homeDynamoDbClients().dynamodb();
const approvals = new DynamoDbApprovalRequests(dynamodb, stateTable);
const sfn = homeSfnClients().sfn();
const approvalExecutions = new SfnApprovalRequestExecutions(sfn);
const origins = new SfnAlertOrigins(sfn);

/** Builds the handler over injected clients and topic: the local game day runs exactly this. */
export const createHandler = createPublishAlertHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): lib/responders/response-metrics.ts.
export const handler = withResponseMetrics('publish-alert', recordedStep(RESPONDER_NAMES.publishAlert, createHandler({ clients, logger, topicArn, ...(backupTopicArn !== undefined ? { backupTopicArn } : {}), approvals, approvalExecutions, origins }), logger, dynamodb), { sink: createResponseMetricsSink('publish-alert'), reading: alertMetrics });
