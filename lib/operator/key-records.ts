/**
 * The credential records the post-incident report reads: for each access key a disable-access-key
 * entry found already Inactive with no attempt recorded as setting it (incident-report.ts
 * `keyRecordLookups`), the key's sealed record (`credential#<account>#access-key#<key id>`, written
 * by disable-access-key before it changes anything), read with one consistent GetItem and checked
 * as release-credentials checks it (credential-record-store.ts: its shape, its key, its incident,
 * its seal) before the report believes a word of it. The report counts the key as this incident's
 * containment only when that record verifies and says so (incident-report.ts `sealedKeyChange`).
 *
 * The seal is checked with kms:VerifyMac under the deployment's record key, which its key policy
 * lets only the release steps and the deployment's `recordVerifierArns` use. A check that cannot be
 * made (no record key known, VerifyMac refused, the key disabled) is not a failed check: the reading
 * is `unreadable`, and the report says the change is not confirmed, and why.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { awsErrorCode } from '../aws/errors';
import { DynamoDbCredentialRecordStore } from '../responders/credential-record-store';
import type { CredentialRecordStore, MacSigner } from '../responders/credential-records';
import type { SealVerdict } from '../responders/record-mac';
import { verifyRecordMac } from '../responders/record-mac';
import { RecordSealUncheckedError } from './errors';
import type { KeyRecordLookup, KeyRecordReading } from './incident-report';

/**
 * kms:VerifyMac of credential records for the report: valid, invalid when KMS says the MAC does not
 * match (a record edited or forged after it was sealed), and RecordSealUncheckedError for anything
 * else (the caller may not use the key, the key is disabled or gone, KMS throttled), so that a check
 * nobody could make is never reported as a record that failed it. It never seals.
 */
export class KmsSealCheck implements MacSigner {
  constructor(
    private readonly kms: KMSClient,
    /** The deployment's record key (its RecordKeyArn output), never a key a record names. */
    private readonly keyId: string,
  ) {}

  generate(): Promise<never> {
    return Promise.reject(new RecordSealUncheckedError('the report only checks seals: it never makes one'));
  }

  async verify(message: Uint8Array, macBase64: string): Promise<SealVerdict> {
    const answer = await verifyRecordMac(this.kms, () => this.keyId, message, macBase64, 'it was sealed');
    if (!('error' in answer)) return answer;
    const { error } = answer;
    const code = awsErrorCode(error) ?? (error instanceof Error ? error.name : 'UnknownError');
    throw new RecordSealUncheckedError(`kms:VerifyMac ${code} on the record key: its seal could not be checked`, { cause: error });
  }
}

/** No record key to check seals with (the stack was not read, or names none): every check says why. */
export class NoSealCheck implements MacSigner {
  constructor(private readonly why: string) {}

  generate(): Promise<never> {
    return Promise.reject(new RecordSealUncheckedError(this.why));
  }

  verify(): Promise<SealVerdict> {
    return Promise.reject(new RecordSealUncheckedError(this.why));
  }
}

/** The state-table store the report reads through, its seals checked by `seals`. */
export function reportCredentialRecords(dynamodb: DynamoDBClient, table: string, seals: MacSigner): Pick<CredentialRecordStore, 'get'> {
  return new DynamoDbCredentialRecordStore(dynamodb, table, seals);
}

/** Reads and checks the credential record of each key, one after another (a report names few). */
export async function readKeyRecords(store: Pick<CredentialRecordStore, 'get'>, lookups: readonly KeyRecordLookup[]): Promise<KeyRecordReading[]> {
  const readings: KeyRecordReading[] = [];
  for (const lookup of lookups) {
    try {
      const read = await store.get({ kind: 'access-key', account: lookup.account, accessKeyId: lookup.accessKeyId });
      readings.push(read === undefined ? { ...lookup, state: 'absent' } : { ...lookup, state: 'read', record: read });
    } catch (error) {
      readings.push({ ...lookup, state: 'unreadable', reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return readings;
}
