/**
 * FIDELITY (s3-bucket-policies): the simulated S3 evaluates a bucket's policy (PutBucketPolicy) on
 * the calls it serves, with the IAM evaluator the identity policies use: an explicit Deny in it
 * refuses (AccessDenied), and in the bucket's account an Allow in either it or the caller's identity
 * policies suffices ("How Amazon S3 authorizes a request for an object operation",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-auth-workflow-object-operation.html).
 * The shipped example policies (examples/s3-bucket-policies/) are evaluated with the keys they use:
 * s3:ExistingObjectTag/<key> (the version's tags now), aws:PrincipalArn, aws:PrincipalAccount (a
 * policy variable in Resource), aws:PrincipalOrgID and s3:if-none-match; a key the simulator
 * cannot supply is reported, never silently taken.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CopyObjectCommand, CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutBucketPolicyCommand, PutBucketVersioningCommand, PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import type { IamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { rejectionOf } from './fixtures';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const QUARANTINE_ROLE = `arn:aws:iam::${ACCOUNT}:role/FirebreakResponder-quarantine-s3-object`;
const READER = `arn:aws:iam::${ACCOUNT}:role/orders-app`;
const EXAMPLES = resolve(import.meta.dirname, '../../../examples/s3-bucket-policies');

/** An example policy with its placeholders replaced. */
function example(file: string, replace: Readonly<Record<string, string>>): string {
  let text = readFileSync(resolve(EXAMPLES, file), 'utf8');
  for (const [placeholder, value] of Object.entries(replace)) text = text.split(placeholder).join(value);
  return text;
}

/** What ReadScannedObjects and the copy statements give the quarantine role (any object of its account). */
const QUARANTINE_IDENTITY = [
  { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:PutObjectTagging', 's3:PutObjectVersionTagging'], Resource: 'arn:aws:s3:::*/*' },
];

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog();
});

async function bucketWith(policy: string | undefined) {
  const sim = new SeededSimulatedAws({ seed: 's3-bucket-policy', defaultAccount: ACCOUNT, defaultRegion: REGION });
  const admin = await sim.clientFactory().s3({ account: ACCOUNT, region: REGION });
  await admin.send(new CreateBucketCommand({ Bucket: 'uploads' }));
  await admin.send(new PutBucketVersioningCommand({ Bucket: 'uploads', VersioningConfiguration: { Status: 'Enabled' } }));
  const put = await admin.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', Body: 'x' }));
  if (policy !== undefined) await admin.send(new PutBucketPolicyCommand({ Bucket: 'uploads', Policy: policy }));
  sim.enforceIdentityPolicies(QUARANTINE_ROLE, [{ Version: '2012-10-17', Statement: QUARANTINE_IDENTITY }] as never, catalog);
  const reader = await sim.clientFactory({ principal: READER }).s3({ account: ACCOUNT, region: REGION });
  const quarantine = await sim.clientFactory({ principal: QUARANTINE_ROLE }).s3({ account: ACCOUNT, region: REGION });
  const tagInfected = () =>
    quarantine.send(new PutObjectTaggingCommand({ Bucket: 'uploads', Key: 'in/a.pdf', VersionId: put.VersionId, Tagging: { TagSet: [{ Key: 'firebreak:malware-scan', Value: 'threats-found' }] } }));
  const copy = () =>
    quarantine.send(new CopyObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/in/a.pdf', CopySource: `uploads/in/a.pdf?versionId=${put.VersionId}`, IfNoneMatch: '*' }));
  return { sim, admin, reader, quarantine, versionId: put.VersionId!, tagInfected, copy };
}

const RECOMMENDED = () =>
  example('deny-reading-infected-objects.json', {
    BUCKET: 'uploads',
    ACCOUNT,
  });

describe('FIDELITY (s3-bucket-policies): the simulated S3 evaluates bucket policies', () => {
  it('refuses the read of a version tagged infected under DenyReadingInfectedObjects, and serves it before the tag', async () => {
    const { reader, versionId, tagInfected, sim } = await bucketWith(RECOMMENDED());
    const before = await reader.send(new GetObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', VersionId: versionId }));
    expect(before.VersionId).toBe(versionId);
    await tagInfected();
    const refused = await rejectionOf(reader.send(new GetObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', VersionId: versionId })));
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toContain('explicit deny in a resource-based policy (DenyReadingInfectedObjects)');
    // The latest version too (s3:GetObject without a VersionId).
    expect((await rejectionOf(reader.send(new GetObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf' })))).name).toBe('AccessDenied');
    expect(sim.authorizationFindings()).toEqual([]);
  });

  it("lets Firebreak's quarantine role, which the exception names, copy the tagged version and head it", async () => {
    const { quarantine, tagInfected, copy } = await bucketWith(RECOMMENDED());
    await tagInfected();
    await copy();
    await quarantine.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf' }));
  });

  it("refuses Firebreak's copy once tagged when the policy's exception does not name Firebreak's roles", async () => {
    const policy = JSON.parse(RECOMMENDED()) as { Statement: { Condition: { ArnNotLike: { 'aws:PrincipalArn': string[] } } }[] };
    policy.Statement[0]!.Condition.ArnNotLike['aws:PrincipalArn'] = [`arn:aws:iam::${ACCOUNT}:role/YourForensicsRole`];
    const { quarantine, tagInfected, copy } = await bucketWith(JSON.stringify(policy));
    await tagInfected();
    const refused = await rejectionOf(copy());
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toContain('DenyReadingInfectedObjects');
    expect((await rejectionOf(quarantine.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf' })))).$metadata?.httpStatusCode).toBe(403);
  });

  it('without a policy (as before), the read of a tagged version is served', async () => {
    const { reader, versionId, tagInfected } = await bucketWith(undefined);
    await tagInfected();
    await reader.send(new GetObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', VersionId: versionId }));
  });

  it('in the bucket account an Allow in the bucket policy suffices where the identity policy grants nothing', async () => {
    const grantee = `arn:aws:iam::${ACCOUNT}:role/report-builder`;
    const policy = { Version: '2012-10-17', Statement: [{ Sid: 'ReportsRead', Effect: 'Allow', Principal: { AWS: grantee }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::uploads/*' }] };
    const { sim } = await bucketWith(JSON.stringify(policy));
    sim.enforceIdentityPolicies(grantee, [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }] }] as never, catalog);
    const s3 = await sim.clientFactory({ principal: grantee }).s3({ account: ACCOUNT, region: REGION });
    await s3.send(new GetObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf' }));
    // Neither allows a write: refused, naming the identity policy.
    const refused = await rejectionOf(s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/b.pdf', Body: 'y' })));
    expect(refused.name).toBe('AccessDenied');
  });

  it('evaluates ${aws:PrincipalAccount} in Resource and s3:if-none-match (Null) of FirebreakQuarantineCopiesOwnAccountOnly, and reports aws:PrincipalOrgID when the organization is unknown', async () => {
    const policy = example('quarantine-copies-own-account-only.json', { 'QUARANTINE-BUCKET': 'uploads', 'o-YOURORG': 'o-exampleorg' });
    const { sim, admin } = await bucketWith(policy);
    // A role with no identity policy of its own to grant (its Allow is the bucket policy's alone).
    sim.enforceIdentityPolicies(QUARANTINE_ROLE, [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::uploads/*' }] }] as never, catalog);
    const quarantine = await sim.clientFactory({ principal: QUARANTINE_ROLE }).s3({ account: ACCOUNT, region: REGION });
    sim.setOrganization('o-exampleorg');
    await quarantine.send(new PutObjectCommand({ Bucket: 'uploads', Key: `firebreak-quarantine/${ACCOUNT}/a.pdf`, Body: 'x', IfNoneMatch: '*' }));
    // Another account's directory: the variable resolves to this account, the Allow does not apply.
    expect((await rejectionOf(quarantine.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/444455556666/a.pdf', Body: 'x', IfNoneMatch: '*' })))).name).toBe('AccessDenied');
    // Without If-None-Match: the Null condition does not hold.
    expect((await rejectionOf(quarantine.send(new PutObjectCommand({ Bucket: 'uploads', Key: `firebreak-quarantine/${ACCOUNT}/b.pdf`, Body: 'x' })))).name).toBe('AccessDenied');
    // Another organization: refused.
    sim.setOrganization('o-otherorg');
    expect((await rejectionOf(quarantine.send(new PutObjectCommand({ Bucket: 'uploads', Key: `firebreak-quarantine/${ACCOUNT}/c.pdf`, Body: 'x', IfNoneMatch: '*' })))).name).toBe('AccessDenied');
    expect(sim.authorizationFindings()).toEqual([]);
    // No organization known: the key cannot be supplied, so it is reported (and taken as holding).
    sim.setOrganization(undefined);
    await quarantine.send(new PutObjectCommand({ Bucket: 'uploads', Key: `firebreak-quarantine/${ACCOUNT}/d.pdf`, Body: 'x', IfNoneMatch: '*' }));
    expect(sim.authorizationFindings().map((finding) => finding.key)).toEqual(['aws:PrincipalOrgID']);
    void admin;
  });

  it("denies the owner's Firebreak roles every write outside their own directory (FirebreakOwnerRolesOwnDirectoryOnly's NotResource)", async () => {
    const policy = example('owner-roles-own-directory-only.json', { 'QUARANTINE-BUCKET': 'uploads', 'OWNER-ACCOUNT': ACCOUNT });
    const { quarantine } = await bucketWith(policy);
    await quarantine.send(new PutObjectCommand({ Bucket: 'uploads', Key: `firebreak-quarantine/${ACCOUNT}/a.pdf`, Body: 'x' }));
    const refused = await rejectionOf(quarantine.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/444455556666/a.pdf', Body: 'x' })));
    expect(refused.message).toContain('FirebreakOwnerRolesOwnDirectoryOnly');
  });

  it('refuses a policy S3 would refuse: invalid JSON, no Principal, a resource of another bucket (MalformedPolicy)', async () => {
    const { admin } = await bucketWith(undefined);
    const put = (Policy: string) => rejectionOf(admin.send(new PutBucketPolicyCommand({ Bucket: 'uploads', Policy })));
    expect((await put('{')).name).toBe('MalformedPolicy');
    expect((await put(JSON.stringify({ Statement: [{ Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::uploads/*' }] }))).message).toContain('Principal');
    expect((await put(JSON.stringify({ Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::BUCKET/*' }] }))).message).toContain('invalid resource');
  });

  it('from another account, needs both its identity policy and the bucket policy (FirebreakQuarantineCopiesOwnAccountOnly), and a bucket without a policy refuses it', async () => {
    const MEMBER = '444455556666';
    const memberRole = `arn:aws:iam::${MEMBER}:role/FirebreakResponder-quarantine-s3-object`;
    const policy = example('quarantine-copies-own-account-only.json', { 'QUARANTINE-BUCKET': 'uploads', 'o-YOURORG': 'o-exampleorg' });
    const { sim } = await bucketWith(policy);
    sim.setOrganization('o-exampleorg');
    const writes = { Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectTagging'], Resource: 'arn:aws:s3:::uploads/firebreak-quarantine/*' };
    sim.enforceIdentityPolicies(memberRole, [{ Version: '2012-10-17', Statement: [writes] }] as never, catalog);
    const member = await sim.clientFactory({ principal: memberRole }).s3({ account: MEMBER, region: REGION });
    const put = (Key: string) => member.send(new PutObjectCommand({ Bucket: 'uploads', Key, Body: 'x', IfNoneMatch: '*' }));
    await put(`firebreak-quarantine/${MEMBER}/a.pdf`);
    // The bucket policy does not allow another account's directory: the identity policy alone is not enough.
    const refused = await rejectionOf(put(`firebreak-quarantine/${ACCOUNT}/a.pdf`));
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toContain('no resource-based policy allows');
    // The bucket policy allows, the identity policy does not: refused too.
    sim.enforceIdentityPolicies(memberRole, [{ Version: '2012-10-17', Statement: [{ ...writes, Resource: 'arn:aws:s3:::other/*' }] }] as never, catalog);
    expect((await rejectionOf(put(`firebreak-quarantine/${MEMBER}/b.pdf`))).name).toBe('AccessDenied');
    // A bucket without a policy answers its own account only.
    const admin = await sim.clientFactory().s3({ account: ACCOUNT, region: REGION });
    await admin.send(new CreateBucketCommand({ Bucket: 'no-policy' }));
    sim.enforceIdentityPolicies(memberRole, [{ Version: '2012-10-17', Statement: [{ ...writes, Resource: 'arn:aws:s3:::*/*' }] }] as never, catalog);
    expect((await rejectionOf(member.send(new PutObjectCommand({ Bucket: 'no-policy', Key: 'a', Body: 'x' })))).message).toContain('has no policy');
  });

  // FIDELITY (quarantine-bucket): Firebreak copies with CopyObject and its Tagging header, which S3
  // authorizes as s3:PutObject and s3:PutObjectTagging on the new key; the catalog gives
  // s3:if-none-match to PutObject only. The example's one statement held both to it, so its
  // PutObjectTagging never applied: every cross-account copy was refused (found by scenario
  // s3-object-copied-to-quarantine-bucket-in-another-account).
  it("FIDELITY (quarantine-bucket): admits another account's copy with its tags (CopyObject's Tagging header), and only Firebreak's copy tags, on a new copy only", async () => {
    expect(catalog.supplies('s3:PutObjectTagging', 'object', 's3:if-none-match')).toBe(false);
    const MEMBER = '444455556666';
    const memberRole = `arn:aws:iam::${MEMBER}:role/FirebreakResponder-quarantine-s3-object`;
    const policy = example('quarantine-copies-own-account-only.json', { 'QUARANTINE-BUCKET': 'uploads', 'o-YOURORG': 'o-exampleorg' });
    const { sim } = await bucketWith(policy);
    sim.setOrganization('o-exampleorg');
    const writes = { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:PutObjectTagging'], Resource: 'arn:aws:s3:::*/*' };
    sim.enforceIdentityPolicies(memberRole, [{ Version: '2012-10-17', Statement: [writes] }] as never, catalog);
    const member = await sim.clientFactory({ principal: memberRole }).s3({ account: MEMBER, region: REGION });
    const memberAdmin = await sim.clientFactory().s3({ account: MEMBER, region: REGION });
    await memberAdmin.send(new CreateBucketCommand({ Bucket: 'member-uploads' }));
    await memberAdmin.send(new PutBucketVersioningCommand({ Bucket: 'member-uploads', VersioningConfiguration: { Status: 'Enabled' } }));
    const source = await memberAdmin.send(new PutObjectCommand({ Bucket: 'member-uploads', Key: 'in/a.pdf', Body: 'x' }));
    const copy = (Key: string, Tagging: string) =>
      member.send(new CopyObjectCommand({ Bucket: 'uploads', Key, CopySource: `member-uploads/in/a.pdf?versionId=${source.VersionId}`, IfNoneMatch: '*', TaggingDirective: 'REPLACE', Tagging }));
    const infected = 'firebreak%3Amalware-scan=threats-found&firebreak%3Aincident=s3scan-1';
    await copy(`firebreak-quarantine/${MEMBER}/member-uploads/in/a.pdf`, infected);
    // Other tags than Firebreak's copy tags: refused (the tags statement's conditions).
    expect((await rejectionOf(copy(`firebreak-quarantine/${MEMBER}/member-uploads/in/b.pdf`, 'access-tier=public'))).name).toBe('AccessDenied');
    // A rewritten member role retagging its account's earlier copy: refused (the copy is tagged already).
    const retag = member.send(new PutObjectTaggingCommand({ Bucket: 'uploads', Key: `firebreak-quarantine/${MEMBER}/member-uploads/in/a.pdf`, Tagging: { TagSet: [{ Key: 'firebreak:malware-scan', Value: 'threats-found' }] } }));
    expect((await rejectionOf(retag)).name).toBe('AccessDenied');
    // Another account's directory: refused.
    expect((await rejectionOf(copy(`firebreak-quarantine/${ACCOUNT}/member-uploads/in/a.pdf`, infected))).name).toBe('AccessDenied');
    expect(sim.authorizationFindings()).toEqual([]);
  });

  it('reports a condition key it cannot supply for a caller without identity policies too, and takes the Deny as holding', async () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'OrgOnly', Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::uploads/*', Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-exampleorg' } } }],
    };
    const { reader, sim } = await bucketWith(JSON.stringify(policy));
    expect((await rejectionOf(reader.send(new GetObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf' })))).name).toBe('AccessDenied');
    expect(sim.authorizationFindings()).toEqual([expect.objectContaining({ principal: READER, action: 's3:GetObject', key: 'aws:PrincipalOrgID' })]);
  });
});

/**
 * FIDELITY (fid-bucket-policy): where the simulated S3 allowed what S3 denies, or denied what it
 * allows, under a bucket policy.
 */
describe('FIDELITY (fid-bucket-policy): bucket policies as S3 evaluates them', () => {
  it('applies a Deny with NotPrincipal to every principal it does not except (it was skipped: no Principal)', async () => {
    // "the actions specified in the policy statement are explicitly denied to all principals except
    // for the ones specified", and a role is excepted only with its account named too
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
    const forensics = `arn:aws:iam::${ACCOUNT}:role/YourForensicsRole`;
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'OnlyForensicsReads', Effect: 'Deny', NotPrincipal: { AWS: [QUARANTINE_ROLE, `arn:aws:iam::${ACCOUNT}:root`] }, Action: 's3:GetObject*', Resource: 'arn:aws:s3:::uploads/*' },
        { Sid: 'OnlyForensicsRoleNoAccount', Effect: 'Deny', NotPrincipal: { AWS: forensics }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::uploads/*' },
      ],
    };
    const { reader, quarantine, sim } = await bucketWith(JSON.stringify(policy));
    const refused = await rejectionOf(reader.send(new GetObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf' })));
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toContain('OnlyForensicsReads');
    // The excepted role (with its account) is not denied.
    await quarantine.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf' }));
    // A role named without its account is not safely excepted: the account's Deny reaches it.
    sim.enforceIdentityPolicies(forensics, [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }] }] as never, catalog);
    const investigator = await sim.clientFactory({ principal: forensics }).s3({ account: ACCOUNT, region: REGION });
    expect((await rejectionOf(investigator.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/b.pdf', Body: 'y' })))).message).toContain('OnlyForensicsRoleNoAccount');
  });

  it('reads s3:ExistingObjectTag of the source version a copy names, not of the current version', async () => {
    // Tags belong to a version (PutObjectTagging's versionId); CopyObject of ?versionId= is authorized as
    // s3:GetObjectVersion on that version (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
    const policy = JSON.parse(RECOMMENDED()) as { Statement: { Condition: { ArnNotLike: { 'aws:PrincipalArn': string[] } } }[] };
    policy.Statement[0]!.Condition.ArnNotLike['aws:PrincipalArn'] = [`arn:aws:iam::${ACCOUNT}:role/YourForensicsRole`];
    const { admin, tagInfected, copy } = await bucketWith(JSON.stringify(policy));
    await tagInfected();
    // An application uploads a clean version over the infected one: the current version has no tag.
    await admin.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', Body: 'clean' }));
    const refused = await rejectionOf(copy());
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toContain('DenyReadingInfectedObjects');
  });

  it('applies a Deny whose NotResource holds a variable it cannot evaluate, and reports the key (the Deny was silently dropped)', async () => {
    // With no organization known aws:PrincipalOrgID cannot be supplied: a NotResource naming it must not
    // silently exempt every object (fail open); the Deny is taken as applying and the key reported.
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'OwnOrgDirectoryOnly', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', NotResource: 'arn:aws:s3:::uploads/firebreak-quarantine/${aws:PrincipalOrgID}/*' },
      ],
    };
    const { quarantine, sim } = await bucketWith(JSON.stringify(policy));
    const refused = await rejectionOf(quarantine.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/o-other/a.pdf', Body: 'x' })));
    expect(refused.message).toContain('OwnOrgDirectoryOnly');
    expect(sim.authorizationFindings()).toEqual([expect.objectContaining({ action: 's3:PutObject', key: 'aws:PrincipalOrgID' })]);
    // With the organization known, its own directory is written, another's refused.
    sim.setOrganization('o-exampleorg');
    await quarantine.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/o-exampleorg/a.pdf', Body: 'x' }));
    expect((await rejectionOf(quarantine.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'firebreak-quarantine/o-other/b.pdf', Body: 'x' })))).name).toBe('AccessDenied');
  });

  it('gives s3:ExistingObjectTag only to the actions S3 supplies it for (not s3:DeleteObjectVersion)', async () => {
    // The Service Authorization Reference lists s3:ExistingObjectTag/<key> for GetObject(Version),
    // the object tagging actions and others, not for DeleteObject or DeleteObjectVersion: there the key
    // is absent and a StringEquals on it does not match
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
    const deleter = `arn:aws:iam::${ACCOUNT}:role/cleanup-job`;
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'KeepInfectedVersions',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:DeleteObjectVersion',
          Resource: 'arn:aws:s3:::uploads/*',
          Condition: { StringEquals: { 's3:ExistingObjectTag/firebreak:malware-scan': 'threats-found' } },
        },
      ],
    };
    const { sim, tagInfected, versionId } = await bucketWith(JSON.stringify(policy));
    await tagInfected();
    sim.enforceIdentityPolicies(deleter, [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:DeleteObjectVersion', Resource: '*' }] }] as never, catalog);
    const cleanup = await sim.clientFactory({ principal: deleter }).s3({ account: ACCOUNT, region: REGION });
    await cleanup.send(new DeleteObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', VersionId: versionId }));
  });
});
