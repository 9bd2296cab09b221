/**
 * disable-access-key and revoke-role-sessions with exact inputs (aws-sdk-client-mock), on incidents
 * parsed from the real-format fixtures: a key set Inactive (never deleted), a key already inactive,
 * AWSDenyAll attached only on request, every rail refusing before the change (no grant, unserved
 * account, break-glass name, protected tag, game-day opt-in, a key that is not the named user's,
 * a temporary key), nothing sent in dry-run (IAM has no DryRun), and the role's sessions revoked
 * with the same policy quarantine-instance writes.
 */
import { readFileSync } from 'node:fs';
import {
  AttachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListInstanceProfilesForRoleCommand,
  ListAttachedUserPoliciesCommand,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { DescribeInstancesCommand, DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { DescribeInstancesCommandInput } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { describeInstancesAsEc2, describeInstancesByRegion, describeRegionsAs, holder, profileHolding } from '../support/role-holders';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREDENTIALS_GRANT_SUBJECT } from '../../lib/contracts/security';
import type { ResponderMode } from '../../lib/contracts/responder-mode';
import { parseEvent } from '../../lib/incident';
import type { Incident } from '../../lib/incident/model';
import { affectedResources } from '../../lib/incident/affected';
import { matchesPrivilegedName, DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS } from '../../lib/contracts/privileged-names';
import { disableAccessKey, disableAccessKeyOptionsSchema } from '../../lib/responders/disable-access-key';
import { RENAMED_USER_ACTION } from '../../lib/responders/model';
import { silentLogger } from '../../lib/responders/logging';
import { REVOKE_SESSIONS_POLICY_NAME, revokeOlderSessionsPolicy } from '../../lib/responders/quarantine-credentials';
import { revokeRoleSessions } from '../../lib/responders/revoke-role-sessions';
import { InMemoryGrantStore } from '../../lib/responders/grants';
import { EXECUTION, paused, playbookStepsEnvironment, storeGranting } from '../support/grants';
import { sdkError } from './quarantine-fixtures';
import { MemoryCredentialRecordStore } from '../support/credential-records';
import { getUserAnswer } from '../support/iam-users';

const iamMock = mockClient(IAMClient);
/** IAM's NoSuchEntity as the SDK delivers it: the modeled exception class, named NoSuchEntityException. */
const noSuchEntity = (message: string) => Object.assign(new NoSuchEntityException({ message, $metadata: { httpStatusCode: 404 } }), { Code: 'NoSuchEntity' });
const iam = new IAMClient({ region: 'eu-west-1' });
const targets: { account: string; region: string }[] = [];
const clients = {
  iam: async (target: { account: string; region: string }) => {
    targets.push(target);
    return iam;
  },
};
const NOW = new Date('2026-03-19T12:00:00.000Z');
const ENV = { FIREBREAK_MODE: 'enforce', FIREBREAK_SECURITY_ACCOUNT_ID: '111122223333' };
/** The playbooks of the grants below: each has a step of the responder under test. */
const GRANTED_PLAYBOOKS = ['compromised-ec2-instance', 'iam-credentials-attack-sequence-credential'];
const fixture = (name: string): Incident =>
  parseEvent(JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8')), { receivedAt: NOW });
const USER_KEY = () => fixture('guardduty-iam-user-tor-ipcaller');
const ROLE_SESSION = () => fixture('guardduty-iam-role-session-maliciousipcaller');
const KEY = 'AKIAQ3EGRW6JCEXAMPLE';

afterEach(() => {
  iamMock.reset();
  targets.length = 0;
});

function disable(incident: Incident, options: { denyAll?: boolean; mode?: ResponderMode; environment?: Record<string, string>; grants?: InMemoryGrantStore; records?: MemoryCredentialRecordStore } = {}) {
  const sent = { denyAll: options.denyAll ?? false };
  return disableAccessKey(
    { incident, mode: options.mode ?? 'enforce', options: disableAccessKeyOptionsSchema.parse(sent), execution: EXECUTION },
    {
      clients,
      logger: silentLogger,
      grants: options.grants ?? storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT }),
      records: options.records ?? new MemoryCredentialRecordStore(),
      // The grant's playbook sends disable-access-key these options (FIREBREAK_PLAYBOOK_STEPS).
      environment: { ...(options.environment ?? ENV), ...playbookStepsEnvironment(sent, GRANTED_PLAYBOOKS) },
      now: () => NOW,
    },
  );
}

function givenUser(status: 'Active' | 'Inactive' = 'Active', tags: Record<string, string> = {}, keys: string[] = [KEY]): void {
  iamMock.on(GetUserCommand).callsFake((input: { UserName?: string }) => getUserAnswer(input.UserName ?? '', tags));
  iamMock.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: keys.map((AccessKeyId) => ({ AccessKeyId, UserName: 'ci-deployer', Status: status })) });
  iamMock.on(UpdateAccessKeyCommand).resolves({});
  iamMock.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [] });
  iamMock.on(AttachUserPolicyCommand).resolves({});
}

const mutations = () => [...iamMock.commandCalls(UpdateAccessKeyCommand), ...iamMock.commandCalls(AttachUserPolicyCommand), ...iamMock.commandCalls(PutRolePolicyCommand)];

describe('disableAccessKey', () => {
  it('sets the named key of the named user Inactive, with exactly that input, and never deletes it', async () => {
    givenUser();
    const result = await disable(USER_KEY());
    expect(result.status).toBe('disabled');
    expect(iamMock.commandCalls(GetUserCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer' }]);
    expect(iamMock.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer' }]);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer', AccessKeyId: KEY, Status: 'Inactive' }]);
    expect(iamMock.commandCalls(AttachUserPolicyCommand)).toHaveLength(0);
    expect(iamMock.calls().map((c) => c.args[0].constructor.name)).not.toContain('DeleteAccessKeyCommand');
    expect(result.keys).toEqual([{ accessKeyId: KEY, account: '111122223333', userName: 'ci-deployer', outcome: 'disabled', previousStatus: 'Active' }]);
    expect(targets).toEqual([{ account: '111122223333', region: 'eu-west-1' }]);
  });

  it('changes nothing for a key already Inactive and says so (idempotent on redelivery)', async () => {
    givenUser('Inactive');
    const result = await disable(USER_KEY());
    expect(result.status).toBe('already-inactive');
    expect(result.idempotentReplay).toBe(true);
    expect(mutations()).toHaveLength(0);
    expect(result.keys[0]).toMatchObject({ outcome: 'already-inactive', previousStatus: 'Inactive' });
  });

  it('attaches AWS\'s managed AWSDenyAll to the user only when denyAll is on, once', async () => {
    givenUser();
    const result = await disable(USER_KEY(), { denyAll: true });
    expect(iamMock.commandCalls(AttachUserPolicyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer', PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' }]);
    expect(result.keys[0]).toMatchObject({ outcome: 'disabled', denyAll: 'attached' });

    iamMock.reset();
    givenUser('Inactive');
    iamMock.on(ListAttachedUserPoliciesCommand).resolves({ AttachedPolicies: [{ PolicyName: 'AWSDenyAll', PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' }] });
    const again = await disable(USER_KEY(), { denyAll: true });
    expect(mutations()).toHaveLength(0);
    expect(again.status).toBe('already-inactive');
    expect(again.keys[0]).toMatchObject({ denyAll: 'already-attached' });
  });

  it('sends no change in dry-run (IAM has no DryRun) and says what it would do', async () => {
    givenUser();
    const result = await disable(USER_KEY(), { denyAll: true, mode: 'dry-run' });
    expect(result.status).toBe('dry-run');
    expect(mutations()).toHaveLength(0);
    expect(result.keys[0]).toMatchObject({ outcome: 'would-disable', denyAll: 'would-attach' });
    expect(result.actions.find((a) => a.api === 'iam:UpdateAccessKey')).toMatchObject({ outcome: 'would-do' });
  });

  it('stays dry-run under a dry-run grant, even when its input and the deployment say enforce: no change sent', async () => {
    givenUser();
    const incident = USER_KEY();
    // The guard cleared this execution for dry-run only (its playbook says mode: dry-run, or it was started in dry-run).
    const result = await disable(incident, { denyAll: true, grants: storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT, mode: 'dry-run' }) });
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('dry-run only') } });
    expect(mutations()).toHaveLength(0);
    expect(result.keys[0]).toMatchObject({ outcome: 'would-disable', denyAll: 'would-attach' });
  });

  it('under the emergency pause, an enforce grant written before it clears dry-run only: no change sent (review-pause: a direct replay tried, held)', async () => {
    givenUser();
    const incident = USER_KEY();
    const result = await disable(incident, { denyAll: true, grants: paused(storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT })) });
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('Firebreak is PAUSED') } });
    expect(result.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:emergency-pause', outcome: 'skipped' }));
    expect(mutations()).toHaveLength(0);
  });

  it('refuses without the guard\'s grant for the credentials: no IAM call at all', async () => {
    givenUser();
    const incident = USER_KEY();
    const instanceGrant = storeGranting(incident, NOW, { instanceId: 'i-0abc1234def567890' });
    const result = await disable(incident, { grants: instanceGrant });
    expect(result.status).toBe('refused');
    expect(result.refusal).toMatch(/instance i-0abc1234def567890, not iam-credentials/);
    expect(iamMock.calls()).toHaveLength(0);
    const none = await disable(incident, { grants: new InMemoryGrantStore() });
    expect(none.status).toBe('refused');
    expect(iamMock.calls()).toHaveLength(0);
  });

  it.each(['ABORTED', 'SUCCEEDED', 'FAILED', 'TIMED_OUT'])("ATTACK: refuses under the valid grant of an execution that is %s (stopped or ended): no IAM call, and says why", async (status) => {
    givenUser();
    const incident = USER_KEY();
    const grants = storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT });
    grants.executions.set(EXECUTION.executionArn, status);
    const result = await disable(incident, { grants, denyAll: true });
    expect(result.status).toBe('refused');
    expect(result.refusal).toContain(`execution ${EXECUTION.executionArn} is ${status}, not RUNNING`);
    expect(iamMock.calls()).toHaveLength(0);
  });

  it("refuses another user's key under the grant of the execution's own (same incident key): the grant binds the whole incident, no IAM call", async () => {
    givenUser();
    const incident = USER_KEY();
    const granted = storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT });
    const swapped = { ...incident, resource: { ...incident.resource, userName: 'payments-app', accessKeyId: 'AKIAPAYMENTSAPP00001' } } as Incident;
    const result = await disable(swapped, { grants: granted, denyAll: true });
    expect(result.status).toBe('refused');
    expect(result.refusal).toMatch(/not the one execution .* was started with/);
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('refuses a break-glass or administrator user by name before any call, and acts on an ordinary one', async () => {
    givenUser();
    const base = USER_KEY();
    const breakGlass = { ...base, resource: { ...base.resource, userName: 'breakglass-ops' }, affected: undefined } as Incident;
    const result = await disable(breakGlass);
    expect(result.status).toBe('refused');
    expect(result.keys[0]?.reason).toMatch(/privileged name pattern \*BreakGlass\* \(administrator or break-glass\)/i);
    expect(iamMock.calls()).toHaveLength(0);
    expect(matchesPrivilegedName('ci-deployer', DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toBeUndefined();
    // A deployment's own list replaces the defaults.
    const own = await disable(base, { environment: { ...ENV, FIREBREAK_PRIVILEGED_NAME_PATTERNS: 'ci-*' } });
    expect(own.keys[0]?.reason).toMatch(/pattern ci-\*/);
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('refuses a user of an account the deployment does not serve: no client is even asked for', async () => {
    givenUser();
    const base = USER_KEY();
    const result = await disable({ ...base, account: '999988887777' });
    expect(result.status).toBe('refused');
    expect(result.keys[0]?.reason).toMatch(/account 999988887777 is not the security account/);
    expect(targets).toHaveLength(0);
  });

  it("ATTACK (review-accounts): never disables a security-account user's key that a member account's finding names (row 9h), before any call", async () => {
    givenUser();
    const base = USER_KEY();
    const member = '444455556666';
    const incident: Incident = {
      ...base,
      account: member,
      guardDuty: { ...base.guardDuty!, arn: base.guardDuty!.arn!.replace(':111122223333:', `:${member}:`) },
      affected: affectedResources(base).map((resource) => ({ ...resource, account: '111122223333' })),
    };
    const result = await disable(incident, { environment: { ...ENV, FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder', FIREBREAK_ORGANIZATION_ID: 'o-a1b2c3d4e5' } });
    expect(result.status).toBe('refused');
    expect(result.keys[0]?.reason).toMatch(/account 111122223333 is the security account, and the finding is account 444455556666's/);
    expect(targets).toHaveLength(0);
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('refuses a user carrying the protected tag key in IAM now, and one without the game-day opt-in in a drill', async () => {
    givenUser('Active', { 'firebreak:protected': 'yes' });
    const result = await disable(USER_KEY(), { environment: { ...ENV, FIREBREAK_PROTECTED_TAG_KEY: 'firebreak:protected' } });
    expect(result.status).toBe('refused');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);

    iamMock.reset();
    givenUser('Active', {});
    const drill = { ...USER_KEY(), gameDay: true, key: 'gameday-creds-1' };
    const refused = await disable(drill, { grants: storeGranting(drill, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT, gameDay: true }) });
    expect(refused.keys[0]?.reason).toMatch(/firebreak:gameday-target=true/);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);

    iamMock.reset();
    givenUser('Active', { 'firebreak:gameday-target': 'true' });
    const allowed = await disable(drill, { grants: storeGranting(drill, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT, gameDay: true }) });
    expect(allowed.status).toBe('disabled');
  });

  // Row 11ae: the stack's DenyProtectedUsers reads the user's ARN, path included (`user/*admin*` on
  // `user/sysadmin/ci-deployer`). Before, the step checked the name alone, read no path, and met
  // AccessDenied on UpdateAccessKey: only IAM stood between a finding and an administrator's key.
  it('ATTACK: refuses a user whose path a privileged name pattern names, before reading its keys, changing nothing', async () => {
    givenUser();
    iamMock.on(GetUserCommand).resolves(getUserAnswer('ci-deployer', {}, '/sysadmin/'));
    const result = await disable(USER_KEY(), { denyAll: true });
    expect(result.status).toBe('refused');
    expect(result.keys).toEqual([
      {
        accessKeyId: KEY,
        account: '111122223333',
        userName: 'ci-deployer',
        outcome: 'refused',
        reason:
          'user ci-deployer at path /sysadmin/ matches the privileged name pattern *Admin* as IAM reads its ARN (user/sysadmin/ci-deployer) (administrator or break-glass): Firebreak never touches its credentials, whatever a finding names',
      },
    ]);
    expect(iamMock.commandCalls(GetUserCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer' }]);
    expect(iamMock.commandCalls(ListAccessKeysCommand)).toHaveLength(0);
    expect(mutations()).toHaveLength(0);
  });

  it('tried (user-path): a path no privileged pattern names changes nothing in what is disabled', async () => {
    givenUser();
    iamMock.on(GetUserCommand).resolves(getUserAnswer('ci-deployer', {}, '/ci/deployers/'));
    expect((await disable(USER_KEY())).status).toBe('disabled');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer', AccessKeyId: KEY, Status: 'Inactive' }]);
  });

  it('refuses a key IAM does not list as the named user\'s (the finding\'s pairing is a claim), and a user IAM does not know', async () => {
    givenUser('Active', {}, ['AKIAQ3EGRW6JOTHERKEY']);
    const result = await disable(USER_KEY());
    expect(result.keys[0]).toMatchObject({ outcome: 'not-found' });
    expect(result.status).toBe('refused');
    expect(iamMock.commandCalls(UpdateAccessKeyCommand)).toHaveLength(0);

    // As the SDK delivers IAM's NoSuchEntity: a NoSuchEntityException whose Code is NoSuchEntity.
    iamMock.reset();
    iamMock.on(GetUserCommand).rejects(noSuchEntity('The user with name ci-deployer cannot be found.'));
    iamMock.on(GetAccessKeyLastUsedCommand).rejects(noSuchEntity(`The Access Key with id ${KEY} cannot be found.`));
    const missing = await disable(USER_KEY());
    expect(missing.keys[0]).toMatchObject({ outcome: 'not-found', userName: 'ci-deployer' });
    expect(missing.keys[0]?.reason).toBe(
      `IAM knows no user ci-deployer in account 111122223333, and IAM knows no user that owns access key ${KEY} (GetAccessKeyLastUsed: NoSuchEntity; the key deleted, or not this account's)`,
    );
    expect(iamMock.commandCalls(ListAccessKeysCommand)).toHaveLength(0);
    expect(mutations()).toHaveLength(0);
  });

  // Before review renamed-user: whoever holds the key, allowed iam:UpdateUser on its user, renamed the
  // user after GuardDuty saw the key; the finding kept the old name, IAM knew no user of it
  // (NoSuchEntity), and the key stayed Active (evidence and an alert only).
  describe('a user renamed since the finding (iam:UpdateUser with the compromised key)', () => {
    const NEW_NAME = 'svc-metrics';
    function givenRenamed(to = NEW_NAME, tags: Record<string, string> = {}, keys: string[] = [KEY]): void {
      iamMock.on(GetUserCommand, { UserName: 'ci-deployer' }).rejects(noSuchEntity('The user with name ci-deployer cannot be found.'));
      iamMock.on(ListAccessKeysCommand, { UserName: 'ci-deployer' }).rejects(noSuchEntity('The user with name ci-deployer cannot be found.'));
      iamMock.on(GetUserCommand, { UserName: to }).resolves(getUserAnswer(to, tags));
      iamMock.on(ListAccessKeysCommand, { UserName: to }).resolves({ AccessKeyMetadata: keys.map((AccessKeyId) => ({ AccessKeyId, UserName: to, Status: 'Active' })) });
      iamMock.on(GetAccessKeyLastUsedCommand).resolves({ UserName: to, AccessKeyLastUsed: { ServiceName: 'sts', Region: 'eu-west-1', LastUsedDate: NOW } });
      iamMock.on(UpdateAccessKeyCommand).resolves({});
    }

    it('ATTACK: follows the key to its owner now (GetAccessKeyLastUsed) and sets it Inactive under the new name, naming both names', async () => {
      givenRenamed();
      const records = new MemoryCredentialRecordStore();
      const result = await disable(USER_KEY(), { records });
      expect(result.status).toBe('disabled');
      expect(iamMock.commandCalls(GetAccessKeyLastUsedCommand).map((c) => c.args[0].input)).toEqual([{ AccessKeyId: KEY }]);
      expect(iamMock.commandCalls(GetUserCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer' }, { UserName: NEW_NAME }]);
      expect(iamMock.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input)).toEqual([{ UserName: NEW_NAME }]);
      expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: NEW_NAME, AccessKeyId: KEY, Status: 'Inactive' }]);
      const renamed = `The finding names user ci-deployer, unknown to IAM in account 111122223333; access key ${KEY} is user ${NEW_NAME}'s now (GetAccessKeyLastUsed, ListAccessKeys): renamed since the finding (a strong sign of an attacker, who may call iam:UpdateUser with the key), or a forged finding's name`;
      expect(result.keys).toEqual([{ accessKeyId: KEY, account: '111122223333', userName: NEW_NAME, renamedFrom: 'ci-deployer', outcome: 'disabled', previousStatus: 'Active', reason: renamed }]);
      expect(result.actions.find((a) => a.api === RENAMED_USER_ACTION)).toMatchObject({ target: 'ci-deployer', outcome: 'observed', detail: `${renamed}: acted on under its current name ${NEW_NAME}` });
      // The sealed record names the user by its current name: a release acts on that name.
      expect((await records.get({ kind: 'access-key', account: '111122223333', accessKeyId: KEY }))?.record).toMatchObject({ userName: NEW_NAME });
    });

    it('applies the privileged name patterns to the new name, before any call on that user', async () => {
      givenRenamed('breakglass-ops');
      const result = await disable(USER_KEY());
      expect(result.status).toBe('refused');
      expect(result.keys[0]?.outcome).toBe('refused');
      expect(result.keys[0]?.reason).toMatch(/is user breakglass-ops's now .*renamed from ci-deployer since the finding.*User breakglass-ops matches the privileged name pattern \*BreakGlass\*/i);
      expect(iamMock.commandCalls(GetUserCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer' }]);
      expect(iamMock.commandCalls(ListAccessKeysCommand)).toHaveLength(0);
      expect(mutations()).toHaveLength(0);
    });

    it("applies the protected tag key and the game-day opt-in to the renamed user's current tags", async () => {
      givenRenamed(NEW_NAME, { 'firebreak:protected': 'yes' });
      const result = await disable(USER_KEY(), { environment: { ...ENV, FIREBREAK_PROTECTED_TAG_KEY: 'firebreak:protected' } });
      expect(result.status).toBe('refused');
      expect(result.keys[0]?.reason).toMatch(new RegExp(`^user ${NEW_NAME} carries the protected tag key firebreak:protected in IAM now: never contained automatically \\(The finding names user ci-deployer, unknown to IAM in account \\d{12}; access key \\w+ is user ${NEW_NAME}'s now .*: renamed since the finding .*, or a forged finding's name\\)$`));
      expect(mutations()).toHaveLength(0);

      iamMock.reset();
      givenRenamed(NEW_NAME, {});
      const drill = { ...USER_KEY(), gameDay: true, key: 'gameday-creds-1' };
      const refused = await disable(drill, { grants: storeGranting(drill, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT, gameDay: true }) });
      expect(refused.keys[0]?.reason).toMatch(new RegExp(`user ${NEW_NAME} does not carry the tag firebreak:gameday-target=true`));
      expect(mutations()).toHaveLength(0);
    });

    it('refuses when the user the key leads to does not list it, and when IAM denies reading the key\'s owner', async () => {
      givenRenamed(NEW_NAME, {}, ['AKIAQ3EGRW6JOTHERKEY']);
      const unlisted = await disable(USER_KEY());
      expect(unlisted.keys[0]).toMatchObject({ outcome: 'not-found', userName: 'ci-deployer' });
      expect(unlisted.keys[0]?.reason).toContain(`GetAccessKeyLastUsed names ${NEW_NAME} as the owner of access key ${KEY}, but IAM lists no such key under a user ${NEW_NAME} of account 111122223333 (ListAccessKeys): not followed`);
      expect(iamMock.commandCalls(GetUserCommand)).toHaveLength(1);
      expect(mutations()).toHaveLength(0);

      iamMock.reset();
      givenRenamed();
      iamMock.on(GetAccessKeyLastUsedCommand).rejects(sdkError('AccessDenied', 403));
      const denied = await disable(USER_KEY());
      expect(denied.keys[0]?.reason).toContain('GetAccessKeyLastUsed: AccessDenied');
      expect(mutations()).toHaveLength(0);
    });

    // Review review-rename: what held. IAM compares user names whatever their case when it looks one up,
    // so a case-only rename is not even a NoSuchEntity live; where it is (a stale read, the simulator),
    // the follow still contains under IAM's spelling, never refusing it as "the same name".
    it('contains a user renamed only in case under the name IAM gives, with every rail on that name', async () => {
      givenRenamed('CI-Deployer');
      const result = await disable(USER_KEY());
      expect(result.keys[0]).toMatchObject({ outcome: 'disabled', userName: 'CI-Deployer', renamedFrom: 'ci-deployer' });
      expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'CI-Deployer', AccessKeyId: KEY, Status: 'Inactive' }]);

      iamMock.reset();
      givenRenamed('BreakGlass-Ops');
      const privileged = await disable(USER_KEY());
      expect(privileged.keys[0]?.outcome).toBe('refused');
      expect(iamMock.commandCalls(ListAccessKeysCommand)).toHaveLength(0);
      expect(mutations()).toHaveLength(0);
    });

    // GetAccessKeyLastUsed's UserName is optional in the API model (a root user's key has none; a key
    // never used still names its user, with ServiceName and Region "N/A"): no name, nothing followed.
    it("refuses, changing nothing, when GetAccessKeyLastUsed names no user (a root user's key), and follows a key never used", async () => {
      givenRenamed();
      iamMock.on(GetAccessKeyLastUsedCommand).resolves({ AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });
      const root = await disable(USER_KEY());
      expect(root.keys[0]).toMatchObject({ outcome: 'not-found', userName: 'ci-deployer' });
      expect(root.keys[0]?.reason).toContain(`GetAccessKeyLastUsed names no user as the owner of access key ${KEY}`);
      expect(iamMock.commandCalls(ListAccessKeysCommand)).toHaveLength(0);
      expect(mutations()).toHaveLength(0);

      iamMock.reset();
      givenRenamed();
      iamMock.on(GetAccessKeyLastUsedCommand).resolves({ UserName: NEW_NAME, AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });
      expect((await disable(USER_KEY())).keys[0]).toMatchObject({ outcome: 'disabled', userName: NEW_NAME });
    });

    it('fails the step (retried) when GetAccessKeyLastUsed is throttled, changing nothing', async () => {
      givenRenamed();
      iamMock.on(GetAccessKeyLastUsedCommand).rejects(sdkError('Throttling', 400));
      await expect(disable(USER_KEY())).rejects.toMatchObject({ name: 'TransientResponderError', message: expect.stringContaining('iam:GetAccessKeyLastUsed failed transiently (Throttling)') });
      expect(mutations()).toHaveLength(0);
    });

    // Before review cred-rails (row 11s): the step followed each key on its own, and only the guard's
    // grant (row 11q) held the keys named under one vanished name to one owner. Invoked directly under
    // a credentials grant (or with an input shaped to skip the guard's check), a vanished name with two
    // keys, one of svc-metrics and one of ops-victim, had both set Inactive, each under its own user.
    it('ATTACK (cred-rails): refuses every key named under a vanished name unless one user owns them all, changing nothing', async () => {
      const VICTIM_KEY = 'AKIAQ3EGRW6JVICTIM01';
      givenRenamed();
      iamMock.on(GetAccessKeyLastUsedCommand, { AccessKeyId: VICTIM_KEY }).resolves({ UserName: 'ops-victim' });
      iamMock.on(GetUserCommand, { UserName: 'ops-victim' }).resolves(getUserAnswer('ops-victim'));
      iamMock.on(ListAccessKeysCommand, { UserName: 'ops-victim' }).resolves({ AccessKeyMetadata: [{ AccessKeyId: VICTIM_KEY, UserName: 'ops-victim', Status: 'Active' }] });
      const base = USER_KEY();
      const incident: Incident = { ...base, affected: [...affectedResources(base), { kind: 'access-key', from: 'test', accessKeyId: VICTIM_KEY, userName: 'ci-deployer', userType: 'IAMUser', temporary: false }] };
      const result = await disable(incident);
      expect(mutations()).toHaveLength(0);
      expect(result.status).toBe('refused');
      expect(result.keys.map((k) => [k.accessKeyId, k.outcome])).toEqual([
        [KEY, 'refused'],
        [VICTIM_KEY, 'refused'],
      ]);
      expect(result.keys[0]?.reason).toBe(
        `Access key ${VICTIM_KEY} is not one of user ${NEW_NAME}'s access keys in account 111122223333 (ListAccessKeys), yet the incident names it, as ${KEY}, under user ci-deployer, whom IAM no longer knows: a key followed to another user is never contained under this user's check (The finding names user ci-deployer, unknown to IAM in account 111122223333; access key ${KEY} is user ${NEW_NAME}'s now (GetAccessKeyLastUsed, ListAccessKeys): renamed since the finding (a strong sign of an attacker, who may call iam:UpdateUser with the key), or a forged finding's name)`,
      );
      expect(result.keys[1]?.reason).toMatch(new RegExp(`^Access key ${KEY} is not one of user ops-victim's access keys in account 111122223333 \\(ListAccessKeys\\), yet the incident names it, as ${VICTIM_KEY}, under user ci-deployer`));
      // Before any read of either owner's tags: the pairing is judged on the follow's own ListAccessKeys.
      expect(iamMock.commandCalls(GetUserCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer' }, { UserName: 'ci-deployer' }]);

      // Both ways: the same two keys, both svc-metrics's, are both set Inactive under that name.
      iamMock.reset();
      givenRenamed(NEW_NAME, {}, [KEY, VICTIM_KEY]);
      const owned = await disable(incident);
      expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([
        { UserName: NEW_NAME, AccessKeyId: KEY, Status: 'Inactive' },
        { UserName: NEW_NAME, AccessKeyId: VICTIM_KEY, Status: 'Inactive' },
      ]);
      expect(owned.status).toBe('disabled');
    });

    it('never follows a user that exists and does not own the key (the finding pairs the key with another user)', async () => {
      givenUser('Active', {}, ['AKIAQ3EGRW6JOTHERKEY']);
      iamMock.on(GetAccessKeyLastUsedCommand).resolves({ UserName: NEW_NAME });
      const result = await disable(USER_KEY());
      expect(result.keys[0]).toMatchObject({ outcome: 'not-found', userName: 'ci-deployer' });
      expect(iamMock.commandCalls(GetAccessKeyLastUsedCommand)).toHaveLength(0);
      expect(mutations()).toHaveLength(0);
    });
  });

  it('does not try to disable a temporary (ASIA) key: it points at revoke-role-sessions', async () => {
    const result = await disable(ROLE_SESSION());
    expect(result.keys[0]).toMatchObject({ outcome: 'temporary' });
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('does nothing for a GuardDuty sample', async () => {
    const result = await disable({ ...USER_KEY(), sample: true });
    expect(result.status).toBe('skipped-sample');
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('throws the classified error when IAM denies the change (the playbook catches it)', async () => {
    givenUser();
    iamMock.on(UpdateAccessKeyCommand).rejects(sdkError('AccessDenied', 403));
    await expect(disable(USER_KEY())).rejects.toMatchObject({ name: 'ResponderAccessDeniedError' });
  });

  it('disables the key an IAM attack sequence names', async () => {
    givenUser('Active', {}, ['AKIAQ3EGRW6JCIEXAMPLE']);
    const incident = fixture('guardduty-attack-sequence-iam-compromised-credentials-critical');
    const result = await disable(incident);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer', AccessKeyId: 'AKIAQ3EGRW6JCIEXAMPLE', Status: 'Inactive' }]);
    expect(result.status).toBe('disabled');
  });
});

const ec2Mock = mockClient(EC2Client);
const ec2Targets: { account: string; region: string }[] = [];
const regionalEc2 = new Map<string, EC2Client>();
/** EC2 in the role's account, where revoke-role-sessions looks for protected instances holding the role (row 2x): a client per region, as the Lambda's. */
const ec2Clients = {
  ec2: async (target: { account: string; region: string }) => {
    ec2Targets.push(target);
    let client = regionalEc2.get(target.region);
    if (client === undefined) regionalEc2.set(target.region, (client = new EC2Client({ region: target.region })));
    return client;
  },
};
afterEach(() => {
  ec2Mock.reset();
  ec2Targets.length = 0;
});
beforeEach(() => {
  // One region enabled for the account unless a test says otherwise (row 2z reads every enabled one).
  ec2Mock.on(DescribeRegionsCommand).callsFake(describeRegionsAs([ROLE_SESSION().region]));
});

function revoke(incident: Incident, options: { mode?: ResponderMode; environment?: Record<string, string>; grants?: InMemoryGrantStore; records?: MemoryCredentialRecordStore; now?: Date } = {}) {
  return revokeRoleSessions(
    { incident, mode: options.mode ?? 'enforce', options: {}, execution: EXECUTION },
    { clients, ec2Clients, logger: silentLogger, grants: options.grants ?? storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT }), records: options.records ?? new MemoryCredentialRecordStore(), environment: { ...(options.environment ?? ENV), ...playbookStepsEnvironment({}, GRANTED_PLAYBOOKS) }, now: () => options.now ?? NOW },
  );
}

describe('revokeRoleSessions', () => {
  // Row 11ab: the stack's IAM deny names privileged roles by ARN, path included; the step read the
  // name alone, so it met AccessDenied after the guard's slot (the guard refuses it now too).
  it('ATTACK (review-operator): refuses a role whose path a privileged name pattern names, as IAM reads its ARN, before any write', async () => {
    const ROLE = 'ci-deploy-role';
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: ROLE, Arn: `arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/${ROLE}`, Path: '/aws-reserved/sso.amazonaws.com/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: [] } });
    iamMock.on(PutRolePolicyCommand).resolves({});
    const result = await revoke(ROLE_SESSION());
    expect(iamMock.commandCalls(GetRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: ROLE }]);
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(result.status).toBe('refused');
    expect(result.roles).toEqual([
      expect.objectContaining({ roleName: ROLE, outcome: 'refused', reason: expect.stringMatching(/role ci-deploy-role at path \/aws-reserved\/sso\.amazonaws\.com\/ matches the privileged name pattern aws-reserved\/\* as IAM reads its ARN/) }),
    ]);
  });

  describe('a protected instance that holds the role through an instance profile (rows 2x, 2y)', () => {
    const ROLE = 'ci-deploy-role';
    const PROFILE = 'arn:aws:iam::111122223333:instance-profile/ci/ci-runner';
    const OTHER_PROFILE = 'arn:aws:iam::111122223333:instance-profile/deploy-host';
    const DB = 'i-0db0000000000000a';
    const STATES = { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] };
    const PROTECTED_BY_TAG = { ...ENV, FIREBREAK_PROTECTED_TAG_KEY: 'firebreak:protected' };
    const givenRoleHeldBy = (instances: Parameters<typeof describeInstancesAsEc2>[0], profiles: string[] = [PROFILE, OTHER_PROFILE]) => {
      iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: ROLE, Arn: `arn:aws:iam::111122223333:role/${ROLE}`, Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: [] } });
      iamMock.on(ListInstanceProfilesForRoleCommand, { RoleName: ROLE }).resolves({ InstanceProfiles: profiles.map((arn) => profileHolding(arn, ROLE, '111122223333')), IsTruncated: false });
      iamMock.on(PutRolePolicyCommand).resolves({});
      ec2Mock.on(DescribeInstancesCommand).callsFake(describeInstancesAsEc2(instances));
    };

    it.each([
      ["in the deployment's protected list", { ...ENV, FIREBREAK_PROTECTED_INSTANCE_IDS: DB }, {}, /protected instance i-0db0000000000000a \(in the deployment's protected list\) holds instance profile .*deploy-host, which holds the same role ci-deploy-role/],
      ['tagged with the protected tag key', PROTECTED_BY_TAG, { 'firebreak:protected': 'payments' }, /protected instance i-0db0000000000000a \(tagged firebreak:protected\) holds instance profile/],
      ['tagged with the protected tag key in another case (row 2y)', PROTECTED_BY_TAG, { 'Firebreak:Protected': 'payments' }, /protected instance i-0db0000000000000a \(tagged Firebreak:Protected\) holds instance profile/],
    ] as const)("ATTACK (holders): never revokes the sessions of a role a protected instance holds (%s): a credential finding would cut the protected workload's credentials (row 2x)", async (_why, environment, tags, reason) => {
      givenRoleHeldBy([holder('i-0ci0000000000000b', PROFILE), holder(DB, OTHER_PROFILE, tags)]);
      const result = await revoke(ROLE_SESSION(), { environment });
      expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
      expect(result.status).toBe('refused');
      expect(result.roles).toEqual([expect.objectContaining({ roleName: ROLE, outcome: 'refused', reason: expect.stringMatching(reason) })]);
      expect(result.actions).toContainEqual(expect.objectContaining({ api: 'firebreak:check-credential', target: ROLE, outcome: 'skipped', detail: expect.stringMatching(new RegExp(reason.source, 'i')) }));
      // The exact reads: the role's profiles in IAM, then EC2's instances holding one of them, where the finding's role lives.
      expect(iamMock.commandCalls(ListInstanceProfilesForRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: ROLE }]);
      expect(ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual([{ Filters: [{ Name: 'iam-instance-profile.arn', Values: [PROFILE, OTHER_PROFILE] }, STATES], MaxResults: 1000 }]);
      expect(ec2Targets).toEqual([{ account: '111122223333', region: ROLE_SESSION().region }]);
    });

    describe('in every region enabled for the account (row 2z)', () => {
      const HOME = 'eu-west-1';
      const givenRegions = (regions: string[], byRegion: Parameters<typeof describeInstancesByRegion>[0]) => {
        givenRoleHeldBy([]);
        ec2Mock.on(DescribeRegionsCommand).callsFake(describeRegionsAs(regions));
        ec2Mock.on(DescribeInstancesCommand).callsFake(describeInstancesByRegion(byRegion));
      };

      it("ATTACK (holders-regions): never revokes the sessions of a role a protected instance holds in another region of the account: IAM roles are global, EC2's search was the incident's region only", async () => {
        expect(ROLE_SESSION().region).toBe(HOME);
        givenRegions([HOME, 'us-east-1', 'ap-southeast-2'], { [HOME]: [holder('i-0ci0000000000000b', PROFILE)], 'us-east-1': [holder(DB, OTHER_PROFILE, { 'firebreak:protected': 'payments' })] });
        const result = await revoke(ROLE_SESSION(), { environment: PROTECTED_BY_TAG });
        expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
        expect(result.status).toBe('refused');
        expect(result.roles).toEqual([expect.objectContaining({ roleName: ROLE, outcome: 'refused', reason: expect.stringMatching(/protected instance i-0db0000000000000a \(tagged firebreak:protected\) in us-east-1 holds instance profile .*deploy-host/) })]);
        // The exact reads: the account's enabled regions where the incident is, then each region's holders, with a client of that region.
        expect(ec2Mock.commandCalls(DescribeRegionsCommand).map((c) => c.args[0].input)).toEqual([{ AllRegions: false }]);
        expect(ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual(Array(3).fill({ Filters: [{ Name: 'iam-instance-profile.arn', Values: [PROFILE, OTHER_PROFILE] }, STATES], MaxResults: 1000 }));
        expect(ec2Targets.map((t) => t.region).sort()).toEqual(['ap-southeast-2', HOME, 'us-east-1'].sort());
        expect(new Set(ec2Targets.map((t) => t.account))).toEqual(new Set(['111122223333']));
      });

      it('tried (holders-regions): revokes them when no region holds a protected holder, having read each enabled region once', async () => {
        givenRegions([HOME, 'us-east-1'], { [HOME]: [holder('i-0ci0000000000000b', PROFILE)], 'us-east-1': [holder(DB, OTHER_PROFILE, { 'firebreak:protected': '' }, 'stopped'), holder('i-0ab0000000000000c', OTHER_PROFILE)] });
        const result = await revoke(ROLE_SESSION(), { environment: PROTECTED_BY_TAG });
        expect(result.status).toBe('revoked');
        expect(ec2Mock.commandCalls(DescribeInstancesCommand)).toHaveLength(2);
        expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
      });

      it('keeps the sessions, naming the region, when a region cannot be read (a service control policy denying it): refused, nothing written', async () => {
        givenRegions([HOME, 'us-east-1', 'sa-east-1'], { [HOME]: [holder('i-0ci0000000000000b', PROFILE)] });
        ec2Mock.on(DescribeInstancesCommand).callsFake(async (request: DescribeInstancesCommandInput, getClient) => {
          if ((await getClient().config.region()) === 'sa-east-1') throw sdkError('UnauthorizedOperation', 403);
          return describeInstancesByRegion({ [HOME]: [holder('i-0ci0000000000000b', PROFILE)] })(request, getClient);
        });
        const result = await revoke(ROLE_SESSION(), { environment: PROTECTED_BY_TAG });
        expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
        expect(result.status).toBe('refused');
        expect(result.roles).toEqual([expect.objectContaining({ outcome: 'refused', reason: expect.stringContaining('the instances holding the role in sa-east-1 could not be read (ec2:DescribeInstances was denied (UnauthorizedOperation)): a protected instance may hold it there, so its sessions are kept') })]);
        // The operator is told of the setting that says where instances run (an SCP denying unused regions).
        expect(result.roles[0]?.reason).toMatch(/set instanceRegions to the regions where the served accounts run instances \(docs\/deploy\.md\)/);
      });

      describe('where the deployment says instances run (instanceRegions, FIREBREAK_INSTANCE_REGIONS)', () => {
        const FILTERED = { Filters: [{ Name: 'iam-instance-profile.arn', Values: [PROFILE, OTHER_PROFILE] }, STATES], MaxResults: 1000 };
        /** Each region's DescribeInstances inputs, in the order made; `denied` regions answer as a service control policy denying them does. */
        const givenReadsByRegion = (byRegion: Parameters<typeof describeInstancesByRegion>[0], denied: readonly string[] = []) => {
          const reads: { region: string; input: DescribeInstancesCommandInput }[] = [];
          ec2Mock.on(DescribeInstancesCommand).callsFake(async (request: DescribeInstancesCommandInput, getClient) => {
            const region = String(await getClient().config.region());
            reads.push({ region, input: request });
            if (denied.includes(region)) throw sdkError('UnauthorizedOperation', 403);
            return describeInstancesByRegion(byRegion)(request, getClient);
          });
          return reads;
        };

        it('ATTACK (holder-regions-setting): revokes the sessions when a service control policy denies a region outside instanceRegions: that region is not read (every revocation of a held role was refused, the stolen credentials kept)', async () => {
          givenRegions([HOME, 'us-east-1', 'sa-east-1'], {});
          const reads = givenReadsByRegion({ [HOME]: [holder('i-0ci0000000000000b', PROFILE)], 'us-east-1': [holder('i-0ab0000000000000c', OTHER_PROFILE)] }, ['sa-east-1']);
          const result = await revoke(ROLE_SESSION(), { environment: { ...PROTECTED_BY_TAG, FIREBREAK_INSTANCE_REGIONS: 'us-east-1' } });
          expect(result.status).toBe('revoked');
          expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
          // Exactly the incident's region and the listed ones the account has enabled (asked once, row 2zd), each read once with the same filters.
          expect(ec2Mock.commandCalls(DescribeRegionsCommand).map((c) => c.args[0].input)).toEqual([{ AllRegions: false }]);
          expect(reads.sort((a, b) => a.region.localeCompare(b.region))).toEqual([
            { region: HOME, input: FILTERED },
            { region: 'us-east-1', input: FILTERED },
          ]);
          expect(ec2Targets.map((t) => t.region).sort()).toEqual([HOME, 'us-east-1']);
        });

        it('ATTACK (review-holders): a region instanceRegions names that the account has not enabled is not read, and does not keep every session: it runs no instance (row 2zd)', async () => {
          // af-south-1 is an opt-in region: one served account runs instances there, this one never
          // enabled it, and EC2 there answers AuthFailure, which counted as a denied read.
          givenRegions([HOME, 'us-east-1'], {});
          const reads = givenReadsByRegion({ [HOME]: [holder('i-0ci0000000000000b', PROFILE)] });
          ec2Mock.on(DescribeInstancesCommand).callsFake(async (request: DescribeInstancesCommandInput, getClient) => {
            const region = String(await getClient().config.region());
            reads.push({ region, input: request });
            if (region === 'af-south-1') throw sdkError('AuthFailure', 401);
            return describeInstancesByRegion({ [HOME]: [holder('i-0ci0000000000000b', PROFILE)] })(request, getClient);
          });
          const result = await revoke(ROLE_SESSION(), { environment: { ...PROTECTED_BY_TAG, FIREBREAK_INSTANCE_REGIONS: 'us-east-1,af-south-1' } });
          expect(result.status).toBe('revoked');
          expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
          // The account's enabled regions, asked once where the incident is; then the named ones it has enabled, and the incident's.
          expect(ec2Mock.commandCalls(DescribeRegionsCommand).map((c) => c.args[0].input)).toEqual([{ AllRegions: false }]);
          expect(reads.map((read) => read.region).sort()).toEqual([HOME, 'us-east-1']);
          expect(reads.every((read) => JSON.stringify(read.input) === JSON.stringify(FILTERED))).toBe(true);
        });

        it("ATTACK (holder-regions-setting): always reads the incident's own region, even when instanceRegions leaves it out", async () => {
          givenRegions([HOME, 'us-east-1', 'ap-southeast-2'], {});
          const reads = givenReadsByRegion({ [HOME]: [holder(DB, OTHER_PROFILE, { 'firebreak:protected': 'payments' })] });
          const result = await revoke(ROLE_SESSION(), { environment: { ...PROTECTED_BY_TAG, FIREBREAK_INSTANCE_REGIONS: 'us-east-1,ap-southeast-2' } });
          expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
          expect(result.roles).toEqual([expect.objectContaining({ outcome: 'refused', reason: expect.stringMatching(/^protected instance i-0db0000000000000a \(tagged firebreak:protected\) holds instance profile/) })]);
          expect(reads.map((read) => read.region).sort()).toEqual(['ap-southeast-2', HOME, 'us-east-1']);
          expect(reads.every((read) => JSON.stringify(read.input) === JSON.stringify(FILTERED))).toBe(true);
          expect(ec2Mock.commandCalls(DescribeRegionsCommand)).toHaveLength(1);
        });

        it('keeps the sessions when a region of instanceRegions cannot be read, telling the operator to let the role read it or take it out', async () => {
          givenRegions([HOME, 'us-east-1'], {});
          givenReadsByRegion({}, ['us-east-1']);
          const result = await revoke(ROLE_SESSION(), { environment: { ...PROTECTED_BY_TAG, FIREBREAK_INSTANCE_REGIONS: 'us-east-1' } });
          expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
          expect(result.roles).toEqual([expect.objectContaining({ outcome: 'refused', reason: expect.stringMatching(/in us-east-1 could not be read .*instanceRegions names it: let the member role read EC2 there, or take it out of instanceRegions/) })]);
        });

        it.each([
          ['a name that is no region', 'us-east-1,EU West', 'EU West'],
          ['an empty value', ' , ', ''],
          ['a region name with a trailing token', 'us-east-1;rm', 'us-east-1;rm'],
        ])('fails the step, writing nothing and reading nothing, when FIREBREAK_INSTANCE_REGIONS is malformed (%s): the environment is a claim', async (_why, value, bad) => {
          givenRegions([HOME], {});
          const reads = givenReadsByRegion({});
          await expect(revoke(ROLE_SESSION(), { environment: { ...PROTECTED_BY_TAG, FIREBREAK_INSTANCE_REGIONS: value } })).rejects.toMatchObject({
            name: 'ResponderFailedError',
            message: expect.stringContaining(`FIREBREAK_INSTANCE_REGIONS holds ${JSON.stringify(bad)}`),
          });
          expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
          expect(reads).toEqual([]);
        });
      });

      it("tried (review-holders): DescribeRegions answering no region (or none by a region's name) still reads the incident's region: its protected holder keeps the sessions", async () => {
        for (const answer of [[], ['US-EAST-1', 'not a region']]) {
          iamMock.reset();
          ec2Mock.reset();
          givenRegions(answer, { [HOME]: [holder(DB, OTHER_PROFILE, { 'firebreak:protected': 'payments' })] });
          const result = await revoke(ROLE_SESSION(), { environment: PROTECTED_BY_TAG });
          expect(iamMock.commandCalls(PutRolePolicyCommand), JSON.stringify(answer)).toHaveLength(0);
          expect(result.roles).toEqual([expect.objectContaining({ outcome: 'refused', reason: expect.stringMatching(/^protected instance i-0db0000000000000a \(tagged firebreak:protected\) holds/) })]);
          expect(ec2Mock.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
        }
      });

      it("tried (review-holders): the protected holder's profile on IAM's second page of the role's profiles, past EC2's 200 filter values, is found", async () => {
        givenRegions([HOME], { [HOME]: [holder(DB, 'arn:aws:iam::111122223333:instance-profile/fleet/p-200', { 'firebreak:protected': 'payments' })] });
        const arns = Array.from({ length: 201 }, (_, i) => `arn:aws:iam::111122223333:instance-profile/fleet/p-${i}`);
        iamMock.on(ListInstanceProfilesForRoleCommand, { RoleName: ROLE }).resolves({ InstanceProfiles: arns.slice(0, 150).map((arn) => profileHolding(arn, ROLE, '111122223333')), IsTruncated: true, Marker: 'page-2' });
        iamMock.on(ListInstanceProfilesForRoleCommand, { RoleName: ROLE, Marker: 'page-2' }).resolves({ InstanceProfiles: arns.slice(150).map((arn) => profileHolding(arn, ROLE, '111122223333')), IsTruncated: false });
        const result = await revoke(ROLE_SESSION(), { environment: PROTECTED_BY_TAG });
        expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
        expect(result.roles).toEqual([expect.objectContaining({ outcome: 'refused', reason: expect.stringContaining('holds instance profile arn:aws:iam::111122223333:instance-profile/fleet/p-200') })]);
        expect(iamMock.commandCalls(ListInstanceProfilesForRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: ROLE }, { RoleName: ROLE, Marker: 'page-2' }]);
        expect(ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual([
          { Filters: [{ Name: 'iam-instance-profile.arn', Values: arns.slice(0, 200) }, STATES], MaxResults: 1000 },
          { Filters: [{ Name: 'iam-instance-profile.arn', Values: arns.slice(200) }, STATES], MaxResults: 1000 },
        ]);
      });

      describe('several roles of one account (one search: the regions listed once, each region read once)', () => {
        const BUILD = 'build-role';
        const BUILD_PROFILE = 'arn:aws:iam::111122223333:instance-profile/build-host';
        const FILTERS = (...profiles: string[]) => ({ Filters: [{ Name: 'iam-instance-profile.arn', Values: profiles }, STATES], MaxResults: 1000 });
        /** The incident naming both roles (by name: their sessions give no id), each created before the finding. */
        const twoRoles = (second = BUILD): Incident => ({
          ...ROLE_SESSION(),
          affected: [
            { kind: 'role-session', from: 'test', roleName: ROLE, sessionName: 'deploy-bot' },
            { kind: 'role-session', from: 'test', roleName: second, sessionName: 'x1' },
          ],
        });
        const givenSecondRole = (name: string, profiles: string[]) => {
          iamMock.on(GetRoleCommand, { RoleName: name }).resolves({ Role: { RoleName: name, Arn: `arn:aws:iam::111122223333:role/${name}`, Path: '/', RoleId: 'AROAQ3EGRW6JRBUILDRL', CreateDate: NOW, Tags: [] } });
          iamMock.on(ListInstanceProfilesForRoleCommand, { RoleName: name }).resolves({ InstanceProfiles: profiles.map((arn) => profileHolding(arn, name, '111122223333')), IsTruncated: false });
        };

        it("reads the account's regions once and each region once for every role it names, and judges each role on its own holders", async () => {
          givenRegions([HOME, 'us-east-1'], { [HOME]: [holder('i-0b10000000000000d', BUILD_PROFILE)], 'us-east-1': [holder(DB, OTHER_PROFILE, { 'firebreak:protected': 'payments' })] });
          givenSecondRole(BUILD, [BUILD_PROFILE]);
          const result = await revoke(twoRoles(), { environment: PROTECTED_BY_TAG });
          expect(iamMock.commandCalls(ListInstanceProfilesForRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: ROLE }, { RoleName: BUILD }]);
          expect(ec2Mock.commandCalls(DescribeRegionsCommand).map((c) => c.args[0].input)).toEqual([{ AllRegions: false }]);
          expect(ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual([FILTERS(PROFILE, OTHER_PROFILE, BUILD_PROFILE), FILTERS(PROFILE, OTHER_PROFILE, BUILD_PROFILE)]);
          expect(ec2Targets.map((t) => t.region).sort()).toEqual([HOME, 'us-east-1']);
          expect(result.roles.map((r) => [r.roleName, r.outcome])).toEqual([
            [ROLE, 'refused'],
            [BUILD, 'revoked'],
          ]);
          expect(result.roles[0]?.reason).toMatch(/^protected instance i-0db0000000000000a \(tagged firebreak:protected\) in us-east-1 holds instance profile .*deploy-host, which holds the same role ci-deploy-role/);
          expect(iamMock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input.RoleName)).toEqual([BUILD]);
        });

        it('a role no instance profile holds is not kept by a region that cannot be read for another role of its account', async () => {
          givenRegions([HOME, 'us-east-1'], {});
          givenSecondRole(BUILD, []);
          ec2Mock.on(DescribeInstancesCommand).callsFake(async (request: DescribeInstancesCommandInput, getClient) => {
            if ((await getClient().config.region()) === 'us-east-1') throw sdkError('UnauthorizedOperation', 403);
            return describeInstancesByRegion({})(request, getClient);
          });
          const result = await revoke(twoRoles(), { environment: PROTECTED_BY_TAG });
          expect(result.roles.map((r) => [r.roleName, r.outcome])).toEqual([
            [ROLE, 'refused'],
            [BUILD, 'revoked'],
          ]);
          expect(result.roles[0]?.reason).toContain('the instances holding the role in us-east-1 could not be read');
          expect(ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual([FILTERS(PROFILE, OTHER_PROFILE), FILTERS(PROFILE, OTHER_PROFILE)]);
        });

        it('tried (review-holders): the role named twice in another case (IAM names are case-insensitive) is kept under both names by the one search', async () => {
          givenRegions([HOME], { [HOME]: [holder(DB, OTHER_PROFILE, { 'firebreak:protected': 'payments' })] });
          givenSecondRole('CI-DEPLOY-ROLE', [PROFILE, OTHER_PROFILE]);
          const result = await revoke(twoRoles('CI-DEPLOY-ROLE'), { environment: PROTECTED_BY_TAG });
          expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
          expect(result.roles.map((r) => [r.roleName, r.outcome])).toEqual([
            [ROLE, 'refused'],
            ['CI-DEPLOY-ROLE', 'refused'],
          ]);
          expect(result.roles[1]?.reason).toMatch(/^protected instance i-0db0000000000000a .* holds instance profile .*deploy-host, which holds the same role CI-DEPLOY-ROLE/);
          expect(ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual([FILTERS(PROFILE, OTHER_PROFILE)]);
        });

        it("a role no instance profile holds is revoked though the account's regions cannot be listed for another role of its account (each role judged on its own)", async () => {
          givenRegions([HOME], {});
          givenSecondRole(BUILD, []);
          ec2Mock.on(DescribeRegionsCommand).rejects(sdkError('UnauthorizedOperation', 403));
          const result = await revoke(twoRoles(), { environment: PROTECTED_BY_TAG });
          expect(result.roles.map((r) => [r.roleName, r.outcome])).toEqual([
            [ROLE, 'refused'],
            [BUILD, 'revoked'],
          ]);
          expect(result.roles[0]?.reason).toContain('could not be read (ec2:DescribeRegions was denied (UnauthorizedOperation))');
          expect(iamMock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input.RoleName)).toEqual([BUILD]);
        });

        it("ATTACK (rereview-holders): a role no instance profile holds is revoked though a region throttled for another role of its account fails the step: the one search kept every role's sessions (row 2zf)", async () => {
          // Whoever holds the stolen sessions floods DescribeInstances in a quiet region of the account
          // (EC2's request limits are the account's, per region) for as long as the step's retries last:
          // the incident's other role needs no EC2 read at all, yet nothing was written for it either.
          givenRegions([HOME, 'us-east-1'], {});
          givenSecondRole(BUILD, []);
          ec2Mock.on(DescribeInstancesCommand).callsFake(async (request: DescribeInstancesCommandInput, getClient) => {
            if ((await getClient().config.region()) === 'us-east-1') throw sdkError('RequestLimitExceeded', 503);
            return describeInstancesByRegion({})(request, getClient);
          });
          const records = new MemoryCredentialRecordStore();
          await expect(revoke(twoRoles(), { environment: PROTECTED_BY_TAG, records })).rejects.toMatchObject({
            name: 'TransientResponderError',
            message: expect.stringMatching(/^The sessions of role ci-deploy-role \(account 111122223333\) are not revoked yet: In us-east-1: ec2:DescribeInstances failed transiently/),
          });
          expect(iamMock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: BUILD, PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: revokeOlderSessionsPolicy(NOW.toISOString()) }]);
          // The retry, once the region answers: the undecided role is written, the other found in its sealed record.
          givenRegions([HOME, 'us-east-1'], {});
          const retried = await revoke(twoRoles(), { environment: PROTECTED_BY_TAG, records });
          expect(retried.roles.map((r) => [r.roleName, r.outcome])).toEqual([
            [ROLE, 'revoked'],
            [BUILD, 'already-revoked'],
          ]);
          expect(iamMock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input.RoleName)).toEqual([BUILD, ROLE]);
        });

        it('fails before writing the deny of any role when a region of the search fails otherwise (throttled)', async () => {
          givenRegions([HOME, 'us-east-1'], {});
          givenSecondRole(BUILD, [BUILD_PROFILE]);
          ec2Mock.on(DescribeInstancesCommand).callsFake(async (request: DescribeInstancesCommandInput, getClient) => {
            if ((await getClient().config.region()) === 'us-east-1') throw sdkError('RequestLimitExceeded', 503);
            return describeInstancesByRegion({})(request, getClient);
          });
          // The failure alert says whose sessions are kept, not only which call failed.
          await expect(revoke(twoRoles(), { environment: PROTECTED_BY_TAG })).rejects.toMatchObject({
            name: 'TransientResponderError',
            message: expect.stringMatching(/^The sessions of role ci-deploy-role, build-role \(account 111122223333\) are not revoked yet: In us-east-1: ec2:DescribeInstances failed transiently/),
          });
          expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
        });
      });

      it("keeps the sessions when the account's regions cannot be listed (a member role without ec2:DescribeRegions): refused, nothing written", async () => {
        givenRegions([HOME], {});
        ec2Mock.on(DescribeRegionsCommand).rejects(sdkError('UnauthorizedOperation', 403));
        const result = await revoke(ROLE_SESSION(), { environment: PROTECTED_BY_TAG });
        expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
        expect(result.roles).toEqual([expect.objectContaining({ outcome: 'refused', reason: expect.stringContaining('the instances holding the role could not be read (ec2:DescribeRegions was denied (UnauthorizedOperation))') })]);
        expect(ec2Mock.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
      });

      it('fails, writing nothing, naming the region, when a region answers otherwise (throttled: retried by the state machine)', async () => {
        givenRegions([HOME, 'us-east-1'], {});
        ec2Mock.on(DescribeInstancesCommand).callsFake(async (request: DescribeInstancesCommandInput, getClient) => {
          if ((await getClient().config.region()) === 'us-east-1') throw sdkError('RequestLimitExceeded', 503);
          return describeInstancesByRegion({})(request, getClient);
        });
        await expect(revoke(ROLE_SESSION(), { environment: PROTECTED_BY_TAG })).rejects.toMatchObject({ name: 'TransientResponderError', message: expect.stringMatching(/^The sessions of role ci-deploy-role \(account 111122223333\) are not revoked yet: In us-east-1: ec2:DescribeInstances failed transiently/) });
        expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
      });
    });

    it('tried (holders): revokes them when no holder is protected now (a stopped protected one holds no session)', async () => {
      givenRoleHeldBy([holder('i-0ci0000000000000b', PROFILE), holder(DB, OTHER_PROFILE, { 'firebreak:protected': '' }, 'stopped')]);
      const result = await revoke(ROLE_SESSION(), { environment: PROTECTED_BY_TAG });
      expect(result.status).toBe('revoked');
      expect(iamMock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: ROLE, PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: revokeOlderSessionsPolicy(NOW.toISOString()) }]);
    });

    it("ATTACK (review-holders): never revokes the sessions of a role a protected instance holds while it is hibernated: its processes resume with the credentials they held (row 2za)", async () => {
      // A hibernated instance is `stopped`, but its RAM (the SDKs' cached credentials, valid up to
      // hours) comes back on start: a deny written meanwhile cuts the protected workload when it resumes.
      givenRoleHeldBy([holder('i-0ci0000000000000b', PROFILE), holder(DB, OTHER_PROFILE, { 'firebreak:protected': 'payments' }, 'stopped', true)]);
      const result = await revoke(ROLE_SESSION(), { environment: PROTECTED_BY_TAG });
      expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
      expect(result.roles).toEqual([expect.objectContaining({ roleName: ROLE, outcome: 'refused', reason: expect.stringMatching(/^protected instance i-0db0000000000000a \(tagged firebreak:protected\), stopped with hibernation configured \(its processes resume with the credentials they held\), holds instance profile .*deploy-host/) })]);
      expect(ec2Mock.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual([{ Filters: [{ Name: 'iam-instance-profile.arn', Values: [PROFILE, OTHER_PROFILE] }, STATES], MaxResults: 1000 }]);
    });

    it('tried (holders): a role no instance profile holds is revoked without reading EC2', async () => {
      givenRoleHeldBy([holder(DB, OTHER_PROFILE, { 'firebreak:protected': '' })], []);
      const result = await revoke(ROLE_SESSION(), { environment: PROTECTED_BY_TAG });
      expect(result.status).toBe('revoked');
      expect(ec2Mock.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
    });

    it('keeps the sessions when the holders cannot be read (a member role deployed before the read): refused, nothing written', async () => {
      givenRoleHeldBy([holder(DB, OTHER_PROFILE)]);
      ec2Mock.on(DescribeInstancesCommand).rejects(sdkError('UnauthorizedOperation', 403));
      const result = await revoke(ROLE_SESSION(), { environment: PROTECTED_BY_TAG });
      expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
      expect(result.status).toBe('refused');
      expect(result.roles).toEqual([expect.objectContaining({ outcome: 'refused', reason: expect.stringContaining('the instances holding the role could not be read (ec2:DescribeInstances was denied (UnauthorizedOperation))') })]);
    });

    it('fails, writing nothing, when a read of the holders fails otherwise (retried by the state machine)', async () => {
      givenRoleHeldBy([holder(DB, OTHER_PROFILE)]);
      iamMock.on(ListInstanceProfilesForRoleCommand).rejects(sdkError('Throttling', 400));
      await expect(revoke(ROLE_SESSION(), { environment: PROTECTED_BY_TAG })).rejects.toMatchObject({ name: 'TransientResponderError' });
      expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    });

    it('makes no such read in a deployment that protects nothing', async () => {
      givenRoleHeldBy([holder(DB, OTHER_PROFILE, { 'firebreak:protected': '' })]);
      const result = await revoke(ROLE_SESSION());
      expect(result.status).toBe('revoked');
      expect(iamMock.commandCalls(ListInstanceProfilesForRoleCommand)).toHaveLength(0);
      expect(ec2Mock.calls()).toHaveLength(0);
    });
  });

  it('writes the revoke-older-sessions deny quarantine writes, on the role the session belongs to', async () => {
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: [] } });
    iamMock.on(PutRolePolicyCommand).resolves({});
    const result = await revoke(ROLE_SESSION());
    expect(result.status).toBe('revoked');
    expect(iamMock.commandCalls(GetRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role' }]);
    expect(iamMock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
      { RoleName: 'ci-deploy-role', PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: revokeOlderSessionsPolicy(NOW.toISOString()) },
    ]);
    expect(result.roles).toEqual([
      { roleName: 'ci-deploy-role', account: '111122223333', sessions: ['deploy-bot'], outcome: 'revoked', issuedBefore: NOW.toISOString(), policyName: REVOKE_SESSIONS_POLICY_NAME },
    ]);
  });

  it("ATTACK (review-member): never revokes a same-named role whose id is not the session's (another account's role, or one created again)", async () => {
    // The session's principalId (AROAQ3EGRW6JRDEPLOYR:deploy-bot) names the role by its unique id; the
    // finding's account holds a role of that name with another id: a caller of another account (a
    // remote account's ci-deploy-role), or the role deleted and created again since.
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JOTHERONE', CreateDate: NOW, Tags: [] } });
    iamMock.on(PutRolePolicyCommand).resolves({});
    const result = await revoke(ROLE_SESSION());
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(result.status).toBe('refused');
    expect(result.roles).toEqual([
      expect.objectContaining({ roleName: 'ci-deploy-role', outcome: 'refused', reason: expect.stringContaining('has the id AROAQ3EGRW6JOTHERONE, not AROAQ3EGRW6JRDEPLOYR') }),
    ]);
  });

  it("tried (rereview-holders): with an organization narrowed by servedAccountIds, a finding of a listed account naming a role of an unlisted account of the organization revokes nothing there, before any call in it (holds)", async () => {
    const base = ROLE_SESSION();
    const incident: Incident = {
      ...base,
      affected: [
        { kind: 'role-session', from: 'test', roleName: 'ci-deploy-role', sessionName: 'deploy-bot' },
        { kind: 'role-session', from: 'test', roleName: 'pilot-role', sessionName: 'x1', account: '444455556666' },
      ],
    };
    iamMock.on(GetRoleCommand, { RoleName: 'ci-deploy-role' }).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: new Date('2026-01-01T00:00:00Z'), Tags: [] } });
    iamMock.on(PutRolePolicyCommand).resolves({});
    const environment = { ...ENV, FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder', FIREBREAK_ORGANIZATION_ID: 'o-a1b2c3d4e5', FIREBREAK_SERVED_ACCOUNT_IDS: '555566667777' };
    const result = await revoke(incident, { environment });
    expect(targets.map((t) => t.account)).not.toContain('444455556666');
    expect(iamMock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input.RoleName)).toEqual(['ci-deploy-role']);
    expect(result.roles.find((r) => r.roleName === 'pilot-role')).toMatchObject({ outcome: 'refused', reason: expect.stringContaining('narrows the organization o-a1b2c3d4e5') });
  });

  // Row 9h: a member account's finding (its own GuardDuty, whose findings its administrator steers)
  // placed a role in the security account; the served-account rail served the security account
  // always, so its deny was written there with Firebreak's own credentials.
  it("ATTACK (review-accounts): never revokes a security-account role that a member account's finding names, before any call; the security account's own finding still does", async () => {
    const base = ROLE_SESSION();
    const member = '444455556666';
    const memberFinding: Incident = {
      ...base,
      account: member,
      guardDuty: { ...base.guardDuty!, arn: base.guardDuty!.arn!.replace(':111122223333:', `:${member}:`) },
      affected: [{ kind: 'role-session', from: 'test', roleName: 'ci-deploy-role', sessionName: 'deploy-bot', account: '111122223333' }],
    };
    // A per-credential child of it: its account is the role's, the finding's ARN still the member's.
    const child: Incident = { ...memberFinding, key: `${base.key}-role-0123456789ab-0a1b2c3d`, account: '111122223333' };
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: new Date('2026-01-01T00:00:00Z'), Tags: [] } });
    iamMock.on(PutRolePolicyCommand).resolves({});
    const environment = { ...ENV, FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder', FIREBREAK_ORGANIZATION_ID: 'o-a1b2c3d4e5' };
    for (const incident of [memberFinding, child]) {
      const result = await revoke(incident, { environment });
      expect(result.status).toBe('refused');
      expect(result.roles).toEqual([expect.objectContaining({ roleName: 'ci-deploy-role', account: '111122223333', outcome: 'refused', reason: expect.stringContaining("account 111122223333 is the security account, and the finding is account 444455556666's") })]);
    }
    expect(targets).toHaveLength(0);
    expect(iamMock.calls()).toHaveLength(0);
    // The security account's own finding of the same role: revoked as before.
    const own: Incident = { ...base, affected: memberFinding.affected! };
    expect((await revoke(own, { environment })).status).toBe('revoked');
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
  });

  // Before review review-role-age the guard refused a role IAM created after the finding (row 11v),
  // but revoke-role-sessions read the role only for its id: a role deleted and created again between
  // the guard's read and this step, or an execution whose grant predates the recreation, had the new
  // (innocent) role's sessions denied. The step now makes the guard's comparison itself (row 11x).
  it('ATTACK (review-role-age): never revokes a role whose session gives no id and that IAM created after the finding', async () => {
    const base = ROLE_SESSION();
    // The finding's session as GuardDuty gives it without a principalId: the role by name alone.
    const incident: Incident = { ...base, affected: [{ kind: 'role-session', from: 'test', roleName: 'ci-deploy-role', sessionName: 'deploy-bot' }] };
    const FINDING_CREATED = '2026-03-26T04:02:00.000Z';
    expect(incident.times.created).toBe(FINDING_CREATED);
    const roleCreatedAt = (createDate: Date) =>
      iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRECREATE', CreateDate: createDate, Tags: [] } });
    const later = new Date('2026-03-26T04:30:00.000Z');
    roleCreatedAt(later);
    iamMock.on(PutRolePolicyCommand).resolves({});

    const stepAt = new Date('2026-03-26T04:40:00.000Z');
    const result = await revoke(incident, { now: stepAt, grants: storeGranting(incident, stepAt, { instanceId: CREDENTIALS_GRANT_SUBJECT }) });

    expect(iamMock.commandCalls(GetRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role' }]);
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(result.status).toBe('refused');
    const reason = `role ci-deploy-role in account 111122223333 was created at 2026-03-26T04:30:00.000Z, after the finding (created ${FINDING_CREATED}), and the finding's session gives no id: it cannot be the role the finding saw (the role deleted and created again, or a finding naming another role)`;
    expect(result.roles).toEqual([{ roleName: 'ci-deploy-role', account: '111122223333', sessions: ['deploy-bot'], outcome: 'refused', reason }]);
    expect(result.actions.map(({ api, outcome, detail }) => ({ api, outcome, detail }))).toContainEqual({ api: 'firebreak:check-credential', outcome: 'skipped', detail: `R${reason.slice(1)}; nothing changed` });

    // The role as it was when GuardDuty saw it (created before the finding, or in its very
    // millisecond) is revoked by name, after the same one read.
    for (const createDate of [new Date('2026-01-05T08:00:00.000Z'), new Date(FINDING_CREATED)]) {
      iamMock.reset();
      roleCreatedAt(createDate);
      iamMock.on(PutRolePolicyCommand).resolves({});
      const older = await revoke(incident);
      expect(older.status).toBe('revoked');
      expect(iamMock.commandCalls(GetRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role' }]);
      expect(iamMock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
        { RoleName: 'ci-deploy-role', PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: revokeOlderSessionsPolicy(NOW.toISOString()) },
      ]);
    }

    // GetRole throttled or denied: the step fails (retried by the state machine), nothing is written.
    for (const [code, status, name] of [['Throttling', 400, 'TransientResponderError'], ['AccessDenied', 403, 'ResponderAccessDeniedError']] as const) {
      iamMock.reset();
      iamMock.on(GetRoleCommand).rejects(sdkError(code, status));
      iamMock.on(PutRolePolicyCommand).resolves({});
      await expect(revoke(incident)).rejects.toMatchObject({ name });
      expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    }

    // A session that gives the role's id: the id decides, never the age (row 11n).
    iamMock.reset();
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: later, Tags: [] } });
    iamMock.on(PutRolePolicyCommand).resolves({});
    expect((await revoke(ROLE_SESSION())).status).toBe('revoked');
  });

  it('sends nothing in dry-run', async () => {
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW } });
    const result = await revoke(ROLE_SESSION(), { mode: 'dry-run' });
    expect(result.status).toBe('dry-run');
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
  });

  it('stays dry-run under a dry-run grant, even when its input and the deployment say enforce: no deny written', async () => {
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: [] } });
    iamMock.on(PutRolePolicyCommand).resolves({});
    const incident = ROLE_SESSION();
    const result = await revoke(incident, { grants: storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT, mode: 'dry-run' }) });
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce' } });
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
  });

  it('under the emergency pause, an enforce grant written before it clears dry-run only: no deny written (review-pause: a direct replay tried, held)', async () => {
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: [] } });
    iamMock.on(PutRolePolicyCommand).resolves({});
    const incident = ROLE_SESSION();
    const result = await revoke(incident, { grants: paused(storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT })) });
    expect(result).toMatchObject({ status: 'dry-run', mode: 'dry-run', forcedDryRun: { requested: 'enforce', reason: expect.stringContaining('Firebreak is PAUSED') } });
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
  });

  it('refuses an administrator role, Firebreak\'s own member role and a role of an unserved account before any call', async () => {
    const base = ROLE_SESSION();
    const named = (roleName: string, account?: string): Incident => ({
      ...base,
      affected: [{ kind: 'role-session', from: 'test', roleName, sessionName: 'x1', ...(account ? { account } : {}) }],
    });
    for (const [incident, reason] of [
      [named('OrganizationAccountAccessRole'), /privileged name pattern OrganizationAccountAccessRole/],
      [named('FirebreakResponder'), /Firebreak's own member-account role/],
      [named('ci-deploy-role', '999988887777'), /account 999988887777 is neither the security account nor in the served-account allowlist/],
    ] as const) {
      const result = await revoke(incident, { environment: { ...ENV, FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder', FIREBREAK_SERVED_ACCOUNT_IDS: '' } });
      expect(result.status).toBe('refused');
      expect(result.roles[0]?.reason).toMatch(reason);
    }
    expect(iamMock.calls()).toHaveLength(0);
    expect(targets).toHaveLength(0);
  });

  it("refuses every role of the member-role stack by name, whatever its case, and no other role: its own names as deployed (`<name>-<responder>`)", async () => {
    // As the stack deploys revoke-role-sessions: its own two roles, built from the configured names.
    const DEPLOYED = { ...ENV, FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder-revoke-role-sessions', FIREBREAK_SESSION_REVOKER_ROLE_NAME: 'FirebreakSessionRevoker-revoke-role-sessions' };
    const base = ROLE_SESSION();
    const named = (roleName: string): Incident => ({ ...base, affected: [{ kind: 'role-session', from: 'test', roleName, sessionName: 'x1' }] });
    for (const roleName of [
      'FirebreakResponder-quarantine-instance',
      'FirebreakResponder-containment-guard',
      'FirebreakSessionRevoker-release-credentials',
      'FirebreakSessionRevoker-revoke-role-sessions',
      // IAM role names are unique whatever their case: this is the same role.
      'firebreakresponder-QUARANTINE-INSTANCE',
      // The shared roles of earlier versions, until the member-role stack is updated.
      'FirebreakResponder',
      'FirebreakSessionRevoker',
    ]) {
      const result = await revoke(named(roleName), { environment: DEPLOYED });
      expect(result.status, roleName).toBe('refused');
      expect(result.roles[0]?.reason, roleName).toBe(`role ${roleName} is Firebreak's own member-account role`);
    }
    expect(iamMock.calls()).toHaveLength(0);

    // A role that only looks like one (no responder's name after the configured one) is not Firebreak's.
    for (const roleName of ['FirebreakResponder-payments', 'FirebreakResponderquarantine-instance', 'ci-deploy-role']) {
      iamMock.reset();
      iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: roleName, Arn: `arn:aws:iam::111122223333:role/${roleName}`, Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: [] } });
      iamMock.on(PutRolePolicyCommand).resolves({});
      const result = await revoke(named(roleName), { environment: DEPLOYED });
      expect(result.status, roleName).toBe('revoked');
      expect(iamMock.commandCalls(GetRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: roleName }]);
      expect(iamMock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
        { RoleName: roleName, PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: revokeOlderSessionsPolicy(NOW.toISOString()) },
      ]);
    }
  });

  it("ATTACK: refuses Firebreak's own roles in the security account by name, whatever their case, before any call", async () => {
    const base = ROLE_SESSION();
    const named = (roleName: string, account: string): Incident => ({ ...base, affected: [{ kind: 'role-session', from: 'test', roleName, sessionName: 'x1', account }] });
    const DEPLOYED = { ...ENV, FIREBREAK_STACK_NAME: 'Firebreak', FIREBREAK_SERVED_ACCOUNT_IDS: '444455556666' };
    for (const roleName of ['Firebreak-ResponderQuarantineInstanceRole-1A2B3C4D', 'FIREBREAK-DispatcherRole-77', 'firebreak-responder-containment-guard']) {
      const result = await revoke(named(roleName, '111122223333'), { environment: DEPLOYED });
      expect(result.status, roleName).toBe('refused');
      expect(result.roles[0]?.reason, roleName).toMatch(new RegExp(`^role ${roleName} is one of Firebreak's own roles in the security account`));
    }
    expect(iamMock.calls()).toHaveLength(0);
    // In a member account a role of that name is not the security account's: the other rails decide.
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'Firebreak-payments', Arn: 'arn:aws:iam::444455556666:role/Firebreak-payments', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: [] } });
    iamMock.on(PutRolePolicyCommand).resolves({});
    const member = await revoke(named('Firebreak-payments', '444455556666'), { environment: DEPLOYED });
    expect(member.roles[0]?.reason ?? '').not.toContain("Firebreak's own roles");
  });

  it('refuses a role carrying the protected tag key, and says when IAM knows no such role', async () => {
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: NOW, Tags: [{ Key: 'do-not-contain', Value: '' }] } });
    const result = await revoke(ROLE_SESSION(), { environment: { ...ENV, FIREBREAK_PROTECTED_TAG_KEY: 'do-not-contain' } });
    expect(result.roles[0]?.reason).toMatch(/protected tag key do-not-contain/);
    expect(iamMock.commandCalls(PutRolePolicyCommand)).toHaveLength(0);

    iamMock.reset();
    iamMock.on(GetRoleCommand).rejects(noSuchEntity('The role with name ci-deploy-role cannot be found.'));
    const missing = await revoke(ROLE_SESSION());
    expect(missing.roles[0]).toMatchObject({ outcome: 'not-found' });
  });

  it.each(['ABORTED', 'SUCCEEDED', 'FAILED', 'TIMED_OUT'])('ATTACK: writes no deny under the valid grant of an execution that is %s: no IAM call, and says why', async (status) => {
    const incident = ROLE_SESSION();
    const grants = storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT });
    grants.executions.set(EXECUTION.executionArn, status);
    const result = await revoke(incident, { grants });
    expect(result.status).toBe('refused');
    expect(result.refusal).toContain(`is ${status}, not RUNNING`);
    expect(iamMock.calls()).toHaveLength(0);
  });

  it("refuses another role under the grant of the execution's own (same incident key): no IAM call", async () => {
    const incident = ROLE_SESSION();
    const granted = storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT });
    const swapped = { ...incident, resource: { ...incident.resource, userName: 'payments-app-role' }, affected: undefined } as Incident;
    const result = await revoke(swapped, { grants: granted });
    expect(result.status).toBe('refused');
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('refuses without the guard\'s grant, and has nothing to do for an IAM user\'s key', async () => {
    const refused = await revoke(ROLE_SESSION(), { grants: new InMemoryGrantStore() });
    expect(refused.status).toBe('refused');
    const none = await revoke(USER_KEY());
    expect(none.status).toBe('no-role');
    expect(iamMock.calls()).toHaveLength(0);
  });
});

/**
 * A per-credential execution (contain-each-credential): the guard's grant names ONE credential, and
 * the steps act on it alone whatever their input lists: the input is a claim, the grant is what the
 * guard decided for this execution.
 */
describe('a one-credential grant (per-credential executions)', () => {
  const OTHER_KEY = 'AKIAQ3EGRW6JOTHERKEY';
  /** A child execution's incident: its resource is the key, but the sequence still names the other credentials. */
  const sequenceChild = (): Incident => {
    const base = fixture('guardduty-attack-sequence-iam-compromised-credentials-critical');
    return {
      ...base,
      key: `${base.key}-${KEY}`,
      resource: { kind: 'access-key', accessKeyId: KEY, userName: 'ci-deployer', userType: 'IAMUser' },
      affected: [
        { kind: 'access-key', from: 'test', accessKeyId: KEY, temporary: false, userName: 'ci-deployer', userType: 'IAMUser' },
        { kind: 'access-key', from: 'test', accessKeyId: OTHER_KEY, temporary: false, userName: 'data-loader', userType: 'IAMUser' },
        { kind: 'role-session', from: 'test', roleName: 'ci-deploy-role', sessionName: 'deploy-bot' },
        { kind: 'role-session', from: 'test', roleName: 'partner-role', sessionName: 'x1' },
      ],
    };
  };
  const granting = (incident: Incident, subject: string) => storeGranting(incident, NOW, { instanceId: subject, playbook: 'iam-credentials-attack-sequence-credential' });
  const givenRoles = () => {
    // Created before the sequence (2026-03-19T11:52:17Z), as the role it saw was: its sessions give no id (row 11x).
    iamMock.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: new Date('2026-01-05T08:00:00.000Z'), Tags: [] } });
    iamMock.on(PutRolePolicyCommand).resolves({});
  };

  it('disable-access-key disables only the granted key, with exactly that input, though the input names another', async () => {
    givenUser('Active', {}, [KEY, OTHER_KEY]);
    const incident = sequenceChild();
    const result = await disable(incident, { denyAll: true, grants: granting(incident, `access-key/111122223333/${KEY}`) });
    expect(result.status).toBe('disabled');
    expect(iamMock.commandCalls(GetUserCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer' }]);
    expect(iamMock.commandCalls(ListAccessKeysCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer' }]);
    expect(iamMock.commandCalls(ListAttachedUserPoliciesCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer' }]);
    expect(iamMock.commandCalls(UpdateAccessKeyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer', AccessKeyId: KEY, Status: 'Inactive' }]);
    expect(iamMock.commandCalls(AttachUserPolicyCommand).map((c) => c.args[0].input)).toEqual([{ UserName: 'ci-deployer', PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' }]);
    expect(result.keys.map((k) => k.accessKeyId)).toEqual([KEY]);
    expect(result.actions.some((a) => a.detail.includes('the 1 other key(s) its input names are not touched here'))).toBe(true);
  });

  it('ATTACK: an input forged to name another key than the grant changes nothing and makes no IAM call', async () => {
    givenUser('Active', {}, [KEY, OTHER_KEY]);
    const forged: Incident = { ...sequenceChild(), affected: [{ kind: 'access-key', from: 'test', accessKeyId: OTHER_KEY, temporary: false, userName: 'data-loader', userType: 'IAMUser' }] };
    const result = await disable(forged, { denyAll: true, grants: granting(forged, `access-key/111122223333/${KEY}`) });
    expect(result.status).toBe('refused');
    expect(result.refusal).toContain(`grant clears access-key/111122223333/${KEY} alone, and its input does not name that key`);
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('a grant of a role disables no key (and reads none), though the input names keys', async () => {
    givenUser('Active', {}, [KEY, OTHER_KEY]);
    const incident = sequenceChild();
    const result = await disable(incident, { denyAll: true, grants: granting(incident, 'iam-role/111122223333/ci-deploy-role') });
    expect(result.status).toBe('no-key');
    expect(iamMock.calls()).toHaveLength(0);
  });

  it("a one-credential grant of another account than the execution's incident clears nothing", async () => {
    givenUser('Active', {}, [KEY, OTHER_KEY]);
    const incident = sequenceChild();
    const result = await disable(incident, { grants: granting(incident, `access-key/999988887777/${KEY}`) });
    expect(result.status).toBe('refused');
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('revoke-role-sessions revokes only the granted role, with exactly that input', async () => {
    givenRoles();
    const incident = sequenceChild();
    const result = await revoke(incident, { grants: granting(incident, 'iam-role/111122223333/ci-deploy-role') });
    expect(result.status).toBe('revoked');
    expect(iamMock.commandCalls(GetRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role' }]);
    expect(iamMock.commandCalls(PutRolePolicyCommand).map((c) => c.args[0].input)).toEqual([
      { RoleName: 'ci-deploy-role', PolicyName: REVOKE_SESSIONS_POLICY_NAME, PolicyDocument: revokeOlderSessionsPolicy(NOW.toISOString()) },
    ]);
    expect(result.roles.map((r) => r.roleName)).toEqual(['ci-deploy-role']);
  });

  it('ATTACK: a role grant with an input that does not name that role revokes nothing and makes no IAM call', async () => {
    givenRoles();
    const incident = sequenceChild();
    const result = await revoke(incident, { grants: granting(incident, 'iam-role/111122223333/payments-role') });
    expect(result.status).toBe('refused');
    expect(result.refusal).toContain('its input does not name that role');
    expect(iamMock.calls()).toHaveLength(0);
  });

  it('a grant of a key revokes no role (and reads none)', async () => {
    givenRoles();
    const incident = sequenceChild();
    const result = await revoke(incident, { grants: granting(incident, `access-key/111122223333/${KEY}`) });
    expect(result.status).toBe('no-role');
    expect(iamMock.calls()).toHaveLength(0);
  });
});
