/**
 * DynamoDbS3ObjectClaims against the game day's simulated DynamoDB, which evaluates the update and
 * condition expressions as DynamoDB does: claims by two incidents, a take-back that leaves the other's
 * claim, one refused for a claim made after the release's clearance, and a missing item read as none.
 */
import { describe, expect, it } from 'vitest';
import { DynamoDbS3ObjectClaims } from '../../lib/responders/s3-object-claims';
import type { ClaimedObject } from '../../lib/responders/s3-object-claims';
import { sha256Hex } from '../../lib/incident/keys';
import { SeededSimulatedAws } from '../support/sim-builder';

const TABLE = 'firebreak-state';
const OBJECT: ClaimedObject = { account: '111122223333', region: 'eu-west-1', bucketName: 'acme-customer-uploads', key: 'incoming/2026/03/invoice-4471.pdf', versionId: 'Rb4kBsH0hZ6bB.7Yx_3yEXAMPLE' };

function claimsInSimulatedTable(): DynamoDbS3ObjectClaims {
  const sim = new SeededSimulatedAws({ seed: 's3-object-claims' });
  sim.addTable({ name: TABLE, partitionKey: 'pk' });
  return new DynamoDbS3ObjectClaims(sim.clientFactory().dynamodb(), TABLE);
}

describe('DynamoDbS3ObjectClaims in the simulated DynamoDB', () => {
  it('holds the version for every incident that claimed it, until the last one’s release takes its claim back', async () => {
    const claims = claimsInSimulatedTable();
    expect(await claims.get(OBJECT)).toEqual({ claims: [], releasedClaims: [] });
    await claims.claim(OBJECT, 'a', '2026-03-25T09:20:00.000Z', true);
    await claims.claim(OBJECT, 'b', '2026-03-25T09:21:00.000Z', true);
    await claims.claim(OBJECT, 'a', '2026-03-25T09:22:00.000Z', true);
    expect(await claims.takeBack(OBJECT, 'a', '2026-03-25T10:00:00.000Z')).toEqual({
      kind: 'taken-back',
      left: { claims: ['b'], releasedClaims: ['a'], lastClaimAt: '2026-03-25T09:22:00.000Z', lastClaimBy: 'a' },
    });
    expect(await claims.takeBack(OBJECT, 'b', '2026-03-25T10:01:00.000Z')).toMatchObject({ kind: 'taken-back', left: { claims: [], releasedClaims: ['a', 'b'] } });
  });

  it('refuses a take-back cleared before (or at) the last claim, and changes nothing', async () => {
    const claims = claimsInSimulatedTable();
    await claims.claim(OBJECT, 'a', '2026-03-25T10:00:00.000Z', true);
    expect(await claims.takeBack(OBJECT, 'a', '2026-03-25T10:00:00.000Z')).toEqual({
      kind: 'claimed-since',
      claims: { claims: ['a'], releasedClaims: [], lastClaimAt: '2026-03-25T10:00:00.000Z', lastClaimBy: 'a' },
    });
    expect((await claims.get(OBJECT)).claims).toEqual(['a']);
  });

  it('lets a claim taken back be claimed again (a new containment of the incident)', async () => {
    const claims = claimsInSimulatedTable();
    await claims.claim(OBJECT, 'a', '2026-03-25T09:20:00.000Z', true);
    await claims.takeBack(OBJECT, 'a', '2026-03-25T10:00:00.000Z');
    await claims.claim(OBJECT, 'a', '2026-03-25T11:00:00.000Z', true);
    expect(await claims.get(OBJECT)).toEqual({ claims: ['a'], releasedClaims: [], lastClaimAt: '2026-03-25T11:00:00.000Z', lastClaimBy: 'a' });
  });

  it('ATTACK (s3-tag-room): keeps the owner’s tags set aside to make room, as the claims write them (the expressions DynamoDB evaluates)', async () => {
    const claims = claimsInSimulatedTable();
    const left = [{ Key: 'note-0', Value: 'a' }];
    await claims.claim(OBJECT, 'a', '2026-03-25T09:20:00.000Z', true, { setAside: [{ Key: 'note-9', Value: 'j' }], left, fresh: true });
    await claims.claim(OBJECT, 'b', '2026-03-25T09:21:00.000Z', true, { setAside: [{ Key: 'note-8', Value: 'i' }], left, fresh: false });
    expect(await claims.takeBack(OBJECT, 'a', '2026-03-25T10:00:00.000Z')).toMatchObject({
      kind: 'taken-back',
      left: { claims: ['b'], setAsideTags: [{ Key: 'note-8', Value: 'i' }, { Key: 'note-9', Value: 'j' }], leftTags: left },
    });
    // A first tagging that finds room: the record no longer says which tags it goes with.
    await claims.claim(OBJECT, 'c', '2026-03-25T11:00:00.000Z', true, { setAside: [], left, fresh: true });
    const read = await claims.get(OBJECT);
    expect(read.leftTags).toBeUndefined();
    // They stay, as an earlier tagging's (never written back; row 16q).
    expect(read.setAsideTags).toBeUndefined();
    expect(read.earlierSetAsideTags).toHaveLength(2);
  });

  it('ATTACK (s3-set-aside-kept): keeps set-aside tags no release wrote back through a later first tagging, and takes out only the ones written back (row 16q)', async () => {
    const claims = claimsInSimulatedTable();
    const left = [{ Key: 'note-0', Value: 'a' }];
    const nine = { Key: 'note-9', Value: 'j' };
    const eight = { Key: 'note-8', Value: 'i' };
    await claims.claim(OBJECT, 'a', '2026-03-25T09:20:00.000Z', true, { setAside: [nine], left, fresh: true });
    // The release writes nothing back (the owner's tags changed): nothing leaves the record.
    await claims.takeBack(OBJECT, 'a', '2026-03-25T10:00:00.000Z');
    await claims.claim(OBJECT, 'a', '2026-03-25T11:00:00.000Z', true, { setAside: [eight], left, fresh: true });
    // Before: the second first tagging replaced the record, and note-9 was gone.
    expect(await claims.get(OBJECT)).toMatchObject({ setAsideTags: [eight], earlierSetAsideTags: [nine], leftTags: left });
    // A claim since the take-back: nothing is taken out.
    expect(await claims.forgetRestored(OBJECT, [eight], '2026-03-25T10:30:00.000Z')).toBe(false);
    expect(await claims.forgetRestored(OBJECT, [eight], '2026-03-25T11:00:00.000Z')).toBe(true);
    const read = await claims.get(OBJECT);
    expect(read).toMatchObject({ earlierSetAsideTags: [nine] });
    expect(read.setAsideTags).toBeUndefined();
    expect(read.leftTags).toBeUndefined();
  });

  it('ATTACK (review-16q): a claim that would keep more than 64 set-aside tags is taken all the same, the record keeping its own only and answering the ones it gave up (row 16s)', async () => {
    const claims = claimsInSimulatedTable();
    const left = [{ Key: 'note-0', Value: 'a' }];
    for (let round = 0; round < 32; round += 1) {
      const aside = [{ Key: 'note-8', Value: `v${round}` }, { Key: 'note-9', Value: `v${round}` }];
      expect(await claims.claim(OBJECT, 'a', `2026-03-25T09:${String(round).padStart(2, '0')}:00.000Z`, true, { setAside: aside, left, fresh: true })).toEqual({ taggedAlready: round > 0 });
    }
    const full = await claims.get(OBJECT);
    const kept = [...(full.setAsideTags ?? []), ...(full.earlierSetAsideTags ?? [])];
    expect(kept).toHaveLength(64);
    // Before: refused (ResponderFailedError), nothing claimed, and the quarantine step left the object untagged.
    const answer = await claims.claim(OBJECT, 'b', '2026-03-25T10:00:00.000Z', true, { setAside: [{ Key: 'note-9', Value: 'w' }], left, fresh: true });
    expect(answer).toEqual({ taggedAlready: false, droppedSetAsideTags: expect.arrayContaining(kept) });
    expect(answer.droppedSetAsideTags).toHaveLength(64);
    expect(await claims.get(OBJECT)).toMatchObject({ claims: ['a', 'b'], lastClaimBy: 'b', setAsideTags: [{ Key: 'note-9', Value: 'w' }], leftTags: left });
    expect((await claims.get(OBJECT)).earlierSetAsideTags).toBeUndefined();
  });

  describe('ATTACK (s3-claims-growth): one key of a bucket without versioning, uploaded again and again (row 16u)', () => {
    // Every upload to such a key is the one version `null`, so all of them share one claims item; each upload of new content
    // is scanned and names its own ETag, and the incident key is a digest of the object with its ETag (malware.ts).
    const UNVERSIONED: ClaimedObject = { ...OBJECT, versionId: undefined };
    const upload = (round: number) => ({ incident: `s3scan-${sha256Hex(`upload-${round}`).slice(0, 32)}`, eTag: sha256Hex(`content-${round}`).slice(0, 32) });
    const at = (round: number) => new Date(Date.parse('2026-03-25T09:00:00.000Z') + round * 1000).toISOString();

    it('claims the 6,000th upload as the first: the item holds the claims of the current upload only, never past DynamoDB’s 400 KB', async () => {
      const claims = claimsInSimulatedTable();
      const rounds = 6000;
      for (let round = 0; round < rounds; round += 1) {
        const { incident, eTag } = upload(round);
        // Before: some 5,000 uploads in (about 80 bytes each, in claims and taggedBy), every claim failed (ValidationException:
        // item size exceeded), and the current upload stayed untagged.
        expect(await claims.claim({ ...UNVERSIONED, eTag }, incident, at(round), true)).toEqual({ taggedAlready: false });
      }
      const last = upload(rounds - 1);
      expect(await claims.get(UNVERSIONED)).toEqual({ claims: [last.incident], releasedClaims: [], lastClaimAt: at(rounds - 1), lastClaimBy: last.incident, objectETag: last.eTag });
      // 6,000 conditional writes evaluated by the simulator: some 15 s on a shared machine.
    }, 180_000);

    it('keeps releasedClaims and taggedBy bounded too: each upload quarantined and released, and a retry of the current one still finds its tag write', async () => {
      const claims = claimsInSimulatedTable();
      const rounds = 200;
      for (let round = 0; round < rounds; round += 1) {
        const { incident, eTag } = upload(round);
        await claims.claim({ ...UNVERSIONED, eTag }, incident, at(round), true);
        expect(await claims.takeBack(UNVERSIONED, incident, at(round + 0.5))).toMatchObject({ kind: 'taken-back', left: { claims: [], releasedClaims: [incident] } });
      }
      const last = upload(rounds);
      expect(await claims.claim({ ...UNVERSIONED, eTag: last.eTag }, last.incident, at(rounds), true)).toEqual({ taggedAlready: false });
      expect(await claims.claim({ ...UNVERSIONED, eTag: last.eTag }, last.incident, at(rounds + 1), true)).toEqual({ taggedAlready: true });
      expect(await claims.get(UNVERSIONED)).toMatchObject({ claims: [last.incident], releasedClaims: [] });
    });

    it('keeps every claim of the same upload (its rescans, a scan result without the ETag), and of a version of a versioned bucket whatever ETag its input names', async () => {
      const claims = claimsInSimulatedTable();
      const { eTag } = upload(1);
      await claims.claim({ ...UNVERSIONED, eTag }, 'a', at(1), true);
      await claims.claim({ ...UNVERSIONED, versionId: 'null', eTag }, 'b', at(2), true);
      await claims.claim(UNVERSIONED, 'c', at(3), true);
      expect((await claims.get(UNVERSIONED)).claims).toEqual(['a', 'b', 'c']);
      await claims.claim({ ...OBJECT, eTag }, 'a', at(4), true);
      await claims.claim({ ...OBJECT, eTag: upload(2).eTag }, 'b', at(5), true);
      expect((await claims.get(OBJECT)).claims).toEqual(['a', 'b']);
    });

    it('retires the earlier upload’s claims, leaves the later upload’s claimant holding it, and keeps the record’s set-aside tags (row 16q)', async () => {
      const claims = claimsInSimulatedTable();
      const left = [{ Key: 'note-0', Value: 'a' }];
      const first = upload(1);
      const second = upload(2);
      await claims.claim({ ...UNVERSIONED, eTag: first.eTag }, first.incident, at(1), true, { setAside: [{ Key: 'note-9', Value: 'j' }], left, fresh: true });
      await claims.claim({ ...UNVERSIONED, eTag: second.eTag }, second.incident, at(2), true, { setAside: [{ Key: 'note-8', Value: 'i' }], left, fresh: true });
      expect(await claims.get(UNVERSIONED)).toMatchObject({ claims: [second.incident], setAsideTags: [{ Key: 'note-8', Value: 'i' }], earlierSetAsideTags: [{ Key: 'note-9', Value: 'j' }], leftTags: left });
      // A release of the earlier upload's incident (its object is gone) leaves the later one's claim: nothing is untagged.
      expect(await claims.takeBack(UNVERSIONED, first.incident, at(3))).toMatchObject({ kind: 'taken-back', left: { claims: [second.incident] } });
    });
  });
});
