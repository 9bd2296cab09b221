/**
 * The rails both credential steps share (credential-rails.ts), as pure functions: what the
 * deployment's environment says, the refusals before any call and by current tags, the clearance's
 * log lines and the one-credential grant. The responders' own tests (credential-responders.test.ts)
 * try them end to end; these were written for the mutants Stryker found surviving there
 * (docs/testing.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CREDENTIALS_GRANT_SUBJECT } from '../../lib/contracts/security';
import type { CredentialGrantSubject } from '../../lib/contracts/security';
import { memberRoleNamesUnder } from '../../lib/contracts/responders';
import { parseEvent } from '../../lib/incident';
import type { Incident } from '../../lib/incident/model';
import { ActionLog } from '../../lib/responders/action-log';
import {
  checkCredentialsGrant,
  clearCredentialStep,
  credentialRailsOf,
  denyAllPolicyArn,
  narrowToGrantedCredential,
  refusalBeforeAnyCall,
  refusalByTags,
  roleRefusalBeforeAnyCall,
} from '../../lib/responders/credential-rails';
import type { GrantedCredentialWords } from '../../lib/responders/credential-rails';
import { disableAccessKeyOptionsSchema } from '../../lib/responders/disable-access-key';
import type { GrantReader } from '../../lib/responders/grants';
import { silentLogger } from '../../lib/responders/logging';
import { ResponderRun } from '../../lib/responders/responder-run';
import { stepClaimOf } from '../../lib/responders/step-binding';
import { EXECUTION, EXECUTION_ARN, playbookStepsEnvironment, storeGranting } from '../support/grants';

const NOW = new Date('2026-03-19T12:00:00.000Z');
const SECURITY_ACCOUNT = '111122223333';
const ENV = { FIREBREAK_MODE: 'enforce', FIREBREAK_SECURITY_ACCOUNT_ID: SECURITY_ACCOUNT };
const USER_KEY = (): Incident =>
  parseEvent(JSON.parse(readFileSync(new URL('../fixtures/events/guardduty-iam-user-tor-ipcaller.json', import.meta.url), 'utf8')), { receivedAt: NOW });
const RESPONDER = 'disable-access-key';

describe('credentialRailsOf', () => {
  it('reads the protected tag key and the member role names trimmed, and a blank role name as none', () => {
    const rails = credentialRailsOf(
      { ...ENV, FIREBREAK_PROTECTED_TAG_KEY: ' firebreak:protected ', FIREBREAK_MEMBER_ROLE_NAME: ' FirebreakMember ', FIREBREAK_SESSION_REVOKER_ROLE_NAME: '  ' },
      RESPONDER,
    );
    expect(rails.protectedTagKey).toBe('firebreak:protected');
    expect(rails.ownRoleNames).toEqual(new Set(memberRoleNamesUnder('FirebreakMember').map((name) => name.toLowerCase())));
  });

  it('names the problem when the environment cannot say which accounts are served, and then touches no credential', () => {
    const rails = credentialRailsOf({ FIREBREAK_MODE: 'enforce' }, RESPONDER);
    expect(rails.served).toBeUndefined();
    expect(refusalBeforeAnyCall('user', 'ci-deployer', SECURITY_ACCOUNT, rails)).toBe(
      'the deployment cannot name the accounts it serves (FIREBREAK_SECURITY_ACCOUNT_ID is not set, so the deployment cannot tell which accounts it serves), so no credential is touched',
    );
    expect(refusalBeforeAnyCall('user', 'ci-deployer', SECURITY_ACCOUNT, { ...rails, servedProblem: undefined })).toContain('(unknown)');
  });
});

describe('the refusals', () => {
  const rails = credentialRailsOf(ENV, RESPONDER);

  it('names a privileged role as a role', () => {
    expect(roleRefusalBeforeAnyCall('PaymentsAdmin', SECURITY_ACCOUNT, rails)).toBe(
      'role PaymentsAdmin matches the privileged name pattern *Admin* (administrator or break-glass): Firebreak never touches its credentials, whatever a finding names',
    );
  });

  it('protects by tag only when the deployment names a protected tag key', () => {
    const incident = { gameDay: false, key: 'gd-1' };
    // IAM allows a tag key spelt "undefined": with no key configured it protects nothing either.
    expect(refusalByTags('user', 'ci-deployer', { undefined: 'x' }, incident, false, rails)).toBeUndefined();
    expect(refusalByTags('user', 'ci-deployer', { 'firebreak:protected': '' }, incident, false, { ...rails, protectedTagKey: 'firebreak:protected' })).toBe(
      'user ci-deployer carries the protected tag key firebreak:protected in IAM now: never contained automatically',
    );
  });

  it('ATTACK: protects a user or role whose protected tag key differs only in case, as IAM compares the keys of users and roles', () => {
    const incident = { gameDay: false, key: 'gd-1' };
    const keyed = { ...rails, protectedTagKey: 'firebreak:protected' };
    expect(refusalByTags('user', 'ci-deployer', { 'Firebreak:Protected': 'yes' }, incident, false, keyed)).toBe(
      'user ci-deployer carries the protected tag key firebreak:protected in IAM now (as Firebreak:Protected): never contained automatically',
    );
    expect(refusalByTags('role', 'payments-role', { 'FIREBREAK:PROTECTED': '' }, incident, false, keyed)).toContain('carries the protected tag key firebreak:protected');
    expect(refusalByTags('role', 'payments-role', { 'firebreak:protected-later': '' }, incident, false, keyed)).toBeUndefined();
  });

  it('asks for the game-day opt-in tag when either the grant or the incident says game day', () => {
    const optIn = { 'firebreak:gameday-target': 'true' };
    expect(refusalByTags('role', 'drill-role', {}, { gameDay: false, key: 'gd-1' }, true, rails)).toBe(
      'game-day incident gd-1: role drill-role does not carry the tag firebreak:gameday-target=true in IAM now, so a drill may not change it',
    );
    expect(refusalByTags('role', 'drill-role', {}, { gameDay: true, key: 'gd-1' }, false, rails)).toContain('does not carry the tag firebreak:gameday-target=true');
    expect(refusalByTags('role', 'drill-role', optIn, { gameDay: true, key: 'gd-1' }, true, rails)).toBeUndefined();
    expect(refusalByTags('role', 'drill-role', {}, { gameDay: false, key: 'gd-1' }, false, rails)).toBeUndefined();
  });
});

describe('the served-account rail, for look-alike account ids (review-member)', () => {
  const ORGANIZATION = { ...ENV, FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder', FIREBREAK_ORGANIZATION_ID: 'o-a1b2c3d4e5' };
  const ALLOWLIST = { ...ENV, FIREBREAK_MEMBER_ROLE_NAME: 'FirebreakResponder', FIREBREAK_SERVED_ACCOUNT_IDS: '444455556666' };
  // Arabic-Indic and fullwidth digits, whitespace, 11 and 13 digits, a wildcard, an ARN fragment.
  const LOOK_ALIKES = ['٤٤٤٤٥٥٥٥٦٦٦٦', '４４４４５５５５６６６６', ' 444455556666', '444455556666\n', '44445555666', '4444555566660', '*', '444455556666:role/x'];

  it('ATTACK: refuses an account that is no 12-digit id even where the organization serves every account, before any call', () => {
    const rails = credentialRailsOf(ORGANIZATION, RESPONDER);
    for (const account of LOOK_ALIKES) {
      expect(refusalBeforeAnyCall('user', 'ci-deployer', account, rails), JSON.stringify(account)).toMatch(/is not a 12-digit account id; no call was made there$/);
      expect(roleRefusalBeforeAnyCall('app-role', account, rails), JSON.stringify(account)).toMatch(/is not a 12-digit account id/);
    }
    expect(refusalBeforeAnyCall('user', 'ci-deployer', '444455556666', rails)).toBeUndefined();
  });

  it('refuses a look-alike of an allowlisted account, and serves the account itself', () => {
    const rails = credentialRailsOf(ALLOWLIST, RESPONDER);
    for (const account of [...LOOK_ALIKES, '044445555666']) expect(refusalBeforeAnyCall('user', 'ci-deployer', account, rails), JSON.stringify(account)).toBeDefined();
    expect(refusalBeforeAnyCall('user', 'ci-deployer', '444455556666', rails)).toBeUndefined();
  });
});

describe('denyAllPolicyArn', () => {
  it("is AWS's managed policy in the region's partition, the commercial form where the partition is unknown", () => {
    expect(denyAllPolicyArn('eu-west-1', 'AWSDenyAll')).toBe('arn:aws:iam::aws:policy/AWSDenyAll');
    expect(denyAllPolicyArn('cn-north-1', 'AWSDenyAll')).toBe('arn:aws-cn:iam::aws:policy/AWSDenyAll');
    expect(denyAllPolicyArn('us-isob-east-1', 'AWSDenyAll')).toBe('arn:aws:iam::aws:policy/AWSDenyAll');
  });
});

describe('narrowToGrantedCredential', () => {
  const key: CredentialGrantSubject = { kind: 'access-key', account: SECURITY_ACCOUNT, accessKeyId: 'AKIAQ3EGRW6JCEXAMPLE' };
  const subject = `access-key/${SECURITY_ACCOUNT}/AKIAQ3EGRW6JCEXAMPLE`;
  const keyWords: GrantedCredentialWords = { kind: 'access-key', aKind: 'an access key', noun: 'key', nothing: 'no key is disabled', notNamed: 'nothing is disabled' };
  const roleWords: GrantedCredentialWords = { kind: 'iam-role', aKind: 'a role', noun: 'role', nothing: 'no session is revoked', notNamed: 'nothing is revoked' };
  const entries = (log: ActionLog) => log.actions.map(({ api, target, outcome, detail }) => ({ api, target, outcome, detail }));

  it('stops a step of the other kind, and refuses an input that does not name the granted credential, each with its log line', () => {
    const other = new ActionLog(() => NOW);
    expect(narrowToGrantedCredential(other, key, { named: 1, granted: 0 }, roleWords)).toEqual({ stop: 'wrong-kind' });
    expect(entries(other)).toEqual([
      { api: 'firebreak:check-grant', target: subject, outcome: 'skipped', detail: `This execution's grant clears ${subject} alone, not a role: no session is revoked here` },
    ]);

    const unnamed = new ActionLog(() => NOW);
    const refusal = `This execution's grant clears ${subject} alone, and its input does not name that key: nothing is disabled`;
    expect(narrowToGrantedCredential(unnamed, key, { named: 2, granted: 0 }, keyWords)).toEqual({ stop: 'not-named', refusal });
    expect(entries(unnamed)).toEqual([{ api: 'firebreak:check-grant', target: subject, outcome: 'skipped', detail: refusal }]);
  });

  it('says which other credentials it leaves, and says nothing when there are none or the grant covers every credential', () => {
    const others = new ActionLog(() => NOW);
    expect(narrowToGrantedCredential(others, key, { named: 3, granted: 1 }, keyWords)).toBeUndefined();
    expect(entries(others)).toEqual([
      {
        api: 'firebreak:check-grant',
        target: subject,
        outcome: 'observed',
        detail: `This execution's grant clears ${subject} alone: the 2 other key(s) its input names are not touched here (each has its own execution and grant)`,
      },
    ]);
    const alone = new ActionLog(() => NOW);
    expect(narrowToGrantedCredential(alone, key, { named: 1, granted: 1 }, keyWords)).toBeUndefined();
    expect(narrowToGrantedCredential(alone, undefined, { named: 3, granted: 0 }, keyWords)).toBeUndefined();
    expect(entries(alone)).toEqual([]);
  });
});

describe('checkCredentialsGrant', () => {
  const incident = USER_KEY();
  const step = stepClaimOf(RESPONDER, { options: disableAccessKeyOptionsSchema.parse({ denyAll: false }) }, disableAccessKeyOptionsSchema, { ...ENV, ...playbookStepsEnvironment({ denyAll: false }) });

  it('reads no grant for a step that names no execution', async () => {
    const reader: GrantReader = {
      getGrant: () => Promise.reject(new Error('read a grant for no execution')),
      getApproval: () => Promise.reject(new Error('read an approval for no execution')),
      executionStatus: () => Promise.reject(new Error('described no execution')),
      pauseState: () => Promise.reject(new Error('read the pause for no execution')),
    };
    expect(await checkCredentialsGrant(incident, undefined, step, reader, NOW)).toMatchObject({ allowed: false, code: 'no-execution' });
  });

  it("takes a one-credential grant of another account than the incident's as a grant of something else", async () => {
    const foreign = `access-key/999988887777/AKIAQ3EGRW6JCEXAMPLE`;
    const check = await checkCredentialsGrant(incident, EXECUTION_ARN, step, storeGranting(incident, NOW, { instanceId: foreign }), NOW);
    expect(check).toMatchObject({ allowed: false, code: 'mismatch' });
    expect(check.reason).toContain(`instance ${foreign}, not ${CREDENTIALS_GRANT_SUBJECT}`);
  });

  it("tried (rereview-two): a grant the guard cleared with no slot for a held instance (`heldQuarantine`, row 15s) clears no credential step: revoke-role-sessions or disable-access-key as steps of their own reach nothing beyond the instance under it", async () => {
    const check = await checkCredentialsGrant(incident, EXECUTION_ARN, step, storeGranting(incident, NOW, { instanceId: 'i-0abc1234def567890', heldQuarantine: true }), NOW);
    expect(check).toMatchObject({ allowed: false, code: 'mismatch' });
    expect(check.reason).toContain(`instance i-0abc1234def567890, not ${CREDENTIALS_GRANT_SUBJECT}`);
  });
});

describe('clearCredentialStep', () => {
  const options = disableAccessKeyOptionsSchema.parse({ denyAll: false });
  const environment = (mode: string) => ({ ...ENV, FIREBREAK_MODE: mode, ...playbookStepsEnvironment({ denyAll: false }) });
  const run = (mode = 'enforce') => new ResponderRun({ responder: RESPONDER, incident: USER_KEY(), requestedMode: 'enforce', logger: silentLogger, environment: environment(mode), now: () => NOW, replayStatuses: [] });
  const entries = (r: ReturnType<typeof run>) => r.log.actions.map(({ api, outcome, detail }) => ({ api, outcome, detail }));

  it('reads nothing for a sample, and says so in the log', async () => {
    const incident = { ...USER_KEY(), sample: true };
    const r = run();
    const clearance = await clearCredentialStep(r, { incident, execution: EXECUTION, options }, 'access keys', storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT }), disableAccessKeyOptionsSchema);
    expect(clearance).toEqual({ cleared: false, status: 'skipped-sample' });
    expect(entries(r)).toEqual([{ api: 'firebreak:decide', outcome: 'skipped', detail: 'GuardDuty sample finding: its access keys are placeholders; nothing is read or changed' }]);
  });

  it('refuses a step invoked without an execution, logging the refusal and the forced dry-run', async () => {
    const incident = USER_KEY();
    const r = run('dry-run');
    const clearance = await clearCredentialStep(r, { incident, execution: undefined, options }, 'access keys', storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT }), disableAccessKeyOptionsSchema);
    expect(clearance).toMatchObject({ cleared: false, status: 'refused', refusal: expect.stringContaining('names no playbook execution') });
    expect(entries(r)).toEqual([
      { api: 'firebreak:check-grant', outcome: 'skipped', detail: expect.stringContaining('names no playbook execution') },
      { api: 'firebreak:effective-mode', outcome: 'skipped', detail: expect.stringContaining('FIREBREAK_MODE=dry-run') },
    ]);
  });

  it("clears a step under its execution's grant, lowered to the grant's mode, and logs both", async () => {
    const incident = USER_KEY();
    const r = run();
    const clearance = await clearCredentialStep(r, { incident, execution: EXECUTION, options }, 'access keys', storeGranting(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT, mode: 'dry-run' }), disableAccessKeyOptionsSchema);
    // No `only`: the grant covers every credential the incident names.
    expect(clearance).toStrictEqual({ cleared: true, gameDay: false, rails: expect.anything() });
    expect(r.mode).toBe('dry-run');
    expect(entries(r)).toEqual([
      { api: 'firebreak:check-grant', outcome: 'observed', detail: expect.stringMatching(/^Cleared by the containment guard/) },
      { api: 'firebreak:effective-mode', outcome: 'skipped', detail: expect.stringContaining('the containment guard cleared this execution for dry-run only') },
    ]);
  });
});
