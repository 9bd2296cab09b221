import { GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TransientResponderError } from '../../lib/contracts/responder-errors';
import type { QuarantineRecord } from '../../lib/responders/quarantine-records';
import { KmsMac, RecordKeyNotConfiguredError } from '../../lib/responders/record-mac';
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

// Written for the mutants Stryker found surviving in record-integrity.ts and record-mac.ts
// (docs/testing.md): a sealed field a change to which the MAC did not notice, and KMS answers the
// tests never gave.
describe('canonicalRecord: every sealed field', () => {
  const EIP = { allocationId: 'eipalloc-0a1b2c3d4e5f60718', publicIp: '203.0.113.10', networkInterfaceId: 'eni-0aaa1111bbbb22223', privateIpAddress: '10.0.1.10' };
  const METADATA = { httpEndpoint: 'enabled', httpTokens: 'optional', httpPutResponseHopLimit: 1 } as const;
  const volume = (change: Partial<QuarantineRecord['deleteOnTermination'][number]>): QuarantineRecord => ({
    ...RECORD,
    deleteOnTermination: [{ ...RECORD.deleteOnTermination[0]!, ...change }, ...RECORD.deleteOnTermination.slice(1)],
  });

  it('changes when any other sealed field changes: identity, capture time, volumes, shutdown, addresses, metadata options', () => {
    const withAddresses: QuarantineRecord = { ...RECORD, elasticIps: [EIP] };
    const withMetadata: QuarantineRecord = { ...RECORD, instanceMetadata: METADATA };
    const variants: QuarantineRecord[] = [
      { ...RECORD, region: 'us-east-1' },
      { ...RECORD, instanceId: 'i-0fff0000aaaa11112' },
      { ...RECORD, incidentKey: 'gd-other' },
      { ...RECORD, capturedAt: '2026-11-20T10:03:00.000Z' },
      { ...RECORD, shutdownBehavior: RECORD.shutdownBehavior === 'stop' ? 'terminate' : 'stop' },
      volume({ deleteOnTermination: !RECORD.deleteOnTermination[0]!.deleteOnTermination }),
      volume({ volumeId: 'vol-0fff0000aaaa11112' }),
      volume({ volumeId: undefined }),
      volume({ deviceName: '/dev/sdz' }),
      withAddresses,
      withMetadata,
    ];
    const forms = new Set([canonicalRecord(RECORD), ...variants.map(canonicalRecord)]);
    expect(forms.size).toBe(variants.length + 1);

    for (const change of [{ publicIp: '198.51.100.7' }, { allocationId: 'eipalloc-0fff' }, { networkInterfaceId: 'eni-0fff' }, { privateIpAddress: '10.0.1.99' }]) {
      expect(canonicalRecord({ ...RECORD, elasticIps: [{ ...EIP, ...change }] })).not.toBe(canonicalRecord(withAddresses));
    }
    expect(canonicalRecord({ ...RECORD, elasticIps: [] })).not.toBe(canonicalRecord(withAddresses));
    for (const change of [{ httpTokens: 'required' }, { httpEndpoint: 'disabled' }, { httpPutResponseHopLimit: 2 }] as const) {
      expect(canonicalRecord({ ...RECORD, instanceMetadata: { ...METADATA, ...change } })).not.toBe(canonicalRecord(withMetadata));
    }
  });

  it('keeps the form of a record sealed before Elastic IPs and metadata options were recorded, so its seal still verifies', () => {
    const parsed = JSON.parse(canonicalRecord(RECORD)) as Record<string, unknown>;
    expect(RECORD.elasticIps).toBeUndefined();
    expect(RECORD.instanceMetadata).toBeUndefined();
    expect(parsed).not.toHaveProperty('elasticIps');
    expect(parsed).not.toHaveProperty('instanceMetadata');
  });
});

describe('the seal KMS checks', () => {
  const sealer = () => new KmsRecordSealer(new KMSClient({ region: 'eu-west-1' }), KEY);
  // Any scheme or algorithm, as a record item someone wrote into the table could carry.
  const sealed = (seal: { readonly scheme?: string; readonly algorithm?: string; readonly mac?: string }): QuarantineRecord =>
    ({
      ...RECORD,
      seal: { scheme: RECORD_SEAL_SCHEME, algorithm: 'HMAC_SHA_256', keyId: KEY, mac: Buffer.from(MAC).toString('base64'), ...seal },
    }) as QuarantineRecord;

  it('refuses a seal of another scheme or algorithm without asking KMS', async () => {
    kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: KEY });
    kms.on(GenerateMacCommand).resolves({ Mac: MAC, KeyId: KEY, MacAlgorithm: 'HMAC_SHA_256' });
    expect(await sealer().verify(sealed({ scheme: 'other-scheme/v1' }))).toEqual({
      valid: false,
      reason: `the record's seal uses other-scheme/v1/HMAC_SHA_256, not ${RECORD_SEAL_SCHEME}/HMAC_SHA_256`,
    });
    expect(await sealer().verify(sealed({ algorithm: 'HMAC_SHA_512' }))).toMatchObject({ valid: false });
    expect(await sealHolds(sealer(), sealed({ algorithm: 'HMAC_SHA_512' }))).toMatchObject({ valid: false });
    expect(kms.calls()).toHaveLength(0);
  });

  it('answers invalid when VerifyMac says MacValid false, naming who recorded it when KMS rejects the MAC', async () => {
    kms.on(VerifyMacCommand).resolves({ MacValid: false, KeyId: KEY });
    expect(await sealer().verify(sealed({}))).toEqual({ valid: false, reason: 'KMS says the MAC does not match the record' });
    kms.on(VerifyMacCommand).rejects(sdkError('KMSInvalidMacException'));
    expect(await sealer().verify(sealed({}))).toEqual({ valid: false, reason: 'KMS says the MAC does not match the record: a field was changed after quarantine recorded it' });
  });

  it('answers invalid for a MAC that is empty or not canonical base64, without asking KMS', async () => {
    kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: KEY });
    for (const mac of ['', 'not base64!', 'Bw']) {
      expect(await sealer().verify(sealed({ mac }))).toEqual({ valid: false, reason: "the record's MAC is not base64" });
    }
    expect(kms.calls()).toHaveLength(0);
  });

  it('throws TransientResponderError when VerifyMac is throttled, and says so when KMS gives no code', async () => {
    const throttled = sdkError('ThrottlingException', 400);
    kms.on(VerifyMacCommand).rejects(throttled);
    const error = await sealer().verify(sealed({})).catch((e: unknown) => e);
    expect(error).toEqual(new TransientResponderError('kms:VerifyMac failed transiently (ThrottlingException)'));
    expect((error as Error).cause).toBe(throttled);

    kms.on(VerifyMacCommand).rejects(new Error('socket hang up'));
    expect(await sealer().verify(sealed({}))).toEqual({ valid: false, reason: 'the MAC could not be verified (kms:VerifyMac failed): the record is not trusted' });
  });

  it('names the throttled GenerateMac call with its cause, and passes on an error that is not transient', async () => {
    const throttled = sdkError('ThrottlingException', 400);
    kms.on(GenerateMacCommand).rejects(throttled);
    const error = await sealer().seal(RECORD).catch((e: unknown) => e);
    expect(error).toEqual(new TransientResponderError('kms:GenerateMac failed transiently (ThrottlingException)'));
    expect((error as Error).cause).toBe(throttled);

    const denied = sdkError('AccessDeniedException', 400);
    kms.on(GenerateMacCommand).rejects(denied);
    await expect(sealer().seal(RECORD)).rejects.toBe(denied);
  });

  it('calls a transient failure that carries no error code UnknownError (an HTTP 503 without a body)', async () => {
    const unavailable = Object.assign(new Error('Service Unavailable'), { $metadata: { httpStatusCode: 503 } });
    kms.on(GenerateMacCommand).rejects(unavailable);
    await expect(sealer().seal(RECORD)).rejects.toThrow(new TransientResponderError('kms:GenerateMac failed transiently (UnknownError)'));
    kms.on(VerifyMacCommand).rejects(unavailable);
    await expect(sealer().verify(sealed({}))).rejects.toThrow(new TransientResponderError('kms:VerifyMac failed transiently (UnknownError)'));
  });

  it('fails when GenerateMac answers without a MAC, and takes the configured key when it names none', async () => {
    kms.on(GenerateMacCommand).resolves({ KeyId: KEY });
    await expect(sealer().seal(RECORD)).rejects.toThrow('kms:GenerateMac answered without a MAC');
    kms.on(GenerateMacCommand).resolves({ Mac: MAC });
    expect(await sealer().seal(RECORD)).toMatchObject({ keyId: KEY });
  });

  it('refuses to seal or verify without a configured key, before any KMS call', async () => {
    const keyless = new KmsMac(new KMSClient({ region: 'eu-west-1' }), '');
    const message = recordMacMessage(RECORD);
    const missing = await keyless.generate(message).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(RecordKeyNotConfiguredError);
    expect(missing).toMatchObject({ name: 'RecordKeyNotConfiguredError', message: expect.stringContaining('FIREBREAK_RECORD_KEY_ARN') });
    await expect(keyless.verify(message, Buffer.from(MAC).toString('base64'), 'quarantine')).rejects.toBeInstanceOf(RecordKeyNotConfiguredError);
    expect(kms.calls()).toHaveLength(0);
  });
});
