/**
 * Credential records for tests: an HMAC signer with a fixed secret over the same message KMS MACs
 * (credentialMacMessage), and a store with the state table's semantics (conditional save, replace,
 * release marks, claims) whose reads go through the real verification (verifyStoredCredentialRecord), so
 * a forged or edited record is refused by the code under test, not by the fake.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AccessKeyRecord, KeyClaimAnswer, RoleSessionsRecord, CredentialRecord, CredentialRecordStore, KeyClaims, MacSigner, ReadCredentialRecord } from '../../lib/responders/credential-records';
import { CREDENTIAL_SEAL_SCHEME, credentialMacMessage, credentialRecordKey, sealedRecordJson, userKeysKey } from '../../lib/responders/credential-records';
import { verifyStoredCredentialRecord } from '../../lib/responders/credential-record-store';
import { RECORD_MAC_ALGORITHM } from '../../lib/responders/quarantine-records';
import type { ReleaseMark } from '../../lib/responders/quarantine-records';
import type { SealVerdict } from '../../lib/responders/record-integrity';
import { TEST_RECORD_KEY_ARN } from './record-sealer';

export class TestMacSigner implements MacSigner {
  constructor(private readonly secret = 'firebreak-test-record-key') {}

  async generate(message: Uint8Array): Promise<{ keyId: string; mac: string }> {
    return { keyId: TEST_RECORD_KEY_ARN, mac: createHmac('sha256', this.secret).update(message).digest('base64') };
  }

  async verify(message: Uint8Array, macBase64: string): Promise<SealVerdict> {
    const given = Buffer.from(macBase64, 'base64');
    const wanted = createHmac('sha256', this.secret).update(message).digest();
    return given.length === wanted.length && timingSafeEqual(given, wanted) ? { valid: true } : { valid: false, reason: 'the MAC does not match the record' };
  }
}

type Item = Record<string, { S?: string; BOOL?: boolean; SS?: string[] }>;

/** The state table's credential items, in memory. */
export class MemoryCredentialRecordStore implements CredentialRecordStore {
  readonly items = new Map<string, Item>();

  constructor(private readonly mac: MacSigner = new TestMacSigner()) {}

  async saveIfAbsent(record: CredentialRecord): Promise<'saved' | 'exists'> {
    const existing = this.items.get(credentialRecordKey(record));
    if (existing !== undefined && existing.released?.BOOL !== true) return 'exists';
    await this.replace(record);
    return 'saved';
  }

  async replace(record: CredentialRecord): Promise<void> {
    const { seal: _s, released: _r, releasedAt: _ra, releasedBy: _rb, releaseRequestedBy: _rr, releaseReason: _rn, ...fields } = record;
    const { keyId, mac } = await this.mac.generate(credentialMacMessage(fields as CredentialRecord));
    const sealed = { ...fields, seal: { scheme: CREDENTIAL_SEAL_SCHEME, algorithm: RECORD_MAC_ALGORITHM, keyId, mac } };
    this.items.set(credentialRecordKey(record), { incidentKey: { S: record.incidentKey }, released: { BOOL: false }, record: { S: JSON.stringify(sealed) } });
  }

  get(key: Pick<AccessKeyRecord, 'kind' | 'account' | 'accessKeyId'>): Promise<ReadCredentialRecord<AccessKeyRecord> | undefined>;
  get(key: Pick<RoleSessionsRecord, 'kind' | 'account' | 'roleName'>): Promise<ReadCredentialRecord<RoleSessionsRecord> | undefined>;
  async get(key: Parameters<typeof credentialRecordKey>[0]): Promise<ReadCredentialRecord | undefined> {
    const pk = credentialRecordKey(key);
    const item = this.items.get(pk);
    return item === undefined ? undefined : verifyStoredCredentialRecord(item, pk, this.mac);
  }

  async claim(key: Pick<AccessKeyRecord, 'kind' | 'account' | 'accessKeyId'>, incidentKey: string, at: string): Promise<KeyClaimAnswer> {
    const item = this.items.get(credentialRecordKey(key));
    if (item === undefined) return 'no-record';
    if (item.released?.BOOL !== false) return 'released';
    item.lastClaimAt = { S: at };
    item.claims = { SS: [...new Set([...(item.claims?.SS ?? []), incidentKey])] };
    setOrRemove(item, 'releasedClaims', (item.releasedClaims?.SS ?? []).filter((key) => key !== incidentKey));
    return 'claimed';
  }

  async noteUserKey(account: string, userName: string, accessKeyId: string): Promise<void> {
    const pk = userKeysKey(account, userName);
    this.items.set(pk, { keys: { SS: [...new Set([...(this.items.get(pk)?.keys?.SS ?? []), accessKeyId])] } });
  }

  async userKeys(account: string, userName: string): Promise<string[]> {
    return this.items.get(userKeysKey(account, userName))?.keys?.SS ?? [];
  }

  async takeBackClaim(record: AccessKeyRecord, incidentKey: string, claims: KeyClaims): Promise<'taken-back' | 'changed'> {
    const item = this.items.get(credentialRecordKey(record));
    if (item === undefined || item.incidentKey?.S !== record.incidentKey || item.released?.BOOL !== false || !sameClaims(item, claims)) return 'changed';
    item.releasedClaims = { SS: [...new Set([...(item.releasedClaims?.SS ?? []), incidentKey])] };
    setOrRemove(item, 'claims', (item.claims?.SS ?? []).filter((key) => key !== incidentKey));
    return 'taken-back';
  }

  async markReleased(record: CredentialRecord, mark: ReleaseMark, claims?: KeyClaims): Promise<'released' | 'changed'> {
    const item = this.items.get(credentialRecordKey(record));
    if (item === undefined || item.incidentKey?.S !== record.incidentKey || item.released?.BOOL !== false) return 'changed';
    if (claims !== undefined && !sameClaims(item, claims)) return 'changed';
    if (claims !== undefined && claims.denyAllHandedOver !== true && item.denyAllProof !== undefined) return 'changed';
    item.released = { BOOL: true };
    item.releasedAt = { S: mark.releasedAt };
    item.releasedBy = { S: mark.releasedBy };
    if (mark.releaseRequestedBy !== undefined) item.releaseRequestedBy = { S: mark.releaseRequestedBy };
    if (mark.releaseReason !== undefined) item.releaseReason = { S: mark.releaseReason };
    return 'released';
  }

  async handOverDenyAll(to: AccessKeyRecord, by: string, proof: AccessKeyRecord): Promise<'handed-over' | 'changed'> {
    const item = this.items.get(credentialRecordKey(to));
    if (item === undefined || item.incidentKey?.S !== to.incidentKey || item.released?.BOOL !== false) return 'changed';
    item.denyAllHandedOverBy = { S: by };
    item.denyAllProof = { S: sealedRecordJson(proof) };
    return 'handed-over';
  }

  /** The stored record as JSON (parsed), for assertions and for forging. */
  stored(pk: string): Record<string, unknown> {
    return JSON.parse(this.items.get(pk)?.record?.S ?? 'null') as Record<string, unknown>;
  }

  /** Writes `record` as the stored JSON without sealing it again: what an attacker with table write access could do. */
  forge(pk: string, record: Record<string, unknown>): void {
    const item = this.items.get(pk) ?? { incidentKey: { S: String(record.incidentKey) }, released: { BOOL: false } };
    item.record = { S: JSON.stringify(record) };
    this.items.set(pk, item);
  }
}

/** The condition of sameClaimsCondition, on an item in memory. */
function sameClaims(item: Item, claims: KeyClaims): boolean {
  return item.lastClaimAt?.S === claims.lastClaimAt && (item.releasedClaims?.SS?.length ?? 0) === claims.releasedClaims.length;
}

/** A string set, removed when empty (as DynamoDB does). */
function setOrRemove(item: Item, name: string, values: string[]): void {
  if (values.length > 0) item[name] = { SS: values };
  else delete item[name];
}
