/** quarantine-instance Lambda: contains an EC2 instance and keeps it as evidence (logic in lib/responders/quarantine.ts). */
import { clientFactoryFromEnvironment } from '../../lib/aws/member-accounts';
import { createResponderLogger } from '../../lib/responders/logging';
import { createQuarantineInstanceHandler } from '../../lib/responders/quarantine';
import { DynamoDbGrantStore } from '../../lib/responders/grants';
import { DynamoDbQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import { KMSClient } from '@aws-sdk/client-kms';
import { SECURITY_ENV } from '../../lib/contracts/security';
import { KmsRecordSealer } from '../../lib/responders/record-integrity';

const logger = createResponderLogger('quarantine-instance');
const clients = clientFactoryFromEnvironment();
const records = new DynamoDbQuarantineRecordStore(clients.dynamodb(), process.env.FIREBREAK_STATE_TABLE ?? '');
// Seals the pre-quarantine record (kms:GenerateMac); without the key the record is saved unsealed.
const recordKey = process.env[SECURITY_ENV.recordKey];
const sealer = recordKey ? new KmsRecordSealer(new KMSClient({}), recordKey) : undefined;
// The containment guard's grants: this function acts only for executions the guard cleared.
const grants = new DynamoDbGrantStore(clients.dynamodb(), process.env.FIREBREAK_STATE_TABLE ?? '');

/** Builds the handler over injected clients and record store: the local game day runs exactly this. */
export const createHandler = createQuarantineInstanceHandler;
export const handler = createHandler({ clients, logger, records, grants, ...(sealer ? { sealer } : {}) });
