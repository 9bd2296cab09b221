import { resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { IncidentCliDependencies } from '../../lib/cli/incidents';
import { createIncidentCommands } from '../../lib/cli/incidents';
import { LocalBackend, OPERATOR_ROLE } from '../../lib/gameday/local-backend';
import { runScenario } from '../../lib/gameday/runner';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';

// Only STS (the credentials check) and CloudFormation (the stack's outputs) are mocked: DynamoDB and KMS are the simulated account's.
const sts = mockClient(STSClient);
sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333', Arn: 'arn:aws:sts::111122223333:assumed-role/oncall/alice' });
const cloudFormation = mockClient(CloudFormationClient);

async function run(argv: string[], makeClients: IncidentCliDependencies['makeClients']) {
  const result = { code: 0, out: [] as string[], err: [] as string[], files: new Map<string, string>() };
  const program = new Command().exitOverride();
  createIncidentCommands({
    makeClients,
    out: (text) => result.out.push(text),
    err: (text) => result.err.push(text),
    writeFile: async (path, text) => {
      result.files.set(path, text);
    },
    now: () => new Date('2026-11-21T12:00:00.000Z'),
  })(program, (code) => {
    result.code = Math.max(result.code, code);
  });
  await program.parseAsync(['node', 'firebreak', ...argv]);
  return result;
}

/** Runs a shipped scenario and keeps its simulated account afterwards (the runner cleans up what it prepared), as a deployment keeps its table. */
async function runKeptScenario(name: string) {
  const root = resolve(import.meta.dirname, '../..');
  const playbooks = await loadPlaybookDirectory(resolve(root, 'playbooks'));
  const templates = [...(await listTemplates(defaultTemplateDirectories(root))).keys()];
  const scenarios = await loadScenarioDirectory(resolve(root, 'playbooks/scenarios'), { playbooks, templates });
  const scenario = scenarios.find((candidate) => candidate.name === name);
  if (!scenario) throw new Error(`scenario ${name} is missing`);
  const backend = new (class extends LocalBackend {
    override async cleanup(): Promise<void> {}
  })({ seed: scenario.name, account: scenario.environment.account, region: scenario.environment.region });
  const ran = await runScenario(scenario, { playbooks, backend });
  expect(ran.passed).toBe(true);
  const simulated = () => ({ sts: new STSClient({ region: 'eu-west-1' }), cloudFormation: new CloudFormationClient({ region: 'eu-west-1' }), dynamodb: backend.clients(OPERATOR_ROLE).dynamodb(), kms: backend.clients(OPERATOR_ROLE).kms() });
  return { ran, simulated };
}

describe('the commands against the simulated account', () => {
  it('list, show and report the incident a game-day scenario left, as an operator reads them', async () => {
    const { ran, simulated } = await runKeptScenario('quarantine-then-release');
    const table = ran.environment?.deployment.stateTableName ?? '';
    expect(table).not.toBe('');
    const listed = await run(['incidents', '--table', table, '--json'], simulated);
    expect(listed.err).toEqual([]);
    const incidents = (JSON.parse(listed.out.join('\n')) as { incidents: { key: string; status: string }[] }).incidents;
    expect(incidents).toEqual([expect.objectContaining({ status: 'released' })]);
    const key = incidents[0]!.key;
    const shown = await run(['incident', key, '--table', table], simulated);
    expect(shown.out.join('\n')).toMatch(/quarantine-instance\s+quarantined/);
    const report = await run(['report', key, '--table', table, '--out', 'out'], simulated);
    const markdown = report.files.get(`out/${key}.md`) ?? '';
    expect(markdown).toContain('Status: released.');
    expect(markdown).toMatch(/\| Release \| .* \| release-instance: released \|/);
    // The same report the game day wrote for this scenario.
    expect(ran.reports?.map((one) => one.key)).toEqual([key]);
  }, 120_000);

  it("lists the incident whose key a timed-out attempt set Inactive as contained, as its report says, from the same verified credential record", async () => {
    const { ran, simulated } = await runKeptScenario('iam-key-contained-by-attempt-that-timed-out');
    const table = ran.environment?.deployment.stateTableName ?? '';
    const recordKeyArn = ran.environment?.deployment.recordKeyArn ?? '';
    expect(recordKeyArn).toMatch(/^arn:aws:kms:/);
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'Firebreak', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [{ OutputKey: 'StateTableName', OutputValue: table }, { OutputKey: 'RecordKeyArn', OutputValue: recordKeyArn }] }],
    });
    const listed = await run(['incidents', '--json'], simulated);
    expect(listed.err).toEqual([]);
    const incidents = (JSON.parse(listed.out.join('\n')) as { incidents: { key: string; status: string; keyRecords?: unknown }[] }).incidents;
    expect(incidents).toEqual([expect.objectContaining({ status: 'contained', keyRecords: expect.objectContaining({ verified: true, notConfirmed: [] }) })]);
    const key = incidents[0]!.key;
    const report = await run(['report', key, '--out', 'out'], simulated);
    expect(report.files.get(`out/${key}.md`)).toContain('Status: contained.');
    // Read with --table, no record key is known: the list and the report both say not confirmed.
    const unchecked = await run(['incidents', '--table', table], simulated);
    expect(unchecked.out[0]).toMatch(/ failed .*\(containment of AKIA\w+ not confirmed: firebreak report /);
    const uncheckedReport = await run(['report', key, '--table', table, '--out', 'out'], simulated);
    expect(uncheckedReport.files.get(`out/${key}.md`)).toContain('Status: failed.');
  }, 120_000);

  it('lists and reports the incident that found its key contained by another incident as held by its claim, and the other released once its hold was taken back', async () => {
    const { ran, simulated } = await runKeptScenario('iam-release-keeps-a-key-another-incident-holds');
    const table = ran.environment?.deployment.stateTableName ?? '';
    const recordKeyArn = ran.environment?.deployment.recordKeyArn ?? '';
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'Firebreak', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: [{ OutputKey: 'StateTableName', OutputValue: table }, { OutputKey: 'RecordKeyArn', OutputValue: recordKeyArn }] }],
    });
    const listed = await run(['incidents', '--json'], simulated);
    expect(listed.err).toEqual([]);
    const incidents = (JSON.parse(listed.out.join('\n')) as { incidents: { key: string; status: string; keyRecords?: { heldByClaim?: string[] } }[] }).incidents;
    const holder = incidents.find((incident) => incident.status === 'contained');
    const first = incidents.find((incident) => incident.status === 'released');
    expect(incidents).toHaveLength(2);
    expect(holder?.keyRecords).toMatchObject({ verified: true, heldByClaim: [expect.stringMatching(/^AKIA/)], notConfirmed: [] });
    const key = holder?.key ?? '';
    const text = await run(['incidents'], simulated);
    expect(text.out.find((line) => line.includes(key))).toMatch(new RegExp(` contained .*${key}  \\(AKIA\\w+ held by its claim, another incident having set it Inactive: firebreak report ${key} names it\\)$`));
    const report = await run(['report', key, '--out', 'out'], simulated);
    const markdown = report.files.get(`out/${key}.md`) ?? '';
    expect(markdown).toContain('Status: contained.');
    expect(markdown).toContain(`| Containment (access key held by its claim) |`);
    expect(markdown).toContain(`set so by incident ${first?.key ?? '?'}, whose sealed credential record keeps it`);
    expect(markdown).toContain(`--incident ${key})`);
  }, 120_000);
});
