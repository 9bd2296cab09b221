import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLatencyModel } from '../../../lib/gameday/latency/model';
import type { Pace } from '../../../lib/gameday/latency/pace';
import { medianPace, paceClient } from '../../../lib/gameday/latency/pace';
import { runScenario } from '../../../lib/gameday/runner';
import type { Scenario } from '../../../lib/gameday/scenario';
import { loadScenarioDirectory } from '../../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../../lib/gameday/templates';
import { loadPlaybookDirectory } from '../../../lib/playbooks/loader';

const ROOT = resolve(import.meta.dirname, '../../..');
const shipped = await loadLatencyModel();
const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
const scenarios = await loadScenarioDirectory(resolve(ROOT, 'playbooks/scenarios'), { playbooks, templates });
const multiEni = scenarios.find((scenario) => scenario.name === 'compromised-instance-multi-eni') as Scenario;

describe('medianPace', () => {
  it("takes every hop's median from the model, nothing drawn", () => {
    const pace = medianPace(shipped);
    expect(pace.eventDeliveryMs).toBe(shipped.eventBridge.delivery.p50Ms);
    expect(pace.expressTransitionMs).toBe(shipped.stepFunctions.express.transition.p50Ms);
    expect(pace.standardTransitionMs).toBe(shipped.stepFunctions.standard.transition.p50Ms);
    expect(pace.lambdaInvokeMs).toBe(shipped.stepFunctions.lambdaInvoke.p50Ms);
    expect(pace.coldStartMs('quarantine-instance')).toBe(shipped.lambda.runtimeInit.p50Ms + (shipped.lambda.bundleInit['quarantine-instance'] ?? shipped.lambda.bundleInit.default)!.p50Ms);
    expect(pace.apiMs('ec2:ModifyNetworkInterfaceAttribute')).toBe((shipped.api['ec2:ModifyNetworkInterfaceAttribute'] ?? shipped.api['ec2:*'] ?? shipped.api.default)!.p50Ms);
    expect(pace.approvalMs).toBe(shipped.approval.p50Ms);
  });
});

describe('paceClient', () => {
  const pace: Pace = { eventDeliveryMs: 0, expressTransitionMs: 0, standardTransitionMs: 0, lambdaInvokeMs: 0, coldStartMs: () => 0, apiMs: (api) => (api === 'ec2:DescribeInstances' ? 100 : 7), approvalMs: 0 };
  type Middleware = (next: (args: { input: object }) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => (args: { input: object }) => Promise<unknown>;

  function fakeClient() {
    const added: Middleware[] = [];
    return { added, middlewareStack: { add: (middleware: Middleware) => added.push(middleware) } };
  }

  it('moves the clock by the call\'s figure before it reaches the service, once more per SDK retry, answered or refused', async () => {
    const client = fakeClient();
    const advanced: number[] = [];
    paceClient(client, pace, (ms) => advanced.push(ms));
    paceClient(client, pace, (ms) => advanced.push(ms));
    expect(client.added).toHaveLength(1);
    const middleware = client.added[0] as Middleware;
    const context = { clientName: 'EC2Client', commandName: 'DescribeInstancesCommand' };
    await middleware(async () => {
      expect(advanced).toEqual([100]);
      return { output: { $metadata: { attempts: 3 } } };
    }, context)({ input: {} });
    expect(advanced).toEqual([100, 200]);
    const refused = Object.assign(new Error('throttled'), { $metadata: { attempts: 2 } });
    await expect(middleware(() => Promise.reject(refused), context)({ input: {} })).rejects.toBe(refused);
    expect(advanced).toEqual([100, 200, 100, 100]);
  });
});

describe('a paced game day', () => {
  it('records real phase durations, the same on every run, where an unpaced run reads 0 ms', async () => {
    const first = await runScenario(multiEni, { playbooks });
    const second = await runScenario(multiEni, { playbooks });
    const unpaced = await runScenario(multiEni, { playbooks, pace: false });
    for (const run of [first, second, unpaced]) expect(run.expectations.filter((result) => !result.passed)).toEqual([]);
    const phases = (run: typeof first) => Object.fromEntries((run.reports?.[0]?.phases ?? []).map((phase) => [phase.name, phase.sinceReceivedMs]));
    const paced = phases(first);
    expect(Object.keys(paced)).toEqual(expect.arrayContaining(['triage', 'guard', 'containment', 'evidence', 'first-alert']));
    // Receipt → the first playbook step is at least the dispatcher's triage and start; each later phase takes longer.
    expect(paced.triage).toBeGreaterThan(0);
    expect(paced.guard).toBeGreaterThan(paced.triage as number);
    expect(paced.containment).toBeGreaterThan(paced.guard as number);
    expect(phases(second)).toEqual(paced);
    expect(first.containment?.simMs).toBe(second.containment?.simMs);
    // The run's own measure of containment and the report's agree within the quarantine step (recordChecks).
    expect(first.expectations.find((result) => result.name.endsWith('containment matches the run'))?.passed).toBe(true);
    expect(Object.values(phases(unpaced)).every((ms) => ms === 0)).toBe(true);
  });

  it("measures the report's containment phase against the synthesized deployment's target", async () => {
    const byDefault = await runScenario(multiEni, { playbooks });
    expect(byDefault.reports?.[0]?.targets.containment).toBe(120_000);
    const strict = await runScenario({ ...multiEni, settings: { ...multiEni.settings, containmentTargetSeconds: 10 } }, { playbooks, pace: { ...medianPace(shipped), approvalMs: 0, apiMs: () => 1_000 } });
    const report = strict.reports?.[0];
    expect(report?.targets.containment).toBe(10_000);
    expect(report?.lessons.join(' ')).toMatch(/Containment \(instance isolated\) took .* from receipt, over the target of 10\.0 s/);
  });
});
