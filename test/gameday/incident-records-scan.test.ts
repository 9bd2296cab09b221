/**
 * After each scenario the game day reads the incident records as an operator: the reports
 * `firebreak report` would write and the list `firebreak incidents` prints. Both start from the
 * incidents of the state table; one Scan of the table serves both (it used to be Scanned twice per
 * scenario, a cost that grows with every record of a long game day), with the same reports and list.
 */
import { resolve } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GameDayClients } from '../../lib/gameday/backend';
import { readScenarioList, readScenarioRecords, readScenarioReports } from '../../lib/gameday/incident-records';
import { LocalBackend, OPERATOR_ROLE } from '../../lib/gameday/local-backend';
import { runScenario } from '../../lib/gameday/runner';
import type { Scenario } from '../../lib/gameday/scenario';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../lib/gameday/templates';
import { listScanInput } from '../../lib/operator/incidents';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';
import type { Playbook } from '../../lib/playbooks/model';

const ROOT = resolve(import.meta.dirname, '../..');

/** The local account, with every Scan the game day's operator sends noted, and kept after the run for the test to read. */
class ScanCountingBackend extends LocalBackend {
  readonly operatorScans: unknown[] = [];
  private readonly counted = new WeakSet<DynamoDBClient>();

  override clients(role: string): GameDayClients {
    const factory = super.clients(role);
    if (role !== OPERATOR_ROLE) return factory;
    return {
      ...factory,
      dynamodb: () => {
        const client = factory.dynamodb();
        if (!this.counted.has(client)) {
          this.counted.add(client);
          client.middlewareStack.add(
            (next, context) => async (args) => {
              if (context.commandName === 'ScanCommand') this.operatorScans.push(args.input);
              return next(args);
            },
            { step: 'initialize', name: 'countOperatorScans' },
          );
        }
        return client;
      },
    };
  }

  /** Kept for the test's own reads; the run ends with a cleanup. */
  override cleanup(): Promise<void> {
    return Promise.resolve();
  }
}

let playbooks: Playbook[];
let scenarios: Scenario[];

beforeAll(async () => {
  playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
  const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
  scenarios = await loadScenarioDirectory(resolve(ROOT, 'playbooks/scenarios'), { playbooks, templates });
});

describe.each(['ec2-throttled-twice', 'iam-attack-sequence-cuts-off-credentials'])('the incident records of %s', (name) => {
  it('are listed by one Scan of the state table per scenario, and give the reports and list the separate reads give', async () => {
    const scenario = scenarios.find((candidate) => candidate.name === name);
    if (!scenario) throw new Error(`no shipped scenario ${name}`);
    const backend = new ScanCountingBackend({ seed: scenario.name, account: scenario.environment.account, region: scenario.environment.region });
    const ran = await runScenario(scenario, { playbooks, backend });
    expect(ran.passed).toBe(true);
    const table = ran.environment?.deployment.stateTableName ?? '';
    expect(backend.operatorScans.filter((input) => JSON.stringify(input) === JSON.stringify(listScanInput(table, {})))).toHaveLength(1);

    // What the one read gives is what the two reads gave.
    const operator = backend.clients(OPERATOR_ROLE);
    const recordKey = { kms: operator.kms(), ...(ran.environment?.deployment.recordKeyArn ? { recordKeyArn: ran.environment.deployment.recordKeyArn } : {}) };
    const once = await readScenarioRecords(operator.dynamodb(), table, undefined, recordKey);
    expect(once.reports).toEqual(await readScenarioReports(operator.dynamodb(), table, undefined, recordKey));
    expect(once.listed).toEqual(await readScenarioList(operator.dynamodb(), table, recordKey));
    expect(once.reports).toEqual(ran.reports);
    expect(once.reports.length).toBeGreaterThan(0);
  });
});
