/**
 * The report of a credential step that Step Functions retried, built from the entries the
 * responders themselves write: disable-access-key and revoke-role-sessions run through
 * recordingHandler (the wrapper every responder Lambda has), their IAM calls answered by
 * aws-sdk-client-mock, the entries written as the state table would store them and read back
 * through parseRecordEntries. What is proved: a key set Inactive by an attempt that then failed is
 * this incident's containment, dated by that attempt, even when the retry finds it already
 * Inactive; a key that was Inactive before Firebreak touched it is not.
 */
import { readFileSync } from 'node:fs';
import {
  AttachUserPolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListUserTagsCommand,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREDENTIALS_GRANT_SUBJECT } from '../../lib/contracts/security';
import { parseEvent } from '../../lib/incident';
import type { Incident } from '../../lib/incident/model';
import type { IncidentRecord } from '../../lib/operator/incident-report';
import { buildIncidentReport, incidentStatus, parseRecordEntries, reportConsistencyProblems } from '../../lib/operator/incident-report';
import { disableAccessKey, disableAccessKeyOptionsSchema } from '../../lib/responders/disable-access-key';
import type { IncidentRecordEntry, IncidentRecordHeader } from '../../lib/responders/incident-record';
import { recordingHandler } from '../../lib/responders/incident-record';
import { silentLogger } from '../../lib/responders/logging';
import { revokeRoleSessions } from '../../lib/responders/revoke-role-sessions';
import type { RoleSessionsRecord } from '../../lib/responders/credential-records';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { MemoryCredentialRecordStore } from '../support/credential-records';
import { sdkError } from '../responders/quarantine-fixtures';

const iamMock = mockClient(IAMClient);
const iam = new IAMClient({ region: 'eu-west-1' });
const clients = { iam: async () => iam };
const RECEIVED = new Date('2026-03-19T12:00:00.000Z');
const ENV = { FIREBREAK_MODE: 'enforce', FIREBREAK_SECURITY_ACCOUNT_ID: '111122223333' };
const GRANTED_PLAYBOOKS = ['compromised-ec2-instance', 'iam-credentials-attack-sequence-credential'];
const KEY = 'AKIAQ3EGRW6JCEXAMPLE';
const DENY_ALL = { PolicyName: 'AWSDenyAll', PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' };
const fixture = (name: string): Incident =>
  parseEvent(JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8')), { receivedAt: RECEIVED });

/** The test's clock: each read moves it on by a second, so every entry and action has a time of its own. */
let seconds = 0;
const now = () => new Date(RECEIVED.getTime() + (seconds += 1) * 1000);
const offset = (at: string) => `+${((Date.parse(at) - RECEIVED.getTime()) / 1000).toFixed(1)} s`;

/** Entries as the state table stores them (JSON strings), with the header the first append wrote. */
class StoredRecord {
  header: IncidentRecordHeader | undefined;
  readonly stored: string[] = [];
  readonly append = async (header: IncidentRecordHeader, entry: IncidentRecordEntry): Promise<void> => {
    this.header ??= header;
    this.stored.push(JSON.stringify(entry));
  };

  /** The record as the operator's reader returns it. */
  read(): IncidentRecord {
    const { entries, invalid } = parseRecordEntries(this.stored);
    if (this.header === undefined) throw new Error('nothing was recorded');
    return { header: { ...this.header, receivedAt: RECEIVED.toISOString() }, entries, invalidEntries: invalid, approvals: [] };
  }

  get entries(): readonly IncidentRecordEntry[] {
    return this.read().entries;
  }
}

let record: StoredRecord;
let credentials: MemoryCredentialRecordStore;

beforeEach(() => {
  seconds = 0;
  record = new StoredRecord();
  credentials = new MemoryCredentialRecordStore();
});

afterEach(() => {
  iamMock.reset();
});

/** One attempt of disable-access-key, as its Lambda runs it: recorded whether it returns or throws. */
async function disableAttempt(incident: Incident, denyAll: boolean): Promise<unknown> {
  const sent = { denyAll };
  const handler = recordingHandler(
    'disable-access-key',
    async (event) =>
      disableAccessKey(event as Parameters<typeof disableAccessKey>[0], {
        clients,
        logger: silentLogger,
        grants: storeGranting(incident, RECEIVED, { instanceId: CREDENTIALS_GRANT_SUBJECT }),
        records: credentials,
        environment: { ...ENV, ...playbookStepsEnvironment(sent, GRANTED_PLAYBOOKS) },
        now,
      }),
    { records: { append: record.append }, now },
  );
  return handler({ incident, mode: 'enforce', options: disableAccessKeyOptionsSchema.parse(sent), execution: EXECUTION }).catch((error: unknown) => error);
}

/** IAM as it answers ci-deployer's reads now. */
function givenUser(status: 'Active' | 'Inactive', attached: readonly (typeof DENY_ALL)[] = []): void {
  iamMock.reset();
  iamMock.on(ListUserTagsCommand).resolves({ Tags: [] });
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

  async function revokeAttempt(incident: Incident, store: MemoryCredentialRecordStore): Promise<unknown> {
    const handler = recordingHandler(
      'revoke-role-sessions',
      async (event) =>
        revokeRoleSessions(event as Parameters<typeof revokeRoleSessions>[0], {
          clients,
          logger: silentLogger,
          grants: storeGranting(incident, RECEIVED, { instanceId: CREDENTIALS_GRANT_SUBJECT }),
          records: store,
          environment: { ...ENV, ...playbookStepsEnvironment({}, GRANTED_PLAYBOOKS) },
          now,
        }),
      { records: { append: record.append }, now },
    );
    return handler({ incident, mode: 'enforce', options: {}, execution: EXECUTION }).catch((error: unknown) => error);
  }

  it('the deny written by an attempt whose record save failed, rewritten by the retry: contained, its first change named', async () => {
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Path: '/', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', RoleId: 'AROAEXAMPLE', CreateDate: RECEIVED, Tags: [] } });
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
