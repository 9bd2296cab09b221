import { CopySnapshotCommand, DescribeSnapshotsCommand, EC2Client, ModifySnapshotAttributeCommand } from '@aws-sdk/client-ec2';
import type { Snapshot } from '@aws-sdk/client-ec2';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EvidencePendingError, TransientResponderError } from '../../lib/contracts/responder-errors';
import type { ResponderMode } from '../../lib/contracts/responder-mode';
import { silentLogger } from '../../lib/responders/logging';
import { buildAlertMessage } from '../../lib/responders/alert-message';
import { alertInputSchema } from '../../lib/responders/alert-model';
import { KmsMac } from '../../lib/responders/record-integrity';
import type { CopyEvidenceInput, ForensicTarget } from '../../lib/responders/snapshot-copy';
import { EvidenceCopyFailedError, copyEvidence, forensicTargetFromEnv } from '../../lib/responders/snapshot-copy';
import type { CustodyRecord } from '../../lib/responders/snapshot-custody';
import { DynamoDbCustodyStore, custodyRecordKey, snapshotReport, verifyStoredCustody } from '../../lib/responders/snapshot-custody';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';

const FORENSIC = '444455556666';
const KEY_ARN = `arn:aws:kms:${REGION}:${FORENSIC}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const RECORD_KEY = 'arn:aws:kms:eu-west-1:999988887777:key/record';
const TARGET: ForensicTarget = { accountId: FORENSIC, roleName: 'FirebreakForensicCopier', kmsKeyArn: KEY_ARN };
const NOW = new Date('2026-11-20T11:00:00.000Z');
const KEY = ec2Incident().key;
const EXECUTION = `arn:aws:states:${REGION}:999988887777:execution:Firebreak-compromised-ec2-instance:x`;

const memberClient = new EC2Client({ region: REGION });
const forensicClient = new EC2Client({ region: REGION });
const member = mockClient(memberClient);
const forensic = mockClient(forensicClient);
const dynamo = mockClient(DynamoDBClient);
const kms = mockClient(KMSClient);
const custody = new DynamoDbCustodyStore(new DynamoDBClient({ region: REGION }), 'state', new KmsMac(new KMSClient({ region: REGION }), RECORD_KEY));

function evidence(id: string, volume: string, state: 'pending' | 'completed', extra: Partial<Snapshot> = {}): Snapshot {
  return {
    SnapshotId: id,
    VolumeId: volume,
    State: state,
    OwnerId: ACCOUNT,
    Encrypted: false,
    StartTime: new Date('2026-11-20T10:02:00.000Z'),
    Tags: [
      { Key: 'firebreak:incident', Value: KEY },
      { Key: 'firebreak:instance', Value: INSTANCE_ID },
      { Key: 'firebreak:evidence', Value: 'true' },
    ],
    ...extra,
  };
}

const SOURCES = [evidence('snap-0000000000000000a', 'vol-0root000000000001', 'completed'), evidence('snap-0000000000000000b', 'vol-0data00000000000b', 'completed')];

function input(mode: ResponderMode = 'enforce'): CopyEvidenceInput {
  return { incident: ec2Incident(), mode, options: { waitMinutes: 180 }, execution: { executionArn: EXECUTION } };
}

const run = (i: CopyEvidenceInput = input()) =>
  copyEvidence(i, {
    clients: { ec2: async () => memberClient },
    forensic: { ec2: async () => forensicClient },
    custody,
    target: TARGET,
    logger: silentLogger,
    now: () => NOW,
  });

beforeEach(() => {
  for (const mock of [member, forensic, dynamo, kms]) mock.reset();
  member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: SOURCES });
  member.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0000000000000000a'] }).resolves({ Snapshots: [SOURCES[0]!] });
  member.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0000000000000000b'] }).resolves({ Snapshots: [SOURCES[1]!] });
  member.on(ModifySnapshotAttributeCommand).resolves({});
  forensic.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [] });
  let copies = 0;
  forensic.on(CopySnapshotCommand).callsFake(() => ({ SnapshotId: `snap-0copy00000000000${++copies}` }));
  forensic.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0copy000000000001'] }).resolves({ Snapshots: [{ SnapshotId: 'snap-0copy000000000001', State: 'pending', OwnerId: FORENSIC, Encrypted: true, KmsKeyId: KEY_ARN }] });
  forensic.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0copy000000000002'] }).resolves({ Snapshots: [{ SnapshotId: 'snap-0copy000000000002', State: 'pending', OwnerId: FORENSIC, Encrypted: true, KmsKeyId: KEY_ARN }] });
  kms.on(GenerateMacCommand).resolves({ Mac: new Uint8Array([1, 2, 3]), KeyId: RECORD_KEY });
  kms.on(VerifyMacCommand).resolves({ MacValid: true });
  dynamo.on(PutItemCommand).resolves({});
});
afterEach(() => {
  for (const mock of [member, forensic, dynamo, kms]) mock.reset();
});

describe('copyEvidence', () => {
  it('shares each completed evidence snapshot with the forensic account only, copies it there re-encrypted with the forensic key, and records its custody', async () => {
    const result = await run();

    expect(member.commandCalls(DescribeSnapshotsCommand)[0]!.args[0].input).toEqual({
      OwnerIds: ['self'],
      Filters: [
        { Name: 'tag:firebreak:incident', Values: [KEY] },
        { Name: 'tag:firebreak:instance', Values: [INSTANCE_ID] },
      ],
    });
    expect(member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotId: 'snap-0000000000000000a', Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [FORENSIC] },
      { SnapshotId: 'snap-0000000000000000b', Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [FORENSIC] },
    ]);
    expect(forensic.commandCalls(DescribeSnapshotsCommand)[0]!.args[0].input).toEqual({
      OwnerIds: ['self'],
      Filters: [{ Name: 'tag:firebreak:source-snapshot', Values: ['snap-0000000000000000a', 'snap-0000000000000000b'] }],
    });
    expect(forensic.commandCalls(CopySnapshotCommand)[0]!.args[0].input).toEqual({
      SourceSnapshotId: 'snap-0000000000000000a',
      SourceRegion: REGION,
      Encrypted: true,
      KmsKeyId: KEY_ARN,
      Description: `Firebreak forensic copy of snap-0000000000000000a (${ACCOUNT}) for ${KEY}`,
      TagSpecifications: [
        {
          ResourceType: 'snapshot',
          Tags: [
            { Key: 'firebreak:incident', Value: KEY },
            { Key: 'firebreak:evidence', Value: 'true' },
            { Key: 'firebreak:source-snapshot', Value: 'snap-0000000000000000a' },
            { Key: 'firebreak:source-account', Value: ACCOUNT },
          ],
        },
      ],
    });
    expect(result.status).toBe('copied');
    expect(result.copies.map((c) => [c.sourceSnapshotId, c.copySnapshotId, c.outcome])).toEqual([
      ['snap-0000000000000000a', 'snap-0copy000000000001', 'copied'],
      ['snap-0000000000000000b', 'snap-0copy000000000002', 'copied'],
    ]);
    const custodyA = result.copies[0]!.custody!;
    expect(custodyA).toMatchObject({
      sourceAccount: ACCOUNT,
      sourceVolumeId: 'vol-0root000000000001',
      sourceSnapshotId: 'snap-0000000000000000a',
      forensicAccount: FORENSIC,
      copySnapshotId: 'snap-0copy000000000001',
      kmsKeyId: KEY_ARN,
      copiedAt: NOW.toISOString(),
      copiedBy: { executionArn: EXECUTION, responder: 'copy-evidence', forensicRoleArn: `arn:aws:iam::${FORENSIC}:role/FirebreakForensicCopier` },
      sourceSha256: snapshotReport(SOURCES[0]!).sha256,
      verified: true,
    });
    // The custody record: written once (conditional), sealed, under its own key prefix.
    const put = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(put.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(put.Item?.pk).toEqual({ S: custodyRecordKey(KEY, 'snap-0000000000000000a') });
    const stored = JSON.parse(put.Item!.record!.S!) as CustodyRecord;
    expect(stored.seal).toEqual({ scheme: 'firebreak-evidence-custody/v1', algorithm: 'HMAC_SHA_256', keyId: RECORD_KEY, mac: 'AQID' });
    expect(stored.source.json).toBe(snapshotReport(SOURCES[0]!).json);
    expect(kms.commandCalls(GenerateMacCommand)[0]!.args[0].input).toMatchObject({ KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256' });
  });

  it('hashes the canonical JSON of what DescribeSnapshots reports: same answer, same hash, whatever the key order', () => {
    const a = snapshotReport({ SnapshotId: 's', State: 'completed', VolumeSize: 8 });
    const b = snapshotReport({ VolumeSize: 8, State: 'completed', SnapshotId: 's' });
    expect(a).toEqual(b);
    expect(a.json).toBe('{"SnapshotId":"s","State":"completed","VolumeSize":8}');
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(snapshotReport({ SnapshotId: 's', State: 'pending', VolumeSize: 8 }).sha256).not.toBe(a.sha256);
  });

  it('waits (EvidencePendingError, for the state machine to retry) while a source is pending, sharing and copying nothing', async () => {
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!, evidence('snap-0000000000000000b', 'vol-0data00000000000b', 'pending', { Progress: '40%' })] });
    await expect(run()).rejects.toBeInstanceOf(EvidencePendingError);
    await expect(run()).rejects.toThrow(/1 of 2 evidence snapshot\(s\) still pending \(snap-0000000000000000b 40%\)/);
    expect(member.commandCalls(ModifySnapshotAttributeCommand)).toHaveLength(0);
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
  });

  it('copies only the member account’s own snapshots tagged as evidence (an untagged or foreign one named by tag is left alone)', async () => {
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({
      Snapshots: [SOURCES[0]!, evidence('snap-0000000000000000c', 'vol-x', 'completed', { OwnerId: '777777777777' }), evidence('snap-0000000000000000d', 'vol-y', 'completed', { Tags: [] })],
    });
    const result = await run();
    expect(result.copies.map((c) => c.sourceSnapshotId)).toEqual(['snap-0000000000000000a']);
  });

  it('on a second run, copies nothing again and verifies the stored custody record', async () => {
    const first = await run();
    expect(first.status).toBe('copied');
    forensic.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({
      Snapshots: SOURCES.map((s, i) => ({ SnapshotId: `snap-0copy00000000000${i + 1}`, State: 'completed', Tags: [{ Key: 'firebreak:source-snapshot', Value: s.SnapshotId }] })),
    });
    const records = dynamo.commandCalls(PutItemCommand).map((c) => c.args[0].input.Item!.record!.S!);
    dynamo.on(GetItemCommand).callsFake((i: { Key: { pk: { S: string } } }) => ({ Item: { record: { S: records.find((r) => i.Key.pk.S.endsWith((JSON.parse(r) as CustodyRecord).sourceSnapshotId)) } } }));
    forensic.resetHistory();
    const second = await run();
    expect(second.status).toBe('already-copied');
    expect(second.idempotentReplay).toBe(true);
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
    expect(second.copies.map((c) => c.detail)).toEqual(['custody verified', 'custody verified']);
    expect(kms.commandCalls(VerifyMacCommand)).toHaveLength(2);
  });

  it('keeps the source and fails the step naming it when the copy fails (a key the forensic account cannot use), after recording the copies that worked', async () => {
    forensic.on(CopySnapshotCommand, { SourceSnapshotId: 'snap-0000000000000000b' }).rejects(Object.assign(new Error('The specified KMS key is not accessible'), { name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } }));
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!, { ...SOURCES[1]!, Encrypted: true }] });
    const failure = run();
    await expect(failure).rejects.toBeInstanceOf(EvidenceCopyFailedError);
    await expect(run()).rejects.toThrow(/1 of 2 evidence snapshot\(s\) not copied to the forensic account 444455556666; no source was deleted\..*AWS-managed EBS key.*The source snap-0000000000000000b is kept.*Copied, custody recorded: snap-0000000000000000a → snap-0copy/);
    const calls = [...member.calls(), ...forensic.calls()].map((c) => c.args[0].constructor.name);
    expect(calls.some((name) => /Delete|Unlock|Reset/.test(name))).toBe(false);
    expect(dynamo.commandCalls(PutItemCommand).length).toBeGreaterThanOrEqual(1);
  });

  it('says why when the share is refused (the AWS-managed EBS key cannot be shared) and copies what it can', async () => {
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [{ ...SOURCES[0]!, Encrypted: true }] });
    member.on(ModifySnapshotAttributeCommand).rejects(Object.assign(new Error('Snapshots encrypted with the AWS Managed CMK can\'t be shared.'), { name: 'InvalidParameter', $metadata: { httpStatusCode: 400 } }));
    await expect(run()).rejects.toThrow(/Sharing snap-0000000000000000a with 444455556666 failed.*AWS-managed EBS key \(aws\/ebs\) cannot be shared/);
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
  });

  it('lets throttling through as transient (the state machine retries; the retry reuses what was done)', async () => {
    forensic.on(CopySnapshotCommand).rejects(Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }));
    await expect(run()).rejects.toBeInstanceOf(TransientResponderError);
  });

  it('in dry-run, dry-runs the share and says the copy cannot be dry-run before a share; no custody record', async () => {
    member.on(ModifySnapshotAttributeCommand).rejects(Object.assign(new Error('dry'), { name: 'DryRunOperation', $metadata: { httpStatusCode: 412 } }));
    const result = await run(input('dry-run'));
    expect(member.commandCalls(ModifySnapshotAttributeCommand)[0]!.args[0].input).toEqual({ SnapshotId: 'snap-0000000000000000a', Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [FORENSIC], DryRun: true });
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
    expect(result.status).toBe('dry-run');
    expect(result.actions.some((a) => a.api === 'ec2:CopySnapshot' && a.detail.startsWith('Cannot dry-run'))).toBe(true);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('makes no AWS call for a sample finding', async () => {
    const result = await run({ ...input(), incident: ec2Incident({ sample: true }) });
    expect(result.status).toBe('skipped-sample');
    expect(member.calls()).toHaveLength(0);
  });
});

describe('stored custody records are claims', () => {
  const mac = new KmsMac(new KMSClient({ region: REGION }), RECORD_KEY);
  async function stored(): Promise<string> {
    await run();
    return dynamo.commandCalls(PutItemCommand)[0]!.args[0].input.Item!.record!.S!;
  }

  it('verifies seal and hashes of an untouched record', async () => {
    const read = await verifyStoredCustody(await stored(), mac, KEY, 'snap-0000000000000000a');
    expect(read?.verdict).toEqual({ valid: true });
  });

  it('refuses a record whose reported answer was edited (the hash no longer matches), before asking KMS', async () => {
    const record = JSON.parse(await stored()) as CustodyRecord;
    const edited = { ...record, source: { ...record.source, json: record.source.json.replace('vol-0root000000000001', 'vol-0forged0000000001') } };
    kms.resetHistory();
    const read = await verifyStoredCustody(JSON.stringify(edited), mac, KEY, 'snap-0000000000000000a');
    expect(read?.verdict).toEqual({ valid: false, reason: 'the source report does not hash to its recorded SHA-256' });
    expect(kms.commandCalls(VerifyMacCommand)).toHaveLength(0);
  });

  it('refuses a record whose copy id was changed (KMS says the MAC does not match)', async () => {
    const record = JSON.parse(await stored()) as CustodyRecord;
    kms.on(VerifyMacCommand).rejects(Object.assign(new Error('invalid mac'), { name: 'KMSInvalidMacException', $metadata: { httpStatusCode: 400 } }));
    const read = await verifyStoredCustody(JSON.stringify({ ...record, copySnapshotId: 'snap-0attacker0000001' }), mac, KEY, 'snap-0000000000000000a');
    expect(read?.verdict.valid).toBe(false);
    expect(kms.commandCalls(VerifyMacCommand)[0]!.args[0].input).toMatchObject({ KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256' });
  });

  it('refuses a record stored under another snapshot’s key', async () => {
    const read = await verifyStoredCustody(await stored(), mac, KEY, 'snap-0000000000000000b');
    expect(read?.verdict).toEqual({ valid: false, reason: 'the record names another incident or snapshot than its key' });
  });
});

describe('forensicTargetFromEnv', () => {
  it('reads the forensic account, role and key, and refuses a key of another account', () => {
    const env = { FIREBREAK_FORENSIC_ACCOUNT_ID: FORENSIC, FIREBREAK_FORENSIC_ROLE_NAME: 'FirebreakForensicCopier', FIREBREAK_FORENSIC_KMS_KEY_ARN: KEY_ARN };
    expect(forensicTargetFromEnv(env)).toEqual(TARGET);
    expect(() => forensicTargetFromEnv({ ...env, FIREBREAK_FORENSIC_KMS_KEY_ARN: `arn:aws:kms:${REGION}:${ACCOUNT}:key/abc` })).toThrow(/a key ARN of that same account/);
    expect(() => forensicTargetFromEnv({})).toThrow(/FIREBREAK_FORENSIC_ACCOUNT_ID/);
  });
});

describe('the alert on forensic copies', () => {
  it('names each copy with its chain of custody: source volume and snapshot, copy, account, key, when, who, both hashes', async () => {
    const result = await run();
    const { message } = buildAlertMessage(
      alertInputSchema.parse(
        JSON.parse(JSON.stringify({ kind: 'report', incident: ec2Incident(), mode: 'enforce', playbook: 'compromised-ec2', options: {}, execution: { executionArn: EXECUTION }, results: { 'forensic-copy': result } })),
      ),
      { now: NOW },
    );
    const custodyA = result.copies[0]!.custody!;
    expect(message).toContain('Chain of custody (state table, custody# records, sealed)');
    expect(message).toContain(
      `snap-0000000000000000a (volume vol-0root000000000001) copied to snap-0copy000000000001 in ${FORENSIC}, key ${KEY_ARN}, copied ${NOW.toISOString()} by arn:aws:iam::${FORENSIC}:role/FirebreakForensicCopier, SHA-256 source ${custodyA.sourceSha256} copy ${custodyA.copySha256}`,
    );
  });
});
