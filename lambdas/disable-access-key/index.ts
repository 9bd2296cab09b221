/** disable-access-key Lambda: sets the IAM user access keys a finding names Inactive (logic in lib/responders/disable-access-key.ts). */
import { homeDynamoDbClients } from '../../lib/aws/clients/dynamodb';
import { targetAccessFromEnvironment } from '../../lib/aws/clients/environment';
import { memberIamClientsFor } from '../../lib/aws/clients/iam';
import { createDisableAccessKeyHandler } from '../../lib/responders/disable-access-key';
import { DynamoDbGrantStore } from '../../lib/responders/grants';
import { createResponderLogger } from '../../lib/responders/logging';
import { stateTableFromEnv } from '../../lib/responders/state-table';
import { recordedStep } from '../../lib/responders/incident-record-lambda';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';

const stateTable = stateTableFromEnv();
const logger = createResponderLogger('disable-access-key');
// IAM in the served accounts through the member role (never the session revoker); DynamoDB in the security account.
const clients = memberIamClientsFor(targetAccessFromEnvironment());
const dynamodb = homeDynamoDbClients().dynamodb();

export const createHandler = createDisableAccessKeyHandler;
export const handler = recordedStep(RESPONDER_NAMES.disableAccessKey, createHandler({ clients, logger, grants: new DynamoDbGrantStore(dynamodb, stateTable) }), logger, dynamodb);
