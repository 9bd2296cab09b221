/**
 * The pace of a default game day: the simulated clock moves by the latency model's median of each
 * hop the run takes (no draw, no randomness, no real waiting), so that the times the steps record,
 * the incident report's phases and the timeline read like a deployment's instead of 0 ms apart.
 *
 * What moves the clock, and by how much (each the figure's p50 in lib/gameday/latency/model.json):
 * - EventBridge delivering an event to the dispatcher: `eventBridge.delivery`;
 * - each Task state entered (attempts included): one state transition of its machine's kind
 *   (`stepFunctions.express` for the dispatcher, `standard` for playbooks);
 * - a Lambda task: the integration's overhead (`stepFunctions.lambdaInvoke`), and on a function's
 *   first invocation in the run its cold start (`lambda.runtimeInit` + its `lambda.bundleInit`);
 * - every AWS call a responder makes: its `api` figure, before the call reaches the simulated
 *   service (its effect is seen at the end of the round trip), once more per SDK retry;
 * - a person answering an approval request: `approval`.
 *
 * The paced clock is the one simulated clock: hops of executions that run side by side (a storm, a
 * sequence's per-instance executions) add up one after the other, so their paced times are an upper
 * bound. `--latency` models the concurrency, the tails and the first connection per service (a
 * seeded p50/p99 prediction, lib/gameday/latency/predict.ts); the pace does not.
 */
import type { LatencyModel } from './model';
import { apiFigure, bundleInitFigure } from './model';
import { apiOfCommand, decoratedClientFactory, isMiddlewareClient } from './trace';

/** The deterministic figure (ms) of each hop the engine paces. */
export interface Pace {
  /** EventBridge: the event on the bus → the dispatcher started. */
  readonly eventDeliveryMs: number;
  /** One state transition of the Express dispatcher. */
  readonly expressTransitionMs: number;
  /** One state transition of a Standard playbook. */
  readonly standardTransitionMs: number;
  /** The Lambda integration's overhead (Task state → handler running, warm). */
  readonly lambdaInvokeMs: number;
  /** A function's cold start: the runtime, then its bundle. */
  coldStartMs(responder: string): number;
  /** One attempt of an AWS call (`ec2:ModifyNetworkInterfaceAttribute`). */
  apiMs(api: string): number;
  /** A person answering an approval request. */
  readonly approvalMs: number;
}

/** The pace of a model: every hop at its median. */
export function medianPace(model: LatencyModel): Pace {
  return {
    eventDeliveryMs: model.eventBridge.delivery.p50Ms,
    expressTransitionMs: model.stepFunctions.express.transition.p50Ms,
    standardTransitionMs: model.stepFunctions.standard.transition.p50Ms,
    lambdaInvokeMs: model.stepFunctions.lambdaInvoke.p50Ms,
    coldStartMs: (responder) => model.lambda.runtimeInit.p50Ms + bundleInitFigure(model, responder).p50Ms,
    apiMs: (api) => apiFigure(model, api).p50Ms,
    approvalMs: model.approval.p50Ms,
  };
}

const paced = new WeakSet<object>();

/** Adds the pacing middleware to an SDK client (once per client): `advance` moves the simulated clock. */
export function paceClient<C>(client: C, pace: Pace, advance: (ms: number) => void): C {
  if (!isMiddlewareClient(client) || paced.has(client)) return client;
  paced.add(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const each = pace.apiMs(apiOfCommand(context));
      advance(each);
      const extra = (attempts: number | undefined) => advance(each * Math.max(0, (attempts ?? 1) - 1));
      try {
        const answer = await next(args);
        extra(answer.output?.$metadata?.attempts);
        return answer;
      } catch (error) {
        extra((error as { $metadata?: { attempts?: number } }).$metadata?.attempts);
        throw error;
      }
    },
    // Outermost: one round trip per send(), each SDK retry another (counted from $metadata.attempts).
    { step: 'initialize', priority: 'high', name: 'firebreakPace' },
  );
  return client;
}

/** The same client factory, every client it makes paced (a client, or a promise of one). */
export function pacedClientFactory<F extends object>(factory: F, pace: Pace, advance: (ms: number) => void): F {
  return decoratedClientFactory(factory, (client) => paceClient(client, pace, advance));
}
