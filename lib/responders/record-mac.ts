/**
 * What every sealed record shares (the pre-quarantine record, the credential records, the evidence
 * custody record): the KMS MAC of a message with the deployment's HMAC key and the verdict (the
 * canonical JSON it is taken of is canonical-json.ts). A leaf module, so that a responder that seals or checks a record bundles
 * only this, not the pre-quarantine record's schemas (record-integrity.ts says what a quarantine
 * record's seal covers; docs/architecture.md, "Lean Lambda bundles").
 */
import { GenerateMacCommand, VerifyMacCommand } from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { awsErrorCode, isTransientAwsError } from '../aws/errors';
import { FirebreakError } from '../contracts/errors';
import { TransientResponderError } from '../contracts/responder-errors';

/** The KMS MAC algorithm of HMAC_256 keys. */
export const RECORD_MAC_ALGORITHM = 'HMAC_SHA_256';

/** Why a record's seal does not hold, or that it does. */
export type SealVerdict = { readonly valid: true } | { readonly valid: false; readonly reason: string };

/** The record key is not configured: quarantine records stay unsealed and release refuses them. */
export class RecordKeyNotConfiguredError extends FirebreakError {
  override readonly name = 'RecordKeyNotConfiguredError';
}

/** The deployment's HMAC key (KMS), that seals records and verifies their seals. */
class KmsMacKey {
  constructor(
    protected readonly kms: KMSClient,
    /** The key's ARN, from the deployment's environment (never from a record). */
    private readonly keyId: string,
  ) {}

  protected key(): string {
    if (!this.keyId) {
      throw new RecordKeyNotConfiguredError('No record key configured: the stack sets FIREBREAK_RECORD_KEY_ARN on the responders that seal or verify records');
    }
    return this.keyId;
  }
}

/**
 * kms:GenerateMac of one message with the deployment's HMAC key, for a step that seals records and
 * never reads one back (disable-access-key): apart from the verifier, so that its bundle carries no
 * kms:VerifyMac.
 */
export class KmsMacGenerator extends KmsMacKey {
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
}

/** Whether `macBase64` is the MAC of `message` under the key; `recordedBy` names who wrote it, for the reason. Throws TransientResponderError on throttling. */
async function sealVerdict(kms: KMSClient, key: () => string, message: Uint8Array, macBase64: string, recordedBy: string): Promise<SealVerdict> {
  const answer = await verifyRecordMac(kms, key, message, macBase64, `${recordedBy} recorded it`);
  if (!('error' in answer)) return answer;
  const code = awsErrorCode(answer.error);
  if (isTransientAwsError(answer.error)) {
    throw new TransientResponderError(`kms:VerifyMac failed transiently (${code ?? 'UnknownError'})`, { cause: answer.error });
  }
  return { valid: false, reason: `the MAC could not be verified (kms:VerifyMac ${code ?? 'failed'}): the record is not trusted` };
}

/**
 * kms:VerifyMac of a record's seal, for a step that reads sealed records and never seals one
 * (release-credentials): apart from the generator, so that its bundle carries no kms:GenerateMac.
 */
export class KmsMacVerifier extends KmsMacKey {
  /** Whether `macBase64` is the MAC of `message` under the configured key; `recordedBy` names who wrote it, for the reason. */
  verify(message: Uint8Array, macBase64: string, recordedBy: string): Promise<SealVerdict> {
    return sealVerdict(this.kms, () => this.key(), message, macBase64, recordedBy);
  }
}

/**
 * kms:GenerateMac / kms:VerifyMac of one message with the deployment's HMAC key: what every sealed
 * record shares (the pre-quarantine record here, the evidence custody record in
 * snapshot-custody.ts). Each kind of record MACs a message that starts with its own scheme label,
 * so a MAC of one kind never verifies as another.
 */
export class KmsMac extends KmsMacGenerator {
  /** Whether `macBase64` is the MAC of `message` under the configured key; `recordedBy` names who wrote it, for the reason. */
  verify(message: Uint8Array, macBase64: string, recordedBy: string): Promise<SealVerdict> {
    return sealVerdict(this.kms, () => this.key(), message, macBase64, recordedBy);
  }
}

/**
 * One kms:VerifyMac of a record's seal: KMS's verdict when it gives one (the MAC holds, or does not
 * match, `changedAfter` saying after what a field was changed), a MAC that is not canonical base64
 * refused before asking (and before `key`, which may throw, is read), else the error KMS answered,
 * for the caller to say what a check that could not be made means (a responder retries a throttled
 * one and distrusts the record otherwise; the report says the record is unchecked).
 */
export async function verifyRecordMac(
  kms: KMSClient,
  key: () => string,
  message: Uint8Array,
  macBase64: string,
  changedAfter: string,
): Promise<SealVerdict | { readonly error: unknown }> {
  const mac = Buffer.from(macBase64, 'base64');
  if (mac.length === 0 || mac.toString('base64') !== macBase64) return { valid: false, reason: 'the record\'s MAC is not base64' };
  const keyId = key();
  try {
    const answer = await kms.send(new VerifyMacCommand({ KeyId: keyId, MacAlgorithm: RECORD_MAC_ALGORITHM, Message: message, Mac: mac }));
    return answer.MacValid === true ? { valid: true } : { valid: false, reason: 'KMS says the MAC does not match the record' };
  } catch (error) {
    // VerifyMac answers a wrong MAC with an error, not MacValid=false
    // (https://docs.aws.amazon.com/kms/latest/APIReference/API_VerifyMac.html).
    if (awsErrorCode(error) === 'KMSInvalidMacException') return { valid: false, reason: `KMS says the MAC does not match the record: a field was changed after ${changedAfter}` };
    return { error };
  }
}
