/**
 * A responder's Lambda function that runs out of time, rehearsed (a scenario's `functionTimeouts`).
 * At the first call of `hangsAt` an invocation makes, the call never answers, as a call to an
 * endpoint that stops responding; Lambda stops the function at its timeout and the state machine
 * sees the function error `Sandbox.Timedout`
 * (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html#troubleshooting-timeouts).
 * Nothing the invocation would have done after that call reaches the account: its later calls
 * never answer either, as Lambda has stopped it. Calls already answered stay done: a timed-out
 * function leaves whatever it changed so far, and no handler code runs to undo it.
 *
 * The calls are cut in the clients' middleware, for the invocation that runs in this module's
 * context (AsyncLocalStorage), so calls of other invocations of the same function go through.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { apiOfCommand, isMiddlewareClient } from './latency/trace';
import { matchesAction } from './sim/permissions';

/** One rehearsed timeout: the responder, the call it hangs at, how many of its invocations die so. */
export interface FunctionTimeoutRule {
  readonly responder: string;
  /** The API, IAM style (`ec2:AssociateIamInstanceProfile`; wildcards allowed). */
  readonly hangsAt: string;
  /** How many invocations die at that call (default 1). */
  readonly times?: number;
}

/** The error name Lambda gives a function stopped at its timeout; the state machine sees it as the task's error. */
export const FUNCTION_TIMEOUT_ERROR = 'Sandbox.Timedout';

interface Invocation {
  readonly hangsAt: string;
  dead: boolean;
  readonly die: () => void;
}

const current = new AsyncLocalStorage<Invocation>();
const cut = new WeakSet<object>();

/** A promise that never settles: a call nobody answers. */
const NEVER = new Promise<never>(() => undefined);

/** The clock the engine moves (the backend's). */
export interface TimeoutClock {
  now(): Date;
  advance(ms: number): void;
}

/** The rules of one run, with the count each has left. */
export class FunctionTimeouts {
  private readonly rules: { readonly rule: FunctionTimeoutRule; remaining: number }[];

  constructor(
    rules: readonly FunctionTimeoutRule[],
    /** The function's timeout as deployed (the synthesized template), in seconds. */
    private readonly timeoutSecondsOf: (responder: string) => number,
    private readonly clock: TimeoutClock,
  ) {
    this.rules = rules.map((rule) => ({ rule, remaining: rule.times ?? 1 }));
  }

  /** True when some invocation of `responder` may still die (its clients need the middleware). */
  names(responder: string | undefined): boolean {
    return responder !== undefined && this.rules.some(({ rule }) => rule.responder === responder);
  }

  /**
   * Runs one invocation of `responder` (started at `startedAt` on the simulated clock). When a rule
   * with invocations left applies and the invocation reaches its call, the clock runs to the
   * function's timeout and the invocation fails with `Sandbox.Timedout`, whatever the handler was
   * still waiting for.
   */
  async run<T>(responder: string, startedAt: Date, work: () => Promise<T>): Promise<T> {
    const entry = this.rules.find(({ rule, remaining }) => rule.responder === responder && remaining > 0);
    if (entry === undefined) return work();
    let died!: () => void;
    const death = new Promise<'died'>((resolve) => {
      died = () => resolve('died');
    });
    const invocation: Invocation = {
      hangsAt: entry.rule.hangsAt,
      dead: false,
      die: () => {
        if (invocation.dead) return;
        invocation.dead = true;
        died();
      },
    };
    const running = current.run(invocation, work);
    const outcome = await Promise.race([
      running.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      death,
    ]);
    if (outcome !== 'died') {
      if ('error' in outcome) throw outcome.error;
      return outcome.value;
    }
    entry.remaining -= 1;
    const timeoutSeconds = this.timeoutSecondsOf(responder);
    const deadline = startedAt.getTime() + timeoutSeconds * 1000;
    const late = deadline - this.clock.now().getTime();
    if (late > 0) this.clock.advance(late);
    const error = new Error(`Task timed out after ${timeoutSeconds.toFixed(2)} seconds (game day: ${entry.rule.hangsAt} never answered)`);
    error.name = FUNCTION_TIMEOUT_ERROR;
    throw error;
  }

  /** Adds the middleware that cuts an invocation's calls once it reaches its rule's call (once per client). */
  cutOff<C>(client: C): C {
    if (!isMiddlewareClient(client) || cut.has(client)) return client;
    cut.add(client);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const invocation = current.getStore();
        if (invocation === undefined) return next(args);
        if (!invocation.dead && !matchesAction(invocation.hangsAt, apiOfCommand(context))) return next(args);
        invocation.die();
        return NEVER;
      },
      // Outermost: the call never reaches the SDK's retries or the account.
      { step: 'initialize', priority: 'high', name: 'firebreakFunctionTimeout' },
    );
    return client;
  }
}
