/**
 * Records, for the latency model, which AWS calls a Lambda task made and which of them it waited
 * for: each call notes how many of the task's calls had already completed when it started. Calls a
 * responder makes concurrently (Promise.all) all start before any completes; a call made after
 * awaiting another starts after it. The prediction (predict.ts) turns that order into time.
 *
 * Only a run that asks for it is traced (the engine's `traceCalls`): the middleware does nothing
 * outside a traced task.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { SERVICE_BY_CLIENT } from '../sim/wire';

/** One SDK call a traced task made. */
export interface TracedCall {
  /** `ec2:ModifyNetworkInterfaceAttribute`. */
  readonly api: string;
  /** How many of the task's calls had completed when this one started (its possible causes). */
  readonly completedBefore: number;
  /** The command input (not copied: read only for the isolation check). */
  readonly input: Readonly<Record<string, unknown>>;
  outcome?: 'ok' | 'error';
  /** SDK attempts (retries included). */
  attempts?: number;
}

/** The calls of one task invocation: in start order, and the order they completed in. */
export interface CallTrace {
  readonly calls: TracedCall[];
  /** Indexes into `calls`, in completion order. */
  readonly completed: number[];
}

const current = new AsyncLocalStorage<CallTrace>();

/** Runs `work` (a responder's handler) with its SDK calls traced into a new trace. */
export async function traceCalls<T>(work: () => Promise<T>): Promise<{ readonly trace: CallTrace; readonly result: Promise<T> }> {
  const trace: CallTrace = { calls: [], completed: [] };
  const result = current.run(trace, work);
  // Settle either way before returning, so the trace is complete whatever the outcome.
  await result.then(
    () => undefined,
    () => undefined,
  );
  return { trace, result };
}


/** What the SDK's middleware sees of a command. */
export interface MiddlewareContext {
  readonly clientName?: string;
  readonly commandName?: string;
}
interface TracedOutput {
  readonly output?: { readonly $metadata?: { readonly attempts?: number } };
}
type Next = (args: { input: object }) => Promise<TracedOutput>;
/** An SDK v3 client, as far as adding an outermost middleware goes. */
export interface MiddlewareClient {
  readonly middlewareStack: {
    add(middleware: (next: Next, context: MiddlewareContext) => (args: { input: object }) => Promise<TracedOutput>, options: { step: 'initialize'; priority: 'high'; name: string }): void;
  };
}

const traced = new WeakSet<object>();

/** True for an SDK client a middleware can be added to. */
export function isMiddlewareClient(value: unknown): value is MiddlewareClient {
  return typeof value === 'object' && value !== null && typeof (value as { middlewareStack?: { add?: unknown } }).middlewareStack?.add === 'function';
}

/** `ec2:DescribeInstances`: the API of a command, from the SDK's middleware context. */
export function apiOfCommand(context: MiddlewareContext): string {
  const service = SERVICE_BY_CLIENT[context.clientName ?? ''] ?? (context.clientName ?? 'unknown').replace(/Client$/, '').toLowerCase();
  return `${service}:${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
}

/** Adds the tracing middleware to an SDK client (once per client). */
export function traceClient<C>(client: C): C {
  if (!isMiddlewareClient(client) || traced.has(client)) return client;
  traced.add(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const trace = current.getStore();
      if (!trace) return next(args);
      const call: TracedCall = {
        api: apiOfCommand(context),
        completedBefore: trace.completed.length,
        input: args.input as Record<string, unknown>,
      };
      const index = trace.calls.push(call) - 1;
      try {
        const answer = await next(args);
        call.outcome = 'ok';
        call.attempts = answer.output?.$metadata?.attempts ?? 1;
        return answer;
      } catch (error) {
        call.outcome = 'error';
        call.attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
        throw error;
      } finally {
        trace.completed.push(index);
      }
    },
    // Outermost: one traced call per send(), whatever the SDK retries inside it.
    { step: 'initialize', priority: 'high', name: 'firebreakLatencyTrace' },
  );
  return client;
}

/**
 * The same client factory, every client it makes passed through `decorate` (a middleware added).
 * Generic over the factory's shape: each method's result (a client, or a promise of one) is decorated.
 */
export function decoratedClientFactory<F extends object>(factory: F, decorate: <C>(client: C) => C): F {
  return new Proxy(factory, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const made = (value as (...parameters: unknown[]) => unknown).apply(target, args);
        return made instanceof Promise ? made.then(decorate) : decorate(made);
      };
    },
  });
}

/** The same client factory, every client it makes traced. */
export function tracedClientFactory<F extends object>(factory: F): F {
  return decoratedClientFactory(factory, traceClient);
}
