/**
 * A game day runs with the deployed roles' policies: a statement taken out of a role shows up as
 * the denial AWS would answer, wherever the call is made (a responder's SDK call, a state machine
 * invoking a function or starting a playbook).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
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

function without(role: string, sid: string): Scenario {
  return { ...base, environment: { ...base.environment, removedStatements: [{ role, sid }] } };
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

  it('names a statement the synthesized role does not have, with the ones it has', async () => {
    const run = await runScenario(without('snapshot-volumes', 'ContainInstances'), { playbooks });
    expect(run.error).toMatch(/role 'snapshot-volumes' has no statement 'ContainInstances' in the synthesized template; its statements: WriteOwnLogs, DescribeForContainmentAndEvidence, SnapshotVolumesForEvidence/);
  });

  it('a rule whose target role cannot start the dispatcher delivers nothing (EventBridge would retry, then keep it in its DLQ)', async () => {
    class WithoutEventsRole extends LocalBackend {
      override async enforceIdentityPolicies(policies: ReadonlyMap<string, readonly PolicyDocument[]>): Promise<void> {
        await super.enforceIdentityPolicies(new Map([...policies, ['firebreak-cfn-DispatcherStateMachineEventsRole', []]]));
      }
    }
    const backend = new WithoutEventsRole({ seed: base.name, account: base.environment.account, region: base.environment.region });
    const run = await runScenario(base, { playbooks, backend });
    expect(run.deliveries).toEqual([]);
    expect(run.routings[0]?.matched).toEqual([]);
    expect(run.routings[0]?.refused).toContainEqual({ rule: 'GuardDutyFindingsRule', reason: expect.stringMatching(/target role cannot start the dispatcher.*states:StartExecution/) });
  });
});
