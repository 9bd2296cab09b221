/**
 * The approval request of a credential release says what approving will and will not do (review
 * s20, docs/security.md row 11h): release-credentials' read-only preview (the playbook's
 * Preview-release state) reads the sealed records before the request, and publish-alert shows it.
 * Before: the request said nothing of the other incidents holding the key, nor of an AWSDenyAll
 * that stays for another key's incident; only the step's result said so, after the approval.
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
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  GetUserCommand,
  ListUserTagsCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS_GRANT_SUBJECT } from '../../lib/contracts/security';
import { parseEvent } from '../../lib/incident';
import type { Incident } from '../../lib/incident/model';
import { buildCredentialReleaseRequest } from '../../lib/operator/credential-release';
import type { ReleasedCredential } from '../../lib/operator/credential-release';
import { buildAlertMessage } from '../../lib/responders/alert-message';
import { alertInputSchema } from '../../lib/responders/alert-model';
import { approvalOutcomeLines } from '../../lib/responders/alert-response';
import { DynamoDbCredentialRecordStore } from '../../lib/responders/credential-record-store';
import { credentialRecordKey } from '../../lib/responders/credential-records';
import { disableAccessKey, disableAccessKeyOptionsSchema } from '../../lib/responders/disable-access-key';
import { silentLogger } from '../../lib/responders/logging';
import { REVOKE_SESSIONS_POLICY_NAME, revokeOlderSessionsPolicy } from '../../lib/responders/quarantine-credentials';
import { KmsMac } from '../../lib/responders/record-integrity';
import type { ReleaseClearance } from '../../lib/responders/release-clearance';
import { createReleaseCredentialsHandler } from '../../lib/responders/release-credentials';
import { revokeRoleSessions } from '../../lib/responders/revoke-role-sessions';
import { MemoryCredentialRecordStore } from '../support/credential-records';
import { EXECUTION, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { NO_EC2 } from '../support/role-holders';
import { getUserAnswer } from '../support/iam-users';

const iamMock = mockClient(IAMClient);
const iam = new IAMClient({ region: 'eu-west-1' });
const clients = { iam: async () => iam };
const NOW = new Date('2026-03-19T12:00:00.000Z');
const ASKED = new Date('2026-03-20T09:00:00.000Z');
const ENV = { FIREBREAK_MODE: 'enforce', FIREBREAK_SECURITY_ACCOUNT_ID: '111122223333' };
const KEY = 'AKIAQ3EGRW6JCEXAMPLE';
const KEY_2 = 'AKIAQ3EGRW6JDEXAMPLE';
const USER = 'ci-deployer';
const ACCOUNT = '111122223333';
const DENY_ALL = 'arn:aws:iam::aws:policy/AWSDenyAll';
const KEY_PK = credentialRecordKey({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY });
const KEY_2_PK = credentialRecordKey({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY_2 });
const fixtureText = readFileSync(new URL('../fixtures/events/guardduty-iam-user-tor-ipcaller.json', import.meta.url), 'utf8');
const USER_KEY = (): Incident => parseEvent(JSON.parse(fixtureText), { receivedAt: NOW });
const keyCredential: ReleasedCredential = { kind: 'access-key', accessKeyId: KEY, userName: USER };
/** The preview reads; it never asks for the clearance (no grant, no approval yet). */
const noClearance: ReleaseClearance = {
  check: async () => {
    throw new Error('the preview must not read the clearance');
  },
};

afterEach(() => iamMock.reset());

function givenUserKeys(keys: Record<string, 'Active' | 'Inactive'>, attached: string[] = []): void {
  iamMock.on(ListUserTagsCommand).resolves({ Tags: [] });
  // disable-access-key (containing first) reads the user with GetUser (row 11ae), the preview with ListUserTags.
  iamMock.on(GetUserCommand).callsFake((input: { UserName?: string }) => getUserAnswer(input.UserName ?? ''));
  iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: Object.entries(keys).map(([AccessKeyId, Status]) => ({ AccessKeyId, UserName: USER, Status })) });
  iamMock.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: attached.map((PolicyArn) => ({ PolicyArn, PolicyName: 'AWSDenyAll' })) });
  iamMock.on(UpdateAccessKeyCommand).resolves({});
  iamMock.on(AttachUserPolicyCommand).resolves({});
  iamMock.on(DetachUserPolicyCommand).resolves({});
}

function disable(incident: Incident, records: MemoryCredentialRecordStore, denyAll = false) {
  return disableAccessKey(
    { incident, mode: 'enforce', options: disableAccessKeyOptionsSchema.parse({ denyAll }), execution: EXECUTION },
    { clients, logger: silentLogger, grants: storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT }), records, environment: { ...ENV, ...playbookStepsEnvironment({ denyAll }) }, now: () => NOW },
  );
}

/** The execution input `firebreak credentials release` starts the playbook with, for `incidentKey`. */
function releaseInput(credential: ReleasedCredential, incidentKey: string) {
  return buildCredentialReleaseRequest({
    credential,
    account: ACCOUNT,
    region: 'eu-west-1',
    incidentKey,
    mode: 'enforce',
    requestedBy: 'arn:aws:sts::111122223333:assumed-role/oncall/alice',
    reason: 'INC-4711: key rotated',
    at: ASKED,
  }).input;
}

/** The Preview-release state's payload (as the compiled playbook sends it), through the Lambda's handler. */
async function preview(credential: ReleasedCredential, incidentKey: string, records: DynamoDbCredentialRecordStore | MemoryCredentialRecordStore) {
  const input = releaseInput(credential, incidentKey);
  const handler = createReleaseCredentialsHandler({ clients, revokerClients: clients, records, clearance: noClearance, logger: silentLogger, environment: ENV, now: () => ASKED });
  const payload = { incident: input.incident, mode: input.mode, options: {}, execution: { ...EXECUTION, playbook: 'release-credentials' }, request: { requestedBy: input.requestedBy, reason: input.reason }, preview: true };
  return { input, result: (await handler(JSON.parse(JSON.stringify(payload)))) as unknown as Record<string, unknown> };
}

/** The approval request's input to publish-alert, with the preview's result (or what a failed preview leaves there). */
function approvalRequest(incident: Incident, previewResult: unknown) {
  return alertInputSchema.parse(
    JSON.parse(
      JSON.stringify({
        kind: 'approval-request',
        incident,
        mode: 'enforce',
        playbook: 'release-credentials',
        options: {},
        execution: { ...EXECUTION, playbook: 'release-credentials' },
        results: {
          Guard: { responder: 'containment-guard', incidentKey: incident.key, mode: 'enforce', status: 'needs-approval', idempotentReplay: false, actions: [] },
          'Preview-release': previewResult,
        },
        approval: { taskToken: 'token', waitingSteps: ['release'], timeoutSeconds: 3600 },
      }),
    ),
  );
}

/** The APPROVAL NEEDED section publish-alert sends with the preview's result (or what a failed preview leaves there). */
function approvalSection(incident: Incident, previewResult: unknown): string {
  const input = approvalRequest(incident, previewResult);
  const lines = buildAlertMessage(input, { now: ASKED }).message.split('\n');
  const start = lines.findIndex((line) => line.startsWith('APPROVAL NEEDED'));
  const end = lines.findIndex((line, i) => i > start && line === '');
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

const mutatingCalls = () => iamMock.commandCalls(UpdateAccessKeyCommand).length + iamMock.commandCalls(AttachUserPolicyCommand).length + iamMock.commandCalls(DetachUserPolicyCommand).length;

describe('the approval request of a credential release (review s20)', () => {
  it('names the other incidents holding the key, and says the key stays Inactive until they are released too', async () => {
    const records = new MemoryCredentialRecordStore();
    const first = USER_KEY();
    const second: Incident = { ...USER_KEY(), key: 'gd-second-finding-on-the-key' };
    givenUserKeys({ [KEY]: 'Active' });
    await disable(first, records);
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Inactive' });
    await disable(second, records);
    const before = JSON.stringify([...records.items]);
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Inactive' });

    const { input, result } = await preview(keyCredential, first.key, records);
    expect(result).toMatchObject({ responder: 'release-credentials', status: 'previewed', preview: { readAt: ASKED.toISOString(), keys: [{ accessKeyId: KEY, record: 'held', holders: [second.key], holderCount: 1 }] } });
    // Read only: nothing in IAM, nothing in the table; not even a ListAccessKeys (nothing changes in IAM).
    expect(mutatingCalls()).toBe(0);
    expect(iamMock.calls()).toHaveLength(0);
    expect(JSON.stringify([...records.items])).toBe(before);

    const text = approvalSection(input.incident, result);
    // Before: the request said nothing of incident B; the key's release was only known to keep it Inactive afterwards.
    expect(text).toContain(`Approving takes back only incident ${first.key}'s hold on access key ${KEY} of user ${USER}: the key STAYS INACTIVE, incident ${second.key} still holds it`);
    expect(text).toContain('so it stays Inactive until that incident is released too');
    // True when asked: a holder released in the meantime changes what the release does.
    expect(text).toContain(`as the sealed records said at ${ASKED.toISOString()}, when this request was made; the release reads them again before it acts`);
    expect(text).toContain('If it is released before this release acts, this release is the last: it then makes the key Active again if Firebreak set it Inactive');
  });

  // Before review review-cred (row 11aa): the release follows a recorded key to a user renamed since
  // it was contained (row 11u), but the preview read only the record's name: IAM knew no such user,
  // and the approval request said the release "will refuse and change nothing ... (deleted since?)".
  // An approver who approved on that (to release the incident's other credentials) had the key made
  // Active again under a name the request never showed: a rename after containment, a strong sign of
  // whoever still holds the user's other credentials.
  it('ATTACK (review-cred): a user renamed since containment: the request says the key is made Active again under the new name, not that the release refuses', async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = USER_KEY();
    givenUserKeys({ [KEY]: 'Active' });
    await disable(incident, records);
    iamMock.reset();
    const RENAMED = 'svc-renamed';
    iamMock.on(ListAccessKeysCommand).rejects(new NoSuchEntityException({ message: `The user with name ${USER} cannot be found.`, $metadata: {} }));
    iamMock.on(ListAccessKeysCommand, { UserName: RENAMED }).resolves({ AccessKeyMetadata: [{ AccessKeyId: KEY, UserName: RENAMED, Status: 'Inactive' }] });
    iamMock.on(GetAccessKeyLastUsedCommand).resolves({ UserName: RENAMED });

    const { input, result } = await preview(keyCredential, incident.key, records);
    expect(mutatingCalls()).toBe(0);
    expect(iamMock.commandCalls(GetAccessKeyLastUsedCommand).map((c) => c.args[0].input)).toEqual([{ AccessKeyId: KEY }]);
    expect(result).toMatchObject({ preview: { keys: [{ accessKeyId: KEY, record: 'held', deactivated: true }] } });
    const text = approvalSection(input.incident, result);
    expect(text).not.toContain('will refuse and change nothing');
    expect(text).toContain(`approving makes the key ACTIVE again`);
    expect(text).toContain(`access key ${KEY} is user ${RENAMED}'s (GetAccessKeyLastUsed, ListAccessKeys): renamed since Firebreak contained it`);

    // A new name the rails refuse: the request says the release refuses, as it will.
    iamMock.on(GetAccessKeyLastUsedCommand).resolves({ UserName: 'break-glass-admin' });
    const privileged = await preview(keyCredential, incident.key, records);
    expect(privileged.result).toMatchObject({ preview: { keys: [{ accessKeyId: KEY, record: 'refused' }] } });
    expect(iamMock.commandCalls(ListAccessKeysCommand, { UserName: 'break-glass-admin' })).toHaveLength(0);
  });

  it('says AWSDenyAll stays for the incident holding the user\'s other key, naming the key; reads the user\'s keys with exactly that input', async () => {
    const records = new MemoryCredentialRecordStore();
    const a = USER_KEY();
    const b: Incident = { ...parseEvent(JSON.parse(fixtureText.replaceAll(KEY, KEY_2)), { receivedAt: NOW }), key: 'gd-second-key-of-the-user' };
    givenUserKeys({ [KEY]: 'Active', [KEY_2]: 'Active' });
    await disable(a, records, true);
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Inactive', [KEY_2]: 'Active' }, [DENY_ALL]);
    await disable(b, records, true);
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Inactive', [KEY_2]: 'Inactive' }, [DENY_ALL]);

    const { input, result } = await preview(keyCredential, a.key, records);
    expect(iamMock.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER }]);
    expect(mutatingCalls()).toBe(0);
    expect(records.items.get(KEY_2_PK)?.denyAllHandedOverBy).toBeUndefined();
    expect(result).toMatchObject({ preview: { keys: [{ record: 'held', deactivated: true, denyAll: { outcome: 'stays', attachedFor: a.key, otherKey: KEY_2, holders: [b.key], holderCount: 1 } }] } });

    const text = approvalSection(input.incident, result);
    expect(text).toContain(`Incident ${a.key} holds the last claim on access key ${KEY} of user ${USER}: approving makes the key ACTIVE again`);
    // Before: nothing said AWSDenyAll would stay, nor for whom.
    expect(text).toContain(`AWSDenyAll STAYS ATTACHED to user ${USER} (Firebreak attached it for incident ${a.key}): incident ${b.key} still holds the user's other access key ${KEY_2} contained`);
    expect(text).toContain(`The duty to detach it goes over to the record of ${KEY_2}, whose release detaches it`);

    // The other key's record edited in the table (its seal no longer verifies): not believed, and said so.
    records.forge(KEY_2_PK, { ...records.stored(KEY_2_PK), previousStatus: 'Inactive' });
    const forged = await preview(keyCredential, a.key, records);
    expect(approvalSection(input.incident, forged.result)).toMatch(new RegExp(`AWSDenyAll STAYS ATTACHED to user ${USER} .*: the record of the user's other key ${KEY_2} is not trusted \\(.+\\), so whether an incident still counts on it is not known; a person looks and detaches it by hand`));
  });

  it('says approving re-activates the key and detaches AWSDenyAll when this incident holds the last claim and no other key of the user is held', async () => {
    const records = new MemoryCredentialRecordStore();
    const a = USER_KEY();
    givenUserKeys({ [KEY]: 'Active' });
    await disable(a, records, true);
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Inactive' }, [DENY_ALL]);
    const { input, result } = await preview(keyCredential, a.key, records);
    const text = approvalSection(input.incident, result);
    expect(text).toContain(`Incident ${a.key} holds the last claim on access key ${KEY} of user ${USER}: approving makes the key ACTIVE again (Firebreak set it Inactive)`);
    expect(text).toContain(`Approving also detaches AWSDenyAll from user ${USER} (Firebreak attached it for incident ${a.key}), if it is still attached`);
    expect(text).not.toContain('STAYS');
  });

  it('ATTACK: the key\'s own record edited in the table is shown as not trusted, not believed', async () => {
    const records = new MemoryCredentialRecordStore();
    const a = USER_KEY();
    givenUserKeys({ [KEY]: 'Active' });
    await disable(a, records);
    // Someone with write access to the table adds no claim but edits the sealed record: it no longer verifies.
    records.forge(KEY_PK, { ...records.stored(KEY_PK), incidentKey: a.key, deactivated: true, previousStatus: 'Inactive' });
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Inactive' });
    const { input, result } = await preview(keyCredential, a.key, records);
    const text = approvalSection(input.incident, result);
    expect(text).toMatch(new RegExp(`The record of access key ${KEY} of user ${USER} is NOT TRUSTED \\(.+\\): the release will refuse and change nothing`));
    expect(text).not.toContain('ACTIVE again');
  });

  it('ATTACK: incident keys written into the claims are shown as untrusted text: one line each, links defanged, and a bounded list', async () => {
    const records = new MemoryCredentialRecordStore();
    const a = USER_KEY();
    givenUserKeys({ [KEY]: 'Active' });
    await disable(a, records);
    const forged = 'gd-x\n\nAPPROVAL NEEDED\n  all clear, approve at https://evil.example/approve';
    for (const key of [forged, ...Array.from({ length: 14 }, (_, i) => `gd-other-${i}`)]) await records.claim({ kind: 'access-key', account: ACCOUNT, accessKeyId: KEY }, key, NOW.toISOString());
    iamMock.reset();
    const { input, result } = await preview(keyCredential, a.key, records);
    expect((result.preview as { keys: { holders: string[] }[] }).keys[0]?.holders).toHaveLength(10);
    const text = approvalSection(input.incident, result);
    expect(text.split('\n').filter((line) => line.startsWith('APPROVAL NEEDED'))).toHaveLength(1);
    expect(text).not.toContain('https://evil.example');
    expect(text).toContain('and 10 more still hold it');
  });

  it('says what a failed preview leaves: what approving does was not read, and the release reads the records again', () => {
    const text = approvalSection(USER_KEY(), { Error: 'Lambda.ServiceException', Cause: 'boom' });
    expect(text).toContain('Firebreak could not read what this release will do when this request was made (Lambda.ServiceException)');
    expect(text).toContain('the release reads the sealed records again and acts only as they say');
  });

  it('says nothing of credentials on a request without a preview (another playbook)', () => {
    const input = alertInputSchema.parse({
      kind: 'approval-request',
      incident: JSON.parse(JSON.stringify(USER_KEY())),
      mode: 'enforce',
      playbook: 'iam-user-key-compromise',
      results: { Guard: { responder: 'containment-guard', status: 'needs-approval', actions: [] } },
      approval: { taskToken: 'token', waitingSteps: ['disable-key'], timeoutSeconds: 3600 },
    });
    expect(buildAlertMessage(input, { now: ASKED }).message).not.toMatch(/STAYS|holds the last claim|could not read what this release/);
  });
});

const ROLE = 'ci-deploy-role';
const ROLE_PK = credentialRecordKey({ kind: 'role-sessions', account: ACCOUNT, roleName: ROLE });
const ROLE_SESSION = (): Incident => parseEvent(JSON.parse(readFileSync(new URL('../fixtures/events/guardduty-iam-role-session-maliciousipcaller.json', import.meta.url), 'utf8')), { receivedAt: NOW });
const roleCredential: ReleasedCredential = { kind: 'role-sessions', roleName: ROLE };
/** What IAM's GetRolePolicy answers for the deny with this cut-off (URL-encoded, as IAM gives it). */
const denyOf = (cutOff: Date) => ({ RoleName: ROLE, PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: encodeURIComponent(revokeOlderSessionsPolicy(cutOff.toISOString())) });

/** revoke-role-sessions of `incident` denies the role's sessions issued before `at`, and records it. */
async function revokeRole(incident: Incident, records: MemoryCredentialRecordStore, at = NOW) {
  iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: ROLE, Arn: `arn:aws:iam::${ACCOUNT}:role/${ROLE}`, Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: [] } });
  iamMock.on(PutRolePolicyCommand).resolves({});
  await revokeRoleSessions(
    { incident, mode: 'enforce', options: {}, execution: EXECUTION },
    { clients, ec2Clients: NO_EC2, logger: silentLogger, grants: storeGranting(incident, at, { instanceId: CREDENTIALS_GRANT_SUBJECT }), records, environment: { ...ENV, ...playbookStepsEnvironment({}) }, now: () => at },
  );
  iamMock.reset();
}

const roleWrites = () => iamMock.commandCalls(PutRolePolicyCommand).length + iamMock.commandCalls(DeleteRolePolicyCommand).length;

describe("the approval request of a role's release", () => {
  it('says approving deletes the session deny the record names; reads it with GetRolePolicy, exactly that input, and changes nothing', async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = ROLE_SESSION();
    await revokeRole(incident, records);
    const before = JSON.stringify([...records.items]);
    iamMock.on(GetRolePolicyCommand).resolves(denyOf(NOW));

    const { input, result } = await preview(roleCredential, incident.key, records);
    expect(result).toMatchObject({
      status: 'previewed',
      preview: { roles: [{ kind: 'role-sessions', roleName: ROLE, record: 'held', policyName: REVOKE_SESSIONS_POLICY_NAME, issuedBefore: NOW.toISOString(), deletableAt: '2026-03-20T00:00:00.000Z', deny: 'recorded' }] },
    });
    expect(iamMock.commandCalls(GetRolePolicyCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: ROLE, PolicyName: REVOKE_SESSIONS_POLICY_NAME }]);
    expect(iamMock.calls()).toHaveLength(1);
    expect(roleWrites()).toBe(0);
    expect(JSON.stringify([...records.items])).toBe(before);

    // Before: the request of a role's release said nothing of what approving does.
    const text = approvalSection(input.incident, result);
    expect(text).toContain(`Incident ${incident.key} holds the record of role ${ROLE}: approving DELETES the inline policy ${REVOKE_SESSIONS_POLICY_NAME} of role ${ROLE} (the deny of its sessions issued before ${NOW.toISOString()})`);
    expect(text).toContain(`as the sealed records said at ${ASKED.toISOString()}, when this request was made; the release reads them again before it acts`);
    expect(text).not.toContain('STAYS');
    // The same lines are stored with the request: what `firebreak approve` prints (`approving:`).
    expect(approvalOutcomeLines(approvalRequest(input.incident, result)).join('\n')).toContain(`approving DELETES the inline policy ${REVOKE_SESSIONS_POLICY_NAME} of role ${ROLE}`);
  });

  it('says a release acting less than 12 hours after the cut-off refuses, and when it may act', async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = ROLE_SESSION();
    const cutOff = new Date(ASKED.getTime() - 2 * 3600_000);
    await revokeRole(incident, records, cutOff);
    iamMock.on(GetRolePolicyCommand).resolves(denyOf(cutOff));
    const { input, result } = await preview(roleCredential, incident.key, records);
    const text = approvalSection(input.incident, result);
    expect(text).toContain('A release acting before 2026-03-20T19:00:00.000Z (12 hours after the cut-off, the longest a role session lasts) refuses and changes nothing');
  });

  it("says the deny STAYS when it was rewritten since (quarantine-instance renewing the deny of the instance's role, row 11i)", async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = ROLE_SESSION();
    await revokeRole(incident, records);
    const renewed = new Date(NOW.getTime() + 3 * 3600_000);
    iamMock.on(GetRolePolicyCommand).resolves(denyOf(renewed));
    const { input, result } = await preview(roleCredential, incident.key, records);
    expect(result).toMatchObject({ preview: { roles: [{ record: 'held', deny: 'rewritten', cutOffNow: renewed.toISOString() }] } });
    expect(roleWrites()).toBe(0);
    const text = approvalSection(input.incident, result);
    expect(text).toContain(`The inline policy ${REVOKE_SESSIONS_POLICY_NAME} of role ${ROLE} is NOT the deny the record names (cut-off ${NOW.toISOString()}): rewritten since (now cut-off ${renewed.toISOString()}: quarantine-instance renewing the deny`);
    expect(text).toContain('the deny STAYS: the release will refuse and change nothing');
    expect(text).not.toContain('DELETES');
  });

  it("says the deny STAYS while another incident's record holds the role (it denied the role's sessions since), without reading IAM", async () => {
    const records = new MemoryCredentialRecordStore();
    const first = ROLE_SESSION();
    const second: Incident = { ...ROLE_SESSION(), key: 'gd-second-finding-on-the-role' };
    await revokeRole(first, records);
    await revokeRole(second, records, new Date(NOW.getTime() + 3600_000));
    const { input, result } = await preview(roleCredential, first.key, records);
    expect(result).toMatchObject({ preview: { roles: [{ record: 'not-held', holders: [second.key], holderCount: 1 }] } });
    expect(iamMock.calls()).toHaveLength(0);
    const text = approvalSection(input.incident, result);
    expect(text).toContain(`Incident ${first.key} does not hold role ${ROLE} (incident ${second.key} does;`);
    expect(text).toContain(`the release will refuse and change nothing: the deny STAYS, for the release of incident ${second.key} to delete`);
  });

  it('says approving deletes nothing when the deny is gone already (NoSuchEntity)', async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = ROLE_SESSION();
    await revokeRole(incident, records);
    iamMock.on(GetRolePolicyCommand).rejects(Object.assign(new NoSuchEntityException({ message: 'The role policy cannot be found.', $metadata: { httpStatusCode: 404 } }), { Code: 'NoSuchEntity' }));
    const { input, result } = await preview(roleCredential, incident.key, records);
    expect(result).toMatchObject({ preview: { roles: [{ record: 'held', deny: 'absent' }] } });
    expect(approvalSection(input.incident, result)).toContain(`Role ${ROLE} no longer has the inline policy ${REVOKE_SESSIONS_POLICY_NAME}: approving deletes nothing and marks the record released`);
  });

  it("ATTACK: the role's record edited in the table is shown as not trusted, and IAM is not read", async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = ROLE_SESSION();
    await revokeRole(incident, records);
    // An earlier cut-off written into the record: a release would then delete a deny still holding stolen sessions back.
    records.forge(ROLE_PK, { ...records.stored(ROLE_PK), issuedBefore: '2026-03-01T00:00:00.000Z' });
    const { input, result } = await preview(roleCredential, incident.key, records);
    expect(result).toMatchObject({ preview: { roles: [{ record: 'untrusted' }] } });
    expect(iamMock.calls()).toHaveLength(0);
    const text = approvalSection(input.incident, result);
    expect(text).toMatch(new RegExp(`The record of role ${ROLE} is NOT TRUSTED \\(.+\\): the release will refuse and change nothing`));
    expect(text).not.toContain('DELETES');
  });

  it("says a failed read of the deny was not read, not that the deny is gone", async () => {
    const records = new MemoryCredentialRecordStore();
    const incident = ROLE_SESSION();
    await revokeRole(incident, records);
    iamMock.on(GetRolePolicyCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const { input, result } = await preview(roleCredential, incident.key, records);
    expect(result).toMatchObject({ status: 'previewed', preview: { roles: [{ record: 'held', reason: expect.stringContaining('AccessDenied') }] } });
    expect(approvalSection(input.incident, result)).toContain(`Firebreak could not read the inline policy ${REVOKE_SESSIONS_POLICY_NAME} of role ${ROLE} when this request was made (`);
  });
});

// Review review-1z (row 1zc): the approval request of a drill's release said approving makes the key
// Active again (or deletes the role's deny) without reading the opt-in the release reads after the
// approval (row 1z): the approver was promised a change the release then refused.
describe("the approval request of a drill's credential release (review-1z)", () => {
  const OPTED_IN = [{ Key: 'firebreak:gameday-target', Value: 'true' }];
  const OPTED_OUT = [{ Key: 'firebreak:gameday-target', Value: 'false' }];
  const drillOf = (incident: Incident): Incident => ({ ...incident, gameDay: true, key: 'gameday-creds-1' });

  async function drillDisabled(records: MemoryCredentialRecordStore, tagsAfter: { Key: string; Value: string }[]) {
    const drill = drillOf(USER_KEY());
    givenUserKeys({ [KEY]: 'Active' });
    iamMock.on(GetUserCommand).resolves(getUserAnswer(USER, { 'firebreak:gameday-target': 'true' }));
    await disableAccessKey(
      { incident: drill, mode: 'enforce', options: disableAccessKeyOptionsSchema.parse({}), execution: EXECUTION },
      { clients, logger: silentLogger, grants: storeGranting(drill, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT, gameDay: true }), records, environment: { ...ENV, ...playbookStepsEnvironment({}) }, now: () => NOW },
    );
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Inactive' });
    iamMock.on(ListUserTagsCommand).resolves({ Tags: tagsAfter });
    return drill;
  }

  it("ATTACK (review-1z): says a drill's release of a user its owner took out of drills will refuse, as IAM tags it when the request is made, not that approving makes the key Active", async () => {
    const records = new MemoryCredentialRecordStore();
    const drill = await drillDisabled(records, OPTED_OUT);
    const { input, result } = await preview(keyCredential, drill.key, records);
    expect(result).toMatchObject({ status: 'previewed', preview: { keys: [{ accessKeyId: KEY, record: 'refused' }] } });
    expect(iamMock.commandCalls(ListUserTagsCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER }]);
    expect(mutatingCalls()).toBe(0);
    const text = approvalSection(input.incident, result);
    expect(text).toContain(`The release of access key ${KEY} of user ${USER} will refuse and change nothing: game-day incident ${drill.key}: user ${USER} does not carry the tag firebreak:gameday-target=true in IAM now`);
    expect(text).not.toContain('ACTIVE again');
  });

  it("says approving makes a drill's key Active again while its user still opts in, read with exactly that input", async () => {
    const records = new MemoryCredentialRecordStore();
    const drill = await drillDisabled(records, OPTED_IN);
    const { input, result } = await preview(keyCredential, drill.key, records);
    expect(iamMock.commandCalls(ListUserTagsCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER }]);
    expect(approvalSection(input.incident, result)).toContain(`Incident ${drill.key} holds the last claim on access key ${KEY} of user ${USER}: approving makes the key ACTIVE again`);
  });

  it("ATTACK (review-1z): says a drill's release of a role its owner took out of drills will refuse, read with GetRole before the deny, not that approving deletes the deny", async () => {
    const records = new MemoryCredentialRecordStore();
    const drill = drillOf(ROLE_SESSION());
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: ROLE, Arn: `arn:aws:iam::${ACCOUNT}:role/${ROLE}`, Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: OPTED_IN } });
    iamMock.on(PutRolePolicyCommand).resolves({});
    await revokeRoleSessions(
      { incident: drill, mode: 'enforce', options: {}, execution: EXECUTION },
      { clients, ec2Clients: NO_EC2, logger: silentLogger, grants: storeGranting(drill, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT, gameDay: true }), records, environment: { ...ENV, ...playbookStepsEnvironment({}) }, now: () => NOW },
    );
    iamMock.reset();
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: ROLE, Arn: `arn:aws:iam::${ACCOUNT}:role/${ROLE}`, Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: [] } });
    iamMock.on(GetRolePolicyCommand).resolves(denyOf(NOW));
    const { input, result } = await preview(roleCredential, drill.key, records);
    expect(result).toMatchObject({ preview: { roles: [{ roleName: ROLE, record: 'refused' }] } });
    expect(iamMock.commandCalls(GetRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: ROLE }]);
    expect(iamMock.commandCalls(GetRolePolicyCommand)).toHaveLength(0);
    expect(roleWrites()).toBe(0);
    const text = approvalSection(input.incident, result);
    expect(text).toContain(`The release of role ${ROLE} will refuse and change nothing: game-day incident ${drill.key}: role ${ROLE} does not carry the tag firebreak:gameday-target=true in IAM now`);
    expect(text).not.toContain('DELETES');
  });

  it('reads no tag for the request of a real incident\'s release', async () => {
    const records = new MemoryCredentialRecordStore();
    const a = USER_KEY();
    givenUserKeys({ [KEY]: 'Active' });
    await disable(a, records);
    iamMock.reset();
    givenUserKeys({ [KEY]: 'Inactive' });
    await preview(keyCredential, a.key, records);
    expect(iamMock.commandCalls(ListUserTagsCommand)).toHaveLength(0);
  });
});

describe('release-credentials preview: exact inputs through the state table and KMS', () => {
  const dynamodb = mockClient(DynamoDBClient);
  const kms = mockClient(KMSClient);
  const RECORD_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-4000-8000-00000000c0de';
  const seal = { scheme: 'firebreak-credential-record/v1', algorithm: 'HMAC_SHA_256', keyId: RECORD_KEY, mac: 'AQID' };
  const stored = (accessKeyId: string, incidentKey: string, denyAllAttached: boolean) => ({
    pk: { S: credentialRecordKey({ kind: 'access-key', account: ACCOUNT, accessKeyId }) },
    incidentKey: { S: incidentKey },
    released: { BOOL: false },
    record: { S: JSON.stringify({ kind: 'access-key', account: ACCOUNT, incidentKey, recordedBy: { responder: 'disable-access-key' }, seal, accessKeyId, userName: USER, capturedAt: NOW.toISOString(), previousStatus: 'Active', deactivated: true, denyAllAttached }) },
  });
  afterEach(() => {
    dynamodb.reset();
    kms.reset();
  });

  it('reads both keys\' records consistently (GetItem) and verifies them (kms:VerifyMac); writes nothing', async () => {
    const a = USER_KEY();
    dynamodb.on(GetItemCommand).resolves({});
    dynamodb.on(GetItemCommand, { Key: { pk: { S: KEY_PK } } }).resolves({ Item: stored(KEY, a.key, true) });
    dynamodb.on(GetItemCommand, { Key: { pk: { S: KEY_2_PK } } }).resolves({ Item: stored(KEY_2, 'gd-b', false) });
    kms.on(VerifyMacCommand).resolves({ MacValid: true });
    givenUserKeys({ [KEY]: 'Inactive', [KEY_2]: 'Inactive' }, [DENY_ALL]);
    const store = new DynamoDbCredentialRecordStore(new DynamoDBClient({ region: 'eu-west-1' }), 'state', new KmsMac(new KMSClient({ region: 'eu-west-1' }), RECORD_KEY));
    const { result } = await preview(keyCredential, a.key, store);
    expect(dynamodb.commandCalls(GetItemCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: 'state', Key: { pk: { S: KEY_PK } }, ConsistentRead: true },
      // The user's list of keys (a key deleted since is no longer listed by IAM), as the release reads it.
      { TableName: 'state', Key: { pk: { S: `credential#${ACCOUNT}#user#${USER}` } }, ConsistentRead: true },
      { TableName: 'state', Key: { pk: { S: KEY_2_PK } }, ConsistentRead: true },
    ]);
    expect(kms.commandCalls(VerifyMacCommand)).toHaveLength(2);
    expect(kms.commandCalls(VerifyMacCommand)[0]!.args[0].input).toMatchObject({ KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256' });
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input)).toEqual([{ UserName: USER }]);
    expect(result).toMatchObject({ preview: { keys: [{ denyAll: { outcome: 'stays', otherKey: KEY_2, holders: ['gd-b'] } }] } });
  });

  it('sees a key of the user deleted since (IAM no longer lists it) on the user\'s list, as the release does: AWSDenyAll stays', async () => {
    const a = USER_KEY();
    dynamodb.on(GetItemCommand, { Key: { pk: { S: KEY_PK } } }).resolves({ Item: stored(KEY, a.key, true) });
    dynamodb.on(GetItemCommand, { Key: { pk: { S: `credential#${ACCOUNT}#user#${USER}` } } }).resolves({ Item: { keys: { SS: [KEY, KEY_2] } } });
    dynamodb.on(GetItemCommand, { Key: { pk: { S: KEY_2_PK } } }).resolves({ Item: stored(KEY_2, 'gd-b', false) });
    kms.on(VerifyMacCommand).resolves({ MacValid: true });
    givenUserKeys({ [KEY]: 'Inactive' }, [DENY_ALL]);
    const store = new DynamoDbCredentialRecordStore(new DynamoDBClient({ region: 'eu-west-1' }), 'state', new KmsMac(new KMSClient({ region: 'eu-west-1' }), RECORD_KEY));
    const { input, result } = await preview(keyCredential, a.key, store);
    expect(result).toMatchObject({ preview: { keys: [{ denyAll: { outcome: 'stays', otherKey: KEY_2, holders: ['gd-b'], otherKeyDeleted: true } }] } });
    // The deleted key's own release is refused (the key is gone): the request does not promise that it detaches AWSDenyAll.
    const text = approvalSection(input.incident, result);
    expect(text).not.toContain('whose release detaches it');
    expect(text).toContain(`IAM no longer lists ${KEY_2} (deleted since), so its release cannot detach AWSDenyAll: a person detaches it once incident gd-b is closed`);
  });

  it("reads the role's record consistently (GetItem) and verifies it (kms:VerifyMac); writes nothing", async () => {
    const incident = ROLE_SESSION();
    const record = { kind: 'role-sessions', account: ACCOUNT, incidentKey: incident.key, recordedBy: { responder: 'revoke-role-sessions', executionArn: EXECUTION.executionArn }, seal, roleName: ROLE, policyName: REVOKE_SESSIONS_POLICY_NAME, issuedBefore: NOW.toISOString() };
    dynamodb.on(GetItemCommand).resolves({ Item: { pk: { S: ROLE_PK }, incidentKey: { S: incident.key }, released: { BOOL: false }, record: { S: JSON.stringify(record) } } });
    kms.on(VerifyMacCommand).resolves({ MacValid: true });
    iamMock.on(GetRolePolicyCommand).resolves(denyOf(NOW));
    const store = new DynamoDbCredentialRecordStore(new DynamoDBClient({ region: 'eu-west-1' }), 'state', new KmsMac(new KMSClient({ region: 'eu-west-1' }), RECORD_KEY));
    const { result } = await preview(roleCredential, incident.key, store);
    expect(dynamodb.commandCalls(GetItemCommand).map((c) => c.args[0].input)).toEqual([{ TableName: 'state', Key: { pk: { S: ROLE_PK } }, ConsistentRead: true }]);
    expect(kms.commandCalls(VerifyMacCommand)).toHaveLength(1);
    expect(kms.commandCalls(VerifyMacCommand)[0]!.args[0].input).toMatchObject({ KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256' });
    expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
    expect(dynamodb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(iamMock.commandCalls(GetRolePolicyCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: ROLE, PolicyName: REVOKE_SESSIONS_POLICY_NAME }]);
    expect(result).toMatchObject({ preview: { roles: [{ record: 'held', deny: 'recorded' }] } });
  });

  it('a read that fails is shown as unreadable, not as a release that changes nothing', async () => {
    dynamodb.on(GetItemCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    const store = new DynamoDbCredentialRecordStore(new DynamoDBClient({ region: 'eu-west-1' }), 'state', new KmsMac(new KMSClient({ region: 'eu-west-1' }), RECORD_KEY));
    const { input, result } = await preview(keyCredential, USER_KEY().key, store);
    expect(result).toMatchObject({ status: 'previewed', preview: { keys: [{ record: 'unreadable' }] } });
    expect(approvalSection(input.incident, result)).toContain(`Firebreak could not read the record of access key ${KEY} of user ${USER} when this request was made (`);
  });
});

describe('release-credentials input: the preview flag', () => {
  it('accepts only preview: true; anything else is refused before any call', async () => {
    const records = new MemoryCredentialRecordStore();
    const input = releaseInput(keyCredential, USER_KEY().key);
    const handler = createReleaseCredentialsHandler({ clients, revokerClients: clients, records, clearance: noClearance, logger: silentLogger, environment: ENV });
    const payload = { incident: JSON.parse(JSON.stringify(input.incident)), mode: 'enforce', options: {}, preview: 'yes' };
    await expect(handler(payload)).rejects.toMatchObject({ name: 'ResponderInputError' });
    expect(iamMock.calls()).toHaveLength(0);
  });
});

describe('the approval request of a release that shows one credential and names another (review-operator, row 11ac)', () => {
  it('ATTACK: says the release will refuse and change nothing, naming both, and reads nothing', async () => {
    const records = new MemoryCredentialRecordStore();
    const shown = releaseInput(keyCredential, 'gd-incident-a');
    const forged = { ...shown.incident, affected: releaseInput({ kind: 'role-sessions', roleName: 'ci-deploy-role' }, 'gd-incident-a').incident.affected };
    const handler = createReleaseCredentialsHandler({ clients, revokerClients: clients, records, clearance: noClearance, logger: silentLogger, environment: ENV, now: () => ASKED });
    const payload = { incident: forged, mode: shown.mode, options: {}, execution: { ...EXECUTION, playbook: 'release-credentials' }, request: { requestedBy: shown.requestedBy, reason: shown.reason }, preview: true };
    const result = (await handler(JSON.parse(JSON.stringify(payload)))) as unknown as Record<string, unknown>;
    expect(iamMock.calls()).toHaveLength(0);
    expect(result).toMatchObject({ preview: { refused: expect.stringContaining(`role ci-deploy-role in account ${ACCOUNT} is not the credential its approval request shows (access key ${KEY} of user ${USER} in account ${ACCOUNT})`), keys: [], roles: [] } });
    expect(approvalSection(forged, result)).toContain('The release will refuse and change nothing: role ci-deploy-role');
  });
});
