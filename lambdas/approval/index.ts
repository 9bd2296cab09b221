/** approval Lambda (Function URL, AuthType AWS_IAM): records who approved or rejected a waiting playbook and sends its task token (logic in lib/responders/approval.ts). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDbApprovalStore } from '../../lib/responders/approval-records';
import { SfnApprovalExecutions, createApprovalHandler, readApprovalConfig } from '../../lib/responders/approval';
import { createResponderLogger } from '../../lib/responders/logging';

const logger = createResponderLogger('approval');
const store = new DynamoDbApprovalStore(new DynamoDBClient({}), process.env.FIREBREAK_STATE_TABLE ?? '');
const executions = new SfnApprovalExecutions(new SFNClient({}));

/** Builds the handler over injected store and executions: the local game day runs exactly this. */
export const createHandler = createApprovalHandler;
export const handler = createHandler({ store, executions, config: readApprovalConfig(), logger });
