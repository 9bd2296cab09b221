/**
 * The containment guard's view of a credential incident (containment-guard-credential.ts), as pure
 * functions and with IAM mocked. Written for the mutants Stryker found surviving there
 * (docs/testing.md): the guard's own tests reach these through whole incidents, which left the
 * name checks, the role cases of soleCredentialOf and the release path untried.
 */
import { GetAccessKeyLastUsedCommand, GetRoleCommand, GetUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AffectedResource, Incident } from '../../lib/incident/model';
import { ActionLog } from '../../lib/responders/action-log';
import { accessKeyIdsCovered, lookAtCredential, namesOnlyUnactionableKeys, oneCredentialOf, privilegedCredentialReason, soleCredentialOf } from '../../lib/responders/containment-guard-credential';
import type { OneCredential } from '../../lib/responders/containment-guard-credential';
import { ACCOUNT, REGION, ec2Incident } from '../support/incidents';
import { getUserAnswer } from '../support/iam-users';
import { sdkError } from './quarantine-fixtures';

const iam = mockClient(IAMClient);
const NOW = new Date('2026-11-20T10:05:00.000Z');
/** Where the credential incidents are, and their times: the finding was created at 2026-11-20T09:55:00.000Z. */
const AT = { account: ACCOUNT, region: REGION, times: ec2Incident().times };
/** When the account's ci-deploy-role was created: long before the finding. */
const ROLE_CREATED = new Date('2026-01-05T08:00:00Z');
const KEY = 'AKIAQ3EGRW6JCEXAMPLE';
const TAG_KEY = 'firebreak:protected';

beforeEach(() => iam.reset());
afterEach(() => iam.reset());

/** An access-key incident whose resource is `resource` and whose affected resources are `affected`. */
function keyIncident(resource: Record<string, unknown>, affected?: readonly Record<string, unknown>[]): Incident {
  const { resource: _r, ...rest } = ec2Incident();
  return { ...rest, resource: { kind: 'access-key', ...resource }, ...(affected ? { affected: affected as unknown as AffectedResource[] } : {}) } as unknown as Incident;
}
const userKey = (userName = 'ci-deployer', accessKeyId = KEY) => ({ accessKeyId, userName, userType: 'IAMUser' });
const roleSession = (roleName = 'ci-deploy-role') => ({ accessKeyId: 'ASIAQ3EGRW6JCEXAMPLE', userName: roleName, userType: 'AssumedRole' });

describe('oneCredentialOf', () => {
  it('names a user key or a role, and nothing for a malformed name or key id, a missing one, or another resource', () => {
    expect(oneCredentialOf(keyIncident(userKey()))).toEqual({ subject: { kind: 'access-key', account: ACCOUNT, accessKeyId: KEY }, principal: { kind: 'user', name: 'ci-deployer' } });
    expect(oneCredentialOf(keyIncident(roleSession()))).toEqual({ subject: { kind: 'iam-role', account: ACCOUNT, roleName: 'ci-deploy-role' }, principal: { kind: 'role', name: 'ci-deploy-role' } });
    for (const resource of [
      userKey('not a name!'),
      { accessKeyId: KEY, userType: 'IAMUser' },
      userKey('ci-deployer', 'AKIA-short'),
      userKey('ci-deployer', `x${KEY}`),
      userKey('ci-deployer', `${KEY}!`),
      { userName: 'ci-deployer', userType: 'IAMUser' },
      { ...userKey(), userType: 'Root' },
    ]) {
      expect(oneCredentialOf(keyIncident(resource))).toBeUndefined();
    }
    expect(oneCredentialOf(ec2Incident())).toBeUndefined();
  });
});

describe('soleCredentialOf', () => {
  const key = (fields: Record<string, unknown>) => ({ kind: 'access-key', from: 'test', accessKeyId: KEY, temporary: false, ...fields });

  it("is the user's when every credential the incident names is that user's, in its account", () => {
    const incident = keyIncident(userKey(), [key({ userName: 'ci-deployer', userType: 'IAMUser' }), { kind: 'iam-user', from: 'test', userName: 'ci-deployer' }, { kind: 'ec2-instance', from: 'test', instanceId: 'i-0abc1234def567890' }]);
    expect(soleCredentialOf(incident)?.principal).toEqual({ kind: 'user', name: 'ci-deployer' });
  });

  it("is the role's when every credential is that role's: its sessions, the role itself, its session keys", () => {
    const incident = keyIncident(roleSession(), [
      key({ accessKeyId: 'ASIAQ3EGRW6JCEXAMPLE', temporary: true, userName: 'ci-deploy-role', userType: 'AssumedRole' }),
      { kind: 'role-session', from: 'test', roleName: 'ci-deploy-role' },
      { kind: 'iam-role', from: 'test', roleName: 'ci-deploy-role' },
    ]);
    expect(soleCredentialOf(incident)?.principal).toEqual({ kind: 'role', name: 'ci-deploy-role' });
  });

  it.each([
    ["another user's key", keyIncident(userKey(), [key({ userName: 'data-loader', userType: 'IAMUser' })])],
    ["the same name's key as a role session", keyIncident(userKey(), [key({ userName: 'ci-deployer', userType: 'AssumedRole' })])],
    ['another user', keyIncident(userKey(), [{ kind: 'iam-user', from: 'test', userName: 'data-loader' }])],
    ['a role, for a user', keyIncident(userKey(), [{ kind: 'iam-role', from: 'test', roleName: 'ci-deployer' }])],
    ['a user, for a role', keyIncident(roleSession(), [{ kind: 'iam-user', from: 'test', userName: 'ci-deploy-role' }])],
    ['another role', keyIncident(roleSession(), [{ kind: 'iam-role', from: 'test', roleName: 'partner-role' }])],
    ['a session of another role', keyIncident(roleSession(), [{ kind: 'role-session', from: 'test', roleName: 'partner-role' }])],
    ["the same user's key in another account", keyIncident(userKey(), [key({ userName: 'ci-deployer', userType: 'IAMUser', account: '444455556666' })])],
  ])('is none when the incident also names %s', (_what, incident) => {
    expect(soleCredentialOf(incident)).toBeUndefined();
  });
});

describe('accessKeyIdsCovered', () => {
  const key = (accessKeyId: string, fields: Record<string, unknown> = {}) => ({ kind: 'access-key', from: 'test', accessKeyId, temporary: false, userName: 'ci-deployer', userType: 'IAMUser', ...fields });
  const OTHER = 'AKIAQ3EGRW6JSECONDKY';

  it("is the per-credential execution's one key, or every key of the user the incident names in its account, never a role's", () => {
    const incident = keyIncident(userKey(), [key(KEY), key(OTHER), key('AKIAQ3EGRW6JELSEWHER', { account: '444455556666' }), key('AKIAQ3EGRW6JANOTHERU', { userName: 'data-loader' })]);
    const one = oneCredentialOf(incident)!;
    expect(accessKeyIdsCovered(incident, one, true)).toEqual([KEY]);
    expect(accessKeyIdsCovered(incident, one, false)).toEqual([KEY, OTHER]);
    const role = keyIncident(roleSession());
    expect(accessKeyIdsCovered(role, oneCredentialOf(role)!, false)).toEqual([]);
  });
});

describe('namesOnlyUnactionableKeys', () => {
  const unverifiedKey = { kind: 'unverified', from: 'test', claimedKind: 'access-key', value: 'AKIA-bad', expected: 'an access key id' };
  const rootKey = { kind: 'access-key', from: 'test', accessKeyId: KEY, temporary: false, userType: 'Root' };
  const of = (...affected: Record<string, unknown>[]) => namesOnlyUnactionableKeys(keyIncident(userKey(), affected));

  it('is true for a malformed or root key with nothing else a step could act on', () => {
    expect(of(unverifiedKey)).toBe(true);
    expect(of(rootKey)).toBe(true);
    expect(of(rootKey, { kind: 'ec2-instance', from: 'test', instanceId: 'i-0abc1234def567890' })).toBe(true);
  });

  it('is false when a key, role or role session a step can act on is named too, or no key at all', () => {
    expect(of(rootKey, { kind: 'access-key', from: 'test', accessKeyId: KEY, temporary: false, userName: 'ci-deployer', userType: 'IAMUser' })).toBe(false);
    expect(of(unverifiedKey, { kind: 'iam-role', from: 'test', roleName: 'ci-deploy-role' })).toBe(false);
    expect(of(unverifiedKey, { kind: 'role-session', from: 'test', roleName: 'ci-deploy-role' })).toBe(false);
    expect(of({ kind: 'unverified', from: 'test', claimedKind: 'ec2-instance', value: 'i-bad', expected: 'an instance id' })).toBe(false);
    expect(of({ kind: 'iam-user', from: 'test', userName: 'Root' })).toBe(false);
    expect(of()).toBe(false);
  });
});

describe('privilegedCredentialReason', () => {
  const user = (name: string): OneCredential => ({ subject: { kind: 'access-key', account: ACCOUNT, accessKeyId: KEY }, principal: { kind: 'user', name } });
  const role = (name: string): OneCredential => ({ subject: { kind: 'iam-role', account: ACCOUNT, roleName: name }, principal: { kind: 'role', name } });
  const own = { securityAccountId: ACCOUNT, stackName: 'Firebreak' };

  it("names the key and its user, or the role, and refuses Firebreak's own roles but not a user of the same name", () => {
    expect(privilegedCredentialReason(user('PaymentsAdmin'), ACCOUNT, {}, own)).toBe(
      `The access key ${KEY} of user PaymentsAdmin is protected: user PaymentsAdmin matches the privileged name pattern *Admin* (administrator or break-glass), whose credentials Firebreak never touches; evidence and the alert only, no blast-radius slot taken.`,
    );
    expect(privilegedCredentialReason(role('Firebreak-GuardRole'), ACCOUNT, {}, own)).toBe(
      "The role Firebreak-GuardRole is protected: role Firebreak-GuardRole is one of Firebreak's own roles in the security account (Firebreak-*), which Firebreak never contains; evidence and the alert only, no blast-radius slot taken.",
    );
    expect(privilegedCredentialReason(user('Firebreak-GuardRole'), ACCOUNT, {}, own)).toBeUndefined();
    expect(privilegedCredentialReason(role('ci-deploy-role'), ACCOUNT, {}, own)).toBeUndefined();
  });
});

describe('lookAtCredential', () => {
  const deps = (protectedTagKey?: string) =>
    ({
      config: { protectedInstanceIds: [], ...(protectedTagKey ? { protectedTagKey } : {}), blastRadius: { maxContainments: 3, windowSeconds: 3600 }, rails: {} },
      clients: { iam: async () => new IAMClient({ region: REGION }) },
    }) as unknown as Parameters<typeof lookAtCredential>[4];
  const user: OneCredential = { subject: { kind: 'access-key', account: ACCOUNT, accessKeyId: KEY }, principal: { kind: 'user', name: 'ci-deployer' } };
  const role: OneCredential = { subject: { kind: 'iam-role', account: ACCOUNT, roleName: 'ci-deploy-role' }, principal: { kind: 'role', name: 'ci-deploy-role' } };
  /** IAM lists KEY as ci-deployer's (ListAccessKeys), as the guard checks before any slot. */
  const ownsKey = () => {
    iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ UserName: 'ci-deployer', AccessKeyId: KEY, Status: 'Active' }], IsTruncated: false });
    iam.on(GetUserCommand).resolves(getUserAnswer('ci-deployer'));
  };
  const look = async (one: OneCredential, kind: 'contain' | 'release', gameDay: boolean, protectedTagKey?: string, roleIds: readonly string[] = []) => {
    const log = new ActionLog(() => NOW);
    const reasons: string[] = [];
    const verdict = await lookAtCredential(AT, one, kind, gameDay, deps(protectedTagKey), log, reasons, { roleIds });
    return { verdict, reasons, log: log.actions.map(({ api, target, outcome, detail }) => ({ api, target, outcome, detail })) };
  };

  it('reads no tags for a release (protection does not hold a release back)', async () => {
    expect(await look(user, 'release', false, TAG_KEY)).toEqual({ verdict: { protected: false }, reasons: [], log: [] });
    expect(iam.calls()).toHaveLength(0);
  });

  it("reads a role's tags with GetRole and logs it under that call, protected or not", async () => {
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: ROLE_CREATED, Tags: [{ Key: TAG_KEY, Value: '' }] } });
    const guarded = await look(role, 'contain', false, TAG_KEY);
    expect(guarded.verdict).toMatchObject({ protected: true, rule: 'credential-tag' });
    expect(guarded.log).toEqual([{ api: 'iam:GetRole', target: 'ci-deploy-role', outcome: 'observed', detail: `Read the current tags of role ci-deploy-role: the protected tag key ${TAG_KEY} is present.` }]);

    iam.on(GetRoleCommand).resolves({});
    const bare = await look(role, 'contain', false, TAG_KEY);
    expect(bare.verdict).toEqual({ protected: false });
    expect(bare.log).toEqual([{ api: 'iam:GetRole', target: 'ci-deploy-role', outcome: 'observed', detail: `Read the current tags of role ci-deploy-role: no ${TAG_KEY} tag, not protected.` }]);
  });

  // Row 11ab: the stack's IAM deny names the privileged roles by ARN, which holds the role's path.
  it('ATTACK (review-operator): protects a role whose path the privileged name patterns name, as IAM reads its ARN, before a slot', async () => {
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ops/BreakGlass/ci-deploy-role', Path: '/ops/BreakGlass/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: ROLE_CREATED, Tags: [] } });
    const guarded = await look(role, 'contain', false);
    expect(iam.commandCalls(GetRoleCommand).map((call) => call.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role' }]);
    expect(guarded.verdict).toEqual({
      protected: true,
      rule: 'privileged-name',
      reason: 'The role ci-deploy-role is protected: role ci-deploy-role at path /ops/BreakGlass/ matches the privileged name pattern *BreakGlass* as IAM reads its ARN (role/ops/BreakGlass/ci-deploy-role) (administrator or break-glass), whose credentials Firebreak never touches; evidence and the alert only, no blast-radius slot taken.',
    });
    // The root path, or a path no pattern names: granted as before.
    iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci/ci-deploy-role', Path: '/ci/', RoleId: 'AROAQ3EGRW6JRDEPLOYR', CreateDate: ROLE_CREATED, Tags: [] } });
    expect((await look(role, 'contain', false)).verdict).toEqual({ protected: false });
  });

  describe('without a protected tag key, outside game days', () => {
    const SESSION_ROLE_ID = 'AROAQ3EGRW6JRDEPLOYR';
    const roleAnswers = (RoleId: string, CreateDate = ROLE_CREATED) =>
      iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId, CreateDate, Tags: [] } });

    // Before review guard-role-age the guard read no role whose sessions give no id (no tag rule, no
    // id to compare) and granted its containment by name: the role deleted and created again after
    // GuardDuty saw it (whoever may create roles), or a finding naming a role that is not the one
    // seen, took one of the account's automatic containments, and revoke-role-sessions then denied
    // the sessions of an innocent role.
    describe('a role whose sessions give no id', () => {
      it('ATTACK: reads the role with GetRole, and refuses a role IAM created after the finding', async () => {
        roleAnswers('AROAQ3EGRW6JRECREATE', new Date('2026-11-20T10:01:00Z'));
        const recreated = await look(role, 'contain', false);
        expect(iam.commandCalls(GetRoleCommand).map((call) => call.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role' }]);
        expect(iam.calls()).toHaveLength(1);
        expect(recreated.verdict).toBe('unverifiable');
        expect(recreated.reasons).toEqual([
          `The role ci-deploy-role in account ${ACCOUNT} was created at 2026-11-20T10:01:00.000Z, after the finding (created 2026-11-20T09:55:00.000Z), and the finding's session gives no id: it cannot be the role the finding saw (the role deleted and created again, or a finding naming another role); evidence and an alert only (no blast-radius slot taken).`,
        ]);
        expect(recreated.log).toEqual([{ api: 'iam:GetRole', target: 'ci-deploy-role', outcome: 'observed', detail: recreated.reasons[0] }]);
      });

      it('grants a role created before the finding by its name, after that one read, and logs that no id proved it', async () => {
        roleAnswers('AROAQ3EGRW6JRDEPLOYR');
        const older = await look(role, 'contain', false);
        expect(older.verdict).toEqual({ protected: false });
        expect(older.reasons).toEqual([]);
        expect(iam.commandCalls(GetRoleCommand).map((call) => call.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role' }]);
        expect(iam.calls()).toHaveLength(1);
        expect(older.log).toEqual([
          { api: 'iam:GetRole', target: 'ci-deploy-role', outcome: 'observed', detail: "Read role ci-deploy-role: created at 2026-01-05T08:00:00.000Z, before the finding; the finding's session gives no id, so it is taken by its name." },
        ]);
        // Created in the finding's very millisecond: not after it.
        iam.reset();
        roleAnswers('AROAQ3EGRW6JRDEPLOYR', new Date(AT.times.created));
        expect((await look(role, 'contain', false)).verdict).toEqual({ protected: false });
      });

      it('refuses a role IAM does not know, and reads nothing for a release', async () => {
        iam.on(GetRoleCommand).rejects(Object.assign(new Error('no such role'), { name: 'NoSuchEntityException', Code: 'NoSuchEntity', $metadata: { httpStatusCode: 404 } }));
        const unknown = await look(role, 'contain', false);
        expect(unknown.verdict).toBe('unverifiable');
        expect(unknown.reasons).toEqual([`IAM knows no role ci-deploy-role in account ${ACCOUNT}: it cannot be verified as the role the finding's session names; evidence and an alert only (no blast-radius slot taken).`]);
        iam.reset();
        expect(await look(role, 'release', false)).toEqual({ verdict: { protected: false }, reasons: [], log: [] });
        expect(iam.calls()).toHaveLength(0);
      });

      it('refuses a role created after the finding with a protected tag key or on a drill too, before its tags count', async () => {
        iam.on(GetRoleCommand).resolves({ Role: { RoleName: 'ci-deploy-role', Arn: 'arn:aws:iam::111122223333:role/ci-deploy-role', Path: '/', RoleId: 'AROAQ3EGRW6JRECREATE', CreateDate: NOW, Tags: [{ Key: 'firebreak:gameday-target', Value: 'true' }] } });
        expect(await look(role, 'contain', false, TAG_KEY)).toMatchObject({ verdict: 'unverifiable', reasons: [expect.stringContaining('after the finding')] });
        expect(await look(role, 'contain', true)).toMatchObject({ verdict: 'unverifiable', reasons: [expect.stringContaining('after the finding')] });
      });

      // Review review-role-age: any other error of that read fails the step (retried by the state
      // machine): no verdict, so no slot and no grant by name.
      it('fails, granting nothing, when GetRole is throttled or denied rather than answered', async () => {
        iam.on(GetRoleCommand).rejects(sdkError('Throttling', 400));
        await expect(look(role, 'contain', false)).rejects.toMatchObject({ name: 'TransientResponderError', message: expect.stringContaining('iam:GetRole failed transiently (Throttling)') });
        iam.reset();
        iam.on(GetRoleCommand).rejects(sdkError('AccessDenied', 403));
        await expect(look(role, 'contain', false)).rejects.toMatchObject({ name: 'ResponderAccessDeniedError', message: expect.stringContaining('iam:GetRole was denied (AccessDenied)') });
        expect(iam.commandCalls(GetRoleCommand).map((call) => call.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role' }]);
      });

      it('never compares the age of a role its sessions give an id for: the id decides (row 11n)', async () => {
        roleAnswers(SESSION_ROLE_ID, NOW);
        expect((await look(role, 'contain', false, undefined, [SESSION_ROLE_ID])).verdict).toEqual({ protected: false });
      });
    });

    // Before review guard-user-key the guard read no user here and granted the key's slot by name: a
    // finding pairing a key with a user who does not own it (forged or stale, the user created again,
    // another account's user of that name) took one of the account's automatic containments, which
    // only disable-access-key's own ListAccessKeys check refused afterwards.
    it("ATTACK: reads the user's keys with ListAccessKeys, and refuses a key that is not the named user's", async () => {
      iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ UserName: 'ci-deployer', AccessKeyId: 'AKIAQ3EGRW6JOWNKEY01', Status: 'Active' }], IsTruncated: false });
      iam.on(GetUserCommand).resolves(getUserAnswer('ci-deployer'));
      const other = await look(user, 'contain', false);
      expect(iam.commandCalls(ListAccessKeysCommand).map((call) => call.args[0].input)).toEqual([{ UserName: 'ci-deployer' }]);
      // GetUser goes with it (the user's path, row 11ae), and its answer is not needed here.
      expect(iam.commandCalls(GetUserCommand).map((call) => call.args[0].input)).toEqual([{ UserName: 'ci-deployer' }]);
      expect(iam.calls()).toHaveLength(2);
      expect(other.verdict).toBe('unverifiable');
      expect(other.reasons).toEqual([
        `Access key ${KEY} is not one of user ci-deployer's access keys in account ${ACCOUNT} (ListAccessKeys): the finding pairs the key with a user who does not own it (a forged or stale finding, the user created again, or another account's user of that name); evidence and an alert only (no blast-radius slot taken).`,
      ]);
      expect(other.log).toEqual([{ api: 'iam:ListAccessKeys', target: 'ci-deployer', outcome: 'observed', detail: other.reasons[0] }]);
    });

    it("grants the user's own key after those two reads, sent together, and logs what it compared", async () => {
      ownsKey();
      const own = await look(user, 'contain', false);
      expect(own.verdict).toEqual({ protected: false });
      expect(own.reasons).toEqual([]);
      expect(iam.commandCalls(ListAccessKeysCommand).map((call) => call.args[0].input)).toEqual([{ UserName: 'ci-deployer' }]);
      expect(iam.commandCalls(GetUserCommand).map((call) => call.args[0].input)).toEqual([{ UserName: 'ci-deployer' }]);
      // Both sent before either answer is read: the path costs no round trip of its own.
      expect(iam.calls().map((call) => call.args[0].constructor.name)).toEqual(['GetUserCommand', 'ListAccessKeysCommand']);
      expect(own.log).toEqual([
        { api: 'iam:ListAccessKeys', target: 'ci-deployer', outcome: 'observed', detail: `Read the access keys of user ci-deployer: ${KEY} is its key.` },
        { api: 'iam:GetUser', target: 'ci-deployer', outcome: 'observed', detail: 'Read user ci-deployer: at path /, which no privileged name pattern names.' },
      ]);
    });

    // Before row 11ae the guard read no user's path (ListUserTags and ListAccessKeys do not give it):
    // a user protected by its path alone (`user/*admin*` on `user/sysadmin/ci`, as the stack's
    // DenyProtectedUsers reads its ARN) took a blast-radius slot, and disable-access-key met
    // AccessDenied. Findings about such users used up the account's automatic containments (row 11e).
    it('ATTACK: protects a user whose path a privileged name pattern names, before a slot, without a tag rule', async () => {
      ownsKey();
      iam.on(GetUserCommand).resolves(getUserAnswer('ci-deployer', {}, '/sysadmin/'));
      const byPath = await look(user, 'contain', false);
      expect(byPath.verdict).toEqual({
        protected: true,
        rule: 'privileged-name',
        reason:
          'The user ci-deployer is protected: user ci-deployer at path /sysadmin/ matches the privileged name pattern *Admin* as IAM reads its ARN (user/sysadmin/ci-deployer) (administrator or break-glass), whose credentials Firebreak never touches; evidence and the alert only, no blast-radius slot taken.',
      });
      // With a tag rule and on a drill too: the path decides before the tags.
      iam.on(GetUserCommand).resolves(getUserAnswer('ci-deployer', { 'firebreak:gameday-target': 'true' }, '/ops/BreakGlass/'));
      expect(await look(user, 'contain', true, TAG_KEY)).toMatchObject({ verdict: { protected: true, rule: 'privileged-name', reason: expect.stringContaining('*BreakGlass*') } });
    });

    it("tried (user-path): a path no privileged pattern names, and the user's name under it, change nothing", async () => {
      ownsKey();
      iam.on(GetUserCommand).resolves(getUserAnswer('ci-deployer', {}, '/ci/deployers/'));
      expect((await look(user, 'contain', false)).verdict).toEqual({ protected: false });
    });

    it('tried (rereview-rails): a path of wildcard and regular-expression characters is read as text, and a protected name in it is found whatever its case', async () => {
      // IAM paths may hold any ASCII character from ! to DEL: none of them widens or narrows a pattern.
      for (const path of ['/a*b/', '/.+/', '/[x]/', '/(a|b)/', '/^$/', '/?/', '/\\/']) {
        ownsKey();
        iam.on(GetUserCommand).resolves(getUserAnswer('ci-deployer', {}, path));
        expect((await look(user, 'contain', false)).verdict).toEqual({ protected: false });
      }
      // Case: the stack's deny is case-sensitive, but a user at /aDmIn/ is refused here too (the
      // name rule's reading, row 11ae): a principal allowed to move its own user could reach a path
      // the deny names anyway.
      iam.on(GetUserCommand).resolves(getUserAnswer('ci-deployer', {}, '/x.aDmIn?/'));
      expect((await look(user, 'contain', false)).verdict).toMatchObject({ protected: true, rule: 'privileged-name' });
    });

    it("tried (rereview-rails): a user renamed to a protected path is read again under its new name; the finding's name's failed GetUser leaves no unhandled rejection", async () => {
      const noSuchUser = Object.assign(new Error('no such user'), { name: 'NoSuchEntityException', Code: 'NoSuchEntity', $metadata: { httpStatusCode: 404 } });
      const seen: unknown[] = [];
      const listener = (reason: unknown) => void seen.push(reason);
      process.on('unhandledRejection', listener);
      try {
        iam.on(ListAccessKeysCommand, { UserName: 'ci-deployer' }).rejects(noSuchUser);
        iam.on(ListAccessKeysCommand, { UserName: 'svc-metrics' }).resolves({ AccessKeyMetadata: [{ UserName: 'svc-metrics', AccessKeyId: KEY, Status: 'Active' }], IsTruncated: false });
        iam.on(GetAccessKeyLastUsedCommand).resolves({ UserName: 'svc-metrics', AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });
        // The finding's name: denied rather than unknown (a stale answer the verdict must not read).
        iam.on(GetUserCommand, { UserName: 'ci-deployer' }).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
        iam.on(GetUserCommand, { UserName: 'svc-metrics' }).resolves(getUserAnswer('svc-metrics', {}, '/sysadmin/'));
        const followed = await look(user, 'contain', false);
        expect(followed.verdict).toMatchObject({ protected: true, rule: 'privileged-name', reason: expect.stringContaining('user svc-metrics at path /sysadmin/ matches the privileged name pattern *Admin*') });
        expect(iam.commandCalls(GetUserCommand).map((call) => call.args[0].input)).toEqual([{ UserName: 'ci-deployer' }, { UserName: 'svc-metrics' }]);
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(seen).toEqual([]);
      } finally {
        process.off('unhandledRejection', listener);
      }
    });

    it("fails, granting nothing, when GetUser is throttled rather than answered, even with the user's keys read", async () => {
      iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ UserName: 'ci-deployer', AccessKeyId: KEY, Status: 'Active' }], IsTruncated: false });
      iam.on(GetUserCommand).rejects(sdkError('Throttling', 400));
      await expect(look(user, 'contain', false)).rejects.toMatchObject({ name: 'TransientResponderError', message: expect.stringContaining('iam:GetUser failed transiently (Throttling)') });
    });

    it('grants when any key the containment covers is the user\'s, and refuses when none is', async () => {
      iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ UserName: 'ci-deployer', AccessKeyId: 'AKIAQ3EGRW6JOWNKEY01', Status: 'Active' }], IsTruncated: false });
      iam.on(GetUserCommand).resolves(getUserAnswer('ci-deployer'));
      const log = new ActionLog(() => NOW);
      const reasons: string[] = [];
      const both = await lookAtCredential(AT, user, 'contain', false, deps(), log, reasons, { accessKeyIds: [KEY, 'AKIAQ3EGRW6JOWNKEY01'] });
      expect(both).toEqual({ protected: false });
      expect(log.actions.map(({ detail }) => detail)).toEqual(['Read the access keys of user ci-deployer: AKIAQ3EGRW6JOWNKEY01 is its key.', 'Read user ci-deployer: at path /, which no privileged name pattern names.']);
      const none = await lookAtCredential(AT, user, 'contain', false, deps(), log, reasons, { accessKeyIds: [KEY, 'AKIAQ3EGRW6JNOTHERS1'] });
      expect(none).toBe('unverifiable');
      expect(reasons[0]).toContain(`Access keys ${KEY}, AKIAQ3EGRW6JNOTHERS1 are not user ci-deployer's access keys in account ${ACCOUNT} (ListAccessKeys)`);
    });

    it('refuses a user IAM does not know whose key no user owns, and reads nothing for a release', async () => {
      iam.on(ListAccessKeysCommand).rejects(Object.assign(new Error('no such user'), { name: 'NoSuchEntityException', Code: 'NoSuchEntity', $metadata: { httpStatusCode: 404 } }));
      iam.on(GetAccessKeyLastUsedCommand).rejects(Object.assign(new Error('no such key'), { name: 'NoSuchEntityException', Code: 'NoSuchEntity', $metadata: { httpStatusCode: 404 } }));
      const unknown = await look(user, 'contain', false);
      expect(unknown.verdict).toBe('unverifiable');
      expect(unknown.reasons).toEqual([
        `IAM knows no user ci-deployer in account ${ACCOUNT}, and IAM knows no user that owns access key ${KEY} (GetAccessKeyLastUsed: NoSuchEntity; the key deleted, or not this account's): it cannot be verified as the owner of the finding's access key ${KEY}; evidence and an alert only (no blast-radius slot taken).`,
      ]);
      expect(unknown.log).toEqual([{ api: 'iam:GetAccessKeyLastUsed', target: 'ci-deployer', outcome: 'observed', detail: unknown.reasons[0] }]);
      iam.reset();
      expect(await look(user, 'release', false)).toEqual({ verdict: { protected: false }, reasons: [], log: [] });
      expect(iam.calls()).toHaveLength(0);
    });

    // Before review renamed-user: whoever holds the key, allowed iam:UpdateUser on its user, renamed
    // the user after GuardDuty saw the key; IAM knew no user of the finding's name (NoSuchEntity) and
    // the guard refused (evidence only): the compromised key stayed Active.
    describe('a user renamed since the finding (iam:UpdateUser with the compromised key)', () => {
      const noSuchUser = Object.assign(new Error('no such user'), { name: 'NoSuchEntityException', Code: 'NoSuchEntity', $metadata: { httpStatusCode: 404 } });
      const renamedTo = (to: string, keys: readonly string[] = [KEY]) => {
        iam.on(ListAccessKeysCommand, { UserName: 'ci-deployer' }).rejects(noSuchUser);
        iam.on(ListAccessKeysCommand, { UserName: to }).resolves({ AccessKeyMetadata: keys.map((AccessKeyId) => ({ UserName: to, AccessKeyId, Status: 'Active' })), IsTruncated: false });
        iam.on(GetAccessKeyLastUsedCommand).resolves({ UserName: to, AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });
        iam.on(GetUserCommand, { UserName: 'ci-deployer' }).rejects(noSuchUser);
        iam.on(GetUserCommand, { UserName: to }).resolves(getUserAnswer(to));
      };
      const renamed = `The finding names user ci-deployer, unknown to IAM in account ${ACCOUNT}; access key ${KEY} is user svc-metrics's now (GetAccessKeyLastUsed, ListAccessKeys): renamed since the finding (a strong sign of an attacker, who may call iam:UpdateUser with the key), or a forged finding's name`;

      it('ATTACK: follows the key to its owner now with GetAccessKeyLastUsed, and grants under the new name', async () => {
        renamedTo('svc-metrics');
        const followed = await look(user, 'contain', false);
        expect(iam.commandCalls(GetAccessKeyLastUsedCommand).map((call) => call.args[0].input)).toEqual([{ AccessKeyId: KEY }]);
        expect(iam.commandCalls(ListAccessKeysCommand).map((call) => call.args[0].input)).toEqual([{ UserName: 'ci-deployer' }, { UserName: 'svc-metrics' }]);
        // The finding's name is read with its keys (NoSuchEntity both), then the user under its new name.
        expect(iam.commandCalls(GetUserCommand).map((call) => call.args[0].input)).toEqual([{ UserName: 'ci-deployer' }, { UserName: 'svc-metrics' }]);
        expect(iam.calls()).toHaveLength(5);
        // The user the key is contained as, for the blast-radius hold (row 15k).
        expect(followed.verdict).toEqual({ protected: false, followedTo: 'svc-metrics' });
        expect(followed.reasons).toEqual([]);
        expect(followed.log).toEqual([
          { api: 'firebreak:follow-renamed-user', target: 'ci-deployer', outcome: 'observed', detail: `${renamed}: its containment is checked under its current name svc-metrics` },
          { api: 'iam:ListAccessKeys', target: 'svc-metrics', outcome: 'observed', detail: `Read the access keys of user svc-metrics: ${KEY} is its key.` },
          { api: 'iam:GetUser', target: 'svc-metrics', outcome: 'observed', detail: 'Read user svc-metrics: at path /, which no privileged name pattern names.' },
        ]);
      });

      it('applies the privileged name patterns to the new name, before any call on that user', async () => {
        renamedTo('breakglass-ops');
        const log = new ActionLog(() => NOW);
        const reasons: string[] = [];
        const privileged = (name: string) => privilegedCredentialReason({ ...user, principal: { kind: 'user', name } }, ACCOUNT, {}, {});
        const verdict = await lookAtCredential(AT, user, 'contain', false, deps(), log, reasons, { privileged });
        expect(verdict).toMatchObject({ protected: true, rule: 'privileged-name', reason: expect.stringMatching(/is user breakglass-ops's now .*renamed from ci-deployer since the finding.*matches the privileged name pattern \*BreakGlass\*/i) });
        expect(iam.commandCalls(ListAccessKeysCommand).map((call) => call.args[0].input)).toEqual([{ UserName: 'ci-deployer' }]);
      });

      it("reads the renamed user's tags under its new name, and a refusal names both names", async () => {
        renamedTo('svc-metrics');
        iam.on(GetUserCommand, { UserName: 'svc-metrics' }).resolves(getUserAnswer('svc-metrics', { [TAG_KEY]: 'yes' }));
        const guarded = await look(user, 'contain', false, TAG_KEY);
        // The finding's name is read with its keys (NoSuchEntity), then the user the key leads to.
        expect(iam.commandCalls(GetUserCommand).map((call) => call.args[0].input)).toEqual([{ UserName: 'ci-deployer' }, { UserName: 'svc-metrics' }]);
        expect(guarded.verdict).toMatchObject({ protected: true, rule: 'credential-tag', reason: expect.stringContaining(`The user svc-metrics is protected`) });
        expect(guarded.verdict).toMatchObject({ reason: expect.stringContaining(renamed) });
      });

      it('refuses when the user the key leads to does not list it', async () => {
        renamedTo('svc-metrics', ['AKIAQ3EGRW6JOTHERKEY']);
        const unlisted = await look(user, 'contain', false);
        expect(unlisted.verdict).toBe('unverifiable');
        expect(unlisted.reasons[0]).toContain(`GetAccessKeyLastUsed names svc-metrics as the owner of access key ${KEY}, but IAM lists no such key under a user svc-metrics of account ${ACCOUNT} (ListAccessKeys): not followed`);
      });

      // Before review review-rename (row 11q): the guard followed the first key that led anywhere and
      // granted when ANY covered key was the renamed user's, as for a user that exists, where
      // disable-access-key's pairing check refuses the rest. But disable-access-key follows each key
      // on its own: a forged incident naming a vanished user with two keys, one of user X's and one
      // of user V's, had the guard check X only, take one slot, and the step disable V's key too.
      it("ATTACK: refuses when a covered key is not the renamed user's (it would lead the step to another user)", async () => {
        const VICTIM_KEY = 'AKIAQ3EGRW6JVICTIM01';
        renamedTo('svc-metrics');
        iam.on(GetAccessKeyLastUsedCommand, { AccessKeyId: VICTIM_KEY }).resolves({ UserName: 'ops-victim' });
        const log = new ActionLog(() => NOW);
        const reasons: string[] = [];
        const verdict = await lookAtCredential(AT, user, 'contain', false, deps(), log, reasons, { accessKeyIds: [KEY, VICTIM_KEY] });
        expect(verdict).toBe('unverifiable');
        expect(reasons).toEqual([
          `Access key ${VICTIM_KEY} is not one of user svc-metrics's access keys in account ${ACCOUNT} (ListAccessKeys), yet the incident names it, as ${KEY}, under user ci-deployer, whom IAM no longer knows: a key followed to another user is never contained under this user's check (${renamed}); evidence and an alert only (no blast-radius slot taken).`,
        ]);
      });

      it('never follows a user that exists and does not own the key (row 11o)', async () => {
        iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [{ UserName: 'ci-deployer', AccessKeyId: 'AKIAQ3EGRW6JOWNKEY01', Status: 'Active' }], IsTruncated: false });
        iam.on(GetAccessKeyLastUsedCommand).resolves({ UserName: 'svc-metrics' });
        expect((await look(user, 'contain', false)).verdict).toBe('unverifiable');
        expect(iam.commandCalls(GetAccessKeyLastUsedCommand)).toHaveLength(0);
      });
    });

    it("checks the key's owner first: a key not the user's takes no slot, whatever the user's path and tags say", async () => {
      iam.on(ListAccessKeysCommand).resolves({ AccessKeyMetadata: [], IsTruncated: false });
      iam.on(GetUserCommand).resolves(getUserAnswer('ci-deployer'));
      const other = await look(user, 'contain', false, TAG_KEY);
      expect(other.verdict).toBe('unverifiable');
      expect(other.log.map((entry) => entry.api)).toEqual(['iam:ListAccessKeys']);
    });

    // Before review guard-role-id the guard read no role here and granted the slot by name: a finding
    // about a same-named role (another account's caller, or the role created again) took one of the
    // account's automatic containments, which only revoke-role-sessions refused afterwards.
    it("ATTACK: reads the role with GetRole when the sessions give its id, and refuses a same-named role whose id is not theirs", async () => {
      roleAnswers('AROAQ3EGRW6JOTHERONE');
      const other = await look(role, 'contain', false, undefined, [SESSION_ROLE_ID]);
      expect(iam.commandCalls(GetRoleCommand).map((call) => call.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role' }]);
      expect(iam.calls()).toHaveLength(1);
      expect(other.verdict).toBe('unverifiable');
      expect(other.reasons).toEqual([
        `The role ci-deploy-role in account ${ACCOUNT} has the id AROAQ3EGRW6JOTHERONE, not ${SESSION_ROLE_ID} that the finding's session names: another role of that name (another account's caller, or the role created again), whose sessions are not the finding's; evidence and an alert only (no blast-radius slot taken).`,
      ]);
      expect(other.log).toEqual([{ api: 'iam:GetRole', target: 'ci-deploy-role', outcome: 'observed', detail: other.reasons[0] }]);
    });

    it('grants the role whose id is the one its sessions give, after that one read, and logs what it compared', async () => {
      roleAnswers(SESSION_ROLE_ID);
      const same = await look(role, 'contain', false, undefined, [SESSION_ROLE_ID]);
      expect(same.verdict).toEqual({ protected: false });
      expect(same.reasons).toEqual([]);
      expect(iam.commandCalls(GetRoleCommand).map((call) => call.args[0].input)).toEqual([{ RoleName: 'ci-deploy-role' }]);
      expect(same.log).toEqual([{ api: 'iam:GetRole', target: 'ci-deploy-role', outcome: 'observed', detail: `Read role ci-deploy-role: its id ${SESSION_ROLE_ID} is the one the finding's session names.` }]);
    });

    it('refuses a role IAM does not know, and reads nothing for a release', async () => {
      iam.on(GetRoleCommand).rejects(Object.assign(new Error('no such role'), { name: 'NoSuchEntityException', Code: 'NoSuchEntity', $metadata: { httpStatusCode: 404 } }));
      const unknown = await look(role, 'contain', false, undefined, [SESSION_ROLE_ID]);
      expect(unknown.verdict).toBe('unverifiable');
      expect(unknown.reasons).toEqual([`IAM knows no role ci-deploy-role in account ${ACCOUNT}: it cannot be verified as the role the finding's session names; evidence and an alert only (no blast-radius slot taken).`]);
      iam.reset();
      expect(await look(role, 'release', false, undefined, [SESSION_ROLE_ID])).toEqual({ verdict: { protected: false }, reasons: [], log: [] });
      expect(iam.calls()).toHaveLength(0);
    });
  });

  it('logs a game-day target and a user IAM does not know, under the call it made', async () => {
    ownsKey();
    iam.on(GetUserCommand).resolves(getUserAnswer('ci-deployer', { 'firebreak:gameday-target': 'true' }));
    expect(await look(user, 'contain', true)).toEqual({
      verdict: { protected: false },
      reasons: [],
      log: [
        { api: 'iam:ListAccessKeys', target: 'ci-deployer', outcome: 'observed', detail: `Read the access keys of user ci-deployer: ${KEY} is its key.` },
        { api: 'iam:GetUser', target: 'ci-deployer', outcome: 'observed', detail: 'Read the current tags of user ci-deployer: it is a game-day target.' },
      ],
    });
    iam.on(GetUserCommand).rejects(Object.assign(new Error('no such user'), { name: 'NoSuchEntityException', Code: 'NoSuchEntity', $metadata: { httpStatusCode: 404 } }));
    const unknown = await look(user, 'contain', false, TAG_KEY);
    expect(unknown.verdict).toBe('unverifiable');
    expect(unknown.reasons).toEqual([`IAM knows no user ci-deployer in account ${ACCOUNT}: its current tags, and so its protection, cannot be verified; evidence and an alert only (no blast-radius slot taken).`]);
    expect(unknown.log).toEqual([{ api: 'iam:ListAccessKeys', target: 'ci-deployer', outcome: 'observed', detail: `Read the access keys of user ci-deployer: ${KEY} is its key.` }, { api: 'iam:GetUser', target: 'ci-deployer', outcome: 'observed', detail: unknown.reasons[0] }]);
    const drill = await look(user, 'contain', true);
    expect(drill.reasons[0]).toContain('its game-day opt-in, cannot be verified');
  });

  it('protects nothing by tag on a drill when the deployment names no protected key (not even a tag spelt "undefined")', async () => {
    ownsKey();
    iam.on(GetUserCommand).resolves(getUserAnswer('ci-deployer', { 'firebreak:gameday-target': 'true', undefined: 'x' }));
    expect((await look(user, 'contain', true)).verdict).toEqual({ protected: false });
  });

  it('logs a drill refused for want of the opt-in tag', async () => {
    ownsKey();
    iam.on(GetUserCommand).resolves(getUserAnswer('ci-deployer'));
    const refused = await look(user, 'contain', true);
    expect(refused.verdict).toBe('not-a-target');
    expect(refused.log.at(-1)).toEqual({ api: 'iam:GetUser', target: 'ci-deployer', outcome: 'observed', detail: refused.reasons[0] });
  });
});
