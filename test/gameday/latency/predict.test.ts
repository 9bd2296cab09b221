import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExecutionRecord, TaskInvocation } from '../../../lib/gameday/engine';
import type { LatencyFigure, LatencyModel } from '../../../lib/gameday/latency/model';
import { loadLatencyModel } from '../../../lib/gameday/latency/model';
import type { Hop, PredictionInput } from '../../../lib/gameday/latency/predict';
import { predictLatency, predictOnce } from '../../../lib/gameday/latency/predict';
import type { CallTrace } from '../../../lib/gameday/latency/trace';
import { runScenario } from '../../../lib/gameday/runner';
import { loadScenarioDirectory } from '../../../lib/gameday/scenario-loader';
import { defaultTemplateDirectories, listTemplates } from '../../../lib/gameday/templates';
import { LAMBDA_INVOKE_RESOURCE } from '../../../lib/playbooks/compile';
import { loadPlaybookDirectory } from '../../../lib/playbooks/loader';

const ROOT = resolve(import.meta.dirname, '../../..');
const shipped = await loadLatencyModel();

function fixed(ms: number): LatencyFigure {
  return { p50Ms: ms, p99Ms: ms, kind: 'estimate', source: 'test' };
}

/** Every hop a constant: the prediction is then exact arithmetic. */
const constant: LatencyModel = {
  eventBridge: { delivery: fixed(50) },
  stepFunctions: { express: { transition: fixed(1) }, standard: { transition: fixed(2) }, lambdaInvoke: fixed(10) },
  lambda: { runtimeInit: fixed(100), bundleInit: { default: fixed(200) }, firstConnection: fixed(30) },
  api: { default: fixed(5), 'ec2:*': fixed(100) },
  approval: fixed(60_000),
};

function invocation(state: string, responder: string, trace: CallTrace, extra: Partial<TaskInvocation> = {}): TaskInvocation {
  return { state, resource: LAMBDA_INVOKE_RESOURCE, responder, role: 'r', attempt: 1, startWallMs: 0, startSim: new Date(0), fromSeq: 0, trace, ...extra };
}

function record(tasks: TaskInvocation[], path: string[]): ExecutionRecord {
  return {
    kind: 'dispatcher',
    executionArn: 'arn:aws:states:us-east-1:111122223333:express:d:one:1',
    name: 'one',
    stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:d',
    stateMachineName: 'd',
    input: {},
    startWallMs: 0,
    startSim: new Date(0),
    status: 'SUCCEEDED',
    path,
    events: [],
    tasks,
    started: [],
    done: Promise.resolve(),
  };
}

const oneTask: PredictionInput['definitionOf'] = () => ({
  kind: 'dispatcher',
  definition: { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: LAMBDA_INVOKE_RESOURCE, End: true } } },
});

function labels(path: readonly Hop[]): string[] {
  return path.map((hop) => `${hop.kind} ${hop.label} @${hop.startMs}+${hop.endMs - hop.startMs}`);
}

describe('predictOnce', () => {
  it('runs calls started together concurrently and a later call after the slowest it waited for', () => {
    // describe (ec2, 100 ms) and get-item (dynamodb, 5 ms) start together; the isolating move starts after both.
    const trace: CallTrace = {
      calls: [
        { api: 'ec2:DescribeInstances', completedBefore: 0, input: {}, outcome: 'ok', attempts: 1 },
        { api: 'dynamodb:GetItem', completedBefore: 0, input: {}, outcome: 'ok', attempts: 1 },
        { api: 'ec2:ModifyNetworkInterfaceAttribute', completedBefore: 2, input: { NetworkInterfaceId: 'eni-1', Groups: ['sg-iso'] }, outcome: 'ok', attempts: 2 },
      ],
      completed: [1, 0, 2],
    };
    const run = predictOnce(
      { executions: [record([invocation('Work', 'quarantine-instance', trace)], ['Work'])], definitionOf: oneTask, groupNames: { 'sg-iso': 'firebreak-isolation' } },
      constant,
      Math.random,
    );
    // 50 delivery + 1 transition + 10 invoke + 100 runtime + 200 bundle = 361; ec2 connection 30 → describe 391..491;
    // dynamodb connection 30 → get 391..396; the move (no new connection) waits for the describe: 491 + 2 attempts × 100.
    expect(run.containmentMs).toBe(691);
    expect(labels(run.criticalPath)).toEqual([
      'eventbridge EventBridge delivers the finding to the dispatcher @0+50',
      'transition Work (Task) @50+1',
      'invoke Work: invoke quarantine-instance @51+10',
      'cold-start quarantine-instance: cold start (runtime) @61+100',
      'bundle-init quarantine-instance: bundle init @161+200',
      'connection quarantine-instance: first request to ec2 @361+30',
      'api-call quarantine-instance: ec2:DescribeInstances @391+100',
      'api-call quarantine-instance: ec2:ModifyNetworkInterfaceAttribute (2 attempts) @491+200',
    ]);
  });

  it('starts a function warm when one of its environments is free, cold when all are busy', () => {
    const empty: CallTrace = { calls: [], completed: [] };
    const definitionOf: PredictionInput['definitionOf'] = () => ({
      kind: 'dispatcher',
      definition: {
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'A', States: { A: { Type: 'Task', Resource: LAMBDA_INVOKE_RESOURCE, End: true } } },
              { StartAt: 'B', States: { B: { Type: 'Task', Resource: LAMBDA_INVOKE_RESOURCE, End: true } } },
            ],
            Next: 'C',
          },
          C: { Type: 'Task', Resource: LAMBDA_INVOKE_RESOURCE, End: true },
        },
      },
    });
    const run = predictOnce(
      {
        executions: [record([invocation('A', 'alert', empty), invocation('B', 'alert', empty), invocation('C', 'alert', empty)], ['Both', 'A', 'B', 'C'])],
        definitionOf,
        groupNames: {},
      },
      constant,
      Math.random,
    );
    expect(run.containmentMs).toBeUndefined();
    // Both branches start cold (one environment each, at the same time); C reuses one of them, warm.
    const kinds = run.criticalPath.map((hop) => hop.kind);
    expect(kinds.filter((kind) => kind === 'cold-start')).toHaveLength(1);
    expect(kinds.slice(-2)).toEqual(['transition', 'invoke']);
    expect(run.completionMs).toBe(50 + 1 + 1 + 10 + 100 + 200 + 1 + 10);
  });
});

describe('predicted time to containment of a shipped scenario', async () => {
  const playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
  const templates = [...(await listTemplates(defaultTemplateDirectories(ROOT))).keys()];
  const scenarios = await loadScenarioDirectory(resolve(ROOT, 'playbooks/scenarios'), { playbooks, templates });
  const scenario = scenarios.find((candidate) => candidate.name === 'compromised-instance-multi-eni');
  if (!scenario) throw new Error('the compromised-instance-multi-eni scenario is missing');
  const run = await runScenario(scenario, { playbooks, latency: { model: shipped, runs: 50 } });

  it('still passes every expectation when timed', () => {
    expect(run.expectations.filter((result) => !result.passed)).toEqual([]);
  });

  it('gives p50 ≤ p99 and the same figures for the same seed', async () => {
    const prediction = run.latency;
    expect(prediction?.containment).toBeDefined();
    expect(prediction?.containment?.p50Ms).toBeLessThanOrEqual(prediction?.containment?.p99Ms ?? 0);
    expect(prediction?.seed).toBe('compromised-instance-multi-eni');
    const again = await runScenario(scenario, { playbooks, latency: { model: shipped, runs: 50 } });
    expect(again.latency?.containment).toEqual(prediction?.containment);
    expect(again.latency?.criticalPath.map((hop) => [hop.label, hop.endMs])).toEqual(prediction?.criticalPath.map((hop) => [hop.label, hop.endMs]));
    const other = await runScenario(scenario, { playbooks, latency: { model: shipped, runs: 50, seed: 'another' } });
    expect(other.latency?.containment).not.toEqual(prediction?.containment);
  });

  it('walks the critical path hop by hop: EventBridge, triage cold, StartExecution, guard cold, quarantine cold, the last ENI move', () => {
    const path = run.latency?.criticalPath ?? [];
    expect(path[0]?.kind).toBe('eventbridge');
    expect(path[0]?.startMs).toBe(0);
    for (const [index, hop] of path.entries()) if (index > 0) expect(hop.startMs).toBe(path[index - 1]?.endMs);
    const milestones = path
      .filter((hop) => hop.kind === 'cold-start' || hop.label.endsWith('states:StartExecution'))
      .map((hop) => hop.label);
    expect(milestones).toEqual([
      'triage: cold start (runtime)',
      'StartPlaybook: states:StartExecution',
      'containment-guard: cold start (runtime)',
      'quarantine-instance: cold start (runtime)',
    ]);
    expect(path.at(-1)?.label).toBe('quarantine-instance: ec2:ModifyNetworkInterfaceAttribute');
    expect(path.at(-1)?.endMs).toBe(run.latency?.containment?.p50Ms);
  });

  it('is off by default: a plain run traces nothing and predicts nothing', async () => {
    const plain = await runScenario(scenario, { playbooks });
    expect(plain.latency).toBeUndefined();
    expect(plain.executions.flatMap((execution) => execution.tasks).every((task) => task.trace === undefined)).toBe(true);
  });

  it('refuses a run count that is not a positive integer', () => {
    expect(() => predictLatency({ executions: [], definitionOf: () => undefined, groupNames: {} }, shipped, { runs: 0 })).toThrow(/positive integer/);
  });
});
