/**
 * A game day runs with the deployed roles' policies: a statement taken out of a role shows up as
 * the denial AWS would answer, wherever the call is made (a responder's SDK call, a state machine
 * invoking a function or starting a playbook).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { DEFAULT_FORENSIC_ROLE_NAME } from '../../lib/contracts/security';
import { responderRole } from '../../lib/gameday/deployment';
import { LocalBackend } from '../../lib/gameday/local-backend';
import { runScenario } from '../../lib/gameday/runner';
import type { PolicyDocument } from '../../lib/gameday/sim/iam-policy';
import type { Scenario } from '../../lib/gameday/scenario';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';

const ROOT = resolve(import.meta.dirname, '../..');
const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
const scenarios = await loadScenarioDirectory(resolve(ROOT, 'playbooks/scenarios'), { playbooks, templates });
const base = scenarios.find((scenario) => scenario.name === 'compromised-instance-multi-eni') as Scenario;

type PolicyResources = Parameters<LocalBackend['enforceIdentityPolicies']> extends [unknown, ...infer Rest] ? Rest : never;

function without(role: string, sid: string): Scenario {
  return { ...base, environment: { ...base.environment, removedStatements: [{ role, sid }] } };
}

/** The deployment with the role EventBridge assumes to start the dispatcher left without its policy. */
class WithoutEventsRole extends LocalBackend {
  override async enforceIdentityPolicies(policies: ReadonlyMap<string, readonly PolicyDocument[]>): Promise<void> {
    await super.enforceIdentityPolicies(new Map([...policies, ['firebreak-cfn-DispatcherStateMachineEventsRole', []]]));
  }
}

describe('IAM rehearsed as deployed', () => {
  it('the playbook machine without InvokeResponders cannot invoke its first function (Lambda.AWSLambdaException)', async () => {
    const run = await runScenario(without('playbook:compromised-ec2-instance', 'InvokeResponders'), { playbooks });
    const [execution] = run.executions;
    expect(execution?.status).toBe('FAILED');
    const failed = execution?.tasks.find((task) => task.error !== undefined);
    expect(failed?.error?.name).toBe('Lambda.AWSLambdaException');
    expect(failed?.error?.message).toMatch(/firebreak-states-compromised-ec2-instance.*lambda:InvokeFunction/);
    expect(run.calls.filter((call) => call.api.startsWith('ec2:Modify'))).toEqual([]);
  });

  it('the dispatcher without StartPlaybooks cannot start the playbook (StepFunctions.AccessDeniedException)', async () => {
    const run = await runScenario(without('dispatcher', 'StartPlaybooks'), { playbooks });
    expect(run.executions).toEqual([]);
    const start = run.deliveries[0]?.dispatcher.tasks.find((task) => task.state === 'StartPlaybook');
    expect(start?.error?.name).toBe('StepFunctions.AccessDeniedException');
  });

  it('the publish-alert role without the topic key cannot alert (SNS AuthorizationError)', async () => {
    const run = await runScenario(without('publish-alert', 'EncryptAlertsWithTheTopicKey'), { playbooks });
    expect(run.calls.filter((call) => call.api === 'sns:Publish' && call.errorCode === 'AuthorizationError').length).toBeGreaterThan(0);
    expect(run.after?.alerts).toEqual([]);
  });

  it('a second run of one revision reads the first run\'s executions again as the playbook\'s role; without FollowPerInstanceExecutions it says only that they ran', async () => {
    // Every instance's name carries the revision (row 1zj): only another run of the same revision
    // (a confirmed copy from the intake beside GuardDuty's delivery) finds the names taken.
    const updated = scenarios.find((scenario) => scenario.name === 'attack-sequence-revision-run-twice-starts-nothing-twice') as Scenario;
    const itemsOfLastRevision = (run: Awaited<ReturnType<typeof runScenario>>) => {
      const parents = run.executions.filter((execution) => execution.name.startsWith('gd-') && !execution.name.includes('-i-'));
      const result = (parents.at(-1)?.output as { results?: Record<string, { result?: { instances?: { status: string; earlier?: { status: string; guard?: string } }[] } }> } | undefined)?.results;
      return result?.['contain-each']?.result?.instances ?? [];
    };
    const shipped = await runScenario(updated, { playbooks });
    const read = itemsOfLastRevision(shipped).filter((item) => item.status === 'ALREADY_STARTED');
    expect(read.map((item) => [item.earlier?.status, item.earlier?.guard])).toEqual([
      ['SUCCEEDED', 'proceed'],
      ['SUCCEEDED', 'proceed'],
    ]);

    const withoutDescribe = { ...updated, environment: { ...updated.environment, removedStatements: [{ role: 'playbook:attack-sequence-ec2', sid: 'FollowPerInstanceExecutions' }] } };
    const denied = await runScenario(withoutDescribe, { playbooks });
    const unread = itemsOfLastRevision(denied).filter((item) => item.status === 'ALREADY_STARTED');
    expect(unread).toHaveLength(2);
    expect(unread.every((item) => item.earlier === undefined)).toBe(true);
    // The item never fails for it: the alert says what it knows.
    expect(denied.after?.alerts.at(-1)?.message).toContain('already handled by another run of this revision of the incident (its execution name is taken)');
    expect(denied.executions.every((execution) => execution.status === 'SUCCEEDED')).toBe(true);
  });

  it('names a statement the synthesized role does not have, with the ones it has', async () => {
    const run = await runScenario(without('snapshot-volumes', 'ContainInstances'), { playbooks });
    expect(run.error).toMatch(/role 'snapshot-volumes' has no statement 'ContainInstances' in the synthesized template; its statements: WriteOwnLogs, DescribeForContainmentAndEvidence, SnapshotVolumesForEvidence/);
  });

  it('a rule whose target role cannot start the dispatcher delivers nothing to it (EventBridge keeps the event in its DLQ)', async () => {
    const backend = new WithoutEventsRole({ seed: base.name, account: base.environment.account, region: base.environment.region });
    const run = await runScenario(base, { playbooks, backend });
    expect(run.deliveries).toEqual([]);
    expect(run.routings[0]?.matched).toEqual([]);
    expect(run.routings[0]?.refused).toContainEqual({ rule: 'GuardDutyFindingsRule', reason: expect.stringMatching(/target role cannot start the dispatcher.*states:StartExecution/) });
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html: a missing permission
  // is not retried, the event goes straight to the target's dead-letter queue; and each target of a
  // rule is delivered on its own, so the intake (invoked under its function's resource policy, not
  // the events role) still gets the event.
  it('FIDELITY (fid-patterns) a rule whose dispatcher target role is denied keeps the event in the undelivered-events queue (NO_PERMISSIONS), and its intake target still gets it', async () => {
    const oversized = scenarios.find((scenario) => scenario.name === 'oversized-event-contained-through-intake') as Scenario;
    const backend = new WithoutEventsRole({ seed: oversized.name, account: oversized.environment.account, region: oversized.environment.region });
    const run = await runScenario(oversized, { playbooks, backend });
    expect(run.error).toBeUndefined();
    const kept = (run.after?.undeliveredEvents ?? []).slice((run.before?.undeliveredEvents ?? []).length);
    expect(kept.map((event) => [event.attributes?.ERROR_CODE, event.attributes?.RULE_ARN])).toEqual([['NO_PERMISSIONS', 'GuardDutyFindingsRule']]);
    expect(kept[0]?.attributes?.ERROR_MESSAGE).toMatch(/states:StartExecution/);
    // The intake dispatched its clipped copy, under its own role.
    expect(run.deliveries.map((delivery) => [delivery.rule, delivery.clipped])).toEqual([['GuardDutyFindingsRule', true]]);
  });

  it('rehearses the protected tag key in the roles\' policies as deployed: the protected credential is refused by the code first, and its roles deny it anyway', async () => {
    const scenario = scenarios.find((candidate) => candidate.name === 'iam-attack-sequence-one-credential-protected') as Scenario;
    expect(scenario.settings.protectedTagKey).toBe('firebreak:protected');
    let enforced: ReadonlyMap<string, readonly PolicyDocument[]> = new Map();
    class Recording extends LocalBackend {
      override async enforceIdentityPolicies(policies: ReadonlyMap<string, readonly PolicyDocument[]>, ...rest: PolicyResources): Promise<void> {
        enforced = policies;
        await super.enforceIdentityPolicies(policies, ...rest);
      }
    }
    const backend = new Recording({ seed: scenario.name, account: scenario.environment.account, region: scenario.environment.region });
    const run = await runScenario(scenario, { playbooks, backend });
    expect(run.error).toBeUndefined();
    expect(run.passed).toBe(true);
    const sidsOf = (responder: string) =>
      [...enforced.entries()].filter(([role]) => role.endsWith(`-${responder}`)).flatMap(([, documents]) => documents.flatMap((document) => [document.Statement].flat().map((statement) => statement.Sid)));
    expect(sidsOf('disable-access-key')).toContain('DenyProtectedTagKey');
    expect(sidsOf('release-credentials')).not.toContain('DenyProtectedTagKey');
    expect(backend.sim.authorizationFindings()).toEqual([]);
  });

  // The forensic role's trust is the ForensicRoleStack template's: the security account root on
  // condition that aws:PrincipalArn is copy-evidence's role. Any other principal of the security
  // account that may call sts:AssumeRole on anything (an administrator, a CI role) is refused by it.
  it('the forensic role trusts as the template deploys it: copy-evidence is admitted, another role of the security account is refused', async () => {
    const scenario = scenarios.find((candidate) => candidate.name === 'evidence-copied-to-forensic-account') as Scenario;
    const forensicAccount = scenario.settings.forensicAccount as string;
    const backend = new LocalBackend({ seed: scenario.name, account: scenario.environment.account, region: scenario.environment.region });
    const run = await runScenario(scenario, { playbooks, backend });
    expect(run.error).toBeUndefined();
    const roleArn = `arn:aws:iam::${forensicAccount}:role/${DEFAULT_FORENSIC_ROLE_NAME}`;
    const assumeAs = async (role: string) =>
      (await backend.sim.clientFactory({ principal: `arn:aws:iam::${scenario.environment.account}:role/${role}` }).sts()).send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'probe' }),
      );
    const iam = await backend.sim.clientFactory({ principal: `arn:aws:iam::${forensicAccount}:role/firebreak-gameday-operator` }).iam({ account: forensicAccount, region: scenario.environment.region });

    const copier = await assumeAs(responderRole('copy-evidence', scenario.environment.region));
    const administrator = await assumeAs('OrganizationAccountAccessRole').then(
      () => 'admitted',
      (error: Error) => error.name,
    );
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: DEFAULT_FORENSIC_ROLE_NAME }));

    expect(copier.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${forensicAccount}:assumed-role/${DEFAULT_FORENSIC_ROLE_NAME}/probe`);
    expect(administrator).toBe('AccessDenied');
    expect(JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '{}'))).toMatchObject({
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${scenario.environment.account}:root` },
          Condition: { StringEquals: { 'aws:PrincipalArn': `arn:aws:iam::${scenario.environment.account}:role/${responderRole('copy-evidence', scenario.environment.region)}` } },
        },
      ],
    });
  });
});
