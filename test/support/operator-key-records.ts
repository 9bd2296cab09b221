/**
 * Sealed access-key records as the operator's tools read them (`firebreak report`, `firebreak
 * incidents`): the record disable-access-key seals, and the state-table item its saver writes, with
 * a MAC that the tests' KMS mock answers for. Shared by the report's and the list's tests.
 */
import type { AccessKeyRecord } from '../../lib/responders/credential-records';
import { CREDENTIAL_SEAL_SCHEME } from '../../lib/responders/credential-records';
import { RECORD_MAC_ALGORITHM } from '../../lib/responders/record-mac';

export const TABLE = 'Firebreak-StateTable-1A2B3C';
export const RECORD_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
export const ACCOUNT = '111122223333';
export const KEY = 'AKIAQ3EGRW6JCEXAMPLE';
export const INCIDENT = 'gd-a7c9e1a3c5e7a9c1e3a5c7e9a1c3e5a7';
export const MAC = Buffer.alloc(32, 7).toString('base64');
/** When the incidents were received: every time below counts from it. */
export const RECEIVED = '2026-03-26T03:20:00.000Z';

/** `seconds` after `base` (RECEIVED), as an ISO time. */
export const at = (seconds: number, base = RECEIVED): string => new Date(Date.parse(base) + seconds * 1000).toISOString();

/** The state-table key of an access key's record in ACCOUNT. */
export const pkOf = (accessKeyId: string): string => `credential#${ACCOUNT}#access-key#${accessKeyId}`;

/** The record disable-access-key sealed when it set `accessKeyId` Inactive for `incidentKey`, two seconds after `base`. */
export function sealedRecord(incidentKey: string, accessKeyId: string, base = RECEIVED): AccessKeyRecord {
  return {
    kind: 'access-key',
    account: ACCOUNT,
    accessKeyId,
    userName: 'ci-deployer',
    incidentKey,
    capturedAt: at(2, base),
    previousStatus: 'Active',
    deactivated: true,
    denyAllAttached: false,
    recordedBy: { responder: 'disable-access-key', executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-iam-user-key-compromise:first' },
    seal: { scheme: CREDENTIAL_SEAL_SCHEME, algorithm: RECORD_MAC_ALGORITHM, keyId: RECORD_KEY, mac: MAC },
  };
}

/** The credential item as disable-access-key's saver writes it (a record without a seal too). */
export function credentialItem(record: Omit<AccessKeyRecord, 'seal'> & { seal?: AccessKeyRecord['seal'] }) {
  return {
    pk: { S: pkOf(record.accessKeyId) },
    kind: { S: 'access-key' },
    account: { S: ACCOUNT },
    incidentKey: { S: record.incidentKey },
    released: { BOOL: false },
    record: { S: JSON.stringify(record) },
  };
}
