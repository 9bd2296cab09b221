import { CopySnapshotCommand, DescribeInstancesCommand, DescribeSnapshotsCommand, EC2Client, ModifySnapshotAttributeCommand } from '@aws-sdk/client-ec2';
import type { Snapshot } from '@aws-sdk/client-ec2';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
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
import { EvidenceCopyFailedError, copyEvidence, copyInput, forensicTargetFromEnv, shareInput, shareProvedRefused, unshareInput } from '../../lib/responders/snapshot-copy';
import type { CustodyRecord } from '../../lib/responders/snapshot-custody';
import { DynamoDbCustodyStore, custodyRecordKey, snapshotReport, verifyStoredCustody } from '../../lib/responders/snapshot-custody';
import { FORENSIC_COPY_WRITTEN_TAG_KEYS, evidenceSnapshotDescription } from '../../lib/responders/snapshot-plan';
import { ACCOUNT, INSTANCE_ID, REGION, ec2Incident } from '../support/incidents';
import { InMemoryEvidenceRecords } from '../support/evidence-records';

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
    // What snapshot-volumes writes on the evidence it takes.
    Description: evidenceSnapshotDescription(ec2Incident()),
    Tags: [
      { Key: 'firebreak:incident', Value: KEY },
      { Key: 'firebreak:instance', Value: INSTANCE_ID },
      { Key: 'firebreak:finding-type', Value: ec2Incident().findingType },
      { Key: 'firebreak:evidence', Value: 'true' },
    ],
    ...extra,
  };
}

const SOURCES = [evidence('snap-0000000000000000a', 'vol-0root000000000001', 'completed'), evidence('snap-0000000000000000b', 'vol-0data00000000000b', 'completed')];

function input(mode: ResponderMode = 'enforce'): CopyEvidenceInput {
  return { incident: ec2Incident(), mode, options: { waitMinutes: 180 }, execution: { executionArn: EXECUTION } };
}

/** snapshot-volumes' records: every source recorded unless a test says which are (row 3za). */
let evidenceRecords = new InMemoryEvidenceRecords();
const run = (i: CopyEvidenceInput = input(), overrides: { target?: ForensicTarget; environment?: Record<string, string> } = {}) =>
  copyEvidence(i, {
    clients: { ec2: async () => memberClient },
    forensic: { ec2: async () => forensicClient },
    custody,
    evidence: evidenceRecords,
    target: overrides.target ?? TARGET,
    logger: silentLogger,
    now: () => NOW,
    ...(overrides.environment !== undefined ? { environment: overrides.environment } : {}),
  });

/** The copy of source a that an interrupted run made: what CopySnapshot, as copy-evidence sends it, leaves in the forensic account. */
const INTERRUPTED_COPY: Snapshot = {
  SnapshotId: 'snap-0copy000000000009',
  State: 'completed',
  OwnerId: FORENSIC,
  Encrypted: true,
  KmsKeyId: KEY_ARN,
  StartTime: new Date('2026-11-20T10:30:00.000Z'),
  Description: `Firebreak forensic copy of snap-0000000000000000a (${ACCOUNT}) for ${KEY}`,
  Tags: [
    { Key: 'firebreak:incident', Value: KEY },
    { Key: 'firebreak:evidence', Value: 'true' },
    { Key: 'firebreak:source-snapshot', Value: 'snap-0000000000000000a' },
    { Key: 'firebreak:source-account', Value: ACCOUNT },
  ],
};

/** The instance as EC2 describes it: its two EBS volumes, the sources' volumes. */
const INSTANCE_VOLUMES = {
  Reservations: [
    {
      Instances: [
        {
          InstanceId: INSTANCE_ID,
          RootDeviceName: '/dev/xvda',
          BlockDeviceMappings: [
            { DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-0root000000000001' } },
            { DeviceName: '/dev/sdf', Ebs: { VolumeId: 'vol-0data00000000000b' } },
          ],
        },
      ],
    },
  ],
};

/** The same instance with its root volume only (the tests whose setups hold that volume's evidence alone). */
const ROOT_VOLUME_ONLY = {
  Reservations: [{ Instances: [{ ...INSTANCE_VOLUMES.Reservations[0]!.Instances[0]!, BlockDeviceMappings: [INSTANCE_VOLUMES.Reservations[0]!.Instances[0]!.BlockDeviceMappings[0]!] }] }],
};

/** The state table as DynamoDB keeps it: conditional writes honoured (attribute_not_exists(pk), revision = :revision). */
let table: Map<string, Record<string, AttributeValue>>;
/** What the forensic account reports of each copy (pending until a test says otherwise). */
let copyStates: Map<string, Partial<Snapshot>>;
const conditionFailed = () => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException', $metadata: { httpStatusCode: 400 } });

beforeEach(() => {
  for (const mock of [member, forensic, dynamo, kms]) mock.reset();
  evidenceRecords = new InMemoryEvidenceRecords();
  table = new Map();
  copyStates = new Map();
  member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: SOURCES });
  member.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0000000000000000a'] }).resolves({ Snapshots: [SOURCES[0]!] });
  member.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0000000000000000b'] }).resolves({ Snapshots: [SOURCES[1]!] });
  member.on(ModifySnapshotAttributeCommand).resolves({});
  member.on(DescribeInstancesCommand).resolves(INSTANCE_VOLUMES);
  forensic.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [] });
  let copies = 0;
  forensic.on(CopySnapshotCommand).callsFake(() => ({ SnapshotId: `snap-0copy00000000000${++copies}` }));
  forensic.on(DescribeSnapshotsCommand).callsFake((i: { SnapshotIds?: string[] }) => {
    const id = i.SnapshotIds?.[0];
    if (id === undefined) return { Snapshots: [] };
    return { Snapshots: [{ SnapshotId: id, State: 'pending', Progress: '10%', OwnerId: FORENSIC, Encrypted: true, KmsKeyId: KEY_ARN, ...copyStates.get(id) }] };
  });
  forensic.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [] });
  kms.on(GenerateMacCommand).resolves({ Mac: new Uint8Array([1, 2, 3]), KeyId: RECORD_KEY });
  kms.on(VerifyMacCommand).resolves({ MacValid: true });
  dynamo.on(PutItemCommand).callsFake((i: { Item: Record<string, AttributeValue>; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, AttributeValue> }) => {
    const pk = i.Item.pk!.S!;
    const current = table.get(pk);
    if (i.ConditionExpression === 'attribute_not_exists(pk)' && current !== undefined) throw conditionFailed();
    if (i.ConditionExpression === 'revision = :revision' && current?.revision?.N !== i.ExpressionAttributeValues?.[':revision']?.N) throw conditionFailed();
    table.set(pk, i.Item);
    return {};
  });
  dynamo.on(GetItemCommand).callsFake((i: { Key: { pk: { S: string } } }) => ({ Item: table.get(i.Key.pk.S) }));
});
/** The custody record of one source as the state table holds it now. */
const storedRecord = (source: string) => JSON.parse(table.get(custodyRecordKey(KEY, source))!.record!.S!) as CustodyRecord;
const complete = (...ids: string[]) => ids.forEach((id) => copyStates.set(id, { State: 'completed', Progress: '100%' }));
afterEach(() => {
  for (const mock of [member, forensic, dynamo, kms]) mock.reset();
});

describe('copyEvidence', () => {
  it('shares each completed evidence snapshot with the forensic account only, copies it there re-encrypted with the forensic key, and records its custody', async () => {
    // The copies are pending at first: custody recorded as pending, the step waits (the state machine retries).
    await expect(run()).rejects.toThrow(
      /^2 forensic copies still pending in 444455556666 \(snap-0copy000000000001 of snap-0000000000000000a 10%, snap-0copy000000000002 of snap-0000000000000000b 10%\): custody recorded as pending/,
    );
    expect(storedRecord('snap-0000000000000000a')).toMatchObject({ status: 'pending', copySnapshotId: 'snap-0copy000000000001' });
    // The custody record's evidence: each source and each copy described by its id alone, each where it lives.
    const evidenceListing = {
      OwnerIds: ['self'],
      Filters: [
        { Name: 'tag:firebreak:incident', Values: [KEY] },
        { Name: 'tag:firebreak:instance', Values: [INSTANCE_ID] },
      ],
    };
    // Row 3x: the evidence found by snapshot-volumes' description too, which no tag change hides.
    const byDescription = { OwnerIds: ['self'], Filters: [{ Name: 'description', Values: [evidenceSnapshotDescription(ec2Incident())] }] };
    const earlierCopies = { OwnerIds: ['self'], Filters: [{ Name: 'tag:firebreak:source-snapshot', Values: ['snap-0000000000000000a', 'snap-0000000000000000b'] }] };
    const describedIn = (mock: typeof member) => mock.commandCalls(DescribeSnapshotsCommand).map((c) => c.args[0].input);
    expect(describedIn(member)).toEqual([evidenceListing, byDescription, { SnapshotIds: ['snap-0000000000000000a'] }, { SnapshotIds: ['snap-0000000000000000b'] }]);
    expect(describedIn(forensic)).toEqual([earlierCopies, { SnapshotIds: ['snap-0copy000000000001'] }, { SnapshotIds: ['snap-0copy000000000002'] }]);
    const [memberBefore, forensicBefore] = [describedIn(member).length, describedIn(forensic).length];
    complete('snap-0copy000000000001', 'snap-0copy000000000002');
    const result = await run();
    // The second run follows the pending records: the sources are not described again, and each copy
    // is polled in the forensic account by its id alone.
    expect(describedIn(member).slice(memberBefore)).toEqual([evidenceListing, byDescription]);
    expect(describedIn(forensic).slice(forensicBefore)).toEqual([earlierCopies, { SnapshotIds: ['snap-0copy000000000001'] }, { SnapshotIds: ['snap-0copy000000000002'] }]);
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(2);

    expect(member.commandCalls(DescribeSnapshotsCommand)[0]!.args[0].input).toEqual({
      OwnerIds: ['self'],
      Filters: [
        { Name: 'tag:firebreak:incident', Values: [KEY] },
        { Name: 'tag:firebreak:instance', Values: [INSTANCE_ID] },
      ],
    });
    // Shared with the forensic account only; the share removed again once each copy completed.
    expect(member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input)).toEqual([
      { SnapshotId: 'snap-0000000000000000a', Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [FORENSIC] },
      { SnapshotId: 'snap-0000000000000000b', Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [FORENSIC] },
      { SnapshotId: 'snap-0000000000000000a', Attribute: 'createVolumePermission', OperationType: 'remove', UserIds: [FORENSIC] },
      { SnapshotId: 'snap-0000000000000000b', Attribute: 'createVolumePermission', OperationType: 'remove', UserIds: [FORENSIC] },
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
      status: 'completed',
      confirmed: { at: NOW.toISOString(), copyState: 'completed', copySha256: storedRecord('snap-0000000000000000a').confirmed!.copy!.sha256 },
      unshare: { removed: true, at: NOW.toISOString(), detail: `share of snap-0000000000000000a with ${FORENSIC} removed (createVolumePermission remove), the copy having completed` },
      verified: true,
    });
    // The final DescribeSnapshots answer of the copy, hashed, is in the sealed record.
    const finalCopy: Snapshot = { SnapshotId: 'snap-0copy000000000001', State: 'completed', Progress: '100%', OwnerId: FORENSIC, Encrypted: true, KmsKeyId: KEY_ARN };
    expect(storedRecord('snap-0000000000000000a').confirmed!.copy).toEqual(snapshotReport(finalCopy));
    // The custody record: first written once (conditional) as the intent, before the share; then
    // sealed pending with the copy over revision 1, and completed over revision 2.
    const puts = dynamo.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    const put = puts[0]!;
    expect(put.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(put.Item?.pk).toEqual({ S: custodyRecordKey(KEY, 'snap-0000000000000000a') });
    expect(put.Item?.status).toEqual({ S: 'sharing' });
    expect(put.Item?.copySnapshotId).toBeUndefined();
    expect(put.Item?.revision).toEqual({ N: '1' });
    const ofA = puts.filter((i) => i.Item?.pk?.S === custodyRecordKey(KEY, 'snap-0000000000000000a'));
    expect(ofA.map((i) => [i.Item?.status?.S, i.Item?.revision?.N, i.ConditionExpression, i.ExpressionAttributeValues?.[':revision']?.N])).toEqual([
      ['sharing', '1', 'attribute_not_exists(pk)', undefined],
      ['pending', '2', 'revision = :revision', '1'],
      ['completed', '3', 'revision = :revision', '2'],
    ]);
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
      Snapshots: [SOURCES[0]!, evidence('snap-0000000000000000c', 'vol-x', 'completed', { OwnerId: '777777777777' }), evidence('snap-0000000000000000d', 'vol-y', 'completed', { Tags: [], Description: 'not the evidence' })],
    });
    member.on(DescribeInstancesCommand).resolves(ROOT_VOLUME_ONLY);
    complete('snap-0copy000000000001');
    const result = await run();
    expect(result.copies.map((c) => c.sourceSnapshotId)).toEqual(['snap-0000000000000000a']);
  });

  it('on a second run, copies nothing again and verifies the stored custody record', async () => {
    complete('snap-0copy000000000001', 'snap-0copy000000000002');
    const first = await run();
    expect(first.status).toBe('copied');
    forensic.resetHistory();
    member.resetHistory();
    const second = await run();
    expect(second.status).toBe('already-copied');
    expect(second.idempotentReplay).toBe(true);
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
    expect(member.commandCalls(ModifySnapshotAttributeCommand)).toHaveLength(0);
    expect(second.copies.map((c) => c.detail)).toEqual(['custody verified', 'custody verified']);
    expect(kms.commandCalls(VerifyMacCommand).length).toBeGreaterThanOrEqual(2);
  });

  it('watches a copy EC2 accepted and then failed: custody sealed failed with its reason, the source and its share kept, the step fails; a rerun never copies it again', async () => {
    await expect(run()).rejects.toBeInstanceOf(EvidencePendingError);
    complete('snap-0copy000000000001');
    copyStates.set('snap-0copy000000000002', { State: 'error', StateMessage: 'Given key ID is not accessible', Progress: '0%' });
    const failure = run();
    await expect(failure).rejects.toBeInstanceOf(EvidenceCopyFailedError);
    await expect(failure).rejects.toThrow(
      /^1 of 2 evidence snapshot\(s\) not copied to the forensic account 444455556666; no source was deleted\. The forensic copy of snap-0000000000000000b failed: the copy snap-0copy000000000002 ended in state error: Given key ID is not accessible\..*The source snap-0000000000000000b is kept, and its share with 444455556666 is kept for a copy by hand\. Copied, custody recorded: snap-0000000000000000a → snap-0copy000000000001\.$/,
    );
    const failed = storedRecord('snap-0000000000000000b');
    expect(failed).toMatchObject({ status: 'failed', confirmed: { copyState: 'error', reason: 'the copy snap-0copy000000000002 ended in state error: Given key ID is not accessible' }, unshare: { removed: false } });
    expect(failed.confirmed?.copy?.json).toContain('"StateMessage":"Given key ID is not accessible"');
    expect(storedRecord('snap-0000000000000000a')).toMatchObject({ status: 'completed', unshare: { removed: true } });
    // Only the completed copy's source was unshared.
    const removals = member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input).filter((i) => i.OperationType === 'remove');
    expect(removals.map((i) => i.SnapshotId)).toEqual(['snap-0000000000000000a']);
    // A rerun reads the failed custody record: no second copy, no share or unshare, the same failure.
    member.resetHistory();
    forensic.resetHistory();
    await expect(run()).rejects.toThrow(/The forensic copy of snap-0000000000000000b \(snap-0copy000000000002\) failed earlier: the copy snap-0copy000000000002 ended in state error: Given key ID is not accessible\. It is not copied again automatically/);
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
    expect(member.commandCalls(ModifySnapshotAttributeCommand)).toHaveLength(0);
    const calls = [...member.calls(), ...forensic.calls()].map((c) => c.args[0].constructor.name);
    expect(calls.some((name) => /Delete|Unlock|Reset/.test(name))).toBe(false);
  });

  it('seals a copy that disappeared from the forensic account as failed (missing), keeping the source', async () => {
    await expect(run()).rejects.toBeInstanceOf(EvidencePendingError);
    complete('snap-0copy000000000001');
    forensic.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0copy000000000002'] }).rejects(Object.assign(new Error("The snapshot 'snap-0copy000000000002' does not exist."), { name: 'InvalidSnapshot.NotFound', $metadata: { httpStatusCode: 400 } }));
    await expect(run()).rejects.toThrow(/the copy snap-0copy000000000002 no longer exists in 444455556666/);
    expect(storedRecord('snap-0000000000000000b')).toMatchObject({ status: 'failed', confirmed: { copyState: 'missing' } });
  });

  it('when the share cannot be removed, seals the copy completed, says why, and a rerun tries the removal again', async () => {
    complete('snap-0copy000000000001', 'snap-0copy000000000002');
    member.on(ModifySnapshotAttributeCommand, { OperationType: 'remove' }).rejects(Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } }));
    const first = await run();
    expect(first.status).toBe('copied');
    expect(first.copies[0]!.detail).toMatch(/^custody completed; share of snap-0000000000000000a with 444455556666 NOT removed \(/);
    expect(storedRecord('snap-0000000000000000a')).toMatchObject({ status: 'completed', unshare: { removed: false } });
    member.on(ModifySnapshotAttributeCommand, { OperationType: 'remove' }).resolves({});
    forensic.resetHistory();
    const second = await run();
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
    expect(second.copies[0]!.detail).toBe(`custody verified; share of snap-0000000000000000a with ${FORENSIC} removed (createVolumePermission remove), the copy having completed`);
    expect(storedRecord('snap-0000000000000000a')).toMatchObject({ status: 'completed', unshare: { removed: true } });
  });

  // An item under a custody key that is no custody record (not JSON, not its shape) read as "no record":
  // the run sealed an intent over it, failed with "another run recorded the custody first" after its
  // retries, and said nothing of the item.
  it('ATTACK (lead-s30): names a custody item that is no custody record and acts on nothing, never reading it as "no record"', async () => {
    for (const junk of ['not json', '{}']) {
      table.set(custodyRecordKey(KEY, 'snap-0000000000000000a'), { pk: { S: custodyRecordKey(KEY, 'snap-0000000000000000a') }, record: { S: junk } });
      member.resetHistory();
      forensic.resetHistory();
      await expect(run()).rejects.toThrow(/The custody record of snap-0000000000000000a \(custody#.*\) is in the state table but is not a custody record .*nothing shared, copied, confirmed or unshared on its word/);
      expect(member.commandCalls(ModifySnapshotAttributeCommand)).toHaveLength(0);
      expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
      expect(table.get(custodyRecordKey(KEY, 'snap-0000000000000000a'))?.record?.S).toBe(junk);
    }
  });

  it('does not act on a custody record that fails verification: nothing copied again, confirmed or unshared; the step fails', async () => {
    await expect(run()).rejects.toBeInstanceOf(EvidencePendingError);
    complete('snap-0copy000000000001', 'snap-0copy000000000002');
    kms.on(VerifyMacCommand).rejects(Object.assign(new Error('invalid mac'), { name: 'KMSInvalidMacException', $metadata: { httpStatusCode: 400 } }));
    member.resetHistory();
    forensic.resetHistory();
    await expect(run()).rejects.toThrow(/The custody record of snap-0000000000000000a is NOT TRUSTED/);
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
    expect(member.commandCalls(ModifySnapshotAttributeCommand)).toHaveLength(0);
  });

  it('records custody of a copy an interrupted run made (found by its source tag) instead of copying again', async () => {
    forensic.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [INTERRUPTED_COPY] });
    complete('snap-0copy000000000009', 'snap-0copy000000000001');
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!] });
    member.on(DescribeInstancesCommand).resolves(ROOT_VOLUME_ONLY);
    const result = await run();
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
    expect(member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input.OperationType)).toEqual(['remove']);
    expect(storedRecord('snap-0000000000000000a')).toMatchObject({ copySnapshotId: 'snap-0copy000000000009', copiedAt: '2026-11-20T10:30:00.000Z', status: 'completed' });
    expect(result.copies[0]!.outcome).toBe('copied');
  });

  it('takes over only a copy CopySnapshot made as this run would: a snapshot someone tagged with the source id in the forensic account is not claimed as the copy; the source is copied', async () => {
    const impostors: Snapshot[] = [
      // Tagged by hand with the source id only.
      { SnapshotId: 'snap-0fake000000000001', State: 'completed', OwnerId: FORENSIC, Encrypted: false, Tags: [{ Key: 'firebreak:source-snapshot', Value: 'snap-0000000000000000a' }] },
      // Every tag right, but not encrypted with the forensic key.
      { ...INTERRUPTED_COPY, SnapshotId: 'snap-0fake000000000002', KmsKeyId: `arn:aws:kms:${REGION}:${FORENSIC}:key/other` },
      // Every tag right, another incident's.
      { ...INTERRUPTED_COPY, SnapshotId: 'snap-0fake000000000003', Tags: INTERRUPTED_COPY.Tags!.map((t) => (t.Key === 'firebreak:incident' ? { ...t, Value: 'gd-another' } : t)) },
    ];
    for (const impostor of impostors) {
      forensic.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [impostor] });
      member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!] });
      table.clear();
      forensic.resetHistory();
      await expect(run()).rejects.toBeInstanceOf(EvidencePendingError);
      expect(forensic.commandCalls(CopySnapshotCommand), impostor.SnapshotId).toHaveLength(1);
      expect(storedRecord('snap-0000000000000000a').copySnapshotId).toMatch(/^snap-0copy/);
    }
  });

  it('keeps the source and fails the step naming it when the copy fails (a key the forensic account cannot use), after recording the copies that worked', async () => {
    forensic.on(CopySnapshotCommand, { SourceSnapshotId: 'snap-0000000000000000b' }).rejects(Object.assign(new Error('The specified KMS key is not accessible'), { name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } }));
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!, { ...SOURCES[1]!, Encrypted: true }] });
    complete('snap-0copy000000000001');
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

  // custody-truth: a share EC2 refused left the record `sharing` for good: a reviewer read "about to
  // share" where EC2 had said no, and nothing said why or when.
  it('ATTACK (custody-truth): records a share EC2 refused as refused (the error\'s name and message, when), never left `sharing`; a rerun seals the intent again before it shares, keeping the refusal', async () => {
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [{ ...SOURCES[0]!, Encrypted: true }] });
    const refusal = Object.assign(new Error("Snapshots encrypted with the AWS Managed CMK can't be shared."), { name: 'InvalidParameter', $metadata: { httpStatusCode: 400 } });
    member.on(ModifySnapshotAttributeCommand).rejects(refusal);
    await expect(run()).rejects.toBeInstanceOf(EvidenceCopyFailedError);
    const refused = storedRecord('snap-0000000000000000a');
    expect(refused).toMatchObject({
      status: 'share-refused',
      shareRefusals: [{ attempt: 1, at: NOW.toISOString(), error: { name: 'InvalidParameter', message: "Snapshots encrypted with the AWS Managed CMK can't be shared." } }],
    });
    expect(refused.copySnapshotId).toBeUndefined();
    expect(table.get(custodyRecordKey(KEY, 'snap-0000000000000000a'))).toMatchObject({ status: { S: 'share-refused' }, revision: { N: '2' } });
    expect((await custody.get(KEY, 'snap-0000000000000000a'))?.verdict).toEqual({ valid: true });
    // The key fixed, the rerun tries again: the intent sealed `sharing` again before EC2 gets the share.
    const atShare: (string | undefined)[] = [];
    member.on(ModifySnapshotAttributeCommand).callsFake(() => atShare.push(table.get(custodyRecordKey(KEY, 'snap-0000000000000000a'))?.status?.S) && {});
    await expect(run()).rejects.toBeInstanceOf(EvidencePendingError);
    expect(atShare).toEqual(['sharing']);
    expect(member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input)).toEqual([shareInput('snap-0000000000000000a', FORENSIC, false), shareInput('snap-0000000000000000a', FORENSIC, false)]);
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(1);
    // The refusal stays in the record's history.
    expect(storedRecord('snap-0000000000000000a')).toMatchObject({ status: 'pending', copySnapshotId: 'snap-0copy000000000001', shareRefusals: refused.shareRefusals });
    expect(table.get(custodyRecordKey(KEY, 'snap-0000000000000000a'))?.revision).toEqual({ N: '4' });
  });

  it('keeps the record `sharing` when the share failed without proof that EC2 made none (a dropped connection: EC2 may have shared; the rerun resumes it)', async () => {
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!] });
    member.on(ModifySnapshotAttributeCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'EPIPE' }));
    await expect(run()).rejects.toBeInstanceOf(EvidenceCopyFailedError);
    const record = storedRecord('snap-0000000000000000a');
    expect(record.status).toBe('sharing');
    expect(record.shareRefusals).toBeUndefined();
  });

  it('bounds what a refusal records: the error text cut, and the first refusal and the latest kept with their attempt numbers', async () => {
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!] });
    member.on(ModifySnapshotAttributeCommand).rejects(Object.assign(new Error(`You are not authorized to perform this operation. ${'x'.repeat(5000)}`), { name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } }));
    for (let i = 0; i < 12; i++) await expect(run()).rejects.toBeInstanceOf(EvidenceCopyFailedError);
    const refusals = storedRecord('snap-0000000000000000a').shareRefusals ?? [];
    expect(refusals.map((r) => r.attempt)).toEqual([1, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(Array.from(refusals[0]!.error.message).length).toBe(500);
    expect(refusals[0]!.error.message.endsWith('...')).toBe(true);
    expect(member.commandCalls(ModifySnapshotAttributeCommand)).toHaveLength(12);
  });

  it('says EC2 refused a share only on an answer that proves no share was made (access denied, no such snapshot, an invalid request), never on a dropped connection or an error without a code', () => {
    const named = (name: string) => Object.assign(new Error(name), { name });
    for (const name of ['UnauthorizedOperation', 'AccessDenied', 'InvalidSnapshot.NotFound', 'InvalidParameter', 'InvalidParameterValue']) expect(shareProvedRefused(named(name))).toBe(true);
    for (const error of [named('EPIPE'), named('IncorrectState'), new Error('socket hang up'), undefined, 'InvalidParameter']) expect(shareProvedRefused(error)).toBe(false);
  });

  // review-custody: `share-refused` says EC2 made no share, but a refusal proves only that the call
  // refused changed nothing. Under a `sharing` intent an interrupted (or concurrent) run sealed, that
  // run's share may exist; and after an SDK retry, the attempt whose answer was lost may have shared.
  it('ATTACK (review-custody): a share refused on the rerun of an interrupted run (whose share may exist) never seals share-refused: the record stays sharing, the refusal kept', async () => {
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!] });
    // Run 1 shares, then CopySnapshot is throttled: the run ends, the share made, the record `sharing`.
    forensic.on(CopySnapshotCommand).rejects(Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }));
    await expect(run()).rejects.toBeInstanceOf(TransientResponderError);
    expect(member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input)).toEqual([shareInput('snap-0000000000000000a', FORENSIC, false)]);
    expect(storedRecord('snap-0000000000000000a').status).toBe('sharing');
    // An attacker in the member account denies the member role ModifySnapshotAttribute: the rerun's share is refused.
    member.on(ModifySnapshotAttributeCommand).rejects(Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403, attempts: 1 } }));
    const failure = await run().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EvidenceCopyFailedError);
    const record = storedRecord('snap-0000000000000000a');
    // The share run 1 made still exists: the record may not say none was made.
    expect(record.status).toBe('sharing');
    expect((failure as Error).message).toMatch(/an earlier run that recorded the intent may have shared snap-0000000000000000a/);
    expect(record.shareRefusals).toMatchObject([{ attempt: 1, at: NOW.toISOString(), error: { name: 'UnauthorizedOperation' } }]);
    expect((await custody.get(KEY, 'snap-0000000000000000a'))?.verdict).toEqual({ valid: true });
  });

  it('ATTACK (review-custody): a refusal the SDK got on a retried attempt (an earlier attempt\'s answer lost: it may have shared) never seals share-refused', async () => {
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!] });
    const retried = Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403, attempts: 2 } });
    expect(shareProvedRefused(retried)).toBe(false);
    expect(shareProvedRefused({ ...retried, $metadata: { httpStatusCode: 403, attempts: 1 } })).toBe(true);
    member.on(ModifySnapshotAttributeCommand).rejects(retried);
    await expect(run()).rejects.toBeInstanceOf(EvidenceCopyFailedError);
    const record = storedRecord('snap-0000000000000000a');
    expect(record.status).toBe('sharing');
    expect(record.shareRefusals).toBeUndefined();
  });

  it('in dry-run, reports a share-refused record without trying the share again or sealing anything', async () => {
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!] });
    member.on(ModifySnapshotAttributeCommand).rejects(Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } }));
    await expect(run()).rejects.toBeInstanceOf(EvidenceCopyFailedError);
    member.resetHistory();
    dynamo.resetHistory();
    const result = await run(input('dry-run'));
    expect(result.copies[0]).toMatchObject({ outcome: 'would-copy', detail: 'custody share-refused (dry-run: not resumed)' });
    expect(member.commandCalls(ModifySnapshotAttributeCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('records the intent before the share: a run interrupted between share and copy leaves a record, and its rerun reuses the share and copies once', async () => {
    forensic
      .on(CopySnapshotCommand)
      .rejectsOnce(Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }))
      .resolves({ SnapshotId: 'snap-0copy000000000001' });
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!] });
    // What the state table holds when EC2 receives the share: the intent, already sealed.
    const atShare: (string | undefined)[] = [];
    member.on(ModifySnapshotAttributeCommand).callsFake(() => atShare.push(table.get(custodyRecordKey(KEY, 'snap-0000000000000000a'))?.status?.S) && {});
    await expect(run()).rejects.toBeInstanceOf(TransientResponderError);
    expect(atShare).toEqual(['sharing']);
    const intent = storedRecord('snap-0000000000000000a');
    expect(intent).toMatchObject({ status: 'sharing', sourceSnapshotId: 'snap-0000000000000000a', forensicAccount: FORENSIC, source: snapshotReport(SOURCES[0]!) });
    expect(intent.copySnapshotId).toBeUndefined();
    expect(table.get(custodyRecordKey(KEY, 'snap-0000000000000000a'))?.copySnapshotId).toBeUndefined();
    // The rerun follows the intent: shares again (the same input; EC2 keeps one permission), copies once.
    await expect(run()).rejects.toBeInstanceOf(EvidencePendingError);
    expect(member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input)).toEqual([shareInput('snap-0000000000000000a', FORENSIC, false), shareInput('snap-0000000000000000a', FORENSIC, false)]);
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(2);
    expect(storedRecord('snap-0000000000000000a')).toMatchObject({ status: 'pending', copySnapshotId: 'snap-0copy000000000001' });
    expect(table.get(custodyRecordKey(KEY, 'snap-0000000000000000a'))?.revision).toEqual({ N: '2' });
  });

  it('lets throttling through as transient (the state machine retries; the retry reuses what was done)', async () => {
    forensic.on(CopySnapshotCommand).rejects(Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }));
    await expect(run()).rejects.toBeInstanceOf(TransientResponderError);
  });

  it('in dry-run, dry-runs the share and says the copy cannot be dry-run before a share; no custody record', async () => {
    member.on(ModifySnapshotAttributeCommand).rejects(Object.assign(new Error('dry'), { name: 'DryRunOperation', $metadata: { httpStatusCode: 412 } }));
    const result = await run(input('dry-run'));
    expect(member.commandCalls(ModifySnapshotAttributeCommand)[0]!.args[0].input).toEqual({ SnapshotId: 'snap-0000000000000000a', Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [FORENSIC], DryRun: true });
    // The share's later removal is dry-run too (EC2 checks the permission).
    expect(member.commandCalls(ModifySnapshotAttributeCommand)[1]!.args[0].input).toEqual({ SnapshotId: 'snap-0000000000000000a', Attribute: 'createVolumePermission', OperationType: 'remove', UserIds: [FORENSIC], DryRun: true });
    expect(result.actions.some((a) => a.outcome === 'would-do' && a.detail.startsWith(`Would remove ${FORENSIC}'s share of snap-0000000000000000a`))).toBe(true);
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
    expect(result.status).toBe('dry-run');
    expect(result.actions.some((a) => a.api === 'ec2:CopySnapshot' && a.detail.startsWith('Cannot dry-run'))).toBe(true);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('copies only snapshots of the instance\'s own volumes: another volume\'s snapshot tagged as this incident\'s evidence (tags are claims) is neither shared nor copied, and the step fails naming it', async () => {
    // Anyone with ec2:CreateTags in the member account can put the incident's tags on a snapshot of
    // another volume (a database's) to have its disk copied into the forensic account.
    const planted = evidence('snap-0000000000000000e', 'vol-0database0000000e', 'completed');
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!, planted] });
    member.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0000000000000000e'] }).resolves({ Snapshots: [planted] });
    member.on(DescribeInstancesCommand).resolves(ROOT_VOLUME_ONLY);
    complete('snap-0copy000000000001', 'snap-0copy000000000002');
    await expect(run()).rejects.toThrow(
      /1 of 2 evidence snapshot\(s\) not copied to the forensic account 444455556666; no source was deleted\. snap-0000000000000000e is a snapshot of vol-0database0000000e, which EC2 does not show attached to i-0abc1234def567890 .*Copied, custody recorded: snap-0000000000000000a → snap-0copy000000000001/,
    );
    expect(member.commandCalls(DescribeInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: [INSTANCE_ID] });
    const touched = [...member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input.SnapshotId), ...forensic.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input.SourceSnapshotId)];
    expect(touched).not.toContain('snap-0000000000000000e');
    expect(table.has(custodyRecordKey(KEY, 'snap-0000000000000000e'))).toBe(false);
  });

  it('copies only what snapshot-volumes took: a backup of the instance\'s own disk tagged with the incident\'s (predictable) key, without Firebreak\'s description or every one of its tags, is left as it is (and, row 3x, one with its description but not every tag fails the step, named)', async () => {
    const backups = [
      evidence('snap-0000000000000000f', 'vol-0root000000000001', 'completed', { Description: 'nightly backup' }),
      evidence('snap-00000000000000010', 'vol-0data00000000000b', 'completed', { Tags: SOURCES[1]!.Tags!.filter((t) => t.Key !== 'firebreak:finding-type') }),
    ];
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!, ...backups] });
    member.on(DescribeInstancesCommand).resolves(ROOT_VOLUME_ONLY);
    complete('snap-0copy000000000001');
    // snapshot-volumes' description is fixed at creation: a snapshot with it whose tags lack one of
    // Firebreak's is the evidence retagged (row 3x), not a backup, and a person must look.
    await expect(run()).rejects.toThrow(/^1 of 2 evidence snapshot\(s\) not copied .* snap-00000000000000010 of vol-0data00000000000b carries the description snapshot-volumes gave this incident's evidence/);
    expect(member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input.SnapshotId)).toEqual(['snap-0000000000000000a', 'snap-0000000000000000a']);
    // The backup whose description is not Firebreak's is still only left as it is: not named.
    await expect(run()).rejects.toThrow(/^(?!.*snap-0000000000000000f)/);
  });

  it('copies nothing when EC2 knows no such instance (its volumes cannot be checked), and fails the step naming each source', async () => {
    member.on(DescribeInstancesCommand).rejects(Object.assign(new Error('gone'), { name: 'InvalidInstanceID.NotFound', $metadata: { httpStatusCode: 400 } }));
    await expect(run()).rejects.toThrow(/2 of 2 evidence snapshot\(s\) not copied .*snap-0000000000000000a is a snapshot of vol-0root000000000001, which EC2 does not show attached to i-0abc1234def567890 \(InvalidInstanceID.NotFound\)/);
    expect(member.commandCalls(ModifySnapshotAttributeCommand)).toHaveLength(0);
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
  });

  it('refuses, before any call, a forensic account that is the incident\'s own account (a copy there is no copy out of reach)', async () => {
    await expect(run(input(), { target: { ...TARGET, accountId: ACCOUNT, kmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/k` } })).rejects.toThrow(
      /the forensic account 111122223333 is the incident's own account/,
    );
    expect(member.calls()).toHaveLength(0);
    expect(forensic.calls()).toHaveLength(0);
  });

  it('in a dry-run deployment, an input saying enforce changes nothing: the share is dry-run, nothing copied, no custody written, a pending record neither confirmed nor unshared', async () => {
    member.on(ModifySnapshotAttributeCommand).rejects(Object.assign(new Error('dry'), { name: 'DryRunOperation', $metadata: { httpStatusCode: 412 } }));
    const result = await run(input('enforce'), { environment: { FIREBREAK_MODE: 'dry-run' } });
    expect(result.mode).toBe('dry-run');
    expect(member.commandCalls(ModifySnapshotAttributeCommand).every((c) => c.args[0].input.DryRun === true)).toBe(true);
    expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
    // With pending custody records from an enforce run, the dry-run deployment confirms nothing.
    member.on(ModifySnapshotAttributeCommand).resolves({});
    await expect(run()).rejects.toBeInstanceOf(EvidencePendingError);
    complete('snap-0copy000000000001', 'snap-0copy000000000002');
    member.resetHistory();
    dynamo.resetHistory();
    const again = await run(input('enforce'), { environment: { FIREBREAK_MODE: 'dry-run' } });
    expect(again.copies.map((c) => c.detail)).toEqual(['custody pending (dry-run: not confirmed)', 'custody pending (dry-run: not confirmed)']);
    expect(member.commandCalls(ModifySnapshotAttributeCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('makes no AWS call for a sample finding', async () => {
    const result = await run({ ...input(), incident: ec2Incident({ sample: true }) });
    expect(result.status).toBe('skipped-sample');
    expect(member.calls()).toHaveLength(0);
  });

  describe('ATTACK (review-evidence): evidence whose tags someone in the member account changed, or that is gone', () => {
    /** The member account's snapshots as EC2 finds them: by the incident's tags (what they say now) and by snapshot-volumes' description (fixed at creation). */
    const memberFinds = (snapshots: readonly Snapshot[]) =>
      member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).callsFake((i: { Filters?: { Name: string; Values: string[] }[] }) => {
        const matches = (s: Snapshot) =>
          (i.Filters ?? []).every((f) =>
            f.Name === 'description' ? f.Values.includes((s.Description ?? '').replace(/[\\*?]/g, (c) => `\\${c}`)) : f.Values.includes(s.Tags?.find((t) => `tag:${t.Key}` === f.Name)?.Value ?? '\u0000'),
          );
        return { Snapshots: snapshots.filter(matches) };
      });
    const retagged = (source: Snapshot, key: string, value: string | undefined): Snapshot => ({
      ...source,
      Tags: value === undefined ? source.Tags!.filter((t) => t.Key !== key) : source.Tags!.map((t) => (t.Key === key ? { ...t, Value: value } : t)),
    });

    it('ATTACK (review-evidence): the data volume\'s locked evidence retagged to another incident (ec2:CreateTags alone: a lock keeps tags changeable) is not silently left behind: the step fails naming it, after copying the rest', async () => {
      memberFinds([SOURCES[0]!, retagged(SOURCES[1]!, 'firebreak:incident', 'gd-another-incident')]);
      complete('snap-0copy000000000001');
      // Before the fix: status `copied`, snap-0000000000000000b never shared, copied, recorded nor named.
      await expect(run()).rejects.toThrow(EvidenceCopyFailedError);
      await expect(run()).rejects.toThrow(
        /snap-0000000000000000b of vol-0data00000000000b carries the description snapshot-volumes gave this incident's evidence \(.*\), but not its tags \(it lacks Firebreak's tag firebreak:incident=.*\): either Firebreak's evidence whose tags someone in 111122223333 changed .* neither shared nor copied, and kept/,
      );
      expect(forensic.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input.SourceSnapshotId)).toEqual(['snap-0000000000000000a']);
      expect(member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input.SnapshotId)).not.toContain('snap-0000000000000000b');
    });

    it('ATTACK (review-evidence): every evidence snapshot untagged is no "no-evidence" success: the step fails naming each', async () => {
      memberFinds(SOURCES.map((s) => ({ ...s, Tags: [] })));
      // Before the fix: status `no-evidence`, the step succeeded, nothing copied and nothing said.
      await expect(run()).rejects.toThrow(/2 of 2 evidence snapshot\(s\) not copied to the forensic account 444455556666.*snap-0000000000000000a of vol-0root000000000001 carries the description.*snap-0000000000000000b of vol-0data00000000000b carries the description/);
      expect(member.commandCalls(ModifySnapshotAttributeCommand)).toHaveLength(0);
      expect(forensic.calls()).toHaveLength(0);
    });

    it('ATTACK (review-evidence): evidence whose firebreak:evidence tag was set to false (so the share rule no longer covers it) fails the step, never dropped without a word', async () => {
      memberFinds([SOURCES[0]!, retagged(SOURCES[1]!, 'firebreak:evidence', 'false')]);
      complete('snap-0copy000000000001');
      await expect(run()).rejects.toThrow(/snap-0000000000000000b of vol-0data00000000000b carries the description .* \(it lacks Firebreak's tag firebreak:evidence=true\)/);
    });

    it('ATTACK (review-evidence): a volume of the instance whose evidence snapshot is gone (deleted where no lock held it) fails the step naming the volume, never `copied` for the rest', async () => {
      memberFinds([SOURCES[0]!]);
      complete('snap-0copy000000000001');
      // Before the fix: status `copied` with one copy; the data volume's evidence was missing and nothing said so.
      await expect(run()).rejects.toThrow(
        /1 of 2 evidence snapshot\(s\) not copied .*vol-0data00000000000b is attached to i-0abc1234def567890, but no evidence snapshot of it for .* exists in 111122223333 .*deleted.*attached after the snapshot step/,
      );
      expect(forensic.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input.SourceSnapshotId)).toEqual(['snap-0000000000000000a']);
    });

    it('ATTACK (review-evidence): with every evidence snapshot gone, the step fails naming each volume instead of answering no-evidence', async () => {
      memberFinds([]);
      await expect(run()).rejects.toThrow(/2 of 2 .*vol-0root000000000001 is attached to i-0abc1234def567890, but no evidence snapshot of it.*vol-0data00000000000b is attached/);
    });

    it('finds the evidence by its description too, in one more DescribeSnapshots with exact input (the description\'s wildcard characters escaped, every page)', async () => {
      complete('snap-0copy000000000001', 'snap-0copy000000000002');
      const incident = ec2Incident({ findingType: 'Custom:EC2/Odd*Name?\\x' });
      const own = SOURCES.map((s) => ({ ...s, Description: evidenceSnapshotDescription(incident), Tags: s.Tags!.map((t) => (t.Key === 'firebreak:finding-type' ? { ...t, Value: incident.findingType } : t)) }));
      memberFinds(own);
      const result = await run({ ...input(), incident });
      expect(result.status).toBe('copied');
      const byDescription = member.commandCalls(DescribeSnapshotsCommand).filter((c) => c.args[0].input.Filters?.[0]?.Name === 'description');
      expect(byDescription.map((c) => c.args[0].input)).toEqual([
        { OwnerIds: ['self'], Filters: [{ Name: 'description', Values: [`Firebreak evidence for ${KEY} (Custom:EC2/Odd\\*Name\\?\\\\x)`] }] },
      ]);
    });

    it('tried (review-evidence): a tagged snapshot whose description is not Firebreak\'s is still only left as it is (a backup tagged with the key proves nothing, and stands for no disk)', async () => {
      memberFinds([...SOURCES, evidence('snap-0000000000000000f', 'vol-0root000000000001', 'completed', { Description: 'nightly backup' })]);
      complete('snap-0copy000000000001', 'snap-0copy000000000002');
      const result = await run();
      expect(result.status).toBe('copied');
    });

    describe('a snapshot made with the evidence\'s description and tags that snapshot-volumes never recorded (row 3za)', () => {
      /** What someone allowed ec2:CreateSnapshot and ec2:CreateTags makes of the data volume with Firebreak's description and tags: before snapshot-volumes ran, or after its snapshot was deleted. */
      const forgedB = evidence('snap-0f0f0f0f0f0f0f0f2', 'vol-0data00000000000b', 'completed', { StartTime: new Date('2026-11-20T09:56:00.000Z') });

      it('ATTACK (evidence-records): a snapshot forged with the evidence\'s description and tags after the real one was deleted is neither shared nor copied, and the step fails naming its volume', async () => {
        // snapshot-volumes recorded a and the real b; b was deleted, the forgery stands in its place.
        evidenceRecords = new InMemoryEvidenceRecords(['snap-0000000000000000a', 'snap-0000000000000000b']);
        memberFinds([SOURCES[0]!, forgedB]);
        member.on(DescribeSnapshotsCommand, { SnapshotIds: [forgedB.SnapshotId!] }).resolves({ Snapshots: [forgedB] });
        complete('snap-0copy000000000001', 'snap-0copy000000000002');
        const failure = await run().then(
          () => undefined,
          (error: unknown) => error,
        );
        // Before the fix: status `copied`, the forgery shared, copied and sealed as this incident's evidence of vol-0data00000000000b.
        expect(failure).toBeInstanceOf(EvidenceCopyFailedError);
        expect(member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input.SnapshotId)).not.toContain(forgedB.SnapshotId);
        expect(forensic.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input.SourceSnapshotId)).toEqual(['snap-0000000000000000a']);
        const message = (failure as Error).message;
        expect(message).toMatch(
          /vol-0data00000000000b is attached to i-0abc1234def567890, but no evidence snapshot of it for .* that snapshot-volumes recorded exists in 111122223333: snap-0f0f0f0f0f0f0f0f2 carries this incident's description and tags but no sealed record of snapshot-volumes/,
        );
        expect(message).toMatch(/Copied, custody recorded: snap-0000000000000000a → snap-0copy000000000001/);
        // Asked for each source by exactly its incident, volume, instance, account and region.
        expect(evidenceRecords.verified).toEqual([
          { incidentKey: KEY, snapshotId: 'snap-0000000000000000a', volumeId: 'vol-0root000000000001', instanceId: INSTANCE_ID, account: ACCOUNT, region: REGION },
          { incidentKey: KEY, snapshotId: forgedB.SnapshotId, volumeId: 'vol-0data00000000000b', instanceId: INSTANCE_ID, account: ACCOUNT, region: REGION },
        ]);
      });

      it('ATTACK (evidence-records): a snapshot forged before snapshot-volumes ran (which took the volume again, and recorded it) is not copied, even though it started first', async () => {
        evidenceRecords = new InMemoryEvidenceRecords(['snap-0000000000000000a', 'snap-0000000000000000b']);
        memberFinds([SOURCES[0]!, forgedB, SOURCES[1]!]);
        complete('snap-0copy000000000001', 'snap-0copy000000000002');
        const result = await run();
        // Before the fix: the forgery, started first, was the one copied (row 3y's earliest of each volume); the real b was not.
        expect(result.status).toBe('copied');
        expect(forensic.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input.SourceSnapshotId)).toEqual(['snap-0000000000000000a', 'snap-0000000000000000b']);
        expect(member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input.SnapshotId)).not.toContain(forgedB.SnapshotId);
        const skipped = result.actions.find((a) => a.target === forgedB.SnapshotId);
        expect(skipped?.outcome).toBe('skipped');
        expect(skipped?.detail).toMatch(
          /snap-0f0f0f0f0f0f0f0f2 of vol-0data00000000000b \(started 2026-11-20T09:56:00.000Z\) carries this incident's description and tags, but no record of snapshot-volumes names it .*neither shared nor copied, and kept/,
        );
      });

      it('checks at most 10 snapshots of a volume against the records: past them, a volume whose recorded evidence started after thirty forgeries fails the step, named, its message bounded (not copied: never a forgery instead)', async () => {
        evidenceRecords = new InMemoryEvidenceRecords(['snap-0000000000000000a', 'snap-0000000000000000b']);
        const forged = Array.from({ length: 30 }, (_, i) => ({ ...forgedB, SnapshotId: `snap-0f0f0f0f0f0f0${String(i).padStart(4, '0')}` }));
        memberFinds([SOURCES[0]!, ...forged, SOURCES[1]!]);
        complete('snap-0copy000000000001');
        const failure = await run().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(EvidenceCopyFailedError);
        expect(evidenceRecords.verified.filter((v) => v.volumeId === 'vol-0data00000000000b')).toHaveLength(10);
        expect(forensic.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input.SourceSnapshotId)).toEqual(['snap-0000000000000000a']);
        expect((failure as Error).message).toMatch(/vol-0data00000000000b is attached to .*: snap-0f0f0f0f0f0f00000, .*, snap-0f0f0f0f0f0f00009, 21 more carry this incident's description and tags but no sealed record/);
        expect((failure as Error).message.length).toBeLessThan(4_000);
      });

      it('ATTACK (rereview-two): ten snapshots forged of a volume before snapshot-volumes ran no longer use up the record checks before its real evidence: the volume\'s own sealed record names it, and it is copied', async () => {
        // snapshot-volumes took and recorded a and b (b started after the forgeries: the incident key is predictable, and they were made with it before the step ran).
        evidenceRecords = new InMemoryEvidenceRecords([]);
        for (const source of SOURCES) {
          await evidenceRecords.save({ incidentKey: KEY, snapshotId: source.SnapshotId!, volumeId: source.VolumeId!, instanceId: INSTANCE_ID, account: ACCOUNT, region: REGION, recordedAt: '2026-11-20T10:02:01.000Z' });
        }
        const forged = Array.from({ length: 10 }, (_, i) => ({ ...forgedB, SnapshotId: `snap-0f0f0f0f0f0f0${String(i).padStart(4, '0')}` }));
        memberFinds([SOURCES[0]!, ...forged, SOURCES[1]!]);
        complete('snap-0copy000000000001', 'snap-0copy000000000002');
        const result = await run();
        // Before the fix: EvidenceCopyFailedError, b never checked (ten checks spent on the forgeries), never copied, and the failure said no recorded evidence of vol-0data00000000000b exists.
        expect(result.status).toBe('copied');
        expect(forensic.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input.SourceSnapshotId)).toEqual(['snap-0000000000000000a', 'snap-0000000000000000b']);
        const shared = member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input.SnapshotId);
        for (const f of forged) expect(shared).not.toContain(f.SnapshotId);
        // The volume's record is asked for by exactly its incident, volume, instance, account and region, and only where the checks could run out.
        expect(evidenceRecords.volumeLookups).toEqual([{ incidentKey: KEY, volumeId: 'vol-0data00000000000b', instanceId: INSTANCE_ID, account: ACCOUNT, region: REGION }]);
        expect(evidenceRecords.verified.filter((v) => v.volumeId === 'vol-0data00000000000b')).toHaveLength(10);
      });

      it('tried (rereview-two): a volume record naming a snapshot that is not among the volume\'s candidates (deleted) stands for nothing: past the checks, the volume still fails, named', async () => {
        evidenceRecords = new InMemoryEvidenceRecords(['snap-0000000000000000a']);
        await evidenceRecords.save({ incidentKey: KEY, snapshotId: 'snap-0deleted0000000b', volumeId: 'vol-0data00000000000b', instanceId: INSTANCE_ID, account: ACCOUNT, region: REGION, recordedAt: '2026-11-20T10:02:01.000Z' });
        const forged = Array.from({ length: 12 }, (_, i) => ({ ...forgedB, SnapshotId: `snap-0f0f0f0f0f0f0${String(i).padStart(4, '0')}` }));
        memberFinds([SOURCES[0]!, ...forged]);
        complete('snap-0copy000000000001');
        const failure = await run().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(EvidenceCopyFailedError);
        expect(forensic.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input.SourceSnapshotId)).toEqual(['snap-0000000000000000a']);
      });

      it('shares, copies and waits for nothing of an unrecorded snapshot still pending', async () => {
        evidenceRecords = new InMemoryEvidenceRecords(['snap-0000000000000000a', 'snap-0000000000000000b']);
        memberFinds([...SOURCES, { ...forgedB, State: 'pending' }]);
        complete('snap-0copy000000000001', 'snap-0copy000000000002');
        const result = await run();
        expect(result.status).toBe('copied');
        expect(result.copies.map((c) => c.sourceSnapshotId)).toEqual(['snap-0000000000000000a', 'snap-0000000000000000b']);
      });
    });

    describe('a snapshot someone made with Firebreak\'s description (review of row 3x, rereview-evidence)', () => {
      /** What someone allowed ec2:CreateSnapshot and ec2:CreateTags makes of the data volume after snapshot-volumes: the disk as it is then (the malware on the isolated instance may have wiped it), with Firebreak's description and, optionally, its tags. */
      const later = (extra: Partial<Snapshot> = {}) => evidence('snap-0f0f0f0f0f0f0f0f1', 'vol-0data00000000000b', 'completed', { StartTime: new Date('2026-11-20T10:40:00.000Z'), ...extra });

      it('ATTACK (rereview-evidence): a later snapshot of an attached volume made with Firebreak\'s description and tags is never shared, copied nor recorded as evidence beside the one snapshot-volumes took', async () => {
        const forged = later();
        memberFinds([...SOURCES, forged]);
        member.on(DescribeSnapshotsCommand, { SnapshotIds: [forged.SnapshotId!] }).resolves({ Snapshots: [forged] });
        complete('snap-0copy000000000001', 'snap-0copy000000000002', 'snap-0copy000000000003');
        const result = await run();
        // Before the fix: status `copied` with three copies, the forgery shared, copied and sealed as this incident's evidence of vol-0data00000000000b.
        expect(forensic.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input.SourceSnapshotId)).toEqual(['snap-0000000000000000a', 'snap-0000000000000000b']);
        expect(member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input.SnapshotId)).not.toContain(forged.SnapshotId);
        expect(result.copies.map((c) => c.sourceSnapshotId)).toEqual(['snap-0000000000000000a', 'snap-0000000000000000b']);
        const skipped = result.actions.find((a) => a.target === forged.SnapshotId);
        expect(skipped?.outcome).toBe('skipped');
        expect(skipped?.detail).toMatch(/snap-0f0f0f0f0f0f0f0f1 of vol-0data00000000000b \(started 2026-11-20T10:40:00.000Z\) carries this incident's marks, but snap-0000000000000000b of the same volume started earlier \(2026-11-20T10:02:00.000Z\).*one snapshot per volume.*neither shared nor copied, and kept/);
      });

      it('ATTACK (rereview-evidence): of two marked snapshots of a volume, the earlier is the one copied whichever EC2 lists first (before the fix both were)', async () => {
        const early = { ...SOURCES[1]!, StartTime: new Date('2026-11-20T10:01:00.000Z') };
        memberFinds([SOURCES[0]!, later({ SnapshotId: 'snap-0000000000000000c', StartTime: new Date('2026-11-20T10:02:00.000Z') }), early]);
        complete('snap-0copy000000000001', 'snap-0copy000000000002');
        await run();
        expect(forensic.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input.SourceSnapshotId)).toEqual(['snap-0000000000000000a', 'snap-0000000000000000b']);
      });

      it('ATTACK (rereview-evidence): a snapshot carrying only the description is not said to be evidence whose tags were changed, and the step does not tell the responder to tag it as evidence unchecked', async () => {
        memberFinds([...SOURCES, later({ Tags: [] })]);
        complete('snap-0copy000000000001', 'snap-0copy000000000002');
        const failure = await run().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(EvidenceCopyFailedError);
        const message = (failure as Error).message;
        // Before the fix: "someone in 111122223333 changed them … put Firebreak's tags back and re-run the step": done, the forgery became a source.
        expect(message).not.toMatch(/changed them/);
        expect(message).toMatch(
          /snap-0f0f0f0f0f0f0f0f1 of vol-0data00000000000b carries the description snapshot-volumes gave this incident's evidence \(".*", started 2026-11-20T10:40:00.000Z\), but not its tags \(it lacks .*\): either Firebreak's evidence whose tags someone in 111122223333 changed \(.*\), or a snapshot someone made with that description/,
        );
        expect(message).toMatch(/CloudTrail shows Firebreak's member role took it \(CreateSnapshots\)/);
      });

      it('ATTACK (rereview-evidence): sixty snapshots made with the description do not push the real failures and the copies made out of the error Step Functions keeps (a Cause is cut at 32,768 characters)', async () => {
        const forged = Array.from({ length: 60 }, (_, i) => evidence(`snap-0f0f0f0f0f0f0${String(i).padStart(4, '0')}`, `vol-0other${String(i).padStart(9, '0')}`, 'completed', { Tags: [] }));
        memberFinds([SOURCES[0]!, ...forged]);
        complete('snap-0copy000000000001');
        const failure = await run().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(EvidenceCopyFailedError);
        const message = (failure as Error).message;
        // The cause is JSON ({"errorType","errorMessage","trace"}): the message must leave room for the rest.
        // Before the fix: 41,180 characters, past the cap, the deleted data volume's evidence named after the 60 forgeries, the copy made last.
        expect(message.length).toBeLessThan(16_384);
        expect(message).toMatch(/vol-0data00000000000b is attached to i-0abc1234def567890, but no evidence snapshot of it/);
        expect(message).toMatch(/Copied, custody recorded: snap-0000000000000000a → snap-0copy000000000001/);
        expect(message).toMatch(/And 55 more not named here.*snap-0f0f0f0f0f0f00005, .* and 5 more\./);
        expect(message).toContain('61 of 62 evidence snapshot(s) not copied');
      });

      it('ATTACK (rereview-evidence): the instance\'s own evidence retagged among sixty snapshots made with the description is named whole first, whatever order EC2 lists them in', async () => {
        const forged = Array.from({ length: 60 }, (_, i) => evidence(`snap-0f0f0f0f0f0f0${String(i).padStart(4, '0')}`, `vol-0other${String(i).padStart(9, '0')}`, 'completed', { Tags: [] }));
        memberFinds([SOURCES[0]!, ...forged, retagged(SOURCES[1]!, 'firebreak:incident', 'gd-another-incident')]);
        complete('snap-0copy000000000001');
        const message = await run().then(
          () => '',
          (error: unknown) => (error as Error).message,
        );
        // Before the fix: named 61st, past 32,768 characters.
        expect(message.length).toBeLessThan(16_384);
        expect(message).toMatch(/no source was deleted\. snap-0000000000000000b of vol-0data00000000000b carries the description .* \(it lacks Firebreak's tag firebreak:incident=/);
      });
    });

    it('tried (rereview-evidence): an instance-store disk (a mapping without Ebs, which no snapshot can take) is no volume without evidence', async () => {
      const withEphemeral = {
        Reservations: [
          { Instances: [{ ...INSTANCE_VOLUMES.Reservations[0]!.Instances[0]!, BlockDeviceMappings: [...INSTANCE_VOLUMES.Reservations[0]!.Instances[0]!.BlockDeviceMappings, { DeviceName: '/dev/sdb', VirtualName: 'ephemeral0' }] }] },
        ],
      };
      member.on(DescribeInstancesCommand).resolves(withEphemeral);
      memberFinds(SOURCES);
      complete('snap-0copy000000000001', 'snap-0copy000000000002');
      expect((await run()).status).toBe('copied');
    });

    it('does not ask for evidence of every volume in dry-run (none was taken)', async () => {
      memberFinds([]);
      const result = await run(input('dry-run'));
      expect(result.status).toBe('dry-run');
    });
  });

  it('tried (review-evidence): a source carrying 50 maximal tags its volume\'s owner chose (four-byte characters, copied by CopyTagsFromSource) still fits its custody record in one DynamoDB item, at every revision', async () => {
    const astral = (n: number, seed: number) => String.fromCodePoint(0x1f600 + seed).repeat(n);
    const tags = [...SOURCES[1]!.Tags!, ...Array.from({ length: 46 }, (_, i) => ({ Key: astral(128, i % 40), Value: astral(256, (i + 7) % 40) }))];
    const heavy = { ...SOURCES[1]!, Tags: tags };
    member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [SOURCES[0]!, heavy] });
    member.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0000000000000000b'] }).resolves({ Snapshots: [heavy] });
    await expect(run()).rejects.toBeInstanceOf(EvidencePendingError);
    complete('snap-0copy000000000001', 'snap-0copy000000000002');
    expect((await run()).status).toBe('copied');
    // DynamoDB's item limit is 400 KB: attribute names and values in UTF-8.
    const itemBytes = (item: Record<string, AttributeValue>) =>
      Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value.S ?? value.N ?? '') + (value.B?.byteLength ?? 0), 0);
    const sizes = dynamo.commandCalls(PutItemCommand).map((c) => itemBytes(c.args[0].input.Item!));
    expect(sizes.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...sizes)).toBeGreaterThan(70_000);
    expect(Math.max(...sizes)).toBeLessThan(400 * 1024);
  });

  describe('in a game day (review-gameday)', () => {
    const drill = ec2Incident({ key: `gameday-${KEY}`, gameDay: true });
    /** What snapshot-volumes took for the drill while the instance was opted in. */
    const drillEvidence = SOURCES.map((source) => ({
      ...source,
      Description: evidenceSnapshotDescription(drill),
      Tags: source.Tags!.map((tag) => (tag.Key === 'firebreak:incident' ? { ...tag, Value: drill.key } : tag)),
    }));
    const described = (tags: { Key: string; Value: string }[]) => ({
      Reservations: [{ Instances: [{ ...INSTANCE_VOLUMES.Reservations[0]!.Instances[0]!, Tags: tags }] }],
    });
    beforeEach(() => {
      member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: drillEvidence });
      member.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0000000000000000a'] }).resolves({ Snapshots: [drillEvidence[0]!] });
      member.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0000000000000000b'] }).resolves({ Snapshots: [drillEvidence[1]!] });
    });

    it('ATTACK: shares and copies nothing of an instance EC2 does not show opted in now (its owner took the tag off while the copy waited)', async () => {
      member.on(DescribeInstancesCommand).resolves(described([{ Key: 'Name', Value: 'payments-db' }]));
      const result = await run({ ...input(), incident: drill });
      expect(result.status).toBe('refused');
      expect(result.copies).toEqual([]);
      expect(member.commandCalls(ModifySnapshotAttributeCommand)).toHaveLength(0);
      expect(forensic.calls()).toHaveLength(0);
      expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
      expect(result.actions.at(-1)).toMatchObject({ api: 'firebreak:check-gameday-target', outcome: 'skipped' });
      expect(result.actions.at(-1)?.detail).toMatch(/does not carry the tag firebreak:gameday-target=true in EC2 now/);
    });

    it('ATTACK (review-1zf): shares and copies no evidence snapshot of a Multi-Attach volume also attached to an instance outside the drill (taken before row 1zf, or tagged since)', async () => {
      member.on(DescribeInstancesCommand).resolves(described([{ Key: 'firebreak:gameday-target', Value: 'true' }]));
      // The production instance also holds the data volume, and does not opt in to drills.
      const holders = { Filters: [{ Name: 'block-device-mapping.volume-id', Values: ['vol-0root000000000001', 'vol-0data00000000000b'] }] };
      member.on(DescribeInstancesCommand, holders).resolves({
        Reservations: [
          { Instances: [{ ...INSTANCE_VOLUMES.Reservations[0]!.Instances[0]!, Tags: [{ Key: 'firebreak:gameday-target', Value: 'true' }] }] },
          { Instances: [{ InstanceId: 'i-0prod0000000000db', Tags: [{ Key: 'Name', Value: 'payments-db' }], BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { VolumeId: 'vol-0data00000000000b' } }] }] },
        ],
      });
      await expect(run({ ...input(), incident: drill })).rejects.toThrow(EvidencePendingError);
      expect(member.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toContainEqual({ ...holders, MaxResults: 1000 });
      // Only the root volume's snapshot is shared; the shared disk's is neither shared nor copied.
      expect(member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input)).toEqual([shareInput('snap-0000000000000000a', FORENSIC, false)]);
      expect(forensic.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input.SourceSnapshotId)).toEqual(['snap-0000000000000000a']);
    });

    it('ATTACK (review-1zf): copies nothing, refused, when every evidence snapshot of a drill is of a volume shared with an instance outside it', async () => {
      member.on(DescribeInstancesCommand).resolves(described([{ Key: 'firebreak:gameday-target', Value: 'true' }]));
      member.on(DescribeInstancesCommand, { Filters: [{ Name: 'block-device-mapping.volume-id', Values: ['vol-0root000000000001', 'vol-0data00000000000b'] }] }).resolves({
        Reservations: [
          { Instances: [{ InstanceId: 'i-0prod0000000000db', BlockDeviceMappings: [{ Ebs: { VolumeId: 'vol-0root000000000001' } }, { Ebs: { VolumeId: 'vol-0data00000000000b' } }] }] },
        ],
      });
      const result = await run({ ...input(), incident: drill });
      expect(result.status).toBe('refused');
      expect(result.copies).toEqual([]);
      expect(member.commandCalls(ModifySnapshotAttributeCommand)).toHaveLength(0);
      expect(forensic.calls()).toHaveLength(0);
      expect(result.actions.filter((a) => a.api === 'ec2:ModifySnapshotAttribute').map((a) => [a.target, a.outcome])).toEqual([
        ['snap-0000000000000000a', 'skipped'],
        ['snap-0000000000000000b', 'skipped'],
      ]);
      expect(result.actions.at(-1)?.detail).toMatch(/also attached to i-0prod0000000000db/);
    });

    it('tried (rereview-evidence): a drill\'s volume shared with an instance outside it, which snapshot-volumes left out, is no "volume without evidence": the rest is copied and the step succeeds', async () => {
      member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [drillEvidence[0]!] });
      member.on(DescribeInstancesCommand).callsFake((i: { Filters?: { Values: string[] }[] }) => {
        const wanted = i.Filters?.[0]?.Values;
        if (wanted === undefined) return described([{ Key: 'firebreak:gameday-target', Value: 'true' }]);
        // The production database also holds the data volume (Multi-Attach), and does not opt in to drills.
        return wanted.includes('vol-0data00000000000b')
          ? { Reservations: [{ Instances: [{ InstanceId: 'i-0prod0000000000db', Tags: [{ Key: 'Name', Value: 'payments-db' }], BlockDeviceMappings: [{ DeviceName: '/dev/sdf', Ebs: { VolumeId: 'vol-0data00000000000b' } }] }] }] }
          : { Reservations: [] };
      });
      complete('snap-0copy000000000001');
      const result = await run({ ...input(), incident: drill });
      expect(result.status).toBe('copied');
      expect(forensic.commandCalls(CopySnapshotCommand).map((c) => c.args[0].input.SourceSnapshotId)).toEqual(['snap-0000000000000000a']);
      expect(member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input.SnapshotId)).not.toContain('snap-0000000000000000b');
    });

    it('tried (rereview-evidence): the same volume, were it attached to no instance outside the drill, has no evidence and fails the step, named', async () => {
      member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [drillEvidence[0]!] });
      member.on(DescribeInstancesCommand).callsFake((i: { Filters?: unknown[] }) => (i.Filters === undefined ? described([{ Key: 'firebreak:gameday-target', Value: 'true' }]) : { Reservations: [] }));
      complete('snap-0copy000000000001');
      await expect(run({ ...input(), incident: drill })).rejects.toThrow(/1 of 2 .*vol-0data00000000000b is attached to i-0abc1234def567890, but no evidence snapshot of it/);
    });

    it('asks EC2 nothing more for a real incident (the evidence of a compromised instance includes what it shares)', async () => {
      member.on(DescribeInstancesCommand).resolves(INSTANCE_VOLUMES);
      member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: SOURCES });
      member.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0000000000000000a'] }).resolves({ Snapshots: [SOURCES[0]!] });
      member.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0000000000000000b'] }).resolves({ Snapshots: [SOURCES[1]!] });
      await expect(run()).rejects.toThrow(EvidencePendingError);
      expect(member.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual([{ InstanceIds: [INSTANCE_ID] }]);
    });

    it('ATTACK (review-s28): takes back the shares of a drill whose owner took the tag off after the copies started, rather than leaving its disks shared with the forensic account', async () => {
      member.on(DescribeInstancesCommand).resolves(described([{ Key: 'firebreak:gameday-target', Value: 'true' }]));
      // The copies start while the instance is opted in: both sources shared, custody pending.
      await expect(run({ ...input(), incident: drill })).rejects.toThrow(EvidencePendingError);
      const shared = () => member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input);
      expect(shared()).toEqual([shareInput('snap-0000000000000000a', FORENSIC, false), shareInput('snap-0000000000000000b', FORENSIC, false)]);
      // The owner takes the tag off while the copies are pending; the retry is refused and withdraws both shares.
      member.on(DescribeInstancesCommand).resolves(described([{ Key: 'Name', Value: 'payments-db' }]));
      const result = await run({ ...input(), incident: drill });
      expect(result.status).toBe('refused');
      expect(shared().slice(2)).toEqual([unshareInput('snap-0000000000000000a', FORENSIC, false), unshareInput('snap-0000000000000000b', FORENSIC, false)]);
      expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(2);
      expect(result.actions.filter((a) => a.api === 'ec2:ModifySnapshotAttribute').map((a) => [a.target, a.outcome])).toEqual([
        ['snap-0000000000000000a', 'done'],
        ['snap-0000000000000000b', 'done'],
      ]);
      expect(result.actions.find((a) => a.api === 'firebreak:check-gameday-target')).toMatchObject({ outcome: 'skipped' });
    });

    const drillRecord = (source: string) => JSON.parse(table.get(custodyRecordKey(drill.key, source))!.record!.S!) as CustodyRecord;
    const optedIn = () => described([{ Key: 'firebreak:gameday-target', Value: 'true' }]);
    const optedOut = () => described([{ Key: 'Name', Value: 'payments-db' }]);
    const modified = () => member.commandCalls(ModifySnapshotAttributeCommand).map((c) => c.args[0].input);

    it('ATTACK (review-1zf): withdraws the share of a shared disk\'s snapshot that an earlier run of the drill shared before the disk was found shared, and says why in its custody record', async () => {
      member.on(DescribeInstancesCommand).resolves(optedIn());
      await expect(run({ ...input(), incident: drill })).rejects.toThrow(EvidencePendingError);
      // Then the data volume is found also attached to a production instance (an earlier run, before row 1zf).
      member.on(DescribeInstancesCommand, { Filters: [{ Name: 'block-device-mapping.volume-id', Values: ['vol-0root000000000001', 'vol-0data00000000000b'] }] }).resolves({
        Reservations: [{ Instances: [{ InstanceId: 'i-0prod0000000000db', BlockDeviceMappings: [{ Ebs: { VolumeId: 'vol-0data00000000000b' } }] }] }],
      });
      await expect(run({ ...input(), incident: drill })).rejects.toThrow(EvidencePendingError);
      expect(modified().slice(2)).toEqual([unshareInput('snap-0000000000000000b', FORENSIC, false)]);
      const record = drillRecord('snap-0000000000000000b');
      expect(record.unshare).toEqual({
        removed: true,
        at: NOW.toISOString(),
        reason: 'drill-refused',
        detail: `share of snap-0000000000000000b with ${FORENSIC} withdrawn (createVolumePermission remove): its volume vol-0data00000000000b is also attached to i-0prod0000000000db, which does not carry the tag firebreak:gameday-target=true in EC2 now`,
      });
      expect(record).toMatchObject({ status: 'refused-copy-kept' });
      expect(drillRecord('snap-0000000000000000a').unshare).toBeUndefined();
    });

    it('ATTACK (drill-shares): records each withdrawn share in its custody record, with the reason (a drill refused mid-copy), not "the copy completed"', async () => {
      member.on(DescribeInstancesCommand).resolves(optedIn());
      await expect(run({ ...input(), incident: drill })).rejects.toThrow(EvidencePendingError);
      member.on(DescribeInstancesCommand).resolves(optedOut());
      const result = await run({ ...input(), incident: drill });
      expect(result.status).toBe('refused');
      // Exact inputs: the two shares, then the two withdrawals, no DryRun in enforce.
      expect(modified()).toEqual([
        { SnapshotId: 'snap-0000000000000000a', Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [FORENSIC] },
        { SnapshotId: 'snap-0000000000000000b', Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [FORENSIC] },
        { SnapshotId: 'snap-0000000000000000a', Attribute: 'createVolumePermission', OperationType: 'remove', UserIds: [FORENSIC] },
        { SnapshotId: 'snap-0000000000000000b', Attribute: 'createVolumePermission', OperationType: 'remove', UserIds: [FORENSIC] },
      ]);
      for (const source of ['snap-0000000000000000a', 'snap-0000000000000000b']) {
        const record = drillRecord(source);
        expect(record.unshare).toEqual({
          removed: true,
          at: NOW.toISOString(),
          reason: 'drill-refused',
          detail: `share of ${source} with ${FORENSIC} withdrawn (createVolumePermission remove): the drill's instance ${INSTANCE_ID} was no longer opted in (firebreak:gameday-target=true) mid-copy`,
        });
        // The copy had started: it is kept (not confirmed, not copied again, never deleted), the record sealed over it saying so.
        expect(record).toMatchObject({ status: 'refused-copy-kept', copySnapshotId: expect.stringMatching(/^snap-0copy/) });
        expect((await custody.get(drill.key, source))?.verdict).toEqual({ valid: true });
      }
      // A rerun finds the shares recorded as withdrawn: nothing sent again.
      member.resetHistory();
      await run({ ...input(), incident: drill });
      expect(modified()).toEqual([]);
    });

    it('lets a throttled withdrawal through as transient (the step is retried and withdraws again), as every other mutating call', async () => {
      member.on(DescribeInstancesCommand).resolves(optedIn());
      await expect(run({ ...input(), incident: drill })).rejects.toThrow(EvidencePendingError);
      member.on(DescribeInstancesCommand).resolves(optedOut());
      member.on(ModifySnapshotAttributeCommand, { OperationType: 'remove' }).rejects(Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }));
      await expect(run({ ...input(), incident: drill })).rejects.toBeInstanceOf(TransientResponderError);
      expect(drillRecord('snap-0000000000000000a').unshare).toBeUndefined();
      member.on(ModifySnapshotAttributeCommand, { OperationType: 'remove' }).resolves({});
      expect((await run({ ...input(), incident: drill })).status).toBe('refused');
      expect(drillRecord('snap-0000000000000000a').unshare).toMatchObject({ removed: true, reason: 'drill-refused' });
    });

    it('records a withdrawal EC2 refuses as not done (the share kept, the record says so; a rerun tries again)', async () => {
      member.on(DescribeInstancesCommand).resolves(optedIn());
      await expect(run({ ...input(), incident: drill })).rejects.toThrow(EvidencePendingError);
      member.on(DescribeInstancesCommand).resolves(optedOut());
      member.on(ModifySnapshotAttributeCommand, { OperationType: 'remove' }).rejects(Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } }));
      expect((await run({ ...input(), incident: drill })).status).toBe('refused');
      expect(drillRecord('snap-0000000000000000a').unshare).toMatchObject({ removed: false, reason: 'drill-refused', detail: expect.stringMatching(/^share of snap-0000000000000000a with 444455556666 NOT withdrawn \(/) });
      member.on(ModifySnapshotAttributeCommand, { OperationType: 'remove' }).resolves({});
      member.resetHistory();
      await run({ ...input(), incident: drill });
      expect(modified().map((i) => i.OperationType)).toEqual(['remove', 'remove']);
      expect(drillRecord('snap-0000000000000000a').unshare).toMatchObject({ removed: true, reason: 'drill-refused' });
    });

    it('withdraws the share of a record that fails verification, without sealing that record again', async () => {
      member.on(DescribeInstancesCommand).resolves(optedIn());
      await expect(run({ ...input(), incident: drill })).rejects.toThrow(EvidencePendingError);
      member.on(DescribeInstancesCommand).resolves(optedOut());
      kms.on(VerifyMacCommand).rejects(Object.assign(new Error('invalid mac'), { name: 'KMSInvalidMacException', $metadata: { httpStatusCode: 400 } }));
      dynamo.resetHistory();
      const result = await run({ ...input(), incident: drill });
      expect(result.status).toBe('refused');
      expect(modified().slice(2)).toEqual([unshareInput('snap-0000000000000000a', FORENSIC, false), unshareInput('snap-0000000000000000b', FORENSIC, false)]);
      expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
      expect(result.actions.filter((a) => a.api === 'dynamodb:PutItem').map((a) => a.outcome)).toEqual(['skipped', 'skipped']);
    });

    it('ATTACK (drill-shares): copies nothing when the opt-in tag goes between the share and the copy: the share is withdrawn and recorded', async () => {
      // Opted in when the step starts; the owner takes the tag off right after the first share.
      member.on(DescribeInstancesCommand).resolvesOnce(optedIn()).resolves(optedOut());
      const result = await run({ ...input(), incident: drill });
      expect(result.status).toBe('refused');
      expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(0);
      expect(modified()).toEqual([shareInput('snap-0000000000000000a', FORENSIC, false), unshareInput('snap-0000000000000000a', FORENSIC, false)]);
      const record = drillRecord('snap-0000000000000000a');
      expect(record).toMatchObject({ status: 'withdrawn', unshare: { removed: true, reason: 'drill-refused' } });
      expect(record.copySnapshotId).toBeUndefined();
      expect((await custody.get(drill.key, 'snap-0000000000000000a'))?.verdict).toEqual({ valid: true });
      // Source b was never shared: no record, nothing to withdraw.
      expect(table.has(custodyRecordKey(drill.key, 'snap-0000000000000000b'))).toBe(false);
    });

    it('ATTACK (drill-shares): takes back a share an interrupted run made before any copy was recorded, when the drill is refused on the rerun', async () => {
      member.on(DescribeInstancesCommand).resolves(optedIn());
      // The share of a is made, then CopySnapshot is throttled: the run ends before any copy.
      forensic.on(CopySnapshotCommand).rejects(Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }));
      await expect(run({ ...input(), incident: drill })).rejects.toBeInstanceOf(TransientResponderError);
      expect(modified()).toEqual([shareInput('snap-0000000000000000a', FORENSIC, false)]);
      // The intent was recorded before the share: a reviewer (and the rerun) sees it.
      expect(drillRecord('snap-0000000000000000a')).toMatchObject({ status: 'sharing' });
      member.on(DescribeInstancesCommand).resolves(optedOut());
      expect((await run({ ...input(), incident: drill })).status).toBe('refused');
      expect(modified().slice(1)).toEqual([unshareInput('snap-0000000000000000a', FORENSIC, false)]);
      expect(drillRecord('snap-0000000000000000a')).toMatchObject({ status: 'withdrawn', unshare: { removed: true, reason: 'drill-refused' } });
    });

    it('ATTACK (lead-s30): takes back the share of a refused drill whose custody item is no custody record, sealing nothing over it', async () => {
      member.on(DescribeInstancesCommand).resolves(optedIn());
      forensic.on(CopySnapshotCommand).rejects(Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }));
      await expect(run({ ...input(), incident: drill })).rejects.toBeInstanceOf(TransientResponderError);
      expect(modified()).toEqual([shareInput('snap-0000000000000000a', FORENSIC, false)]);
      // Whoever may write the state table overwrites the intent with something that is no record.
      const pk = custodyRecordKey(drill.key, 'snap-0000000000000000a');
      table.set(pk, { ...table.get(pk)!, record: { S: 'overwritten' } });
      member.on(DescribeInstancesCommand).resolves(optedOut());
      const refused = await run({ ...input(), incident: drill });
      expect(refused.status).toBe('refused');
      expect(modified().slice(1)).toEqual([unshareInput('snap-0000000000000000a', FORENSIC, false)]);
      expect(table.get(pk)?.record?.S).toBe('overwritten');
      expect(refused.actions.find((a) => a.api === 'dynamodb:PutItem' && a.outcome === 'skipped')?.detail).toMatch(/is in the state table but is not a custody record/);
    });

    // Review s29: a run that ended between CopySnapshot and the pending record (a throttled describe
    // of the copy) leaves the record `sharing` and a copy in the forensic account. When the drill is
    // refused on the rerun, the record was sealed `withdrawn`, "no copy made", while the copy sat in
    // the forensic account: the chain of custody said no evidence left the member account.
    it('ATTACK (review-s29): a drill refused after a copy its record does not name yet records that copy, never "withdrawn, no copy made"', async () => {
      member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [drillEvidence[0]!] });
      member.on(DescribeInstancesCommand).resolves(optedIn());
      const throttled = Object.assign(new Error('slow down'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });
      forensic.on(DescribeSnapshotsCommand, { SnapshotIds: ['snap-0copy000000000001'] }).rejects(throttled);
      await expect(run({ ...input(), incident: drill })).rejects.toBeInstanceOf(TransientResponderError);
      expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(1);
      expect(drillRecord('snap-0000000000000000a')).toMatchObject({ status: 'sharing' });
      // The copy CopySnapshot made, as the forensic account lists it by its source tag.
      const expected = copyInput({ snapshotId: 'snap-0000000000000000a', account: ACCOUNT, region: REGION }, drill.key, KEY_ARN, false);
      const made: Snapshot = {
        SnapshotId: 'snap-0copy000000000001',
        State: 'pending',
        OwnerId: FORENSIC,
        Encrypted: true,
        KmsKeyId: KEY_ARN,
        StartTime: new Date('2026-11-20T10:30:00.000Z'),
        Description: expected.Description,
        Tags: expected.TagSpecifications[0]!.Tags,
      };
      forensic.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [made] });
      member.on(DescribeInstancesCommand).resolves(optedOut());
      expect((await run({ ...input(), incident: drill })).status).toBe('refused');
      expect(modified()).toEqual([shareInput('snap-0000000000000000a', FORENSIC, false), unshareInput('snap-0000000000000000a', FORENSIC, false)]);
      const record = drillRecord('snap-0000000000000000a');
      expect(record).toMatchObject({ status: 'refused-copy-kept', copySnapshotId: 'snap-0copy000000000001', copiedAt: '2026-11-20T10:30:00.000Z', unshare: { removed: true, reason: 'drill-refused' } });
      expect(record.copy).toEqual(snapshotReport(made));
      expect((await custody.get(drill.key, 'snap-0000000000000000a'))?.verdict).toEqual({ valid: true });
      expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(1);
    });

    // custody-truth: a drill refused after its copies started left them in the forensic account, each
    // record `pending` for good, and the alert said nothing of them: the drill's owner never knew.
    it('ATTACK (custody-truth): a drill refused after its copies started says so in each record, the copy named and kept, and the result and the alert tell the drill\'s owner to remove those copies by hand in the forensic account', async () => {
      member.on(DescribeInstancesCommand).resolves(optedIn());
      await expect(run({ ...input(), incident: drill })).rejects.toThrow(EvidencePendingError);
      member.on(DescribeInstancesCommand).resolves(optedOut());
      const result = await run({ ...input(), incident: drill });
      expect(result.status).toBe('refused');
      const kept = [
        ['snap-0000000000000000a', 'snap-0copy000000000001'],
        ['snap-0000000000000000b', 'snap-0copy000000000002'],
      ];
      for (const [source, copy] of kept) {
        expect(drillRecord(source!)).toMatchObject({ status: 'refused-copy-kept', copySnapshotId: copy, unshare: { removed: true, reason: 'drill-refused' } });
        expect((await custody.get(drill.key, source!))?.verdict).toEqual({ valid: true });
      }
      expect(result.copies.map((c) => [c.sourceSnapshotId, c.copySnapshotId, c.outcome, c.custody?.status])).toEqual(kept.map(([source, copy]) => [source, copy, 'refused', 'refused-copy-kept']));
      // Nothing deleted, anywhere.
      expect([...member.calls(), ...forensic.calls()].map((c) => c.args[0].constructor.name).filter((name) => /Delete|Deregister|Unlock/.test(name))).toEqual([]);
      const { message } = buildAlertMessage(
        alertInputSchema.parse(
          JSON.parse(JSON.stringify({ kind: 'report', incident: drill, mode: 'enforce', playbook: 'compromised-ec2', options: {}, execution: { executionArn: EXECUTION }, results: { 'forensic-copy': result } })),
        ),
        { now: NOW },
      );
      expect(message).toContain(
        `The drill was refused after its copies started (instance opted out, or a disk shared): 2 copies of the drill's snapshots remain in the forensic account ${FORENSIC}: snap-0copy000000000001 (of snap-0000000000000000a), snap-0copy000000000002 (of snap-0000000000000000b). Firebreak never deletes evidence: the drill's owner must delete them by hand there (ec2:DeleteSnapshot in ${FORENSIC}), once they are no longer needed.`,
      );
      // A rerun sends nothing and names the copies again.
      member.resetHistory();
      const again = await run({ ...input(), incident: drill });
      expect(modified()).toEqual([]);
      expect(again.copies.map((c) => c.copySnapshotId)).toEqual(['snap-0copy000000000001', 'snap-0copy000000000002']);
    });

    // review-custody: two runs of the step at once (a redelivery while the first still runs). One
    // confirms the completed copy while the other, seeing the owner's tag gone, seals the record
    // refused-copy-kept first: the confirming run's write conflicts, and it read any status but
    // pending and failed as "custody completed by another run", the step succeeding on a record that
    // says the drill was refused and its copy kept for deletion by hand.
    it('ATTACK (review-custody): a run confirming a copy while another run seals the drill refused-copy-kept never reports that copy completed by another run', async () => {
      member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [drillEvidence[0]!] });
      member.on(DescribeInstancesCommand).resolves(optedIn());
      await expect(run({ ...input(), incident: drill })).rejects.toThrow(EvidencePendingError);
      expect(drillRecord('snap-0000000000000000a')).toMatchObject({ status: 'pending', copySnapshotId: 'snap-0copy000000000001' });
      complete('snap-0copy000000000001');
      // Run A (still opted in when it read the tag) confirms the copy; as it removes the share, run B
      // (the tag gone now) is refused and seals the record first.
      let refusal: Promise<unknown> | undefined;
      member.on(ModifySnapshotAttributeCommand, { OperationType: 'remove' }).callsFake(async () => {
        if (refusal === undefined) {
          member.on(DescribeInstancesCommand).resolves(optedOut());
          refusal = run({ ...input(), incident: drill });
          await refusal;
        }
        return {};
      });
      const confirming = run({ ...input(), incident: drill }).catch((error: unknown) => error);
      const outcome = await confirming;
      expect(await refusal).toMatchObject({ status: 'refused', copies: [{ copySnapshotId: 'snap-0copy000000000001', outcome: 'refused' }] });
      expect(drillRecord('snap-0000000000000000a')).toMatchObject({ status: 'refused-copy-kept', copySnapshotId: 'snap-0copy000000000001' });
      // Run A says what the record says: the drill refused, its copy kept; never "completed".
      expect(outcome).not.toMatchObject({ copies: [{ detail: 'custody completed by another run' }] });
      expect(outcome).toBeInstanceOf(EvidenceCopyFailedError);
      expect((outcome as Error).message).toMatch(/refused-copy-kept/);
      // One removal each (A's once the copy completed, B's the withdrawal): A sends none again on B's record.
      expect(modified().filter((i) => i.OperationType === 'remove')).toHaveLength(2);
    });

    // review-custody: before refused-copy-kept, a drill whose withdrawal EC2 refused stayed `pending`,
    // and a rerun once the owner opted the instance in again confirmed the copy and removed the share.
    // refused-copy-kept is terminal: that rerun failed the step without trying the withdrawal again,
    // the share left in place for good while the record said "a rerun of the step tries again".
    it('ATTACK (review-custody): a rerun once the drill\'s instance is opted in again still withdraws a refused-copy-kept share EC2 refused to take back, never leaving it in place', async () => {
      member.on(DescribeSnapshotsCommand, { OwnerIds: ['self'] }).resolves({ Snapshots: [drillEvidence[0]!] });
      member.on(DescribeInstancesCommand).resolves(optedIn());
      await expect(run({ ...input(), incident: drill })).rejects.toThrow(EvidencePendingError);
      // Opted out; the withdrawal is refused (an attacker in the member account denies the member role).
      member.on(DescribeInstancesCommand).resolves(optedOut());
      member.on(ModifySnapshotAttributeCommand, { OperationType: 'remove' }).rejects(Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } }));
      expect((await run({ ...input(), incident: drill })).status).toBe('refused');
      expect(drillRecord('snap-0000000000000000a')).toMatchObject({ status: 'refused-copy-kept', unshare: { removed: false, reason: 'drill-refused' } });
      expect(drillRecord('snap-0000000000000000a').unshare?.detail).toMatch(/a rerun of the step tries again/);
      // The owner opts the instance in again, the role is fixed: the rerun takes the share back.
      member.on(DescribeInstancesCommand).resolves(optedIn());
      member.on(ModifySnapshotAttributeCommand, { OperationType: 'remove' }).resolves({});
      member.resetHistory();
      // In dry-run, nothing is sent or sealed.
      dynamo.resetHistory();
      await expect(run({ ...input('dry-run'), incident: drill })).rejects.toThrow(/refused-copy-kept/);
      expect(modified()).toEqual([]);
      expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
      await expect(run({ ...input(), incident: drill })).rejects.toThrow(/refused-copy-kept/);
      expect(modified()).toEqual([unshareInput('snap-0000000000000000a', FORENSIC, false)]);
      expect(drillRecord('snap-0000000000000000a')).toMatchObject({ status: 'refused-copy-kept', copySnapshotId: 'snap-0copy000000000001', unshare: { removed: true, reason: 'drill-refused' } });
      expect((await custody.get(drill.key, 'snap-0000000000000000a'))?.verdict).toEqual({ valid: true });
      // Never copied again or confirmed, nothing deleted.
      expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(1);
      expect([...member.calls(), ...forensic.calls()].map((c) => c.args[0].constructor.name).filter((name) => /Delete|Deregister|Unlock/.test(name))).toEqual([]);
    });

    it('withdraws a drill\'s share-refused record (no copy made), keeping its refusals', async () => {
      member.on(DescribeInstancesCommand).resolves(optedIn());
      member.on(ModifySnapshotAttributeCommand, { OperationType: 'add' }).rejects(Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } }));
      await expect(run({ ...input(), incident: drill })).rejects.toBeInstanceOf(EvidenceCopyFailedError);
      expect(drillRecord('snap-0000000000000000a')).toMatchObject({ status: 'share-refused' });
      member.on(DescribeInstancesCommand).resolves(optedOut());
      const result = await run({ ...input(), incident: drill });
      expect(result).toMatchObject({ status: 'refused', copies: [] });
      expect(modified().slice(2)).toEqual([unshareInput('snap-0000000000000000a', FORENSIC, false), unshareInput('snap-0000000000000000b', FORENSIC, false)]);
      const record = drillRecord('snap-0000000000000000a');
      expect(record).toMatchObject({ status: 'withdrawn', unshare: { removed: true, reason: 'drill-refused' }, shareRefusals: [{ attempt: 1, error: { name: 'UnauthorizedOperation' } }] });
      expect(record.copySnapshotId).toBeUndefined();
    });

    it('copies the evidence of an instance EC2 shows opted in', async () => {
      member.on(DescribeInstancesCommand).resolves(described([{ Key: 'firebreak:gameday-target', Value: 'true' }]));
      complete('snap-0copy000000000001', 'snap-0copy000000000002');
      const result = await run({ ...input(), incident: drill });
      expect(result.status).toBe('copied');
      expect(forensic.commandCalls(CopySnapshotCommand)).toHaveLength(2);
    });
  });
});

describe('stored custody records are claims', () => {
  const mac = new KmsMac(new KMSClient({ region: REGION }), RECORD_KEY);
  async function stored(): Promise<string> {
    await run().catch(() => undefined);
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

describe('DynamoDbCustodyStore', () => {
  const SOURCE = 'snap-0000000000000000a';
  const COPY = 'snap-0copy000000000001';
  const PK = `custody#${KEY}#${SOURCE}`;
  const pending: CustodyRecord = {
    incidentKey: KEY,
    instanceId: INSTANCE_ID,
    sourceAccount: ACCOUNT,
    region: REGION,
    sourceVolumeId: 'vol-0root000000000001',
    sourceSnapshotId: SOURCE,
    source: snapshotReport(SOURCES[0]!),
    forensicAccount: FORENSIC,
    copySnapshotId: COPY,
    copy: snapshotReport({ SnapshotId: COPY, State: 'pending', OwnerId: FORENSIC, Encrypted: true, KmsKeyId: KEY_ARN }),
    kmsKeyId: KEY_ARN,
    copiedAt: NOW.toISOString(),
    copiedBy: { executionArn: EXECUTION, responder: 'copy-evidence', forensicRoleArn: `arn:aws:iam::${FORENSIC}:role/FirebreakForensicCopier` },
    status: 'pending',
  };
  const completed: CustodyRecord = { ...pending, status: 'completed', confirmed: { at: NOW.toISOString(), copyState: 'completed' } };
  // The KMS mock answers MAC bytes 1, 2, 3 for every message.
  const sealedAs = (record: CustodyRecord): CustodyRecord => ({ ...record, seal: { scheme: 'firebreak-evidence-custody/v1', algorithm: 'HMAC_SHA_256', keyId: RECORD_KEY, mac: 'AQID' } });
  /** The whole item: the key, the fields the CLI and the alarms read, the revision, the sealed record. */
  const itemOf = (record: CustodyRecord, status: string, revision: number) => ({
    pk: { S: PK },
    incidentKey: { S: KEY },
    sourceSnapshotId: { S: SOURCE },
    copySnapshotId: { S: COPY },
    forensicAccount: { S: FORENSIC },
    copiedAt: { S: NOW.toISOString() },
    status: { S: status },
    revision: { N: String(revision) },
    record: { S: JSON.stringify(sealedAs(record)) },
  });

  it('writes a new record once (attribute_not_exists(pk)), with exact inputs, and says when one exists', async () => {
    expect(await custody.saveIfAbsent(pending)).toEqual({ outcome: 'saved', record: sealedAs(pending) });
    expect(await custody.saveIfAbsent(pending)).toEqual({ outcome: 'exists', record: sealedAs(pending) });
    const put = { TableName: 'state', Item: itemOf(pending, 'pending', 1), ConditionExpression: 'attribute_not_exists(pk)' };
    expect(dynamo.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([put, put]);
  });

  it('replaces a record only over the revision it read (revision = :revision), with exact inputs', async () => {
    await custody.saveIfAbsent(pending);
    dynamo.resetHistory();
    expect((await custody.replace(completed, 1)).outcome).toBe('saved');
    // A second run that read revision 1 too loses: nothing written over the first.
    expect((await custody.replace(completed, 1)).outcome).toBe('conflict');
    const put = { TableName: 'state', Item: itemOf(completed, 'completed', 2), ConditionExpression: 'revision = :revision', ExpressionAttributeValues: { ':revision': { N: '1' } } };
    expect(dynamo.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([put, put]);
  });

  it('replaces a record written before revisions only if it exists and still has none (attribute_exists(pk) AND attribute_not_exists(revision))', async () => {
    dynamo.on(PutItemCommand).resolves({});
    expect((await custody.replace(completed, undefined)).outcome).toBe('saved');
    expect(dynamo.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: 'state', Item: itemOf(completed, 'completed', 1), ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revision)' },
    ]);
  });

  it('reads the record by its key, consistently, with exact input, and gives back its revision', async () => {
    await custody.saveIfAbsent(pending);
    const read = await custody.get(KEY, SOURCE);
    expect(dynamo.commandCalls(GetItemCommand).map((c) => c.args[0].input)).toEqual([{ TableName: 'state', Key: { pk: { S: PK } }, ConsistentRead: true }]);
    expect(read).toEqual({ record: sealedAs(pending), verdict: { valid: true }, revision: 1 });
    expect(await custody.get(KEY, 'snap-0000000000000000b')).toBeUndefined();
  });
});

describe('copyInput', () => {
  it('tags a copy with exactly the keys the forensic role may write (FORENSIC_COPY_WRITTEN_TAG_KEYS, its aws:TagKeys condition)', () => {
    const input = copyInput({ snapshotId: 'snap-0000000000000000a', account: ACCOUNT, region: REGION }, KEY, KEY_ARN, false);
    expect(input.TagSpecifications.flatMap((spec) => spec.Tags.map((t) => t.Key))).toEqual([...FORENSIC_COPY_WRITTEN_TAG_KEYS]);
  });
});

describe('forensicTargetFromEnv', () => {
  it('reads the forensic account, role and key, and refuses a key of another account', () => {
    const env = { FIREBREAK_FORENSIC_ACCOUNT_ID: FORENSIC, FIREBREAK_FORENSIC_ROLE_NAME: 'FirebreakForensicCopier', FIREBREAK_FORENSIC_KMS_KEY_ARN: KEY_ARN };
    expect(forensicTargetFromEnv(env)).toEqual(TARGET);
    expect(() => forensicTargetFromEnv({ ...env, FIREBREAK_FORENSIC_KMS_KEY_ARN: `arn:aws:kms:${REGION}:${ACCOUNT}:key/abc` })).toThrow(/a key ARN of that same account/);
    expect(() => forensicTargetFromEnv({})).toThrow(/FIREBREAK_FORENSIC_ACCOUNT_ID/);
  });

  it('takes the deployment\'s ExternalId, which the forensic role then requires', () => {
    const env = { FIREBREAK_FORENSIC_ACCOUNT_ID: FORENSIC, FIREBREAK_FORENSIC_ROLE_NAME: 'FirebreakForensicCopier', FIREBREAK_FORENSIC_KMS_KEY_ARN: KEY_ARN, FIREBREAK_MEMBER_ROLE_EXTERNAL_ID: 'firebreak-org-7f3a' };
    expect(forensicTargetFromEnv(env)).toEqual({ ...TARGET, externalId: 'firebreak-org-7f3a' });
  });
});

describe('the alert on forensic copies', () => {
  it('names each copy with its chain of custody: source volume and snapshot, copy, account, key, when, who, both hashes', async () => {
    complete('snap-0copy000000000001', 'snap-0copy000000000002');
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
      `snap-0000000000000000a (volume vol-0root000000000001) copied to snap-0copy000000000001 in ${FORENSIC}, key ${KEY_ARN}, copied ${NOW.toISOString()} by arn:aws:iam::${FORENSIC}:role/FirebreakForensicCopier, SHA-256 source ${custodyA.sourceSha256} copy ${custodyA.copySha256}, completed ${NOW.toISOString()} (final copy SHA-256 ${custodyA.confirmed?.copySha256}), share with the forensic account removed`,
    );
  });

  // Regression: each custody field was String()-ed; an object whose toString is not a function threw
  // and the alert failed, and a copies field that was not a list did too.
  it('shows a custody field that is not text as unknown and skips what is not a copy, without failing the alert', () => {
    const hostile = { toString: null, valueOf: null };
    const message = (copies: unknown) =>
      buildAlertMessage(
        alertInputSchema.parse({ kind: 'report', incident: JSON.parse(JSON.stringify(ec2Incident())) as unknown, mode: 'enforce', playbook: 'compromised-ec2', options: {}, execution: { executionArn: EXECUTION }, results: { 'forensic-copy': { responder: 'copy-evidence', copies } } }),
        { now: NOW },
      ).message;
    const shown = message([
      { sourceSnapshotId: hostile, copySnapshotId: 'snap-0copy000000000001', custody: { sourceVolumeId: hostile, forensicAccount: [hostile], copiedBy: hostile, status: 'failed', confirmed: { reason: hostile } } },
      { copySnapshotId: 'snap-0copy000000000002', custody: 'sealed' },
      null,
    ]);
    expect(shown).toContain('unknown (volume unknown) copied to snap-0copy000000000001 in unknown, key unknown, copied unknown by unknown');
    expect(shown).toContain('FAILED: unknown (source and its share kept)');
    expect(shown).not.toContain('snap-0copy000000000002');
    expect(shown).not.toContain('[object Object]');
    for (const copies of [hostile, 'copies', 3]) expect(message(copies)).not.toContain('Chain of custody');
  });
});
