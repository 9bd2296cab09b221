/** publish-alert Lambda: tells people what Firebreak found and did (logic in lib/responders/alert.ts). */
import { SameAccountClientFactory } from '../../lib/aws/clients';
import { alertTopicArnFromEnv, createPublishAlertHandler } from '../../lib/responders/alert';
import { createResponderLogger } from '../../lib/responders/logging';
import { DynamoDbApprovalStore } from '../../lib/responders/approval-records';

const logger = createResponderLogger('publish-alert');
const clients = new SameAccountClientFactory();
// Read at cold start: a function deployed without its topic fails at once, not at the first incident.
const topicArn = alertTopicArnFromEnv();

/** Builds the handler over injected clients and topic: the local game day runs exactly this. */
export const createHandler = createPublishAlertHandler;
const approvals = new DynamoDbApprovalStore(clients.dynamodb(), process.env.FIREBREAK_STATE_TABLE ?? '');
export const handler = createHandler({ clients, logger, topicArn, approvals });
