/**
 * Row 16v: the S3 responders' own credentials cannot drop GuardDuty's verdict tag nor opt an
 * object in to game days, whatever the code or a race sends. The calls are made in the simulated
 * account as the two S3 responder roles, under the policies synthesized for the game day's
 * deployment (deployedPolicies), so the test judges the template that would be deployed.
 */
import { CreateBucketCommand, DeleteObjectTaggingCommand, PutBucketVersioningCommand, PutObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import type { Tag } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_GAMEDAY_PRINCIPAL } from '../../lib/gameday/definitions';
import { deployedPolicies } from '../../lib/gameday/deployment';
import type { LocalDeploymentResources } from '../../lib/gameday/deployment';
import { loadIamCatalog } from '../../lib/gameday/sim/iam-catalog';
import type { IamCatalog } from '../../lib/gameday/sim/iam-catalog';
import type { PolicyDocument } from '../../lib/gameday/sim/iam-policy';
import { synthesizeDefinitions } from '../../lib/stack/app';
import type { SynthesizedDeployment } from '../../lib/stack/app';
import { SeededSimulatedAws } from '../support/sim-builder';
import { rejectionOf } from './sim/fixtures';
import { LOCAL_DEPLOYMENT } from '../support/local-deployment';

const LOCAL: LocalDeploymentResources = LOCAL_DEPLOYMENT;
const QUARANTINE = 'firebreak-responder-eu-west-1-quarantine-s3-object';
const RELEASE = 'firebreak-responder-eu-west-1-release-s3-object';

const VERDICT: Tag = { Key: 'GuardDutyMalwareScanStatus', Value: 'THREATS_FOUND' };
const INFECTED: Tag[] = [
  { Key: 'firebreak:malware-scan', Value: 'threats-found' },
  { Key: 'firebreak:incident', Value: 'gd-1' },
];
const OWNER: Tag = { Key: 'uploaded-by', Value: 'portal' };
const OPT_IN: Tag = { Key: 'firebreak:gameday-target', Value: 'true' };

let roles: ReadonlyMap<string, readonly PolicyDocument[]>;
let catalog: IamCatalog;
beforeAll(async () => {
  const definitions = await synthesizeDefinitions({ context: { mode: 'enforce', gameDayPrincipals: [LOCAL_GAMEDAY_PRINCIPAL] } });
  roles = deployedPolicies(definitions.deployment as SynthesizedDeployment, LOCAL).roles;
  catalog = await loadIamCatalog();
}, 120_000);

const query = (tags: readonly Tag[]) => tags.map(({ Key, Value }) => `${encodeURIComponent(Key!)}=${encodeURIComponent(Value!)}`).join('&');

/** An object with `tags`, and an S3 client acting as `role` under its synthesized policies. */
async function objectTagged(tags: readonly Tag[], role: string) {
  const sim = new SeededSimulatedAws({ seed: 's3-tag-denies', defaultAccount: LOCAL.account, defaultRegion: LOCAL.region });
  const admin = await sim.clientFactory().s3({ account: LOCAL.account, region: LOCAL.region });
  await admin.send(new CreateBucketCommand({ Bucket: 'uploads' }));
  await admin.send(new PutBucketVersioningCommand({ Bucket: 'uploads', VersioningConfiguration: { Status: 'Enabled' } }));
  const put = await admin.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/a.pdf', Body: 'x', Tagging: query(tags) }));
  const arn = `arn:aws:iam::${LOCAL.account}:role/${role}`;
  const documents = roles.get(role);
  if (documents === undefined) throw new Error(`no synthesized policy for ${role}`);
  sim.enforceIdentityPolicies(arn, documents, catalog);
  const s3 = await sim.clientFactory({ principal: arn }).s3({ account: LOCAL.account, region: LOCAL.region });
  const version = { Bucket: 'uploads', Key: 'in/a.pdf', VersionId: put.VersionId! };
  return {
    sim,
    tag: (TagSet: Tag[]) => s3.send(new PutObjectTaggingCommand({ ...version, Tagging: { TagSet } })),
    untag: () => s3.send(new DeleteObjectTaggingCommand(version)),
  };
}

describe('ATTACK (s3-tag-denies): the S3 responder roles cannot drop GuardDuty’s verdict tag (row 16v)', () => {
  it.each([QUARANTINE, RELEASE])('%s: a set without THREATS_FOUND, or with another value, is refused; one that keeps it is written', async (role) => {
    const start = role === QUARANTINE ? [OWNER, VERDICT] : [OWNER, VERDICT, ...INFECTED];
    const object = await objectTagged(start, role);
    const dropped = await rejectionOf(object.tag([OWNER, ...INFECTED]));
    expect(dropped.name).toBe('AccessDenied');
    expect(dropped.message).toContain('s3:PutObjectVersionTagging');
    const changed = await rejectionOf(object.tag([OWNER, { Key: VERDICT.Key, Value: 'NO_THREATS_FOUND' }, ...INFECTED]));
    expect(changed.name).toBe('AccessDenied');
    await object.tag([OWNER, VERDICT, ...INFECTED]);
    expect(object.sim.authorizationFindings()).toEqual([]);
  });

  it('release cannot delete a tag set that holds the verdict; it still deletes one that holds only Firebreak’s tags', async () => {
    const withVerdict = await objectTagged([VERDICT, ...INFECTED], RELEASE);
    expect((await rejectionOf(withVerdict.untag())).name).toBe('AccessDenied');
    const firebreakOnly = await objectTagged(INFECTED, RELEASE);
    await firebreakOnly.untag();
    expect(firebreakOnly.sim.authorizationFindings()).toEqual([]);
  });

  it('an object GuardDuty found clean is not held to its tag: the Deny names THREATS_FOUND only', async () => {
    const object = await objectTagged([OWNER, { Key: VERDICT.Key, Value: 'NO_THREATS_FOUND' }], QUARANTINE);
    await object.tag([OWNER, ...INFECTED]);
  });
});

describe('ATTACK (s3-tag-denies): the S3 responder roles cannot opt an object in to game days (row 16v)', () => {
  it.each([QUARANTINE, RELEASE])('%s: a set adding firebreak:gameday-target is refused; keeping the owner’s own opt-in is written', async (role) => {
    const start = role === QUARANTINE ? [OWNER] : [OWNER, ...INFECTED];
    const object = await objectTagged(start, role);
    const added = await rejectionOf(object.tag([OWNER, OPT_IN, ...INFECTED]));
    expect(added.name).toBe('AccessDenied');
    const optedIn = await objectTagged([...start, OPT_IN], role);
    await optedIn.tag([OWNER, OPT_IN, ...INFECTED]);
    expect(optedIn.sim.authorizationFindings()).toEqual([]);
  });
});

describe('ATTACK (review-16v): an owner’s firebreak:gameday-target=false is not turned into the opt-in (row 16z)', () => {
  // The owner disarms an object by setting the tag to another value, not only by taking it off (the
  // game day itself tags targets `false`: lib/gameday/runner.ts). A race, or a role used otherwise,
  // writing `true` over it opts the object in as surely as adding the key: the Deny on a missing
  // key alone (Null) let it through.
  it.each([QUARANTINE, RELEASE])('%s: true over the owner’s false (or any other value) is refused; the owner’s false is written back as it is', async (role) => {
    const start = role === QUARANTINE ? [OWNER] : [OWNER, ...INFECTED];
    for (const value of ['false', 'TRUE', '']) {
      const object = await objectTagged([...start, { Key: OPT_IN.Key, Value: value }], role);
      const flipped = await rejectionOf(object.tag([OWNER, OPT_IN, ...INFECTED]));
      expect(flipped.name).toBe('AccessDenied');
      await object.tag([OWNER, { Key: OPT_IN.Key, Value: value }, ...INFECTED]);
      expect(object.sim.authorizationFindings()).toEqual([]);
    }
  });
});
