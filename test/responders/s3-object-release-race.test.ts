/**
 * Review of session 22 (S3 object tags): the object's tags are its only state, and S3 writes tags
 * unconditionally. Incident A's release-s3-object reads the tags (infected, naming A); incident B's
 * quarantine-s3-object reads them (infected, naming A), tags the object infected for B and answers
 * `tagged`; then A's release writes back the owner's tags it read, without the infected tag. B's
 * incident counted the object contained while nothing blocked it. A first fix waited out the release
 * Lambda's timeout (90 s), a time bound: two release executions of one incident, or a release write
 * delayed past the margin, still undid a quarantine; and the tags name one incident, so two incidents
 * on one object version could not both hold it.
 *
 * Now each object version has its claims in the state table (s3-object-claims.ts, in memory here
 * with the same semantics; the DynamoDB calls are proven in s3-object-claims.test.ts): quarantine
 * claims before it tags and reads the tags again after the claim when it found them infected;
 * release takes back its own claim, untags only when none is left, and reads the claims again after
 * its write. The S3 here keeps the tags between calls (one object version), and a release's write is
 * held until the test lands it.
 */
import { DeleteObjectTaggingCommand, GetObjectTaggingCommand, HeadObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import type { Tag } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseEvent } from '../../lib/incident/parse';
import type { Incident } from '../../lib/incident/model';
import { silentLogger } from '../../lib/responders/logging';
import { InMemoryQuarantineCopyRecords } from '../../lib/responders/quarantine-copy-records';
import { quarantineS3Object, quarantineS3ObjectOptionsSchema } from '../../lib/responders/quarantine-s3-object';
import { releaseS3Object } from '../../lib/responders/release-s3-object';
import { buildS3ObjectReleaseRequest } from '../../lib/operator/release/s3-object';
import { malwareObjectGrantTarget, scannedObjectOf } from '../../lib/responders/s3-malware-object';
import type { S3ObjectClaims } from '../../lib/responders/s3-object-claims';
import { InMemoryS3ObjectClaims } from '../../lib/responders/s3-object-claims';
import { RECORD_LIMITS } from '../../lib/responders/incident-record-model';
import { runAttempt } from '../../lib/responders/attempt-actions';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { clone, fixtureEvent } from '../incident/events';
import { inputsOf } from './quarantine-fixtures';
import { ACCOUNT, BUCKET, ENFORCE, ETAG, KEY, NOW, VERSION, clients, s3Mock } from './s3-object-fixtures';

const OBJECT_PLAYBOOKS = ['s3-object-with-threats', 'release-s3-object'];
const OBJECT = { Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT };
const OWNER = { Key: 'owner', Value: 'billing' };

/** A scan result of the one object; `edit` changes the event. */
function scanIncident(edit: (event: { detail: { s3ObjectDetails: Record<string, unknown> } }) => void = () => {}): Incident {
  const event = clone(fixtureEvent('guardduty-malware-protection-s3-threats-found.json')) as { detail: { s3ObjectDetails: Record<string, unknown> } };
  edit(event);
  return parseEvent(event, { receivedAt: NOW });
}
/** Incident A, and a rescan of the same object version: the same incident (its key is the object's), another execution. */
const A = scanIncident();
/** Another incident of the same object version: the scan result without the ETag (the key is built from what the event names). */
const B = scanIncident((event) => delete event.detail.s3ObjectDetails['eTag']);
const infectedFor = (incident: Incident): Tag[] => [
  { Key: 'firebreak:malware-scan', Value: 'threats-found' },
  { Key: 'firebreak:incident', Value: incident.key },
];
const isInfected = (tags: readonly Tag[]): boolean => tags.some((tag) => tag.Key === 'firebreak:malware-scan' && tag.Value === 'threats-found');
const hours = (count: number): Date => new Date(NOW.getTime() + count * 3_600_000);
const minutes = (count: number): Date => new Date(NOW.getTime() + count * 60_000);

beforeEach(() => s3Mock.reset());

/**
 * One object version whose tags S3 keeps between calls; each write whose tag set is not infected (a
 * release's) is held, unless `holdReleaseWrites` is false, until the test lands it, in the order they were sent, as release Lambdas
 * paused between their read and their write (a request delayed in flight, two executions at once).
 */
function givenObjectWithReleaseWrites(tags: Tag[], { holdReleaseWrites = true } = {}) {
  const state = { tags: [...tags] };
  const held: { next: Tag[]; land: () => void }[] = [];
  const waiting: (() => void)[] = [];
  const write = (next: Tag[]) => {
    // As S3: more than 10 tags is refused (BadRequest), and nothing is written.
    if (next.length > 10) return Promise.reject(Object.assign(new Error('Object tags cannot be greater than 10'), { name: 'BadRequest' }));
    if (isInfected(next) || !holdReleaseWrites) {
      state.tags = next;
      return Promise.resolve({ VersionId: VERSION });
    }
    return new Promise<{ VersionId: string }>((resolve) => {
      held.push({
        next,
        land: () => {
          state.tags = next;
          resolve({ VersionId: VERSION });
        },
      });
      waiting.splice(0).forEach((wake) => wake());
    });
  };
  s3Mock.on(HeadObjectCommand).resolves({ ETag: `"${ETAG}"`, ContentLength: 1024, VersionId: VERSION });
  s3Mock.on(GetObjectTaggingCommand).callsFake(async () => ({ TagSet: [...state.tags] }));
  s3Mock.on(PutObjectTaggingCommand).callsFake(async (input: { Tagging: { TagSet: Tag[] } }) => write([...input.Tagging.TagSet]));
  s3Mock.on(DeleteObjectTaggingCommand).callsFake(async () => write([]));
  return {
    state,
    /** Resolves once `count` release writes are held. */
    async held(count: number): Promise<void> {
      while (held.length < count) await new Promise<void>((wake) => waiting.push(wake));
    },
    /** Lands the oldest release write still held. */
    landNext(): void {
      held.shift()!.land();
    },
  };
}

/** A release of `incident` cleared by the guard at `clearedAt` and run at `runAt`, with the shared claims. */
function releaseWith(incident: Incident, claims: S3ObjectClaims, clearedAt: Date, runAt: Date = clearedAt) {
  const grants = storeGranting(incident, clearedAt, { instanceId: malwareObjectGrantTarget(incident)!, kind: 'release', playbook: 'release-s3-object' });
  return releaseS3Object(
    { incident, mode: 'enforce', options: {}, execution: EXECUTION },
    { clients, logger: silentLogger, grants, claims, environment: { ...ENFORCE, ...playbookStepsEnvironment({}, OBJECT_PLAYBOOKS) }, now: () => runAt },
  );
}

/** A quarantine of `incident` at `at`, with the shared claims; `mode` dry-run for a dry run. */
function quarantineWith(incident: Incident, claims: S3ObjectClaims, at: Date, mode: 'enforce' | 'dry-run' = 'enforce') {
  return quarantineWithClaims(incident, claims, at, mode);
}

function quarantineWithClaims(incident: Incident, claims: S3ObjectClaims, at: Date, mode: 'enforce' | 'dry-run' = 'enforce') {
  const grants = storeGranting(incident, at, { instanceId: malwareObjectGrantTarget(incident)!, playbook: 's3-object-with-threats' });
  return quarantineS3Object(
    { incident, mode: 'enforce', options: quarantineS3ObjectOptionsSchema.parse({}), execution: EXECUTION },
    {
      clients,
      logger: silentLogger,
      grants,
      claims,
      copies: new InMemoryQuarantineCopyRecords(),
      environment: { FIREBREAK_MODE: mode, ...playbookStepsEnvironment({}, OBJECT_PLAYBOOKS) },
      now: () => at,
    },
  );
}

describe('two incidents on one object version (the scan result without the ETag gets another incident key)', () => {
  it('keeps the object tagged through the first incident’s release while the second holds it, and takes the tags off with the last holder’s release', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const object = givenObjectWithReleaseWrites([OWNER], { holdReleaseWrites: false });
    expect((await quarantineWith(A, claims, NOW)).status).toBe('tagged');
    expect((await quarantineWith(B, claims, hours(1))).status).toBe('tagged');
    expect(object.state.tags).toEqual([OWNER, ...infectedFor(B)]);

    // Before: A's release refused ("tagged by another incident") and left A holding the object for ever.
    const releasedA = await releaseWith(A, claims, hours(2));
    expect(releasedA).toMatchObject({ status: 'held', holders: [B.key] });
    expect(releasedA.actions).toContainEqual(expect.objectContaining({ api: 'dynamodb:UpdateItem', outcome: 'done', detail: expect.stringContaining(`stays tagged infected: incident ${B.key} holds it`) }));
    expect(object.state.tags).toEqual([OWNER, ...infectedFor(B)]);

    const releasedB = await releaseWith(B, claims, hours(3));
    expect(releasedB.status).toBe('untagged');
    expect(object.state.tags).toEqual([OWNER]);
  });

  it('does not take the infected tag off with the second incident’s release while the first still holds the object', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const object = givenObjectWithReleaseWrites([OWNER], { holdReleaseWrites: false });
    await quarantineWith(A, claims, NOW);
    await quarantineWith(B, claims, hours(1));

    // Before: B's release took the infected tag off while A was still open (`untagged`, the owner's tag only).
    const releasedB = await releaseWith(B, claims, hours(2));
    expect(releasedB).toMatchObject({ status: 'held', holders: [A.key] });
    expect(object.state.tags).toEqual([OWNER, ...infectedFor(B)]);
    expect(s3Mock.commandCalls(DeleteObjectTaggingCommand)).toHaveLength(0);

    // A's release is the last holder's: the marker names B, whose release took its claim back.
    const releasedA = await releaseWith(A, claims, hours(3));
    expect(releasedA.status).toBe('untagged');
    expect(object.state.tags).toEqual([OWNER]);
  });
});

describe('a release of an object whose infected tag someone took off', () => {
  it('takes back its incident’s claim all the same, so that it does not keep a later incident’s tags on after that incident’s release', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const object = givenObjectWithReleaseWrites([OWNER], { holdReleaseWrites: false });
    await quarantineWith(A, claims, NOW);
    object.state.tags = [OWNER, infectedFor(A)[1]!];
    const releasedA = await releaseWith(A, claims, hours(1));
    expect(releasedA).toMatchObject({ status: 'not-tagged', idempotentReplay: false });
    expect(releasedA.actions).toContainEqual(expect.objectContaining({ api: 'dynamodb:UpdateItem', outcome: 'done', detail: expect.stringContaining('(it carries no infected tag)') }));
    await quarantineWith(B, claims, hours(2));
    expect((await releaseWith(B, claims, hours(3))).status).toBe('untagged');
    expect(object.state.tags).toEqual([OWNER]);
  });
});

describe('a release in dry-run', () => {
  it('reads the claims and names the incident the object would stay tagged for, writing nothing (no take-back, no tag write)', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const object = givenObjectWithReleaseWrites([OWNER], { holdReleaseWrites: false });
    await quarantineWith(A, claims, NOW);
    await quarantineWith(B, claims, hours(1));
    const before = await claims.get({ account: ACCOUNT, region: A.region, bucketName: BUCKET, key: KEY, versionId: VERSION });
    s3Mock.resetHistory();
    const grants = storeGranting(A, hours(2), { instanceId: malwareObjectGrantTarget(A)!, kind: 'release', playbook: 'release-s3-object' });
    const dryRun = await releaseS3Object(
      { incident: A, mode: 'enforce', options: {}, execution: EXECUTION },
      { clients, logger: silentLogger, grants, claims, environment: { FIREBREAK_MODE: 'dry-run', ...playbookStepsEnvironment({}, OBJECT_PLAYBOOKS) }, now: () => hours(2) },
    );
    expect(dryRun).toMatchObject({ status: 'dry-run', holders: [B.key] });
    expect(dryRun.actions).toContainEqual(expect.objectContaining({ api: 'dynamodb:UpdateItem', outcome: 'would-do', detail: expect.stringContaining(`it would stay tagged infected: incident ${B.key} holds it`) }));
    expect(await claims.get({ account: ACCOUNT, region: A.region, bucketName: BUCKET, key: KEY, versionId: VERSION })).toEqual(before);
    expect(s3Mock.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(DeleteObjectTaggingCommand)).toHaveLength(0);
    expect(object.state.tags).toEqual([OWNER, ...infectedFor(B)]);
  });
});

describe('a release that cannot see a quarantine by time alone (claims, no wait)', () => {
  it('puts the infected tags back when a rescan claimed the object after two release executions of the incident took their claims back', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const object = givenObjectWithReleaseWrites([OWNER]);
    await quarantineWith(A, claims, NOW);
    // Two release executions of A, both approved, both read the tags and sent their write.
    const first = releaseWith(A, claims, hours(1));
    const second = releaseWith(A, claims, hours(1));
    await object.held(2);
    object.landNext();
    expect((await first).status).toBe('untagged');
    // A rescan reads the object untagged, tags it and answers contained; the second release's write lands after it.
    const rescan = await quarantineWith(A, claims, hours(2));
    expect(rescan.status).toBe('tagged');
    object.landNext();
    const late = await second;
    // Before: the second write left the object with the owner's tag only, under a quarantine that answered `tagged`.
    expect(object.state.tags).toEqual([OWNER, ...infectedFor(A)]);
    expect(late).toMatchObject({ status: 'refused', refusal: { code: 'claimed-since-cleared' } });
    expect(late.actions).toContainEqual(expect.objectContaining({ api: 's3:PutObjectTagging', outcome: 'done', detail: expect.stringContaining(`Tagged infected again for incident ${A.key}`) }));
    // Every tag write as sent: the first quarantine's, both releases' (held), the rescan's, the second release's put-back.
    expect(inputsOf(s3Mock, PutObjectTaggingCommand)).toEqual([
      { ...OBJECT, Tagging: { TagSet: [OWNER, ...infectedFor(A)] } },
      { ...OBJECT, Tagging: { TagSet: [OWNER] } },
      { ...OBJECT, Tagging: { TagSet: [OWNER] } },
      { ...OBJECT, Tagging: { TagSet: [OWNER, ...infectedFor(A)] } },
      { ...OBJECT, Tagging: { TagSet: [OWNER, ...infectedFor(A)] } },
    ]);
  });

  it('refuses a release cleared before a later claim of the object, writing nothing', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const object = givenObjectWithReleaseWrites([OWNER], { holdReleaseWrites: false });
    await quarantineWith(A, claims, NOW);
    await releaseWith(A, claims, hours(1));
    expect(object.state.tags).toEqual([OWNER]);
    await quarantineWith(A, claims, minutes(124));
    // A second release execution cleared (and approved) before the rescan runs after it.
    const stale = await releaseWith(A, claims, minutes(120), minutes(128));
    // Before: it took the infected tag off again (`untagged`) after the rescan answered contained.
    expect(stale).toMatchObject({ status: 'refused', refusal: { code: 'claimed-since-cleared', reason: expect.stringContaining(`claimed again at ${minutes(124).toISOString()}`) } });
    expect(object.state.tags).toEqual([OWNER, ...infectedFor(A)]);
  });

  it('puts the infected tags back when the release’s write lands after a quarantine read the object tagged and answered (a request delayed past any time bound)', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const object = givenObjectWithReleaseWrites([OWNER]);
    await quarantineWith(A, claims, NOW);
    const releasing = releaseWith(A, claims, hours(1));
    await object.held(1);
    const rescan = await quarantineWith(A, claims, hours(2));
    expect(rescan.status).toBe('already-tagged');
    object.landNext();
    // Before: the write landed after the quarantine's wait and read: the object was left untagged.
    expect((await releasing).status).toBe('refused');
    expect(object.state.tags).toEqual([OWNER, ...infectedFor(A)]);
  });
});

describe('a quarantine of an object while a release of it runs', () => {
  /** `claims`, whose claim first lets `before` run: another Lambda's calls landing between this step's read of the tags and its claim. */
  const claimingAfter = (claims: S3ObjectClaims, before: () => Promise<unknown>): S3ObjectClaims => ({
    claim: async (...args) => {
      await before();
      return claims.claim(...args);
    },
    takeBack: (...args) => claims.takeBack(...args),
    get: (...args) => claims.get(...args),
    forgetRestored: (...args) => claims.forgetRestored(...args),
  });

  for (const [name, quarantined] of [
    ['a rescan: the same incident', A],
    ['another incident', B],
  ] as const) {
    it(`tags the object again when a release took the tags off between its read and its claim (${name})`, async () => {
      const claims = new InMemoryS3ObjectClaims();
      const object = givenObjectWithReleaseWrites([OWNER]);
      await quarantineWith(A, claims, NOW);
      s3Mock.resetHistory();
      const releasing = releaseWith(A, claims, hours(1));
      let released: Awaited<typeof releasing> | undefined;
      const contained = await quarantineWithClaims(quarantined, claimingAfter(claims, async () => {
        await object.held(1);
        object.landNext();
        released = await releasing;
      }), hours(2));
      // The release saw no claim after its write (the quarantine had not claimed yet): it answered as it left the object.
      expect(released?.status).toBe('untagged');
      expect(contained).toMatchObject({ status: 'tagged', idempotentReplay: false });
      expect(object.state.tags).toEqual([OWNER, ...infectedFor(quarantined)]);
      // The release's, the quarantine's, its read after the claim.
      expect(inputsOf(s3Mock, GetObjectTaggingCommand)).toEqual([OBJECT, OBJECT, OBJECT]);
      expect(inputsOf(s3Mock, PutObjectTaggingCommand).at(-1)).toEqual({ ...OBJECT, Tagging: { TagSet: [OWNER, ...infectedFor(quarantined)] } });
      // The rescan found its own tags when it read and wrote nothing then: it tags again after its claim. Another incident
      // writes its own tags after its claim anyway (the marker names it), and finds them when it reads again.
      if (quarantined === A) {
        expect(contained.actions).toContainEqual(
          expect.objectContaining({ api: 's3:PutObjectTagging', outcome: 'done', detail: expect.stringContaining(`The infected tag was taken off since this step first read the tags (by a release of incident ${A.key}`) }),
        );
      }
    });
  }

  it('writes nothing more when the tags are still infected when read again after the claim (no release ran), and answers as before', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const object = givenObjectWithReleaseWrites([OWNER, ...infectedFor(A)]);
    // The tags are an earlier run's of the incident, which claimed the version before it wrote them.
    await claims.claim({ account: ACCOUNT, region: A.region, bucketName: BUCKET, key: KEY, versionId: VERSION }, A.key, minutes(-5).toISOString(), true);
    const contained = await quarantineWith(A, claims, NOW);
    expect(contained).toMatchObject({ status: 'already-tagged', idempotentReplay: true });
    expect(inputsOf(s3Mock, GetObjectTaggingCommand)).toEqual([OBJECT, OBJECT]);
    expect(s3Mock.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
    expect(object.state.tags).toEqual([OWNER, ...infectedFor(A)]);
    // Claimed all the same: the release of the incident is the one to take the tags off.
    expect((await claims.get({ account: ACCOUNT, region: A.region, bucketName: BUCKET, key: KEY, versionId: VERSION })).claims).toEqual([A.key]);
  });

  it('ATTACK (s3-tag-room): tags the object again when a release wrote ten tags of the owner’s back meanwhile, setting two aside and recording them before the write', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const object = givenObjectWithReleaseWrites([OWNER, ...infectedFor(A)]);
    const crowded = Array.from({ length: 10 }, (_, index) => ({ Key: `owner-${index}`, Value: 'x' }));
    let tagWritesWhenRecorded: number | undefined;
    const recording = Object.assign(Object.create(claims) as InMemoryS3ObjectClaims, {
      claim: async (...args: Parameters<InMemoryS3ObjectClaims['claim']>) => {
        if ((args[4]?.setAside.length ?? 0) > 0) tagWritesWhenRecorded = s3Mock.commandCalls(PutObjectTaggingCommand).length;
        return claims.claim(...args);
      },
    });
    const contained = await quarantineWithClaims(A, claimingAfter(recording, async () => void (object.state.tags = crowded)), NOW);
    // Before: refused (no-room-for-tags), the object left with ten tags and no infected one.
    expect(contained).toMatchObject({ status: 'tagged', setAsideTags: [{ key: { untrusted: 'owner-8' } }, { key: { untrusted: 'owner-9' } }] });
    expect(inputsOf(s3Mock, PutObjectTaggingCommand)).toEqual([{ ...OBJECT, Tagging: { TagSet: [...crowded.slice(0, 8), ...infectedFor(A)] } }]);
    expect(tagWritesWhenRecorded).toBe(0);
    expect((await claims.get({ account: ACCOUNT, region: A.region, bucketName: BUCKET, key: KEY, versionId: VERSION })).setAsideTags).toEqual(crowded.slice(8));
  });

  it('puts back the tags as quarantine left them (the set-aside ones off again, still in the record) when a claim came while the release wrote them back', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const ten = Array.from({ length: 10 }, (_, index) => ({ Key: `owner-${index}`, Value: 'x' }));
    const object = givenObjectWithReleaseWrites(ten);
    expect((await quarantineWith(A, claims, NOW)).status).toBe('tagged');
    const releasing = releaseWith(A, claims, hours(1));
    await object.held(1);
    // B claims (and tags for itself) while A's release write is in flight; the write then lands with all ten tags.
    expect((await quarantineWith(B, claims, hours(2))).status).toBe('tagged');
    object.landNext();
    expect(await releasing).toMatchObject({ status: 'refused', refusal: { code: 'claimed-since-cleared' } });
    // Ten and Firebreak's two would pass S3's 10: the put-back writes the eight quarantine left.
    expect(inputsOf(s3Mock, PutObjectTaggingCommand).at(-1)).toEqual({ ...OBJECT, Tagging: { TagSet: [...ten.slice(0, 8), ...infectedFor(B)] } });
    expect(object.state.tags).toEqual([...ten.slice(0, 8), ...infectedFor(B)]);
    expect((await claims.get({ account: ACCOUNT, region: A.region, bucketName: BUCKET, key: KEY, versionId: VERSION })).setAsideTags).toEqual(ten.slice(8));
  });

  it('ATTACK (review-16n): puts the infected tags back, making room as quarantine does, when the owner’s tags it read were nine (the marker taken off, a tag added; row 16p)', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const ten = Array.from({ length: 10 }, (_, index) => ({ Key: `owner-${index}`, Value: 'x' }));
    const object = givenObjectWithReleaseWrites(ten);
    expect((await quarantineWith(A, claims, NOW)).status).toBe('tagged');
    // Whoever may tag the object keeps the infected tag on but takes the marker off and adds a tag of their own: nine.
    const nine = [...ten.slice(0, 8), { Key: 'owner-a', Value: 'x' }];
    object.state.tags = [infectedFor(A)[0]!, ...nine];
    const releasing = releaseWith(A, claims, hours(1));
    await object.held(1);
    // B claims, sets owner-a aside (recorded), and tags for itself while A's release write (the nine) is in flight.
    expect((await quarantineWith(B, claims, hours(2))).status).toBe('tagged');
    object.landNext();
    // Before: the put-back was the nine and Firebreak's two, which S3 refuses: the release failed with the object untagged,
    // readable while incident B counted it contained.
    expect(await releasing).toMatchObject({ status: 'refused', refusal: { code: 'claimed-since-cleared' } });
    expect(object.state.tags).toEqual([...ten.slice(0, 8), ...infectedFor(B)]);
    expect((await claims.get({ account: ACCOUNT, region: A.region, bucketName: BUCKET, key: KEY, versionId: VERSION })).setAsideTags).toContainEqual({ Key: 'owner-a', Value: 'x' });
  });

  it('reads the tags once when they were not infected (its own write follows its claim), and claims nothing in dry-run', async () => {
    const claims = new InMemoryS3ObjectClaims();
    givenObjectWithReleaseWrites([OWNER]);
    expect((await quarantineWith(A, claims, NOW)).status).toBe('tagged');
    expect(inputsOf(s3Mock, GetObjectTaggingCommand)).toEqual([OBJECT]);
    s3Mock.reset();
    const untouched = new InMemoryS3ObjectClaims();
    givenObjectWithReleaseWrites([OWNER, ...infectedFor(B)]);
    expect((await quarantineWith(A, untouched, NOW, 'dry-run')).status).toBe('dry-run');
    expect(untouched.items.size).toBe(0);
    expect(s3Mock.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
  });
});

describe('a release that names no version of an object in a versioned bucket (`firebreak release` without --version-id)', () => {
  /** The release incident of `incident` as `firebreak release --bucket --key --incident KEY` builds it without --version-id: its object names no version. */
  const withoutVersion = (incident: Incident): Incident => ({
    ...incident,
    affected: (incident.affected ?? []).map((entry) => {
      if (entry.kind !== 's3-object') return entry;
      const { versionId: _versionId, ...rest } = entry as typeof entry & { versionId?: string };
      return rest as typeof entry;
    }),
  });

  it('ATTACK (review-s3b): never skips the check that another incident still holds the object: it refuses, naming the version, and writes nothing', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const object = givenObjectWithReleaseWrites([OWNER], { holdReleaseWrites: false });
    await quarantineWith(B, claims, NOW);
    await quarantineWith(A, claims, hours(1));
    expect(object.state.tags).toEqual([OWNER, ...infectedFor(A)]);
    const release = withoutVersion(A);
    expect(release.key).toBe(A.key);

    // Before: the claims item of "no version" (none) was read and taken back: `untagged`, B's hold skipped.
    const released = await releaseWith(release, claims, hours(2));
    expect(released).toMatchObject({ status: 'refused', refusal: { code: 'version-not-named', reason: expect.stringContaining(`--version-id ${VERSION}`) } });
    expect(object.state.tags).toEqual([OWNER, ...infectedFor(A)]);
    expect(s3Mock.commandCalls(PutObjectTaggingCommand).filter((call) => !isInfected(call.args[0].input.Tagging?.TagSet ?? []))).toHaveLength(0);
    expect(s3Mock.commandCalls(DeleteObjectTaggingCommand)).toHaveLength(0);
    expect(await claims.get({ account: ACCOUNT, region: A.region, bucketName: BUCKET, key: KEY, versionId: VERSION })).toMatchObject({ claims: [A.key, B.key].sort() });
    expect(claims.items.size).toBe(1);

    // The dry-run refuses the same way (it would have read the item of no version: "would take the infected tags off").
    const dryRun = await releaseS3Object(
      { incident: release, mode: 'enforce', options: {}, execution: EXECUTION },
      { clients, logger: silentLogger, grants: storeGranting(release, hours(3), { instanceId: malwareObjectGrantTarget(release)!, kind: 'release', playbook: 'release-s3-object' }), claims, environment: { FIREBREAK_MODE: 'dry-run', ...playbookStepsEnvironment({}, OBJECT_PLAYBOOKS) }, now: () => hours(3) },
    );
    expect(dryRun).toMatchObject({ status: 'refused', refusal: { code: 'version-not-named' } });

    // Named with its version, the release takes back A's claim and the object stays tagged for B.
    expect(await releaseWith(A, claims, hours(4))).toMatchObject({ status: 'held', holders: [B.key] });
  });

  it('releases as before an object in a bucket without versioning (S3 answers no version id)', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const unversioned = withoutVersion(A);
    const state = { tags: [OWNER, ...infectedFor(unversioned)] };
    s3Mock.on(HeadObjectCommand).resolves({ ETag: `"${ETAG}"`, ContentLength: 1024 });
    s3Mock.on(GetObjectTaggingCommand).callsFake(async () => ({ TagSet: [...state.tags] }));
    s3Mock.on(PutObjectTaggingCommand).callsFake(async (input: { Tagging: { TagSet: Tag[] } }) => {
      state.tags = [...input.Tagging.TagSet];
      return {};
    });
    await claims.claim({ account: ACCOUNT, region: A.region, bucketName: BUCKET, key: KEY }, unversioned.key, NOW.toISOString(), true);
    expect((await releaseWith(unversioned, claims, hours(1))).status).toBe('untagged');
    expect(state.tags).toEqual([OWNER]);
    expect(s3Mock.commandCalls(PutObjectTaggingCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Key: KEY, ExpectedBucketOwner: ACCOUNT, Tagging: { TagSet: [OWNER] } });
  });
});

describe('an object in a bucket without versioning, its scan result naming the version `null`', () => {
  it('ATTACK (review-s3b): a release naming no version reads the claims the quarantine wrote for version null, never skipping another incident’s hold', async () => {
    // S3 names the one version of an object in a bucket without versioning `null` (the game day's scan results carry it, as
    // the containment guard's grant target does: `versionId ?? 'null'`); `firebreak release` without --version-id names none.
    const nullVersion = (event: { detail: { s3ObjectDetails: Record<string, unknown> } }) => (event.detail.s3ObjectDetails['versionId'] = 'null');
    const first = scanIncident(nullVersion);
    const second = scanIncident((event) => {
      nullVersion(event);
      delete event.detail.s3ObjectDetails['eTag'];
    });
    expect(scannedObjectOf(first).object?.versionId).toBe('null');
    const claims = new InMemoryS3ObjectClaims();
    const state = { tags: [OWNER] as Tag[] };
    s3Mock.on(HeadObjectCommand).resolves({ ETag: `"${ETAG}"`, ContentLength: 1024 });
    s3Mock.on(GetObjectTaggingCommand).callsFake(async () => ({ TagSet: [...state.tags] }));
    s3Mock.on(PutObjectTaggingCommand).callsFake(async (input: { Tagging: { TagSet: Tag[] } }) => {
      state.tags = [...input.Tagging.TagSet];
      return {};
    });
    expect((await quarantineWith(second, claims, NOW)).status).toBe('tagged');
    expect((await quarantineWith(first, claims, hours(1))).status).toBe('tagged');
    const release: Incident = {
      ...first,
      affected: (first.affected ?? []).map((entry) => {
        if (entry.kind !== 's3-object') return entry;
        const { versionId: _versionId, ...rest } = entry as typeof entry & { versionId?: string };
        return rest as typeof entry;
      }),
    };
    // Before: the claims of "no version" (none) were read: `untagged`, the second incident's hold skipped.
    expect(await releaseWith(release, claims, hours(2))).toMatchObject({ status: 'held', holders: [second.key] });
    expect(state.tags).toEqual([OWNER, ...infectedFor(first)]);
  });
});

describe('ATTACK (s3-claims-growth): one key of a bucket without versioning, uploaded again and again (row 16u)', () => {
  /** The scan result of upload `round` of the key: the version `null`, its own content (ETag), so its own incident. */
  const uploadScan = (round: number): Incident =>
    scanIncident((event) => {
      delete event.detail.s3ObjectDetails['versionId'];
      event.detail.s3ObjectDetails['eTag'] = String(round).padStart(32, 'a');
    });
  /** S3 with the key's current upload: a PUT replaces the object and its tags (none of Firebreak's). */
  function givenUploads() {
    const state = { eTag: '', tags: [] as Tag[] };
    s3Mock.on(HeadObjectCommand).callsFake(async () => ({ ETag: `"${state.eTag}"`, ContentLength: 1024 }));
    s3Mock.on(GetObjectTaggingCommand).callsFake(async () => ({ TagSet: [...state.tags] }));
    s3Mock.on(PutObjectTaggingCommand).callsFake(async (input: { Tagging: { TagSet: Tag[] } }) => {
      state.tags = [...input.Tagging.TagSet];
      return {};
    });
    s3Mock.on(DeleteObjectTaggingCommand).callsFake(async () => {
      state.tags = [];
      return {};
    });
    return {
      state,
      upload(incident: Incident): void {
        state.eTag = scannedObjectOf(incident).object!.eTag!;
        state.tags = [OWNER];
      },
    };
  }
  const UNVERSIONED = { account: ACCOUNT, region: A.region, bucketName: BUCKET, key: KEY };

  /** The release as `firebreak release --bucket --key` builds it (no ETag), of `incident` (the one the object's tag names). */
  const releaseOf = (incident: Incident, at: Date): Incident =>
    buildS3ObjectReleaseRequest({ bucketName: BUCKET, key: KEY, account: ACCOUNT, region: incident.region, incidentKey: incident.key, mode: 'enforce', requestedBy: 'arn:aws:iam::111122223333:user/dana', at }).input.incident;
  /** The claims store, with `before` run once before the claim (or take-back) it names: what lands in between. */
  const interleaved = (claims: S3ObjectClaims, before: { claim?: () => Promise<void>; takeBack?: () => Promise<void>; afterTakeBack?: () => Promise<void> }): S3ObjectClaims => ({
    claim: async (...args) => {
      const run = before.claim;
      before.claim = undefined;
      if (run !== undefined) await run();
      return claims.claim(...args);
    },
    takeBack: async (...args) => {
      const [run, after] = [before.takeBack, before.afterTakeBack];
      before.takeBack = undefined;
      before.afterTakeBack = undefined;
      if (run !== undefined) await run();
      const answer = await claims.takeBack(...args);
      if (after !== undefined) await after();
      return answer;
    },
    get: (...args) => claims.get(...args),
    forgetRestored: (...args) => claims.forgetRestored(...args),
  });

  it('compares a multipart upload’s ETag (`-N`), quoted by HeadObject, as its scan named it: the current upload’s release untags it (review-16w)', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const s3 = givenUploads();
    const multipart = scanIncident((event) => {
      delete event.detail.s3ObjectDetails['versionId'];
      event.detail.s3ObjectDetails['eTag'] = `${'b'.repeat(32)}-3`;
    });
    s3.upload(multipart);
    expect((await quarantineWith(multipart, claims, NOW)).status).toBe('tagged');
    expect((await claims.get(UNVERSIONED)).objectETag).toBe(`${'b'.repeat(32)}-3`);
    expect(await releaseWith(releaseOf(multipart, hours(1)), claims, hours(1))).toMatchObject({ status: 'untagged' });
  });

  it('claims no upload under another spelling of its ETag: a scan naming it in capitals finds the object changed (review-16w)', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const s3 = givenUploads();
    s3.upload(uploadScan(1));
    const capitals = scanIncident((event) => {
      delete event.detail.s3ObjectDetails['versionId'];
      event.detail.s3ObjectDetails['eTag'] = '1'.padStart(32, 'a').toUpperCase();
    });
    expect((await quarantineWith(capitals, claims, NOW)).status).toBe('changed');
    expect((await claims.get(UNVERSIONED)).objectETag).toBeUndefined();
  });

  it('keeps malware uploaded between the release’s HeadObject and its tag write tagged, its tags preset by the uploader or not (review-16w)', async () => {
    for (const preset of ['none', 'released incident', 'own incident'] as const) {
      for (const claimLands of ['before the release’s tag write', 'after the release’s read of the claims'] as const) {
        s3Mock.reset();
        const claims = new InMemoryS3ObjectClaims();
        const s3 = givenUploads();
        const harmless = uploadScan(1);
        const malware = uploadScan(2);
        s3.upload(harmless);
        expect((await quarantineWith(harmless, claims, NOW)).status).toBe('tagged');
        // The release read the object (harmless, the claims' ETag); the malware is uploaded before its take-back.
        const upload = async (): Promise<void> => {
          s3.upload(malware);
          if (preset !== 'none') s3.state.tags = [OWNER, ...infectedFor(preset === 'own incident' ? malware : harmless)];
        };
        const racing = interleaved(claims, {
          takeBack: upload,
          ...(claimLands === 'before the release’s tag write' ? { afterTakeBack: async () => void (await quarantineWith(malware, claims, hours(1.5))) } : {}),
        });
        const released = await releaseWith(releaseOf(harmless, hours(1)), racing, hours(1));
        if (claimLands !== 'before the release’s tag write') await quarantineWith(malware, claims, hours(3));
        expect(isInfected(s3.state.tags), `${preset}, the claim ${claimLands}: release ${released.status}`).toBe(true);
        expect(s3.state.tags).toContainEqual({ Key: 'firebreak:incident', Value: malware.key });
      }
    }
  });

  it('never untags the current upload when a claims item written before row 16u (no objectETag) holds it and another upload’s claim lands late (review-16w)', async () => {
    for (const lateClaim of ['harmless', 'malware'] as const) {
      s3Mock.reset();
      const claims = new InMemoryS3ObjectClaims();
      const s3 = givenUploads();
      const harmless = uploadScan(1);
      const malware = uploadScan(2);
      s3.upload(malware);
      expect((await quarantineWith(malware, claims, NOW)).status).toBe('tagged');
      // As written before row 16u: no objectETag.
      delete [...claims.items.values()][0]!.objectETag;
      // The harmless upload's execution reads it; the uploader puts the malware back before that execution's claim.
      s3.upload(harmless);
      const racing = interleaved(claims, {
        claim: async () => {
          s3.upload(malware);
          if (lateClaim === 'harmless') await quarantineWith(malware, claims, minutes(1));
        },
      });
      await quarantineWith(harmless, racing, minutes(2));
      if (lateClaim === 'malware') await quarantineWith(malware, claims, minutes(3));
      // The harmless claim late: it retired the malware's and holds the object, another upload (row 16w: refused). The
      // malware's late: its claim retired the harmless one's (joined to the item's, which named no upload): held by the malware.
      const released = await releaseWith(releaseOf(harmless, hours(1)), claims, hours(1));
      expect(released.status, lateClaim).toBe(lateClaim === 'harmless' ? 'refused' : 'held');
      expect(isInfected(s3.state.tags), lateClaim).toBe(true);
    }
  });

  it('holds only the current upload’s claim: its release takes the tags off, an earlier upload’s release changes nothing', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const s3 = givenUploads();
    const uploads = Array.from({ length: 50 }, (_, round) => uploadScan(round));
    for (const [round, incident] of uploads.entries()) {
      s3.upload(incident);
      expect((await quarantineWith(incident, claims, minutes(round))).status).toBe('tagged');
    }
    // Before: 50 claims, one per upload, each object long replaced (about 80 bytes each: some 5,000 uploads fill DynamoDB's
    // 400 KB item, and every claim after fails, the current upload untagged).
    expect((await claims.get(UNVERSIONED)).claims).toEqual([uploads[49]!.key]);
    // An earlier upload's release finds another object (its ETag): nothing written, the current upload stays tagged.
    expect((await releaseWith(uploads[10]!, claims, hours(2))).status).toBe('changed');
    expect(s3.state.tags).toEqual([OWNER, ...infectedFor(uploads[49]!)]);
    // Before: `held` for the 49 incidents of uploads replaced since, none of which a release could take back (each finds another ETag).
    expect(await releaseWith(uploads[49]!, claims, hours(3))).toMatchObject({ status: 'untagged' });
    expect(s3.state.tags).toEqual([OWNER]);
  });

  it('never lets a release of an earlier upload’s incident that names no ETag untag the later upload another incident holds', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const s3 = givenUploads();
    const earlier = scanIncident((event) => {
      delete event.detail.s3ObjectDetails['versionId'];
      delete event.detail.s3ObjectDetails['eTag'];
    });
    const later = uploadScan(2);
    s3.upload(uploadScan(1));
    expect((await quarantineWith(earlier, claims, NOW)).status).toBe('tagged');
    s3.upload(later);
    expect((await quarantineWith(later, claims, hours(1))).status).toBe('tagged');
    // The later upload's claim retired the earlier one's; the earlier incident's release (no ETag to check) finds the later
    // incident holding the object: it takes back its own claim only.
    expect(await releaseWith(earlier, claims, hours(2))).toMatchObject({ status: 'held', holders: [later.key] });
    expect(s3.state.tags).toEqual([OWNER, ...infectedFor(later)]);
    expect((await claims.get(UNVERSIONED)).claims).toEqual([later.key]);
  });

  it('ATTACK (review-16u): a late claim of an upload replaced in between, then the release `firebreak release` starts (no ETag): the later upload stays tagged for its own incident (row 16w)', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const s3 = givenUploads();
    // The uploader uploads two contents in turn: A (say a test file GuardDuty flags, which an engineer releases as harmless)
    // and B (the malware). Each upload of A is scanned as incident A, each of B as incident B (the key holds the ETag).
    const contentA = uploadScan(1);
    const contentB = uploadScan(2);
    // The step's claim, with one interleaving: what happens between the step's read of the object and its claim.
    let between: (() => Promise<void>) | undefined;
    const racing: S3ObjectClaims = {
      claim: async (...args) => {
        const run = between;
        between = undefined;
        if (run !== undefined) await run();
        return claims.claim(...args);
      },
      takeBack: (...args) => claims.takeBack(...args),
      get: (...args) => claims.get(...args),
      forgetRestored: (...args) => claims.forgetRestored(...args),
    };
    s3.upload(contentA);
    // An execution of incident A (a scan of an upload of A) reads the object (A), and before its claim lands the uploader
    // uploads B, whose scan's execution claims and tags it: A's claim then retires B's, on an object that is B.
    between = async () => {
      s3.upload(contentB);
      expect((await quarantineWith(contentB, claims, minutes(1))).status).toBe('tagged');
    };
    expect((await quarantineWith(contentA, racing, minutes(2))).status).toBe('tagged');
    expect(s3.state.eTag).toBe(scannedObjectOf(contentB).object!.eTag);
    expect(s3.state.tags).toEqual([OWNER, ...infectedFor(contentA)]);
    // The engineer releases incident A as `firebreak release --bucket --key` does: the incident from the object's tag, the
    // object by bucket and key (a release names no ETag: nothing to compare with the object's).
    const release = buildS3ObjectReleaseRequest({ bucketName: BUCKET, key: KEY, account: ACCOUNT, region: contentA.region, incidentKey: contentA.key, mode: 'enforce', requestedBy: 'arn:aws:iam::111122223333:user/dana', at: hours(1) }).input.incident;
    // In dry-run it says so beforehand, writing nothing (before: "would take the infected tags off").
    const dryRun = await releaseS3Object(
      { incident: release, mode: 'enforce', options: {}, execution: EXECUTION },
      {
        clients,
        logger: silentLogger,
        grants: storeGranting(release, hours(1), { instanceId: malwareObjectGrantTarget(release)!, kind: 'release', playbook: 'release-s3-object' }),
        claims,
        environment: { FIREBREAK_MODE: 'dry-run', ...playbookStepsEnvironment({}, OBJECT_PLAYBOOKS) },
        now: () => hours(1),
      },
    );
    expect(dryRun).toMatchObject({ status: 'refused', refusal: { code: 'claims-of-another-upload' } });
    expect((await claims.get(UNVERSIONED)).claims).toEqual([contentA.key]);
    const released = await releaseWith(release, claims, hours(1));
    // Before: `untagged`: B's malware readable, incident B never released (and, before row 16u, B's claim held it: `held`).
    expect(released).toMatchObject({ status: 'refused', refusal: { code: 'claims-of-another-upload' } });
    expect(s3.state.tags).toEqual([OWNER, ...infectedFor(contentA)]);
    // Incident A's claim is taken back all the same (its release was approved); a scan of B claims the upload again, and
    // its own release (approved) then takes the tags off.
    expect((await claims.get(UNVERSIONED)).releasedClaims).toEqual([contentA.key]);
    expect((await quarantineWith(contentB, claims, hours(2))).status).toBe('tagged');
    expect(s3.state.tags).toEqual([OWNER, ...infectedFor(contentB)]);
    const releaseB = buildS3ObjectReleaseRequest({ bucketName: BUCKET, key: KEY, account: ACCOUNT, region: contentB.region, incidentKey: contentB.key, mode: 'enforce', requestedBy: 'arn:aws:iam::111122223333:user/dana', at: hours(3) }).input.incident;
    expect(await releaseWith(releaseB, claims, hours(3))).toMatchObject({ status: 'untagged' });
    expect(s3.state.tags).toEqual([OWNER]);
  });
});

describe('ATTACK (s3-set-aside-kept): owner’s tags an earlier release could not write back, then a new first tagging that sets tags aside (row 16q)', () => {
  it('keeps the earlier set-aside tags in the record (never written back over the owner’s), writes back the new ones, and names both', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const version = { account: ACCOUNT, region: A.region, bucketName: BUCKET, key: KEY, versionId: VERSION };
    const ten = Array.from({ length: 10 }, (_, index) => ({ Key: `owner-${index}`, Value: 'x' }));
    const object = givenObjectWithReleaseWrites(ten, { holdReleaseWrites: false });
    expect(await quarantineWith(A, claims, NOW)).toMatchObject({ status: 'tagged', setAsideTags: [{ key: { untrusted: 'owner-8' } }, { key: { untrusted: 'owner-9' } }] });
    // The owner changes a tag while the object is quarantined: the release cannot write owner-8 and owner-9 back.
    const changed = [{ Key: 'owner-0', Value: 'y' }, ...ten.slice(1, 8)];
    object.state.tags = [...changed, ...infectedFor(A)];
    expect(await releaseWith(A, claims, hours(1))).toMatchObject({ status: 'untagged', setAsideTags: { status: 'not-restored' } });
    expect(object.state.tags).toEqual(changed);
    // Two more tags of the owner's, then a new first tagging of the same version (a rescan): it sets aside owner-a and owner-b.
    const crowded = [...changed, { Key: 'owner-a', Value: 'x' }, { Key: 'owner-b', Value: 'x' }];
    object.state.tags = crowded;
    expect(await quarantineWith(A, claims, hours(2))).toMatchObject({ status: 'tagged', setAsideTags: [{ key: { untrusted: 'owner-a' } }, { key: { untrusted: 'owner-b' } }] });
    // Before: the new record replaced the earlier one, and owner-8 and owner-9 were gone from the state table.
    expect(await claims.get(version)).toMatchObject({ setAsideTags: crowded.slice(8), earlierSetAsideTags: ten.slice(8) });
    // The next release writes back the ones its quarantine set aside (the object's tags are the ones it left), never the earlier
    // ones (set aside from tags the owner changed since), and names those as not written back.
    const released = await releaseWith(A, claims, hours(3));
    expect(released).toMatchObject({ status: 'untagged', setAsideTags: { status: 'restored' }, earlierSetAsideTags: [{ key: { untrusted: 'owner-8' } }, { key: { untrusted: 'owner-9' } }] });
    expect(object.state.tags).toEqual(crowded);
    expect(released.actions.find((action) => action.api === 'firebreak:restore-tags')?.detail).toContain('"owner-9"="x"');
    // Written back: out of the record; the earlier ones stay until a person clears them.
    const after = await claims.get(version);
    expect(after.setAsideTags).toBeUndefined();
    expect(after.earlierSetAsideTags).toEqual(ten.slice(8));
  });
});

describe('ATTACK (review-16q): an uploader fills the set-aside record of an object in a bucket without versioning (row 16s)', () => {
  it('keeps quarantining every upload past the record’s bound: the record gives up earlier taggings’ set-aside tags (named in the alert), never the containment', async () => {
    const claims = new InMemoryS3ObjectClaims();
    // Without versioning every upload to the key is the version `null`: one claims item for all of them.
    const unversioned = scanIncident((event) => delete event.detail.s3ObjectDetails['versionId']);
    const object = givenObjectWithReleaseWrites([], { holdReleaseWrites: false });
    s3Mock.on(HeadObjectCommand).resolves({ ETag: `"${ETAG}"`, ContentLength: 1024 });
    // The uploader (no release ever approved) uploads the malware again with ten tags of their own, other values each time:
    // each upload is scanned and quarantined, and sets aside two distinct tags that no release writes back.
    for (let upload = 0; upload < 40; upload += 1) {
      object.state.tags = Array.from({ length: 10 }, (_, index) => ({ Key: `owner-${index}`, Value: `upload-${upload}` }));
      const result = await quarantineWith(unversioned, claims, minutes(upload));
      // Before: from the 33rd upload the claim was refused at the record's bound, the step failed and the malware stayed untagged.
      expect(result.status).toBe('tagged');
      expect(isInfected(object.state.tags)).toBe(true);
      // At the bound the record gives up the earlier uploads' set-aside tags: the alert names each one it gave up.
      const given = result.actions.filter((action) => action.api === 'firebreak:set-aside-tag' && action.outcome === 'skipped');
      expect(given).toHaveLength(upload === 32 ? 64 : 0);
      if (upload === 32) expect(given.filter((action) => action.target === '"owner-9"' && action.detail.startsWith('value "upload-0"'))).toHaveLength(1);
    }
    const record = await claims.get({ account: ACCOUNT, region: unversioned.region, bucketName: BUCKET, key: KEY, versionId: 'null' });
    expect((record.setAsideTags?.length ?? 0) + (record.earlierSetAsideTags?.length ?? 0)).toBeLessThanOrEqual(64);
    // The last upload's set-aside tags are the ones release writes back.
    expect(record.setAsideTags).toEqual([{ Key: 'owner-8', Value: 'upload-39' }, { Key: 'owner-9', Value: 'upload-39' }]);
  });
});

describe('ATTACK (review-16s): the tags the record gives up at its bound never push the containment out of the incident record (row 16t)', () => {
  it('lists the tag write and the set-aside tags release writes back among the actions the incident record keeps, the given-up tags after them', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const unversioned = scanIncident((event) => delete event.detail.s3ObjectDetails['versionId']);
    const object = givenObjectWithReleaseWrites([], { holdReleaseWrites: false });
    s3Mock.on(HeadObjectCommand).resolves({ ETag: `"${ETAG}"`, ContentLength: 1024 });
    let atBound: Awaited<ReturnType<typeof quarantineWith>> | undefined;
    for (let upload = 0; upload < 33; upload += 1) {
      object.state.tags = Array.from({ length: 10 }, (_, index) => ({ Key: `owner-${index}`, Value: `upload-${upload}` }));
      atBound = await quarantineWith(unversioned, claims, minutes(upload));
    }
    const actions = atBound!.actions;
    // The incident record (and `firebreak report`) keeps the first RECORD_LIMITS.actions of a step's actions.
    const kept = actions.slice(0, RECORD_LIMITS.actions);
    // Before: the 64 given-up tags were logged right after the claim, so the record kept them and not the tag write (the
    // containment) nor this tagging's set-aside tags: the uploader chose what the record of the containment said.
    expect(kept.filter((action) => action.api === 's3:PutObjectTagging' && action.outcome === 'done')).toHaveLength(1);
    expect(kept.filter((action) => action.api === 'firebreak:set-aside-tag' && action.outcome === 'done')).toHaveLength(2);
    // The claim's line counts them, so the record says how many were given up even where it lists only some.
    expect(kept.find((action) => action.api === 'dynamodb:UpdateItem')?.detail).toContain('gave up 64 of the owner');
    // Every given-up tag is still named, after the containment's actions (the execution history keeps the step's result whole).
    const given = actions.filter((action) => action.api === 'firebreak:set-aside-tag' && action.outcome === 'skipped');
    expect(given).toHaveLength(64);
    expect(actions.indexOf(given[0]!)).toBeGreaterThan(actions.findIndex((action) => action.api === 's3:PutObjectTagging'));
  });

  it('names the tags the record gave up when the step throws after its claim (the attempt’s actions, for the incident record)', async () => {
    const claims = new InMemoryS3ObjectClaims();
    const unversioned = scanIncident((event) => delete event.detail.s3ObjectDetails['versionId']);
    const object = givenObjectWithReleaseWrites([], { holdReleaseWrites: false });
    s3Mock.on(HeadObjectCommand).resolves({ ETag: `"${ETAG}"`, ContentLength: 1024 });
    for (let upload = 0; upload < 32; upload += 1) {
      object.state.tags = Array.from({ length: 10 }, (_, index) => ({ Key: `owner-${index}`, Value: `upload-${upload}` }));
      await quarantineWith(unversioned, claims, minutes(upload));
    }
    object.state.tags = Array.from({ length: 10 }, (_, index) => ({ Key: `owner-${index}`, Value: 'upload-32' }));
    s3Mock.on(PutObjectTaggingCommand).rejects(Object.assign(new Error('slow down'), { name: 'SlowDown' }));
    const attempt = await runAttempt(() => quarantineWith(unversioned, claims, minutes(32)), () => minutes(32));
    expect(attempt.ok).toBe(false);
    // The record gave them up at the claim, before the write failed: the attempt's actions are the only place left that names them.
    const given = attempt.ok ? [] : attempt.actions.filter((action) => action.api === 'firebreak:set-aside-tag' && action.outcome === 'skipped');
    expect(given).toHaveLength(64);
  });
});
