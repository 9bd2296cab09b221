/** quarantine-instance Lambda: contains an EC2 instance and keeps it as evidence (logic in lib/responders/quarantine.ts). */
import { clientFactoryFromEnvironment } from '../../lib/aws/member-accounts';
import { createResponderLogger } from '../../lib/responders/logging';
import { createQuarantineInstanceHandler } from '../../lib/responders/quarantine';
import { DynamoDbQuarantineRecordStore } from '../../lib/responders/quarantine-records';

const logger = createResponderLogger('quarantine-instance');
const clients = clientFactoryFromEnvironment();
const records = new DynamoDbQuarantineRecordStore(clients.dynamodb(), process.env.FIREBREAK_STATE_TABLE ?? '');

/** Builds the handler over injected clients and record store: the local game day runs exactly this. */
export const createHandler = createQuarantineInstanceHandler;
export const handler = createHandler({ clients, logger, records });
