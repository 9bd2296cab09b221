/**
 * Predicted time to containment: the hops a scenario's run really took (executions, states entered,
 * task attempts, each Lambda's SDK calls and which of them waited for which), timed with the
 * latency model's figures, many times over with seeded draws. Each run of the prediction gives the
 * time from the finding's delivery on EventBridge to the last call that contained something (an ENI
 * in the isolation group, an access key deactivated, a role's older sessions revoked, an object
 * tagged infected: timeline.ts containedBy), and the chain of hops that led to it (the critical path); the game day reports their p50 and p99.
 *
 * What the prediction assumes, so that its figures can be read for what they are:
 * - every injected event reaches EventBridge at time 0 (a storm arrives at once);
 * - the scenario's logic does not depend on latency (the local run decides what happens; the model
 *   only times it), and nothing queues: no throttling, no concurrency limit;
 * - a Lambda execution environment serves one invocation at a time; a function starts cold when
 *   none of its environments is free (every function is cold at first: an incident after quiet),
 *   and a fresh environment's first request to each service pays the connection set-up;
 * - inside a handler, a call waits for every call of the same invocation that had completed when
 *   it started (calls started together run concurrently);
 * - a responder's own computation is not timed (milliseconds against network round trips).
 */
import type { AslDefinition, AslState } from '../../playbooks/compile';
import { LAMBDA_INVOKE_RESOURCE } from '../../playbooks/compile';
import type { ExecutionKind, ExecutionRecord, TaskInvocation } from '../engine';
import { nominalRetryDelayMs, retrierFor, SNS_PUBLISH_RESOURCE, SQS_SEND_MESSAGE_RESOURCE, START_EXECUTION_RESOURCE, WAIT_FOR_TASK_TOKEN_RESOURCE } from '../engine';
import { containedBy } from '../timeline';
import type { LatencyFigure, LatencyModel } from './model';
import { apiFigure, bundleInitFigure, percentile, sampleFigure, seededRandom } from './model';

export type HopKind =
  | 'eventbridge'
  | 'transition'
  | 'invoke'
  | 'cold-start'
  | 'bundle-init'
  | 'connection'
  | 'api-call'
  | 'integration'
  | 'retry-wait'
  | 'approval'
  | 'wait';

/** One timed step of the path, linked to the step it waited for. */
export interface Hop {
  readonly kind: HopKind;
  /** What happened, e.g. `quarantine-instance: ec2:ModifyNetworkInterfaceAttribute`. */
  readonly label: string;
  /** The execution it belongs to (its name). */
  readonly execution?: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly previous?: Hop;
}

/** What the prediction reads from a finished run. */
export interface PredictionInput {
  /** Every execution of the run (dispatcher and playbooks), in start order. */
  readonly executions: readonly ExecutionRecord[];
  /** Each state machine's deployed definition and kind. */
  readonly definitionOf: (stateMachineArn: string) => { readonly kind: ExecutionKind; readonly definition: AslDefinition } | undefined;
  /** Security-group id → name, after the run (to recognise the isolation group). */
  readonly groupNames: Readonly<Record<string, string>>;
}

/** One seeded timing of the run. */
export interface PredictedRun {
  /** Delivery → the last containing call, ms (undefined: nothing was contained). */
  readonly containmentMs?: number;
  /** Delivery → the last execution's end, ms. */
  readonly completionMs: number;
  /** The hops that led to containment (or, without one, to the last end), first to last. */
  readonly criticalPath: readonly Hop[];
}

/** The prediction over N seeded runs. */
export interface LatencyPrediction {
  readonly runs: number;
  readonly seed: string;
  readonly containment?: { readonly p50Ms: number; readonly p99Ms: number };
  readonly completion: { readonly p50Ms: number; readonly p99Ms: number };
  /** The critical path of the median run (by containment, else by completion). */
  readonly criticalPath: readonly Hop[];
}

interface Environment {
  busyUntil: number;
  readonly connected: Set<string>;
}

function hop(kind: HopKind, label: string, previous: Hop | undefined, startMs: number, durationMs: number, execution?: string): Hop {
  return { kind, label, startMs, endMs: startMs + durationMs, ...(previous ? { previous } : {}), ...(execution !== undefined ? { execution } : {}) };
}

function later(a: Hop, b: Hop): Hop {
  return b.endMs > a.endMs ? b : a;
}

/** All state names of a definition's top level (its branches are walked on their own). */
function stateNames(definition: AslDefinition): Set<string> {
  return new Set(Object.keys(definition.States));
}

/** Times one run of the prediction with draws from `random`. */
export function predictOnce(input: PredictionInput, model: LatencyModel, random: () => number): PredictedRun {
  const draw = (figure: LatencyFigure) => sampleFigure(figure, random);
  const pools = new Map<string, Environment[]>();
  const startedBy = new Map<string, Hop>();
  let containment: Hop | undefined;
  let lastEnd: Hop | undefined;

  /** A free environment of the function at `at`, or a new (cold) one. */
  const environmentFor = (responder: string, at: number): { environment: Environment; cold: boolean } => {
    const pool = pools.get(responder) ?? [];
    pools.set(responder, pool);
    const free = pool.find((candidate) => candidate.busyUntil <= at);
    if (free) return { environment: free, cold: false };
    const environment: Environment = { busyUntil: at, connected: new Set() };
    pool.push(environment);
    return { environment, cold: true };
  };

  /** The handler's SDK calls, each after the calls it waited for; returns the handler's last hop. */
  const timeCalls = (invocation: TaskInvocation, start: Hop, environment: Environment, execution: string): Hop => {
    const trace = invocation.trace;
    if (!trace) return start;
    const ends: Hop[] = [];
    let last = start;
    for (const [index, call] of trace.calls.entries()) {
      // The calls that had completed when this one started: it may have waited for any of them.
      let after = start;
      for (const done of trace.completed.slice(0, call.completedBefore)) {
        const end = ends[done];
        if (end) after = later(after, end);
      }
      const service = call.api.split(':')[0] ?? '';
      let previous = after;
      if (!environment.connected.has(service)) {
        environment.connected.add(service);
        previous = hop('connection', `${invocation.responder ?? invocation.state}: first request to ${service}`, previous, previous.endMs, draw(model.lambda.firstConnection), execution);
      }
      const attempts = call.attempts ?? 1;
      let duration = 0;
      for (let attempt = 0; attempt < attempts; attempt += 1) duration += draw(apiFigure(model, call.api));
      const label = `${invocation.responder ?? invocation.state}: ${call.api}${attempts > 1 ? ` (${attempts} attempts)` : ''}`;
      const done = hop('api-call', label, previous, previous.endMs, duration, execution);
      ends[index] = done;
      last = later(last, done);
      if (containedBy({ ...call, dryRun: call.input.DryRun === true }, input.groupNames)) {
        if (!containment || done.endMs > containment.endMs) containment = done;
      }
    }
    return last;
  };

  /** One attempt of a Task state, from `start`; returns its last hop. */
  const timeAttempt = (record: ExecutionRecord, state: AslState, invocation: TaskInvocation, start: Hop): Hop => {
    const execution = record.name;
    const resource = String(state.Resource);
    if (resource === LAMBDA_INVOKE_RESOURCE || resource === WAIT_FOR_TASK_TOKEN_RESOURCE) {
      const responder = invocation.responder ?? invocation.state;
      let at = hop('invoke', `${invocation.state}: invoke ${responder}`, start, start.endMs, draw(model.stepFunctions.lambdaInvoke), execution);
      const { environment, cold } = environmentFor(responder, at.endMs);
      if (cold) {
        at = hop('cold-start', `${responder}: cold start (runtime)`, at, at.endMs, draw(model.lambda.runtimeInit), execution);
        at = hop('bundle-init', `${responder}: bundle init`, at, at.endMs, draw(bundleInitFigure(model, responder)), execution);
      }
      let end = timeCalls(invocation, at, environment, execution);
      environment.busyUntil = end.endMs;
      if (resource === WAIT_FOR_TASK_TOKEN_RESOURCE) {
        const decision = invocation.approval;
        if (decision?.answer === 'timeout') {
          const seconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : 31_536_000;
          end = hop('approval', `${invocation.state}: nobody answers (timeout)`, end, end.endMs, seconds * 1000, execution);
        } else if (decision) {
          end = hop('approval', `${invocation.state}: ${decision.by} answers ${decision.answer}`, end, end.endMs, draw(model.approval), execution);
        }
      }
      return end;
    }
    if (resource === START_EXECUTION_RESOURCE) {
      const started = hop('integration', `${invocation.state}: states:StartExecution`, start, start.endMs, draw(apiFigure(model, 'states:StartExecution')), execution);
      const arn = (invocation.result as { ExecutionArn?: unknown } | undefined)?.ExecutionArn;
      if (typeof arn === 'string') startedBy.set(arn, started);
      return started;
    }
    const api = resource === SQS_SEND_MESSAGE_RESOURCE ? 'sqs:SendMessage' : resource === SNS_PUBLISH_RESOURCE ? 'sns:Publish' : resource;
    return hop('integration', `${invocation.state}: ${api}`, start, start.endMs, draw(apiFigure(model, api)), execution);
  };

  /** Walks the states of one definition level (a machine or a Parallel branch) as the execution entered them. */
  const walk = (record: ExecutionRecord, kind: ExecutionKind, definition: AslDefinition, start: Hop, attempts: Map<string, TaskInvocation[]>): Hop => {
    const names = stateNames(definition);
    const transition = kind === 'dispatcher' ? model.stepFunctions.express.transition : model.stepFunctions.standard.transition;
    let at = start;
    for (const name of record.path) {
      if (!names.has(name)) continue;
      const state = definition.States[name] as AslState;
      at = hop('transition', `${name} (${state.Type})`, at, at.endMs, draw(transition), record.name);
      if (state.Type === 'Task') {
        // This entry's attempts: up to the first that succeeded (a later entry of the same state takes the rest).
        const queue = attempts.get(name) ?? [];
        const mine: TaskInvocation[] = [];
        while (queue.length > 0) {
          const next = queue.shift() as TaskInvocation;
          mine.push(next);
          if (!next.error) break;
        }
        const retried = new Map<number, number>();
        for (const [index, invocation] of mine.entries()) {
          const failed = index > 0 ? mine[index - 1]?.error : undefined;
          if (failed) {
            const retrier = retrierFor(state, failed.name);
            const count = (retried.get(retrier) ?? 0) + 1;
            retried.set(retrier, count);
            const spec = (state.Retry as Record<string, unknown>[] | undefined)?.[retrier];
            if (spec) at = hop('retry-wait', `${name}: retry ${count} after ${failed.name}`, at, at.endMs, nominalRetryDelayMs(spec, count), record.name);
          }
          at = timeAttempt(record, state, invocation, at);
        }
      } else if (state.Type === 'Parallel') {
        const branches = (state.Branches as AslDefinition[]).map((branch) => walk(record, kind, branch, at, attempts));
        at = branches.reduce(later, at);
      } else if (state.Type === 'Wait' && typeof state.Seconds === 'number') {
        at = hop('wait', `${name}: wait ${state.Seconds} s`, at, at.endMs, state.Seconds * 1000, record.name);
      }
    }
    return at;
  };

  const timeExecution = (record: ExecutionRecord, start: Hop) => {
    const deployed = input.definitionOf(record.stateMachineArn);
    if (!deployed) return;
    const attempts = new Map<string, TaskInvocation[]>();
    for (const task of record.tasks) attempts.set(task.state, [...(attempts.get(task.state) ?? []), task]);
    const end = walk(record, deployed.kind, deployed.definition, start, attempts);
    lastEnd = lastEnd ? later(lastEnd, end) : end;
  };

  for (const record of input.executions.filter((candidate) => candidate.kind === 'dispatcher')) {
    timeExecution(record, hop('eventbridge', 'EventBridge delivers the finding to the dispatcher', undefined, 0, draw(model.eventBridge.delivery), record.name));
  }
  for (const record of input.executions.filter((candidate) => candidate.kind === 'playbook')) {
    const start = startedBy.get(record.executionArn) ?? hop('integration', `${record.name}: started directly`, undefined, 0, 0, record.name);
    timeExecution(record, start);
  }

  const target: Hop | undefined = containment ?? lastEnd;
  const path: Hop[] = [];
  for (let at = target; at; at = at.previous) path.unshift(at);
  const found = containment as Hop | undefined;
  return {
    ...(found ? { containmentMs: found.endMs } : {}),
    completionMs: lastEnd ? (lastEnd as Hop).endMs : 0,
    criticalPath: path,
  };
}

export interface PredictOptions {
  /** Seeded runs (default 200). */
  readonly runs?: number;
  /** Seed text (default `firebreak`): the same seed gives the same figures. */
  readonly seed?: string;
}

/** p50 and p99 of time to containment (and to completion) over N seeded runs, with the median run's critical path. */
export function predictLatency(input: PredictionInput, model: LatencyModel, options: PredictOptions = {}): LatencyPrediction {
  const runs = options.runs ?? 200;
  const seed = options.seed ?? 'firebreak';
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer (got ${runs})`);
  const results = Array.from({ length: runs }, (_, index) => predictOnce(input, model, seededRandom(`${seed}#${index}`)));
  const contained = results.flatMap((run) => (run.containmentMs !== undefined ? [run.containmentMs] : []));
  const completion = results.map((run) => run.completionMs);
  const byContainment = contained.length === results.length;
  const median = byContainment ? percentile(contained, 0.5) : percentile(completion, 0.5);
  const medianRun = results.find((run) => (byContainment ? run.containmentMs : run.completionMs) === median) ?? (results[0] as PredictedRun);
  return {
    runs,
    seed,
    ...(byContainment ? { containment: { p50Ms: percentile(contained, 0.5), p99Ms: percentile(contained, 0.99) } } : {}),
    completion: { p50Ms: percentile(completion, 0.5), p99Ms: percentile(completion, 0.99) },
    criticalPath: medianRun.criticalPath,
  };
}
