/**
 * A read of an object that is not there, as the simulated S3 answers it: 404 only to a caller IAM
 * allows s3:ListBucket on the bucket, 403 to any other (S3's HeadObject and GetObject Permissions:
 * "If the object you request doesn't exist, the error that Amazon S3 returns depends on whether
 * you also have the s3:ListBucket permission"). HeadObject's 403 has no body, so the real SDK names
 * it only by its status; the responders must read it as S3 sends it.
 */
import { CreateBucketCommand, GetObjectTaggingCommand, HeadObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import type { IamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { rejectionOf } from './fixtures';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/firebreak-responder-${REGION}-quarantine-s3-object`;
/** What the responder roles hold (lib/stack/iam-scopes.ts, ReadScannedObjects): no s3:ListBucket. */
const READ_OBJECTS = {
  Effect: 'Allow',
  Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging', 's3:GetObjectVersionTagging'],
  Resource: 'arn:aws:s3:::*/*',
  Condition: { StringEquals: { 's3:ResourceAccount': ACCOUNT } },
} as const;
const LIST_UPLOADS = { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::uploads' } as const;

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog();
});

async function world(statements: readonly object[]) {
  const sim = new SeededSimulatedAws({ seed: 's3-missing-objects', defaultAccount: ACCOUNT, defaultRegion: REGION });
  const admin = await sim.clientFactory().s3({ account: ACCOUNT, region: REGION });
  await admin.send(new CreateBucketCommand({ Bucket: 'uploads' }));
  await admin.send(new PutBucketVersioningCommand({ Bucket: 'uploads', VersioningConfiguration: { Status: 'Enabled' } }));
  const put = await admin.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', Body: 'x' }));
  sim.enforceIdentityPolicies(ROLE, [{ Version: '2012-10-17', Statement: statements }] as never, catalog);
  const s3 = await sim.clientFactory({ principal: ROLE }).s3({ account: ACCOUNT, region: REGION });
  return { sim, s3, admin, versionId: put.VersionId! };
}

describe('a read of a missing object in the simulated S3', () => {
  it('answers HeadObject of a missing key 403 without s3:ListBucket, with no body (the SDK names it only by its status), as S3 does', async () => {
    const { s3 } = await world([READ_OBJECTS]);
    const refused = await rejectionOf(s3.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/gone.pdf', ExpectedBucketOwner: ACCOUNT })));
    expect(refused.$metadata?.httpStatusCode).toBe(403);
    expect(refused.name).toBe('Unknown');
  });

  it('answers HeadObject of a missing key 404 NotFound with s3:ListBucket on the bucket', async () => {
    const { s3 } = await world([READ_OBJECTS, LIST_UPLOADS]);
    const missing = await rejectionOf(s3.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/gone.pdf', ExpectedBucketOwner: ACCOUNT })));
    expect(missing.$metadata?.httpStatusCode).toBe(404);
    expect(missing.name).toBe('NotFound');
  });

  it('answers a missing version the same way: 403 without s3:ListBucket, 404 with it', async () => {
    const without = await world([READ_OBJECTS]);
    const refused = await rejectionOf(without.s3.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', VersionId: 'gone', ExpectedBucketOwner: ACCOUNT })));
    expect(refused.$metadata?.httpStatusCode).toBe(403);
    const listing = await world([READ_OBJECTS, LIST_UPLOADS]);
    const missing = await rejectionOf(listing.s3.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', VersionId: 'gone', ExpectedBucketOwner: ACCOUNT })));
    expect(missing.$metadata?.httpStatusCode).toBe(404);
  });

  it('answers GetObjectTagging of a missing key 403 AccessDenied without s3:ListBucket, 404 NoSuchKey with it', async () => {
    const without = await world([READ_OBJECTS]);
    const refused = await rejectionOf(without.s3.send(new GetObjectTaggingCommand({ Bucket: 'uploads', Key: 'in/gone.pdf' })));
    expect(refused.name).toBe('AccessDenied');
    expect(refused.$metadata?.httpStatusCode).toBe(403);
    const listing = await world([READ_OBJECTS, LIST_UPLOADS]);
    const missing = await rejectionOf(listing.s3.send(new GetObjectTaggingCommand({ Bucket: 'uploads', Key: 'in/gone.pdf' })));
    expect(missing.name).toBe('NoSuchKey');
  });

  it('answers s3:ListBucket on another bucket as no s3:ListBucket at all', async () => {
    const { s3 } = await world([READ_OBJECTS, { ...LIST_UPLOADS, Resource: 'arn:aws:s3:::other-bucket' }]);
    const refused = await rejectionOf(s3.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/gone.pdf' })));
    expect(refused.$metadata?.httpStatusCode).toBe(403);
  });

  it('still answers an object that is there, without s3:ListBucket', async () => {
    const { s3, versionId } = await world([READ_OBJECTS]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', VersionId: versionId, ExpectedBucketOwner: ACCOUNT }));
    expect(head.VersionId).toBe(versionId);
  });

  it('reports a condition on s3:ListBucket it cannot evaluate instead of taking it as holding silently', async () => {
    const { sim, s3 } = await world([READ_OBJECTS, { ...LIST_UPLOADS, Condition: { StringLike: { 's3:prefix': 'in/*' } } }]);
    await rejectionOf(s3.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/gone.pdf' })));
    expect(sim.authorizationFindings()).toContainEqual(expect.objectContaining({ kind: 'unevaluated-condition', action: 's3:ListBucket', key: 's3:prefix' }));
  });
});
