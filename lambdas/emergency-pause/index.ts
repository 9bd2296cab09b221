/** emergency-pause Lambda (Function URL, AuthType AWS_IAM): sets or lifts the deployment's emergency pause and tells the operations topic who and why (logic in lib/responders/pause-control.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { homeSnsClients } from '../../lib/aws/clients/sns';
import { DynamoDbPauseSwitch, SnsPauseAnnouncer, createPauseControlHandler, operationsTopicArnFromEnv } from '../../lib/responders/pause-control';
import { createResponderLogger } from '../../lib/responders/logging';
import { StsCallerProofVerifier } from '../../lib/responders/caller-proof';
import { stateTableFromEnv } from '../../lib/responders/state-table';

// Read at cold start: a function deployed without its table or the operations topic fails at once.
const store = new DynamoDbPauseSwitch(homeDynamoDbClients().dynamodb(), stateTableFromEnv());
const announcer = new SnsPauseAnnouncer(homeSnsClients().sns(), operationsTopicArnFromEnv());
const logger = createResponderLogger('emergency-pause');
// Who signed each request's caller proof: STS in the function's own Region (the Lambda runtime sets AWS_REGION).
const callers = new StsCallerProofVerifier(process.env.AWS_REGION ?? '');

/** Builds the handler over injected store and announcer: the local game day runs exactly this. */
export const createHandler = createPauseControlHandler;
export const handler = createHandler({ store, announcer, callers, logger });
