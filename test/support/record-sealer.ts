/**
 * A record sealer for tests: HMAC-SHA256 with a fixed secret over the same message KMS MACs
 * (recordMacMessage), so the responders' seal checks run for real without KMS.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { QuarantineRecord } from '../../lib/responders/quarantine-records';
import type { RecordSeal } from '../../lib/responders/quarantine-records';
import { RECORD_MAC_ALGORITHM, RECORD_SEAL_SCHEME } from '../../lib/responders/quarantine-records';
import type { RecordSealer, SealVerdict } from '../../lib/responders/record-integrity';
import { recordMacMessage } from '../../lib/responders/record-integrity';

export const TEST_RECORD_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-4000-8000-00000000c0de';

export class TestRecordSealer implements RecordSealer {
  constructor(private readonly secret = 'firebreak-test-record-key') {}

  mac(record: QuarantineRecord): string {
    return createHmac('sha256', this.secret).update(recordMacMessage(record)).digest('base64');
  }

  async seal(record: QuarantineRecord): Promise<RecordSeal> {
    return { scheme: RECORD_SEAL_SCHEME, algorithm: RECORD_MAC_ALGORITHM, keyId: TEST_RECORD_KEY_ARN, mac: this.mac(record) };
  }

  async verify(record: QuarantineRecord): Promise<SealVerdict> {
    if (!record.seal) return { valid: false, reason: 'the record carries no MAC' };
    const given = Buffer.from(record.seal.mac, 'base64');
    const wanted = Buffer.from(this.mac(record), 'base64');
    return given.length === wanted.length && timingSafeEqual(given, wanted)
      ? { valid: true }
      : { valid: false, reason: 'the MAC does not match the record' };
  }
}

export const TEST_SEALER = new TestRecordSealer();

/** The record with the test sealer's seal. */
export async function sealed(record: QuarantineRecord): Promise<QuarantineRecord> {
  const { seal: _old, ...fields } = record;
  return { ...fields, seal: await TEST_SEALER.seal(fields) };
}
