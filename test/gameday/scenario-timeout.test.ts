/**
 * A scenario that never ends must not hang the game day: each scenario has a bound on its wall time
 * (`gameday run --scenario-timeout`, runScenario's `timeoutSeconds`). Past it the scenario fails,
 * naming itself and the bound, its engine is aborted (no task left waiting, so no timer keeps the
 * process alive), and the run goes on to the next scenario. The bounds of the child processes here
 * are far above the few seconds a run takes: they detect a hang, they do not time a run.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * A fresh process runs a scenario whose responder's EC2 call never answers (a stuck endpoint, a
 * task that never returns), with a bound of 3 s, and prints what the run says; it then has to end
 * on its own. The scenario runs once normally first, so that the bounded run spends its time in
 * the stuck task, not in synthesizing the deployment.
 */
const STUCK_TASK = `
import { resolve } from 'node:path';
const { runScenario } = await import('./lib/gameday/runner.ts');
const { LocalBackend } = await import('./lib/gameday/local-backend.ts');
const { loadScenarioDirectory } = await import('./lib/gameday/scenario-loader.ts');
const { defaultTemplateDirectories, listTemplates } = await import('./lib/gameday/templates.ts');
const { loadPlaybookDirectory } = await import('./lib/playbooks/loader.ts');

const stuck = new WeakSet();
class StuckEc2Backend extends LocalBackend {
  clients(role) {
    const clients = super.clients(role);
    if (!role.startsWith('firebreak-responder-')) return clients;
    return {
      ...clients,
      ec2: async (target) => {
        const client = await clients.ec2(target);
        if (!stuck.has(client)) {
          stuck.add(client);
          client.middlewareStack.add(
            (next, context) => (args) => (context.commandName === 'ModifyNetworkInterfaceAttributeCommand' ? new Promise(() => {}) : next(args)),
            { step: 'initialize', name: 'neverAnswers' },
          );
        }
        return client;
      },
    };
  }
}

const playbooks = await loadPlaybookDirectory(resolve('playbooks'));
const templates = [...(await listTemplates(defaultTemplateDirectories())).keys()];
const scenarios = await loadScenarioDirectory(resolve('playbooks/scenarios'), { playbooks, templates });
const scenario = scenarios.find((candidate) => candidate.name === 'compromised-instance-multi-eni');
const warm = await runScenario(scenario, { playbooks });
const backend = new StuckEc2Backend({ seed: scenario.name, account: scenario.environment.account, region: scenario.environment.region });
const ran = await runScenario(scenario, { playbooks, backend, timeoutSeconds: 3 });
process.stdout.write(JSON.stringify({ warmPassed: warm.passed, passed: ran.passed, error: ran.error, executions: ran.executions.map((execution) => [execution.playbook, execution.status]) }));
`;

describe('a scenario past its wall-time bound', () => {
  it('fails naming the scenario and the bound, with its engine aborted, and the process ends on its own', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', STUCK_TASK], { cwd: ROOT, encoding: 'utf8', timeout: 100_000 });
    expect({ signal: child.signal, status: child.status }, child.stderr).toEqual({ signal: null, status: 0 });
    const ran = JSON.parse(child.stdout) as { warmPassed: boolean; passed: boolean; error?: string; executions: [string, string][] };
    expect(ran.warmPassed).toBe(true);
    expect(ran.passed).toBe(false);
    expect(ran.error).toBe("ScenarioTimeoutError: scenario 'compromised-instance-multi-eni' did not end within its bound of 3 s of wall time (--scenario-timeout)");
    // It was the containment that never answered: its execution was started, and is over now.
    expect(ran.executions).toEqual([['compromised-ec2-instance', 'FAILED']]);
  }, 180_000);

  it('`gameday run` fails that scenario, goes on to the next, prints the summary and exits 1', () => {
    const cli = spawnSync(
      process.execPath,
      ['bin/firebreak.mjs', 'gameday', 'run', 'ec2-throttled-twice', 'compromised-instance-multi-eni', '--scenario-timeout', '0.001', '--no-reports'],
      { cwd: ROOT, encoding: 'utf8', timeout: 100_000 },
    );
    expect({ signal: cli.signal, status: cli.status }).toEqual({ signal: null, status: 1 });
    expect(cli.stdout).toContain("scenario 'ec2-throttled-twice' did not end within its bound of 0.001 s of wall time (--scenario-timeout)");
    expect(cli.stdout).toContain("scenario 'compromised-instance-multi-eni' did not end within its bound of 0.001 s of wall time (--scenario-timeout)");
    expect(cli.stderr).toMatch(/\[2\/2\] compromised-instance-multi-eni: FAIL/);
    expect(cli.stdout.trimEnd().split('\n').at(-1)).toBe('0 passed, 2 failed');
  }, 180_000);
});
