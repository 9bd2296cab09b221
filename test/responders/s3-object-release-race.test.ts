/**
 * Review of session 22 (S3 object tags): the object's tags are its only state, and S3 writes tags
 * unconditionally. Incident A's release-s3-object reads the tags (infected, naming A); incident B's
 * quarantine-s3-object reads them (infected, naming A), tags the object infected for B and answers
 * `tagged`; then A's release writes back the owner's tags it read, without the infected tag. B's
 * incident counted the object contained while nothing blocked it.
 *
 * The S3 here keeps the tags between calls (one object version), and A's write is held until the
 * test lets it go: after B's tag write, while B waits out the window in which a release that read
 * before that write may still write.
 */
import { DeleteObjectTaggingCommand, GetObjectTaggingCommand, HeadObjectCommand, PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import type { Tag } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseEvent } from '../../lib/incident/parse';
import type { Incident } from '../../lib/incident/model';
import { silentLogger } from '../../lib/responders/logging';
import { InMemoryQuarantineCopyRecords } from '../../lib/responders/quarantine-copy-records';
import type { QuarantineS3ObjectDeps } from '../../lib/responders/quarantine-s3-object';
import { RELEASE_WRITE_WINDOW_MS, quarantineS3Object, quarantineS3ObjectOptionsSchema } from '../../lib/responders/quarantine-s3-object';
import { releaseS3Object } from '../../lib/responders/release-s3-object';
import { malwareObjectGrantTarget } from '../../lib/responders/s3-malware-object';
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

/**
 * One object version whose tags S3 keeps between calls. A write whose tag set is not infected (a
 * release's) waits for `letReleaseWrite` before it lands, as a release Lambda paused between its read and its write.
 */
function givenObjectHeldBy(tags: Tag[]) {
  const state = { tags: [...tags] };
  let letGo!: () => void;
  const released = new Promise<void>((resolve) => (letGo = resolve));
  let reached!: () => void;
  const releaseWriteReached = new Promise<void>((resolve) => (reached = resolve));
  const land = async (next: Tag[]) => {
    if (!isInfected(next)) {
      reached();
      await released;
    }
    state.tags = next;
    return { VersionId: VERSION };
  };
  s3Mock.on(HeadObjectCommand).resolves({ ETag: `"${ETAG}"`, ContentLength: 1024, VersionId: VERSION });
  s3Mock.on(GetObjectTaggingCommand).callsFake(async () => ({ TagSet: [...state.tags] }));
  s3Mock.on(PutObjectTaggingCommand).callsFake(async (input: { Tagging: { TagSet: Tag[] } }) => land([...input.Tagging.TagSet]));
  s3Mock.on(DeleteObjectTaggingCommand).callsFake(async () => land([]));
  return { state, releaseWriteReached, letReleaseWrite: letGo };
}

function releaseOf(incident: Incident) {
  const grants = storeGranting(incident, NOW, { instanceId: malwareObjectGrantTarget(incident)!, kind: 'release', playbook: 'release-s3-object' });
  return releaseS3Object(
    { incident, mode: 'enforce', options: {}, execution: EXECUTION },
    { clients, logger: silentLogger, grants, environment: { ...ENFORCE, ...playbookStepsEnvironment({}, OBJECT_PLAYBOOKS) }, now: () => NOW },
  );
}

function quarantineOf(incident: Incident, extra: Partial<QuarantineS3ObjectDeps> = {}) {
  const grants = storeGranting(incident, NOW, { instanceId: malwareObjectGrantTarget(incident)!, playbook: 's3-object-with-threats' });
  return quarantineS3Object(
    { incident, mode: 'enforce', options: quarantineS3ObjectOptionsSchema.parse({}), execution: EXECUTION },
    {
      clients,
      logger: silentLogger,
      grants,
      copies: new InMemoryQuarantineCopyRecords(),
      environment: { ...ENFORCE, ...playbookStepsEnvironment({}, OBJECT_PLAYBOOKS) },
      now: () => NOW,
      ...extra,
    },
  );
}

beforeEach(() => s3Mock.reset());

/**
 * A's release reads the tags and is paused before its write; `quarantined`'s quarantine reads the
 * same tags and writes (or finds) its own; A's write lands while the quarantine waits out the window.
 */
async function raceReleaseOfA(quarantined: Incident, tags: Tag[] = [OWNER, ...infectedFor(A)]) {
  const object = givenObjectHeldBy(tags);
  const releasing = releaseOf(A);
  await object.releaseWriteReached;
  const waits: number[] = [];
  const contained = await quarantineOf(quarantined, {
    wait: async (ms) => {
      waits.push(ms);
      object.letReleaseWrite();
      await releasing;
    },
  });
  object.letReleaseWrite();
  return { object, contained, released: await releasing, waits };
}

describe('a quarantine of an object while a release of it runs', () => {
  it('re-tags an object it found tagged (a rescan: the same incident) once the release that read the tags before it took them off', async () => {
    const { object, contained, released, waits } = await raceReleaseOfA(A);
    expect(released.status).toBe('untagged');
    // Before: `already-tagged` (contained, a replay), and the object left with the owner's tag only.
    expect(contained).toMatchObject({ status: 'tagged', idempotentReplay: false });
    expect(object.state.tags).toEqual([OWNER, ...infectedFor(A)]);
    expect(waits).toEqual([RELEASE_WRITE_WINDOW_MS]);
    expect(inputsOf(s3Mock, GetObjectTaggingCommand)).toEqual([OBJECT, OBJECT, OBJECT]); // the release's, the quarantine's, its read after the wait
    // As sent: A's release (the owner's tags it read; it lands only while the quarantine waits), the quarantine's tags again.
    expect(inputsOf(s3Mock, PutObjectTaggingCommand)).toEqual([
      { ...OBJECT, Tagging: { TagSet: [OWNER] } },
      { ...OBJECT, Tagging: { TagSet: [OWNER, ...infectedFor(A)] } },
    ]);
    expect(contained.actions).toContainEqual(
      expect.objectContaining({ api: 's3:PutObjectTagging', outcome: 'done', detail: expect.stringContaining(`The infected tag was taken off while this step waited (by a release of incident ${A.key}`) }),
    );
  });

  it('re-tags an object another incident had tagged, once that incident’s release, which read the tags before this step wrote, wrote the owner’s tags back', async () => {
    expect(A.key).not.toBe(B.key);
    const { object, contained, released, waits } = await raceReleaseOfA(B);
    expect(released.status).toBe('untagged');
    // Before: `tagged`, and the object left with the owner's tag only.
    expect(contained.status).toBe('tagged');
    expect(object.state.tags).toEqual([OWNER, ...infectedFor(B)]);
    expect(waits).toEqual([RELEASE_WRITE_WINDOW_MS]);
    // Every tag write, as sent: A's release (the owner's tags it read; it lands only while B waits), B's tags, B's tags again.
    expect(inputsOf(s3Mock, PutObjectTaggingCommand)).toEqual([
      { ...OBJECT, Tagging: { TagSet: [OWNER] } },
      { ...OBJECT, Tagging: { TagSet: [OWNER, ...infectedFor(B)] } },
      { ...OBJECT, Tagging: { TagSet: [OWNER, ...infectedFor(B)] } },
    ]);
  });

  it('writes nothing more when the tags are still infected after the wait (no release ran), and answers as before', async () => {
    const object = givenObjectHeldBy([OWNER, ...infectedFor(A)]);
    const waits: number[] = [];
    const contained = await quarantineOf(A, { wait: async (ms) => void waits.push(ms) });
    expect(contained).toMatchObject({ status: 'already-tagged', idempotentReplay: true });
    expect(waits).toEqual([RELEASE_WRITE_WINDOW_MS]);
    expect(inputsOf(s3Mock, GetObjectTaggingCommand)).toEqual([OBJECT, OBJECT]);
    expect(s3Mock.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
    expect(object.state.tags).toEqual([OWNER, ...infectedFor(A)]);
  });

  it('does not count the object contained when the owner’s tags leave no room to tag it again', async () => {
    const object = givenObjectHeldBy([OWNER, ...infectedFor(A)]);
    const crowded = Array.from({ length: 9 }, (_, index) => ({ Key: `owner-${index}`, Value: 'x' }));
    const contained = await quarantineOf(A, {
      wait: async () => {
        object.state.tags = crowded;
      },
    });
    expect(contained).toMatchObject({ status: 'refused', refusal: { code: 'no-room-for-tags', reason: expect.stringContaining('The infected tag was taken off while this step waited') } });
    expect(s3Mock.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
  });

  it('waits for nothing when the object was not tagged infected when read (no release can undo a tag it never read), nor in dry-run', async () => {
    givenObjectHeldBy([OWNER]);
    const waits: number[] = [];
    expect((await quarantineOf(A, { wait: async (ms) => void waits.push(ms) })).status).toBe('tagged');
    expect(inputsOf(s3Mock, GetObjectTaggingCommand)).toEqual([OBJECT]);
    s3Mock.reset();
    givenObjectHeldBy([OWNER, ...infectedFor(B)]);
    const dryRun = await quarantineOf(A, { wait: async (ms) => void waits.push(ms), environment: { FIREBREAK_MODE: 'dry-run', ...playbookStepsEnvironment({}, OBJECT_PLAYBOOKS) } });
    expect(dryRun.status).toBe('dry-run');
    expect(waits).toEqual([]);
    expect(s3Mock.commandCalls(PutObjectTaggingCommand)).toHaveLength(0);
  });
});
