/**
 * The object-tag condition keys of S3 writes, as the simulated account builds them: the tags a
 * write sends (s3:RequestObjectTag/<key>, s3:RequestObjectTagKeys) beside the tags the object has
 * (s3:ExistingObjectTag/<key>). The S3 responders' tag writes are conditioned on them
 * (lib/stack/iam-scopes.ts, TagObjectsInfected and RetagInfectedObjects), so the game day must
 * judge them, and report (never take as holding) one it cannot build. The quarantine copy's write
 * is conditioned on its If-None-Match (s3:if-none-match) and its copy source (s3:x-amz-copy-source)
 * too (WriteQuarantineCopies), and S3 refuses a conditional copy onto a key already taken (412).
 */
import { CopyObjectCommand, CreateBucketCommand, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import type { IamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { rejectionOf } from './fixtures';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/firebreak-responder-${REGION}-s3`;
const own = { 's3:ResourceAccount': ACCOUNT };
const TAG_INFECTED = {
  Effect: 'Allow',
  Action: ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'],
  Resource: 'arn:aws:s3:::*/*',
  Condition: { StringEquals: { ...own, 's3:RequestObjectTag/firebreak:malware-scan': 'threats-found' } },
} as const;
const RETAG_INFECTED = {
  Effect: 'Allow',
  Action: ['s3:PutObjectTagging', 's3:PutObjectVersionTagging'],
  Resource: 'arn:aws:s3:::*/*',
  Condition: { StringEquals: { ...own, 's3:ExistingObjectTag/firebreak:malware-scan': 'threats-found' } },
} as const;
const INFECTED = [
  { Key: 'uploaded-by', Value: 'portal' },
  { Key: 'firebreak:malware-scan', Value: 'threats-found' },
  { Key: 'firebreak:incident', Value: 'gd-1' },
];

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog();
});

async function world(statements: readonly object[], tagging?: string) {
  const sim = new SeededSimulatedAws({ seed: 's3-object-tag-conditions', defaultAccount: ACCOUNT, defaultRegion: REGION });
  const admin = await sim.clientFactory().s3({ account: ACCOUNT, region: REGION });
  await admin.send(new CreateBucketCommand({ Bucket: 'uploads' }));
  await admin.send(new PutBucketVersioningCommand({ Bucket: 'uploads', VersioningConfiguration: { Status: 'Enabled' } }));
  const put = await admin.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', Body: 'x', ...(tagging !== undefined ? { Tagging: tagging } : {}) }));
  sim.enforceIdentityPolicies(ROLE, [{ Version: '2012-10-17', Statement: statements }] as never, catalog);
  const s3 = await sim.clientFactory({ principal: ROLE }).s3({ account: ACCOUNT, region: REGION });
  return { sim, s3, versionId: put.VersionId! };
}

describe('object-tag condition keys in the simulated S3', () => {
  it('knows S3 supplies s3:RequestObjectTag/<key> for PutObjectTagging (the reference spells the part <key>)', () => {
    expect(catalog.supplies('s3:PutObjectTagging', 'object', 's3:RequestObjectTag/firebreak:malware-scan')).toBe(true);
    expect(catalog.supplies('s3:PutObjectVersionTagging', 'object', 's3:ExistingObjectTag/firebreak:malware-scan')).toBe(true);
    expect(catalog.supplies('s3:GetObject', 'object', 's3:RequestObjectTag/firebreak:malware-scan')).toBe(false);
  });

  it('judges s3:RequestObjectTag from the tag set a PutObjectTagging sends: a set that marks the object infected, and no other', async () => {
    const { sim, s3, versionId } = await world([TAG_INFECTED]);
    const tagging = (TagSet: { Key: string; Value: string }[]) => s3.send(new PutObjectTaggingCommand({ Bucket: 'uploads', Key: 'in/a.pdf', VersionId: versionId, Tagging: { TagSet } }));
    await tagging(INFECTED);
    const refused = await rejectionOf(tagging([{ Key: 'access-tier', Value: 'public' }]));
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toContain('s3:PutObjectVersionTagging');
    expect(sim.authorizationFindings()).toEqual([]);
  });

  it('judges s3:ExistingObjectTag from the object’s tags now: only an object still tagged infected is rewritten', async () => {
    const infected = await world([RETAG_INFECTED], 'uploaded-by=portal&firebreak%3Amalware-scan=threats-found&firebreak%3Aincident=gd-1');
    await infected.s3.send(new PutObjectTaggingCommand({ Bucket: 'uploads', Key: 'in/a.pdf', Tagging: { TagSet: [{ Key: 'uploaded-by', Value: 'portal' }] } }));
    // Once untagged it is clean: a second rewrite is refused.
    const again = await rejectionOf(infected.s3.send(new PutObjectTaggingCommand({ Bucket: 'uploads', Key: 'in/a.pdf', Tagging: { TagSet: [{ Key: 'access-tier', Value: 'public' }] } })));
    expect(again.name).toBe('AccessDenied');
    const markerOnly = await world([RETAG_INFECTED], 'firebreak%3Aincident=gd-1');
    const refused = await rejectionOf(markerOnly.s3.send(new PutObjectTaggingCommand({ Bucket: 'uploads', Key: 'in/a.pdf', Tagging: { TagSet: [{ Key: 'uploaded-by', Value: 'portal' }] } })));
    expect(refused.name).toBe('AccessDenied');
    expect([...infected.sim.authorizationFindings(), ...markerOnly.sim.authorizationFindings()]).toEqual([]);
  });

  it('reports s3:RequestObjectTag for a copy that keeps the source’s tags (not modelled) instead of taking the condition as holding', async () => {
    const { sim, s3, versionId } = await world([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: 'arn:aws:s3:::*/*', Condition: { StringEquals: own } },
      { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::*/*', Condition: { StringEquals: { ...own, 's3:RequestObjectTag/firebreak:malware-scan': 'threats-found' } } },
    ]);
    await s3.send(new CopyObjectCommand({ Bucket: 'uploads', Key: 'copy/a.pdf', CopySource: `uploads/in/a.pdf?versionId=${versionId}` }));
    expect(sim.authorizationFindings()).toEqual([expect.objectContaining({ kind: 'unevaluated-condition', action: 's3:PutObject', key: 's3:RequestObjectTag/firebreak:malware-scan' })]);
  });

  const COPY_TAGS = 'firebreak%3Amalware-scan=threats-found&firebreak%3Aincident=s3scan-1';
  /** WriteQuarantineCopies as the stack writes it, with the reads a copy needs of its source. */
  const WRITE_COPIES = [
    { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: 'arn:aws:s3:::*/*', Condition: { StringEquals: own } },
    TAG_INFECTED,
    {
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: 'arn:aws:s3:::*/firebreak-quarantine/*',
      Condition: {
        StringEquals: { ...own, 's3:RequestObjectTag/firebreak:malware-scan': 'threats-found' },
        'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': ['firebreak:malware-scan', 'firebreak:incident'] },
        Null: { 's3:if-none-match': 'false', 's3:x-amz-copy-source': 'false' },
      },
    },
  ] as const;

  it('judges s3:if-none-match and s3:x-amz-copy-source: a conditional copy is written, a copy without If-None-Match and an upload are not', async () => {
    const { sim, s3, versionId } = await world(WRITE_COPIES);
    const copy = (extra: Record<string, unknown>) =>
      s3.send(new CopyObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/in/a.pdf', CopySource: `uploads/in/a.pdf?versionId=${versionId}`, TaggingDirective: 'REPLACE', Tagging: COPY_TAGS, ...extra }));
    const overwriting = await rejectionOf(copy({}));
    expect(overwriting.name).toBe('AccessDenied');
    await copy({ IfNoneMatch: '*' });
    const upload = await rejectionOf(s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/other.pdf', Body: 'anything', Tagging: COPY_TAGS, IfNoneMatch: '*' })));
    expect(upload.name).toBe('AccessDenied');
    expect(sim.authorizationFindings()).toEqual([]);
  });

  it('refuses a conditional copy or upload onto a key that is taken (412), leaving what is there as it was', async () => {
    const { sim, s3, versionId } = await world(WRITE_COPIES);
    const copy = () =>
      s3.send(new CopyObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/in/a.pdf', CopySource: `uploads/in/a.pdf?versionId=${versionId}`, TaggingDirective: 'REPLACE', Tagging: COPY_TAGS, IfNoneMatch: '*' }));
    const first = await copy();
    const again = await rejectionOf(copy());
    expect(again.name).toBe('PreconditionFailed');
    expect((again as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(412);
    const admin = await sim.clientFactory().s3({ account: ACCOUNT, region: REGION });
    const taken = await rejectionOf(admin.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/in/a.pdf', Body: 'other', IfNoneMatch: '*' })));
    expect(taken.name).toBe('PreconditionFailed');
    const versions = await admin.send(new ListObjectVersionsCommand({ Bucket: 'uploads', Prefix: 'firebreak-quarantine/' }));
    expect((versions.Versions ?? []).map((version) => version.VersionId)).toEqual([first.VersionId]);
  });

  it('FIDELITY (review-16n): refuses a tag set that names a key twice (InvalidTag), as S3 does, instead of keeping the last value', async () => {
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html: S3 answers InvalidTag, "Cannot provide
    // multiple Tags with the same key". A simulated S3 that kept the last value would rehearse a release writing a recorded
    // tag over the owner's newer one as a success (row 16p).
    const { s3, versionId } = await world([TAG_INFECTED, RETAG_INFECTED], 'uploaded-by=portal&firebreak%3Amalware-scan=threats-found&firebreak%3Aincident=gd-1');
    const refused = await rejectionOf(
      s3.send(new PutObjectTaggingCommand({ Bucket: 'uploads', Key: 'in/a.pdf', VersionId: versionId, Tagging: { TagSet: [{ Key: 'note', Value: 'new' }, { Key: 'note', Value: 'old' }] } })),
    );
    expect(refused.name).toBe('InvalidTag');
    expect(refused.message).toBe('Cannot provide multiple Tags with the same key');
  });
});
