/**
 * A bucket lives in one Region, and S3 answers a request sent to another Region's endpoint with 301
 * PermanentRedirect ("The bucket you are attempting to access must be addressed using the specified
 * endpoint": https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingRouting.html); the SDK
 * follows no redirect unless told to (Firebreak's S3 clients are not). CopyObject is sent to the
 * destination bucket's Region, and its source may be in any Region. The simulated S3 served every
 * bucket from every Region, so a quarantine copy into a quarantine bucket of another Region than the
 * scanned object's (one central bucket for a deployment that serves several Regions) was rehearsed
 * as copied, where AWS refuses it and the evidence copy is never made (security row 16zf).
 */
import { CopyObjectCommand, CreateBucketCommand, GetObjectTaggingCommand, HeadObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../../lib/incident/parse';
import type { Incident } from '../../../lib/incident/model';
import { silentLogger } from '../../../lib/responders/logging';
import { InMemoryQuarantineCopyRecords } from '../../../lib/responders/quarantine-copy-records';
import { quarantineS3Object, quarantineS3ObjectOptionsSchema } from '../../../lib/responders/quarantine-s3-object';
import { malwareObjectGrantTarget } from '../../../lib/responders/s3-malware-object';
import { InMemoryS3ObjectClaims } from '../../../lib/responders/s3-object-claims';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../../support/grants';
import { clone, fixtureEvent } from '../../incident/events';
import { rejectionOf } from './fixtures';

const ACCOUNT = '111122223333';
/** The scanned object's Region (the scan result's) and the quarantine bucket's. */
const OBJECT_REGION = 'eu-west-1';
const QUARANTINE_REGION = 'us-east-1';
const NOW = new Date('2026-03-25T09:20:00.000Z');

async function world() {
  const sim = new SeededSimulatedAws({ seed: 's3-bucket-region', defaultAccount: ACCOUNT, defaultRegion: OBJECT_REGION });
  const clients = { s3: (target: { account: string; region: string }) => sim.clientFactory().s3(target) };
  const here = await clients.s3({ account: ACCOUNT, region: OBJECT_REGION });
  const there = await clients.s3({ account: ACCOUNT, region: QUARANTINE_REGION });
  await here.send(new CreateBucketCommand({ Bucket: 'uploads', CreateBucketConfiguration: { LocationConstraint: OBJECT_REGION } }));
  await here.send(new PutBucketVersioningCommand({ Bucket: 'uploads', VersioningConfiguration: { Status: 'Enabled' } }));
  await there.send(new CreateBucketCommand({ Bucket: 'central-quarantine' }));
  await there.send(new PutBucketVersioningCommand({ Bucket: 'central-quarantine', VersioningConfiguration: { Status: 'Enabled' } }));
  const put = await here.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'in/invoice.pdf', Body: 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR' }));
  return { sim, clients, here, there, put };
}

/** The scan result of the uploaded object, as GuardDuty puts it on the bucket owner's bus in the bucket's Region. */
function scanOf(versionId: string, eTag: string, region = OBJECT_REGION): Incident {
  const event = clone(fixtureEvent('guardduty-malware-protection-s3-threats-found.json')) as { region: string; detail: { s3ObjectDetails: Record<string, unknown> } };
  event.region = region;
  event.detail.s3ObjectDetails = { bucketName: 'uploads', objectKey: 'in/invoice.pdf', eTag, versionId, s3Throttled: false };
  return parseEvent(event, { receivedAt: NOW });
}

async function quarantine(clients: Awaited<ReturnType<typeof world>>['clients'], incident: Incident, options: Record<string, unknown>) {
  return quarantineS3Object(
    { incident, mode: 'enforce', options: quarantineS3ObjectOptionsSchema.parse(options), execution: EXECUTION },
    {
      clients,
      logger: silentLogger,
      grants: storeGranting(incident, NOW, { instanceId: malwareObjectGrantTarget(incident)!, playbook: 's3-object-with-threats' }),
      copies: new InMemoryQuarantineCopyRecords(),
      claims: new InMemoryS3ObjectClaims(),
      environment: { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment(options, ['compromised-ec2-instance', 's3-object-with-threats']) },
      now: () => NOW,
    },
  );
}

describe('the Region of a bucket in the simulated S3', () => {
  it('FIDELITY (review-s3): answers a call on a bucket of another Region with 301 PermanentRedirect; a copy sent to the destination’s Region reads a source of any Region', async () => {
    const { here, there, put } = await world();
    const wrong = await rejectionOf(there.send(new HeadObjectCommand({ Bucket: 'uploads', Key: 'in/invoice.pdf', VersionId: put.VersionId })));
    // A HEAD answer has no body: the SDK names it by its status only.
    expect(wrong.$metadata?.httpStatusCode).toBe(301);
    const copySource = `uploads/in%2Finvoice.pdf?versionId=${encodeURIComponent(put.VersionId!)}`;
    // Sent to the source's Region, for a destination in another: refused, nothing copied.
    const misrouted = await rejectionOf(here.send(new CopyObjectCommand({ Bucket: 'central-quarantine', Key: 'firebreak-quarantine/a', CopySource: copySource, IfNoneMatch: '*' })));
    expect(misrouted.name).toBe('PermanentRedirect');
    expect(misrouted.$metadata?.httpStatusCode).toBe(301);
    expect((await rejectionOf(there.send(new HeadObjectCommand({ Bucket: 'central-quarantine', Key: 'firebreak-quarantine/a' })))).$metadata?.httpStatusCode).toBe(404);
    // Sent to the destination's Region: copied, from a source in another Region.
    await there.send(new CopyObjectCommand({ Bucket: 'central-quarantine', Key: 'firebreak-quarantine/a', CopySource: copySource, IfNoneMatch: '*' }));
    expect((await there.send(new HeadObjectCommand({ Bucket: 'central-quarantine', Key: 'firebreak-quarantine/a' }))).ETag).toBe(put.ETag);
  });

  it('tried (review-s3): an incident placed in another Region than its bucket (its claims keyed by that Region) changes nothing: S3 refuses the first call, before any claim or write', async () => {
    const { clients, here, put } = await world();
    const claims = new InMemoryS3ObjectClaims();
    const incident = scanOf(put.VersionId!, put.ETag!.replace(/"/g, ''), QUARANTINE_REGION);
    const refused = await rejectionOf(
      quarantineS3Object(
        { incident, mode: 'enforce', options: quarantineS3ObjectOptionsSchema.parse({}), execution: EXECUTION },
        {
          clients,
          logger: silentLogger,
          grants: storeGranting(incident, NOW, { instanceId: malwareObjectGrantTarget(incident)!, playbook: 's3-object-with-threats' }),
          copies: new InMemoryQuarantineCopyRecords(),
          claims,
          environment: { FIREBREAK_MODE: 'enforce', ...playbookStepsEnvironment({}, ['compromised-ec2-instance', 's3-object-with-threats']) },
          now: () => NOW,
        },
      ),
    );
    expect(refused.message).toMatch(/HeadObject/);
    expect(claims.items.size).toBe(0);
    expect((await here.send(new GetObjectTaggingCommand({ Bucket: 'uploads', Key: 'in/invoice.pdf', VersionId: put.VersionId }))).TagSet).toEqual([]);
  });

  it('ATTACK (review-s3): a quarantine bucket in another Region than the scanned object gets its copy, sent through that Region (bucketRegion); without it the step fails after tagging, never reports a copy made', async () => {
    const { clients, here, there, put } = await world();
    const incident = scanOf(put.VersionId!, put.ETag!.replace(/"/g, ''));
    const copyKey = `firebreak-quarantine/${ACCOUNT}/uploads/in/invoice.pdf`;

    // Without the bucket's Region the copy goes to the object's Region's endpoint, which S3 refuses: the step fails (alerted), the object tagged first.
    const misrouted = await rejectionOf(quarantine(clients, incident, { quarantineCopy: { bucket: 'central-quarantine', bucketOwner: ACCOUNT } }));
    expect(misrouted.message).toContain('PermanentRedirect');
    const tagged = await here.send(new GetObjectTaggingCommand({ Bucket: 'uploads', Key: 'in/invoice.pdf', VersionId: put.VersionId }));
    expect(tagged.TagSet).toContainEqual({ Key: 'firebreak:malware-scan', Value: 'threats-found' });

    const result = await quarantine(clients, incident, { quarantineCopy: { bucket: 'central-quarantine', bucketOwner: ACCOUNT, bucketRegion: QUARANTINE_REGION } });
    // Tagged by the failed attempt already: the copy made now is what this run did.
    expect(result).toMatchObject({ status: 'tagged', quarantineCopy: { status: 'copied', bucket: 'central-quarantine', key: { untrusted: copyKey } } });
    const copy = await there.send(new HeadObjectCommand({ Bucket: 'central-quarantine', Key: copyKey }));
    expect(copy.ETag).toBe(put.ETag);
    const copyTags = await there.send(new GetObjectTaggingCommand({ Bucket: 'central-quarantine', Key: copyKey }));
    expect(copyTags.TagSet).toEqual([
      { Key: 'firebreak:malware-scan', Value: 'threats-found' },
      { Key: 'firebreak:incident', Value: incident.key },
    ]);
    // The copy's action names the bucket's Region.
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 's3:CopyObject', outcome: 'done', detail: expect.stringContaining(`in ${QUARANTINE_REGION}`) }));
  });
});
