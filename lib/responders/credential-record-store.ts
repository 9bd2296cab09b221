/**
 * Reading credential records back (credential-records.ts says what they hold and why they are
 * sealed): the state-table stores that revoke-role-sessions and release-credentials use, whose `get`
 * checks a stored record's shape, its key and its seal before anything trusts it. Apart from the
 * saver disable-access-key uses, so that its bundle does not build the record's schema at cold start;
 * and one class per step (the role's record rewritten, the release's marks), so that neither
 * Lambda carries the other's writes (docs/architecture.md, "Lean Lambda bundles").
 */
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import * as z from '../contracts/zod-mini';
import { awsErrorCode, toResponderError } from '../aws/errors';
import type {
  AccessKeyRecord,
  CredentialRecord,
  CredentialRecordReader,
  CredentialRecordStore,
  CredentialReleaseStore,
  DenyAllHandover,
  KeyClaimAnswer,
  KeyClaims,
  MacSigner,
  ReadCredentialRecord,
  RoleSessionsRecord,
  RoleSessionsRecordStore,
} from './credential-records';
import {
  CREDENTIAL_SEAL_SCHEME,
  DynamoDbCredentialRecordSaver,
  DynamoDbCredentialRecordTable,
  credentialMacMessage,
  credentialRecordKey,
  putSealedCredentialRecord,
  sameClaimsCondition,
  sealedRecordJson,
  userKeysKey,
} from './credential-records';
import { RESOURCE_ID_FORMAT } from '../incident/identifiers';
import type { ReleaseMark } from './quarantine-records';
import { RECORD_MAC_ALGORITHM } from './record-mac';

const sealSchema = z.strictObject({
  scheme: z.literal(CREDENTIAL_SEAL_SCHEME),
  algorithm: z.literal(RECORD_MAC_ALGORITHM),
  keyId: z.string(),
  mac: z.string().check(z.minLength(1)),
});
const baseFields = {
  account: z.string().check(z.regex(/^\d{12}$/)),
  incidentKey: z.string().check(z.minLength(1)),
  recordedBy: z.strictObject({ responder: z.string(), executionArn: z.optional(z.string()) }),
  seal: z.optional(sealSchema),
};
const recordSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('access-key'),
    ...baseFields,
    accessKeyId: z.string(),
    userName: z.string(),
    capturedAt: z.string(),
    previousStatus: z.enum(['Active', 'Inactive']),
    deactivated: z.boolean(),
    denyAllAttached: z.boolean(),
  }),
  z.strictObject({
    kind: z.literal('role-sessions'),
    ...baseFields,
    roleName: z.string(),
    policyName: z.string(),
    issuedBefore: z.string(),
  }),
]);

/** A credential's record read back from the state table, its seal verified with the deployment's record key. */
export class DynamoDbCredentialRecordReader<Mac extends Pick<MacSigner, 'verify'> = Pick<MacSigner, 'verify'>> extends DynamoDbCredentialRecordTable<Mac> implements CredentialRecordReader {
  get(key: Pick<AccessKeyRecord, 'kind' | 'account' | 'accessKeyId'>): Promise<ReadCredentialRecord<AccessKeyRecord> | undefined>;
  get(key: Pick<RoleSessionsRecord, 'kind' | 'account' | 'roleName'>): Promise<ReadCredentialRecord<RoleSessionsRecord> | undefined>;
  async get(
    key: Pick<AccessKeyRecord, 'kind' | 'account' | 'accessKeyId'> | Pick<RoleSessionsRecord, 'kind' | 'account' | 'roleName'>,
  ): Promise<ReadCredentialRecord | undefined> {
    const pk = credentialRecordKey(key);
    let item;
    try {
      ({ Item: item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: pk } }, ConsistentRead: true })));
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
    if (!item) return undefined;
    return verifyStoredCredentialRecord(item, pk, this.mac);
  }
}

/** The store of revoke-role-sessions: a role's record read back (verified) and rewritten, sealed. */
export class DynamoDbRoleSessionsRecordStore extends DynamoDbCredentialRecordReader<MacSigner> implements RoleSessionsRecordStore {
  async replace(record: CredentialRecord): Promise<void> {
    try {
      await putSealedCredentialRecord(this.client, this.tableName, this.mac, record, {});
    } catch (error) {
      throw toResponderError(error, 'dynamodb:PutItem');
    }
  }
}

/** The store of release-credentials: reads (verified), release marks, holds taken back, AWSDenyAll's duty handed over. */
export class DynamoDbCredentialReleaseStore<Mac extends Pick<MacSigner, 'verify'> = Pick<MacSigner, 'verify'>> extends DynamoDbCredentialRecordReader<Mac> implements CredentialReleaseStore {
  async markReleased(record: CredentialRecord, mark: ReleaseMark, claims?: KeyClaims): Promise<'released' | 'changed'> {
    const { releaseReason: reason, releaseRequestedBy: requestedBy } = mark;
    const same = claims !== undefined ? sameClaimsCondition(claims) : undefined;
    // A key's release that read no duty to detach AWSDenyAll did not detach it: once another key's
    // release hands one over, this record stays unreleased, so that the key's next release detaches it.
    const noDutySince = claims !== undefined && claims.denyAllHandedOver !== true ? ' AND attribute_not_exists(denyAllProof)' : '';
    const updated = await this.updateIfUnchanged({
      TableName: this.tableName,
      Key: { pk: { S: credentialRecordKey(record) } },
      UpdateExpression: `SET released = :true, releasedAt = :releasedAt, releasedBy = :releasedBy${requestedBy !== undefined ? ', releaseRequestedBy = :releaseRequestedBy' : ''}${reason !== undefined ? ', releaseReason = :releaseReason' : ''}`,
      // Only the record this release verified: not one another incident wrote since, not twice;
      // for a key, not once another incident (or a new execution) claimed it since the read.
      ConditionExpression: `incidentKey = :incidentKey AND released = :false${same !== undefined ? ` AND ${same.expression}` : ''}${noDutySince}`,
      ExpressionAttributeValues: {
        ...same?.values,
        ':true': { BOOL: true },
        ':false': { BOOL: false },
        ':incidentKey': { S: record.incidentKey },
        ':releasedAt': { S: mark.releasedAt },
        ':releasedBy': { S: mark.releasedBy },
        ...(requestedBy !== undefined ? { ':releaseRequestedBy': { S: requestedBy } } : {}),
        ...(reason !== undefined ? { ':releaseReason': { S: reason } } : {}),
      },
    });
    return updated ? 'released' : 'changed';
  }

  async takeBackClaim(record: AccessKeyRecord, incidentKey: string, claims: KeyClaims): Promise<'taken-back' | 'changed'> {
    const same = sameClaimsCondition(claims);
    const updated = await this.updateIfUnchanged({
      TableName: this.tableName,
      Key: { pk: { S: credentialRecordKey(record) } },
      UpdateExpression: 'ADD releasedClaims :incident DELETE claims :incident',
      // As read: the same record, unreleased, nobody claimed or took back since (else the holders
      // read are not the holders now: two last releases would both take back, and none restore).
      ConditionExpression: `incidentKey = :recordIncident AND released = :false AND ${same.expression}`,
      ExpressionAttributeValues: { ...same.values, ':incident': { SS: [incidentKey] }, ':recordIncident': { S: record.incidentKey }, ':false': { BOOL: false } },
    });
    return updated ? 'taken-back' : 'changed';
  }

  async userKeys(account: string, userName: string): Promise<string[]> {
    let item;
    try {
      ({ Item: item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: userKeysKey(account, userName) } }, ConsistentRead: true })));
    } catch (error) {
      throw toResponderError(error, 'dynamodb:GetItem');
    }
    return (item?.keys?.SS ?? []).filter((key) => RESOURCE_ID_FORMAT.accessKeyId.test(key));
  }

  async handOverDenyAll(to: AccessKeyRecord, by: string, proof: AccessKeyRecord): Promise<'handed-over' | 'changed'> {
    const updated = await this.updateIfUnchanged({
      TableName: this.tableName,
      Key: { pk: { S: credentialRecordKey(to) } },
      UpdateExpression: 'SET denyAllHandedOverBy = :by, denyAllProof = :proof',
      // The record read, still unreleased: a record released since had its release run without
      // the duty, and nobody would detach AWSDenyAll.
      ConditionExpression: 'incidentKey = :recordIncident AND released = :false',
      ExpressionAttributeValues: { ':by': { S: by }, ':proof': { S: sealedRecordJson(proof) }, ':recordIncident': { S: to.incidentKey }, ':false': { BOOL: false } },
    });
    return updated ? 'handed-over' : 'changed';
  }

  /** Sends a conditional UpdateItem: false when its condition failed (the record changed since it was read). */
  private async updateIfUnchanged(input: ConstructorParameters<typeof UpdateItemCommand>[0]): Promise<boolean> {
    try {
      await this.client.send(new UpdateItemCommand(input));
      return true;
    } catch (error) {
      if (awsErrorCode(error) === 'ConditionalCheckFailedException') return false;
      throw toResponderError(error, 'dynamodb:UpdateItem');
    }
  }
}

/**
 * Every call of the three credential steps on one state-table store (the game day runs them all in
 * one process, as the operator's commands read): the release store, with the role store's rewrite
 * and the saver's writes.
 */
export class DynamoDbCredentialRecordStore extends DynamoDbCredentialReleaseStore<MacSigner> implements CredentialRecordStore {
  private readonly saver = new DynamoDbCredentialRecordSaver(this.client, this.tableName, this.mac);
  private readonly roles = new DynamoDbRoleSessionsRecordStore(this.client, this.tableName, this.mac);

  replace(record: CredentialRecord): Promise<void> {
    return this.roles.replace(record);
  }

  saveIfAbsent(record: CredentialRecord): Promise<'saved' | 'exists'> {
    return this.saver.saveIfAbsent(record);
  }

  claim(key: Pick<AccessKeyRecord, 'kind' | 'account' | 'accessKeyId'>, incidentKey: string, at: string): Promise<KeyClaimAnswer> {
    return this.saver.claim(key, incidentKey, at);
  }

  noteUserKey(account: string, userName: string, accessKeyId: string): Promise<void> {
    return this.saver.noteUserKey(account, userName, accessKeyId);
  }
}

/** Parses and verifies a stored item (its shape, its key, its seal); the release marks come from the item. */
export async function verifyStoredCredentialRecord(
  item: Readonly<Record<string, { S?: string; BOOL?: boolean; SS?: string[] } | undefined>>,
  pk: string,
  mac: Pick<MacSigner, 'verify'>,
): Promise<ReadCredentialRecord | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(item.record?.S ?? '');
  } catch {
    return undefined;
  }
  const parsed = recordSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const marks = {
    ...(item.released?.BOOL === true ? { released: true } : {}),
    ...(item.releasedAt?.S !== undefined ? { releasedAt: item.releasedAt.S } : {}),
    ...(item.releasedBy?.S !== undefined ? { releasedBy: item.releasedBy.S } : {}),
    ...(item.releaseRequestedBy?.S !== undefined ? { releaseRequestedBy: item.releaseRequestedBy.S } : {}),
    ...(item.releaseReason?.S !== undefined ? { releaseReason: item.releaseReason.S } : {}),
  };
  const record = { ...(parsed.data as CredentialRecord), ...marks } as CredentialRecord;
  const claims: KeyClaims = {
    claims: item.claims?.SS ?? [],
    releasedClaims: item.releasedClaims?.SS ?? [],
    ...(item.lastClaimAt?.S !== undefined ? { lastClaimAt: item.lastClaimAt.S } : {}),
    ...(item.denyAllProof !== undefined ? { denyAllHandedOver: true as const } : {}),
  };
  const handover = record.kind === 'access-key' && item.denyAllProof !== undefined ? { denyAllHandover: await verifyHandover(item.denyAllHandedOverBy?.S ?? 'unknown', item.denyAllProof.S, record, mac) } : {};
  const refuse = (reason: string): ReadCredentialRecord => ({ record, claims, ...handover, verdict: { valid: false, reason } });
  if (credentialRecordKey(record) !== pk) return refuse('the record names another credential or account than its key');
  if (item.incidentKey?.S !== record.incidentKey) return refuse('the item\'s incident is not the sealed record\'s');
  if (!record.seal) return refuse('the record carries no MAC');
  return { record, claims, ...handover, verdict: await mac.verify(credentialMacMessage(record), record.seal.mac, record.recordedBy.responder) };
}

/** The duty to detach AWSDenyAll handed over to `holder`: trusted only with a sealed record of Firebreak attaching it to the same user. */
async function verifyHandover(by: string, proofJson: string | undefined, holder: AccessKeyRecord, mac: Pick<MacSigner, 'verify'>): Promise<DenyAllHandover> {
  let raw: unknown;
  try {
    raw = JSON.parse(proofJson ?? '');
  } catch {
    raw = undefined;
  }
  const parsed = recordSchema.safeParse(raw);
  if (!parsed.success || parsed.data.kind !== 'access-key') return { by, verdict: { valid: false, reason: 'its proof is not a credential record of an access key' } };
  const proof = parsed.data as AccessKeyRecord;
  const refuse = (reason: string): DenyAllHandover => ({ by, proof, verdict: { valid: false, reason } });
  if (proof.account !== holder.account || proof.userName !== holder.userName) return refuse(`its proof is a record of user ${proof.userName} in account ${proof.account}, not of ${holder.userName} in ${holder.account}`);
  if (!proof.denyAllAttached) return refuse('its proof does not say Firebreak attached AWSDenyAll');
  if (!proof.seal) return refuse('its proof carries no MAC');
  return { by, proof, verdict: await mac.verify(credentialMacMessage(proof), proof.seal.mac, proof.recordedBy.responder) };
}
