/**
 * Integrity of the pre-quarantine record. The record is what release-instance restores an instance
 * from: its instance profile and its security groups. Unsigned, one write to the state table would
 * turn a release into privilege escalation (attach an administrator's profile, open groups), so
 * quarantine-instance seals the record with a MAC from a KMS HMAC key (HMAC_256,
 * GENERATE_VERIFY_MAC) that only its role may use for kms:GenerateMac, and release-instance (whose
 * role alone may kms:VerifyMac) checks the seal before it changes anything.
 *
 * What is MACed: a canonical serialization of every field release restores or relies on (account,
 * region, instance, incident, capture time, groups per ENI in order, profile, protections,
 * DeleteOnTermination, Firebreak's tags), with sorted keys and a scheme label, so that no field can
 * move, be added or dropped without the MAC changing. KMS takes at most 4096 bytes of message
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html), and a record of an
 * instance with many ENIs and volumes can be longer: the message is the scheme label and the
 * SHA-256 of the canonical serialization (HMAC over a collision-resistant digest is as strong).
 * The release marks (released, releasedAt, releasedBy) are not sealed: release writes them, and
 * a released record is never restored from.
 */
import { timingSafeEqual } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import { canonicalFleetFields } from './fleet-records';
import type { QuarantineRecord, RecordSeal } from './quarantine-records';
import { RECORD_SEAL_SCHEME } from './quarantine-records';
import type { SealVerdict } from './record-mac';
import { KmsMac, RECORD_MAC_ALGORITHM } from './record-mac';
import type { Canonical } from '../contracts/canonical-json';
import { canonicalJson } from '../contracts/canonical-json';
import { sha256Hex } from '../incident/keys';

// The MAC every sealed record shares lives in record-mac.ts (a leaf the credential and evidence
// responders bundle without the pre-quarantine record); re-exported for the modules that import it here.
export type { SealVerdict } from './record-mac';
export { KmsMac, RecordKeyNotConfiguredError } from './record-mac';

/**
 * The canonical serialization of the sealed fields (pure): sorted keys, arrays in the record's
 * order (EC2's order of ENIs and groups is what release restores), absent optional fields as null.
 */
export function canonicalRecord(record: QuarantineRecord): string {
  const sealed: Canonical = {
    scheme: RECORD_SEAL_SCHEME,
    account: record.account,
    region: record.region,
    instanceId: record.instanceId,
    incidentKey: record.incidentKey,
    capturedAt: record.capturedAt,
    networkInterfaces: record.networkInterfaces.map((eni) => ({
      networkInterfaceId: eni.networkInterfaceId,
      groupIds: [...eni.groupIds],
    })),
    instanceProfileArn: record.instanceProfileArn ?? null,
    disableApiTermination: record.disableApiTermination,
    shutdownBehavior: record.shutdownBehavior,
    deleteOnTermination: record.deleteOnTermination.map((volume) => ({
      deviceName: volume.deviceName,
      volumeId: volume.volumeId ?? null,
      deleteOnTermination: volume.deleteOnTermination,
    })),
    tags: { ...record.tags },
    ...(canonicalFleetFields(record) as { [key: string]: Canonical }),
    // Fields added after the first records were sealed enter the MAC only when present, so a record
    // sealed before them still verifies; present, they are sealed like the rest (dropping one changes the MAC).
    ...(record.elasticIps !== undefined
      ? { elasticIps: record.elasticIps.map((a) => ({ allocationId: a.allocationId, publicIp: a.publicIp, networkInterfaceId: a.networkInterfaceId, privateIpAddress: a.privateIpAddress })) }
      : {}),
    ...(record.instanceMetadata !== undefined ? { instanceMetadata: { ...record.instanceMetadata } } : {}),
    ...(record.instanceProfileRoleIds !== undefined ? { instanceProfileRoleIds: [...record.instanceProfileRoleIds] } : {}),
  };
  return canonicalJson(sealed);
}

/** The bytes KMS MACs (pure): the scheme label and the SHA-256 of the canonical serialization. */
export function recordMacMessage(record: QuarantineRecord): Uint8Array {
  const digest = sha256Hex(canonicalRecord(record));
  return new TextEncoder().encode(`${RECORD_SEAL_SCHEME}\nsha256:${digest}`);
}

/** Seals and checks records (KMS in Lambda and the game day; anything in tests). */
export interface RecordSealer {
  /** The MAC of the record (kms:GenerateMac). Throws TransientResponderError on throttling. */
  seal(record: QuarantineRecord): Promise<RecordSeal>;
  /** Whether the record's seal is a MAC of its fields under the deployment's key (kms:VerifyMac). */
  verify(record: QuarantineRecord): Promise<SealVerdict>;
}

/** kms:GenerateMac / kms:VerifyMac of pre-quarantine records with the deployment's HMAC key. */
export class KmsRecordSealer implements RecordSealer {
  private readonly mac: KmsMac;

  constructor(kms: KMSClient, keyId: string) {
    this.mac = new KmsMac(kms, keyId);
  }

  async seal(record: QuarantineRecord): Promise<RecordSeal> {
    const { keyId, mac } = await this.mac.generate(recordMacMessage(record));
    return { scheme: RECORD_SEAL_SCHEME, algorithm: RECORD_MAC_ALGORITHM, keyId, mac };
  }

  async verify(record: QuarantineRecord): Promise<SealVerdict> {
    const seal = checkableSeal(record);
    if (typeof seal === 'string') return { valid: false, reason: seal };
    return this.mac.verify(recordMacMessage(record), seal.mac, 'quarantine');
  }
}

/** The record's seal, or why there is none to check (pure). */
function checkableSeal(record: QuarantineRecord): RecordSeal | string {
  const seal = record.seal;
  if (!seal) return 'the record carries no MAC (it was not written by quarantine-instance with the record key)';
  if (seal.scheme !== RECORD_SEAL_SCHEME || seal.algorithm !== RECORD_MAC_ALGORITHM) {
    return `the record's seal uses ${seal.scheme}/${seal.algorithm}, not ${RECORD_SEAL_SCHEME}/${RECORD_MAC_ALGORITHM}`;
  }
  return seal;
}

/**
 * Whether the record's seal is the MAC `sealer` makes of its fields now, for a role that may
 * kms:GenerateMac but not kms:VerifyMac (quarantine-instance's): HMAC is deterministic, so the
 * same fields under the same key give the same MAC. The MACs are compared in constant time, and
 * the one made here is never kept. Throws TransientResponderError on throttling.
 */
export async function sealHolds(sealer: RecordSealer, record: QuarantineRecord): Promise<SealVerdict> {
  const seal = checkableSeal(record);
  if (typeof seal === 'string') return { valid: false, reason: seal };
  const given = Buffer.from(seal.mac, 'base64');
  const wanted = Buffer.from((await sealer.seal(record)).mac, 'base64');
  return given.length === wanted.length && timingSafeEqual(given, wanted)
    ? { valid: true }
    : { valid: false, reason: 'its MAC is not the MAC of its fields under the record key: a field was changed after quarantine sealed it' };
}
