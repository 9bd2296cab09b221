/**
 * What the credential steps changed, kept so that release-credentials undoes exactly that and
 * nothing else: one record per access key (`credential#<account>#access-key#<key id>`: the key's
 * status before Firebreak, whether Firebreak set it Inactive, whether it attached AWSDenyAll) and
 * one per role (`credential#<account>#role#<role name>`: the revoke-older-sessions policy and its
 * `aws:TokenIssueTime` cut-off). Sealed with the deployment's record key (record-mac.ts
 * `KmsMac`, under a scheme label of its own), like the pre-quarantine record: unsealed, one write
 * to the state table would make a release re-activate a key someone else deactivated. A stored
 * record is a claim: `get` verifies its shape, its key and its seal before anything trusts it.
 *
 * The release marks (released, releasedAt, releasedBy…) are not sealed: release writes them, and a
 * released record is never acted on again.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsErrorCode, toResponderError } from '../aws/errors';
import { STATE_KEY_PREFIX } from '../contracts/security';
import type { SealVerdict } from './record-mac';
import { canonicalJson } from './canonical-json';
import { sha256Hex } from '../incident/keys';
import type { ReleaseMark } from './quarantine-records';
import { RECORD_MAC_ALGORITHM } from './record-mac';

/** The label of the credential record's sealed serialization; never a quarantine or custody record's. */
export const CREDENTIAL_SEAL_SCHEME = 'firebreak-credential-record/v1';

/** What seals and verifies a message with the deployment's record key (KmsMac; an HMAC in tests). */
export interface MacSigner {
  generate(message: Uint8Array): Promise<{ readonly keyId: string; readonly mac: string }>;
  verify(message: Uint8Array, macBase64: string, recordedBy: string): Promise<SealVerdict>;
}

export interface CredentialSeal {
  readonly scheme: typeof CREDENTIAL_SEAL_SCHEME;
  readonly algorithm: typeof RECORD_MAC_ALGORITHM;
  readonly keyId: string;
  readonly mac: string;
}

interface RecordBase {
  readonly account: string;
  /** The incident whose step made the change: only its release undoes it. */
  readonly incidentKey: string;
  /** The execution and responder that made it. */
  readonly recordedBy: { readonly responder: string; readonly executionArn?: string };
  readonly seal?: CredentialSeal;
  readonly released?: boolean;
  readonly releasedAt?: string;
  readonly releasedBy?: string;
  readonly releaseRequestedBy?: string;
  readonly releaseReason?: string;
}

/** An IAM user's access key as disable-access-key found it, and what it changed (written before the change). */
export interface AccessKeyRecord extends RecordBase {
  readonly kind: 'access-key';
  readonly accessKeyId: string;
  readonly userName: string;
  /** ISO time the key's status was read (ListAccessKeys), just before the change. */
  readonly capturedAt: string;
  /** The key's status as IAM said before Firebreak changed anything. */
  readonly previousStatus: 'Active' | 'Inactive';
  /** Firebreak set the key Inactive (it was Active): only then may a release make it Active again. */
  readonly deactivated: boolean;
  /** Firebreak attached AWSDenyAll to the user (it was not attached): only then may a release detach it. */
  readonly denyAllAttached: boolean;
}

/** The revoke-older-sessions deny revoke-role-sessions wrote on a role (written after the write). */
export interface RoleSessionsRecord extends RecordBase {
  readonly kind: 'role-sessions';
  readonly roleName: string;
  /** The inline policy's name (quarantine-credentials.ts REVOKE_SESSIONS_POLICY_NAME). */
  readonly policyName: string;
  /** Its aws:TokenIssueTime cut-off: sessions issued before were denied. */
  readonly issuedBefore: string;
}

export type CredentialRecord = AccessKeyRecord | RoleSessionsRecord;

/** The partition key of a credential's record: one per access key, one per role, whatever the incident. */
export function credentialRecordKey(record: Pick<AccessKeyRecord, 'kind' | 'account' | 'accessKeyId'> | Pick<RoleSessionsRecord, 'kind' | 'account' | 'roleName'>): string {
  return record.kind === 'access-key'
    ? `${STATE_KEY_PREFIX.credential}${record.account}#access-key#${record.accessKeyId}`
    : `${STATE_KEY_PREFIX.credential}${record.account}#role#${record.roleName}`;
}

/** The bytes the record key MACs (pure): the scheme label and the SHA-256 of the sealed fields, canonical. */
export function credentialMacMessage(record: CredentialRecord): Uint8Array {
  const { seal: _seal, released: _r, releasedAt: _ra, releasedBy: _rb, releaseRequestedBy: _rr, releaseReason: _rn, ...sealed } = record;
  const digest = sha256Hex(canonicalJson({ scheme: CREDENTIAL_SEAL_SCHEME, ...sealed }));
  return new TextEncoder().encode(`${CREDENTIAL_SEAL_SCHEME}\nsha256:${digest}`);
}

/** A record read back, with the verdict on it. */
export interface ReadCredentialRecord<R extends CredentialRecord = CredentialRecord> {
  readonly record: R;
  readonly verdict: SealVerdict;
}

/** What disable-access-key needs of the store: it seals and saves a record, and never reads one back. */
export interface CredentialRecordSaver {
  /** Seals and writes the record unless an unreleased one exists for the same credential: `exists` then (the first is kept). */
  saveIfAbsent(record: CredentialRecord): Promise<'saved' | 'exists'>;
}

/** Where credential records live (the state table; tests may pass the DynamoDB store over a mocked client). */
export interface CredentialRecordStore extends CredentialRecordSaver {
  /** Seals and writes the record over whatever is stored (a role's deny rewritten by another incident). */
  replace(record: CredentialRecord): Promise<void>;
  /** The credential's record, verified; undefined when there is none. */
  get(key: Pick<AccessKeyRecord, 'kind' | 'account' | 'accessKeyId'>): Promise<ReadCredentialRecord<AccessKeyRecord> | undefined>;
  get(key: Pick<RoleSessionsRecord, 'kind' | 'account' | 'roleName'>): Promise<ReadCredentialRecord<RoleSessionsRecord> | undefined>;
  /** Marks the record released, unless it is no longer the record of `incidentKey` or already released (`changed` then). */
  markReleased(record: CredentialRecord, mark: ReleaseMark): Promise<'released' | 'changed'>;
}

/**
 * The state-table writer of disable-access-key, sealing with the deployment's record key: it only
 * saves, so its bundle carries neither the record's schema (built at cold start) nor the reads and
 * release marks; the store below adds them (docs/architecture.md, "Lean Lambda bundles").
 */
export class DynamoDbCredentialRecordSaver implements CredentialRecordSaver {
  constructor(
    protected readonly client: DynamoDBClient,
    protected readonly tableName: string,
    protected readonly mac: MacSigner,
  ) {}

  async saveIfAbsent(record: CredentialRecord): Promise<'saved' | 'exists'> {
    try {
      // Conditional, not read-then-write: a redelivered step (the key already Inactive) never
      // replaces the record of what the key was before Firebreak. A released record may be replaced.
      await this.put(record, { ConditionExpression: 'attribute_not_exists(pk) OR released = :true', ExpressionAttributeValues: { ':true': { BOOL: true } } });
      return 'saved';
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return 'exists';
      throw toResponderError(error, 'dynamodb:PutItem');
    }
  }

  protected async put(record: CredentialRecord, condition: Pick<ConstructorParameters<typeof PutItemCommand>[0], 'ConditionExpression' | 'ExpressionAttributeValues'>): Promise<void> {
    const { seal: _old, released: _r, releasedAt: _ra, releasedBy: _rb, releaseRequestedBy: _rr, releaseReason: _rn, ...fields } = record;
    const { keyId, mac } = await this.mac.generate(credentialMacMessage(fields as CredentialRecord));
    const sealed = { ...fields, seal: { scheme: CREDENTIAL_SEAL_SCHEME, algorithm: RECORD_MAC_ALGORITHM, keyId, mac } };
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: { S: credentialRecordKey(record) },
          kind: { S: record.kind },
          account: { S: record.account },
          incidentKey: { S: record.incidentKey },
          released: { BOOL: false },
          record: { S: JSON.stringify(sealed) },
        },
        ...condition,
      }),
    );
  }
}
