/**
 * A member-account game day (settings.securityAccount): Firebreak's roles live in the security
 * account, the environment in a member account of the organization, reached only through the
 * member role that the synthesized MemberRoleStack describes, with its trust and its policies
 * enforced. A statement taken out of the member role shows as the denial AWS would answer there.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { definitionsFor } from '../../lib/gameday/definitions';
import { runScenario } from '../../lib/gameday/runner';
import { DEPLOYMENT_ENV } from '../../lib/contracts/environment';
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
const MEMBER = '444455556666';
const SECURITY = '111122223333';

describe('member-account game days', () => {
  it('acts in the member account only as the member role, assumed by the responders of the security account', async () => {
    const run = await runScenario(base, { playbooks });
    expect(run.error).toBeUndefined();
    expect(run.passed).toBe(true);
    const inMember = run.calls.filter((call) => call.account === MEMBER);
    expect(inMember.map((call) => call.api)).toEqual(expect.arrayContaining(['ec2:ModifyNetworkInterfaceAttribute', 'ec2:CreateSnapshots']));
    // Every responder call there is the member role's session, never a security-account role.
    expect(new Set(inMember.map((call) => call.caller.replace(/\/[^/]+$/, '')))).toEqual(new Set([`arn:aws:sts::${MEMBER}:assumed-role/FirebreakResponder`]));
    // The role was assumed from the security account by responder roles, and only those.
    const assumed = run.calls.filter((call) => call.api === 'sts:AssumeRole');
    expect(assumed.length).toBeGreaterThan(0);
    for (const call of assumed) {
      expect(call.input.RoleArn).toBe(`arn:aws:iam::${MEMBER}:role/FirebreakResponder`);
      expect(call.caller).toMatch(new RegExp(`^arn:aws:sts::${SECURITY}:assumed-role/firebreak-responder-eu-west-1-`));
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
    expect(failure?.message).toContain(`The member role 'FirebreakResponder' is missing in account ${MEMBER} or does not trust`);
    // The instance was not touched by the refused responder; the snapshot step (which sends it) still ran.
    expect(run.calls.filter((call) => call.account === MEMBER && call.api === 'ec2:ModifyNetworkInterfaceAttribute')).toEqual([]);
    expect(run.calls.some((call) => call.account === MEMBER && call.api === 'ec2:CreateSnapshots' && call.outcome === 'ok')).toBe(true);
  });

  it('the member role without ContainInstances cannot contain: EC2 answers UnauthorizedOperation in the member account', async () => {
    const scenario: Scenario = { ...base, environment: { ...base.environment, removedStatements: [{ role: 'member-role', sid: 'ContainInstances' }] } };
    const run = await runScenario(scenario, { playbooks });
    expect(run.error).toBeUndefined();
    const denied = run.calls.filter((call) => call.account === MEMBER && call.errorCode === 'UnauthorizedOperation');
    expect(denied.map((call) => call.api)).toContain('ec2:ModifyInstanceAttribute');
    expect(run.executions[0]?.status).toBe('FAILED');
  });

  it('cuts off keys as the member role and revokes role sessions as the session revoker, each assumed by its responder', async () => {
    const run = await runScenario(credentials, { playbooks });
    expect(run.error).toBeUndefined();
    const callerOf = (api: string) => [...new Set(run.calls.filter((call) => call.api === api && call.outcome === 'ok').map((call) => call.caller.replace(/\/[^/]+$/, '')))];
    expect(callerOf('iam:UpdateAccessKey')).toEqual([`arn:aws:sts::${MEMBER}:assumed-role/FirebreakResponder`]);
    expect(callerOf('iam:AttachUserPolicy')).toEqual([`arn:aws:sts::${MEMBER}:assumed-role/FirebreakResponder`]);
    expect(callerOf('iam:PutRolePolicy')).toEqual([`arn:aws:sts::${MEMBER}:assumed-role/FirebreakSessionRevoker`]);
    // The partner account is outside the organization: the responder's own role may not assume a role there.
    const refused = run.calls.filter((call) => call.api === 'sts:AssumeRole' && call.outcome === 'error');
    expect(refused.map((call) => [call.input.RoleArn, call.errorCode])).toEqual([['arn:aws:iam::999988887777:role/FirebreakSessionRevoker', 'AccessDenied']]);
    expect(run.calls.filter((call) => call.account === '999988887777')).toEqual([]);
  });

  it('the session revoker without its role-policy statement cannot revoke: IAM answers AccessDenied in the member account', async () => {
    const scenario: Scenario = { ...credentials, environment: { ...credentials.environment, removedStatements: [{ role: 'session-revoker-role', sid: 'RevokeInstanceRoleSessions' }] } };
    const run = await runScenario(scenario, { playbooks });
    expect(run.error).toBeUndefined();
    expect(run.calls.filter((call) => call.api === 'iam:PutRolePolicy').map((call) => [call.account, call.errorCode])).toEqual([[MEMBER, 'AccessDenied']]);
    // The key is still cut off: the member role's grants are untouched.
    expect(run.after?.iam?.users['ci-deployer']?.accessKeys).toEqual(['Inactive']);
  });

  it('names a statement the member role does not have, with the ones it has', async () => {
    const scenario: Scenario = { ...base, environment: { ...base.environment, removedStatements: [{ role: 'member-role', sid: 'NoSuchStatement' }] } };
    const run = await runScenario(scenario, { playbooks });
    expect(run.error).toMatch(/role 'member-role' has no statement 'NoSuchStatement' in the synthesized template.*its statements: .*ContainInstances/);
  });

  it('refuses a securityAccount that is the environment account itself', async () => {
    const scenario: Scenario = { ...base, settings: { ...base.settings, securityAccount: MEMBER } };
    const run = await runScenario(scenario, { playbooks });
    expect(run.error).toMatch(/settings.securityAccount names the environment's own account 444455556666/);
  });
});
