/**
 * A scenario's `pause:` and `resume:` injections run the emergency-pause function as deployed: its
 * code, signed as its own role, whose synthesized policy the simulated account enforces. A pause the
 * function does not set stops the run and says why (a scenario rehearses what follows a pause).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../lib/gameday/runner';
import type { Scenario } from '../../lib/gameday/scenario';
import { loadScenarioDirectory } from '../../lib/gameday/scenario-loader';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';
import { PAUSE_CONTROL_ROLE } from '../../lib/gameday/deployment';

const ROOT = resolve(import.meta.dirname, '../..');
const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const scenarios = await loadScenarioDirectory(resolve(ROOT, 'playbooks/scenarios'), { playbooks });
const paused = scenarios.find((scenario) => scenario.name === 'paused-deployment-contains-nothing') as Scenario;

describe('pause: injection', () => {
  it("writes the pause item as the emergency-pause function's role, after announcing it on the operations topic", async () => {
    const run = await runScenario(paused, { playbooks });
    expect(run.error).toBeUndefined();
    const own = run.calls.filter((call) => call.caller.includes(`:assumed-role/${PAUSE_CONTROL_ROLE}/`));
    // The caller proof spent first (proof#, its own statement), then the pause read, announced, written.
    expect(own.map((call) => `${call.api} ${call.outcome}`)).toEqual(['dynamodb:PutItem ok', 'dynamodb:GetItem ok', 'sns:Publish ok', 'dynamodb:PutItem ok']);
    expect(own.filter((call) => call.api === 'dynamodb:PutItem').map((call) => (call.input as { Item: { pk: { S: string } } }).Item.pk.S)).toEqual([expect.stringMatching(/^proof#[0-9a-f]{64}$/), 'pause#deployment']);
  });

  it('stops the run, naming the refusal, when the deployed policy does not let the function write the pause item', async () => {
    const denied: Scenario = {
      ...paused,
      environment: { ...paused.environment, removedStatements: [{ role: 'emergency-pause', sid: 'SetAndLiftTheEmergencyPause' }] },
    };
    const run = await runScenario(denied, { playbooks });
    expect(run.error).toMatch(/inject\[0\]: pause: the emergency-pause function failed \(.*AccessDenied/);
    // Nothing was paused, and no playbook ran on a deployment believed paused.
    const writes = run.calls.filter((call) => call.caller.includes(`:assumed-role/${PAUSE_CONTROL_ROLE}/`) && call.api === 'dynamodb:PutItem' && call.outcome === 'ok');
    expect(writes.map((call) => (call.input as { Item: { pk: { S: string } } }).Item.pk.S)).toEqual([expect.stringMatching(/^proof#/)]);
  });

  it('stops the run when the deployed policy does not let the function spend the caller proof: nothing paused', async () => {
    const denied: Scenario = {
      ...paused,
      environment: { ...paused.environment, removedStatements: [{ role: 'emergency-pause', sid: 'SpendEachCallerProofOnce' }] },
    };
    const run = await runScenario(denied, { playbooks });
    expect(run.error).toMatch(/inject\[0\]: pause: the emergency-pause function answered refused \(502\), not paused: .*could not be recorded as used.*AccessDenied/);
    expect(run.calls.filter((call) => call.caller.includes(`:assumed-role/${PAUSE_CONTROL_ROLE}/`)).map((call) => `${call.api} ${call.outcome}`)).toEqual([expect.stringMatching(/^dynamodb:PutItem (?!ok)/)]);
  });

  it('stops the run when a replay finds no request to capture (the scenario is wrong, not the function)', async () => {
    const { pause: _pause, ...injection } = paused.inject[0]!;
    const replayFirst: Scenario = { ...paused, inject: [{ ...injection, tamper: { replayPauseRequest: 'resume' } }, ...paused.inject] };
    const run = await runScenario(replayFirst, { playbooks });
    expect(run.error).toMatch(/inject\[0\].*no resume request was sent to the emergency-pause function before/);
  });

  it('stops the run when the function answers already-paused: a second pause changes nothing', async () => {
    // Another reason: the same request at the same instant would carry the same proof, refused as sent again.
    const again = { ...paused.inject[0]!, pause: { reason: 'a second storm', by: 'bob' } } as Scenario['inject'][number];
    const twice: Scenario = { ...paused, inject: [paused.inject[0]!, again, ...paused.inject.slice(1)] };
    const run = await runScenario(twice, { playbooks });
    expect(run.error).toMatch(/inject\[1\]: pause: the emergency-pause function answered already-paused \(409\), not paused: .*gameday-pauser\/bob/);
  });
});
