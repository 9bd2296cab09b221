/**
 * The playbook compiler: turns a validated `Playbook` into an Amazon States Language definition
 * for its own Standard state machine. Pure: no CDK, no AWS SDK; the stack and the local game-day
 * engine both run exactly what this returns.
 *
 * Shape of a compiled playbook (JSONPath only: the local engine, aws-local-stepfunctions, supports
 * neither JSONata nor `Assign`):
 * - execution input `{ incident, mode, playbook, decision? }` (what the dispatcher starts it with);
 * - each action step is a Task on the optimized Lambda integration whose `FunctionName` is a
 *   `${Fn_<responder>}` definition substitution, and whose result lands in `$.results.<stepId>.result`;
 * - `parallel:` becomes a Parallel state; its ResultSelector folds the branch outputs (an array)
 *   back into `$.results` keyed by step id, so the steps after it see every earlier result;
 * - every Task retries the responders' transient errors with backoff and catches everything else:
 *   a failure alert (publish-alert, kind `failure`) then a Fail state, so the execution ends FAILED.
 *
 * Cost (https://aws.amazon.com/step-functions/pricing/): Standard workflows bill per state
 * transition, retries included. The happy path therefore uses no Pass/Choice glue: one transition
 * per step (plus one per Parallel), and the failure path's states only run when a step fails.
 */
import { TRANSIENT_ERROR_NAMES } from '../responders/errors';
import { ACTIONS } from './actions';
import type { ActionStep, ParallelStep, Playbook, Step } from './model';

/** One ASL state, as emitted (JSONPath fields only). */
export type AslState = { readonly Type: string } & Readonly<Record<string, unknown>>;

/** An ASL state machine (or Parallel branch) definition. */
export interface AslDefinition {
  readonly Comment?: string;
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
  readonly TimeoutSeconds?: number;
}

/** What the compiler hands to the stack: the definition and the substitution names it uses. */
export interface CompiledStateMachine {
  readonly definition: AslDefinition;
  /** `${…}` placeholders the definition uses, e.g. `Fn_quarantine_instance`; the stack maps each to an ARN. */
  readonly substitutions: readonly string[];
}

/** A playbook that cannot become a valid state machine (names too long or clashing, unsafe options). */
export class PlaybookCompileError extends Error {
  override readonly name = 'PlaybookCompileError';
  constructor(
    message: string,
    readonly playbook: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The optimized Lambda integration: its result wraps the function's return value in `Payload`. */
export const LAMBDA_INVOKE_RESOURCE = 'arn:aws:states:::lambda:invoke';

/** Retry policy on the responders' transient errors (throttling, 5xx, Lambda service hiccups). */
export const TRANSIENT_RETRY = {
  ErrorEquals: [...TRANSIENT_ERROR_NAMES],
  IntervalSeconds: 2,
  BackoffRate: 2,
  MaxAttempts: 4,
  // FULL jitter spreads the retries of a finding storm instead of letting them hit EC2 in lockstep
  // (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#retrier-jitter).
  JitterStrategy: 'FULL',
} as const;

/** The responder every playbook uses for its failure alerts, whether or not it has a notify step. */
export const ALERT_RESPONDER = 'publish-alert';

/** The Fail state every top-level failure alert leads to. */
export const PLAYBOOK_FAILED_STATE = 'playbook-failed';

/** ASL limits state names to 80 characters (https://states-language.net/spec.html#states-fields). */
const MAX_STATE_NAME_LENGTH = 80;
const STEP_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** The definition-substitution name of a responder's function ARN: `publish-alert` → `Fn_publish_alert`. */
export function functionPlaceholder(responder: string): string {
  return `Fn_${responder.replace(/[^A-Za-z0-9]/g, '_')}`;
}

/** The state that alerts a failure of `stepId`. */
export function failureAlertStateName(stepId: string): string {
  return `${stepId}-failure-alert`;
}

/** The Fail state that ends a Parallel branch after its failure alert. */
export function branchFailedStateName(stepId: string): string {
  return `${stepId}-failed`;
}

/** Context object fields every responder receives, for its logs and the alert's links. */
function executionContext(playbook: string): Record<string, string> {
  return {
    'executionArn.$': '$$.Execution.Id',
    'executionName.$': '$$.Execution.Name',
    playbook,
    'stateMachineArn.$': '$$.StateMachine.Id',
  };
}

/**
 * The results so far, unwrapped to `Record<stepId, ResponderResult>`. Built statically from the
 * ids the compiler knows have run: a JSONPath to a step that has not run would be a runtime error.
 */
function resultsSoFar(available: readonly string[]): Record<string, string> {
  return Object.fromEntries(available.map((id) => [`${id}.$`, `$.results.${id}.result`]));
}

/** Options come from YAML: a key ending in `.$` would be evaluated as a JSONPath by Step Functions. */
function assertLiteralOptions(value: unknown, where: string, playbook: string): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => assertLiteralOptions(item, `${where}[${index}]`, playbook));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key.endsWith('.$')) {
        throw new PlaybookCompileError(
          `${where}.${key}: option keys may not end in ".$" (Step Functions would read the value as a JSONPath)`,
          playbook,
        );
      }
      assertLiteralOptions(inner, `${where}.${key}`, playbook);
    }
  }
}

class PlaybookCompiler {
  private readonly stateNames = new Set<string>();
  private readonly responders = new Set<string>([ALERT_RESPONDER]);

  constructor(private readonly playbook: Playbook) {}

  compile(): CompiledStateMachine {
    const { playbook } = this;
    if (playbook.steps.length === 0) {
      throw new PlaybookCompileError(`playbook "${playbook.name}" has no steps`, playbook.name);
    }
    const states: Record<string, AslState> = {};
    const { startAt } = this.compileSequence(playbook.steps, states, [], { inBranch: false });
    this.claim(PLAYBOOK_FAILED_STATE);
    states[PLAYBOOK_FAILED_STATE] = failWithCaughtError();
    const firstLine = playbook.description.split('\n')[0]?.trim() ?? '';
    return {
      definition: {
        Comment: `Firebreak playbook ${playbook.name}${firstLine ? `: ${firstLine}` : ''}`,
        StartAt: startAt,
        States: states,
      },
      substitutions: [...this.responders].sort().map(functionPlaceholder),
    };
  }

  /** Compiles steps in order into `states`; returns the first state and the result ids available after. */
  private compileSequence(
    steps: readonly Step[],
    states: Record<string, AslState>,
    available: readonly string[],
    scope: { inBranch: boolean },
  ): { startAt: string; available: string[] } {
    let current = [...available];
    steps.forEach((step, index) => {
      const next = steps[index + 1]?.id;
      current =
        step.kind === 'action'
          ? this.compileAction(step, next, states, current, scope)
          : this.compileParallel(step, next, states, current);
    });
    const first = steps[0];
    if (!first) throw new PlaybookCompileError(`an empty step list in "${this.playbook.name}"`, this.playbook.name);
    return { startAt: first.id, available: current };
  }

  private compileAction(
    step: ActionStep,
    next: string | undefined,
    states: Record<string, AslState>,
    available: readonly string[],
    scope: { inBranch: boolean },
  ): string[] {
    const { playbook } = this;
    this.checkStepId(step);
    assertLiteralOptions(step.with, `steps.${step.id}.with`, playbook.name);
    const responder = ACTIONS[step.action].responder;
    this.responders.add(responder);
    this.claim(step.id);

    const payload: Record<string, unknown> = {
      'incident.$': '$.incident',
      'mode.$': '$.mode',
      options: step.with,
      execution: executionContext(playbook.name),
    };
    if (responder === ALERT_RESPONDER) {
      // The report alert says what every earlier step did or would have done.
      Object.assign(payload, { kind: 'report', playbook: playbook.name, results: resultsSoFar(available) });
    }

    const alertState = failureAlertStateName(step.id);
    const failState = scope.inBranch ? branchFailedStateName(step.id) : PLAYBOOK_FAILED_STATE;
    states[step.id] = {
      Type: 'Task',
      Comment: `${step.action}: ${ACTIONS[step.action].description}`,
      Resource: LAMBDA_INVOKE_RESOURCE,
      Parameters: { FunctionName: `\${${functionPlaceholder(responder)}}`, Payload: payload },
      ResultSelector: { 'result.$': '$.Payload' },
      ResultPath: `$.results.${step.id}`,
      Retry: [TRANSIENT_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: alertState }],
      ...(next ? { Next: next } : { End: true }),
    };

    this.claim(alertState);
    states[alertState] = {
      Type: 'Task',
      Comment: `Alert that step ${step.id} failed for good, with the incident and the error.`,
      Resource: LAMBDA_INVOKE_RESOURCE,
      Parameters: {
        FunctionName: `\${${functionPlaceholder(ALERT_RESPONDER)}}`,
        Payload: {
          kind: 'failure',
          'incident.$': '$.incident',
          'mode.$': '$.mode',
          playbook: playbook.name,
          options: {},
          execution: executionContext(playbook.name),
          results: resultsSoFar(available),
          failure: { step: step.id, 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause' },
        },
      },
      // The execution fails either way; the alert's own result is not worth keeping.
      ResultPath: null,
      Retry: [TRANSIENT_RETRY],
      // If even the alert fails, still end FAILED with the step's error (the history keeps both).
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.alertFailure', Next: failState }],
      Next: failState,
    };

    if (scope.inBranch) {
      // A branch cannot jump to a state outside it: it fails itself, which fails the Parallel state
      // and the execution with the same error (no second alert: this one already went out).
      this.claim(failState);
      states[failState] = failWithCaughtError();
    }
    return [...available, step.id];
  }

  private compileParallel(
    step: ParallelStep,
    next: string | undefined,
    states: Record<string, AslState>,
    available: readonly string[],
  ): string[] {
    this.checkStepId(step);
    if (step.branches.length === 0) {
      throw new PlaybookCompileError(`steps.${step.id}: a parallel group needs at least one branch`, this.playbook.name);
    }
    this.claim(step.id);
    const branches: AslDefinition[] = [];
    // Each branch starts from the Parallel state's input (the results so far) and adds its own.
    const selector: Record<string, string> = Object.fromEntries(
      available.map((id) => [`${id}.$`, `$[0].results.${id}`]),
    );
    step.branches.forEach((branch, index) => {
      const branchStates: Record<string, AslState> = {};
      const compiled = this.compileSequence([branch], branchStates, available, { inBranch: true });
      branches.push({ StartAt: compiled.startAt, States: branchStates });
      for (const id of compiled.available.slice(available.length)) selector[`${id}.$`] = `$[${index}].results.${id}`;
    });
    states[step.id] = {
      Type: 'Parallel',
      Comment: 'Independent steps run side by side: containment never waits for evidence or alerting.',
      Branches: branches,
      // A Parallel state outputs one array entry per branch; fold them back into $.results by step id.
      ResultSelector: selector,
      ResultPath: '$.results',
      ...(next ? { Next: next } : { End: true }),
    };
    return Object.keys(selector).map((key) => key.slice(0, -2));
  }

  private checkStepId(step: Step): void {
    if (!STEP_ID_PATTERN.test(step.id)) {
      throw new PlaybookCompileError(
        `step id "${step.id}" may only contain letters, digits, "-" and "_" (it becomes a state name and a JSONPath key)`,
        this.playbook.name,
      );
    }
  }

  private claim(stateName: string): void {
    if (stateName.length > MAX_STATE_NAME_LENGTH) {
      throw new PlaybookCompileError(
        `state name "${stateName}" is longer than ${MAX_STATE_NAME_LENGTH} characters: shorten the step id`,
        this.playbook.name,
      );
    }
    if (this.stateNames.has(stateName)) {
      throw new PlaybookCompileError(
        `state name "${stateName}" is used twice: step ids must be unique across the playbook and may not end in "-failure-alert" or "-failed"`,
        this.playbook.name,
      );
    }
    this.stateNames.add(stateName);
  }
}

/** Ends the execution with the error a Catch stored in `$.failure`. */
function failWithCaughtError(): AslState {
  return {
    Type: 'Fail',
    Comment: 'The failure has been alerted; the execution ends FAILED with the original error.',
    ErrorPath: '$.failure.Error',
    CausePath: '$.failure.Cause',
  };
}

/** Compiles one playbook into its Standard state machine definition. */
export function compilePlaybook(playbook: Playbook): CompiledStateMachine {
  return new PlaybookCompiler(playbook).compile();
}

/**
 * Replaces `${Name}` placeholders as CloudFormation does with `DefinitionSubstitutions`; for the
 * local engine and tests. Unknown placeholders are left untouched, as CloudFormation leaves them.
 */
export function applySubstitutions(definition: string, values: Readonly<Record<string, string>>): string {
  return definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (placeholder, name: string) =>
    Object.hasOwn(values, name) ? (values[name] as string) : placeholder,
  );
}

/** A Task state of a definition (branches included) and the resource or function placeholder it calls. */
export interface TaskStateReference {
  readonly state: string;
  readonly resource: string;
  /** For Lambda Tasks: the `${…}` placeholder name of `FunctionName` (e.g. `Fn_publish_alert`). */
  readonly functionPlaceholder?: string;
}

/**
 * Every Task state of a definition, Parallel branches included. The local engine overrides Tasks by
 * state name; this tells it which responder (or service integration) each state calls.
 */
export function taskStates(definition: AslDefinition): TaskStateReference[] {
  return Object.entries(definition.States).flatMap(([state, body]): TaskStateReference[] => {
    if (body.Type === 'Parallel') {
      return (body.Branches as readonly AslDefinition[]).flatMap(taskStates);
    }
    if (body.Type !== 'Task') return [];
    const resource = String(body.Resource);
    const parameters = body.Parameters as Record<string, unknown> | undefined;
    const functionName = parameters?.FunctionName;
    const placeholder = typeof functionName === 'string' ? /^\$\{([A-Za-z0-9_]+)\}$/.exec(functionName)?.[1] : undefined;
    return [{ state, resource, ...(placeholder ? { functionPlaceholder: placeholder } : {}) }];
  });
}
