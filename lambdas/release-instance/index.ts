/** release-instance Lambda: restores a quarantined instance to its recorded state (logic in lib/responders/release.ts). */
import { clientFactoryFromEnvironment } from '../../lib/aws/member-accounts';
import { createResponderLogger } from '../../lib/responders/logging';
import { DynamoDbQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import { createReleaseInstanceHandler } from '../../lib/responders/release';

const logger = createResponderLogger('release-instance');
const clients = clientFactoryFromEnvironment();
const records = new DynamoDbQuarantineRecordStore(clients.dynamodb(), process.env.FIREBREAK_STATE_TABLE ?? '');

/** Builds the handler over injected clients and record store: the local game day runs exactly this. */
export const createHandler = createReleaseInstanceHandler;
export const handler = createHandler({ clients, logger, records });
