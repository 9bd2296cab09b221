import { GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TransientResponderError } from '../../lib/contracts/responder-errors';
import { RECORD_SEAL_SCHEME } from '../../lib/responders/quarantine-records';
import { KmsRecordSealer, canonicalRecord, recordMacMessage, sealHolds } from '../../lib/responders/record-integrity';
import { recordOfDefaultInstance } from './quarantine-fixtures';
import { sdkError } from './quarantine-fixtures';

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-4333-8444-555555555555';
const RECORD = recordOfDefaultInstance('gd-quarantine', '2026-11-20T10:02:00.000Z');
const MAC = new Uint8Array(32).fill(7);
const kms = mockClient(KMSClient);

beforeEach(() => kms.reset());

describe('canonicalRecord', () => {
  it('serializes every restored field with sorted keys, whatever order the record was built in', () => {
    const reordered = Object.fromEntries(Object.entries(RECORD).reverse()) as typeof RECORD;
    expect(canonicalRecord(reordered)).toBe(canonicalRecord(RECORD));
    const parsed = JSON.parse(canonicalRecord(RECORD)) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual([...Object.keys(parsed)].sort());
    expect(parsed).toMatchObject({ scheme: RECORD_SEAL_SCHEME, instanceProfileArn: RECORD.instanceProfileArn, account: RECORD.account });
  });

  it('changes when any restored field changes: profile, a group, group order, a protection, a tag', () => {
    const base = canonicalRecord(RECORD);
    const variants = [
      { ...RECORD, instanceProfileArn: 'arn:aws:iam::111122223333:instance-profile/Administrator' },
      { ...RECORD, networkInterfaces: [{ ...RECORD.networkInterfaces[0]!, groupIds: [...RECORD.networkInterfaces[0]!.groupIds, 'sg-0open'] }, ...RECORD.networkInterfaces.slice(1)] },
      { ...RECORD, networkInterfaces: [...RECORD.networkInterfaces].reverse() },
      { ...RECORD, disableApiTermination: !RECORD.disableApiTermination },
      { ...RECORD, tags: { ...RECORD.tags, 'firebreak:incident': 'other' } },
      { ...RECORD, account: '444455556666' },
    ];
    for (const variant of variants) expect(canonicalRecord(variant)).not.toBe(base);
  });

  it('leaves out the release marks and the seal itself', () => {
    expect(canonicalRecord({ ...RECORD, released: true, releasedBy: 'x', releasedAt: 'y', seal: { scheme: RECORD_SEAL_SCHEME, algorithm: 'HMAC_SHA_256', keyId: KEY, mac: 'AA==' } })).toBe(
      canonicalRecord(RECORD),
    );
  });

  it('MACs a short message (the scheme and a SHA-256), within the 4096 bytes KMS accepts', () => {
    const message = new TextDecoder().decode(recordMacMessage(RECORD));
    expect(message).toMatch(new RegExp(`^${RECORD_SEAL_SCHEME}\\nsha256:[0-9a-f]{64}$`));
  });
});

describe('KmsRecordSealer', () => {
  it('seals with kms:GenerateMac on the configured key, HMAC_SHA_256, over the record message', async () => {
    kms.on(GenerateMacCommand).resolves({ Mac: MAC, KeyId: KEY, MacAlgorithm: 'HMAC_SHA_256' });
    const seal = await new KmsRecordSealer(new KMSClient({ region: 'eu-west-1' }), KEY).seal(RECORD);
    expect(kms.commandCalls(GenerateMacCommand).map((c) => c.args[0].input)).toEqual([
      { KeyId: KEY, MacAlgorithm: 'HMAC_SHA_256', Message: recordMacMessage(RECORD) },
    ]);
    expect(seal).toEqual({ scheme: RECORD_SEAL_SCHEME, algorithm: 'HMAC_SHA_256', keyId: KEY, mac: Buffer.from(MAC).toString('base64') });
  });

  it('verifies with kms:VerifyMac on its own configured key, never the key the record names', async () => {
    kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: KEY });
    const record = { ...RECORD, seal: { scheme: RECORD_SEAL_SCHEME, algorithm: 'HMAC_SHA_256', keyId: 'arn:aws:kms:eu-west-1:444455556666:key/attacker', mac: Buffer.from(MAC).toString('base64') } } as const;
    const verdict = await new KmsRecordSealer(new KMSClient({ region: 'eu-west-1' }), KEY).verify(record);
    expect(verdict).toEqual({ valid: true });
    expect(kms.commandCalls(VerifyMacCommand).map((c) => c.args[0].input)).toEqual([
      { KeyId: KEY, MacAlgorithm: 'HMAC_SHA_256', Message: recordMacMessage(RECORD), Mac: Buffer.from(MAC) },
    ]);
  });

  it('answers invalid when KMS says KMSInvalidMacException (a changed record)', async () => {
    kms.on(VerifyMacCommand).rejects(sdkError('KMSInvalidMacException'));
    const record = { ...RECORD, seal: { scheme: RECORD_SEAL_SCHEME, algorithm: 'HMAC_SHA_256', keyId: KEY, mac: Buffer.from(MAC).toString('base64') } } as const;
    const verdict = await new KmsRecordSealer(new KMSClient({ region: 'eu-west-1' }), KEY).verify(record);
    expect(verdict).toEqual({ valid: false, reason: expect.stringContaining('does not match the record') });
  });

  it('answers invalid for a record without a seal, without calling KMS', async () => {
    expect(await new KmsRecordSealer(new KMSClient({ region: 'eu-west-1' }), KEY).verify(RECORD)).toMatchObject({ valid: false });
    expect(kms.calls()).toHaveLength(0);
  });

  it('answers invalid when the key cannot verify (disabled, denied): the record is not trusted', async () => {
    kms.on(VerifyMacCommand).rejects(sdkError('DisabledException'));
    const record = { ...RECORD, seal: { scheme: RECORD_SEAL_SCHEME, algorithm: 'HMAC_SHA_256', keyId: KEY, mac: 'Bw==' } } as const;
    expect(await new KmsRecordSealer(new KMSClient({ region: 'eu-west-1' }), KEY).verify(record)).toEqual({
      valid: false,
      reason: expect.stringContaining('DisabledException'),
    });
  });

  it('throws TransientResponderError on throttling, so the state machine retries', async () => {
    kms.on(GenerateMacCommand).rejects(sdkError('ThrottlingException', 400));
    await expect(new KmsRecordSealer(new KMSClient({ region: 'eu-west-1' }), KEY).seal(RECORD)).rejects.toBeInstanceOf(TransientResponderError);
  });
});

describe('sealHolds (a seal checked with kms:GenerateMac alone)', () => {
  const sealer = () => new KmsRecordSealer(new KMSClient({ region: 'eu-west-1' }), KEY);
  const sealedWith = (mac: Uint8Array) => ({ ...RECORD, seal: { scheme: RECORD_SEAL_SCHEME, algorithm: 'HMAC_SHA_256', keyId: KEY, mac: Buffer.from(mac).toString('base64') } }) as const;

  it('holds when the MAC KMS makes of the record now is its seal, asking KMS for that MAC only', async () => {
    kms.on(GenerateMacCommand).resolves({ Mac: MAC, KeyId: KEY, MacAlgorithm: 'HMAC_SHA_256' });
    expect(await sealHolds(sealer(), sealedWith(MAC))).toEqual({ valid: true });
    expect(kms.commandCalls(GenerateMacCommand).map((c) => c.args[0].input)).toEqual([{ KeyId: KEY, MacAlgorithm: 'HMAC_SHA_256', Message: recordMacMessage(RECORD) }]);
    expect(kms.commandCalls(VerifyMacCommand)).toHaveLength(0);
  });

  it('does not hold when the MAC differs (a field changed), nor when its length differs', async () => {
    kms.on(GenerateMacCommand).resolves({ Mac: MAC, KeyId: KEY, MacAlgorithm: 'HMAC_SHA_256' });
    expect(await sealHolds(sealer(), sealedWith(new Uint8Array(32).fill(8)))).toEqual({ valid: false, reason: expect.stringContaining('a field was changed') });
    expect(await sealHolds(sealer(), sealedWith(MAC.subarray(0, 16)))).toMatchObject({ valid: false });
  });

  it('does not hold for a record without a seal, without calling KMS', async () => {
    expect(await sealHolds(sealer(), RECORD)).toEqual({ valid: false, reason: expect.stringContaining('carries no MAC') });
    expect(kms.calls()).toHaveLength(0);
  });
});
