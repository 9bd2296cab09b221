/**
 * The report of a credential step that Step Functions retried, built from the entries the
 * responders themselves write: disable-access-key and revoke-role-sessions run through
 * recordingHandler (the wrapper every responder Lambda has), their IAM calls answered by
 * aws-sdk-client-mock, the entries written as the state table would store them and read back
 * through parseRecordEntries. What is proved: a key set Inactive by an attempt that then failed is
 * this incident's containment, dated by that attempt, even when the retry finds it already
 * Inactive; a key that was Inactive before Firebreak touched it is not.
 */
import {
  AttachUserPolicyCommand,
  GetRoleCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREDENTIALS_GRANT_SUBJECT } from '../../lib/contracts/security';
import type { Incident } from '../../lib/incident/model';
import type { KeyRecordReading } from '../../lib/operator/incident-report';
import { buildIncidentReport, incidentStatus, reportConsistencyProblems } from '../../lib/operator/incident-report';
import { disableAccessKey, disableAccessKeyOptionsSchema } from '../../lib/responders/disable-access-key';
import type { IncidentRecordEntry } from '../../lib/responders/incident-record';
import { recordingHandler } from '../../lib/responders/incident-record';
import { silentLogger } from '../../lib/responders/logging';
import type { AccessKeyRecord, RoleSessionsRecord } from '../../lib/responders/credential-records';
import { credentialRecordKey } from '../../lib/responders/credential-records';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { StoredIncidentRecords, steppingClock } from '../support/stored-incident-records';
import { ENV, GRANTED_PLAYBOOKS, KEY, RECEIVED, clients, fixture, iamMock, recordedDisableAccessKey, recordedRevokeRoleSessions } from './credential-report-harness';
import { MemoryCredentialRecordStore, TestMacSigner } from '../support/credential-records';
import { sdkError } from '../responders/quarantine-fixtures';
import { getUserAnswer } from '../support/iam-users';

const DENY_ALL = { PolicyName: 'AWSDenyAll', PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' };

const clock = steppingClock(RECEIVED);
const { now, offset } = clock;

let record: StoredIncidentRecords;
let credentials: MemoryCredentialRecordStore;

beforeEach(() => {
  clock.reset();
  record = new StoredIncidentRecords(RECEIVED);
  credentials = new MemoryCredentialRecordStore();
});

afterEach(() => {
  iamMock.reset();
});

/** One attempt of disable-access-key, as its Lambda runs it: recorded whether it returns or throws. */
async function disableAttempt(incident: Incident, denyAll: boolean): Promise<unknown> {
  return recordedDisableAccessKey(incident, { denyAll }, { records: record, credentials, now }).catch((error: unknown) => error);
}

/** IAM as it answers ci-deployer's reads now. */
function givenUser(status: 'Active' | 'Inactive', attached: readonly (typeof DENY_ALL)[] = []): void {
  iamMock.reset();
  iamMock.on(GetUserCommand).callsFake((input: { UserName?: string }) => getUserAnswer(input.UserName ?? ''));
  iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, UserName: 'ci-deployer', Status: status }] });
  iamMock.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [...attached] });
  iamMock.on(UpdateAccessKeyCommand).resolves({});
  iamMock.on(AttachUserPolicyCommand).resolves({});
}

const releaseOf = (key: string): IncidentRecordEntry => ({
  step: 'release-credentials',
  startedAt: new Date(RECEIVED.getTime() + 600_000).toISOString(),
  endedAt: new Date(RECEIVED.getTime() + 601_000).toISOString(),
  outcome: 'succeeded',
  status: 'released',
  mode: 'enforce',
  actions: [{ api: 'iam:UpdateAccessKey', target: key, outcome: 'done', detail: `Set ${key} Active again` }],
});

describe('disable-access-key retried: the report counts the key by the attempt that set it Inactive', () => {
  it('a failed attempt set the key Inactive and the retry found it already-inactive: contained, dated by the failed attempt, the key named', async () => {
    // IAM attaches AWSDenyAll but its answer is lost (503): the attempt fails after both changes.
    givenUser('Active');
    iamMock.on(AttachUserPolicyCommand).rejects(sdkError('ServiceUnavailable', 503));
    const failure = await disableAttempt(USER_KEY(), true);
    expect(failure).toMatchObject({ name: 'TransientResponderError' });
    // The retry: IAM now says the key is Inactive and AWSDenyAll attached.
    givenUser('Inactive', [DENY_ALL]);
    await disableAttempt(USER_KEY(), true);

    const [failed, retry] = record.entries;
    expect(failed).toMatchObject({ outcome: 'failed', status: "TransientResponderError", actions: expect.arrayContaining([expect.objectContaining({ api: "iam:UpdateAccessKey", target: KEY, outcome: "done" })]) });
    expect(retry).toMatchObject({ outcome: 'succeeded', status: 'already-inactive' });
    expect(retry?.actions.find((action) => action.api === 'iam:UpdateAccessKey')).toMatchObject({ outcome: 'already-done' });

    const report = buildIncidentReport(record.read());
    expect(incidentStatus(record.entries)).toBe('contained');
    expect(report.status).toBe('contained');
    const changed = failed?.actions.find((action) => action.api === 'iam:UpdateAccessKey')?.at ?? '';
    expect(report.phases.find((phase) => phase.name === 'containment')).toEqual(
      expect.objectContaining({
        label: 'Containment (access key disabled)',
        at: failed?.endedAt,
        by: `disable-access-key: TransientResponderError (contained by this attempt before it failed; already-inactive on a retry; first change at ${offset(changed)})`,
      }),
    );
    expect(report.followUps).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${KEY} is still disabled: .*firebreak credentials release --access-key`))]));
    expect(report.failures).toEqual([]);
    expect(reportConsistencyProblems(report)).toEqual([]);

    // Its release (the key named) ends it.
    const released = buildIncidentReport({ ...record.read(), entries: [...record.entries, releaseOf(KEY)] });
    expect(released.status).toBe('released');
    expect(released.followUps.filter((followUp) => followUp.includes('still disabled'))).toEqual([]);
  });

  it('a key Inactive before Firebreak came is not claimed: open, no containment phase, nothing to release', async () => {
    givenUser('Inactive');
    await disableAttempt(USER_KEY(), false);
    expect(record.entries).toEqual([expect.objectContaining({ status: 'already-inactive' })]);
    const report = buildIncidentReport(record.read());
    expect(report.status).toBe('open');
    expect(report.phases.map((phase) => phase.name)).not.toContain('containment');
    expect(report.followUps.filter((followUp) => followUp.includes('still disabled'))).toEqual([]);
    expect(report.done).toEqual([expect.objectContaining({ api: 'iam:UpdateAccessKey', target: KEY, outcome: 'already-done', detail: expect.stringContaining('already Inactive') })]);
  });

  it('a failed attempt that changed nothing, then a retry that finds the key Inactive (someone else set it): not claimed', async () => {
    givenUser('Active');
    iamMock.on(ListAccessKeysCommand).rejects(sdkError('Throttling', 400));
    await disableAttempt(USER_KEY(), false);
    givenUser('Inactive');
    await disableAttempt(USER_KEY(), false);
    expect(record.entries.map((entry) => [entry.outcome, entry.status])).toEqual([['failed', 'TransientResponderError'], ['succeeded', 'already-inactive']]);
    const report = buildIncidentReport(record.read());
    expect(report.status).toBe('open');
    expect(report.phases.map((phase) => phase.name)).not.toContain('containment');
    expect(report.followUps.filter((followUp) => followUp.includes('still disabled'))).toEqual([]);
  });

  it('a failed attempt set the key Inactive, the retry attached AWSDenyAll (disabled): the key is named, dated by the failed attempt', async () => {
    givenUser('Active');
    iamMock.on(AttachUserPolicyCommand).rejects(sdkError('Throttling', 400));
    await disableAttempt(USER_KEY(), true);
    givenUser('Inactive');
    await disableAttempt(USER_KEY(), true);
    const [failed, retry] = record.entries;
    expect(retry).toMatchObject({ status: 'disabled' });
    const report = buildIncidentReport(record.read());
    expect(report.status).toBe('contained');
    expect(report.phases.find((phase) => phase.name === 'containment')).toEqual(
      expect.objectContaining({ at: failed?.endedAt, by: expect.stringMatching(/^disable-access-key: TransientResponderError \(contained by this attempt before it failed; disabled on a retry; first change at/) }),
    );
    expect(report.followUps).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${KEY} is still disabled`))]));
    // A release naming another key leaves this one in force; one naming it ends it.
    expect(incidentStatus([...record.entries, releaseOf('AKIAI44QH8DHBEXAMPLE')])).toBe('contained');
    expect(incidentStatus([...record.entries, releaseOf(KEY)])).toBe('released');
  });
});

/** The user's key a GuardDuty Tor finding names (ci-deployer's). */
function USER_KEY(): Incident {
  return fixture('guardduty-iam-user-tor-ipcaller');
}

describe('revoke-role-sessions retried: the report counts the role by the attempt that wrote the deny', () => {
  /** A record store whose first replace fails (DynamoDB throttled) after IAM took the deny. */
  class FailingOnceStore extends MemoryCredentialRecordStore {
    private failed = false;
    override async replace(role: RoleSessionsRecord): Promise<void> {
      if (!this.failed) {
        this.failed = true;
        throw sdkError('ProvisionedThroughputExceededException', 400);
      }
      return super.replace(role);
    }
  }

  const revokeAttempt = (incident: Incident, store: MemoryCredentialRecordStore): Promise<unknown> =>
    recordedRevokeRoleSessions(incident, { records: record, credentials: store, now }).catch((error: unknown) => error);

  it('the deny written by an attempt whose record save failed, rewritten by the retry: contained, its first change named', async () => {
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Path: '/', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: RECEIVED, Tags: [] } });
    iamMock.on(PutRolePolicyCommand).resolves({});
    const incident = fixture('guardduty-iam-role-session-maliciousipcaller');
    const store = new FailingOnceStore();
    await revokeAttempt(incident, store);
    await revokeAttempt(incident, store);
    const [failed, retry] = record.entries;
    expect(failed).toMatchObject({ outcome: "failed", actions: expect.arrayContaining([expect.objectContaining({ api: "iam:PutRolePolicy", outcome: "done" })]) });
    expect(retry).toMatchObject({ outcome: 'succeeded', status: 'revoked' });
    const report = buildIncidentReport(record.read());
    expect(report.status).toBe('contained');
    expect(report.phases.find((phase) => phase.name === 'containment')?.by).toMatch(/^revoke-role-sessions: revoked \(first change at \+\d+\.\d s, by an attempt that failed\)$/);
    expect(reportConsistencyProblems(report)).toEqual([]);
  });
});

/**
 * The key's change that no entry records as `done`: the attempt that made it died at its Lambda
 * timeout before writing its entry, or its UpdateAccessKey got an error on every SDK attempt after
 * IAM had made the change. The sealed credential record, written before the change, is what says
 * whether this incident set the key Inactive; it counts only once its seal is verified.
 */
describe('disable-access-key: a change no entry records, told by the sealed credential record', () => {
  /** A later run of the playbook for the same incident (GuardDuty updated the finding: a new revision). */
  const RERUN = { ...EXECUTION, executionArn: `${EXECUTION.executionArn.slice(0, -12)}9f8e7d6c5b4a`, executionName: `${EXECUTION.executionName.slice(0, -12)}9f8e7d6c5b4a` };

  /** One attempt of disable-access-key in `execution`, recorded as its Lambda records it. */
  async function disableIn(incident: Incident, execution: typeof EXECUTION, store: MemoryCredentialRecordStore = credentials): Promise<unknown> {
    const handler = recordingHandler(
      'disable-access-key',
      async (event) =>
        disableAccessKey(event as Parameters<typeof disableAccessKey>[0], {
          clients,
          logger: silentLogger,
          grants: storeGranting(incident, RECEIVED, { instanceId: CREDENTIALS_GRANT_SUBJECT, executionArn: execution.executionArn }),
          records: store,
          environment: { ...ENV, ...playbookStepsEnvironment({ denyAll: false }, GRANTED_PLAYBOOKS) },
          now,
        }),
      { records: { append: record.append }, now },
    );
    return handler({ incident, mode: 'enforce', options: disableAccessKeyOptionsSchema.parse({ denyAll: false }), execution }).catch((error: unknown) => error);
  }

  /**
   * The first run's attempt sets the key Inactive and dies at its timeout before its entry is
   * written (the handler's own work, without the recording wrapper that never got to run); the
   * playbook's Catch records the failure alert; the rerun finds the key Inactive.
   */
  async function timedOutThenRerun(): Promise<Incident> {
    const incident = USER_KEY();
    givenUser('Active');
    await disableAccessKey(
      { incident, mode: 'enforce', options: disableAccessKeyOptionsSchema.parse({ denyAll: false }), execution: EXECUTION },
      {
        clients,
        logger: silentLogger,
        grants: storeGranting(incident, RECEIVED, { instanceId: CREDENTIALS_GRANT_SUBJECT }),
        records: credentials,
        environment: { ...ENV, ...playbookStepsEnvironment({ denyAll: false }, GRANTED_PLAYBOOKS) },
        now,
      },
    );
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(1);
    const at = now().toISOString();
    await record.append({ incidentKey: incident.key, account: incident.account, region: incident.region }, {
      step: 'publish-alert',
      startedAt: at,
      endedAt: at,
      outcome: 'succeeded',
      status: 'published',
      mode: 'enforce',
      executionArn: EXECUTION.executionArn,
      alertKind: 'failure',
      failure: { step: 'disable-access-key', error: 'Sandbox.Timedout', cause: 'Task timed out after 60.00 seconds' },
      actions: [],
    });
    givenUser('Inactive');
    await disableIn(incident, RERUN);
    return incident;
  }

  /** What the report reads of the key's record (the store's get verifies its shape, key, incident and seal). */
  async function readingOf(incident: Incident, store: MemoryCredentialRecordStore = credentials): Promise<KeyRecordReading> {
    const lookup = { incidentKey: incident.key, account: incident.account, accessKeyId: KEY };
    const read = await store.get({ kind: 'access-key', account: incident.account, accessKeyId: KEY });
    return read === undefined ? { ...lookup, state: 'absent' } : { ...lookup, state: 'read', record: read };
  }

  const pk = (incident: Incident) => credentialRecordKey({ kind: 'access-key', account: incident.account, accessKeyId: KEY });

  it('a Lambda timeout after UpdateAccessKey, the rerun already-inactive: contained by this incident, its time not recorded, the key named for release', async () => {
    const incident = await timedOutThenRerun();
    const rerun = record.entries.find((entry) => entry.step === 'disable-access-key');
    expect(record.entries.filter((entry) => entry.step === 'disable-access-key')).toEqual([expect.objectContaining({ status: 'already-inactive', executionArn: RERUN.executionArn })]);

    // Without the credential record (today's reading): the key is not claimed.
    expect(buildIncidentReport(record.read()).status).toBe('failed');

    const report = buildIncidentReport(record.read(), undefined, { children: [], keyRecords: [await readingOf(incident)] });
    expect(report.status).toBe('contained');
    const captured = (credentials.stored(pk(incident)) as unknown as AccessKeyRecord).capturedAt;
    expect(report.phases.find((phase) => phase.name === 'containment')).toEqual({
      name: 'containment',
      label: 'Containment (access key disabled)',
      at: rerun?.endedAt,
      sinceReceivedMs: Date.parse(rerun?.endedAt ?? '') - RECEIVED.getTime(),
      timeNotRecorded: true,
      by: `disable-access-key: already-inactive (set Inactive by this incident, as its sealed credential record says: an attempt read it Active at ${offset(captured)} and recorded no change; the time of the change is not recorded, at the latest by the end of this step)`,
    });
    expect(report.followUps).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${KEY} is still disabled: .*firebreak credentials release --access-key`))]));
    expect(report.followUps.filter((followUp) => followUp.includes('not confirmed'))).toEqual([]);
    expect(reportConsistencyProblems(report)).toEqual([]);
    // Its release ends it.
    const released = buildIncidentReport({ ...record.read(), entries: [...record.entries, releaseOf(KEY)] }, undefined, { children: [], keyRecords: [await readingOf(incident)] });
    expect(released.status).toBe('released');
  });

  it('an UpdateAccessKey that got an error on every SDK attempt after IAM made the change, then a retry already-inactive: contained by this incident', async () => {
    const incident = USER_KEY();
    givenUser('Active');
    iamMock.on(UpdateAccessKeyCommand).rejects(sdkError('ServiceUnavailable', 503));
    expect(await disableIn(incident, EXECUTION)).toMatchObject({ name: 'TransientResponderError' });
    givenUser('Inactive');
    await disableIn(incident, EXECUTION);
    const [failed, retry] = record.entries;
    expect(failed?.outcome).toBe('failed');
    expect(failed?.actions.filter((action) => action.api === 'iam:UpdateAccessKey' && action.outcome === 'done')).toEqual([]);
    expect(retry).toMatchObject({ outcome: 'succeeded', status: 'already-inactive' });
    expect(buildIncidentReport(record.read()).status).toBe('open');

    const report = buildIncidentReport(record.read(), undefined, { children: [], keyRecords: [await readingOf(incident)] });
    expect(report.status).toBe('contained');
    expect(report.phases.find((phase) => phase.name === 'containment')).toMatchObject({ at: retry?.endedAt, timeNotRecorded: true, by: expect.stringContaining('as its sealed credential record says') });
    expect(report.followUps).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${KEY} is still disabled`))]));
  });

  describe('a record that is not this incident\'s verified change never makes the report claim the key', () => {
    /** The key was Inactive before Firebreak came: the run wrote no record and changed nothing. */
    async function inactiveBeforeFirebreak(): Promise<Incident> {
      const incident = USER_KEY();
      givenUser('Inactive');
      await disableIn(incident, EXECUTION);
      expect(credentials.items.size).toBe(0);
      return incident;
    }

    const claimed = (incident: Incident): AccessKeyRecord => ({
      kind: 'access-key',
      account: incident.account,
      accessKeyId: KEY,
      userName: 'ci-deployer',
      incidentKey: incident.key,
      capturedAt: RECEIVED.toISOString(),
      previousStatus: 'Active',
      deactivated: true,
      denyAllAttached: false,
      recordedBy: { responder: 'disable-access-key', executionArn: EXECUTION.executionArn },
    });

    const notClaimed = (report: ReturnType<typeof buildIncidentReport>) => {
      expect(report.status).toBe('open');
      expect(report.phases.map((phase) => phase.name)).not.toContain('containment');
      expect(report.followUps.filter((followUp) => followUp.includes('still disabled'))).toEqual([]);
    };

    it('no record (Firebreak writes one before any change): not claimed, and nothing said to be unconfirmed (today\'s report)', async () => {
      const incident = await inactiveBeforeFirebreak();
      const report = buildIncidentReport(record.read(), undefined, { children: [], keyRecords: [await readingOf(incident)] });
      notClaimed(report);
      expect(report.followUps.filter((followUp) => followUp.includes('not confirmed'))).toEqual([]);
    });

    it('a forged, unsealed record claiming this incident set the key Inactive: not claimed, and the report says it is not confirmed and why', async () => {
      const incident = await inactiveBeforeFirebreak();
      credentials.forge(pk(incident), { ...claimed(incident) });
      const report = buildIncidentReport(record.read(), undefined, { children: [], keyRecords: [await readingOf(incident)] });
      notClaimed(report);
      expect(report.followUps).toEqual(
        expect.arrayContaining([
          `${KEY} was found already Inactive by disable-access-key; that this incident set it Inactive is not confirmed: its credential record failed its integrity check (the record carries no MAC), so it is not trusted. Check the key's credential record: firebreak credentials release --access-key re-activates the key only if this incident set it Inactive.`,
        ]),
      );
    });

    it('a record sealed with another key than the deployment\'s: not claimed', async () => {
      const incident = await inactiveBeforeFirebreak();
      const attacker = new MemoryCredentialRecordStore(new TestMacSigner('not-the-record-key'));
      await attacker.replace(claimed(incident));
      credentials.items.set(pk(incident), attacker.items.get(pk(incident)) ?? {});
      const report = buildIncidentReport(record.read(), undefined, { children: [], keyRecords: [await readingOf(incident)] });
      notClaimed(report);
      expect(report.followUps).toEqual(expect.arrayContaining([expect.stringContaining('is not confirmed: its credential record failed its integrity check')]));
    });

    it("another incident's genuine record edited to name this incident (its seal kept): not claimed", async () => {
      const incident = await inactiveBeforeFirebreak();
      await credentials.replace({ ...claimed(incident), incidentKey: 'gd-another-incident' });
      const sealed = credentials.stored(pk(incident));
      credentials.forge(pk(incident), { ...sealed, incidentKey: incident.key });
      const item = credentials.items.get(pk(incident));
      if (item) item.incidentKey = { S: incident.key };
      const report = buildIncidentReport(record.read(), undefined, { children: [], keyRecords: [await readingOf(incident)] });
      notClaimed(report);
      expect(report.followUps).toEqual(expect.arrayContaining([expect.stringContaining('is not confirmed: its credential record failed its integrity check')]));
    });

    it("another incident's genuine record: not claimed (that incident set the key Inactive, its release re-activates it)", async () => {
      const incident = await inactiveBeforeFirebreak();
      await credentials.replace({ ...claimed(incident), incidentKey: 'gd-another-incident' });
      const report = buildIncidentReport(record.read(), undefined, { children: [], keyRecords: [await readingOf(incident)] });
      notClaimed(report);
      expect(report.followUps.filter((followUp) => followUp.includes('not confirmed'))).toEqual([]);
    });

    it('this incident\'s genuine record saying the key was already Inactive (only AWSDenyAll was Firebreak\'s): not claimed', async () => {
      const incident = await inactiveBeforeFirebreak();
      await credentials.replace({ ...claimed(incident), previousStatus: 'Inactive', deactivated: false, denyAllAttached: true });
      notClaimed(buildIncidentReport(record.read(), undefined, { children: [], keyRecords: [await readingOf(incident)] }));
    });

    it("this incident's genuine record, marked released (its change undone; the key set Inactive again by someone else): not claimed", async () => {
      const incident = await inactiveBeforeFirebreak();
      await credentials.replace(claimed(incident));
      await credentials.markReleased(claimed(incident), { releasedAt: RECEIVED.toISOString(), releasedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice' });
      const report = buildIncidentReport(record.read(), undefined, { children: [], keyRecords: [await readingOf(incident)] });
      notClaimed(report);
      expect(report.followUps.filter((followUp) => followUp.includes('not confirmed'))).toEqual([]);
    });

    it("this incident's genuine record captured after the step found the key Inactive (it cannot be what the step found): not claimed", async () => {
      const incident = await inactiveBeforeFirebreak();
      await credentials.replace({ ...claimed(incident), capturedAt: new Date(RECEIVED.getTime() + 3_600_000).toISOString() });
      notClaimed(buildIncidentReport(record.read(), undefined, { children: [], keyRecords: [await readingOf(incident)] }));
    });

    it('a record the report could not read or verify (no kms:VerifyMac, a refused GetItem): not claimed, and said to be not confirmed, with the reason', async () => {
      const incident = await timedOutThenRerun();
      const lookup = { incidentKey: incident.key, account: incident.account, accessKeyId: KEY };
      const unreadable: KeyRecordReading = { ...lookup, state: 'unreadable', reason: 'dynamodb:GetItem AccessDeniedException' };
      const report = buildIncidentReport(record.read(), undefined, { children: [], keyRecords: [unreadable] });
      expect(report.status).toBe('failed');
      expect(report.phases.map((phase) => phase.name)).not.toContain('containment');
      expect(report.followUps).toEqual(
        expect.arrayContaining([
          // The rerun found the record its timed-out attempt wrote, and claimed the key on it: which one holds it, the record would say.
          `${KEY} was found already Inactive by disable-access-key, which claimed it for this incident; that this incident set it Inactive, or that its claim holds it, is not confirmed: its credential record could not be read and checked (dynamodb:GetItem AccessDeniedException). Check the key's credential record: firebreak credentials release --access-key ${KEY} --user <the key's user> --incident ${incident.key} re-activates the key only if Firebreak set it Inactive and no other incident holds it, and otherwise takes back only this incident's hold.`,
        ]),
      );
    });
  });
});
