import { resolve } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
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

// Only STS (the credentials check) is mocked: DynamoDB is the simulated account's.
const sts = mockClient(STSClient);
sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333', Arn: 'arn:aws:sts::111122223333:assumed-role/oncall/alice' });

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

describe('the commands against the simulated account', () => {
  it('list, show and report the incident a game-day scenario left, as an operator reads them', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const playbooks = await loadPlaybookDirectory(resolve(root, 'playbooks'));
    const templates = [...(await listTemplates(defaultTemplateDirectories(root))).keys()];
    const scenarios = await loadScenarioDirectory(resolve(root, 'playbooks/scenarios'), { playbooks, templates });
    const scenario = scenarios.find((candidate) => candidate.name === 'quarantine-then-release');
    if (!scenario) throw new Error('scenario quarantine-then-release is missing');
    // Keeps the account after the run (the runner cleans up what it prepared), as a deployment keeps its table.
    const backend = new (class extends LocalBackend {
      override async cleanup(): Promise<void> {}
    })({ seed: scenario.name, account: scenario.environment.account, region: scenario.environment.region });
    const ran = await runScenario(scenario, { playbooks, backend });
    expect(ran.passed).toBe(true);
    const table = ran.environment?.deployment.stateTableName ?? '';
    const simulated = () => ({ sts: new STSClient({ region: 'eu-west-1' }), cloudFormation: new CloudFormationClient({ region: 'eu-west-1' }), dynamodb: backend.clients(OPERATOR_ROLE).dynamodb(), kms: backend.clients(OPERATOR_ROLE).kms() });
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
});
