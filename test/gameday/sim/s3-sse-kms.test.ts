/**
 * SSE-KMS in the simulated S3: the bucket's default key encrypts new objects, and S3 uses the key
 * as the caller (kms:GenerateDataKey to write, kms:Decrypt to read a copy's source) through S3 and
 * with the object's ARN as the encryption context, so the quarantine copy's KMS statement
 * (DecryptScannedObjectsThroughS3) is evaluated as AWS would: its conditions hold for S3's use of
 * the key and for nothing else.
 */
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CopyObjectCommand, CreateBucketCommand, HeadObjectCommand, PutBucketEncryptionCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import type { IamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { rejectionOf } from './fixtures';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/firebreak-responder-${REGION}-quarantine-s3-object`;
const S3_OBJECTS = {
  Effect: 'Allow',
  Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:PutObjectTagging'],
  Resource: 'arn:aws:s3:::*/*',
} as const;
/** The statement lib/stack/iam-scopes.ts plans, with the account's own keys. */
const KMS_THROUGH_S3 = {
  Effect: 'Allow',
  Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
  Resource: `arn:aws:kms:*:${ACCOUNT}:key/*`,
  Condition: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com', 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::*' } },
} as const;

async function world(statements: readonly object[]) {
  const sim = new SeededSimulatedAws({ seed: 's3-sse-kms', defaultAccount: ACCOUNT, defaultRegion: REGION });
  const admin = sim.clientFactory();
  const s3Admin = await admin.s3({ account: ACCOUNT, region: REGION });
  const key = await admin.kms().send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }));
  const keyArn = key.KeyMetadata!.Arn!;
  await s3Admin.send(new CreateBucketCommand({ Bucket: 'uploads' }));
  await s3Admin.send(new PutBucketVersioningCommand({ Bucket: 'uploads', VersioningConfiguration: { Status: 'Enabled' } }));
  await s3Admin.send(new PutBucketEncryptionCommand({ Bucket: 'uploads', ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn } }] } }));
  const put = await s3Admin.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', Body: 'x' }));
  sim.enforceIdentityPolicies(ROLE, [{ Version: '2012-10-17', Statement: statements }] as never, catalog);
  const s3 = await sim.clientFactory({ principal: ROLE }).s3({ account: ACCOUNT, region: REGION });
  return { sim, s3, s3Admin, keyArn, put };
}

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog();
});

describe('SSE-KMS in the simulated S3', () => {
  it("encrypts a new object with the bucket's default key and says so", async () => {
    const { s3Admin, keyArn, put } = await world([S3_OBJECTS, KMS_THROUGH_S3]);
    expect(put.ServerSideEncryption).toBe('aws:kms');
    expect(put.SSEKMSKeyId).toBe(keyArn);
    const head = await s3Admin.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf' }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
  });

  it('FIDELITY (review-16u): answers an SSE-KMS upload an ETag that is not the MD5 of its content, as S3 does (the uploadObject tamper names the MD5 only for an upload without SSE-KMS)', async () => {
    const { s3Admin, put } = await world([S3_OBJECTS, KMS_THROUGH_S3]);
    // Before: the MD5 of 'x', so a scenario naming the MD5 in a later scan result passed here, and its quarantine found
    // another ETag in AWS (`changed`).
    expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(put.ETag).not.toBe(`"${createHash('md5').update('x').digest('hex')}"`);
    const again = await s3Admin.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', Body: 'x' }));
    expect(again.ETag).not.toBe(put.ETag);
    const head = await s3Admin.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf' }));
    expect(head.ETag).toBe(again.ETag);
    // Without SSE-KMS (SSE-S3, S3's default), a single-part upload's ETag is the MD5 of its content.
    const plain = await s3Admin.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/b.pdf', Body: 'x', ServerSideEncryption: 'AES256' }));
    expect(plain.ETag).toBe(`"${createHash('md5').update('x').digest('hex')}"`);
  });

  it('copies an SSE-KMS object with the KMS statement: Decrypt of the source and GenerateDataKey of the copy, both through S3 with the object ARN as context', async () => {
    const { sim, s3, keyArn, put } = await world([S3_OBJECTS, KMS_THROUGH_S3]);
    const copied = await s3.send(new CopyObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/in/a.pdf', CopySource: `uploads/in/a.pdf?versionId=${put.VersionId}` }));
    expect(copied.SSEKMSKeyId).toBe(keyArn);
    expect(sim.calls({ api: 's3:CopyObject', outcome: 'ok' })).toHaveLength(1);
  });

  it('refuses the copy without the KMS statement, with S3\'s AccessDenied naming kms:Decrypt, and writes nothing', async () => {
    const { sim, s3, put } = await world([S3_OBJECTS]);
    const refused = await rejectionOf(s3.send(new CopyObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/in/a.pdf', CopySource: `uploads/in/a.pdf?versionId=${put.VersionId}` })));
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toContain('kms:Decrypt');
    expect(sim.calls({ api: 's3:CopyObject', outcome: 'ok' })).toHaveLength(0);
  });

  it('refuses when the encryption context condition does not match the object (the condition is evaluated, not assumed)', async () => {
    const narrow = { ...KMS_THROUGH_S3, Condition: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com', 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::other-bucket/*' } } };
    const { s3, put } = await world([S3_OBJECTS, narrow]);
    const refused = await rejectionOf(s3.send(new CopyObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/in/a.pdf', CopySource: `uploads/in/a.pdf?versionId=${put.VersionId}` })));
    expect(refused.name).toBe('AccessDenied');
  });

  it('refuses when the key use is not through S3 (kms:ViaService of another service)', async () => {
    const viaEc2 = { ...KMS_THROUGH_S3, Condition: { StringLike: { 'kms:ViaService': 'ec2.*.amazonaws.com' } } };
    const { s3, put } = await world([S3_OBJECTS, viaEc2]);
    const refused = await rejectionOf(s3.send(new CopyObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/in/a.pdf', CopySource: `uploads/in/a.pdf?versionId=${put.VersionId}` })));
    expect(refused.name).toBe('AccessDenied');
  });
});
