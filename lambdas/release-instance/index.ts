/** release-instance Lambda: restores a quarantined instance to its recorded state (logic in lib/responders/release.ts). */
import { clientFactoryFromEnvironment } from '../../lib/aws/member-accounts';
import { createResponderLogger } from '../../lib/responders/logging';
import { DynamoDbGrantStore, releaseGrantCheck } from '../../lib/responders/grants';
import { DynamoDbQuarantineRecordStore } from '../../lib/responders/quarantine-records';
import { createReleaseInstanceHandler } from '../../lib/responders/release';
import { KMSClient } from '@aws-sdk/client-kms';
import { SECURITY_ENV } from '../../lib/contracts/security';
import { DynamoDbApprovalStore } from '../../lib/responders/approval-records';
import { KmsRecordSealer } from '../../lib/responders/record-integrity';
import { ApprovalReleaseClearance } from '../../lib/responders/release-clearance';

const logger = createResponderLogger('release-instance');
const clients = clientFactoryFromEnvironment();
const records = new DynamoDbQuarantineRecordStore(clients.dynamodb(), process.env.FIREBREAK_STATE_TABLE ?? '');
// The record key is the deployment's (never the record's): kms:VerifyMac before anything changes.
const sealer = new KmsRecordSealer(new KMSClient({}), process.env[SECURITY_ENV.recordKey] ?? '');
// The guard's grant of this execution (lib/responders/grants.ts) and its approval.
const grants = new DynamoDbGrantStore(clients.dynamodb(), process.env.FIREBREAK_STATE_TABLE ?? '');
const clearance = new ApprovalReleaseClearance(
  new DynamoDbApprovalStore(clients.dynamodb(), process.env.FIREBREAK_STATE_TABLE ?? ''),
  releaseGrantCheck(grants),
);

/** Builds the handler over injected clients and record store: the local game day runs exactly this. */
export const createHandler = createReleaseInstanceHandler;
export const handler = createHandler({ clients, logger, records, sealer, clearance });
