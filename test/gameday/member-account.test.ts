/**
 * A member-account game day (settings.securityAccount): Firebreak's roles live in the security
 * account, the environment in a member account of the organization, reached only through each
 * responder's own member-account role that the synthesized MemberRoleStack describes, with its
 * trust and its policies enforced. A statement taken out of one shows as the denial AWS would
 * answer there; a responder that tries another's role is refused it.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { definitionsFor } from '../../lib/gameday/definitions';
import { runScenario } from '../../lib/gameday/runner';
import { DEPLOYMENT_ENV } from '../../lib/contracts/environment';
import { SECURITY_ENV } from '../../lib/contracts/security';
import type { Scenario } from '../../lib/gameday/scenario';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';

const ROOT = resolve(import.meta.dirname, '../..');
const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
const scenarios = await loadScenarioDirectory(resolve(ROOT, 'playbooks/scenarios'), { playbooks, templates });
const base = scenarios.find((scenario) => scenario.name === 'member-account-instance-contained') as Scenario;
const withExternalId = scenarios.find((scenario) => scenario.name === 'member-account-external-id-required') as Scenario;
const credentials = scenarios.find((scenario) => scenario.name === 'member-account-iam-attack-sequence-cuts-off-credentials') as Scenario;
const forensicWithExternalId = scenarios.find((scenario) => scenario.name === 'forensic-copy-external-id-required') as Scenario;
const MEMBER = '444455556666';
const SECURITY = '111122223333';

describe('member-account game days', () => {
  it("acts in the member account only as each responder's own member role, assumed by that responder alone", async () => {
    const run = await runScenario(base, { playbooks });
    expect(run.error).toBeUndefined();
    expect(run.passed).toBe(true);
    const inMember = run.calls.filter((call) => call.account === MEMBER);
    expect(inMember.map((call) => call.api)).toEqual(expect.arrayContaining(['ec2:ModifyNetworkInterfaceAttribute', 'ec2:CreateSnapshots']));
    // Every responder call there is a member role's session, never a security-account role: the
    // responder's member role, or, for quarantine's IAM reads (the instance profile's role ids for
    // the record, row 3f), the session-revoker role the member-role stack deploys for it.
    const sessions = new Set(inMember.map((call) => call.caller.replace(/\/[^/]+$/, '')));
    expect([...sessions].every((session) => session.startsWith(`arn:aws:sts::${MEMBER}:assumed-role/FirebreakResponder-`) || session === `arn:aws:sts::${MEMBER}:assumed-role/FirebreakSessionRevoker-quarantine-instance`)).toBe(true);
    expect(inMember.filter((call) => call.caller.includes('FirebreakSessionRevoker-')).map((call) => call.api)).toEqual(['iam:GetInstanceProfile']);
    const callersOf = (api: string) => [...new Set(inMember.filter((call) => call.api === api).map((call) => call.caller.replace(/\/[^/]+$/, '')))];
    expect(callersOf('ec2:ModifyNetworkInterfaceAttribute')).toEqual([`arn:aws:sts::${MEMBER}:assumed-role/FirebreakResponder-quarantine-instance`]);
    expect(callersOf('ec2:CreateSnapshots')).toEqual([`arn:aws:sts::${MEMBER}:assumed-role/FirebreakResponder-snapshot-volumes`]);
    // Each role was assumed from the security account by its own responder's role, and only that.
    const assumed = run.calls.filter((call) => call.api === 'sts:AssumeRole');
    expect(assumed.length).toBeGreaterThan(0);
    for (const call of assumed) {
      const responder = /assumed-role\/firebreak-responder-eu-west-1-([a-z-]+)\//.exec(call.caller)?.[1];
      expect(call.caller).toMatch(new RegExp(`^arn:aws:sts::${SECURITY}:assumed-role/firebreak-responder-eu-west-1-`));
      // quarantine-instance reads the instance profile through its own session-revoker role (row 3f).
      const own = [`arn:aws:iam::${MEMBER}:role/FirebreakResponder-${responder}`, ...(responder === 'quarantine-instance' ? [`arn:aws:iam::${MEMBER}:role/FirebreakSessionRevoker-${responder}`] : [])];
      expect(own).toContain(call.input.RoleArn);
      expect(call.outcome).toBe('ok');
    }
    // The deployment's own resources stay in the security account.
    expect(run.calls.filter((call) => /^(sns|dynamodb|kms|states):/.test(call.api)).every((call) => call.account === SECURITY)).toBe(true);
  });

  it("sends the member role's external id on every AssumeRole, as each function's synthesized environment gives it", async () => {
    const run = await runScenario(withExternalId, { playbooks });
    expect(run.error).toBeUndefined();
    expect(run.passed).toBe(true);
    const assumed = run.calls.filter((call) => call.api === 'sts:AssumeRole');
    expect(assumed.length).toBeGreaterThan(0);
    expect(assumed.map((call) => [call.input.ExternalId, call.outcome])).toEqual(assumed.map(() => ['firebreak-gameday-7c41e2', 'ok']));
  });

  it("sends it to the forensic role too, whose synthesized trust requires it: copy-evidence's copies are made", async () => {
    const run = await runScenario(forensicWithExternalId, { playbooks });
    expect(run.error).toBeUndefined();
    expect(run.passed).toBe(true);
    const intoForensic = run.calls.filter((call) => call.api === 'sts:AssumeRole' && call.input.RoleArn === 'arn:aws:iam::999988887777:role/FirebreakForensicCopier');
    expect(intoForensic.map((call) => [call.caller.replace(/\/[^/]+$/, ''), call.input.ExternalId, call.outcome])).toEqual([
      [`arn:aws:sts::${SECURITY}:assumed-role/firebreak-responder-eu-west-1-copy-evidence`, 'firebreak-gameday-7c41e2', 'ok'],
    ]);
  });

  it('a function the stack left without the external id is refused AssumeRole by the member role\'s trust, and changes nothing', async () => {
    const definitions = await definitionsFor(withExternalId.settings, playbooks);
    const environments = structuredClone(definitions.environments ?? {});
    expect(environments['quarantine-instance']?.[DEPLOYMENT_ENV.memberRoleExternalId]).toBe('firebreak-gameday-7c41e2');
    delete environments['quarantine-instance']?.[DEPLOYMENT_ENV.memberRoleExternalId];
    const run = await runScenario(withExternalId, { playbooks, definitions: { ...definitions, environments } });
    expect(run.error).toBeUndefined();
    expect(run.passed).toBe(false);
    const refused = run.calls.filter((call) => call.api === 'sts:AssumeRole' && call.outcome === 'error');
    expect(refused.length).toBeGreaterThan(0);
    for (const call of refused) {
      expect(call.caller).toMatch(/assumed-role\/firebreak-responder-eu-west-1-quarantine-instance\//);
      expect([call.input.ExternalId, call.errorCode]).toEqual([undefined, 'AccessDenied']);
    }
    expect(run.executions[0]?.status).toBe('FAILED');
    // The refusal became the Lambda's own MemberRoleUnavailableError (lib/aws/clients/member-role.ts), advice included.
    const failure = run.after?.alerts.find((alert) => alert.subject?.includes('[FAILED]'));
    expect(failure?.message).toContain(`The member role 'FirebreakResponder-quarantine-instance' is missing in account ${MEMBER} or does not trust`);
    // The instance was not touched by the refused responder; the snapshot step (which sends it) still ran.
    expect(run.calls.filter((call) => call.account === MEMBER && call.api === 'ec2:ModifyNetworkInterfaceAttribute')).toEqual([]);
    expect(run.calls.some((call) => call.account === MEMBER && call.api === 'ec2:CreateSnapshots' && call.outcome === 'ok')).toBe(true);
  });

  it("one responder cannot act as another: quarantine-instance's function pointed at snapshot-volumes' role is refused it, and changes nothing", async () => {
    const definitions = await definitionsFor(base.settings, playbooks);
    const environments = structuredClone(definitions.environments ?? {});
    expect(environments['quarantine-instance']?.[SECURITY_ENV.memberRoleName]).toBe('FirebreakResponder-quarantine-instance');
    environments['quarantine-instance']![SECURITY_ENV.memberRoleName] = 'FirebreakResponder-snapshot-volumes';
    const run = await runScenario(base, { playbooks, definitions: { ...definitions, environments } });
    expect(run.error).toBeUndefined();
    expect(run.passed).toBe(false);
    const refused = run.calls.filter((call) => call.api === 'sts:AssumeRole' && call.outcome === 'error');
    expect(refused.length).toBeGreaterThan(0);
    for (const call of refused) {
      expect(call.caller).toMatch(/assumed-role\/firebreak-responder-eu-west-1-quarantine-instance\//);
      expect([call.input.RoleArn, call.errorCode]).toEqual([`arn:aws:iam::${MEMBER}:role/FirebreakResponder-snapshot-volumes`, 'AccessDenied']);
    }
    expect(run.calls.filter((call) => call.account === MEMBER && call.api === 'ec2:ModifyNetworkInterfaceAttribute')).toEqual([]);
    expect(run.executions[0]?.status).toBe('FAILED');
  });

  it('tried (rereview-two): IAM alone refuses a member role outside servedAccountIds: every function told the member account is served (the code refusal bypassed) is refused AssumeRole there by its own grant (row 4b), and changes nothing', async () => {
    // Synthesized for a pilot that serves 555566667777 only: the grant's aws:ResourceAccount condition.
    const pilot: Scenario = { ...base, settings: { ...base.settings, servedAccountIds: ['555566667777'] } };
    const definitions = await definitionsFor(pilot.settings, playbooks);
    const environments = structuredClone(definitions.environments ?? {});
    let bypassed = 0;
    for (const environment of Object.values(environments)) {
      if (environment[SECURITY_ENV.servedAccountIds] === undefined) continue;
      expect(environment[SECURITY_ENV.servedAccountIds]).toBe('555566667777');
      // A bug in a client factory, or an input that reaches one unchecked: the code lets MEMBER through.
      environment[SECURITY_ENV.servedAccountIds] = `555566667777,${MEMBER}`;
      bypassed += 1;
    }
    expect(bypassed).toBeGreaterThan(0);
    const run = await runScenario(pilot, { playbooks, definitions: { ...definitions, environments } });
    expect(run.error).toBeUndefined();
    expect(run.passed).toBe(false);
    const tried = run.calls.filter((call) => call.api === 'sts:AssumeRole' && String(call.input.RoleArn).startsWith(`arn:aws:iam::${MEMBER}:`));
    // The code let the responders try (the bypass worked), and IAM refused every one of them.
    expect(tried.length).toBeGreaterThan(0);
    expect(tried.map((call) => call.errorCode)).toEqual(tried.map(() => 'AccessDenied'));
    expect(run.calls.filter((call) => call.account === MEMBER)).toEqual([]);
  });

  it("quarantine-instance's member role without ContainInstances cannot contain: EC2 answers UnauthorizedOperation in the member account", async () => {
    const scenario: Scenario = { ...base, environment: { ...base.environment, removedStatements: [{ role: 'member-role:quarantine-instance', sid: 'ContainInstances' }] } };
    const run = await runScenario(scenario, { playbooks });
    expect(run.error).toBeUndefined();
    const denied = run.calls.filter((call) => call.account === MEMBER && call.errorCode === 'UnauthorizedOperation');
    expect(denied.map((call) => call.api)).toContain('ec2:ModifyInstanceAttribute');
    expect(run.executions[0]?.status).toBe('FAILED');
  });

  it("cuts off keys as disable-access-key's member role and revokes role sessions as revoke-role-sessions' session revoker, each assumed by its responder", async () => {
    const run = await runScenario(credentials, { playbooks });
    expect(run.error).toBeUndefined();
    const callerOf = (api: string) => [...new Set(run.calls.filter((call) => call.api === api && call.outcome === 'ok').map((call) => call.caller.replace(/\/[^/]+$/, '')))];
    expect(callerOf('iam:UpdateAccessKey')).toEqual([`arn:aws:sts::${MEMBER}:assumed-role/FirebreakResponder-disable-access-key`]);
    expect(callerOf('iam:AttachUserPolicy')).toEqual([`arn:aws:sts::${MEMBER}:assumed-role/FirebreakResponder-disable-access-key`]);
    expect(callerOf('iam:PutRolePolicy')).toEqual([`arn:aws:sts::${MEMBER}:assumed-role/FirebreakSessionRevoker-revoke-role-sessions`]);
    // The partner account is outside the organization: the responder's own role may not assume a role
    // there. The first to try is the partner role's containment guard, which reads the role (its
    // session gives the role's id) before a slot is taken; its execution ends there.
    const refused = run.calls.filter((call) => call.api === 'sts:AssumeRole' && call.outcome === 'error');
    expect(refused.map((call) => [call.input.RoleArn, call.errorCode])).toEqual([['arn:aws:iam::999988887777:role/FirebreakResponder-containment-guard', 'AccessDenied']]);
    expect(run.calls.filter((call) => call.account === '999988887777')).toEqual([]);
  });

  it('the session revoker without its role-policy statement cannot revoke: IAM answers AccessDenied in the member account', async () => {
    const scenario: Scenario = { ...credentials, environment: { ...credentials.environment, removedStatements: [{ role: 'session-revoker-role:revoke-role-sessions', sid: 'RevokeInstanceRoleSessions' }] } };
    const run = await runScenario(scenario, { playbooks });
    expect(run.error).toBeUndefined();
    expect(run.calls.filter((call) => call.api === 'iam:PutRolePolicy').map((call) => [call.account, call.errorCode])).toEqual([[MEMBER, 'AccessDenied']]);
    // The key is still cut off: the member role's grants are untouched.
    expect(run.after?.iam?.users['ci-deployer']?.accessKeys).toEqual(['Inactive']);
  });

  it('names a statement the member role does not have, with the ones it has', async () => {
    const scenario: Scenario = { ...base, environment: { ...base.environment, removedStatements: [{ role: 'member-role:quarantine-instance', sid: 'NoSuchStatement' }] } };
    const run = await runScenario(scenario, { playbooks });
    expect(run.error).toMatch(/role 'member-role:quarantine-instance' has no statement 'NoSuchStatement' in the synthesized template.*its statements: .*ContainInstances/);
  });

  it('refuses a securityAccount that is the environment account itself', async () => {
    const scenario: Scenario = { ...base, settings: { ...base.settings, securityAccount: MEMBER } };
    const run = await runScenario(scenario, { playbooks });
    expect(run.error).toMatch(/settings.securityAccount names the environment's own account 444455556666/);
  });
});
