/**
 * The credential record (credential-records.ts) and release-credentials, with exact inputs: the
 * containing steps seal what they changed and a rerun keeps the first record (or writes nothing
 * new); the release undoes only what a verified record of its incident says Firebreak changed. The
 * attacks are tried and fail: a release of a key someone else deactivated, a forged or edited
 * record, another incident's record, a deny rewritten since, a deny whose sessions may still be valid.
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  AttachUserPolicyCommand,
  DeleteRolePolicyCommand,
  DetachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  NoSuchEntityException,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  GetUserCommand,
  ListUserTagsCommand,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS_GRANT_SUBJECT } from '../../lib/contracts/security';
import type { ResponderMode } from '../../lib/contracts/responder-mode';
import { parseEvent } from '../../lib/incident';
import type { Incident } from '../../lib/incident/model';
import { buildCredentialReleaseRequest } from '../../lib/operator/credential-release';
import type { ReleasedCredential } from '../../lib/operator/credential-release';
import type { AccessKeyRecord } from '../../lib/responders/credential-records';
import { DynamoDbCredentialRecordStore } from '../../lib/responders/credential-record-store';
import { credentialMacMessage, credentialRecordKey, userKeysKey } from '../../lib/responders/credential-records';
import { disableAccessKey, disableAccessKeyOptionsSchema } from '../../lib/responders/disable-access-key';
import { silentLogger } from '../../lib/responders/logging';
import { REVOKE_SESSIONS_POLICY_NAME, revokeOlderSessionsPolicy, samePolicy } from '../../lib/responders/quarantine-credentials';
import { KmsMac } from '../../lib/responders/record-integrity';
import type { ReleaseClearance } from '../../lib/responders/release-clearance';
import type { ReleaseCredentialsOptions } from '../../lib/responders/release-credentials';
import { releaseCredentials, releaseCredentialsOptionsSchema } from '../../lib/responders/release-credentials';
import { ApprovalReleaseClearance } from '../../lib/responders/release-clearance';
import { InMemoryApprovalStore } from '../../lib/responders/approval-records';
import { releaseGrantCheck } from '../../lib/responders/grants';
import { deployedStepsOf, requestDigest } from '../../lib/responders/step-binding';
import { RESPONDER_NAMES } from '../../lib/contracts/responders';
import { revokeRoleSessions } from '../../lib/responders/revoke-role-sessions';
import { MemoryCredentialRecordStore, TestMacSigner } from '../support/credential-records';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { NO_EC2 } from '../support/role-holders';
import { getUserAnswer } from '../support/iam-users';

const iamMock = mockClient(IAMClient);
const iam = new IAMClient({ region: 'eu-west-1' });
const clients = { iam: async () => iam };
const NOW = new Date('2026-03-19T12:00:00.000Z');
const LATER = new Date('2026-03-20T09:00:00.000Z');
const ENV = { FIREBREAK_MODE: 'enforce', FIREBREAK_SECURITY_ACCOUNT_ID: '111122223333' };
const KEY = 'AKIAQ3EGRW6JCEXAMPLE';
const USER = 'ci-deployer';
const ACCOUNT = '111122223333';
const APPROVER = 'arn:aws:sts::111122223333:assumed-role/oncall/bob';
const fixture = (name: string): Incident =>
  parseEvent(JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8')), { receivedAt: NOW });
const USER_KEY = () => fixture('guardduty-iam-user-tor-ipcaller');
const ROLE_SESSION = () => fixture('guardduty-iam-role-session-maliciousipcaller');
const KEY_PK = credentialRecordKey({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY });
const ROLE_PK = credentialRecordKey({ kind: 'role-sessions', account: ACCOUNT, roleName: 'ci-deploy-role' });

afterEach(() => iamMock.reset());

function givenUser(status: 'Active' | 'Inactive', attached: string[] = []): void {
  iamMock.on(ListUserTagsCommand).resolves({ Tags: [] });
  // disable-access-key reads the user with GetUser (its path and tags, row 11ae), the release with ListUserTags.
  iamMock.on(GetUserCommand).callsFake((input: { UserName?: string }) => getUserAnswer(input.UserName ?? ''));
  iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, UserName: USER, Status: status }] });
  iamMock.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: attached.map((PolicyArn) => ({ PolicyArn, PolicyName: PolicyArn.split('/').pop() })) });
  iamMock.on(UpdateAccessKeyCommand).resolves({});
  iamMock.on(AttachUserPolicyCommand).resolves({});
  iamMock.on(DetachUserPolicyCommand).resolves({});
}

function givenRole(): void {
  iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: [] } });
  iamMock.on(PutRolePolicyCommand).resolves({});
}

function disable(incident: Incident, records: MemoryCredentialRecordStore, denyAll = false, at = NOW) {
  return disableAccessKey(
    { incident, mode: 'enforce', options: disableAccessKeyOptionsSchema.parse({ denyAll }), execution: EXECUTION },
    { clients, logger: silentLogger, grants: storeGranting(incident, at, { instanceId: CREDENTIALS_GRANT_SUBJECT }), records, environment: { ...ENV, ...playbookStepsEnvironment({ denyAll }) }, now: () => at },
  );
}

function revoke(incident: Incident, records: MemoryCredentialRecordStore, at = NOW, execution: typeof EXECUTION = EXECUTION) {
  return revokeRoleSessions(
    { incident, mode: 'enforce', options: {}, execution },
    { clients, ec2Clients: NO_EC2, logger: silentLogger, grants: storeGranting(incident, at, { instanceId: CREDENTIALS_GRANT_SUBJECT, executionArn: execution.executionArn }), records, environment: { ...ENV, ...playbookStepsEnvironment({}) }, now: () => at },
  );
}

/** When the guard cleared the release (its grant): after the containment at NOW, before the approval at LATER. */
const GRANTED = new Date('2026-03-19T13:00:00.000Z');
const approvedAfter = (grantedAt: Date): ReleaseClearance => ({
  check: async () => ({ cleared: true, approvedBy: APPROVER, approvedAt: LATER.toISOString(), executionArn: EXECUTION.executionArn, mode: 'enforce', grantedAt: grantedAt.toISOString() }),
});
const approved = approvedAfter(GRANTED);

function release(credential: ReleasedCredential, records: MemoryCredentialRecordStore, options: { incidentKey: string; mode?: ResponderMode; at?: Date; clearance?: ReleaseClearance; options?: ReleaseCredentialsOptions }) {
  const request = buildCredentialReleaseRequest({
    credential,
    account: ACCOUNT,
    region: 'eu-west-1',
    incidentKey: options.incidentKey,
    mode: options.mode ?? 'enforce',
    requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice',
    reason: 'INC-4711: key rotated',
    at: options.at ?? LATER,
  });
  return releaseCredentials(
    { incident: request.input.incident, mode: request.input.mode, options: options.options ?? {}, execution: EXECUTION, request: { requestedBy: request.input.requestedBy, reason: request.input.reason } },
    { clients, revokerClients: clients, records, clearance: options.clearance ?? approved, logger: silentLogger, environment: ENV, now: () => options.at ?? LATER },
  );
}

/** A key disabled by Firebreak (IAM said `before`), then IAM as the release finds it (`after`, the attached policies). */
async function contained(before: 'Active' | 'Inactive', after: 'Active' | 'Inactive', denyAll = false, attachedAfter: string[] = []) {
  const records = new MemoryCredentialRecordStore();
  const incident = USER_KEY();
  givenUser(before);
  await disable(incident, records, denyAll);
  iamMock.reset();
  givenUser(after, attachedAfter);
  return { records, incident };
}

const keyCredential: ReleasedCredential = { kind: 'access-key', accessKeyId: KEY, userName: USER };
const roleCredential: ReleasedCredential = { kind: 'role-sessions', roleName: 'ci-deploy-role' };
const DENY_ALL = 'arn:aws:iam::aws:policy/AWSDenyAll';

/** The user's second access key (a user has at most two). */
const KEY_2 = 'AKIAQ3EGRW6JDEXAMPLE';
const KEY_2_PK = credentialRecordKey({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY_2 });
const key2Credential: ReleasedCredential = { kind: 'access-key', accessKeyId: KEY_2, userName: USER };

/** The user with these keys (status by key id) and attached policies, as IAM says. */
function givenUserKeys(keys: Record<string, 'Active' | 'Inactive'>, attached: string[] = []): void {
  givenUser('Active', attached);
  iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: Object.entries(keys).map(([AccessKeyId, Status]) => ({ AccessKeyId, UserName: USER, Status })) });
}

/**
 * Incident A disables the user's key 1 and attaches AWSDenyAll (its record: attached by Firebreak);
 * incident B, another finding, disables key 2 of the same user and finds AWSDenyAll attached (its
 * record: not attached by Firebreak).
 */
async function twoKeysOfOneUser() {
  const records = new MemoryCredentialRecordStore();
  const a = USER_KEY();
  const b: Incident = { ...parseEvent(JSON.parse(readFileSync(new URL('../fixtures/events/guardduty-iam-user-tor-ipcaller.json', import.meta.url), 'utf8').replaceAll(KEY, KEY_2)), { receivedAt: NOW }), key: 'gd-second-key-of-the-user' };
  givenUserKeys({ [KEY]: 'Active', [KEY_2]: 'Active' });
  await disable(a, records, true);
  iamMock.reset();
  givenUserKeys({ [KEY]: 'Inactive', [KEY_2]: 'Active' }, [DENY_ALL]);
  await disable(b, records, true);
  expect(records.stored(KEY_PK)).toMatchObject({ incidentKey: a.key, deactivated: true, denyAllAttached: true });
  expect(records.stored(KEY_2_PK)).toMatchObject({ incidentKey: b.key, deactivated: true, denyAllAttached: false });
  return { records, a, b };
}

describe('disableAccessKey records what it changed', () => {
  it('seals the key\'s previous status before the change, and a rerun (the key now Inactive) keeps that first record', async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = USER_KEY();
    givenUser('Active');
    const first = await disable(incident, records);
    expect(first.actions.map((a) => a.api)).toEqual(expect.arrayContaining(['firebreak:record-credential', 'iam:UpdateAccessKey']));
    const recordIndex = first.actions.findIndex((a) => a.api === 'firebreak:record-credential');
    expect(recordIndex).toBeLessThan(first.actions.findIndex((a) => a.api === 'iam:UpdateAccessKey'));
    const stored = records.stored(KEY_PK);
    expect(stored).toMatchObject({ kind: 'access-key', accessKeyId: KEY, userName: USER, incidentKey: incident.key, previousStatus: 'Active', deactivated: true, denyAllAttached: false, capturedAt: NOW.toISOString() });
    expect(stored.seal).toMatchObject({ scheme: 'firebreak-credential-record/v1', algorithm: 'HMAC_SHA_256' });

    iamMock.reset();
    givenUser('Inactive');
    const rerun = await disable(incident, records);
    expect(rerun.status).toBe('already-inactive');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    expect(records.stored(KEY_PK)).toEqual(stored);
  });

  it('records nothing for a key that was already Inactive (someone else deactivated it): Firebreak changed nothing', async () => {
    const records = new MemoryCredentialRecordStore();
    givenUser('Inactive');
    await disable(USER_KEY(), records);
    expect(records.items.size).toBe(0);
  });

  it('records whether AWSDenyAll was attached by Firebreak or before', async () => {
    const mine = new MemoryCredentialRecordStore();
    givenUser('Active');
    await disable(USER_KEY(), mine, true);
    expect(mine.stored(KEY_PK)).toMatchObject({ deactivated: true, denyAllAttached: true });
    iamMock.reset();
    const theirs = new MemoryCredentialRecordStore();
    givenUser('Active', [DENY_ALL]);
    await disable(USER_KEY(), theirs, true);
    expect(theirs.stored(KEY_PK)).toMatchObject({ deactivated: true, denyAllAttached: false });
  });
});

describe('releaseCredentials: access keys', () => {
  it('re-activates the key Firebreak deactivated, with exactly that input, and marks the record released by the approver', async () => {
    const { records, incident } = await contained('Active', 'Inactive');
    const result = await release(keyCredential, records, { incidentKey: incident.key });
    expect(result.status).toBe('released');
    expect(iamMock.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER }]);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, AccessKeyId: KEY, Status: 'Active' }]);
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);
    expect(result.credentials).toEqual([{ kind: 'access-key', id: KEY, account: ACCOUNT, userName: USER, outcome: 'released', keyStatus: 'Active' }]);
    expect(result.releasedBy).toBe(APPROVER);
    expect(records.items.get(KEY_PK)).toMatchObject({ released: { BOOL: true }, releasedBy: { S: APPROVER }, releaseReason: { S: 'INC-4711: key rotated' } });

    // Released once: a second release changes nothing.
    iamMock.reset();
    givenUser('Active');
    const again = await release(keyCredential, records, { incidentKey: incident.key });
    expect(again.status).toBe('already-released');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
  });

  // Review renamed-user: disable-access-key contains a user renamed since the finding under its new
  // name, and seals that name in the record; the release acts on the record's name, never follows a key.
  it('releases a user renamed since the finding under the name the record gives, and refuses, changing nothing, under the old name or once renamed again', async () => {
    const NEW_NAME = 'svc-metrics';
    const noSuchUser = (name: string) => Object.assign(new NoSuchEntityException({ message: `The user with name ${name} cannot be found.`, $metadata: { httpStatusCode: 404 } }), { Code: 'NoSuchEntity' });
    const records = new MemoryCredentialRecordStore();
    const incident = USER_KEY();
    iamMock.on(ListUserTagsCommand, { UserName: USER }).rejects(noSuchUser(USER));
    iamMock.on(ListUserTagsCommand, { UserName: NEW_NAME }).resolves({ Tags: [] });
    iamMock.on(GetUserCommand, { UserName: USER }).rejects(noSuchUser(USER));
    iamMock.on(GetUserCommand, { UserName: NEW_NAME }).resolves(getUserAnswer(NEW_NAME));
    iamMock.on(GetAccessKeyLastUsedCommand).resolves({ UserName: NEW_NAME });
    iamMock.on(ListAccessKeysCommand, { UserName: NEW_NAME }).resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, UserName: NEW_NAME, Status: 'Active' }] });
    iamMock.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [] });
    iamMock.on(UpdateAccessKeyCommand).resolves({});
    iamMock.on(AttachUserPolicyCommand).resolves({});
    const contained = await disable(incident, records, true);
    expect(contained.keys[0]).toMatchObject({ userName: NEW_NAME, renamedFrom: USER, outcome: 'disabled', denyAll: 'attached' });

    // Under the finding's (old) name: the record names the new one.
    iamMock.reset();
    const old = await release(keyCredential, records, { incidentKey: incident.key });
    expect(old.status).toBe('refused');
    expect(old.credentials[0]?.reason).toBe(`the record of ${KEY} names user ${NEW_NAME}, not ${USER} (renamed since the finding? release it under the record's name)`);
    expect(iamMock.calls()).toHaveLength(0);

    // Renamed again since: IAM knows no user of the record's name; nothing is re-activated nor detached.
    iamMock.on(ListAccessKeysCommand).rejects(noSuchUser(NEW_NAME));
    const again = await release({ ...keyCredential, userName: NEW_NAME }, records, { incidentKey: incident.key });
    expect(again.status).toBe('refused');
    // (Since review cred-rails the key is followed, row 11u: here it leads to no user, so nothing.)
    expect(again.credentials[0]?.reason).toContain(`IAM knows no user ${NEW_NAME} in account ${ACCOUNT}, and GetAccessKeyLastUsed names no user as the owner of access key ${KEY} (the record's name: renamed or deleted since Firebreak contained ${KEY}); release it by hand`);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);

    // Under the record's name: the key Active again and AWSDenyAll detached, from that user.
    iamMock.reset();
    iamMock.on(ListAccessKeysCommand, { UserName: NEW_NAME }).resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, UserName: NEW_NAME, Status: 'Inactive' }] });
    iamMock.on(ListAttachedUserPoliciesCommand, { UserName: NEW_NAME }).resolves({ AttachedPolicies: [{ PolicyArn: DENY_ALL, PolicyName: 'AWSDenyAll' }] });
    iamMock.on(UpdateAccessKeyCommand).resolves({});
    iamMock.on(DetachUserPolicyCommand).resolves({});
    const released = await release({ ...keyCredential, userName: NEW_NAME }, records, { incidentKey: incident.key });
    expect(released.status).toBe('released');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: NEW_NAME, AccessKeyId: KEY, Status: 'Active' }]);
    expect(iamMock.commandCalls(DetachUserPolicyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: NEW_NAME, PolicyArn: DENY_ALL }]);
  });

  // Review cred-rails (row 11u): a user renamed back (or again) after Firebreak contained it was
  // released only by hand: IAM knew no user of the record's name, and the release refused.
  it('ATTACK (cred-rails): follows the recorded key to a user renamed since it was contained, re-activates it under the current name with every rail, naming both names', async () => {
    const NEW_NAME = 'svc-metrics';
    const noSuchUser = (name: string) => Object.assign(new NoSuchEntityException({ message: `The user with name ${name} cannot be found.`, $metadata: { httpStatusCode: 404 } }), { Code: 'NoSuchEntity' });
    const records = new MemoryCredentialRecordStore();
    const incident = USER_KEY();
    iamMock.on(ListUserTagsCommand).resolves({ Tags: [] });
  // disable-access-key reads the user with GetUser (its path and tags, row 11ae), the release with ListUserTags.
  iamMock.on(GetUserCommand).callsFake((input: { UserName?: string }) => getUserAnswer(input.UserName ?? ''));
    iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, UserName: USER, Status: 'Active' }] });
    iamMock.on(UpdateAccessKeyCommand).resolves({});
    expect((await disable(incident, records, false)).keys[0]).toMatchObject({ userName: USER, outcome: 'disabled' });

    // The user renamed since (ci-deployer to svc-metrics): the key leads there, which lists it.
    iamMock.reset();
    iamMock.on(ListAccessKeysCommand, { UserName: USER }).rejects(noSuchUser(USER));
    iamMock.on(GetAccessKeyLastUsedCommand).resolves({ UserName: NEW_NAME });
    iamMock.on(ListAccessKeysCommand, { UserName: NEW_NAME }).resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, UserName: NEW_NAME, Status: 'Inactive' }] });
    iamMock.on(UpdateAccessKeyCommand).resolves({});
    const released = await release(keyCredential, records, { incidentKey: incident.key });
    expect(released.status).toBe('released');
    expect(iamMock.commandCalls(GetAccessKeyLastUsedCommand).map((c) => c.args[0].input)).toEqual([{ AccessKeyId: KEY }]);
    expect(iamMock.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER }, { UserName: NEW_NAME }]);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: NEW_NAME, AccessKeyId: KEY, Status: 'Active' }]);
    expect(released.credentials[0]).toMatchObject({ outcome: 'released', keyStatus: 'Active', userName: USER });
    expect(released.actions.find((a) => a.api === 'firebreak:follow-renamed-user')).toMatchObject({ target: USER, outcome: 'observed' });
    expect(released.credentials[0]?.reason).toBe(
      `The record names user ${USER}, unknown to IAM in account ${ACCOUNT} now; access key ${KEY} is user ${NEW_NAME}'s (GetAccessKeyLastUsed, ListAccessKeys): renamed since Firebreak contained it: re-activated under its current name ${NEW_NAME}`,
    );
  });

  it('refuses, changing nothing, a renamed user whose new name is privileged, a key its new user does not list, and AWSDenyAll recorded under the old name', async () => {
    const NEW_NAME = 'svc-metrics';
    const noSuchUser = (name: string) => Object.assign(new NoSuchEntityException({ message: `The user with name ${name} cannot be found.`, $metadata: { httpStatusCode: 404 } }), { Code: 'NoSuchEntity' });
    const renamedTo = (to: string, keys: readonly string[] = [KEY]) => {
      iamMock.reset();
      iamMock.on(ListAccessKeysCommand, { UserName: USER }).rejects(noSuchUser(USER));
      iamMock.on(GetAccessKeyLastUsedCommand).resolves({ UserName: to });
      iamMock.on(ListAccessKeysCommand, { UserName: to }).resolves({ AccessKeyMetadata: keys.map((AccessKeyId) => ({ AccessKeyId, UserName: to, Status: 'Inactive' })) });
      iamMock.on(UpdateAccessKeyCommand).resolves({});
    };
    const changes = () => [...iamMock.commandCalls(UpdateAccessKeyCommand), ...iamMock.commandCalls(DetachUserPolicyCommand)];
    const { records, incident } = await contained('Active', 'Inactive', false, []);

    renamedTo('breakglass-ops');
    const privileged = await release(keyCredential, records, { incidentKey: incident.key });
    expect(privileged.status).toBe('refused');
    expect(privileged.credentials[0]?.reason).toMatch(/is user breakglass-ops's now .*privileged name pattern \*BreakGlass\*/i);
    expect(iamMock.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER }]);
    expect(changes()).toHaveLength(0);

    renamedTo(NEW_NAME, ['AKIAQ3EGRW6JOTHERKEY']);
    const unlisted = await release(keyCredential, records, { incidentKey: incident.key });
    expect(unlisted.status).toBe('refused');
    expect(unlisted.credentials[0]?.reason).toContain(`IAM lists no such key under a user ${NEW_NAME}`);
    expect(changes()).toHaveLength(0);

    const withDenyAll = await contained('Active', 'Inactive', true, [DENY_ALL]);
    renamedTo(NEW_NAME);
    const denyAll = await release(keyCredential, withDenyAll.records, { incidentKey: withDenyAll.incident.key });
    expect(denyAll.status).toBe('refused');
    expect(denyAll.credentials[0]?.reason).toContain(`AWSDenyAll was attached to user ${USER} by Firebreak`);
    // No warning that it was released under the new name: it was not.
    expect(denyAll.actions.map((a) => a.api)).not.toContain('firebreak:follow-renamed-user');
    expect(changes()).toHaveLength(0);
  });

  it('detaches AWSDenyAll only when Firebreak attached it', async () => {
    const { records, incident } = await contained('Active', 'Inactive', true, [DENY_ALL]);
    await release(keyCredential, records, { incidentKey: incident.key });
    // The read that decides whether the detach runs asks about the recorded user, and only that.
    expect(iamMock.commandCalls(ListAttachedUserPoliciesCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER }]);
    expect(iamMock.commandCalls(DetachUserPolicyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, PolicyArn: DENY_ALL }]);

    const before = new MemoryCredentialRecordStore();
    iamMock.reset();
    givenUser('Active', [DENY_ALL]);
    await disable(incident, before, true);
    iamMock.reset();
    givenUser('Inactive', [DENY_ALL]);
    await release(keyCredential, before, { incidentKey: incident.key });
    // Firebreak did not attach it: the attached policies are not even read.
    expect(iamMock.commandCalls(ListAttachedUserPoliciesCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, AccessKeyId: KEY, Status: 'Active' }]);
  });

  it('ATTACK: never re-activates a key someone else deactivated (Firebreak keeps no record of it)', async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = USER_KEY();
    givenUser('Inactive');
    await disable(incident, records);
    const result = await release(keyCredential, records, { incidentKey: incident.key });
    expect(result.status).toBe('refused');
    expect(result.credentials[0]?.reason).toMatch(/keeps no record of a change to access key/);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
  });

  it('ATTACK: a record forged or edited in the state table (no valid seal) is not acted on', async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = USER_KEY();
    givenUser('Inactive');
    // Someone with write access to the table claims Firebreak deactivated the key.
    records.forge(KEY_PK, { kind: 'access-key', account: ACCOUNT, accessKeyId: KEY, userName: USER, incidentKey: incident.key, capturedAt: NOW.toISOString(), previousStatus: 'Active', deactivated: true, denyAllAttached: false, recordedBy: { responder: 'disable-access-key' }, seal: { scheme: 'firebreak-credential-record/v1', algorithm: 'HMAC_SHA_256', keyId: 'k', mac: 'AAAA' } });
    const forged = await release(keyCredential, records, { incidentKey: incident.key });
    expect(forged.status).toBe('refused');
    expect(forged.credentials[0]?.reason).toMatch(/not trusted/);

    // A genuine record of a key that was Inactive before (deny-all attached), edited to say "deactivated".
    const genuine = new MemoryCredentialRecordStore();
    iamMock.reset();
    givenUser('Inactive');
    await disable(incident, genuine, true);
    const stored = genuine.stored(KEY_PK);
    expect(stored).toMatchObject({ previousStatus: 'Inactive', deactivated: false, denyAllAttached: true });
    genuine.forge(KEY_PK, { ...stored, previousStatus: 'Active', deactivated: true });
    const edited = await release(keyCredential, genuine, { incidentKey: incident.key });
    expect(edited.status).toBe('refused');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);
  });

  it('a key that was Inactive before Firebreak stays Inactive even when the release undoes its deny-all', async () => {
    const { records, incident } = await contained('Inactive', 'Inactive', true, [DENY_ALL]);
    const result = await release(keyCredential, records, { incidentKey: incident.key });
    expect(result.status).toBe('released');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(1);
    expect(result.credentials[0]?.keyStatus).toBe('Inactive');
  });

  it('ATTACK: the release of another incident, or of a user the record does not name, is refused', async () => {
    const { records, incident } = await contained('Active', 'Inactive');
    const other = await release(keyCredential, records, { incidentKey: 'gd-another-incident' });
    expect(other.status).toBe('refused');
    expect(other.credentials[0]?.reason).toMatch(/is incident .* not gd-another-incident/);
    const wrongUser = await release({ ...keyCredential, userName: 'someone-else' }, records, { incidentKey: incident.key });
    expect(wrongUser.status).toBe('refused');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
  });

  it('without the guard\'s grant and a person\'s approval nothing changes', async () => {
    const { records, incident } = await contained('Active', 'Inactive');
    const result = await release(keyCredential, records, { incidentKey: incident.key, clearance: { check: async () => ({ cleared: false, reason: 'nobody has approved it' }) } });
    expect(result.status).toBe('refused');
    expect(iamMock.commandCalls(ListAccessKeysCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
  });

  it('sends no change in dry-run (IAM has no DryRun) and leaves the record unreleased', async () => {
    const { records, incident } = await contained('Active', 'Inactive', true, [DENY_ALL]);
    const result = await release(keyCredential, records, { incidentKey: incident.key, mode: 'dry-run' });
    expect(result.status).toBe('dry-run');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);
    expect(result.actions.filter((a) => a.outcome === 'would-do').map((a) => a.api)).toEqual(['iam:UpdateAccessKey', 'iam:DetachUserPolicy']);
    expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: false });
  });
});

describe('releaseCredentials: a key another incident, or a new execution, contained too (review s20)', () => {
  /** A second finding on the same key: another incident, which finds the key Inactive already. */
  const secondIncident = (): Incident => ({ ...USER_KEY(), key: 'gd-second-finding-on-the-key' });

  it('ATTACK: keeps the key Inactive while another incident that found it contained still holds it; the last incident\'s release re-activates it', async () => {
    const { records, incident } = await contained('Active', 'Inactive');
    const second = secondIncident();
    const other = await disable(second, records);
    expect(other.status).toBe('already-inactive');
    iamMock.reset();
    givenUser('Inactive');

    // Before the fix: the first incident's release re-activated the key while the second incident
    // was open, and the second's release was refused (the record was the first's) or found it released.
    const first = await release(keyCredential, records, { incidentKey: incident.key });
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    expect(first.status).toBe('claim-released');
    expect(first.credentials[0]).toMatchObject({ outcome: 'claim-released', reason: expect.stringContaining(second.key) });
    expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: false });

    const last = await release(keyCredential, records, { incidentKey: second.key });
    expect(last.status).toBe('released');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, AccessKeyId: KEY, Status: 'Active' }]);
    expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: true });
  });

  it('dates a claim when it is written, not when the step began: a release cleared in between sees the claim as after it', async () => {
    const { records } = await contained('Active', 'Inactive');
    iamMock.reset();
    givenUser('Inactive');
    // The step begins on the key at NOW; IAM takes two seconds to list the user's keys; then it claims.
    let clock = NOW.getTime();
    iamMock.on(ListAccessKeysCommand).callsFake(() => {
      clock += 2000;
      return { AccessKeyMetadata: [{ AccessKeyId: KEY, UserName: USER, Status: 'Inactive' }] };
    });
    const second = secondIncident();
    await disableAccessKey(
      { incident: second, mode: 'enforce', options: disableAccessKeyOptionsSchema.parse({}), execution: EXECUTION },
      { clients, logger: silentLogger, grants: storeGranting(second, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT }), records, environment: { ...ENV, ...playbookStepsEnvironment({}) }, now: () => new Date(clock) },
    );
    // Dated when it is written (before the fix: NOW, when the step began on the key).
    expect(records.items.get(KEY_PK)?.lastClaimAt?.S).toBe(new Date(NOW.getTime() + 2000).toISOString());
    // A release the guard cleared a second after the step began, before the claim was written.
    const first = await release(keyCredential, records, { incidentKey: USER_KEY().key, clearance: approvedAfter(new Date(NOW.getTime() + 1000)) });
    expect(first.status).toBe('refused');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
  });

  it('ATTACK: a claim made while the release runs (after its read, before its mark): the key is Inactive again, AWSDenyAll attached again, the release refused (review s21)', async () => {
    const { records, incident } = await contained('Active', 'Inactive', true, [DENY_ALL]);
    const second = secondIncident();
    // The second incident's step claims the key in the moment the release makes it Active (it read the key Inactive before).
    iamMock.on(UpdateAccessKeyCommand, { Status: 'Active' }).callsFake(async () => {
      expect(await records.claim({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY }, second.key, LATER.toISOString())).toBe('claimed');
      return {};
    });
    const result = await release(keyCredential, records, { incidentKey: incident.key });
    // Before the fix: `released`, the key Active and AWSDenyAll detached while the second incident counts on both.
    expect(result.status).toBe('refused');
    expect(result.credentials[0]).toMatchObject({ outcome: 'refused', keyStatus: 'Inactive', reason: expect.stringContaining(`incident ${second.key} claimed ${KEY} while this release ran`) });
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([
      { UserName: USER, AccessKeyId: KEY, Status: 'Active' },
      { UserName: USER, AccessKeyId: KEY, Status: 'Inactive' },
    ]);
    expect(iamMock.commandCalls(DetachUserPolicyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, PolicyArn: DENY_ALL }]);
    expect(iamMock.commandCalls(AttachUserPolicyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, PolicyArn: DENY_ALL }]);
    expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: false });

    // The second incident is now a holder: its release takes back only its hold, and the first's, the last, re-activates the key.
    iamMock.reset();
    givenUser('Inactive', [DENY_ALL]);
    // (Cleared after the second incident's claim: a release cleared before it would be refused as stale.)
    expect((await release(keyCredential, records, { incidentKey: second.key, clearance: approvedAfter(new Date(LATER.getTime() + 30_000)) })).status).toBe('claim-released');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    const last = await release(keyCredential, records, { incidentKey: incident.key, clearance: approvedAfter(new Date(LATER.getTime() + 60_000)), at: new Date(LATER.getTime() + 120_000) });
    expect(last.status).toBe('released');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, AccessKeyId: KEY, Status: 'Active' }]);
  });

  it('a record that changed while the release ran with no new claim (a duty handed over) undoes nothing', async () => {
    const { records, incident } = await contained('Active', 'Inactive');
    iamMock.on(UpdateAccessKeyCommand, { Status: 'Active' }).callsFake(() => {
      // Another key's release hands the duty to detach AWSDenyAll over to this record meanwhile.
      const item = records.items.get(KEY_PK);
      if (item !== undefined) item.denyAllProof = { S: '{}' };
      return {};
    });
    const result = await release(keyCredential, records, { incidentKey: incident.key });
    expect(result.status).toBe('released');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, AccessKeyId: KEY, Status: 'Active' }]);
    expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: false });
  });

  for (const denyAll of [false, true]) {
    it(`ATTACK: a release that ends between a second incident's read of the key and its claim: the second reads the key again and contains it afresh${denyAll ? ', AWSDenyAll too' : ''} (review s21)`, async () => {
      const { records } = await contained('Active', 'Inactive', denyAll, denyAll ? [DENY_ALL] : []);
      const second = secondIncident();
      let status: 'Active' | 'Inactive' = 'Inactive';
      let attached = denyAll;
      iamMock.on(ListAccessKeysCommand).callsFake(async () => {
        const answer = { AccessKeyMetadata: [{ AccessKeyId: KEY, UserName: USER, Status: status }] };
        const read = await records.get({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY });
        if (read !== undefined && read.record.released !== true && read.record.incidentKey !== second.key) {
          // The first incident's release, approved, runs to its end right after IAM answered: the key Active, AWSDenyAll detached, its record released.
          status = 'Active';
          attached = false;
          expect(await records.markReleased(read.record, { releasedAt: LATER.toISOString(), releasedBy: APPROVER }, read.claims)).toBe('released');
        }
        return answer;
      });
      iamMock.on(ListAttachedUserPoliciesCommand).callsFake(() => ({ AttachedPolicies: attached ? [{ PolicyArn: DENY_ALL, PolicyName: 'AWSDenyAll' }] : [] }));
      iamMock.on(UpdateAccessKeyCommand).callsFake((input: { Status: 'Active' | 'Inactive' }) => {
        status = input.Status;
        return {};
      });
      iamMock.on(AttachUserPolicyCommand).callsFake(() => {
        attached = true;
        return {};
      });
      const result = await disable(second, records, denyAll);
      // Before the fix: `already-inactive`, the key left Active (and AWSDenyAll detached) while the second incident counts it contained.
      expect(result.status).toBe('disabled');
      expect(status).toBe('Inactive');
      expect(attached).toBe(denyAll);
      expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, AccessKeyId: KEY, Status: 'Inactive' }]);
      expect(iamMock.commandCalls(AttachUserPolicyCommand).map((c) => c.args[0].input)).toEqual(denyAll ? [{ UserName: USER, PolicyArn: DENY_ALL }] : []);
      // Its own record: what the key was when it contained it, so that its release re-activates it.
      expect(records.stored(KEY_PK)).toMatchObject({ incidentKey: second.key, previousStatus: 'Active', deactivated: true, denyAllAttached: denyAll });
      expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: false });
    });
  }

  it('ATTACK: keeps AWSDenyAll on the user while another incident that found it attached still holds the key', async () => {
    const { records, incident } = await contained('Active', 'Inactive', true, [DENY_ALL]);
    await disable(secondIncident(), records, true);
    iamMock.reset();
    givenUser('Inactive', [DENY_ALL]);
    const first = await release(keyCredential, records, { incidentKey: incident.key });
    expect(first.status).toBe('claim-released');
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
  });

  it('either order: the second incident\'s release takes back only its claim while the first still holds the key', async () => {
    const { records, incident } = await contained('Active', 'Inactive');
    const second = secondIncident();
    await disable(second, records);
    iamMock.reset();
    givenUser('Inactive');
    const other = await release(keyCredential, records, { incidentKey: second.key });
    expect(other.status).toBe('claim-released');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    const again = await release(keyCredential, records, { incidentKey: second.key });
    expect(again.status).toBe('already-released');
    const last = await release(keyCredential, records, { incidentKey: incident.key });
    expect(last.status).toBe('released');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(1);
  });

  it('ATTACK: a new execution of the incident contains the key again after its release was cleared: the approved release re-activates nothing', async () => {
    const { records, incident } = await contained('Active', 'Inactive');
    // GuardDuty updates the finding while the release waits for approval: a new execution finds the key Inactive.
    const renewed = await disable(incident, records, false, new Date(GRANTED.getTime() + 60_000));
    expect(renewed.status).toBe('already-inactive');
    iamMock.reset();
    givenUser('Inactive');
    // Before the fix, the release the approver was asked about (before the new finding) re-activated the key.
    const result = await release(keyCredential, records, { incidentKey: incident.key });
    expect(result.status).toBe('refused');
    expect(result.credentials[0]?.reason).toMatch(/contained again .* after .* cleared/);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: false });

    // A release cleared after that containment (a new release, a new approval) re-activates it.
    const anew = await release(keyCredential, records, { incidentKey: incident.key, clearance: approvedAfter(new Date(GRANTED.getTime() + 120_000)) });
    expect(anew.status).toBe('released');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(1);
  });

  it('ATTACK: with another incident holding the key too, the stale release keeps its own incident\'s renewed claim', async () => {
    const { records, incident } = await contained('Active', 'Inactive');
    const second = secondIncident();
    await disable(second, records);
    await disable(incident, records, false, new Date(GRANTED.getTime() + 60_000));
    iamMock.reset();
    givenUser('Inactive');
    const stale = await release(keyCredential, records, { incidentKey: incident.key });
    expect(stale.status).toBe('refused');
    // The second incident's release then only takes back its own claim: the first still holds the key.
    const other = await release(keyCredential, records, { incidentKey: second.key, clearance: approvedAfter(new Date(GRANTED.getTime() + 120_000)) });
    expect(other.status).toBe('claim-released');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
  });

  it('ATTACK: through the real clearance, the grant\'s time is what a renewed containment is compared with', async () => {
    const { records, incident } = await contained('Active', 'Inactive');
    await disable(incident, records, false, new Date(GRANTED.getTime() + 60_000));
    iamMock.reset();
    givenUser('Inactive');
    const request = { requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice', reason: 'INC-4711: key rotated' };
    const releaseIncident = buildCredentialReleaseRequest({ credential: keyCredential, account: ACCOUNT, region: 'eu-west-1', incidentKey: incident.key, mode: 'enforce', requestedBy: request.requestedBy, reason: request.reason, at: LATER }).input.incident;
    const options = releaseCredentialsOptionsSchema.parse({});
    const deployed = deployedStepsOf(playbookStepsEnvironment(options, ['release-credentials']), releaseCredentialsOptionsSchema);
    const clearanceGrantedAt = async (grantedAt: Date) => {
      const grants = storeGranting(releaseIncident, grantedAt, { instanceId: CREDENTIALS_GRANT_SUBJECT, playbook: 'release-credentials', kind: 'release', requestDigest: requestDigest(request) });
      const approvals = new InMemoryApprovalStore();
      await approvals.putRequest({ pk: '', executionArn: EXECUTION.executionArn, incidentKey: incident.key, requestedAt: grantedAt.toISOString(), taskToken: 't', playbook: 'release-credentials', account: ACCOUNT, region: 'eu-west-1', waitingSteps: ['release'], timeoutSeconds: 3600 });
      await approvals.decide(EXECUTION.executionArn, { decision: 'approved', decidedBy: APPROVER, decidedAt: LATER.toISOString() }, 't');
      return new ApprovalReleaseClearance(approvals, releaseGrantCheck(grants, RESPONDER_NAMES.releaseCredentials, deployed, () => grantedAt));
    };
    const stale = await release(keyCredential, records, { incidentKey: incident.key, clearance: await clearanceGrantedAt(GRANTED), options });
    expect(stale.status).toBe('refused');
    expect(stale.credentials[0]?.reason).toContain(`cleared (${GRANTED.toISOString()})`);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    const fresh = await release(keyCredential, records, { incidentKey: incident.key, clearance: await clearanceGrantedAt(new Date(GRANTED.getTime() + 120_000)), options });
    expect(fresh.status).toBe('released');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(1);
  });

  it('fails closed when the clearance says nothing of when the release was cleared and the key was contained again', async () => {
    const { records, incident } = await contained('Active', 'Inactive');
    await disable(incident, records, false, new Date(GRANTED.getTime() + 60_000));
    iamMock.reset();
    givenUser('Inactive');
    const noTime: ReleaseClearance = { check: async () => ({ cleared: true, approvedBy: APPROVER, approvedAt: LATER.toISOString(), executionArn: EXECUTION.executionArn, mode: 'enforce' }) };
    const result = await release(keyCredential, records, { incidentKey: incident.key, clearance: noTime });
    expect(result.status).toBe('refused');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
  });

  it('ATTACK: keeps AWSDenyAll on the user while another incident holds another key of the user; that key\'s release detaches it', async () => {
    const { records, a, b } = await twoKeysOfOneUser();
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Inactive', [KEY_2]: 'Inactive' }, [DENY_ALL]);

    // Before the fix: A's release detached AWSDenyAll (its record said it attached it) while B was
    // open, and B's release never detached anything (its record said it found it attached).
    const first = await release(keyCredential, records, { incidentKey: a.key });
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, AccessKeyId: KEY, Status: 'Active' }]);
    expect(first.status).toBe('released');
    expect(first.credentials[0]).toMatchObject({ outcome: 'released', keyStatus: 'Active', reason: expect.stringContaining(`${KEY_2}`) });
    expect(first.credentials[0]?.reason).toContain(b.key);
    expect(first.actions.find((x) => x.api === 'iam:DetachUserPolicy')).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('handed') });
    expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: true });
    expect(records.items.get(KEY_2_PK)).toMatchObject({ released: { BOOL: false }, denyAllHandedOverBy: { S: a.key } });

    // B's release (its own record says it did not attach AWSDenyAll) detaches it: the duty was handed to it.
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Active', [KEY_2]: 'Inactive' }, [DENY_ALL]);
    const last = await release(key2Credential, records, { incidentKey: b.key });
    expect(last.status).toBe('released');
    expect(iamMock.commandCalls(ListAttachedUserPoliciesCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER }]);
    expect(iamMock.commandCalls(DetachUserPolicyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, PolicyArn: DENY_ALL }]);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, AccessKeyId: KEY_2, Status: 'Active' }]);
    expect(records.items.get(KEY_2_PK)?.released).toEqual({ BOOL: true });
  });

  it('ATTACK: keeps AWSDenyAll on the user while another incident holds a key of the user deleted since (IAM no longer lists it) (review s21)', async () => {
    const { records, a, b } = await twoKeysOfOneUser();
    // Both steps noted their key on the user's list (they had AWSDenyAll in play).
    expect(records.items.get(userKeysKey(ACCOUNT, USER))?.keys?.SS?.sort()).toEqual([KEY, KEY_2].sort());
    iamMock.reset();
    // Key 2 is deleted while B is open: IAM lists key 1 alone.
    givenUserKeys({ [KEY]: 'Inactive' }, [DENY_ALL]);
    const first = await release(keyCredential, records, { incidentKey: a.key });
    // Before the fix: A's release detached AWSDenyAll, B's need of it unseen.
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);
    expect(first.status).toBe('released');
    expect(first.credentials[0]?.reason).toContain(`IAM no longer lists ${KEY_2}: deleted since`);
    expect(first.credentials[0]?.reason).toContain(b.key);
    expect(records.items.get(KEY_2_PK)).toMatchObject({ released: { BOOL: false }, denyAllHandedOverBy: { S: a.key } });
  });

  it('ATTACK: a key forged onto the user\'s list (no record of it) keeps nothing attached: each listed key is checked against its own sealed record', async () => {
    const { records, incident } = await contained('Active', 'Inactive', true, [DENY_ALL]);
    await records.noteUserKey(ACCOUNT, USER, KEY_2);
    const result = await release(keyCredential, records, { incidentKey: incident.key });
    expect(result.status).toBe('released');
    expect(iamMock.commandCalls(DetachUserPolicyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, PolicyArn: DENY_ALL }]);
  });

  it('either order: B\'s release first keeps AWSDenyAll (not its own to detach), and A\'s release, the last, detaches it', async () => {
    const { records, a, b } = await twoKeysOfOneUser();
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Inactive', [KEY_2]: 'Inactive' }, [DENY_ALL]);
    expect((await release(key2Credential, records, { incidentKey: b.key })).status).toBe('released');
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);
    expect((await release(keyCredential, records, { incidentKey: a.key })).status).toBe('released');
    expect(iamMock.commandCalls(DetachUserPolicyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, PolicyArn: DENY_ALL }]);
  });

  it('ATTACK: the other key\'s record forged or edited (no valid seal): AWSDenyAll stays attached (fail safe), and no duty is handed to it', async () => {
    const { records, a } = await twoKeysOfOneUser();
    // Someone with write access to the table edits B's record: it no longer verifies.
    records.forge(KEY_2_PK, { ...records.stored(KEY_2_PK), previousStatus: 'Inactive' });
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Inactive', [KEY_2]: 'Inactive' }, [DENY_ALL]);
    const first = await release(keyCredential, records, { incidentKey: a.key });
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);
    expect(first.credentials[0]).toMatchObject({ outcome: 'released', reason: expect.stringMatching(/not trusted.*by hand/) });
    expect(records.items.get(KEY_2_PK)?.denyAllHandedOverBy).toBeUndefined();
  });

  it('ATTACK: a duty to detach AWSDenyAll forged on a record (its proof not a sealed record of Firebreak attaching it) is not acted on', async () => {
    const { records, b } = await twoKeysOfOneUser();
    const aRecord = records.stored(KEY_PK);
    // A's sealed record edited (its seal no longer matches), a proof of another user, and a genuine
    // sealed record that does not say Firebreak attached AWSDenyAll (B's own).
    for (const proof of [{ ...aRecord, incidentKey: 'gd-forged' }, { ...aRecord, userName: 'someone-else' }, records.stored(KEY_2_PK)]) {
      const item = records.items.get(KEY_2_PK)!;
      item.denyAllHandedOverBy = { S: 'gd-forged' };
      item.denyAllProof = { S: JSON.stringify(proof) };
      iamMock.reset();
      givenUserKeys({ [KEY]: 'Inactive', [KEY_2]: 'Inactive' }, [DENY_ALL]);
      const result = await release(key2Credential, records, { incidentKey: b.key });
      expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);
      expect(result.actions.find((x) => x.api === 'iam:DetachUserPolicy')).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('not trusted') });
      records.items.get(KEY_2_PK)!.released = { BOOL: false };
    }
  });

  it('in dry-run hands nothing over; a handover the other record refuses (released since) marks nothing and asks for a new release', async () => {
    const { records, a } = await twoKeysOfOneUser();
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Inactive', [KEY_2]: 'Inactive' }, [DENY_ALL]);
    const dry = await release(keyCredential, records, { incidentKey: a.key, mode: 'dry-run' });
    expect(dry.credentials[0]).toMatchObject({ outcome: 'would-release', reason: expect.stringContaining('would be handed over') });
    expect(records.items.get(KEY_2_PK)?.denyAllHandedOverBy).toBeUndefined();
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);

    records.handOverDenyAll = async () => 'changed';
    const raced = await release(keyCredential, records, { incidentKey: a.key });
    expect(raced.status).toBe('refused');
    expect(raced.credentials[0]?.reason).toMatch(/changed since it was read.*start the release again/);
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);
    expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: false });
  });

  it('a release that read no duty is not marked once a duty was handed over since: the key\'s next release detaches AWSDenyAll', async () => {
    const { records, a, b } = await twoKeysOfOneUser();
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Inactive', [KEY_2]: 'Inactive' }, [DENY_ALL]);
    // A's release hands the duty over while B's release runs (after B read its record, before B marks it).
    const marking = records.markReleased.bind(records);
    records.markReleased = async (...args) => {
      records.markReleased = marking;
      await release(keyCredential, records, { incidentKey: a.key });
      return marking(...args);
    };
    await release(key2Credential, records, { incidentKey: b.key });
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);
    expect(records.items.get(KEY_2_PK)).toMatchObject({ released: { BOOL: false }, denyAllHandedOverBy: { S: a.key } });
    const again = await release(key2Credential, records, { incidentKey: b.key });
    expect(again.status).toBe('released');
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(1);
  });
});

/**
 * One incident that disabled a user's key and revoked a role's sessions (13 hours before the release:
 * the deny may go), and IAM answering as it would for their release.
 */
async function containedBoth() {
  const records = new MemoryCredentialRecordStore();
  const incident = USER_KEY();
  givenUser('Active');
  givenRole();
  await disable(incident, records);
  await revoke({ ...ROLE_SESSION(), key: incident.key }, records);
  iamMock.reset();
  givenUser('Inactive');
  iamMock.on(GetRolePolicyCommand).resolves({ RoleName: 'ci-deploy-role', PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: encodeURIComponent(revokeOlderSessionsPolicy(NOW.toISOString())) });
  iamMock.on(DeleteRolePolicyCommand).resolves({});
  iamMock.on(UpdateAccessKeyCommand).resolves({});
  return { records, incident };
}

describe('releaseCredentials: one credential per release (review s20)', () => {
  it('ATTACK: an execution started by hand (states:StartExecution) whose incident names a second credential of the incident releases neither', async () => {
    // Incident A disabled a key and revoked a role's sessions (13 hours ago: the deny may go).
    const { records, incident } = await containedBoth();
    // `firebreak credentials release` names one credential, and the approval request shows that one;
    // a hand-made input adds the role to the key's release.
    const request = buildCredentialReleaseRequest({ credential: keyCredential, account: ACCOUNT, region: 'eu-west-1', incidentKey: incident.key, mode: 'enforce', requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice', reason: 'INC-4711', at: LATER });
    const forged = { ...request.input.incident, affected: [...(request.input.incident.affected ?? []), { kind: 'iam-role' as const, from: 'firebreak credentials release', account: ACCOUNT, region: 'eu-west-1', roleName: 'ci-deploy-role' }] };
    const result = await releaseCredentials(
      { incident: forged, mode: 'enforce', options: {}, execution: EXECUTION, request: { requestedBy: request.input.requestedBy, reason: request.input.reason } },
      { clients, revokerClients: clients, records, clearance: approved, logger: silentLogger, environment: ENV, now: () => new Date(NOW.getTime() + 13 * 3600_000) },
    );
    // Before the fix: both released (the key Active again, the role's deny deleted) under the one approval.
    expect(result.status).toBe('refused');
    expect(result.credentials.map((c) => c.reason)).toEqual([expect.stringContaining('names 2 credentials'), expect.stringContaining('names 2 credentials')]);
    expect(iamMock.calls()).toHaveLength(0);
    expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: false });
  });
});

describe('releaseCredentials: the credential released is the one the approval request shows (review-operator, row 11ac)', () => {
  // `firebreak approve` shows the request's target from the execution input's `resource` (the key of
  // user ci-deployer, as `firebreak credentials release` builds it), and release-credentials acted on
  // `affected`, which it alone read: an execution started by hand (states:StartExecution, anyone who
  // may start it, not approve it) showing one credential and naming another released the other under
  // the approval given for the first.
  const releaseOf = (incident: Incident, records: MemoryCredentialRecordStore, request: { requestedBy: string; reason: string | null }) =>
    releaseCredentials(
      { incident, mode: 'enforce', options: {}, execution: EXECUTION, request },
      { clients, revokerClients: clients, records, clearance: approved, logger: silentLogger, environment: ENV, now: () => new Date(NOW.getTime() + 13 * 3600_000) },
    );

  it("ATTACK: an input whose resource shows the user's key and whose affected names the role releases nothing", async () => {
    const { records, incident } = await containedBoth();
    const shown = buildCredentialReleaseRequest({ credential: keyCredential, account: ACCOUNT, region: 'eu-west-1', incidentKey: incident.key, mode: 'enforce', requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice', reason: 'INC-4711', at: LATER });
    const acted = buildCredentialReleaseRequest({ credential: roleCredential, account: ACCOUNT, region: 'eu-west-1', incidentKey: incident.key, mode: 'enforce', requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice', reason: 'INC-4711', at: LATER });
    const forged = { ...shown.input.incident, affected: acted.input.incident.affected };
    const result = await releaseOf(forged, records, { requestedBy: shown.input.requestedBy, reason: shown.input.reason });
    // Before the fix: `released`, DeleteRolePolicy of the role's deny, under an approval showing the key.
    expect(result.status).toBe('refused');
    expect(result.credentials).toEqual([expect.objectContaining({ kind: 'role-sessions', id: 'ci-deploy-role', outcome: 'refused', reason: expect.stringContaining('is not the credential its approval request shows') })]);
    expect(iamMock.calls()).toHaveLength(0);
  });

  it("ATTACK: an input whose resource shows the role and whose affected names the user's key releases nothing", async () => {
    const { records, incident } = await containedBoth();
    const shown = buildCredentialReleaseRequest({ credential: roleCredential, account: ACCOUNT, region: 'eu-west-1', incidentKey: incident.key, mode: 'enforce', requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice', reason: 'INC-4711', at: LATER });
    const acted = buildCredentialReleaseRequest({ credential: keyCredential, account: ACCOUNT, region: 'eu-west-1', incidentKey: incident.key, mode: 'enforce', requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice', reason: 'INC-4711', at: LATER });
    const result = await releaseOf({ ...shown.input.incident, affected: acted.input.incident.affected }, records, { requestedBy: shown.input.requestedBy, reason: shown.input.reason });
    expect(result.status).toBe('refused');
    expect(iamMock.calls()).toHaveLength(0);
    expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: false });
  });

  it('tried (review-operator): a request as `firebreak credentials release` builds it, for a key or a role, is released', async () => {
    for (const credential of [keyCredential, roleCredential]) {
      const { records, incident } = await containedBoth();
      const request = buildCredentialReleaseRequest({ credential, account: ACCOUNT, region: 'eu-west-1', incidentKey: incident.key, mode: 'enforce', requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice', reason: 'INC-4711', at: LATER });
      const result = await releaseOf(request.input.incident, records, { requestedBy: request.input.requestedBy, reason: request.input.reason });
      expect(result.status).toBe('released');
    }
  });

  // Re-review of row 11ac: the same kind shown and named, differing only where a person would not look.
  it('tried (rereview-operator): a shown credential and a named one of the same kind that differ in key, user case, account or a session key release nothing', async () => {
    const build = (credential: ReleasedCredential, incidentKey: string) =>
      buildCredentialReleaseRequest({ credential, account: ACCOUNT, region: 'eu-west-1', incidentKey, mode: 'enforce', requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice', reason: 'INC-4711', at: LATER }).input.incident;
    type Affected = Record<string, unknown>[];
    const forgeries: { readonly name: string; readonly forge: (incident: Incident) => Incident }[] = [
      // The user's other key (a user has two), as affected names it.
      { name: 'another key of the user', forge: (incident) => ({ ...incident, affected: (build(keyCredential, incident.key).affected as unknown as Affected).map((a) => ({ ...a, accessKeyId: KEY_2 })) as unknown as Incident['affected'] }) },
      // The user's name in another case: IAM's one user, but not what was shown.
      { name: 'the user in another case', forge: (incident) => ({ ...incident, affected: (build(keyCredential, incident.key).affected as unknown as Affected).map((a) => ({ ...a, userName: USER.toUpperCase() })) as unknown as Incident['affected'] }) },
      // A role of the same name in another account.
      { name: 'the role in another account', forge: (incident) => ({ ...build(roleCredential, incident.key), affected: (build(roleCredential, incident.key).affected as unknown as Affected).map((a) => ({ ...a, account: '444455556666' })) as unknown as Incident['affected'] }) },
      // A role shown as a session with a key (ASIA…), as a finding's resource reads: not the role shown by `firebreak credentials release`.
      { name: 'the role shown with a session key', forge: (incident) => { const role = build(roleCredential, incident.key); return { ...role, resource: { ...role.resource, accessKeyId: 'ASIAQ3EGRW6JSESSION1' } as Incident['resource'] }; } },
      // The shown key under a look-alike field name, the field the check reads absent.
      { name: 'the key under a look-alike name', forge: (incident) => { const key = build(keyCredential, incident.key); const { accessKeyId, ...rest } = key.resource as unknown as Record<string, unknown>; return { ...key, resource: { ...rest, ['accessKey\u0406d']: accessKeyId } as unknown as Incident['resource'] }; } },
    ];
    for (const { name, forge } of forgeries) {
      const { records, incident } = await containedBoth();
      const result = await releaseOf(forge(incident), records, { requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice', reason: 'INC-4711' });
      expect({ name, status: result.status }).toEqual({ name, status: 'refused' });
      expect({ name, calls: iamMock.calls().length }).toEqual({ name, calls: 0 });
      expect({ name, reason: result.credentials[0]?.reason }).toEqual({ name, reason: expect.stringContaining('is not the credential its approval request shows') });
    }
  });
});

describe('tried (review-operator): a sealed credential record moved to another account, or sealed by another deployment', () => {
  // Only Firebreak's roles write the table (row 3c); one of them misused (or a table restored from
  // another deployment's backup) could still put a genuine sealed record where another is looked for.
  it("is not trusted: the record's own account and role are sealed and must be its key's, and only this deployment's key verifies", async () => {
    const records = new MemoryCredentialRecordStore();
    const record = { kind: 'role-sessions' as const, account: ACCOUNT, incidentKey: 'gd-incident-a', recordedBy: { responder: 'revoke-role-sessions' }, roleName: 'ci-deploy-role', policyName: REVOKE_SESSIONS_POLICY_NAME, issuedBefore: NOW.toISOString() };
    await records.replace(record);
    const other = '444455556666';
    const movedPk = credentialRecordKey({ kind: 'role-sessions', account: other, roleName: 'ci-deploy-role' });
    records.items.set(movedPk, records.items.get(ROLE_PK)!);
    expect((await records.get({ kind: 'role-sessions', account: other, roleName: 'ci-deploy-role' }))?.verdict).toEqual({ valid: false, reason: 'the record names another credential or account than its key' });
    // The same record as another deployment sealed it (another record key): its seal does not verify here.
    const elsewhere = new MemoryCredentialRecordStore(new TestMacSigner('another-deployment-record-key'));
    await elsewhere.replace(record);
    records.items.set(ROLE_PK, elsewhere.items.get(ROLE_PK)!);
    expect((await records.get({ kind: 'role-sessions', account: ACCOUNT, roleName: 'ci-deploy-role' }))?.verdict).toMatchObject({ valid: false });
  });
});

describe('releaseCredentials under a release the guard cleared for dry-run only', () => {
  // A release-credentials playbook whose own mode is dry-run: `firebreak credentials release` starts
  // it with the deployment's mode, enforce, and the guard writes a dry-run grant.
  it('stays dry-run even when its input and the deployment say enforce: no change sent, the record unreleased', async () => {
    const { records, incident } = await contained('Active', 'Inactive', true, [DENY_ALL]);
    const request = { requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice', reason: 'INC-4711: key rotated' };
    const grants = storeGranting(buildCredentialReleaseRequest({ credential: keyCredential, account: ACCOUNT, region: 'eu-west-1', incidentKey: incident.key, mode: 'enforce', requestedBy: request.requestedBy, reason: request.reason, at: LATER }).input.incident, LATER, {
      instanceId: CREDENTIALS_GRANT_SUBJECT,
      playbook: 'release-credentials',
      kind: 'release',
      mode: 'dry-run',
      requestDigest: requestDigest(request),
    });
    const approvals = new InMemoryApprovalStore();
    await approvals.putRequest({ pk: '', executionArn: EXECUTION.executionArn, incidentKey: incident.key, requestedAt: LATER.toISOString(), taskToken: 't', playbook: 'release-credentials', account: ACCOUNT, region: 'eu-west-1', waitingSteps: ['release'], timeoutSeconds: 3600 });
    await approvals.decide(EXECUTION.executionArn, { decision: 'approved', decidedBy: APPROVER, decidedAt: LATER.toISOString() }, 't');
    const options = releaseCredentialsOptionsSchema.parse({});
    const deployed = deployedStepsOf(playbookStepsEnvironment(options, ['release-credentials']), releaseCredentialsOptionsSchema);
    const clearance = new ApprovalReleaseClearance(approvals, releaseGrantCheck(grants, RESPONDER_NAMES.releaseCredentials, deployed, () => LATER));

    const result = await release(keyCredential, records, { incidentKey: incident.key, clearance, options });
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('dry-run only') } });
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(DetachUserPolicyCommand)).toHaveLength(0);
    expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: false });
  });
});

describe('revokeRoleSessions records its deny', () => {
  it('records the cut-off it wrote; a rerun of the same incident writes nothing new', async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = ROLE_SESSION();
    givenRole();
    const first = await revoke(incident, records);
    expect(first.status).toBe('revoked');
    expect(records.stored(ROLE_PK)).toMatchObject({ kind: 'role-sessions', roleName: 'ci-deploy-role', incidentKey: incident.key, policyName: REVOKE_SESSIONS_POLICY_NAME, issuedBefore: NOW.toISOString() });
    const rerun = await revoke(incident, records, new Date(NOW.getTime() + 60_000));
    expect(rerun.status).toBe('already-revoked');
    expect(rerun.idempotentReplay).toBe(true);
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
    expect(records.stored(ROLE_PK)).toMatchObject({ issuedBefore: NOW.toISOString() });
  });
});

describe('revokeRoleSessions when GuardDuty updates the finding (review s20)', () => {
  it('ATTACK: a new execution of the incident denies the sessions issued since the first deny; only a rerun of the same execution writes nothing new', async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = ROLE_SESSION();
    givenRole();
    await revoke(incident, records);
    // The attacker takes a new session after the first cut-off (the role's trust still lets them), and
    // GuardDuty updates the finding: a new execution of the same incident. Before the fix it answered
    // already-revoked and left the new session working.
    const later = new Date(NOW.getTime() + 3600_000);
    const updated = { ...EXECUTION, executionArn: `${EXECUTION.executionArn.slice(0, -12)}79561fedeb52`, executionName: `${EXECUTION.executionName.slice(0, -12)}79561fedeb52` };
    const renewed = await revoke(incident, records, later, updated);
    expect(renewed.status).toBe('revoked');
    expect(iamMock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
      { RoleName: 'ci-deploy-role', PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: revokeOlderSessionsPolicy(NOW.toISOString()) },
      { RoleName: 'ci-deploy-role', PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: revokeOlderSessionsPolicy(later.toISOString()) },
    ]);
    expect(records.stored(ROLE_PK)).toMatchObject({ incidentKey: incident.key, issuedBefore: later.toISOString(), recordedBy: { executionArn: updated.executionArn } });
    // A retry of that execution writes nothing new.
    const retry = await revoke(incident, records, new Date(later.getTime() + 60_000), updated);
    expect(retry.status).toBe('already-revoked');
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(2);
  });
});

describe('releaseCredentials: role sessions', () => {
  async function revoked(records: MemoryCredentialRecordStore): Promise<Incident> {
    const incident = ROLE_SESSION();
    givenRole();
    await revoke(incident, records);
    iamMock.reset();
    return incident;
  }

  it('deletes the deny it wrote, with exactly that input, once every session it denies has expired', async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = await revoked(records);
    iamMock.on(GetRolePolicyCommand).resolves({ RoleName: 'ci-deploy-role', PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: encodeURIComponent(revokeOlderSessionsPolicy(NOW.toISOString())) });
    iamMock.on(DeleteRolePolicyCommand).resolves({});
    const result = await release(roleCredential, records, { incidentKey: incident.key });
    expect(result.status).toBe('released');
    expect(iamMock.commandCalls(GetRolePolicyCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role', PolicyName: REVOKE_SESSIONS_POLICY_NAME }]);
    expect(iamMock.commandCalls(DeleteRolePolicyCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role', PolicyName: REVOKE_SESSIONS_POLICY_NAME }]);
    expect(records.items.get(ROLE_PK)?.released).toEqual({ BOOL: true });
  });

  it('ATTACK: refuses to delete the deny while a stolen session may still be valid (12 hours after the cut-off)', async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = await revoked(records);
    const result = await release(roleCredential, records, { incidentKey: incident.key, at: new Date(NOW.getTime() + 11 * 3600_000) });
    expect(result.status).toBe('refused');
    expect(result.credentials[0]?.reason).toMatch(/would make a stolen session work again/);
    expect(iamMock.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
  });

  it('keeps a deny rewritten since (quarantine-instance or another incident moved the cut-off)', async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = await revoked(records);
    iamMock.on(GetRolePolicyCommand).resolves({ RoleName: 'ci-deploy-role', PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: encodeURIComponent(revokeOlderSessionsPolicy('2026-03-19T18:00:00.000Z')) });
    const result = await release(roleCredential, records, { incidentKey: incident.key });
    expect(result.status).toBe('refused');
    expect(result.credentials[0]?.reason).toMatch(/rewritten since/);
    expect(iamMock.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
  });

  it('finds the deny already gone when IAM answers NoSuchEntity (as the SDK delivers it), deletes nothing and marks the record released', async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = await revoked(records);
    iamMock.on(GetRolePolicyCommand).rejects(
      Object.assign(new NoSuchEntityException({ message: `The role policy with name ${REVOKE_SESSIONS_POLICY_NAME} cannot be found.`, $metadata: { httpStatusCode: 404 } }), { Code: 'NoSuchEntity' }),
    );
    const result = await release(roleCredential, records, { incidentKey: incident.key });
    expect(result.status).toBe('released');
    expect(result.actions.find((action) => action.api === 'iam:DeleteRolePolicy')).toMatchObject({ outcome: 'already-done' });
    expect(iamMock.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
  });

  it('compares IAM\'s URL-encoded document as JSON', () => {
    const policy = revokeOlderSessionsPolicy(NOW.toISOString());
    expect(samePolicy(encodeURIComponent(policy), policy)).toBe(true);
    expect(samePolicy(policy, policy)).toBe(true);
    expect(samePolicy(encodeURIComponent(revokeOlderSessionsPolicy(LATER.toISOString())), policy)).toBe(false);
    expect(samePolicy('%E0%A4%A', policy)).toBe(false);
  });
});

describe('DynamoDbCredentialRecordStore', () => {
  const dynamodb = mockClient(DynamoDBClient);
  const kms = mockClient(KMSClient);
  const RECORD_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-4000-8000-00000000c0de';
  const store = () => new DynamoDbCredentialRecordStore(new DynamoDBClient({ region: 'eu-west-1' }), 'state', new KmsMac(new KMSClient({ region: 'eu-west-1' }), RECORD_KEY));
  const record: AccessKeyRecord = {
    kind: 'access-key',
    account: ACCOUNT,
    accessKeyId: KEY,
    userName: USER,
    incidentKey: 'gd-one',
    capturedAt: NOW.toISOString(),
    previousStatus: 'Active',
    deactivated: true,
    denyAllAttached: false,
    recordedBy: { responder: 'disable-access-key' },
  };
  afterEach(() => {
    dynamodb.reset();
    kms.reset();
  });

  it('seals with kms:GenerateMac and writes once (conditional PutItem: absent or released)', async () => {
    kms.on(GenerateMacCommand).resolves({ Mac: new Uint8Array([1, 2, 3]), KeyId: RECORD_KEY });
    dynamodb.on(PutItemCommand).resolves({});
    expect(await store().saveIfAbsent(record)).toBe('saved');
    expect(kms.commandCalls(GenerateMacCommand)[0]!.args[0].input).toEqual({ KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256', Message: credentialMacMessage(record) });
    const sealed = { ...record, seal: { scheme: 'firebreak-credential-record/v1', algorithm: 'HMAC_SHA_256', keyId: RECORD_KEY, mac: 'AQID' } };
    expect(dynamodb.commandCalls(PutItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'state',
      Item: { pk: { S: KEY_PK }, kind: { S: 'access-key' }, account: { S: ACCOUNT }, incidentKey: { S: 'gd-one' }, released: { BOOL: false }, record: { S: JSON.stringify(sealed) } },
      ConditionExpression: 'attribute_not_exists(pk) OR released = :true',
      ExpressionAttributeValues: { ':true': { BOOL: true } },
    });
    dynamodb.on(PutItemCommand).rejects(Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException', $metadata: {} }));
    expect(await store().saveIfAbsent(record)).toBe('exists');
  });

  it('reads consistently and verifies with kms:VerifyMac; a MAC KMS rejects is not trusted', async () => {
    const sealed = { ...record, seal: { scheme: 'firebreak-credential-record/v1', algorithm: 'HMAC_SHA_256', keyId: RECORD_KEY, mac: 'AQID' } };
    dynamodb.on(GetItemCommand).resolves({ Item: { pk: { S: KEY_PK }, incidentKey: { S: 'gd-one' }, released: { BOOL: false }, record: { S: JSON.stringify(sealed) } } });
    kms.on(VerifyMacCommand).resolves({ MacValid: true });
    const read = await store().get({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY });
    expect(dynamodb.commandCalls(GetItemCommand)[0]!.args[0].input).toEqual({ TableName: 'state', Key: { pk: { S: KEY_PK } }, ConsistentRead: true });
    expect(kms.commandCalls(VerifyMacCommand)[0]!.args[0].input).toMatchObject({ KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256', Message: credentialMacMessage(record) });
    expect(read?.verdict).toEqual({ valid: true });
    kms.on(VerifyMacCommand).rejects(Object.assign(new Error('invalid'), { name: 'KMSInvalidMacException', $metadata: { httpStatusCode: 400 } }));
    expect((await store().get({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY }))?.verdict.valid).toBe(false);
  });

  it('claims the key on its unreleased record for an incident that found it contained (conditional UpdateItem); no record, no claim', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    expect(await store().claim({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY }, 'gd-two', LATER.toISOString())).toBe('claimed');
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'state',
      Key: { pk: { S: KEY_PK } },
      UpdateExpression: 'SET lastClaimAt = :at ADD claims :incident DELETE releasedClaims :incident',
      ConditionExpression: 'attribute_exists(pk) AND released = :false',
      ExpressionAttributeValues: { ':at': { S: LATER.toISOString() }, ':incident': { SS: ['gd-two'] }, ':false': { BOOL: false } },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    dynamodb.on(UpdateItemCommand).rejects(Object.assign(new Error('no record'), { name: 'ConditionalCheckFailedException', $metadata: {} }));
    expect(await store().claim({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY }, 'gd-two', LATER.toISOString())).toBe('no-record');
    // A released record: the condition failed on it, and DynamoDB sends it back (ALL_OLD).
    dynamodb.on(UpdateItemCommand).rejects(Object.assign(new Error('released'), { name: 'ConditionalCheckFailedException', $metadata: {}, Item: { pk: { S: KEY_PK }, released: { BOOL: true } } }));
    expect(await store().claim({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY }, 'gd-two', LATER.toISOString())).toBe('released');
  });

  it('notes a key on its user\'s list (UpdateItem ADD) and reads the list back consistently, dropping what is not an access key id', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    await store().noteUserKey(ACCOUNT, USER, KEY);
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'state',
      Key: { pk: { S: `credential#${ACCOUNT}#user#${USER}` } },
      UpdateExpression: 'ADD #keys :key',
      ExpressionAttributeNames: { '#keys': 'keys' },
      ExpressionAttributeValues: { ':key': { SS: [KEY] } },
    });
    dynamodb.on(GetItemCommand).resolves({ Item: { pk: { S: `credential#${ACCOUNT}#user#${USER}` }, keys: { SS: [KEY, KEY_2, 'not a key; rm -rf /'] } } });
    expect(await store().userKeys(ACCOUNT, USER)).toEqual([KEY, KEY_2]);
    expect(dynamodb.commandCalls(GetItemCommand)[0]!.args[0].input).toEqual({ TableName: 'state', Key: { pk: { S: `credential#${ACCOUNT}#user#${USER}` } }, ConsistentRead: true });
    dynamodb.on(GetItemCommand).resolves({});
    expect(await store().userKeys(ACCOUNT, USER)).toEqual([]);
  });

  it('takes back an incident\'s hold only while the record and its claims are as read (conditional UpdateItem)', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    expect(await store().takeBackClaim(record, 'gd-one', { claims: ['gd-two'], releasedClaims: [], lastClaimAt: NOW.toISOString() })).toBe('taken-back');
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'state',
      Key: { pk: { S: KEY_PK } },
      UpdateExpression: 'ADD releasedClaims :incident DELETE claims :incident',
      ConditionExpression: 'incidentKey = :recordIncident AND released = :false AND lastClaimAt = :lastClaimAt AND attribute_not_exists(releasedClaims)',
      ExpressionAttributeValues: { ':lastClaimAt': { S: NOW.toISOString() }, ':incident': { SS: ['gd-one'] }, ':recordIncident': { S: 'gd-one' }, ':false': { BOOL: false } },
    });
    dynamodb.on(UpdateItemCommand).rejects(Object.assign(new Error('changed'), { name: 'ConditionalCheckFailedException', $metadata: {} }));
    expect(await store().takeBackClaim(record, 'gd-two', { claims: ['gd-two'], releasedClaims: ['gd-one'], lastClaimAt: NOW.toISOString() })).toBe('changed');
    expect(dynamodb.commandCalls(UpdateItemCommand)[1]!.args[0].input).toMatchObject({
      ConditionExpression: 'incidentKey = :recordIncident AND released = :false AND lastClaimAt = :lastClaimAt AND size(releasedClaims) = :releasedCount',
      ExpressionAttributeValues: { ':releasedCount': { N: '1' } },
    });
  });

  it('marks a key released only while its claims are as the release read them', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    expect(await store().markReleased(record, { releasedAt: LATER.toISOString(), releasedBy: APPROVER }, { claims: [], releasedClaims: [] })).toBe('released');
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'state',
      Key: { pk: { S: KEY_PK } },
      UpdateExpression: 'SET released = :true, releasedAt = :releasedAt, releasedBy = :releasedBy',
      // Nor once a duty to detach AWSDenyAll was handed over to the record since (none was read).
      ConditionExpression: 'incidentKey = :incidentKey AND released = :false AND attribute_not_exists(lastClaimAt) AND attribute_not_exists(releasedClaims) AND attribute_not_exists(denyAllProof)',
      ExpressionAttributeValues: { ':true': { BOOL: true }, ':false': { BOOL: false }, ':incidentKey': { S: 'gd-one' }, ':releasedAt': { S: LATER.toISOString() }, ':releasedBy': { S: APPROVER } },
    });
    // A release that read the duty (and so detached AWSDenyAll, or found it gone) is not held back by it.
    await store().markReleased(record, { releasedAt: LATER.toISOString(), releasedBy: APPROVER }, { claims: [], releasedClaims: [], denyAllHandedOver: true });
    expect(dynamodb.commandCalls(UpdateItemCommand)[1]!.args[0].input.ConditionExpression).toBe('incidentKey = :incidentKey AND released = :false AND attribute_not_exists(lastClaimAt) AND attribute_not_exists(releasedClaims)');
  });

  it('hands the duty to detach AWSDenyAll over to the unreleased record of another key of the user, with the sealed record that proves it (conditional UpdateItem)', async () => {
    const proof: AccessKeyRecord = { ...record, accessKeyId: 'AKIAQ3EGRW6JDEXAMPLE', incidentKey: 'gd-a', denyAllAttached: true, seal: { scheme: 'firebreak-credential-record/v1', algorithm: 'HMAC_SHA_256', keyId: RECORD_KEY, mac: 'AQID' } };
    dynamodb.on(UpdateItemCommand).resolves({});
    expect(await store().handOverDenyAll(record, 'gd-a', { ...proof, released: true, releasedBy: APPROVER })).toBe('handed-over');
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'state',
      Key: { pk: { S: KEY_PK } },
      UpdateExpression: 'SET denyAllHandedOverBy = :by, denyAllProof = :proof',
      ConditionExpression: 'incidentKey = :recordIncident AND released = :false',
      // The proof as sealed: no release marks.
      ExpressionAttributeValues: { ':by': { S: 'gd-a' }, ':proof': { S: JSON.stringify(proof) }, ':recordIncident': { S: 'gd-one' }, ':false': { BOOL: false } },
    });
    dynamodb.on(UpdateItemCommand).rejects(Object.assign(new Error('released'), { name: 'ConditionalCheckFailedException', $metadata: {} }));
    expect(await store().handOverDenyAll(record, 'gd-a', proof)).toBe('changed');
  });

  it('reads a handed-over duty and verifies its proof with kms:VerifyMac; a proof of another user is not trusted', async () => {
    const seal = { scheme: 'firebreak-credential-record/v1', algorithm: 'HMAC_SHA_256', keyId: RECORD_KEY, mac: 'AQID' };
    const proof: AccessKeyRecord = { ...record, accessKeyId: 'AKIAQ3EGRW6JDEXAMPLE', incidentKey: 'gd-a', denyAllAttached: true };
    const item = (proofRecord: AccessKeyRecord) => ({
      Item: { pk: { S: KEY_PK }, incidentKey: { S: 'gd-one' }, released: { BOOL: false }, record: { S: JSON.stringify({ ...record, seal }) }, denyAllHandedOverBy: { S: 'gd-a' }, denyAllProof: { S: JSON.stringify({ ...proofRecord, seal }) } },
    });
    dynamodb.on(GetItemCommand).resolves(item(proof));
    kms.on(VerifyMacCommand).resolves({ MacValid: true });
    const read = await store().get({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY });
    expect(read?.denyAllHandover).toEqual({ by: 'gd-a', proof: { ...proof, seal }, verdict: { valid: true } });
    expect(read?.claims.denyAllHandedOver).toBe(true);
    expect(kms.commandCalls(VerifyMacCommand).map((c) => c.args[0].input.Message)).toContainEqual(credentialMacMessage(proof));
    dynamodb.on(GetItemCommand).resolves(item({ ...proof, userName: 'someone-else' }));
    expect((await store().get({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY }))?.denyAllHandover?.verdict.valid).toBe(false);
  });

  it('reads the claims beside the sealed record', async () => {
    const sealed = { ...record, seal: { scheme: 'firebreak-credential-record/v1', algorithm: 'HMAC_SHA_256', keyId: RECORD_KEY, mac: 'AQID' } };
    dynamodb.on(GetItemCommand).resolves({
      Item: { pk: { S: KEY_PK }, incidentKey: { S: 'gd-one' }, released: { BOOL: false }, record: { S: JSON.stringify(sealed) }, claims: { SS: ['gd-two'] }, releasedClaims: { SS: ['gd-one'] }, lastClaimAt: { S: LATER.toISOString() } },
    });
    kms.on(VerifyMacCommand).resolves({ MacValid: true });
    const read = await store().get({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY });
    expect(read?.claims).toEqual({ claims: ['gd-two'], releasedClaims: ['gd-one'], lastClaimAt: LATER.toISOString() });
  });

  it('marks released only the unreleased record of the same incident', async () => {
    dynamodb.on(UpdateItemCommand).resolves({});
    expect(await store().markReleased(record, { releasedAt: LATER.toISOString(), releasedBy: APPROVER, releaseReason: 'ok' })).toBe('released');
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'state',
      Key: { pk: { S: KEY_PK } },
      UpdateExpression: 'SET released = :true, releasedAt = :releasedAt, releasedBy = :releasedBy, releaseReason = :releaseReason',
      ConditionExpression: 'incidentKey = :incidentKey AND released = :false',
      ExpressionAttributeValues: {
        ':true': { BOOL: true },
        ':false': { BOOL: false },
        ':incidentKey': { S: 'gd-one' },
        ':releasedAt': { S: LATER.toISOString() },
        ':releasedBy': { S: APPROVER },
        ':releaseReason': { S: 'ok' },
      },
    });
  });
});

describe('releaseCredentials in a game day (review-live)', () => {
  const OPTED_IN = [{ Key: 'firebreak:gameday-target', Value: 'true' }];
  const drillOf = (incident: Incident): Incident => ({ ...incident, gameDay: true, key: 'gameday-creds-1' });

  /** A drill's containment of the opted-in user's key, then IAM as the release finds it: the key Inactive, the user's tags `tagsAfter`. */
  async function drillDisabled(tagsAfter: { Key: string; Value: string }[]) {
    const records = new MemoryCredentialRecordStore();
    const drill = drillOf(USER_KEY());
    givenUser('Active');
    iamMock.on(GetUserCommand).resolves(getUserAnswer(USER, { 'firebreak:gameday-target': 'true' }));
    const contained = await disableAccessKey(
      { incident: drill, mode: 'enforce', options: disableAccessKeyOptionsSchema.parse({}), execution: EXECUTION },
      { clients, logger: silentLogger, grants: storeGranting(drill, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT, gameDay: true }), records, environment: { ...ENV, ...playbookStepsEnvironment({}) }, now: () => NOW },
    );
    expect(contained.keys[0]?.outcome).toBe('disabled');
    iamMock.reset();
    givenUser('Inactive');
    iamMock.on(ListUserTagsCommand).resolves({ Tags: tagsAfter });
    return { records, drill };
  }

  async function drillRevoked(tagsAfter: { Key: string; Value: string }[]) {
    const records = new MemoryCredentialRecordStore();
    const drill = drillOf(ROLE_SESSION());
    givenRole();
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: OPTED_IN } });
    const contained = await revokeRoleSessions(
      { incident: drill, mode: 'enforce', options: {}, execution: EXECUTION },
      { clients, ec2Clients: NO_EC2, logger: silentLogger, grants: storeGranting(drill, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT, gameDay: true }), records, environment: { ...ENV, ...playbookStepsEnvironment({}) }, now: () => NOW },
    );
    expect(contained.status).not.toBe('refused');
    iamMock.reset();
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: tagsAfter } });
    iamMock.on(GetRolePolicyCommand).resolves({ RoleName: 'ci-deploy-role', PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: encodeURIComponent(revokeOlderSessionsPolicy(NOW.toISOString())) });
    iamMock.on(DeleteRolePolicyCommand).resolves({});
    return { records, drill };
  }

  it('ATTACK (review-live): a drill\'s release never re-activates the key of a user that no longer opts in to drills, as IAM says now', async () => {
    const { records, drill } = await drillDisabled([]);
    const result = await release(keyCredential, records, { incidentKey: drill.key });
    expect(result.status).toBe('refused');
    expect(result.credentials[0]?.reason).toMatch(/game-day incident gameday-creds-1: user ci-deployer does not carry the tag firebreak:gameday-target=true in IAM now/);
    expect(iamMock.commandCalls(ListUserTagsCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER }]);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
    expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: false });
  });

  it('releases a drill\'s key when its user still opts in', async () => {
    const { records, drill } = await drillDisabled(OPTED_IN);
    const result = await release(keyCredential, records, { incidentKey: drill.key });
    expect(result.status).toBe('released');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER, AccessKeyId: KEY, Status: 'Active' }]);
  });

  it('ATTACK (review-live): a drill\'s release never deletes the session deny of a role that no longer opts in to drills', async () => {
    const { records, drill } = await drillRevoked([]);
    const result = await release(roleCredential, records, { incidentKey: drill.key, at: new Date('2026-03-20T13:00:00.000Z') });
    expect(result.status).toBe('refused');
    expect(result.credentials[0]?.reason).toMatch(/game-day incident gameday-creds-1: role ci-deploy-role does not carry the tag firebreak:gameday-target=true in IAM now/);
    expect(iamMock.commandCalls(GetRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role' }]);
    expect(iamMock.commandCalls(DeleteRolePolicyCommand)).toHaveLength(0);
    expect(records.items.get(ROLE_PK)?.released).toEqual({ BOOL: false });
  });

  it('deletes a drill\'s session deny when its role still opts in', async () => {
    const { records, drill } = await drillRevoked(OPTED_IN);
    const result = await release(roleCredential, records, { incidentKey: drill.key, at: new Date('2026-03-20T13:00:00.000Z') });
    expect(result.status).toBe('released');
    expect(iamMock.commandCalls(DeleteRolePolicyCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role', PolicyName: REVOKE_SESSIONS_POLICY_NAME }]);
  });

  // Review review-1z: the opt-in was read under the record's name, and a drill's user renamed since
  // (row 11u: the release follows the key and re-activates it under the current name, and the
  // approval request says so, row 11aa) was refused as a user IAM does not know: the opt-in of the
  // principal the release changes was never read.
  describe('a drill\'s user renamed since it was contained (review-1z)', () => {
    const NEW_NAME = 'svc-metrics';
    const noSuchUser = (name: string) => Object.assign(new NoSuchEntityException({ message: `The user with name ${name} cannot be found.`, $metadata: { httpStatusCode: 404 } }), { Code: 'NoSuchEntity' });
    /** ci-deployer renamed svc-metrics since the drill: the record's name unknown to IAM, the key the renamed user's, its tags `tagsAfter`. */
    async function renamedAfterDrill(tagsAfter: { Key: string; Value: string }[]) {
      const contained = await drillDisabled(OPTED_IN);
      iamMock.reset();
      iamMock.on(ListUserTagsCommand, { UserName: USER }).rejects(noSuchUser(USER));
      iamMock.on(ListUserTagsCommand, { UserName: NEW_NAME }).resolves({ Tags: tagsAfter });
      iamMock.on(ListAccessKeysCommand, { UserName: USER }).rejects(noSuchUser(USER));
      iamMock.on(GetAccessKeyLastUsedCommand).resolves({ UserName: NEW_NAME });
      iamMock.on(ListAccessKeysCommand, { UserName: NEW_NAME }).resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, UserName: NEW_NAME, Status: 'Inactive' }] });
      iamMock.on(UpdateAccessKeyCommand).resolves({});
      return contained;
    }

    it('ATTACK (review-1z): a drill\'s release reads the opt-in of the user it re-activates, under its current name, never the record\'s name IAM no longer knows', async () => {
      const { records, drill } = await renamedAfterDrill(OPTED_IN);
      const result = await release(keyCredential, records, { incidentKey: drill.key });
      expect(result.status).toBe('released');
      expect(iamMock.commandCalls(ListUserTagsCommand).map((c) => c.args[0].input)).toEqual([{ UserName: NEW_NAME }]);
      expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: NEW_NAME, AccessKeyId: KEY, Status: 'Active' }]);
      expect(result.actions.find((a) => a.api === 'iam:ListUserTags')).toMatchObject({ target: NEW_NAME, outcome: 'observed' });
    });

    it('ATTACK (review-1z): refuses, changing nothing, a drill\'s release of a renamed user its owner took out of drills, as IAM tags it under its current name', async () => {
      const { records, drill } = await renamedAfterDrill([{ Key: 'firebreak:gameday-target', Value: 'false' }]);
      const result = await release(keyCredential, records, { incidentKey: drill.key });
      expect(result.status).toBe('refused');
      expect(result.credentials[0]?.reason).toMatch(new RegExp(`game-day incident gameday-creds-1: user ${NEW_NAME} does not carry the tag firebreak:gameday-target=true in IAM now`));
      expect(iamMock.commandCalls(ListUserTagsCommand).map((c) => c.args[0].input)).toEqual([{ UserName: NEW_NAME }]);
      expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);
      expect(records.items.get(KEY_PK)?.released).toEqual({ BOOL: false });
    });
  });

  it('reads no tag for the release of a real incident', async () => {
    const { records, incident } = await contained('Active', 'Inactive');
    const result = await release(keyCredential, records, { incidentKey: incident.key });
    expect(result.status).toBe('released');
    expect(iamMock.commandCalls(ListUserTagsCommand)).toHaveLength(0);
  });
});
