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
 *
 * Several incidents can hold one key contained (two findings on the key; or a new execution of the
 * incident, GuardDuty having updated its finding, while its release waits for approval): the first
 * writes the record, each later one finds the key Inactive and changes nothing, but claims the key
 * on the record (`claims`, beside the sealed record and unsealed like the release marks, with
 * `lastClaimAt`). The record's own incident holds it without a claim; a release takes back its
 * incident's hold (`releasedClaims`) while another incident holds the key, and only the release of
 * the last holder re-activates it (release-credentials.ts).
 *
 * AWSDenyAll is the user's, not the key's, but it is recorded on the key whose step attached it. A
 * release that would detach it while another key of the user has an unreleased record (another
 * incident, or its own, holds that key contained: that containment counted on the deny too) keeps it
 * and hands the duty to detach it over to that record (`denyAllHandedOverBy`, `denyAllProof`:
 * unsealed like the claims, written with a conditional UpdateItem while the record is unreleased).
 * The proof is a copy of the sealed record that says Firebreak attached it, so that the release
 * which detaches it checks the seal, as it would on its own record: a duty written by hand into the
 * table, without a sealed record of Firebreak attaching AWSDenyAll to that user, detaches nothing.
 */
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsErrorCode, itemOfConditionFailure, toResponderError } from '../aws/errors';
import { STATE_KEY_PREFIX } from '../contracts/security';
import type { SealVerdict } from './record-mac';
import { canonicalJson } from '../contracts/canonical-json';
import { sha256Hex } from '../incident/keys';
import type { ReleaseMark } from './quarantine-records';
import { RECORD_MAC_ALGORITHM } from './record-mac';
import { credentialRecordKey } from './credential-record-key';

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

// The partition key of a credential's record, in a module of its own: the containment guard reads
// it (key-holds.ts) and must not carry this module's seal (record-mac.ts, the KMS client).
export { credentialRecordKey };

/**
 * The state-table key of a user's list of access keys Firebreak keeps records of with AWSDenyAll in
 * play (`keys`, a string set): AWSDenyAll is the user's, recorded per key, and a key deleted while
 * its incident is open is no longer listed by IAM, so a release that would detach AWSDenyAll reads
 * the keys from here too (release-credentials.ts, releaseDenyAll).
 */
export function userKeysKey(account: string, userName: string): string {
  return `${STATE_KEY_PREFIX.credential}${account}#user#${userName}`;
}

/** The bytes the record key MACs (pure): the scheme label and the SHA-256 of the sealed fields, canonical. */
export function credentialMacMessage(record: CredentialRecord): Uint8Array {
  const { seal: _seal, released: _r, releasedAt: _ra, releasedBy: _rb, releaseRequestedBy: _rr, releaseReason: _rn, ...sealed } = record;
  const digest = sha256Hex(canonicalJson({ scheme: CREDENTIAL_SEAL_SCHEME, ...sealed }));
  return new TextEncoder().encode(`${CREDENTIAL_SEAL_SCHEME}\nsha256:${digest}`);
}

/**
 * Which incidents hold an access key contained besides the record's own (unsealed: only the table's
 * policy keeps others from writing them, as for the release marks).
 */
export interface KeyClaims {
  /** Incidents that found the key contained already and claimed it (disable-access-key). */
  readonly claims: readonly string[];
  /** Incidents whose hold a release took back (the record's own incident included). */
  readonly releasedClaims: readonly string[];
  /** When the key was last claimed: a release cleared before it was not approved with that claim. */
  readonly lastClaimAt?: string;
  /** The duty to detach AWSDenyAll was handed over to the record: a release that read none is not marked once one is. */
  readonly denyAllHandedOver?: true;
}

/** The duty to detach AWSDenyAll, handed over to a key's record by the release of another key of the user. */
export interface DenyAllHandover {
  /** The incident whose release handed it over. */
  readonly by: string;
  /** The sealed record that says Firebreak attached AWSDenyAll to the user (undefined: it does not parse). */
  readonly proof?: AccessKeyRecord;
  /** Its verdict: its seal, and that it names the same user and account and says AWSDenyAll was attached by Firebreak. */
  readonly verdict: SealVerdict;
}

/** A record as sealed and stored (JSON, its seal, no release marks): what a handed-over duty carries as its proof. */
export function sealedRecordJson(record: CredentialRecord): string {
  const { released: _r, releasedAt: _ra, releasedBy: _rb, releaseRequestedBy: _rr, releaseReason: _rn, ...sealed } = record;
  return JSON.stringify(sealed);
}

/** The incidents holding the key contained: the record's own and every claim, less those a release took back (sorted). */
export function keyHolders(record: Pick<CredentialRecord, 'incidentKey'>, claims: KeyClaims): string[] {
  const taken = new Set(claims.releasedClaims);
  return [...new Set([record.incidentKey, ...claims.claims])].filter((key) => !taken.has(key)).sort();
}

/**
 * The detail of the `firebreak:record-credential` `done` action disable-access-key records when it
 * claims `accessKeyId` for `incidentKey` (the key contained already): the incident report reads it
 * back as the step's word that the incident holds the key (lib/operator/incident-report.ts).
 */
export function keyClaimedDetail(accessKeyId: string, incidentKey: string): string {
  return `Firebreak's record of ${accessKeyId} is kept (an earlier run or incident): claimed it for incident ${incidentKey} too, so that the key is re-activated only by the release of the last incident holding it`;
}

/**
 * How the `firebreak:record-credential` `done` action release-credentials records when it takes
 * back `incidentKey`'s hold on `accessKeyId` begins (the holders left follow): the incident report
 * reads it as that incident's release of the key, which stays Inactive for the others.
 */
export function holdTakenBackDetailStart(accessKeyId: string, incidentKey: string): string {
  return `Took back incident ${incidentKey}'s hold on ${accessKeyId};`;
}

/** A record read back, with the verdict on it. */
export interface ReadCredentialRecord<R extends CredentialRecord = CredentialRecord> {
  readonly record: R;
  readonly verdict: SealVerdict;
  /** The claims on an access key's record (none on a role's). */
  readonly claims: KeyClaims;
  /** The duty to detach AWSDenyAll another key's release handed over to this key's record, with the verdict on its proof. */
  readonly denyAllHandover?: DenyAllHandover;
}

/** What a claim found: the key's record unreleased (claimed now), none, or a released one. */
export type KeyClaimAnswer = 'claimed' | 'no-record' | 'released';

/** What disable-access-key needs of the store: it seals and saves a record, and never reads one back. */
export interface CredentialRecordSaver {
  /** Seals and writes the record unless an unreleased one exists for the same credential: `exists` then (the first is kept). */
  saveIfAbsent(record: CredentialRecord): Promise<'saved' | 'exists'>;
  /**
   * Claims the key for `incidentKey` on its unreleased record (an incident that found the key
   * contained already): `no-record` when none is kept (Firebreak changed nothing of the key),
   * `released` when the record is released (its release is done, and may have changed the key
   * since the caller read it).
   */
  claim(key: Pick<AccessKeyRecord, 'kind' | 'account' | 'accessKeyId'>, incidentKey: string, at: string): Promise<KeyClaimAnswer>;
  /**
   * Adds the key to its user's list (`userKeysKey`): a step that attaches AWSDenyAll, or counts on
   * it attached, notes the key before any change, so that a release of another key of the user
   * finds this key's record even once IAM no longer lists the key (deleted).
   */
  noteUserKey(account: string, userName: string, accessKeyId: string): Promise<void>;
}

/** A credential's record read back, verified: what revoke-role-sessions and release-credentials both need. */
export interface CredentialRecordReader {
  /** The credential's record, verified; undefined when there is none. */
  get(key: Pick<AccessKeyRecord, 'kind' | 'account' | 'accessKeyId'>): Promise<ReadCredentialRecord<AccessKeyRecord> | undefined>;
  get(key: Pick<RoleSessionsRecord, 'kind' | 'account' | 'roleName'>): Promise<ReadCredentialRecord<RoleSessionsRecord> | undefined>;
}

/** What revoke-role-sessions needs of the store: a role's record read back (verified) and rewritten. */
export interface RoleSessionsRecordStore extends CredentialRecordReader {
  /** Seals and writes the record over whatever is stored (a role's deny rewritten by another incident). */
  replace(record: CredentialRecord): Promise<void>;
}

/** What release-credentials needs of the store: reads (verified), release marks, holds taken back, AWSDenyAll's duty handed over. */
export interface CredentialReleaseStore extends CredentialRecordReader {
  /**
   * Marks the record released, unless it is no longer the record of `incidentKey` or already
   * released (`changed` then); with `claims`, also unless the key's claims changed since they were
   * read so (a claim, or a take-back, since).
   */
  markReleased(record: CredentialRecord, mark: ReleaseMark, claims?: KeyClaims): Promise<'released' | 'changed'>;
  /** Takes back `incidentKey`'s hold on the key, unless the record or its claims changed since read as `claims` (`changed` then). */
  takeBackClaim(record: AccessKeyRecord, incidentKey: string, claims: KeyClaims): Promise<'taken-back' | 'changed'>;
  /**
   * Hands the duty to detach AWSDenyAll over to another key's record (`to`, of the same user), with
   * `proof` (the sealed record that says Firebreak attached it), unless that record is no longer
   * `to`'s incident's or is released since it was read (`changed` then).
   */
  handOverDenyAll(to: AccessKeyRecord, by: string, proof: AccessKeyRecord): Promise<'handed-over' | 'changed'>;
  /** The keys noted on the user's list (`noteUserKey`); a claim to check, each against its own sealed record. */
  userKeys(account: string, userName: string): Promise<string[]>;
}

/** Where credential records live (the state table; tests may pass the DynamoDB store over a mocked client): every step's needs. */
export interface CredentialRecordStore extends CredentialRecordSaver, RoleSessionsRecordStore, CredentialReleaseStore {}

/** The condition that a key's claims are still as read: no claim since (lastClaimAt), no hold taken back since (their count). */
export function sameClaimsCondition(claims: KeyClaims): { readonly expression: string; readonly values: Record<string, { S: string } | { N: string }> } {
  const last = claims.lastClaimAt !== undefined ? 'lastClaimAt = :lastClaimAt' : 'attribute_not_exists(lastClaimAt)';
  // DynamoDB removes a set whose last element is deleted: no taken-back hold is no attribute.
  const taken = claims.releasedClaims.length > 0 ? 'size(releasedClaims) = :releasedCount' : 'attribute_not_exists(releasedClaims)';
  return {
    expression: `${last} AND ${taken}`,
    values: {
      ...(claims.lastClaimAt !== undefined ? { ':lastClaimAt': { S: claims.lastClaimAt } } : {}),
      ...(claims.releasedClaims.length > 0 ? { ':releasedCount': { N: String(claims.releasedClaims.length) } } : {}),
    },
  };
}

/**
 * The state table the DynamoDB stores below and in credential-record-store.ts share: its client, its
 * name and the deployment's record key. Each Lambda builds the store of only the calls it makes, so
 * that its bundle carries no other step's reads, writes or release marks (docs/architecture.md,
 * "Lean Lambda bundles").
 */
export class DynamoDbCredentialRecordTable<Mac = Pick<MacSigner, 'generate'>> {
  constructor(
    protected readonly client: DynamoDBClient,
    protected readonly tableName: string,
    protected readonly mac: Mac,
  ) {}
}

/** Seals `record` with the record key (its release marks left out) and writes it with `condition`. */
export async function putSealedCredentialRecord(
  client: DynamoDBClient,
  tableName: string,
  mac: Pick<MacSigner, 'generate'>,
  record: CredentialRecord,
  condition: Pick<ConstructorParameters<typeof PutItemCommand>[0], 'ConditionExpression' | 'ExpressionAttributeValues'>,
): Promise<void> {
  const { seal: _old, released: _r, releasedAt: _ra, releasedBy: _rb, releaseRequestedBy: _rr, releaseReason: _rn, ...fields } = record;
  const { keyId, mac: sealMac } = await mac.generate(credentialMacMessage(fields as CredentialRecord));
  const sealed = { ...fields, seal: { scheme: CREDENTIAL_SEAL_SCHEME, algorithm: RECORD_MAC_ALGORITHM, keyId, mac: sealMac } };
  await client.send(
    new PutItemCommand({
      TableName: tableName,
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

/**
 * The state-table writer of disable-access-key, sealing with the deployment's record key: it only
 * saves, so its bundle carries neither the record's schema (built at cold start) nor the reads and
 * release marks, nor kms:VerifyMac (it takes a signer that only generates: KmsMacGenerator).
 */
export class DynamoDbCredentialRecordSaver extends DynamoDbCredentialRecordTable implements CredentialRecordSaver {
  async saveIfAbsent(record: CredentialRecord): Promise<'saved' | 'exists'> {
    try {
      // Conditional, not read-then-write: a redelivered step (the key already Inactive) never
      // replaces the record of what the key was before Firebreak. A released record may be replaced.
      await putSealedCredentialRecord(this.client, this.tableName, this.mac, record, {
        ConditionExpression: 'attribute_not_exists(pk) OR released = :true',
        ExpressionAttributeValues: { ':true': { BOOL: true } },
      });
      return 'saved';
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return 'exists';
      throw toResponderError(error, 'dynamodb:PutItem');
    }
  }

  async claim(key: Pick<AccessKeyRecord, 'kind' | 'account' | 'accessKeyId'>, incidentKey: string, at: string): Promise<KeyClaimAnswer> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: credentialRecordKey(key) } },
          // A hold taken back earlier is held again: this incident contains the key anew.
          UpdateExpression: 'SET lastClaimAt = :at ADD claims :incident DELETE releasedClaims :incident',
          ConditionExpression: 'attribute_exists(pk) AND released = :false',
          ExpressionAttributeValues: { ':at': { S: at }, ':incident': { SS: [incidentKey] }, ':false': { BOOL: false } },
          // Which of the two the condition failed on: no record, or a released one (the item comes back).
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return itemOfConditionFailure(error) !== undefined ? 'released' : 'no-record';
      throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }

  async noteUserKey(account: string, userName: string, accessKeyId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: userKeysKey(account, userName) } },
          UpdateExpression: 'ADD #keys :key',
          ExpressionAttributeNames: { '#keys': 'keys' },
          ExpressionAttributeValues: { ':key': { SS: [accessKeyId] } },
        }),
      );
    } catch (error) {
      throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }
}
