/**
 * The deployment's approvers in the game day: a scenario's settings.approverArns reach the approval
 * function's synthesized environment, and a request whose answer the approval function refused is
 * answered again only by an `afterRefusal` entry (the scenario approval-by-unlisted-administrator-refused
 * runs it end to end).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderScenarioRun } from '../../lib/gameday/report';
import { runScenario } from '../../lib/gameday/runner';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';
import { deploymentContext } from '../../lib/gameday/definitions';
import type { ApprovalRequest } from '../../lib/gameday/engine';
import type { ApprovalRecord } from '../../lib/gameday/runner';
import { scenarioApprovalDesk } from '../../lib/gameday/runner';
import { approvalSchema, settingsSchema } from '../../lib/gameday/scenario';
import { synthesizeDefinitions } from '../../lib/stack/app';
import { COMPROMISED, DEFAULT_ALERT } from '../stack/support';

const ON_CALL = 'arn:aws:iam::111122223333:role/firebreak-gameday-approver';
const MALLORY = 'arn:aws:sts::111122223333:assumed-role/Administrator/mallory';
const REQUEST: ApprovalRequest = { executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-p:run', executionName: 'run', state: 'WaitForApproval', taskToken: 't', payload: {} };
const REFUSAL = { statusCode: 403 as const, outcome: 'refused' as const, message: 'not one of the approvers' };

describe('settings.approverArns', () => {
  it("is the deployment's CDK context approverArns, only when the scenario sets it", () => {
    expect(deploymentContext(settingsSchema.parse({ approverArns: [ON_CALL] }))).toMatchObject({ approverArns: [ON_CALL] });
    expect(deploymentContext(settingsSchema.parse({}))).not.toHaveProperty('approverArns');
  });

  it('takes IAM role and user ARNs only, as the stack does', () => {
    expect(settingsSchema.safeParse({ approverArns: ['arn:aws:iam::111122223333:role/*'] }).success).toBe(false);
    expect(settingsSchema.safeParse({ approverArns: [MALLORY] }).success).toBe(false);
  });

  it("reaches the approval function's synthesized environment, which the engine answers through", async () => {
    const definitions = await synthesizeDefinitions({ context: deploymentContext(settingsSchema.parse({ approverArns: [ON_CALL] })), playbooks: [COMPROMISED, DEFAULT_ALERT] });
    expect(definitions.approvalEnvironment).toMatchObject({ FIREBREAK_APPROVER_ARNS: ON_CALL, FIREBREAK_DENIED_APPROVER_ROLE_PREFIXES: 'firebreak-responder-,Firebreak-' });
    const unlisted = await synthesizeDefinitions({ context: deploymentContext(settingsSchema.parse({})), playbooks: [COMPROMISED, DEFAULT_ALERT] });
    expect(unlisted.approvalEnvironment).not.toHaveProperty('FIREBREAK_APPROVER_ARNS');
  }, 60_000);
});

describe('scenarioApprovalDesk after a refusal', () => {
  const answers = [
    approvalSchema.parse({ step: 'WaitForApproval', answer: 'approve', by: MALLORY }),
    approvalSchema.parse({ step: 'WaitForApproval', answer: 'approve', by: 'alice', afterRefusal: true }),
  ];

  it('answers a refused request with the afterRefusal entry, and a new request never with it', () => {
    const log: ApprovalRecord[] = [];
    const desk = scenarioApprovalDesk(answers, log);
    expect(desk(REQUEST)).toEqual({ answer: 'approve', by: MALLORY });
    expect(desk({ ...REQUEST, refused: REFUSAL })).toEqual({ answer: 'approve', by: 'alice' });
    expect(log.map((record) => record.decision)).toEqual([
      { answer: 'approve', by: MALLORY },
      { answer: 'approve', by: 'alice' },
    ]);
    // The record names the request, not the refusal.
    expect(log[1]?.request).not.toHaveProperty('refused');
  });

  it('lets a refused request time out, unlogged, when no afterRefusal entry is left; a new request skips afterRefusal entries', () => {
    const log: ApprovalRecord[] = [];
    const desk = scenarioApprovalDesk([answers[1]!], log);
    expect(desk(REQUEST)).toEqual({ answer: 'timeout' });
    expect(desk({ ...REQUEST, refused: REFUSAL })).toEqual({ answer: 'approve', by: 'alice' });
    expect(desk({ ...REQUEST, refused: REFUSAL })).toEqual({ answer: 'timeout' });
    expect(log.map((record) => record.decision)).toEqual([{ answer: 'timeout' }, { answer: 'approve', by: 'alice' }]);
  });
});

describe('approval-by-unlisted-administrator-refused, both ways', () => {
  const ROOT = resolve(import.meta.dirname, '../..');

  it("refuses the unlisted administrator because of the list: without it, the administrator's approval is the one taken", async () => {
    const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
    const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
    const scenario = (await loadScenarioDirectory(resolve(ROOT, 'playbooks/scenarios'), { playbooks, templates })).find((found) => found.name === 'approval-by-unlisted-administrator-refused');
    if (!scenario) throw new Error('scenario approval-by-unlisted-administrator-refused not found');

    const listed = await runScenario(scenario, { playbooks });
    expect(listed.expectations.filter((expectation) => !expectation.passed)).toEqual([]);
    expect(renderScenarioRun(listed)).toContain(`approval WaitForApproval: ${MALLORY} answered approve: refused by the approval function (403), nothing recorded or sent`);
    expect(renderScenarioRun(listed)).toContain('approval WaitForApproval: approved by alice');

    const { approverArns: _list, ...unlistedSettings } = scenario.settings;
    const unlisted = await runScenario({ ...scenario, settings: unlistedSettings }, { playbooks });
    const failed = unlisted.expectations.filter((expectation) => !expectation.passed).map((expectation) => expectation.name);
    // IAM alone: the administrator's approval is recorded and sent, nobody is refused, alice is never asked.
    expect(failed).toEqual(expect.arrayContaining(['refused approval answers', 'refused approval answers by', 'refused approval answers status']));
    expect(unlisted.executions.flatMap((execution) => execution.tasks.flatMap((task) => (task.approval ? [task.approval] : [])))).toEqual([{ answer: 'approve', by: MALLORY }]);
  }, 120_000);
});
