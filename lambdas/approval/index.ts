/** approval Lambda (Function URL, AuthType AWS_IAM): records who approved or rejected a waiting playbook and sends its task token (logic in lib/responders/approval.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { homeSfnClients } from '../../lib/aws/clients/sfn';
import { DynamoDbApprovalAnswers } from '../../lib/responders/approval-records';
import { SfnApprovalExecutions, createApprovalHandler, readApprovalConfig } from '../../lib/responders/approval';
import { StsCallerProofVerifier } from '../../lib/responders/caller-proof';
import { createResponderLogger } from '../../lib/responders/logging';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { createResponseMetricsSink } from '../../lib/responders/metrics-sink';
import { approvalMetrics, withResponseMetrics } from '../../lib/responders/response-metrics';

// Read at cold start: a function deployed without its table fails at once, not at the first answer.
const store = new DynamoDbApprovalAnswers(homeDynamoDbClients().dynamodb(), stateTableFromEnv());
const executions = new SfnApprovalExecutions(homeSfnClients().sfn());
const logger = createResponderLogger('approval');
// Who signed each request's caller proof: STS in the function's own Region (the Lambda runtime sets AWS_REGION).
const callers = new StsCallerProofVerifier(process.env.AWS_REGION ?? '');

/** Builds the handler over injected store and executions: the local game day runs exactly this. */
export const createHandler = createApprovalHandler;
// Response metrics (EMF lines, lib/responders/metrics-sink.ts): lib/responders/response-metrics.ts.
export const handler = withResponseMetrics('approval', createHandler({ store, executions, callers, config: readApprovalConfig(), logger }), { sink: createResponseMetricsSink('approval'), reading: approvalMetrics });
