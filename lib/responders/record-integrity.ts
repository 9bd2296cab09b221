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
import { createHash } from 'node:crypto';
import { GenerateMacCommand, VerifyMacCommand } from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { awsErrorCode, isTransientAwsError } from '../aws/errors';
import { TransientResponderError } from '../contracts/responder-errors';
import { canonicalFleetFields } from './fleet-records';
import type { QuarantineRecord, RecordSeal } from './quarantine-records';
import { RECORD_MAC_ALGORITHM, RECORD_SEAL_SCHEME } from './quarantine-records';
import { FirebreakError } from '../contracts/errors';

export type Canonical = null | boolean | number | string | Canonical[] | { [key: string]: Canonical };

/** The value with every object's keys sorted (arrays keep their order): the canonical JSON of a record or an API answer. */
export function sortedKeys(value: Canonical): Canonical {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortedKeys(value[key] as Canonical)]),
    );
  }
  return value;
}

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
  };
  return JSON.stringify(sortedKeys(sealed));
}

/** The bytes KMS MACs (pure): the scheme label and the SHA-256 of the canonical serialization. */
export function recordMacMessage(record: QuarantineRecord): Uint8Array {
  const digest = createHash('sha256').update(canonicalRecord(record), 'utf8').digest('hex');
  return new TextEncoder().encode(`${RECORD_SEAL_SCHEME}\nsha256:${digest}`);
}

/** Why a record's seal does not hold, or that it does. */
export type SealVerdict = { readonly valid: true } | { readonly valid: false; readonly reason: string };

/** Seals and checks records (KMS in Lambda and the game day; anything in tests). */
export interface RecordSealer {
  /** The MAC of the record (kms:GenerateMac). Throws TransientResponderError on throttling. */
  seal(record: QuarantineRecord): Promise<RecordSeal>;
  /** Whether the record's seal is a MAC of its fields under the deployment's key (kms:VerifyMac). */
  verify(record: QuarantineRecord): Promise<SealVerdict>;
}

/** The record key is not configured: quarantine records stay unsealed and release refuses them. */
export class RecordKeyNotConfiguredError extends FirebreakError {
  override readonly name = 'RecordKeyNotConfiguredError';
}

/**
 * kms:GenerateMac / kms:VerifyMac of one message with the deployment's HMAC key: what every sealed
 * record shares (the pre-quarantine record here, the evidence custody record in
 * snapshot-custody.ts). Each kind of record MACs a message that starts with its own scheme label,
 * so a MAC of one kind never verifies as another.
 */
export class KmsMac {
  constructor(
    private readonly kms: KMSClient,
    /** The key's ARN, from the deployment's environment (never from a record). */
    private readonly keyId: string,
  ) {}

  /** The MAC of `message`, base64, and the key KMS says made it. Throws TransientResponderError on throttling. */
  async generate(message: Uint8Array): Promise<{ readonly keyId: string; readonly mac: string }> {
    const key = this.key();
    let answer;
    try {
      answer = await this.kms.send(new GenerateMacCommand({ KeyId: key, MacAlgorithm: RECORD_MAC_ALGORITHM, Message: message }));
    } catch (error) {
      if (isTransientAwsError(error)) {
        throw new TransientResponderError(`kms:GenerateMac failed transiently (${awsErrorCode(error) ?? 'UnknownError'})`, { cause: error });
      }
      throw error;
    }
    if (!answer.Mac) throw new Error('kms:GenerateMac answered without a MAC');
    return { keyId: answer.KeyId ?? key, mac: Buffer.from(answer.Mac).toString('base64') };
  }

  /** Whether `macBase64` is the MAC of `message` under the configured key; `recordedBy` names who wrote it, for the reason. */
  async verify(message: Uint8Array, macBase64: string, recordedBy: string): Promise<SealVerdict> {
    const mac = Buffer.from(macBase64, 'base64');
    if (mac.length === 0 || mac.toString('base64') !== macBase64) return { valid: false, reason: 'the record\'s MAC is not base64' };
    const key = this.key();
    try {
      const answer = await this.kms.send(new VerifyMacCommand({ KeyId: key, MacAlgorithm: RECORD_MAC_ALGORITHM, Message: message, Mac: mac }));
      return answer.MacValid === true ? { valid: true } : { valid: false, reason: 'KMS says the MAC does not match the record' };
    } catch (error) {
      const code = awsErrorCode(error);
      // VerifyMac answers a wrong MAC with an error, not MacValid=false
      // (https://docs.aws.amazon.com/kms/latest/APIReference/API_VerifyMac.html).
      if (code === 'KMSInvalidMacException') {
        return { valid: false, reason: `KMS says the MAC does not match the record: a field was changed after ${recordedBy} recorded it` };
      }
      if (isTransientAwsError(error)) {
        throw new TransientResponderError(`kms:VerifyMac failed transiently (${code ?? 'UnknownError'})`, { cause: error });
      }
      return { valid: false, reason: `the MAC could not be verified (kms:VerifyMac ${code ?? 'failed'}): the record is not trusted` };
    }
  }

  private key(): string {
    if (!this.keyId) {
      throw new RecordKeyNotConfiguredError('No record key configured: the stack sets FIREBREAK_RECORD_KEY_ARN on the responders that seal or verify records');
    }
    return this.keyId;
  }
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
    const seal = record.seal;
    if (!seal) return { valid: false, reason: 'the record carries no MAC (it was not written by quarantine-instance with the record key)' };
    if (seal.scheme !== RECORD_SEAL_SCHEME || seal.algorithm !== RECORD_MAC_ALGORITHM) {
      return { valid: false, reason: `the record's seal uses ${seal.scheme}/${seal.algorithm}, not ${RECORD_SEAL_SCHEME}/${RECORD_MAC_ALGORITHM}` };
    }
    return this.mac.verify(recordMacMessage(record), seal.mac, 'quarantine');
  }
}
