/**
 * quarantine-s3-object and release-s3-object with exact inputs (aws-sdk-client-mock): the exact
 * scanned version tagged with the owner's tags kept, the quarantine copy of that version only,
 * nothing for other result statuses, refusals before any write (no grant, another object's grant,
 * forged input, replaced object, game-day target, no room for tags, S3's 403 for the object), the
 * copy made once and never over anything (If-None-Match; a retried step reads its record first, as
 * it cannot always read the copy), no write in dry-run (S3 has no DryRun), idempotent redelivery,
 * and a release that takes off only this incident's tags.
 */
import {
  CopyObjectCommand,
  DeleteObjectTaggingCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEvent } from '../../lib/incident/parse';
import type { Incident } from '../../lib/incident/model';
import type { ResponderMode } from '../../lib/contracts/responder-mode';
import { silentLogger } from '../../lib/responders/logging';
import { quarantineS3Object, quarantineS3ObjectOptionsSchema } from '../../lib/responders/quarantine-s3-object';
import type { QuarantineCopyRecord } from '../../lib/responders/quarantine-copy-records';
import { InMemoryQuarantineCopyRecords } from '../../lib/responders/quarantine-copy-records';
import { InMemoryS3ObjectClaims } from '../../lib/responders/s3-object-claims';
import { TransientResponderError } from '../../lib/contracts/responder-errors';
import { releaseS3Object } from '../../lib/responders/release-s3-object';
import { copySourceOf, malwareObjectGrantTarget, planInfectedTags, planQuarantineCopy, planRestore, planUntag, scannedObjectOf } from '../../lib/responders/s3-malware-object';
import { EXECUTION, paused, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { clone, fixtureEvent } from '../incident/events';
import { inputsOf, sdkError } from './quarantine-fixtures';
import { ACCOUNT, BUCKET, ENFORCE, ETAG, KEY, NOW, VERSION, clients, s3Mock } from './s3-object-fixtures';

/** The playbooks of the grants below: each has a step of the responder under test (FIREBREAK_PLAYBOOK_STEPS). */
const OBJECT_PLAYBOOKS = ['compromised-ec2-instance', 's3-object-with-threats', 'release-s3-object'];

interface ScanEvent {
  detail: { s3ObjectDetails: Record<string, unknown> };
}

function scanIncident(edit: (event: ScanEvent) => void = () => {}): Incident {
  const event = clone(fixtureEvent('guardduty-malware-protection-s3-threats-found.json')) as ScanEvent;
  edit(event);
  return parseEvent(event, { receivedAt: NOW });
}

const THREATS = scanIncident();

/** The one CopyObject of the scanned object into its own bucket's quarantine prefix (the exact input). */
const COPY_IN_PLACE = {
  Bucket: BUCKET,
  Key: `firebreak-quarantine/${KEY}`,
  CopySource: `${BUCKET}/incoming%2F2026%2F03%2Finvoice-4471.pdf?versionId=${encodeURIComponent(VERSION)}`,
  CopySourceIfMatch: `"${ETAG}"`,
  ExpectedSourceBucketOwner: ACCOUNT,
  ExpectedBucketOwner: ACCOUNT,
  MetadataDirective: 'COPY',
  TaggingDirective: 'REPLACE',
  Tagging: `firebreak%3Amalware-scan=threats-found&firebreak%3Aincident=${THREATS.key}`,
  // Only where nothing is yet: whatever is at the key (an earlier copy, anyone's object) is never overwritten.
  IfNoneMatch: '*',
};
/** A quarantine bucket in another account: Firebreak's roles may write there, not read. */
const QUARANTINE_BUCKET = { bucket: 'acme-quarantine', bucketOwner: '999988887777' };
const QUARANTINE_BUCKET_OPTIONS = QUARANTINE_BUCKET;
const COPY_KEY_ACROSS = `firebreak-quarantine/${ACCOUNT}/${BUCKET}/${KEY}`;
const COPY_ACROSS = { ...COPY_IN_PLACE, Bucket: 'acme-quarantine', Key: COPY_KEY_ACROSS, ExpectedBucketOwner: '999988887777' };
/** The upload's own key beside it, where the copy goes when COPY_KEY_ACROSS is taken (row 16zg). */
const OWN_KEY_ACROSS = `firebreak-quarantine/${ACCOUNT}/${BUCKET}~${encodeURIComponent(VERSION)}/${KEY}`;
/** This incident's record of its copy across accounts, as the step writes it once CopyObject succeeded. */
const RECORDED_ACROSS: QuarantineCopyRecord = {
  bucket: 'acme-quarantine',
  key: COPY_KEY_ACROSS,
  owner: '999988887777',
  incidentKey: THREATS.key,
  sourceBucket: BUCKET,
  sourceKey: KEY,
  sourceVersionId: VERSION,
  sourceETag: ETAG,
  versionId: 'copy-version-1',
  copiedAt: NOW.toISOString(),
};
const TAGGED = [
  { Key: 'firebreak:malware-scan', Value: 'threats-found' },
  { Key: 'firebreak:incident', Value: THREATS.key },
];

function quarantine(
  incident: Incident,
  options: Record<string, unknown> = {},
  extra: { mode?: ResponderMode; env?: Record<string, string>; grants?: ReturnType<typeof storeGranting>; copies?: InMemoryQuarantineCopyRecords; claims?: InMemoryS3ObjectClaims } = {},
) {
  const grants = extra.grants ?? storeGranting(incident, NOW, { instanceId: malwareObjectGrantTarget(incident) ?? 'none', playbook: 's3-object-with-threats' });
  return quarantineS3Object(
    { incident, mode: extra.mode ?? 'enforce', options: quarantineS3ObjectOptionsSchema.parse(options), execution: EXECUTION },
    {
      clients,
      logger: silentLogger,
      grants,
      copies: extra.copies ?? new InMemoryQuarantineCopyRecords(),
      // The version's claims (s3-object-release-race.test.ts proves what they are for; s3-object-claims.test.ts their DynamoDB calls).
      claims: extra.claims ?? new InMemoryS3ObjectClaims(),
      environment: { ...(extra.env ?? ENFORCE), ...playbookStepsEnvironment(options, OBJECT_PLAYBOOKS) },
      now: () => NOW,
    },
  );
}

/** Every S3 call the responder made, in order: the command and its exact input. */
function s3Calls(): [string, unknown][] {
  return s3Mock.calls().map((call) => [(call.args[0] as { constructor: { name: string } }).constructor.name, (call.args[0] as { input: unknown }).input]);
}
const READ_OBJECT: [string, unknown][] = [
  ['HeadObjectCommand', { Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT }],
  ['GetObjectTaggingCommand', { Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT }],
];
const TAG_OBJECT: [string, unknown] = [
  'PutObjectTaggingCommand',
  { Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT, Tagging: { TagSet: [{ Key: 'owner', Value: 'billing' }, { Key: 'firebreak:malware-scan', Value: 'threats-found' }, { Key: 'firebreak:incident', Value: THREATS.key }] } },
];

function givenObject(tags: { Key: string; Value: string }[] = [{ Key: 'owner', Value: 'billing' }], eTag = ETAG, size = 1024): void {
  s3Mock.on(HeadObjectCommand).resolves({ ETag: `"${eTag}"`, ContentLength: size, VersionId: VERSION });
  s3Mock.on(GetObjectTaggingCommand).resolves({ TagSet: tags });
  s3Mock.on(PutObjectTaggingCommand).resolves({ VersionId: VERSION });
  s3Mock.on(CopyObjectCommand).resolves({ VersionId: 'copy-version-1' });
}

function writes(): number {
  return [PutObjectTaggingCommand, CopyObjectCommand, DeleteObjectTaggingCommand].reduce((sum, command) => sum + s3Mock.commandCalls(command as never).length, 0);
}

beforeEach(() => s3Mock.reset());
afterEach(() => s3Mock.reset());

describe('malwareObjectGrantTarget', () => {
  it('ATTACK (review-15l): two objects whose version id and key split a "/" differently name two targets, never one blast-radius hold', () => {
    // S3 version ids are opaque (up to 1,024 bytes, URL-ready: https://docs.aws.amazon.com/AmazonS3/latest/userguide/versioning-workflows.html),
    // and the parser lets "/" through; the key follows the version in the target.
    const split = (versionId: string, objectKey: string) =>
      scanIncident((event) => {
        event.detail.s3ObjectDetails.versionId = versionId;
        event.detail.s3ObjectDetails.objectKey = objectKey;
      });
    const one = split('Rb4kBsH0/hZ6bB', 'payload.exe');
    const other = split('Rb4kBsH0', 'hZ6bB/payload.exe');
    expect(scannedObjectOf(one).object).toMatchObject({ versionId: 'Rb4kBsH0/hZ6bB', key: 'payload.exe' });
    expect(scannedObjectOf(other).object).toMatchObject({ versionId: 'Rb4kBsH0', key: 'hZ6bB/payload.exe' });
    expect(malwareObjectGrantTarget(one)).not.toBe(malwareObjectGrantTarget(other));
    // A scan result that names no version is the one version `null` (s3-object-claims.ts, keptVersionId), as before.
    const unnamed = scanIncident((event) => {
      delete event.detail.s3ObjectDetails.versionId;
    });
    const named = scanIncident((event) => {
      event.detail.s3ObjectDetails.versionId = 'null';
    });
    expect(malwareObjectGrantTarget(unnamed)).toBe(malwareObjectGrantTarget(named));
    expect(malwareObjectGrantTarget(THREATS)).toBe(`s3://${ACCOUNT}/${BUCKET}/${VERSION}/${KEY}`);
  });
});

describe('scannedObjectOf', () => {
  it('reads the exact bucket, key, version and ETag of a parsed scan result', () => {
    expect(scannedObjectOf(THREATS).object).toEqual({
      account: ACCOUNT,
      region: 'eu-west-1',
      bucketName: BUCKET,
      key: KEY,
      versionId: VERSION,
      eTag: ETAG,
      resultStatus: 'THREATS_FOUND',
      threatNames: ['EICAR-Test-File (not a virus)'],
    });
  });

  it('refuses an input whose object entry was forged into something S3 would not take', () => {
    const forged = { ...THREATS, affected: [{ kind: 's3-object', from: 'x', bucketName: 'Not_A_Bucket', key: { untrusted: KEY } }] } as unknown as Incident;
    expect(scannedObjectOf(forged).object).toBeUndefined();
    const twoObjects = { ...THREATS, affected: [...THREATS.affected!, { ...THREATS.affected![0]!, bucketName: 'other-bucket' }] } as Incident;
    expect(scannedObjectOf(twoObjects)).toEqual({ reason: 'the scan result names 2 S3 objects, not one' });
    const elsewhere = { ...THREATS, affected: [{ ...THREATS.affected![0]!, account: '444455556666' }] } as Incident;
    expect(scannedObjectOf(elsewhere).object).toBeUndefined();
  });

  it('grants name the account, bucket, version and key, so one object’s grant never clears another', () => {
    expect(malwareObjectGrantTarget(THREATS)).toBe(`s3://${ACCOUNT}/${BUCKET}/${VERSION}/${KEY}`);
    const other = scanIncident((event) => (event.detail.s3ObjectDetails.objectKey = 'incoming/other.pdf'));
    expect(malwareObjectGrantTarget(other)).not.toBe(malwareObjectGrantTarget(THREATS));
  });
});

describe('planInfectedTags / planUntag / planQuarantineCopy', () => {
  it('keeps the owner’s tags, setting none aside while there is room', () => {
    expect(planInfectedTags([{ Key: 'owner', Value: 'x' }], 'k')).toEqual({
      kind: 'tag',
      tagSet: [{ Key: 'owner', Value: 'x' }, { Key: 'firebreak:malware-scan', Value: 'threats-found' }, { Key: 'firebreak:incident', Value: 'k' }],
      setAside: [],
      left: [{ Key: 'owner', Value: 'x' }],
    });
    const eight = Array.from({ length: 8 }, (_, i) => ({ Key: `t${i}`, Value: 'v' }));
    expect(planInfectedTags(eight, 'k')).toMatchObject({ kind: 'tag', setAside: [], left: eight });
  });

  it('ATTACK (s3-tag-room): makes room when the owner’s tags leave none, setting aside just as many as it needs, the last ones in key order, never the game-day opt-in', () => {
    // The uploader's order is not key order: the plan sorts (UTF-16 code units), the tags left keep their order.
    const ten = ['t3', 't9', 't0', 't8', 't1', 't2', 't4', 't5', 't6', 't7'].map((Key) => ({ Key, Value: `v-${Key}` }));
    const plan = planInfectedTags(ten, 'k');
    expect(plan).toEqual({
      kind: 'tag',
      tagSet: [...ten.filter((tag) => tag.Key !== 't8' && tag.Key !== 't9'), { Key: 'firebreak:malware-scan', Value: 'threats-found' }, { Key: 'firebreak:incident', Value: 'k' }],
      setAside: [{ Key: 't8', Value: 'v-t8' }, { Key: 't9', Value: 'v-t9' }],
      left: ten.filter((tag) => tag.Key !== 't8' && tag.Key !== 't9'),
    });
    expect(planInfectedTags(ten.slice(0, 9), 'k')).toMatchObject({ setAside: [{ Key: 't9', Value: 'v-t9' }] });
    // Another incident's marker is replaced, not counted: 8 of the owner's and Firebreak's two fit.
    expect(planInfectedTags([...ten.slice(0, 8), TAGGED[0]!, { Key: 'firebreak:incident', Value: 'other' }], 'k')).toMatchObject({ setAside: [] });
    // The game-day opt-in sorts after the others here, and is kept: a drill acts only on an object that carries it.
    const optedIn = [...Array.from({ length: 9 }, (_, i) => ({ Key: `a${i}`, Value: 'v' })), { Key: 'firebreak:gameday-target', Value: 'true' }];
    expect(planInfectedTags(optedIn, 'k')).toMatchObject({ setAside: [{ Key: 'a7', Value: 'v' }, { Key: 'a8', Value: 'v' }] });
  });

  it('ATTACK (review-16n): never sets aside GuardDuty’s own scan-result tag, whatever keys the uploader sorts before it (row 16o)', () => {
    // GuardDuty writes GuardDutyMalwareScanStatus=THREATS_FOUND on the very objects Firebreak quarantines, and AWS's
    // tag-based access control denies reads on it: nine uploader keys that sort before "G" would make it the one set aside.
    const guardDuty = { Key: 'GuardDutyMalwareScanStatus', Value: 'THREATS_FOUND' };
    const nine = Array.from({ length: 9 }, (_, i) => ({ Key: `A${i}`, Value: 'v' }));
    const plan = planInfectedTags([guardDuty, ...nine], 'k');
    expect(plan).toMatchObject({ kind: 'tag', setAside: [{ Key: 'A7', Value: 'v' }, { Key: 'A8', Value: 'v' }] });
    expect(plan.kind === 'tag' && plan.tagSet).toContainEqual(guardDuty);
    // With the game-day opt-in too, both are kept: eight candidates are left, and two at most are needed.
    const optedIn = planInfectedTags([guardDuty, { Key: 'firebreak:gameday-target', Value: 'true' }, ...nine.slice(0, 8)], 'k');
    expect(optedIn).toMatchObject({ kind: 'tag', setAside: [{ Key: 'A6', Value: 'v' }, { Key: 'A7', Value: 'v' }] });
  });

  it('writes set-aside tags back only while the owner’s tags are the ones quarantine left (as a set), never with no record of them', () => {
    const left = [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }];
    const aside = [{ Key: 'z', Value: '9' }];
    expect(planRestore([left[1]!, left[0]!], aside, left)).toEqual({ tagSet: [left[1], left[0], ...aside], restored: aside, kept: [] });
    expect(planRestore(left, [], left)).toEqual({ tagSet: left, restored: [], kept: [] });
    // Changed since: a value, a tag more, a tag less; and no left tags (retired by a later first tagging with room), even on an object with none.
    for (const [now, recorded] of [[[left[0]!, { Key: 'b', Value: 'x' }], left], [[...left, { Key: 'c', Value: '3' }], left], [[left[0]!], left], [[], undefined], [[], []]] as const) {
      expect(planRestore(now, aside, recorded)).toEqual({ tagSet: now, restored: [], kept: aside });
    }
  });

  it('untags only the incident’s own tags', () => {
    expect(planUntag([{ Key: 'owner', Value: 'x' }, ...TAGGED], THREATS.key)).toEqual({ kind: 'untag', tagSet: [{ Key: 'owner', Value: 'x' }] });
    expect(planUntag([{ Key: 'firebreak:incident', Value: 'other' }, TAGGED[0]!], THREATS.key)).toEqual({ kind: 'other-incident', incidentKey: 'other' });
    expect(planUntag([{ Key: 'owner', Value: 'x' }], THREATS.key)).toEqual({ kind: 'not-tagged' });
  });

  it('rewrites nothing once the infected tag is gone: the incident marker alone is left to a person', () => {
    // IAM lets release write the tags only of an object still tagged infected (RetagInfectedObjects, UntagInfectedObjects).
    expect(planUntag([{ Key: 'owner', Value: 'x' }, { Key: 'firebreak:incident', Value: THREATS.key }], THREATS.key)).toEqual({ kind: 'marker-only' });
    expect(planUntag([{ Key: 'firebreak:incident', Value: THREATS.key }, { Key: 'firebreak:malware-scan', Value: 'reviewed' }], THREATS.key)).toEqual({ kind: 'marker-only' });
    expect(planUntag([{ Key: 'firebreak:malware-scan', Value: 'reviewed' }], THREATS.key)).toEqual({ kind: 'not-tagged' });
  });

  it('never copies a quarantine copy again (GuardDuty scans the copy too)', () => {
    const object = scannedObjectOf(THREATS).object!;
    expect(planQuarantineCopy(object, {})).toEqual({ kind: 'copy', bucket: BUCKET, key: `firebreak-quarantine/${KEY}`, owner: ACCOUNT, region: 'eu-west-1' });
    expect(planQuarantineCopy(object, { bucket: 'acme-quarantine', bucketOwner: '999988887777' })).toEqual({
      kind: 'copy',
      bucket: 'acme-quarantine',
      key: `firebreak-quarantine/${ACCOUNT}/${BUCKET}/${KEY}`,
      owner: '999988887777',
      region: 'eu-west-1',
      ownKey: OWN_KEY_ACROSS,
    });
    // The version null's own key names its ETag; an object naming neither has none.
    expect(planQuarantineCopy({ ...object, versionId: 'null' }, QUARANTINE_BUCKET_OPTIONS)).toMatchObject({ ownKey: `firebreak-quarantine/${ACCOUNT}/${BUCKET}~${ETAG}/${KEY}` });
    expect(planQuarantineCopy({ ...object, versionId: undefined, eTag: undefined }, QUARANTINE_BUCKET_OPTIONS)).not.toHaveProperty('ownKey');
    // A quarantine bucket of another Region is written through that Region (row 16zf); the object's own bucket is in its own.
    expect(planQuarantineCopy(object, { bucket: 'acme-quarantine', bucketOwner: '999988887777', bucketRegion: 'us-east-1' })).toMatchObject({ kind: 'copy', region: 'us-east-1' });
    expect(planQuarantineCopy(object, { bucket: BUCKET, bucketOwner: ACCOUNT, bucketRegion: 'us-east-1' })).toMatchObject({ kind: 'copy', region: 'eu-west-1' });
    expect(planQuarantineCopy({ ...object, key: `firebreak-quarantine/${KEY}` }, {}).kind).toBe('skip');
    expect(planQuarantineCopy({ ...object, bucketName: 'acme-quarantine', key: `firebreak-quarantine/${ACCOUNT}/${BUCKET}/${KEY}` }, { bucket: 'acme-quarantine', bucketOwner: ACCOUNT }).kind).toBe('skip');
    expect(planQuarantineCopy({ ...object, key: 'k'.repeat(1010) }, {}).kind).toBe('skip');
  });

  it('ATTACK: a key an uploader chose cannot make the copy read another version, object or bucket', () => {
    // `?versionId=` would pick another version, `#` would cut the key, `../` would climb to another
    // bucket if CopySource were a path: every character of the key is encoded, `/` included.
    const key = '../../payroll/ledger.csv?versionId=old#x%2F';
    expect(copySourceOf({ bucketName: BUCKET, key, versionId: VERSION })).toBe(`${BUCKET}/..%2F..%2Fpayroll%2Fledger.csv%3FversionId%3Dold%23x%252F?versionId=${encodeURIComponent(VERSION)}`);
    expect(decodeURIComponent(copySourceOf({ bucketName: BUCKET, key }).slice(BUCKET.length + 1))).toBe(key);
  });
});

describe('quarantineS3Object', () => {
  it('tags the exact scanned version, keeping the owner’s tags, naming the bucket owner on every call', async () => {
    givenObject();
    const result = await quarantine(THREATS);
    expect(result).toMatchObject({ status: 'tagged', mode: 'enforce', bucket: BUCKET, key: { untrusted: KEY }, versionId: VERSION, idempotentReplay: false });
    expect(inputsOf(s3Mock, HeadObjectCommand)).toEqual([{ Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT }]);
    expect(inputsOf(s3Mock, GetObjectTaggingCommand)).toEqual([{ Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT }]);
    expect(inputsOf(s3Mock, PutObjectTaggingCommand)).toEqual([
      { Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT, Tagging: { TagSet: [{ Key: 'owner', Value: 'billing' }, ...TAGGED] } },
    ]);
    expect(s3Mock.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });

  it('copies that version under firebreak-quarantine/ in its own bucket, only if the content is still the scanned one and nothing is at the key yet', async () => {
    givenObject();
    const copies = new InMemoryQuarantineCopyRecords();
    const result = await quarantine(THREATS, { quarantineCopy: {} }, { copies });
    expect(result.quarantineCopy).toEqual({ bucket: BUCKET, key: { untrusted: `firebreak-quarantine/${KEY}` }, versionId: 'copy-version-1', status: 'copied' });
    // No read of the copy's key first: without s3:ListBucket S3 answers 403 for a missing key, which says nothing; the copy itself is conditional.
    expect(s3Calls()).toEqual([...READ_OBJECT, TAG_OBJECT, ['CopyObjectCommand', COPY_IN_PLACE]]);
    expect([...copies.records.values()]).toEqual([{ ...RECORDED_ACROSS, bucket: BUCKET, key: `firebreak-quarantine/${KEY}`, owner: ACCOUNT }]);
  });

  it('copies to a quarantine bucket of another account under the source account and bucket, and records the copy', async () => {
    givenObject();
    const copies = new InMemoryQuarantineCopyRecords();
    const result = await quarantine(THREATS, { quarantineCopy: QUARANTINE_BUCKET }, { copies });
    expect(result.quarantineCopy).toEqual({ bucket: 'acme-quarantine', key: { untrusted: COPY_KEY_ACROSS }, versionId: 'copy-version-1', status: 'copied' });
    expect(s3Calls()).toEqual([...READ_OBJECT, TAG_OBJECT, ['CopyObjectCommand', COPY_ACROSS]]);
    expect([...copies.records.values()]).toEqual([RECORDED_ACROSS]);
  });

  it('is idempotent on redelivery: tags and copy already there (its record), no write', async () => {
    givenObject([{ Key: 'owner', Value: 'billing' }, ...TAGGED]);
    const copies = new InMemoryQuarantineCopyRecords();
    await copies.put({ ...RECORDED_ACROSS, bucket: BUCKET, key: `firebreak-quarantine/${KEY}`, owner: ACCOUNT });
    // The first delivery's run claimed the version before it tagged it.
    const claims = new InMemoryS3ObjectClaims();
    await claims.claim(scannedObjectOf(THREATS).object!, THREATS.key, NOW.toISOString(), true);
    const result = await quarantine(THREATS, { quarantineCopy: {} }, { copies, claims });
    expect(result).toMatchObject({ status: 'already-tagged', idempotentReplay: true, quarantineCopy: { status: 'already-copied', versionId: 'copy-version-1' } });
    expect(writes()).toBe(0);
  });

  it('makes no write in dry-run (S3 has no DryRun parameter) and says so', async () => {
    givenObject();
    const copies = new InMemoryQuarantineCopyRecords();
    const result = await quarantine(THREATS, { quarantineCopy: {} }, { mode: 'enforce', env: { FIREBREAK_MODE: 'dry-run' }, copies });
    expect(copies.records.size).toBe(0);
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', quarantineCopy: { status: 'would-copy' } });
    expect(writes()).toBe(0);
    expect(result.actions.filter((a) => a.outcome === 'would-do').map((a) => a.detail)).toEqual([
      expect.stringContaining('cannot dry-run: S3 has no DryRun parameter'),
      expect.stringContaining('cannot dry-run: S3 has no DryRun parameter'),
    ]);
  });

  it('stays dry-run under a dry-run grant, even when its input and the deployment say enforce: no write', async () => {
    givenObject();
    s3Mock.on(HeadObjectCommand, { Bucket: BUCKET, Key: `firebreak-quarantine/${KEY}` }).rejects(sdkError('NotFound', 404));
    // The guard cleared this execution for dry-run only (its playbook says mode: dry-run, or it was started in dry-run).
    const grants = storeGranting(THREATS, NOW, { instanceId: malwareObjectGrantTarget(THREATS)!, playbook: 's3-object-with-threats', mode: 'dry-run' });
    const result = await quarantine(THREATS, { quarantineCopy: {} }, { mode: 'enforce', env: ENFORCE, grants });
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('dry-run only') } });
    expect(writes()).toBe(0);
  });

  it('under the emergency pause, an enforce grant written before it clears dry-run only: no write (review-pause: a direct replay tried, held)', async () => {
    givenObject();
    s3Mock.on(HeadObjectCommand, { Bucket: BUCKET, Key: `firebreak-quarantine/${KEY}` }).rejects(sdkError('NotFound', 404));
    const grants = paused(storeGranting(THREATS, NOW, { instanceId: malwareObjectGrantTarget(THREATS)!, playbook: 's3-object-with-threats' }));
    const result = await quarantine(THREATS, { quarantineCopy: {} }, { mode: 'enforce', env: ENFORCE, grants });
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('Firebreak is PAUSED') } });
    expect(writes()).toBe(0);
  });

  it('changes nothing for a scan without threats, before any call', async () => {
    const clean = parseEvent(fixtureEvent('guardduty-malware-protection-s3-no-threats-found.json'), { receivedAt: NOW });
    const result = await quarantine(clean);
    expect(result.status).toBe('no-threats');
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('refuses without a grant for this very object (another object’s grant, or none), before any call', async () => {
    const other = scanIncident((event) => (event.detail.s3ObjectDetails.objectKey = 'incoming/other.pdf'));
    const grants = storeGranting(THREATS, NOW, { instanceId: malwareObjectGrantTarget(other)! });
    const mismatch = await quarantine(THREATS, {}, { grants });
    expect(mismatch).toMatchObject({ status: 'refused', refusal: { code: 'mismatch' } });
    const none = await quarantineS3Object(
      { incident: THREATS, mode: 'enforce', options: quarantineS3ObjectOptionsSchema.parse({}) },
      { clients, logger: silentLogger, grants: storeGranting(THREATS, NOW), copies: new InMemoryQuarantineCopyRecords(), claims: new InMemoryS3ObjectClaims(), environment: ENFORCE, now: () => NOW },
    );
    expect(none).toMatchObject({ status: 'refused', refusal: { code: 'no-execution' } });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('ATTACK (review-15l): an input naming no version never tags the version S3 keeps as current, which its blast-radius hold (the one version null) does not name', async () => {
    // Its target is the one version `null` (malwareObjectGrantTarget, keptVersionId), the hold an
    // incident about that version holds; in a bucket with versioning, S3 answers a request naming no
    // version with the current version, another object.
    const unnamed = scanIncident((event) => {
      delete event.detail.s3ObjectDetails.versionId;
      delete event.detail.s3ObjectDetails.eTag;
    });
    const named = scanIncident((event) => {
      event.detail.s3ObjectDetails.versionId = 'null';
    });
    expect(malwareObjectGrantTarget(unnamed)).toBe(malwareObjectGrantTarget(named));
    givenObject(undefined, ETAG);
    const result = await quarantine(unnamed);
    expect(result).toMatchObject({ status: 'refused', refusal: { code: 'version-not-named', reason: expect.stringContaining(`the current one is ${VERSION}`) } });
    expect(writes()).toBe(0);
    // The one version null (a bucket never versioned: no version id; suspended: `null`) is tagged as before.
    for (const answered of [undefined, 'null']) {
      s3Mock.reset();
      givenObject();
      s3Mock.on(HeadObjectCommand).resolves({ ETag: `"${ETAG}"`, ContentLength: 1024, ...(answered !== undefined ? { VersionId: answered } : {}) });
      expect((await quarantine(unnamed)).status).toBe('tagged');
    }
  });

  it('refuses an object replaced since the scan (another ETag) and one that is gone', async () => {
    const unversioned = scanIncident((event) => delete event.detail.s3ObjectDetails.versionId);
    givenObject(undefined, 'ffffffffffffffffffffffffffffffff');
    expect((await quarantine(unversioned)).status).toBe('changed');
    expect(inputsOf(s3Mock, HeadObjectCommand)).toEqual([{ Bucket: BUCKET, Key: KEY, ExpectedBucketOwner: ACCOUNT }]);
    s3Mock.reset();
    s3Mock.on(HeadObjectCommand).rejects(sdkError('NotFound', 404));
    expect((await quarantine(THREATS)).status).toBe('not-found');
    expect(writes()).toBe(0);
  });

  it('refuses, reading and writing nothing more, when S3 answers 403 to HeadObject of the scanned object: deleted since the scan, or denied', async () => {
    s3Mock.on(HeadObjectCommand).rejects(sdkError('Unknown', 403));
    const result = await quarantine(THREATS, { quarantineCopy: {} });
    expect(result).toMatchObject({ status: 'refused', refusal: { code: 'head-object-forbidden' } });
    expect(result.refusal?.reason).toContain('deleted since the scan');
    expect(result.refusal?.reason).toContain('s3:ListBucket');
    expect(result.refusal?.reason).toContain('access to it is denied');
    expect(result.actions.find((a) => a.api === 's3:HeadObject')).toMatchObject({ outcome: 'skipped' });
    expect(inputsOf(s3Mock, HeadObjectCommand)).toEqual([{ Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT }]);
    expect(s3Mock.calls()).toHaveLength(1);
  });

  it('lets a game-day incident tag only an object that opted in, read from S3 now', async () => {
    const drill = { ...THREATS, gameDay: true, key: `gameday-${THREATS.key}` };
    givenObject([{ Key: 'owner', Value: 'billing' }]);
    expect(await quarantine(drill)).toMatchObject({ status: 'refused', refusal: { code: 'not-a-gameday-target' } });
    expect(writes()).toBe(0);
    givenObject([{ Key: 'firebreak:gameday-target', Value: 'true' }]);
    expect((await quarantine(drill)).status).toBe('tagged');
  });

  it('ATTACK (review-s3): an upload that carries Firebreak’s tags for its own incident is never reported as Firebreak’s earlier containment', async () => {
    // The incident key is a digest of what the event names (account, Region, bucket, key, version, ETag), all of which the
    // uploader knows: uploaded with firebreak:malware-scan=threats-found and firebreak:incident=<that key>, the object
    // reads "already tagged" to the first run of its incident, whose alert said "(already done by an earlier run: nothing
    // changed)", a duplicate to dismiss, and whose action log said Firebreak had tagged it.
    givenObject([{ Key: 'owner', Value: 'billing' }, ...TAGGED]);
    const claims = new InMemoryS3ObjectClaims();
    const first = await quarantine(THREATS, {}, { claims });
    expect(first).toMatchObject({ status: 'already-tagged', idempotentReplay: false });
    expect(first.actions.find((a) => a.api === 's3:PutObjectTagging')).toMatchObject({ outcome: 'observed', detail: expect.stringContaining('not by Firebreak') });
    expect(first.actions.some((a) => a.outcome === 'already-done')).toBe(false);
    expect(writes()).toBe(0);
  });

  it('ATTACK (review-s3b): a retry or rescan of the run that found the uploader’s tags does not report them as Firebreak’s earlier containment either', async () => {
    // The first run claimed the version, then failed after its claim (the quarantine copy, S3's 500s; a Lambda timeout) or
    // GuardDuty scanned the object again: the state machine's retry, or the rescan, found the claim and answered
    // "Already tagged infected" (`already-done`) and `idempotentReplay: true`, though no run of Firebreak wrote the tags.
    givenObject([{ Key: 'owner', Value: 'billing' }, ...TAGGED]);
    const claims = new InMemoryS3ObjectClaims();
    expect(await quarantine(THREATS, {}, { claims })).toMatchObject({ status: 'already-tagged', idempotentReplay: false });
    for (const run of [await quarantine(THREATS, {}, { claims }), await quarantine(THREATS, {}, { claims })]) {
      expect(run).toMatchObject({ status: 'already-tagged', idempotentReplay: false });
      expect(run.actions.find((a) => a.api === 's3:PutObjectTagging')).toMatchObject({ outcome: 'observed', detail: expect.stringContaining('no run of it wrote them') });
      expect(run.actions.some((a) => a.outcome === 'already-done')).toBe(false);
    }
    expect(writes()).toBe(0);

    // A run of Firebreak that wrote the tags makes its retry a replay, as before (the object untagged, then tagged by the first run).
    s3Mock.reset();
    givenObject([{ Key: 'owner', Value: 'billing' }]);
    const own = new InMemoryS3ObjectClaims();
    expect(await quarantine(THREATS, {}, { claims: own })).toMatchObject({ status: 'tagged' });
    s3Mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'owner', Value: 'billing' }, ...TAGGED] });
    const retry = await quarantine(THREATS, {}, { claims: own });
    expect(retry).toMatchObject({ status: 'already-tagged', idempotentReplay: true });
    expect(retry.actions.find((a) => a.api === 's3:PutObjectTagging')).toMatchObject({ outcome: 'already-done' });
  });


  it('does not copy an object past CopyObject’s 5 GB, but still tags it', async () => {
    givenObject(undefined, ETAG, 6 * 1024 ** 3);
    const result = await quarantine(THREATS, { quarantineCopy: {} });
    expect(result).toMatchObject({ status: 'tagged', quarantineCopy: { status: 'skipped' } });
    expect(s3Mock.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });

  it('rejects a quarantine bucket without its owner at parse time', () => {
    expect(() => quarantineS3ObjectOptionsSchema.parse({ quarantineCopy: { bucket: 'acme-quarantine' } })).toThrow(/bucketOwner/);
    expect(() => quarantineS3ObjectOptionsSchema.parse({ quarantineCopy: { ...QUARANTINE_BUCKET, bucketRegion: 'EU' } })).toThrow(/Region/);
  });

  it('ATTACK (review-s3): sends the copy to a quarantine bucket of another Region through that Region, and every other call through the object’s (row 16zf)', async () => {
    givenObject();
    const targets: { account: string; region: string }[] = [];
    const options = { quarantineCopy: { ...QUARANTINE_BUCKET, bucketRegion: 'us-east-1' } };
    const result = await quarantineS3Object(
      { incident: THREATS, mode: 'enforce', options: quarantineS3ObjectOptionsSchema.parse(options), execution: EXECUTION },
      {
        clients: { s3: async (target) => (targets.push(target), clients.s3()) },
        logger: silentLogger,
        grants: storeGranting(THREATS, NOW, { instanceId: malwareObjectGrantTarget(THREATS)!, playbook: 's3-object-with-threats' }),
        copies: new InMemoryQuarantineCopyRecords(),
        claims: new InMemoryS3ObjectClaims(),
        environment: { ...ENFORCE, ...playbookStepsEnvironment(options, OBJECT_PLAYBOOKS) },
        now: () => NOW,
      },
    );
    expect(result.quarantineCopy).toMatchObject({ status: 'copied', bucket: 'acme-quarantine' });
    // The object's reads and tags in its Region, the copy (the same exact input) in the quarantine bucket's, both as the object's account.
    expect(targets).toEqual([
      { account: ACCOUNT, region: 'eu-west-1' },
      { account: ACCOUNT, region: 'us-east-1' },
    ]);
    expect(s3Calls()).toEqual([...READ_OBJECT, TAG_OBJECT, ['CopyObjectCommand', COPY_ACROSS]]);
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 's3:CopyObject', outcome: 'done', target: expect.stringContaining('in us-east-1') }));
  });
});

describe('the quarantine copy: once, and never over anything', () => {
  /** S3's answer to CopyObject when its If-None-Match (or its CopySourceIfMatch) does not hold. */
  const preconditionFailed = () => sdkError('PreconditionFailed', 412);

  it('copies into a quarantine bucket of another account once: a retried step reads its record, not the copy it cannot read', async () => {
    const copies = new InMemoryQuarantineCopyRecords();
    const claims = new InMemoryS3ObjectClaims();
    givenObject();
    // Firebreak's role may write there, not read: S3 answers 403 to any read of the copy's key.
    s3Mock.on(HeadObjectCommand, { Bucket: 'acme-quarantine' }).rejects(sdkError('Unknown', 403));
    const first = await quarantine(THREATS, { quarantineCopy: QUARANTINE_BUCKET }, { copies, claims });
    expect(first.quarantineCopy).toMatchObject({ status: 'copied', versionId: 'copy-version-1' });
    expect(s3Calls()).toEqual([...READ_OBJECT, TAG_OBJECT, ['CopyObjectCommand', COPY_ACROSS]]);

    // The step is retried (its answer lost, the Lambda timed out after the copy): the object is tagged by now.
    s3Mock.resetHistory();
    s3Mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'owner', Value: 'billing' }, ...TAGGED] });
    const retry = await quarantine(THREATS, { quarantineCopy: QUARANTINE_BUCKET }, { copies, claims });
    expect(retry).toMatchObject({ status: 'already-tagged', idempotentReplay: true, quarantineCopy: { status: 'already-copied', versionId: 'copy-version-1' } });
    // Every S3 call of the retry: the object read again (its tags twice: found tagged, again after the release window), nothing written, the copy's key not even read.
    expect(s3Calls()).toEqual([...READ_OBJECT, READ_OBJECT[1]!]);
    expect(retry.actions).toContainEqual(expect.objectContaining({ api: 'dynamodb:GetItem', outcome: 'already-done', detail: expect.stringContaining('version copy-version-1') }));
  });

  it('never overwrites what is at the copy key of another account: S3’s 412 there is not taken for its copy, and the original stays tagged', async () => {
    const copies = new InMemoryQuarantineCopyRecords();
    givenObject();
    s3Mock.on(CopyObjectCommand).rejects(preconditionFailed());
    const result = await quarantine(THREATS, { quarantineCopy: QUARANTINE_BUCKET }, { copies });
    expect(result).toMatchObject({ status: 'tagged', quarantineCopy: { bucket: 'acme-quarantine', status: 'not-copied' } });
    expect(result.quarantineCopy?.reason).toContain('not overwritten');
    expect(result.quarantineCopy?.reason).toContain('cannot read');
    // A conditional copy, then one at the upload's own key (row 16zg), no read of a key it cannot read, no record.
    expect(s3Calls()).toEqual([...READ_OBJECT, TAG_OBJECT, ['CopyObjectCommand', COPY_ACROSS], ['CopyObjectCommand', { ...COPY_ACROSS, Key: OWN_KEY_ACROSS }]]);
    expect(copies.records.size).toBe(0);
    expect(result.actions.filter((a) => a.api === 's3:CopyObject').map((a) => a.outcome)).toEqual(['observed', 'skipped']);
  });

  it('names the incident whose recorded copy holds the key', async () => {
    const copies = new InMemoryQuarantineCopyRecords();
    await copies.put({ ...RECORDED_ACROSS, incidentKey: 's3scan-0123456789abcdef0123456789abcdef', sourceVersionId: 'an-earlier-version', sourceETag: 'ffffffffffffffffffffffffffffffff' });
    givenObject();
    s3Mock.on(CopyObjectCommand).rejects(preconditionFailed());
    const result = await quarantine(THREATS, { quarantineCopy: QUARANTINE_BUCKET }, { copies });
    expect(result.quarantineCopy).toMatchObject({ status: 'not-copied' });
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 's3:CopyObject', outcome: 'observed', detail: expect.stringContaining('s3scan-0123456789abcdef0123456789abcdef') }));
    // Another incident's record is no reason to skip the copy: only S3 says whether the key is free (then the upload's own key, row 16zg).
    expect(inputsOf(s3Mock, CopyObjectCommand)).toEqual([COPY_ACROSS, { ...COPY_ACROSS, Key: OWN_KEY_ACROSS }]);
  });

  it('ATTACK (review-s3): an earlier upload’s copy holding the key (a decoy the uploader had scanned first) never keeps a later upload of the key out of the quarantine bucket (row 16zg)', async () => {
    // The uploader of a bucket without versioning uploads a decoy GuardDuty flags (a test file) at the key first: its copy
    // takes firebreak-quarantine/<account>/<bucket>/<key>. Then the real malware, which they overwrite once it is tagged.
    const copies = new InMemoryQuarantineCopyRecords();
    await copies.put({ ...RECORDED_ACROSS, incidentKey: 's3scan-0123456789abcdef0123456789abcdef', sourceVersionId: 'an-earlier-version', sourceETag: 'ffffffffffffffffffffffffffffffff' });
    givenObject();
    s3Mock.on(CopyObjectCommand, { Key: COPY_KEY_ACROSS }).rejects(sdkError('AccessDenied', 403));
    const result = await quarantine(THREATS, { quarantineCopy: QUARANTINE_BUCKET }, { copies });
    // The copy goes to the upload's own key beside it (the bucket directory and its version: no bucket name holds "~").
    const ownKey = `firebreak-quarantine/${ACCOUNT}/${BUCKET}~${encodeURIComponent(VERSION)}/${KEY}`;
    expect(result).toMatchObject({ status: 'tagged', quarantineCopy: { bucket: 'acme-quarantine', key: { untrusted: ownKey }, versionId: 'copy-version-1', status: 'copied' } });
    expect(s3Calls()).toEqual([...READ_OBJECT, TAG_OBJECT, ['CopyObjectCommand', COPY_ACROSS], ['CopyObjectCommand', { ...COPY_ACROSS, Key: ownKey }]]);
    expect(copies.records.size).toBe(2);
    expect(await copies.get({ bucket: 'acme-quarantine', key: ownKey, owner: '999988887777' })).toEqual({ ...RECORDED_ACROSS, key: ownKey });
    // The key taken is said, not listed as something Firebreak did not do: the copy is made.
    expect(result.actions.filter((a) => a.outcome === 'skipped')).toEqual([]);
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 's3:CopyObject', outcome: 'observed', detail: expect.stringContaining('s3scan-0123456789abcdef0123456789abcdef') }));

    // A retry of the step finds its record at the upload's own key: no third copy.
    s3Mock.resetHistory();
    s3Mock.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'owner', Value: 'billing' }, ...TAGGED] });
    const retry = await quarantine(THREATS, { quarantineCopy: QUARANTINE_BUCKET }, { copies, claims: new InMemoryS3ObjectClaims() });
    expect(retry.quarantineCopy).toMatchObject({ status: 'already-copied', key: { untrusted: ownKey } });
    expect(inputsOf(s3Mock, CopyObjectCommand)).toEqual([COPY_ACROSS]);
  });

  it('FIDELITY (review-16v): another account’s bucket refusing AccessDenied where an earlier copy is recorded is the key taken (row 16za); with no record the step still fails', async () => {
    // The documented bucket policy admits a copy's tags only on a key not yet tagged infected: with
    // an earlier copy at the key, S3 refuses the copy's s3:PutObjectTagging before If-None-Match.
    const denied = () => sdkError('AccessDenied', 403);
    const copies = new InMemoryQuarantineCopyRecords();
    await copies.put({ ...RECORDED_ACROSS, incidentKey: 's3scan-0123456789abcdef0123456789abcdef', sourceVersionId: 'an-earlier-version', sourceETag: 'ffffffffffffffffffffffffffffffff' });
    givenObject();
    s3Mock.on(CopyObjectCommand, { Key: COPY_KEY_ACROSS }).rejects(denied());
    const result = await quarantine(THREATS, { quarantineCopy: QUARANTINE_BUCKET }, { copies });
    // Not overwritten, the recorded copy named; the copy made at the upload's own key beside it (row 16zg).
    expect(result).toMatchObject({ status: 'tagged', quarantineCopy: { bucket: 'acme-quarantine', key: { untrusted: OWN_KEY_ACROSS }, status: 'copied' } });
    const taken = result.actions.find((a) => a.api === 's3:CopyObject' && a.outcome === 'observed')?.detail;
    expect(taken).toContain('not overwritten');
    expect(taken).toContain('s3scan-0123456789abcdef0123456789abcdef');
    expect(s3Calls()).toEqual([...READ_OBJECT, TAG_OBJECT, ['CopyObjectCommand', COPY_ACROSS], ['CopyObjectCommand', { ...COPY_ACROSS, Key: OWN_KEY_ACROSS }]]);

    // No record at the key: a bucket without the policy, or a policy that refuses every copy; the step fails, alerted.
    s3Mock.reset();
    givenObject();
    s3Mock.on(CopyObjectCommand).rejects(denied());
    await expect(quarantine(THREATS, { quarantineCopy: QUARANTINE_BUCKET })).rejects.toThrow(/AccessDenied/);
  });

  it('in its own bucket, takes a 412 for its copy only when the scanned content, tagged infected, is at the key', async () => {
    const copyKey = { Bucket: BUCKET, Key: `firebreak-quarantine/${KEY}`, ExpectedBucketOwner: ACCOUNT };
    const cases: [string, { ETag: string }, { Key: string; Value: string }[], string][] = [
      ['the same content, tagged infected (its own copy, whose answer was lost)', { ETag: `"${ETAG}"` }, TAGGED, 'already-copied'],
      ['other content (an earlier version’s copy, an uploader’s object)', { ETag: '"ffffffffffffffffffffffffffffffff"' }, TAGGED, 'not-copied'],
      ['the same content, not tagged infected (an uploader’s object: readable by anyone the bucket lets read)', { ETag: `"${ETAG}"` }, [{ Key: 'owner', Value: 'billing' }], 'not-copied'],
    ];
    for (const [what, head, tags, status] of cases) {
      s3Mock.reset();
      givenObject();
      s3Mock.on(CopyObjectCommand).rejects(preconditionFailed());
      s3Mock.on(HeadObjectCommand, copyKey).resolves({ ...head, ContentLength: 1024 });
      s3Mock.on(GetObjectTaggingCommand, copyKey).resolves({ TagSet: tags });
      const result = await quarantine(THREATS, { quarantineCopy: {} });
      expect(result.quarantineCopy?.status, what).toBe(status);
      expect(s3Calls(), what).toEqual([...READ_OBJECT, TAG_OBJECT, ['CopyObjectCommand', COPY_IN_PLACE], ['HeadObjectCommand', copyKey], ...(head.ETag === `"${ETAG}"` ? [['GetObjectTaggingCommand', copyKey]] : [])]);
      if (status === 'not-copied') expect(result.quarantineCopy?.reason, what).toContain('not overwritten');
    }
  });

  it('in its own bucket, a 412 with the copy key unreadable (403: a bucket policy denying reads of infected objects, or nothing there) is not its copy', async () => {
    givenObject();
    s3Mock.on(CopyObjectCommand).rejects(preconditionFailed());
    s3Mock.on(HeadObjectCommand, { Bucket: BUCKET, Key: `firebreak-quarantine/${KEY}` }).rejects(sdkError('Unknown', 403));
    const result = await quarantine(THREATS, { quarantineCopy: {} });
    expect(result.quarantineCopy).toMatchObject({ status: 'not-copied', reason: expect.stringContaining('403') });
    expect(writes()).toBe(2);
  });

  it('leaves S3’s 409 (another write to the key in progress) to the state machine’s retry', async () => {
    givenObject();
    s3Mock.on(CopyObjectCommand).rejects(sdkError('ConditionalRequestConflict', 409));
    await expect(quarantine(THREATS, { quarantineCopy: QUARANTINE_BUCKET })).rejects.toBeInstanceOf(TransientResponderError);
  });

  it('reports the copy made even when its record cannot be written, saying a retry could not tell', async () => {
    const copies = new InMemoryQuarantineCopyRecords();
    copies.put = async () => {
      throw new TransientResponderError('dynamodb:PutItem failed transiently (ProvisionedThroughputExceededException)');
    };
    givenObject();
    const result = await quarantine(THREATS, { quarantineCopy: QUARANTINE_BUCKET }, { copies });
    expect(result).toMatchObject({ status: 'tagged', quarantineCopy: { status: 'copied', versionId: 'copy-version-1' } });
    expect(result.actions.find((a) => a.api === 'dynamodb:PutItem')).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('not recorded') });
  });

  it('in dry-run, says it would copy (only where nothing is yet), or that its recorded copy is there', async () => {
    givenObject();
    const copies = new InMemoryQuarantineCopyRecords();
    const would = await quarantine(THREATS, { quarantineCopy: QUARANTINE_BUCKET }, { env: { FIREBREAK_MODE: 'dry-run' }, copies });
    expect(would.quarantineCopy).toMatchObject({ status: 'would-copy' });
    expect(s3Calls()).toEqual(READ_OBJECT);
    await copies.put(RECORDED_ACROSS);
    const recorded = await quarantine(THREATS, { quarantineCopy: QUARANTINE_BUCKET }, { env: { FIREBREAK_MODE: 'dry-run' }, copies });
    expect(recorded.quarantineCopy).toMatchObject({ status: 'already-copied', versionId: 'copy-version-1' });
    expect(writes()).toBe(0);
  });
});

describe('releaseS3Object', () => {
  function release(incident: Incident, env: Record<string, string> = ENFORCE) {
    const grants = storeGranting(incident, NOW, { instanceId: malwareObjectGrantTarget(incident)!, kind: 'release', playbook: 'release-s3-object' });
    return releaseS3Object({ incident, mode: 'enforce', options: {}, execution: EXECUTION }, { clients, logger: silentLogger, grants, claims: new InMemoryS3ObjectClaims(), environment: { ...env, ...playbookStepsEnvironment({}, OBJECT_PLAYBOOKS) }, now: () => NOW });
  }

  it('takes off exactly the incident’s tags, keeping the owner’s', async () => {
    givenObject([{ Key: 'owner', Value: 'billing' }, ...TAGGED]);
    expect((await release(THREATS)).status).toBe('untagged');
    expect(inputsOf(s3Mock, PutObjectTaggingCommand)).toEqual([
      { Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT, Tagging: { TagSet: [{ Key: 'owner', Value: 'billing' }] } },
    ]);
  });

  it('deletes the tag set when only Firebreak’s tags were there, and is a no-op the second time', async () => {
    givenObject(TAGGED);
    s3Mock.on(DeleteObjectTaggingCommand).resolves({});
    expect((await release(THREATS)).status).toBe('untagged');
    expect(inputsOf(s3Mock, DeleteObjectTaggingCommand)).toEqual([{ Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT }]);
    givenObject([]);
    expect((await release(THREATS)).status).toBe('not-tagged');
  });

  it('writes nothing when only the incident marker is left (someone took the infected tag off): not tagged, the marker stays', async () => {
    givenObject([{ Key: 'owner', Value: 'billing' }, { Key: 'firebreak:incident', Value: THREATS.key }]);
    const result = await release(THREATS);
    expect(result).toMatchObject({ status: 'not-tagged', idempotentReplay: false });
    expect(result.actions).toContainEqual(expect.objectContaining({ outcome: 'skipped', detail: expect.stringContaining('firebreak:incident marker stays') }));
    expect(writes()).toBe(0);
  });

  it('leaves the tags of another incident, and writes nothing in dry-run', async () => {
    givenObject([{ Key: 'firebreak:incident', Value: 'another' }, TAGGED[0]!]);
    expect(await release(THREATS)).toMatchObject({ status: 'refused', refusal: { code: 'tagged-by-another-incident' } });
    givenObject(TAGGED);
    expect((await release(THREATS, { FIREBREAK_MODE: 'dry-run' })).status).toBe('dry-run');
    expect(writes()).toBe(0);
  });

  it('stays dry-run under a dry-run release grant, even when its input and the deployment say enforce: no write', async () => {
    givenObject([{ Key: 'owner', Value: 'billing' }, ...TAGGED]);
    const grants = storeGranting(THREATS, NOW, { instanceId: malwareObjectGrantTarget(THREATS)!, kind: 'release', playbook: 'release-s3-object', mode: 'dry-run' });
    const result = await releaseS3Object({ incident: THREATS, mode: 'enforce', options: {}, execution: EXECUTION }, { clients, logger: silentLogger, grants, claims: new InMemoryS3ObjectClaims(), environment: { ...ENFORCE, ...playbookStepsEnvironment({}, OBJECT_PLAYBOOKS) }, now: () => NOW });
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce' } });
    expect(writes()).toBe(0);
  });

  it('refuses, writing nothing, when S3 answers 403 to HeadObject of the object', async () => {
    s3Mock.on(HeadObjectCommand).rejects(sdkError('Unknown', 403));
    expect(await release(THREATS)).toMatchObject({ status: 'refused', refusal: { code: 'head-object-forbidden' } });
    expect(inputsOf(s3Mock, HeadObjectCommand)).toEqual([{ Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT }]);
    expect(s3Mock.calls()).toHaveLength(1);
  });

  it('ATTACK (review-s3): a drill’s release never changes a real object: one that does not carry firebreak:gameday-target=true in S3 now', async () => {
    // A release whose incident is a drill (its gameday- key; the approval says [GAME DAY]) on objects that never opted in, or no longer do:
    // one an analyst tagged infected by hand (no marker), and one a drill tagged while it was opted in, back in production since.
    const drill = { ...THREATS, gameDay: true, key: `gameday-${THREATS.key}` };
    const claims = new InMemoryS3ObjectClaims();
    const releaseDrill = () => {
      const grants = storeGranting(drill, NOW, { instanceId: malwareObjectGrantTarget(drill)!, kind: 'release', playbook: 'release-s3-object' });
      return releaseS3Object({ incident: drill, mode: 'enforce', options: {}, execution: EXECUTION }, { clients, logger: silentLogger, grants, claims, environment: { ...ENFORCE, ...playbookStepsEnvironment({}, OBJECT_PLAYBOOKS) }, now: () => NOW });
    };
    for (const tags of [
      [{ Key: 'owner', Value: 'billing' }, TAGGED[0]!],
      [{ Key: 'owner', Value: 'billing' }, TAGGED[0]!, { Key: 'firebreak:incident', Value: drill.key }],
      [{ Key: 'owner', Value: 'billing' }],
    ]) {
      s3Mock.reset();
      givenObject(tags);
      s3Mock.on(DeleteObjectTaggingCommand).resolves({});
      const result = await releaseDrill();
      expect(result).toMatchObject({ status: 'refused', refusal: { code: 'not-a-gameday-target' } });
      expect(result.refusal?.reason).toContain('firebreak:gameday-target=true');
      expect(writes()).toBe(0);
      // Nor is the real object's claims item written (a take-back is a write on its state).
      expect(claims.items.size).toBe(0);
    }
    // An object that opted in is released as any other.
    s3Mock.reset();
    givenObject([{ Key: 'firebreak:gameday-target', Value: 'true' }, TAGGED[0]!, { Key: 'firebreak:incident', Value: drill.key }]);
    expect((await releaseDrill()).status).toBe('untagged');
    expect(inputsOf(s3Mock, PutObjectTaggingCommand)).toEqual([
      { Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT, Tagging: { TagSet: [{ Key: 'firebreak:gameday-target', Value: 'true' }] } },
    ]);
  });

  it('refuses under a contain grant (a release needs a release grant)', async () => {
    const grants = storeGranting(THREATS, NOW, { instanceId: malwareObjectGrantTarget(THREATS)!, kind: 'contain' });
    const result = await releaseS3Object({ incident: THREATS, mode: 'enforce', options: {}, execution: EXECUTION }, { clients, logger: silentLogger, grants, claims: new InMemoryS3ObjectClaims(), environment: { ...ENFORCE, ...playbookStepsEnvironment({}, OBJECT_PLAYBOOKS) }, now: () => NOW });
    expect(result).toMatchObject({ status: 'refused', refusal: { code: 'wrong-kind' } });
    expect(s3Mock.calls()).toHaveLength(0);
  });
});

describe('an object whose owner’s tags leave no room for Firebreak’s (row 16n)', () => {
  const OBJECT = { account: ACCOUNT, region: 'eu-west-1', bucketName: BUCKET, key: KEY, versionId: VERSION };
  /** Ten tags, the most S3 allows, in the uploader's order; note-9 carries a link (the uploader's text). */
  const TEN = ['note-3', 'note-9', 'note-0', 'note-8', 'note-1', 'note-2', 'note-4', 'note-5', 'note-6', 'note-7'].map((Key) => ({ Key, Value: Key === 'note-9' ? 'see www.evil.example/x' : `v${Key.slice(-1)}` }));
  const SET_ASIDE = [{ Key: 'note-8', Value: 'v8' }, { Key: 'note-9', Value: 'see www.evil.example/x' }];
  const LEFT = TEN.filter((tag) => tag.Key !== 'note-8' && tag.Key !== 'note-9');
  const TAG_INPUT = (TagSet: { Key: string; Value: string }[]) => ({ Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT, Tagging: { TagSet } });

  function release(claims: InMemoryS3ObjectClaims, env: Record<string, string> = ENFORCE) {
    // Cleared after the quarantine's claim (at NOW): a claim at or after the clearance refuses the release (claimed-since-cleared).
    const later = new Date(NOW.getTime() + 60_000);
    const grants = storeGranting(THREATS, later, { instanceId: malwareObjectGrantTarget(THREATS)!, kind: 'release', playbook: 'release-s3-object' });
    return releaseS3Object(
      { incident: THREATS, mode: 'enforce', options: {}, execution: EXECUTION },
      { clients, logger: silentLogger, grants, claims, environment: { ...env, ...playbookStepsEnvironment({}, OBJECT_PLAYBOOKS) }, now: () => later },
    );
  }

  it('ATTACK (s3-tag-room): an uploader’s ten tags do not keep the object untagged: two of them are set aside, recorded first, named, and the object is copied', async () => {
    givenObject(TEN);
    const claims = new InMemoryS3ObjectClaims();
    // The record is written by the claim, before the tag write that takes the tags off: a crash after the write loses none.
    const recordedBeforeWrite: unknown[] = [];
    const claiming = Object.assign(Object.create(claims) as InMemoryS3ObjectClaims, {
      claim: async (...args: Parameters<InMemoryS3ObjectClaims['claim']>) => {
        recordedBeforeWrite.push([args[4], s3Mock.commandCalls(PutObjectTaggingCommand).length]);
        return claims.claim(...args);
      },
    });
    const result = await quarantine(THREATS, { quarantineCopy: {} }, { claims: claiming });
    expect(result).toMatchObject({
      status: 'tagged',
      quarantineCopy: { status: 'copied' },
      setAsideTags: [
        { key: { untrusted: 'note-8' }, value: { untrusted: 'v8' } },
        { key: { untrusted: 'note-9' }, value: { untrusted: 'see www.evil.example/x' } },
      ],
    });
    expect(recordedBeforeWrite).toEqual([[{ setAside: SET_ASIDE, left: LEFT, fresh: true }, 0]]);
    expect(s3Calls()).toEqual([...READ_OBJECT, ['PutObjectTaggingCommand', TAG_INPUT([...LEFT, ...TAGGED])], ['CopyObjectCommand', COPY_IN_PLACE]]);
    expect(await claims.get(OBJECT)).toMatchObject({ claims: [THREATS.key], setAsideTags: SET_ASIDE, leftTags: [...LEFT].sort((a, b) => (a.Key < b.Key ? -1 : 1)) });
    // Named in the alert's lines, one per tag, JSON-escaped (the alert neutralizes every action line).
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 's3:PutObjectTagging', outcome: 'done', detail: expect.stringContaining('set aside 2 of the owner\'s tags to make room (S3 allows 10 per object)') }));
    expect(result.actions.filter((action) => action.api === 'firebreak:set-aside-tag').map((action) => [action.target, action.detail.split(':')[0]])).toEqual([
      ['"note-8"', 'value "v8"'],
      ['"note-9"', 'value "see www.evil.example/x"'],
    ]);
  });

  it('says in dry-run which tags it would set aside, and records nothing', async () => {
    givenObject(TEN);
    const claims = new InMemoryS3ObjectClaims();
    const result = await quarantine(THREATS, {}, { mode: 'dry-run', env: { FIREBREAK_MODE: 'dry-run' }, claims });
    expect(result.status).toBe('dry-run');
    expect(result.actions).toContainEqual(expect.objectContaining({ outcome: 'would-do', detail: expect.stringContaining('would set aside 2 of the owner\'s tags') }));
    expect(result.actions.filter((action) => action.api === 'firebreak:set-aside-tag').map((action) => [action.target, action.outcome])).toEqual([
      ['"note-8"', 'would-do'],
      ['"note-9"', 'would-do'],
    ]);
    expect(writes()).toBe(0);
    expect(claims.items.size).toBe(0);
  });

  it('ATTACK (s3-tag-room): release writes the set-aside tags back from the claims record, with the owner’s others (the exact tag write)', async () => {
    givenObject(TEN);
    const claims = new InMemoryS3ObjectClaims();
    await quarantine(THREATS, {}, { claims });
    s3Mock.reset();
    givenObject([...LEFT, ...TAGGED]);
    const result = await release(claims);
    expect(result).toMatchObject({ status: 'untagged', setAsideTags: { status: 'restored', tags: [{ key: { untrusted: 'note-8' } }, { key: { untrusted: 'note-9' } }] } });
    expect(inputsOf(s3Mock, PutObjectTaggingCommand)).toEqual([TAG_INPUT([...LEFT, ...SET_ASIDE])]);
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 's3:PutObjectTagging', outcome: 'done', detail: expect.stringContaining('keeping 8 tag(s) of the owner\'s, and wrote back the ones quarantine set aside: "note-8"="v8", "note-9"="see www.evil.example/x"') }));
  });

  it('does not write them over tags someone changed since: the owner’s tags now are written, the set-aside ones stay in the record and are named', async () => {
    givenObject(TEN);
    const claims = new InMemoryS3ObjectClaims();
    await quarantine(THREATS, {}, { claims });
    for (const changed of [LEFT.slice(1), [...LEFT.slice(1), { Key: 'note-8', Value: 'new' }], [...LEFT.slice(1), { Key: 'note-0', Value: 'changed' }]]) {
      s3Mock.reset();
      givenObject([...changed, ...TAGGED]);
      const result = await release(claims);
      expect(result).toMatchObject({ status: 'untagged', setAsideTags: { status: 'not-restored' } });
      expect(inputsOf(s3Mock, PutObjectTaggingCommand)).toEqual([TAG_INPUT(changed)]);
      expect(result.actions).toContainEqual(
        expect.objectContaining({ api: 'firebreak:restore-tags', outcome: 'skipped', detail: expect.stringContaining('Not written back over tags changed since, nor as a set S3 refuses (more than 10 tags, a key twice; they stay in the state table\'s record): the owner\'s tags quarantine set aside to make room, "note-8"="v8", "note-9"="see www.evil.example/x"') }),
      );
      // Claimed again for the next round (the release took its claim back).
      await claims.claim(OBJECT, THREATS.key, NOW.toISOString(), false);
    }
    expect((await claims.get(OBJECT)).setAsideTags).toEqual(SET_ASIDE);
  });

  it('ATTACK (review-16n): a record that joined tags set aside by two taggings is never written back past S3’s 10 or over a key the object has (row 16p)', async () => {
    // The object's tags as S3 holds them: a tag write replaces them, as PutObjectTagging does.
    let tags: { Key: string; Value: string }[] = [];
    const holding = (now: { Key: string; Value: string }[]) => {
      tags = now;
      givenObject(tags);
      s3Mock.on(GetObjectTaggingCommand).callsFake(() => ({ TagSet: tags }));
      s3Mock.on(PutObjectTaggingCommand).callsFake((input: { Tagging: { TagSet: { Key: string; Value: string }[] } }) => {
        tags = input.Tagging.TagSet;
        return { VersionId: VERSION };
      });
    };
    // (a) Past the limit: ten tags, two set aside; the owner then takes the marker off and adds a tag, and a rescan of the
    // version (the infected tag still on: not a first tagging) sets one more aside, joining the record: three and eight left.
    // (b) Over a key: nine tags, note-8 set aside; the owner then gives note-8 another value, and the rescan sets aside note-z.
    const NINE = [...LEFT, { Key: 'note-8', Value: 'v8' }];
    for (const [first, edited] of [
      [TEN, [TAGGED[0]!, ...LEFT, { Key: 'note-z', Value: 'z' }]],
      [NINE, [TAGGED[0]!, ...LEFT.slice(1), { Key: 'note-8', Value: 'new' }, { Key: 'note-z', Value: 'z' }]],
    ] as const) {
      s3Mock.reset();
      holding([...first]);
      const claims = new InMemoryS3ObjectClaims();
      await quarantine(THREATS, {}, { claims });
      holding([...edited]);
      await quarantine(THREATS, {}, { claims });
      const recorded = (await claims.get(OBJECT)).setAsideTags ?? [];
      expect(recorded.map((tag) => tag.Key)).toContain('note-z');
      const ownerNow = tags.filter((tag) => !tag.Key.startsWith('firebreak:'));
      s3Mock.resetHistory();
      const result = await release(claims);
      // S3 refuses more than 10 tags (BadRequest) and a key twice (InvalidTag): the release would fail every time, the
      // object tagged for good. The owner's tags now are written; the set-aside ones stay in the record, named for a person.
      const [written] = inputsOf(s3Mock, PutObjectTaggingCommand) as { Tagging: { TagSet: { Key: string }[] } }[];
      expect(written!.Tagging.TagSet.length).toBeLessThanOrEqual(10);
      expect(new Set(written!.Tagging.TagSet.map((tag) => tag.Key)).size).toBe(written!.Tagging.TagSet.length);
      expect(written).toEqual(TAG_INPUT(ownerNow));
      expect(result).toMatchObject({ status: 'untagged', setAsideTags: { status: 'not-restored' } });
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:restore-tags', outcome: 'skipped' }));
      expect((await claims.get(OBJECT)).setAsideTags).toEqual(recorded);
    }
  });

  it('never writes set-aside tags its input names: only the record’s, and none without one', async () => {
    // No quarantine set any aside (no record): the release writes the owner's tags it finds, whatever its input says.
    givenObject([...LEFT, ...TAGGED]);
    const result = await release(new InMemoryS3ObjectClaims());
    expect(result.setAsideTags).toBeUndefined();
    expect(inputsOf(s3Mock, PutObjectTaggingCommand)).toEqual([TAG_INPUT(LEFT)]);
  });

  it('says in dry-run that it would write them back, writing nothing', async () => {
    givenObject(TEN);
    const claims = new InMemoryS3ObjectClaims();
    await quarantine(THREATS, {}, { claims });
    s3Mock.reset();
    givenObject([...LEFT, ...TAGGED]);
    const result = await release(claims, { FIREBREAK_MODE: 'dry-run' });
    expect(result).toMatchObject({ status: 'dry-run', setAsideTags: { status: 'restored' } });
    expect(result.actions).toContainEqual(expect.objectContaining({ outcome: 'would-do', detail: expect.stringContaining('and would write back the ones quarantine set aside: "note-8"="v8"') }));
    expect(writes()).toBe(0);
  });
});
