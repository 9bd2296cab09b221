/**
 * Runs a compiled definition with aws-local-stepfunctions, every Task stubbed: Lambda Tasks by the
 * responder their `${Fn_…}` placeholder names, other Tasks (SQS, StartExecution) by state name.
 * A `.waitForTaskToken` Lambda Task calls its responder stub (the approval request), then the
 * `answer` stub plays the person: what it returns is the SendTaskSuccess output (not wrapped in
 * `Payload`), what it throws is SendTaskFailure (or `States.Timeout`).
 * Retries do not wait (retryIntervalOverrides 0), so no test depends on time.
 */
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition } from '../../lib/playbooks/compile';
import { taskStates } from '../../lib/playbooks/compile';

export const EXECUTION_ARN = 'arn:aws:states:eu-west-1:999988887777:execution:firebreak-compromised-ec2:gd-1-rev';
export const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:999988887777:stateMachine:firebreak-compromised-ec2';
export const TASK_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAfake-task-token';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A stubbed responder: receives the Lambda payload, returns (or throws) like the handler would. */
export type ResponderStub = (payload: Record<string, unknown>) => unknown;
/** A stubbed non-Lambda Task: receives the Task's resolved Parameters. */
export type TaskStub = (parameters: Record<string, unknown>) => unknown;

export interface LocalRunOptions {
  /** Stubs by responder name (`quarantine-instance`, `publish-alert`, …). */
  readonly responders?: Readonly<Record<string, ResponderStub>>;
  /** Stubs by state name for Tasks that are not Lambda invocations. */
  readonly tasks?: Readonly<Record<string, TaskStub>>;
  /** The person answering a `.waitForTaskToken` Task: receives the payload sent, returns or throws the answer. */
  readonly answer?: ResponderStub;
}

export interface LocalRunOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** Every Lambda payload each responder received, in call order. */
  readonly calls: Record<string, Record<string, unknown>[]>;
  /** Parameters each non-Lambda Task state received, in call order. */
  readonly taskCalls: Record<string, Record<string, unknown>[]>;
  /** States entered, in order. */
  readonly path: string[];
}

function responderOf(placeholder: string): string {
  return placeholder.replace(/^Fn_/, '').replace(/_/g, '-');
}

// Validating a definition compiles JSON schemas: do it once per definition, not once per run.
const machines = new WeakMap<AslDefinition, StateMachine>();
function machineFor(definition: AslDefinition): StateMachine {
  let machine = machines.get(definition);
  if (!machine) {
    machine = new StateMachine(definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
    machines.set(definition, machine);
  }
  return machine;
}

/** Runs `definition` on `input` with a realistic context object. */
export async function runLocally(
  definition: AslDefinition,
  input: unknown,
  options: LocalRunOptions = {},
): Promise<LocalRunOutcome> {
  const calls: Record<string, Record<string, unknown>[]> = {};
  const taskCalls: Record<string, Record<string, unknown>[]> = {};
  const handlers: Record<string, (input: Json) => Promise<Json>> = {};
  const retries: Record<string, number> = {};

  for (const task of taskStates(definition)) {
    retries[task.state] = 0;
    if (task.functionPlaceholder) {
      const responder = responderOf(task.functionPlaceholder);
      const callback = task.resource.endsWith('.waitForTaskToken');
      handlers[task.state] = async (parameters) => {
        const payload = (parameters as { Payload: Record<string, unknown> }).Payload;
        (calls[responder] ??= []).push(payload);
        const stub = options.responders?.[responder];
        if (!stub) throw new Error(`no stub for responder ${responder} (state ${task.state})`);
        const returned = (await stub(payload)) as Json;
        if (callback) {
          // The function's return value is ignored: the task's result is the answer sent with the token.
          if (!options.answer) throw new Error(`no answer stub for the callback task ${task.state}`);
          return (await options.answer(payload)) as Json;
        }
        // The optimized Lambda integration wraps the function's return value in `Payload`.
        return { Payload: returned, StatusCode: 200 };
      };
    } else {
      handlers[task.state] = async (parameters) => {
        (taskCalls[task.state] ??= []).push(parameters as Record<string, unknown>);
        const stub = options.tasks?.[task.state];
        if (!stub) throw new Error(`no stub for task state ${task.state}`);
        return (await stub(parameters as Record<string, unknown>)) as Json;
      };
    }
  }

  const machine = machineFor(definition);
  const execution = machine.run(input as Json, {
    overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: retries },
    context: {
      Execution: {
        Id: EXECUTION_ARN,
        Name: 'gd-1-rev',
        Input: input as Json,
        // StartTime: aws-local-stepfunctions always sets it to the real start time.
      },
      StateMachine: { Id: STATE_MACHINE_ARN, Name: 'firebreak-compromised-ec2' },
      // Step Functions sets $$.Task.Token in callback tasks; one token for the whole run is enough here.
      Task: { Token: TASK_TOKEN },
    },
  });

  const path: string[] = [];
  const collectPath = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') path.push(event.state.name);
    }
  })();

  try {
    const output = await execution.result;
    await collectPath;
    return { status: 'SUCCEEDED', output, calls, taskCalls, path };
  } catch (error) {
    await collectPath;
    if (!(error instanceof ExecutionError)) throw error;
    const cause = error.cause as Error;
    return { status: 'FAILED', error: cause.name, cause: cause.message, calls, taskCalls, path };
  }
}

/** An Error with a given name, as a responder (or the SDK integration) would raise it. */
export function namedError(name: string, message = `${name} raised by a stub`): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
