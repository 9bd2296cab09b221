/**
 * The report of an incident that found its access key contained already (review s20): another
 * incident's disable-access-key set the key Inactive and sealed its record; this incident's changes
 * nothing in IAM and claims the key on that record, which keeps the key Inactive until this
 * incident's own release. Built from the entries the responders write (disable-access-key and
 * release-credentials run through recordingHandler, IAM answered by aws-sdk-client-mock) and the
 * credential record as the state table keeps it (its reads verify the seal). What is proved: the
 * claim counts as this incident's containment only when the step recorded it AND the verified
 * record holds it (the claims beside the seal are not sealed: the report says so); the report names
 * the incident that contained the key first and the release this incident needs; a claim taken
 * back, or a release of the record, shows as released.
 */
import { GetUserCommand, ListAccessKeysCommand, ListAttachedUserPoliciesCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../lib/incident/model';
import { buildCredentialReleaseRequest } from '../../lib/operator/credential-release';
import type { IncidentRecord, KeyRecordReading } from '../../lib/operator/incident-report';
import { buildIncidentReport, incidentStatus, keyRecordLookups, reportConsistencyProblems, statusesOnceVerified } from '../../lib/operator/incident-report';
import type { AccessKeyRecord } from '../../lib/responders/credential-records';
import { credentialRecordKey } from '../../lib/responders/credential-records';
import { recordingHandler } from '../../lib/responders/incident-record';
import { silentLogger } from '../../lib/responders/logging';
import type { ReleaseClearance } from '../../lib/responders/release-clearance';
import { releaseCredentials } from '../../lib/responders/release-credentials';
import { MemoryCredentialRecordStore } from '../support/credential-records';
import { EXECUTION } from '../support/grants';
import { StoredIncidentRecords, steppingClock } from '../support/stored-incident-records';
import { ENV, KEY, RECEIVED, clients, fixture, iamMock, recordedDisableAccessKey } from './credential-report-harness';
import { getUserAnswer } from '../support/iam-users';

const USER = 'ci-deployer';
const APPROVER = 'arn:aws:sts::111122223333:assumed-role/oncall/bob';
/** The incident whose step set the key Inactive (its record is sealed). */
const FIRST = (): Incident => fixture('guardduty-iam-user-tor-ipcaller');
/** A second finding on the same key: another incident, which finds the key Inactive already and claims it. */
const SECOND = (): Incident => ({ ...FIRST(), key: 'gd-second-finding-on-the-key' });

const clock = steppingClock(RECEIVED);
const { now, offset } = clock;

let records: StoredIncidentRecords;
let credentials: MemoryCredentialRecordStore;

beforeEach(() => {
  clock.reset();
  records = new StoredIncidentRecords(RECEIVED);
  credentials = new MemoryCredentialRecordStore();
});

afterEach(() => {
  iamMock.reset();
});

/** IAM as it answers ci-deployer's reads now. */
function givenUser(status: 'Active' | 'Inactive'): void {
  iamMock.reset();
  iamMock.on(GetUserCommand).callsFake((input: { UserName?: string }) => getUserAnswer(input.UserName ?? ''));
  iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, UserName: USER, Status: status }] });
  iamMock.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [] });
  iamMock.on(UpdateAccessKeyCommand).resolves({});
}

/** disable-access-key for `incident`, recorded as its Lambda records it. */
async function disableFor(incident: Incident): Promise<void> {
  await recordedDisableAccessKey(incident, { denyAll: false }, { records, credentials, now });
}

/** The approved release of the key for `incidentKey` (firebreak credentials release --incident), recorded in that incident's record. */
async function releaseFor(incidentKey: string): Promise<string> {
  const request = buildCredentialReleaseRequest({
    credential: { kind: 'access-key', accessKeyId: KEY, userName: USER },
    account: '111122223333',
    region: 'eu-west-1',
    incidentKey,
    mode: 'enforce',
    requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice',
    reason: 'INC-4711: key rotated',
    at: now(),
  });
  // Cleared after every claim so far: the approver saw them.
  const grantedAt = now().toISOString();
  const clearance: ReleaseClearance = {
    check: async () => ({ cleared: true, approvedBy: APPROVER, approvedAt: now().toISOString(), executionArn: EXECUTION.executionArn, mode: 'enforce', grantedAt }),
  };
  const handler = recordingHandler(
    'release-credentials',
    async (event) =>
      releaseCredentials(event as Parameters<typeof releaseCredentials>[0], { clients, revokerClients: clients, records: credentials, clearance, logger: silentLogger, environment: ENV, now }),
    { records: { append: records.append }, now },
  );
  const result = await handler({ incident: request.input.incident, mode: request.input.mode, options: {}, execution: EXECUTION, request: { requestedBy: request.input.requestedBy, reason: request.input.reason } });
  return (result as { status: string }).status;
}

/** The two incidents on the key: the first sets it Inactive, the second finds it so and claims it. */
async function twoIncidentsOnTheKey(): Promise<{ first: Incident; second: Incident }> {
  const first = FIRST();
  const second = SECOND();
  givenUser('Active');
  await disableFor(first);
  givenUser('Inactive');
  await disableFor(second);
  return { first, second };
}

/** What the report reads of the credential records of the keys it looks up (the store's get verifies shape, key and seal). */
async function readingsFor(record: IncidentRecord): Promise<KeyRecordReading[]> {
  return Promise.all(
    keyRecordLookups(record).map(async (lookup): Promise<KeyRecordReading> => {
      const read = await credentials.get({ kind: 'access-key', account: lookup.account, accessKeyId: lookup.accessKeyId });
      return read === undefined ? { ...lookup, state: 'absent' } : { ...lookup, state: 'read', record: read };
    }),
  );
}

async function reportOf(incidentKey: string) {
  const record = records.read(incidentKey);
  return buildIncidentReport(record, undefined, { children: [], keyRecords: await readingsFor(record) });
}

const pk = credentialRecordKey({ kind: 'access-key', account: '111122223333', accessKeyId: KEY });
const containmentOf = (report: ReturnType<typeof buildIncidentReport>) => report.phases.find((phase) => phase.name === 'containment');

describe('the report of an incident that found its key contained by another incident, and claimed it', () => {
  it('holds the key contained for this incident by its claim: dated by the claim step, the first incident named, its own release the follow-up', async () => {
    const { first, second } = await twoIncidentsOnTheKey();
    const record = records.read(second.key);
    const step = record.entries.find((entry) => entry.step === 'disable-access-key');
    expect(step).toMatchObject({ status: 'already-inactive' });
    const claimedAt = step?.actions.find((action) => action.api === 'firebreak:record-credential')?.at ?? '';
    expect(claimedAt).not.toBe('');

    const report = await reportOf(second.key);
    // Before: open, no containment phase, nothing to follow up (the key was "not Firebreak's containment").
    expect(report.status).toBe('contained');
    expect(containmentOf(report)).toEqual({
      name: 'containment',
      label: 'Containment (access key held by its claim)',
      at: step?.endedAt,
      sinceReceivedMs: Date.parse(step?.endedAt ?? '') - RECEIVED.getTime(),
      heldByClaim: true,
      by: `disable-access-key: already-inactive (${KEY} found Inactive, set so by incident ${first.key}, whose sealed credential record keeps it; claimed for this incident at ${offset(claimedAt)}: the claim on that record holds the key Inactive until this incident's release; the claim is not sealed)`,
    });
    expect(report.followUps).toEqual(
      expect.arrayContaining([
        `${KEY} is held Inactive for this incident by its claim (incident ${first.key} set it Inactive; incident ${first.key} holds it too): once its user is clean, release this incident's hold (firebreak credentials release --access-key ${KEY} --user ${USER} --incident ${second.key}); while another incident holds the key, that release takes back only this incident's hold and the key stays Inactive until the release of the last incident holding it.`,
      ]),
    );
    expect(report.followUps.filter((followUp) => followUp.includes('not confirmed'))).toEqual([]);
    expect(reportConsistencyProblems(report)).toEqual([]);
    // The first incident's report is unchanged: it set the key Inactive.
    const firstReport = await reportOf(first.key);
    expect(firstReport.status).toBe('contained');
    expect(containmentOf(firstReport)).toMatchObject({ by: 'disable-access-key: disabled' });
    expect(containmentOf(firstReport)?.heldByClaim).toBeUndefined();
  });

  it('the statuses the list may give an incident whose record is not read include contained by its claim', async () => {
    const { second } = await twoIncidentsOnTheKey();
    const record = records.read(second.key);
    expect(incidentStatus(record.entries, second.key)).toBe('open');
    expect(statusesOnceVerified(record.entries, second.key, keyRecordLookups(record))).toEqual(['open', 'contained', 'released']);
  });

  describe('the step\'s word alone is not enough: the verified record must hold the claim', () => {
    it('a record that cannot be read or checked: not contained, and the claim said to be not confirmed, with the reason', async () => {
      const { second } = await twoIncidentsOnTheKey();
      const record = records.read(second.key);
      const unreadable: KeyRecordReading = { incidentKey: second.key, account: '111122223333', accessKeyId: KEY, state: 'unreadable', reason: 'kms:VerifyMac AccessDeniedException on the record key: its seal could not be checked' };
      const report = buildIncidentReport(record, undefined, { children: [], keyRecords: [unreadable] });
      expect(report.status).toBe('open');
      expect(containmentOf(report)).toBeUndefined();
      expect(report.followUps).toEqual(
        expect.arrayContaining([
          `${KEY} was found already Inactive by disable-access-key, which claimed it for this incident; that this incident set it Inactive, or that its claim holds it, is not confirmed: its credential record could not be read and checked (kms:VerifyMac AccessDeniedException on the record key: its seal could not be checked). Check the key's credential record: firebreak credentials release --access-key ${KEY} --user <the key's user> --incident ${second.key} re-activates the key only if Firebreak set it Inactive and no other incident holds it, and otherwise takes back only this incident's hold.`,
        ]),
      );
    });

    it('a record whose seal fails (edited since it was sealed): not contained, not confirmed', async () => {
      const { second } = await twoIncidentsOnTheKey();
      const stored = credentials.stored(pk) as unknown as Record<string, unknown>;
      credentials.forge(pk, { ...stored, userName: 'someone-else' });
      const report = await reportOf(second.key);
      expect(report.status).toBe('open');
      expect(report.followUps).toEqual(expect.arrayContaining([expect.stringContaining('that this incident set it Inactive, or that its claim holds it, is not confirmed: its credential record failed its integrity check')]));
    });

    it('a verified record that does not carry the claim (the claims beside it rewritten): not contained, not confirmed', async () => {
      const { second } = await twoIncidentsOnTheKey();
      const item = credentials.items.get(pk);
      if (item) delete item.claims;
      const report = await reportOf(second.key);
      expect(report.status).toBe('open');
      expect(report.followUps).toEqual(expect.arrayContaining([expect.stringContaining(`that the claim holds the key is not confirmed: the key's verified credential record (incident ${FIRST().key}'s) does not carry this incident's claim`)]));
    });

    it('the record carries the claim but the step recorded none (the claims written by hand): not contained', async () => {
      const first = FIRST();
      const second = SECOND();
      givenUser('Active');
      await disableFor(first);
      // The second incident's step finds the key Inactive with no record to claim on (DynamoDB said no record): it claims nothing.
      const saved = credentials.items.get(pk);
      credentials.items.delete(pk);
      givenUser('Inactive');
      await disableFor(second);
      if (saved) credentials.items.set(pk, { ...saved, claims: { SS: [second.key] } });
      const report = await reportOf(second.key);
      expect(report.status).toBe('open');
      expect(containmentOf(report)).toBeUndefined();
    });
  });

  describe('a released claim shows as released', () => {
    it("the first incident's release takes back only its hold: its report says released, the second's still contained", async () => {
      const { first, second } = await twoIncidentsOnTheKey();
      expect(await releaseFor(first.key)).toBe('claim-released');
      // Before: the first incident's report stayed contained, its key "still disabled" to release again.
      const firstReport = await reportOf(first.key);
      expect(firstReport.status).toBe('released');
      expect(firstReport.followUps.filter((followUp) => followUp.includes(KEY))).toEqual([]);
      const secondReport = await reportOf(second.key);
      expect(secondReport.status).toBe('contained');
      expect(secondReport.followUps).toEqual(expect.arrayContaining([expect.stringContaining(`${KEY} is held Inactive for this incident by its claim (incident ${first.key} set it Inactive; no other incident holds it now)`)]));
      // The last holder's release re-activates the key: released.
      expect(await releaseFor(second.key)).toBe('released');
      expect((await reportOf(second.key)).status).toBe('released');
    });

    it("the second incident's own release takes back its hold: released, while the first still holds the key", async () => {
      const { first, second } = await twoIncidentsOnTheKey();
      expect(await releaseFor(second.key)).toBe('claim-released');
      const report = await reportOf(second.key);
      expect(report.status).toBe('released');
      expect(report.phases.find((phase) => phase.name === 'release')).toMatchObject({ by: 'release-credentials: claim-released' });
      expect(report.followUps.filter((followUp) => followUp.includes(KEY))).toEqual([]);
      expect((await reportOf(first.key)).status).toBe('contained');
    });

    it('a hold the record says was taken back, with no release in this incident\'s record: released', async () => {
      const { second } = await twoIncidentsOnTheKey();
      const item = credentials.items.get(pk);
      if (item) {
        delete item.claims;
        item.releasedClaims = { SS: [second.key] };
      }
      const report = await reportOf(second.key);
      expect(report.status).toBe('released');
      expect(report.followUps.filter((followUp) => followUp.includes(KEY))).toEqual([]);
      expect(report.followUps.filter((followUp) => followUp.includes('not confirmed'))).toEqual([]);
    });
  });

  describe('a claim on a record released and replaced since (a later incident contained the key anew)', () => {
    const THIRD = (): Incident => ({ ...FIRST(), key: 'gd-third-finding-on-the-key' });

    /** Both holds released (the second's first, then the first's, which re-activates the key), then a third incident disables the key anew: a new sealed record replaces the released one. */
    async function releasedAndReplaced(): Promise<{ first: Incident; second: Incident; third: Incident }> {
      const { first, second } = await twoIncidentsOnTheKey();
      expect(await releaseFor(second.key)).toBe('claim-released');
      expect(await releaseFor(first.key)).toBe('released');
      const third = THIRD();
      givenUser('Active');
      await disableFor(third);
      expect(credentials.stored(pk)).toMatchObject({ incidentKey: third.key });
      return { first, second, third };
    }

    /** The second incident's record without its release entry (its write failed): only the credential record can say the hold ended. */
    function withoutItsRelease(incidentKey: string): IncidentRecord {
      const record = records.read(incidentKey);
      return { ...record, entries: record.entries.filter((entry) => entry.step !== 'release-credentials') };
    }

    it('shows the hold as released, not as not confirmed: the verified record that replaced it was captured after the claim', async () => {
      const { second, third } = await releasedAndReplaced();
      const report = await reportOf(second.key);
      // Before: a follow-up said the claim holding the key was not confirmed (the new record does not carry it).
      expect(report.followUps.filter((followUp) => followUp.includes('not confirmed'))).toEqual([]);
      expect(report.followUps.filter((followUp) => followUp.includes(KEY))).toEqual([]);
      expect(report.status).toBe('released');
      expect(reportConsistencyProblems(report)).toEqual([]);
      // The containment phase dates the claim and never names the incident of the new record as the one that set the key Inactive then.
      const containment = containmentOf(report);
      expect(containment).toMatchObject({ label: 'Containment (access key held by its claim)', heldByClaim: true });
      expect(containment?.by).toContain(`released since and replaced by incident ${third.key}'s`);
      expect(containment?.by).not.toContain(`set so by incident ${third.key}`);
    });

    it('ends the hold from the record alone when the incident recorded no release (its entry was not written)', async () => {
      const { second } = await releasedAndReplaced();
      const record = withoutItsRelease(second.key);
      const report = buildIncidentReport(record, undefined, { children: [], keyRecords: await readingsFor(record) });
      expect(report.status).toBe('released');
      expect(report.followUps.filter((followUp) => followUp.includes(KEY))).toEqual([]);
    });

    it('a replacing record that does not verify proves nothing: not confirmed, and never released by it', async () => {
      const { second } = await releasedAndReplaced();
      const stored = credentials.stored(pk) as unknown as Record<string, unknown>;
      credentials.forge(pk, { ...stored, userName: 'someone-else' });
      const record = withoutItsRelease(second.key);
      const report = buildIncidentReport(record, undefined, { children: [], keyRecords: await readingsFor(record) });
      expect(report.status).toBe('open');
      expect(report.followUps).toEqual(expect.arrayContaining([expect.stringContaining('that this incident set it Inactive, or that its claim holds it, is not confirmed: its credential record failed its integrity check')]));
    });

    it('a verified record captured before the claim cannot show it was released (the claim could have been written on it): still not confirmed', async () => {
      const { second, third } = await releasedAndReplaced();
      const newer = credentials.stored(pk) as unknown as AccessKeyRecord;
      // The same record, sealed, but captured before the second incident's claim: it may be the record the claim was written on, its claims rewritten.
      await credentials.replace({ ...newer, capturedAt: RECEIVED.toISOString() });
      const record = withoutItsRelease(second.key);
      const report = buildIncidentReport(record, undefined, { children: [], keyRecords: await readingsFor(record) });
      expect(report.status).toBe('open');
      expect(report.followUps).toEqual(
        expect.arrayContaining([expect.stringContaining(`that the claim holds the key is not confirmed: the key's verified credential record (incident ${third.key}'s) does not carry this incident's claim`)]),
      );
    });
  });
});
