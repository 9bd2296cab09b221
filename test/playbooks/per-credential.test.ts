import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../lib/incident/parse';
import type { Incident } from '../../lib/incident/model';
import { credentialTargets, describeCredentialTargets, perCredentialKey } from '../../lib/playbooks/per-credential';
import { placementHash, sha256Hex } from '../../lib/incident/keys';
import { childRefusal } from '../../lib/operator/incidents';
import { DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS, matchesPrivilegedName } from '../../lib/contracts/privileged-names';
import { PER_CREDENTIAL_ACTION } from '../../lib/playbooks/fan-out-names';
import { compilePlaybook } from '../../lib/playbooks/compile';
import { loadPlaybookDirectorySync, validatePlaybookPathsSync } from '../../lib/playbooks/loader';
import { playbookRailsFor } from '../../lib/playbooks/rails';
import { routingTableFor } from '../../lib/playbooks/routing';
import { triage } from '../../lib/playbooks/triage';
import { credentialGrantSubject, parseCredentialGrantSubject, servedAccountsFromEnvironment } from '../../lib/contracts/security';

const FIXTURE = 'playbooks/events/guardduty-attack-sequence-iam-compromised-credentials.json';
interface SequenceEvent {
  detail: { updatedAt: string; resource: Record<string, unknown>; service: { detection: { sequence: { resources: Record<string, unknown>[] } } } };
}
const event = (): SequenceEvent => JSON.parse(readFileSync(FIXTURE, 'utf8')) as SequenceEvent;
const parse = (raw: unknown): Incident => parseEvent(raw, { receivedAt: new Date('2026-03-19T12:00:00Z') });
const accessKey = (uid: string, userName: string, account = '111122223333', userType = 'IAMUser') => ({
  uid,
  resourceType: 'ACCESS_KEY',
  accountId: account,
  region: 'eu-west-1',
  name: uid,
  service: 'IAM',
  tags: [],
  data: { accessKey: { principalId: 'AIDAQ3EGRW6JEXAMPLE1', userName, userType } },
});
/** What Firebreak accepts as an incident key. */
const NAME_SAFE = /^[A-Za-z0-9_-]{1,64}$/;
/** What Step Functions accepts as an execution name (1–80 characters; Firebreak's are of these). */
const EXECUTION_NAME_SAFE = /^[A-Za-z0-9_-]{1,80}$/;

describe('credentialTargets', () => {
  it("lists each user's key and each role of the sequence once, first mention first, named by incident key, credential and revision", () => {
    const incident = parse(event());
    const { targets, skipped } = credentialTargets(incident, { maxCredentials: 20 });
    expect(targets.map((target) => [target.credential, target.id, target.account])).toEqual([
      ['access-key', 'AKIAQ3EGRW6JSEXAMPLE', '111122223333'],
      ['iam-role', 'ci-deploy-role', '111122223333'],
      ['iam-role', 'partner-deploy-role', '999988887777'],
    ]);
    expect(targets[0]).toMatchObject({
      userName: 'ci-deployer',
      subject: 'access-key/111122223333/AKIAQ3EGRW6JSEXAMPLE',
      executionName: `${incident.key}-AKIAQ3EGRW6JSEXAMPLE-${sha256Hex(incident.revision).slice(0, 12)}`,
      incident: { key: `${incident.key}-AKIAQ3EGRW6JSEXAMPLE`, account: '111122223333', region: 'eu-west-1', resource: { kind: 'access-key', accessKeyId: 'AKIAQ3EGRW6JSEXAMPLE', userName: 'ci-deployer', userType: 'IAMUser' } },
    });
    // A role's credential is the role: GuardDuty's accessKeyDetails shape for an assumed role, in its own account.
    expect(targets[2]).toMatchObject({
      subject: 'iam-role/999988887777/partner-deploy-role',
      incident: { account: '999988887777', resource: { kind: 'access-key', userName: 'partner-deploy-role', userType: 'AssumedRole', accessKeyId: 'ASIAQ3EGRW6JXACCOUNT' } },
    });
    for (const target of targets) expect(target.executionName).toMatch(EXECUTION_NAME_SAFE);
    for (const target of targets) expect(target.incident.key).toMatch(NAME_SAFE);
    // The ASIA keys are their roles' sessions (revoked with the role), not skipped credentials.
    expect(skipped).toEqual([]);
  });

  it('starts no per-credential execution for an unconfirmed copy from the oversized-event intake, so a forgery cannot take the real sequence\'s names', () => {
    const incident = parse(event());
    const named = credentialTargets(incident, { maxCredentials: 20 }).targets;
    expect(named.length).toBeGreaterThan(0);
    const unconfirmed: Incident = { ...incident, clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [], event: { originalBytes: 400_000 } } };
    const { targets, skipped } = credentialTargets(unconfirmed, { maxCredentials: 20 });
    expect(targets).toEqual([]);
    expect(skipped).toHaveLength(named.length);
    for (const skip of skipped) expect(skip.reason).toContain('oversized-event intake');
    const confirmed: Incident = { ...incident, clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [], event: { originalBytes: 400_000, confirmed: true } } };
    expect(credentialTargets(confirmed, { maxCredentials: 20 }).targets.map((target) => target.executionName)).toEqual(named.map((target) => target.executionName));
  });

  it("ATTACK (review-triggers): names every credential's execution per revision, an access key's as a role's, so that GuardDuty's update contains again a key made Active behind Firebreak's back (rows 11i, 1zh)", () => {
    const first = parse(event());
    const later = event();
    later.detail.updatedAt = '2026-03-19T12:52:17.208Z';
    later.detail.service.detection.sequence.resources[3] = accessKey('AKIAQ3EGRW6JDATALOAD', 'data-loader');
    const updated = parse(later);
    expect(updated.revision).not.toBe(first.revision);
    const before = credentialTargets(first, { maxCredentials: 20 }).targets;
    const after = credentialTargets(updated, { maxCredentials: 20 }).targets;
    const names = (targets: typeof before) => targets.map((target) => [target.credential, target.executionName]);
    // The key: its child key (the same incident, record and blast-radius slot) and the revision's
    // hash. Before: the child key alone, the same in every revision, so Step Functions refused the
    // update's start (ALREADY_STARTED) and a key made Active again stayed Active.
    expect(before[0]?.executionName).toBe(`${first.key}-AKIAQ3EGRW6JSEXAMPLE-${sha256Hex(first.revision).slice(0, 12)}`);
    expect(after[0]?.incident.key).toBe(before[0]?.incident.key);
    expect(after[0]?.executionName).toBe(`${first.key}-AKIAQ3EGRW6JSEXAMPLE-${sha256Hex(updated.revision).slice(0, 12)}`);
    // Every credential alike: its child key and the revision's hash.
    for (const [index, target] of before.entries()) {
      expect(target.executionName).toBe(`${target.incident.key}-${sha256Hex(first.revision).slice(0, 12)}`);
      expect(after[index]?.incident.key).toBe(target.incident.key);
      expect(after[index]?.executionName).toBe(`${target.incident.key}-${sha256Hex(updated.revision).slice(0, 12)}`);
    }
    expect(names(after)).toEqual([
      ...names(before).map(([kind, name]) => [kind, String(name).replace(sha256Hex(first.revision).slice(0, 12), sha256Hex(updated.revision).slice(0, 12))]),
      ['access-key', `${first.key}-AKIAQ3EGRW6JDATALOAD-${sha256Hex(updated.revision).slice(0, 12)}`],
    ]);
    // A duplicate delivery of one revision: the very same names (nothing new is started).
    expect(names(credentialTargets(parse(later), { maxCredentials: 20 }).targets)).toEqual(names(after));
  });

  it('keeps a role\'s execution name within Step Functions\' 80 characters when its child key is the longest (64)', () => {
    const incident = parse(event());
    const longKey = `gd-${'a'.repeat(61)}`;
    const target = credentialTargets({ ...incident, key: longKey }, { maxCredentials: 20 }).targets.find((candidate) => candidate.account === '999988887777');
    expect(target?.incident.key).toHaveLength(64);
    expect(target?.executionName).toHaveLength(77);
    expect(target?.executionName).toMatch(EXECUTION_NAME_SAFE);
  });

  it('skips an unserved account, credentials past the cap, a root key and a temporary key with no role, saying why', () => {
    const raw = event();
    const resources = raw.detail.service.detection.sequence.resources;
    resources.push(accessKey('AKIAQ3EGRW6JROOTKEY1', 'root', '111122223333', 'Root'));
    resources.push({ ...accessKey('ASIAQ3EGRW6JFEDERATE', 'someone', '111122223333', 'FederatedUser') });
    resources.push(accessKey('AKIAQ3EGRW6JDATALOAD', 'data-loader'));
    const { targets, skipped } = credentialTargets(parse(raw), {
      maxCredentials: 2,
      refuseAccount: (account) => (account === '999988887777' ? 'not served' : undefined),
    });
    expect(targets.map((target) => target.id)).toEqual(['AKIAQ3EGRW6JSEXAMPLE', 'ci-deploy-role']);
    const reasons = Object.fromEntries(skipped.map((skip) => [skip.value, skip.reason]));
    expect(reasons['role partner-deploy-role']).toBe('not served');
    expect(reasons.AKIAQ3EGRW6JROOTKEY1).toContain("never the root user's");
    expect(reasons.ASIAQ3EGRW6JFEDERATE).toContain('a temporary (STS) key whose role the event does not name');
    expect(reasons.AKIAQ3EGRW6JDATALOAD).toContain('cap of 2');
  });

  it('never makes an execution of an id the parser could not verify', () => {
    const raw = event();
    raw.detail.service.detection.sequence.resources[0]!.uid = 'AKIA; drop table';
    raw.detail.service.detection.sequence.resources[0]!.name = 'AKIA; drop table';
    raw.detail.resource = { resourceType: 'AccessKey', accessKeyDetails: { accessKeyId: 'AKIA; drop table', userName: 'ci-deployer', userType: 'IAMUser' } };
    const { targets } = credentialTargets(parse(raw), { maxCredentials: 20 });
    expect(targets.map((target) => target.id)).not.toContain('AKIA; drop table');
    for (const target of targets) expect(target.executionName).toMatch(EXECUTION_NAME_SAFE);
    for (const target of targets) expect(target.incident.key).toMatch(NAME_SAFE);
  });
});

describe('perCredentialKey', () => {
  const key = { kind: 'access-key', account: '111122223333', accessKeyId: 'AKIAQ3EGRW6JSEXAMPLE' } as const;
  const HOME = { account: '111122223333', region: 'eu-west-1' } as const;
  const HERE = { region: 'eu-west-1' } as const;
  it('keeps a game-day prefix and stays within 64 name-safe characters', () => {
    const gameDay = `gameday-gd-${'a'.repeat(32)}`;
    expect(perCredentialKey(gameDay, key, HERE, HOME)).toBe(`${gameDay}-AKIAQ3EGRW6JSEXAMPLE`);
    const long = perCredentialKey(`gd-${'b'.repeat(61)}`, { ...key, account: '444455556666' }, HERE, HOME);
    expect(long.length).toBe(64);
    expect(long).toMatch(/^gd-b+-[0-9a-f]{8}-AKIAQ3EGRW6JSEXAMPLE-[0-9a-f]{8}$/);
    // An access key id may be up to 128 characters: hashed, the key still fits.
    const longId = perCredentialKey(`gd-${'c'.repeat(40)}`, { ...key, accessKeyId: `AKIA${'Q'.repeat(120)}` }, HERE, HOME);
    expect(longId).toMatch(/^gd-c+(-[0-9a-f]{8})?-key-[0-9a-f]{16}$/);
    expect(longId.length).toBeLessThanOrEqual(64);
  });
  it('names a role by a hash (role names may hold characters an execution name may not), one role whatever its case, and tells accounts apart', () => {
    const role = perCredentialKey('gd-x', { kind: 'iam-role', account: '111122223333', roleName: 'ci,deploy+role@x' }, HERE, HOME);
    expect(role).toMatch(/^gd-x-role-[0-9a-f]{12}$/);
    expect(perCredentialKey('gd-x', { kind: 'iam-role', account: '111122223333', roleName: 'CI,Deploy+Role@X' }, HERE, HOME)).toBe(role);
    expect(perCredentialKey('gd-x', { kind: 'iam-role', account: '444455556666', roleName: 'ci,deploy+role@x' }, HERE, HOME)).not.toBe(role);
    expect(perCredentialKey('gd-x', key, HERE, HOME)).not.toBe(perCredentialKey('gd-x', { ...key, account: '444455556666' }, HERE, HOME));
  });
  it('binds another account or Region into the key as per-instance keys do, so the gathered report accepts the child', () => {
    const foreign = { kind: 'iam-role', account: '444455556666', roleName: 'ci-deploy' } as const;
    const child = perCredentialKey('gd-x', foreign, { region: 'us-east-1' }, HOME);
    expect(child.endsWith(`-${placementHash('444455556666', 'us-east-1')}`)).toBe(true);
    const parent = { incidentKey: 'gd-x', account: HOME.account, region: HOME.region };
    expect(childRefusal(parent, { incidentKey: child, account: '444455556666', region: 'us-east-1' })).toBeUndefined();
    // The same child key claiming yet another account is refused.
    expect(childRefusal(parent, { incidentKey: child, account: '777788889999', region: 'us-east-1' })).toMatch(/does not bind/);
    expect(perCredentialKey('gd-x', key, { region: 'us-east-1' }, HOME)).toMatch(/^gd-x-AKIAQ3EGRW6JSEXAMPLE-[0-9a-f]{8}$/);
  });
});

describe('credential grant subjects', () => {
  it('round-trip, and nothing else parses as one', () => {
    const key = { kind: 'access-key', account: '111122223333', accessKeyId: 'AKIAQ3EGRW6JSEXAMPLE' } as const;
    const role = { kind: 'iam-role', account: '111122223333', roleName: 'ci-deploy-role' } as const;
    expect(parseCredentialGrantSubject(credentialGrantSubject(key))).toEqual(key);
    expect(parseCredentialGrantSubject(credentialGrantSubject(role))).toEqual(role);
    for (const other of ['iam-credentials', 'i-0123456789abcdef0', 'access-key/1111/AKIA', 'iam-role/111122223333/a/b', 's3://bucket/key']) {
      expect(parseCredentialGrantSubject(other)).toBeUndefined();
    }
  });
});

describe('triage of an IAM attack sequence', () => {
  const playbooks = loadPlaybookDirectorySync('playbooks');
  const routing = routingTableFor(playbooks, { forceDryRun: false });

  it('starts iam-credentials-attack-sequence with one target per credential and says so', () => {
    const decision = triage(parse(event()), routing);
    expect(decision.playbook).toBe('iam-credentials-attack-sequence');
    expect(decision.targets).toHaveLength(3);
    expect(decision.reasons.join('\n')).toContain('asks the containment guard for that credential alone');
  });

  it('routes a sequence whose top-level resource is not an access key (any IAM sequence)', () => {
    const raw = event();
    raw.detail.resource = { resourceType: 'AccessKey' };
    const decision = triage(parse(raw), routing);
    expect(decision.playbook).toBe('iam-credentials-attack-sequence');
    expect(decision.targets).toHaveLength(3);
  });

  it("tried (review-triggers): a credential of the deployment's forensic account gets no execution, though the organization serves every other account (triage's own reading of its environment)", () => {
    const served = servedAccountsFromEnvironment({
      FIREBREAK_SECURITY_ACCOUNT_ID: '123456789012',
      FIREBREAK_ORGANIZATION_ID: 'o-exampleorgid',
      FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder',
      FIREBREAK_FORENSIC_ACCOUNT_ID: '999988887777',
    });
    const decision = triage(parse(event()), routing, { servedAccounts: served });
    expect(decision.playbook).toBe('iam-credentials-attack-sequence');
    expect((decision.targets ?? []).map((target) => target.account)).toEqual(['111122223333', '111122223333']);
    expect(decision.reasons.join('\n')).toContain('"role partner-deploy-role" (account 999988887777): account 999988887777 is the deployment\'s forensic account');
  });

  it("ATTACK (review-accounts): a member account's sequence naming a role of the security account starts no execution for it; the member's own credentials still get theirs (row 9h)", () => {
    // The sequence is account 111122223333's; its partner-deploy-role is placed in 999988887777, here the security account.
    const served = servedAccountsFromEnvironment({
      FIREBREAK_SECURITY_ACCOUNT_ID: '999988887777',
      FIREBREAK_ORGANIZATION_ID: 'o-exampleorgid',
      FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder',
    });
    const decision = triage(parse(event()), routing, { servedAccounts: served });
    expect(decision.playbook).toBe('iam-credentials-attack-sequence');
    expect((decision.targets ?? []).map((target) => target.account)).toEqual(['111122223333', '111122223333']);
    expect(decision.reasons.join('\n')).toContain('"role partner-deploy-role" (account 999988887777): account 999988887777 is the security account, and the finding is account 111122223333\'s');
  });

  it('tried (review-triggers): a duplicate delivery of one revision names every credential\'s execution alike, so it starts nothing new; the next revision names them anew', () => {
    const names = (raw: SequenceEvent) => (triage(parse(raw), routing).targets ?? []).map((target) => target.executionName);
    const updated = event();
    updated.detail.updatedAt = '2026-03-19T12:52:17.208Z';
    expect(names(event())).toEqual(names(event()));
    expect(names(updated).filter((name) => names(event()).includes(name))).toEqual([]);
  });

  it('describes a sequence with nothing to cut off', () => {
    expect(describeCredentialTargets({ targets: [], skipped: [] }, 'iam-credentials-attack-sequence')[0]).toContain('names no credential');
  });
});

describe('the compiled contain-each-credential step', () => {
  const playbooks = loadPlaybookDirectorySync('playbooks');
  const playbook = playbooks.find((candidate) => candidate.name === 'iam-credentials-attack-sequence')!;
  const { definition, substitutions } = compilePlaybook(playbook);
  interface MapState {
    ItemProcessor: { States: Record<string, { Parameters: Record<string, unknown> & { Input: Record<string, unknown> }; Catch: unknown[]; ResultSelector: Record<string, string>; Next?: string }> };
    ResultSelector: { result: { responder: string } };
  }
  const map = definition.States['cut-off-each'] as unknown as MapState;

  it('is a Map over triage targets, each starting the per-credential playbook, keeping its guard answer and its steps results', () => {
    expect(substitutions).toContain('Sm_iam_credentials_attack_sequence_credential');
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.decision.targets', MaxConcurrency: 10, ResultPath: '$.results.cut-off-each', Next: 'alert' });
    const run = map.ItemProcessor.States['cut-off-each-run']!;
    expect(run).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { StateMachineArn: '${Sm_iam_credentials_attack_sequence_credential}', 'Name.$': '$.target.executionName' },
      Next: 'cut-off-each-summary',
    });
    expect(run.Parameters.Input['incident.$']).toBe('States.JsonMerge($.incident, $.target.incident, false)');
    expect(run.ResultSelector['results.$']).toBe('$.Output.results');
    expect(run.Catch[0]).toMatchObject({ ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], Next: 'cut-off-each-earlier' });
    // The execution another run of the revision started, read again, keeps its steps' results: what it did to the credential.
    const read = (map.ItemProcessor.States as unknown as Record<string, { Parameters?: { earlier?: Record<string, string> } }>)['cut-off-each-already-started-read'];
    expect(read?.Parameters?.earlier?.['results.$']).toBe('$.earlier.output.results');
    expect(map.ResultSelector.result.responder).toBe(PER_CREDENTIAL_ACTION);
  });

  it('compiles the child with the guard first; an evidence-only answer ends it without touching the credential', () => {
    const child = compilePlaybook(playbooks.find((candidate) => candidate.name === 'iam-credentials-attack-sequence-credential')!).definition;
    expect(child.StartAt).toBe('Guard');
    expect(child.States.GuardDecision).toMatchObject({ Default: 'EvidenceOnly' });
    expect(child.States.EvidenceOnly).toMatchObject({ Type: 'Succeed' });
  });

  it("tells the guard the child's grant clears one credential (rails from the deployment)", () => {
    const rails = playbookRailsFor(playbooks);
    expect(rails['iam-credentials-attack-sequence-credential']).toMatchObject({ kind: 'contain', grantScope: 'one-credential' });
    expect(rails['attack-sequence-ec2-instance']).not.toHaveProperty('grantScope');
    expect(rails['iam-user-key-compromise']).not.toHaveProperty('grantScope');
  });
});

describe('loading a contain-each-credential step', () => {
  it('refuses one that names a playbook whose trigger is not per-credential', () => {
    const { errors } = validatePlaybookPathsSync(['test/fixtures/playbooks/per-credential-wrong-trigger']);
    expect(errors.map((error) => error.message).join('\n')).toContain("whose trigger is per-instance, not per-credential");
  });
});

describe('privileged names', () => {
  it('match whatever the case, since IAM names are unique whatever their case', () => {
    expect(matchesPrivilegedName('bREAKgLASS-ops', DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toBeDefined();
    expect(matchesPrivilegedName('organizationaccountaccessrole', DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toBe('OrganizationAccountAccessRole');
    expect(matchesPrivilegedName('ci-deploy-role', DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toBeUndefined();
  });

  it('include the roles that deploy stacks with administrator access: StackSet execution and CDK bootstrap (default qualifier)', () => {
    expect(matchesPrivilegedName('AWSCloudFormationStackSetExecutionRole', DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toBe('AWSCloudFormationStackSetExecutionRole');
    expect(matchesPrivilegedName('stacksets-exec-0123456789abcdef0123456789abcdef', DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toBe('stacksets-exec-*');
    expect(matchesPrivilegedName('cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1', DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toBe('cdk-hnb659fds-*');
    // Another qualifier's roles are named in privilegedRoleNamePatterns, not guessed.
    expect(matchesPrivilegedName('cdk-custom123-cfn-exec-role-123456789012-eu-west-1', DEFAULT_PRIVILEGED_ROLE_NAME_PATTERNS)).toBeUndefined();
  });
});

describe('describeCredentialTargets: credentials without an execution (row 1zi)', () => {
  it('gives the first twenty a sentence each and counts the rest', () => {
    const skipped = Array.from({ length: 23 }, (_, index) => ({ value: `AKIA${String(index).padStart(16, '0')}`, account: '111122223333', reason: 'a privileged user' }));
    const reasons = describeCredentialTargets({ targets: [], skipped }, 'iam-attack-sequence');
    expect(reasons.filter((reason) => reason.startsWith('Not cut off: '))).toHaveLength(20);
    expect(reasons).toContain('Not cut off: "AKIA0000000000000000" (account 111122223333): a privileged user.');
    expect(reasons.at(-1)).toBe(
      "Not cut off either: 3 more credential(s) the incident names, for reasons of the same kinds; the incident's affected resources list each: a person must cut them off.",
    );
  });
});
