/**
 * The credential responders in the security account's synthesized template (issue 12): what each
 * role may do where the credentials live (its own account, or through the member role), which
 * state-table items it may read, the names it refuses (its environment), and that nothing is
 * granted when no deployed playbook uses them.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS } from '../../lib/contracts/privileged-names';
import type { Playbook } from '../../lib/playbooks/model';
import type { PolicyStatement } from '../../lib/gameday/sim/iam-policy';
import { evaluatePolicies } from '../../lib/gameday/sim/iam-policy';
import { credentialRecordKey } from '../../lib/responders/credential-record-key';
import { userKeysKey } from '../../lib/responders/credential-records';
import { CREDENTIAL_KEY_PATTERNS } from '../../lib/stack/responders';
import { resolveIntrinsics } from './iam-catalog';
import type { Statement } from './support';
import { COMPROMISED, action, actionsOf, logicalIdOf, playbook, statementsOfRole, synthesize } from './support';

const CREDENTIALS: Playbook = playbook(
  'iam-credentials',
  [action('disable', 'disable-access-key', { denyAll: true }), action('revoke', 'revoke-role-sessions'), action('alert', 'notify')],
  { findingTypes: ['AttackSequence:IAM/*'], resourceKinds: ['access-key'] },
  250,
);
const userArn = (suffix: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, `:user/${suffix}`]] });

function roleStatements(playbooks: Playbook[], responder: string): { statements: Statement[]; environment: Record<string, unknown> } {
  const { template } = synthesize({ playbooks });
  const statements = statementsOfRole(template, logicalIdOf(template, 'AWS::IAM::Role', `Responder${responder}Role`));
  const functions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith(`Responder${responder}`));
  expect(functions).toHaveLength(1);
  const environment = (functions[0]![1].Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
  return { statements, environment };
}

describe('disable-access-key: IAM', () => {
  it('lists, reads tags of and updates keys of users, attaches only AWSDenyAll, denies the privileged users, reads only grants', () => {
    const { statements, environment } = roleStatements([CREDENTIALS], 'DisableAccessKey');
    // GetUser: the user's path (privileged name patterns, row 11ae) and its tags, in one read.
    expect(statements.find((s) => s.Sid === 'ReadNamedUsers')).toEqual({ Sid: 'ReadNamedUsers', Effect: 'Allow', Action: ['iam:GetUser', 'iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed'], Resource: userArn('*') });
    expect(statements.find((s) => s.Sid === 'DisableAccessKeysOfNamedUsers')).toEqual({
      Sid: 'DisableAccessKeysOfNamedUsers',
      Effect: 'Allow',
      Action: ['iam:UpdateAccessKey', 'iam:ListAttachedUserPolicies'],
      Resource: userArn('*'),
    });
    expect(statements.find((s) => s.Sid === 'AttachDenyAllToNamedUsers')).toEqual({
      Sid: 'AttachDenyAllToNamedUsers',
      Effect: 'Allow',
      Action: 'iam:AttachUserPolicy',
      Resource: userArn('*'),
      Condition: { ArnLike: { 'iam:PolicyARN': 'arn:*:iam::aws:policy/AWSDenyAll' } },
    });
    const deny = statements.find((s) => s.Sid === 'DenyProtectedUsers');
    expect(deny).toMatchObject({ Effect: 'Deny', Action: ['iam:UpdateAccessKey', 'iam:AttachUserPolicy'] });
    expect(deny!.Resource).toContainEqual(userArn('*breakglass*'));
    // The sealed record of what it changed (an access key's), written once, its claim on a key
    // another incident's record holds (UpdateItem) and its user's key list; never a role's record
    // (row 17a); grants and approvals read only.
    expect(statements.find((s) => s.Sid === 'KeepIncidentState')).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['credential#*#access-key#*', 'credential#*#user#*'] } },
    });
    expect(statements.find((s) => s.Sid === 'ReadContainmentGrants')).toMatchObject({
      Action: 'dynamodb:GetItem',
      // The emergency pause too (that one key): a containment step reads it beside its grant.
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['grant#*', 'approval#*', 'pause#deployment'] } },
    });
    const all = statements.flatMap(actionsOf);
    for (const forbidden of ['iam:DeleteAccessKey', 'iam:CreateAccessKey', 'iam:PutUserPolicy', 'iam:PutRolePolicy', 'dynamodb:DeleteItem']) expect(all).not.toContain(forbidden);
    expect(environment.FIREBREAK_PRIVILEGED_NAME_PATTERNS).toBe(DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS.join(','));
  });

  it('grants no attach when the playbook does not ask for denyAll', () => {
    const { statements } = roleStatements([playbook('key', [action('disable', 'disable-access-key', { denyAll: false }), action('alert', 'notify')], { resourceKinds: ['access-key'] })], 'DisableAccessKey');
    expect(statements.flatMap(actionsOf)).not.toContain('iam:AttachUserPolicy');
  });
});

describe('containment-guard: IAM with a playbook that cuts off credentials', () => {
  it("reads the tags of users and roles and the keys of users (before it takes a blast-radius slot), and nothing else of IAM", () => {
    const { statements } = roleStatements([playbook('key', [action('disable', 'disable-access-key', { denyAll: false }), action('alert', 'notify')], { resourceKinds: ['access-key'] })], 'ContainmentGuard');
    expect(statements.flatMap(actionsOf).filter((name) => name.startsWith('iam:')).sort()).toEqual(['iam:GetAccessKeyLastUsed', 'iam:GetRole', 'iam:GetUser', 'iam:ListAccessKeys']);
    // The user's path and tags, and whether the finding's key is the user's: users of its own account only, reads.
    expect(statements.find((s) => s.Sid === 'ReadNamedUsers')).toEqual({ Sid: 'ReadNamedUsers', Effect: 'Allow', Action: ['iam:GetUser', 'iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed'], Resource: userArn('*') });
    expect(statements.find((s) => s.Sid === 'DisableAccessKeysOfNamedUsers')).toBeUndefined();
  });

  // Row 11t: for keys all Inactive already, whether a containment of Firebreak's holds one (its
  // record's `released`), read only, and only access-key records: never a role's, nor a user's key list.
  it('reads the access-key records (GetItem only, their own key pattern) and writes none', () => {
    const { statements } = roleStatements([playbook('key', [action('disable', 'disable-access-key', { denyAll: false }), action('alert', 'notify')], { resourceKinds: ['access-key'] })], 'ContainmentGuard');
    expect(statements.find((s) => s.Sid === 'ReadContainmentGrants')).toMatchObject({
      Action: 'dynamodb:GetItem',
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['pause#deployment', 'credential#*#access-key#*'] } },
    });
    for (const statement of statements) {
      if (actionsOf(statement).some((a) => a !== 'dynamodb:GetItem' && a.startsWith('dynamodb:'))) expect(JSON.stringify(statement.Condition ?? {})).not.toContain('credential#');
    }
    // Only where a playbook disables keys.
    expect(JSON.stringify(roleStatements([COMPROMISED], 'ContainmentGuard').statements)).not.toContain('credential#');
  });
});

describe('revoke-role-sessions: IAM', () => {
  it('reads and writes the policies of roles, never Firebreak\'s own nor the privileged ones', () => {
    const { statements, environment } = roleStatements([CREDENTIALS], 'RevokeRoleSessions');
    expect(statements.find((s) => s.Sid === 'RevokeInstanceRoleSessions')).toMatchObject({ Effect: 'Allow', Action: 'iam:PutRolePolicy' });
    // The role's tags, and the instance profiles holding it (row 2x), on roles only.
    expect(statements.find((s) => s.Sid === 'ReadNamedRoles')).toMatchObject({ Effect: 'Allow', Action: ['iam:GetRole', 'iam:ListInstanceProfilesForRole'] });
    expect(statements.find((s) => s.Sid === 'DenyProtectedRoles')).toMatchObject({ Effect: 'Deny', Action: 'iam:PutRolePolicy' });
    // Which instances hold those profiles (row 2x), in every region enabled for the account (row 2z):
    // DescribeInstances and DescribeRegions alone of EC2 (no resource-level permission exists for either), nothing that changes EC2.
    expect(statements.find((s) => s.Sid === 'DescribeForContainmentAndEvidence')).toMatchObject({ Effect: 'Allow', Action: ['ec2:DescribeInstances', 'ec2:DescribeRegions'], Resource: '*' });
    expect(statements.flatMap(actionsOf).filter((name) => name.startsWith('ec2:'))).toEqual(['ec2:DescribeInstances', 'ec2:DescribeRegions']);
    // Its roles' sealed records only, never an access key's (row 17a).
    expect(statements.find((s) => s.Sid === 'KeepIncidentState')).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'credential#*#role#*' } },
    });
    expect(environment.FIREBREAK_PRIVILEGED_NAME_PATTERNS).toBeDefined();
    // Its own roles in the security account (`<stackName>-…`) are refused by name too, before the IAM deny.
    expect(environment.FIREBREAK_STACK_NAME).toBe('Firebreak');
    expect(environment.FIREBREAK_SECURITY_ACCOUNT_ID).toBeDefined();
  });

  it('exists only when a deployed playbook uses it', () => {
    const { template } = synthesize({ playbooks: [COMPROMISED] });
    const ids = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(ids.filter((id) => id.startsWith('ResponderRevokeRoleSessions') || id.startsWith('ResponderDisableAccessKey'))).toEqual([]);
  });
});

const RELEASE: Playbook = {
  ...playbook('release-credentials', [action('release', 'release-credentials'), action('alert', 'notify')], { resourceKinds: ['access-key'] }, 0),
  trigger: 'manual',
  approval: { required: true, timeoutSeconds: 3600, onTimeout: 'evidence-only' },
};

describe('release-credentials: IAM', () => {
  it('re-activates keys and detaches (or puts back) only AWSDenyAll, reads and deletes role policies through the session revoker, reads and marks only credential records', () => {
    const { statements, environment } = roleStatements([CREDENTIALS, RELEASE], 'ReleaseCredentials');
    // The record's user's keys; GetAccessKeyLastUsed follows the key when IAM no longer knows the
    // record's name (renamed since it was contained, row 11u), on users of its own account only;
    // ListUserTags and GetRole read a drill's principal's game-day opt-in before its release (row 1z).
    expect(statements.find((s) => s.Sid === 'ReadNamedUsers')).toEqual({ Sid: 'ReadNamedUsers', Effect: 'Allow', Action: ['iam:ListUserTags', 'iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed'], Resource: userArn('*') });
    expect(statements.find((s) => s.Sid === 'DisableAccessKeysOfNamedUsers')).toMatchObject({ Action: ['iam:UpdateAccessKey', 'iam:ListAttachedUserPolicies'], Resource: userArn('*') });
    // Attach only to put AWSDenyAll back when the key was claimed while the release ran: the
    // condition allows no other policy, so the release can deny a user, never grant one anything.
    expect(statements.find((s) => s.Sid === 'AttachDenyAllToNamedUsers')).toMatchObject({
      Action: ['iam:AttachUserPolicy', 'iam:DetachUserPolicy'],
      Condition: { ArnLike: { 'iam:PolicyARN': 'arn:*:iam::aws:policy/AWSDenyAll' } },
    });
    expect(statements.find((s) => s.Sid === 'DenyProtectedUsers')).toMatchObject({ Effect: 'Deny', Action: ['iam:UpdateAccessKey', 'iam:AttachUserPolicy', 'iam:DetachUserPolicy'] });
    expect(statements.find((s) => s.Sid === 'ReadNamedRoles')).toMatchObject({ Action: ['iam:GetRole', 'iam:GetRolePolicy'] });
    expect(statements.find((s) => s.Sid === 'RevokeInstanceRoleSessions')).toMatchObject({ Action: 'iam:DeleteRolePolicy' });
    expect(statements.find((s) => s.Sid === 'DenyProtectedRoles')).toMatchObject({ Effect: 'Deny', Action: 'iam:DeleteRolePolicy' });
    expect(statements.find((s) => s.Sid === 'KeepIncidentState')).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': 'credential#*' } },
    });
    const all = statements.flatMap(actionsOf);
    for (const forbidden of ['iam:PutRolePolicy', 'iam:DeleteAccessKey', 'dynamodb:PutItem']) expect(all).not.toContain(forbidden);
    expect(environment.FIREBREAK_PRIVILEGED_NAME_PATTERNS).toBe(DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS.join(','));
    expect(environment.FIREBREAK_RECORD_KEY_ARN).toBeDefined();
  });

  it('lets the credential steps seal with the record key and the release (and the rerun of revoke-role-sessions) verify, nothing else', () => {
    const { template } = synthesize({ playbooks: [CREDENTIALS, RELEASE] });
    const keys = Object.values(template.findResources('AWS::KMS::Key')).filter((key) => JSON.stringify(key).includes('QuarantineSealsRecords'));
    expect(keys).toHaveLength(1);
    const policy = (keys[0]!.Properties as { KeyPolicy: { Statement: { Sid: string; Action: string; Principal: { AWS: unknown } }[] } }).KeyPolicy.Statement;
    const principals = (sid: string) => JSON.stringify(policy.find((s) => s.Sid === sid)?.Principal);
    const role = (responder: string) => logicalIdOf(template, 'AWS::IAM::Role', `Responder${responder}Role`);
    expect(principals('QuarantineSealsRecords')).toContain(role('DisableAccessKey'));
    expect(principals('QuarantineSealsRecords')).toContain(role('RevokeRoleSessions'));
    expect(principals('QuarantineSealsRecords')).not.toContain(role('ReleaseCredentials'));
    expect(principals('ReleaseVerifiesRecords')).toContain(role('ReleaseCredentials'));
    expect(principals('ReleaseVerifiesRecords')).toContain(role('RevokeRoleSessions'));
    expect(principals('ReleaseVerifiesRecords')).not.toContain(role('DisableAccessKey'));
  });
});

// Row 17a (review-records): both credential steps may seal (kms:GenerateMac, one record key, one
// scheme label for every credential record), so the items each may write are what keeps one step's
// role from sealing the other kind of record. With `credential#*` for both, revoke-role-sessions'
// role could put a sealed access-key record saying an incident found a key Active and set it
// Inactive (a key the customer deactivated by hand), and that incident's approved release would
// re-activate it; disable-access-key's role could put a role's record and have a release delete
// the deny it names.
describe('ATTACK (review-records): a credential step writes only the records of its own kind', () => {
  const ACCESS_KEY_RECORD = 'credential#111122223333#access-key#AKIAIOSFODNN7EXAMPLE';
  const USER_KEYS = 'credential#111122223333#user#alice';
  const ROLE_RECORD = 'credential#111122223333#role#app-role';
  // The role's statements as IAM evaluates them, asked about an item of the state table.
  const policyOf = (playbooks: Playbook[], responder: string) => {
    const { template } = synthesize({ playbooks });
    const resources = template.toJSON().Resources as Parameters<typeof resolveIntrinsics>[1];
    const statements = resolveIntrinsics(statementsOfRole(template, logicalIdOf(template, 'AWS::IAM::Role', `Responder${responder}Role`)), resources) as PolicyStatement[];
    const table = statements.find((s) => s.Sid === 'KeepIncidentState')!.Resource as string;
    return (action: string, pk: string) => evaluatePolicies([{ Statement: statements }], { action, resource: table, keys: { 'dynamodb:LeadingKeys': [pk] } }).decision;
  };

  it("revoke-role-sessions' role writes (and reads) a role's record, never an access key's nor a user's key list", () => {
    const decision = policyOf([CREDENTIALS], 'RevokeRoleSessions');
    expect(decision('dynamodb:PutItem', ROLE_RECORD)).toBe('allow');
    expect(decision('dynamodb:GetItem', ROLE_RECORD)).toBe('allow');
    for (const pk of [ACCESS_KEY_RECORD, USER_KEYS]) {
      expect(decision('dynamodb:PutItem', pk)).toBe('implicit-deny');
      expect(decision('dynamodb:GetItem', pk)).toBe('implicit-deny');
    }
  });

  it("disable-access-key's role writes an access key's record and its user's key list, never a role's record", () => {
    const decision = policyOf([CREDENTIALS], 'DisableAccessKey');
    for (const pk of [ACCESS_KEY_RECORD, USER_KEYS]) expect(decision('dynamodb:PutItem', pk)).toBe('allow');
    expect(decision('dynamodb:UpdateItem', ACCESS_KEY_RECORD)).toBe('allow');
    expect(decision('dynamodb:UpdateItem', USER_KEYS)).toBe('allow');
    expect(decision('dynamodb:PutItem', ROLE_RECORD)).toBe('implicit-deny');
    expect(decision('dynamodb:UpdateItem', ROLE_RECORD)).toBe('implicit-deny');
  });

  it('the patterns are those of the keys the credential stores build', () => {
    expect(credentialRecordKey({ kind: 'access-key', account: '111122223333', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' })).toBe(ACCESS_KEY_RECORD);
    expect(userKeysKey('111122223333', 'alice')).toBe(USER_KEYS);
    expect(credentialRecordKey({ kind: 'role-sessions', account: '111122223333', roleName: 'app-role' })).toBe(ROLE_RECORD);
    expect(CREDENTIAL_KEY_PATTERNS).toEqual({ accessKey: 'credential#*#access-key#*', userKeys: 'credential#*#user#*', role: 'credential#*#role#*' });
  });

  it('release-credentials (which cannot seal) still reads and marks every kind', () => {
    const decision = policyOf([CREDENTIALS, RELEASE], 'ReleaseCredentials');
    for (const pk of [ACCESS_KEY_RECORD, USER_KEYS, ROLE_RECORD]) expect(decision('dynamodb:UpdateItem', pk)).toBe('allow');
  });
});
