/**
 * The local game-day engine: the state machines the CDK app synthesizes (the Express dispatcher and
 * one Standard machine per playbook), run with aws-local-stepfunctions, with every Lambda Task
 * answered by the real responder handler over the game day's SDK clients.
 *
 * What the engine plays, so that the definitions behave as deployed:
 * - Step Functions itself: deterministic execution names, `StartExecution` refusing a name already
 *   used by the state machine (the dispatcher's Catch sees `StepFunctions.ExecutionAlreadyExistsException`,
 *   as from the service integration: https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html),
 *   the context object (`$$.Execution.Id/Name`, `$$.StateMachine.Id/Name`, `$$.Task.Token`), task tokens;
 * - the Lambda service: the optimized integration's `{ ExecutedVersion, Payload, StatusCode }` and, for a
 *   function error, the error name with a JSON `{ errorType, errorMessage, trace }` cause
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html);
 * - SQS, SNS and DynamoDB (UpdateItem) integrations: sent through the game day's SDK clients (so they reach the simulated
 *   account, its faults and its call log), errors named `SQS.<Code>Exception` / `SNS.<Code>Exception` / `DynamoDB.<Code>`.
 * - the 256 KiB payload limit (lib/contracts/payload-size.ts): StartExecution refuses an input over
 *   it (ValidationException: nothing starts, and EventBridge keeps the event in the rule target's
 *   dead-letter queue); a task's input (after Parameters) or result, or a state's output over it
 *   fails the execution with `States.DataLimitExceeded`, which no Retry or Catch on `States.ALL`
 *   handles, as in the service.
 * Retries do not sleep (retryIntervalOverrides 0) but each one is recorded, and the backend's clock
 * moves by the retrier's nominal interval (before jitter), so simulated times read like the real ones.
 * - a Parallel state whose branch fails stops its other branches: "If any branch fails, because of an
 *   unhandled error or by transitioning to a Fail state, the entire Parallel state fails and all of
 *   its branches are stopped" (https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html).
 *   A task already running finishes (a Lambda invocation is not interrupted), but no retry and no
 *   later state of a stopped branch runs. aws-local-stepfunctions aborts the other branches too, yet
 *   its abort ends a Retry's wait at once and runs the retry; the engine refuses such an attempt.
 */
import { callerProof } from '../operator/caller-proof';
import { CALLER_PROOF_HEADER } from '../responders/caller-proof';
import { LocalCallerProofs } from './caller-proofs';
import { createHash } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition, AslState } from '../playbooks/compile';
import { applySubstitutions, functionPlaceholder, LAMBDA_INVOKE_RESOURCE, taskStates } from '../playbooks/compile';
import { DESCRIBE_EXECUTION_RESOURCE, START_EXECUTION_SYNC_RESOURCE, executionArnPrefixPlaceholder } from '../playbooks/compile-per-instance';
import { DYNAMODB_UPDATE_ITEM_RESOURCE, INVALID_EVENT_QUEUE_PLACEHOLDER, STATE_TABLE_PLACEHOLDER, stateMachinePlaceholder } from '../playbooks/dispatcher';
import type { SynthesizedDefinitions } from '../stack/app';
import type { DescribedExecution, GameDayBackend, ResolvedEnvironment, ScheduledTask } from './backend';
import type { TaskTokenAnswer, TaskTokenVerdict } from './sim';
import { wallClockMs } from './backend';
import { jsonCopy, sameJsonText } from './json-copy';
import { PayloadBounds } from './payload-bounds';
import { APPROVAL_ROLE, DISPATCHER_MACHINE, DISPATCHER_ROLE, PAUSE_CONTROL_ROLE, localFunctionArn, localStateMachineArn, playbookMachineName, playbookRole, responderRole } from './deployment';
import type { LocalHandler } from './responders';
import { buildLocalResponder, LOCAL_RESPONDERS } from './responders';
import type { SettingsDocument } from './scenario';
import { SECURITY_ENV } from '../contracts/security';
import { LAMBDA_FUNCTION_NAME_ENV } from '../responders/alert-origin';
import { DynamoDbApprovalStore, approvalRequestId } from '../responders/approval-records';
import type { ApprovalExecutions, ApprovalResponse } from '../responders/approval';
import { answerApproval, readApprovalConfig } from '../responders/approval';
import { carriesToken } from '../responders/approval-tasks';
import { silentLogger } from '../responders/logging';
import type { PauseResponse } from '../responders/pause-control';
import { DynamoDbPauseSwitch, SnsPauseAnnouncer, createPauseControlHandler, operationsTopicArnFromEnv } from '../responders/pause-control';
import { RESPONDER_NAMES } from '../contracts/responders';
import type { CallTrace } from './latency/trace';
import { decoratedClientFactory, traceCalls, tracedClientFactory } from './latency/trace';
import type { FunctionTimeoutRule } from './function-timeouts';
import { FunctionTimeouts } from './function-timeouts';
import type { Pace } from './latency/pace';
import { pacedClientFactory } from './latency/pace';
import { FirebreakError } from '../contracts/errors';
import { DEPLOYMENT_ENV, INSTANCE_REGIONS_ENV } from '../contracts/environment';
import { DATA_LIMIT_EXCEEDED_ERROR, STATES_PAYLOAD_LIMIT_BYTES, payloadBytesOver } from '../contracts/payload-size';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const WAIT_FOR_TASK_TOKEN_RESOURCE = `${LAMBDA_INVOKE_RESOURCE}.waitForTaskToken`;
export const START_EXECUTION_RESOURCE = 'arn:aws:states:::states:startExecution';
export { START_EXECUTION_SYNC_RESOURCE };
export const SQS_SEND_MESSAGE_RESOURCE = 'arn:aws:states:::sqs:sendMessage';
export const SNS_PUBLISH_RESOURCE = 'arn:aws:states:::sns:publish';

/** Error names the engine raises in state machines, as Step Functions would. */
export const ENGINE_ERRORS = {
  executionAlreadyExists: 'StepFunctions.ExecutionAlreadyExistsException',
  timeout: 'States.Timeout',
  unsupportedTask: 'Firebreak.UnsupportedLocalTask',
  dataLimitExceeded: DATA_LIMIT_EXCEEDED_ERROR,
  /** StartExecution's answer to an input over 256 KiB: refused, nothing starts (its length constraint, in UTF-8 bytes). */
  inputTooLarge: 'ValidationException',
  /**
   * A held approval given up because the run was cut short (LocalEngine.stop), or a task given up
   * because the scenario ran past its wall-time bound (LocalEngine.abort); never seen in AWS.
   */
  stopped: 'Firebreak.GameDayStopped',
  /**
   * A task attempt (a Retry, or the next state) refused because a sibling branch of its Parallel
   * state has failed: Step Functions stops every other branch then, and nothing more runs in them.
   * Never seen in AWS (the attempt simply never starts); kept out of the execution's path and events.
   */
  branchStopped: 'Firebreak.ParallelBranchStopped',
} as const;

export { DISPATCHER_ROLE, responderRole } from './deployment';

export { APPROVAL_ROLE } from './deployment';

/** The stack name the local state machines carry (`Firebreak-<playbook>`), as the default deployment's. */
export const LOCAL_STACK_NAME = 'Firebreak';
/** The role of game-day approvers: a scenario's `by: alice` answers as `assumed-role/<this>/alice`. */
export const GAMEDAY_APPROVER_ROLE = 'firebreak-gameday-approver';

/** The identity AWS would authenticate for a game-day approver (an ARN is kept as it is). */
export function gameDayApproverArn(by: string, account: string): string {
  return by.startsWith('arn:') ? by : `arn:aws:sts::${account}:assumed-role/${GAMEDAY_APPROVER_ROLE}/${by.replace(/[^\w+=,.@-]/g, '-')}`;
}

/** The role of game-day pausers: a scenario's `pause: { by: bob }` pauses as `assumed-role/<this>/bob`. */
export const GAMEDAY_PAUSER_ROLE = 'firebreak-gameday-pauser';

/** The identity AWS would authenticate for a game-day pauser, from the emergency-pause Function URL's signature (an ARN is kept as it is). */
export function gameDayPauserArn(by: string, account: string): string {
  return by.startsWith('arn:') ? by : `arn:aws:sts::${account}:assumed-role/${GAMEDAY_PAUSER_ROLE}/${by.replace(/[^\w+=,.@-]/g, '-')}`;
}

/** What a game day asks the emergency-pause function (a scenario's `pause:` or `resume:` injection). */
export type PauseControlRequest =
  | { readonly action: 'pause'; readonly by: string; readonly reason: string }
  | { readonly action: 'resume'; readonly by: string; readonly reason?: string };

/** The definitions cannot be run locally (an unknown placeholder, an unknown function). */
export class LocalDeploymentError extends FirebreakError {
  override readonly name = 'LocalDeploymentError';
}

// ---------------------------------------------------------------------------------------------
// approvals

/** A `.waitForTaskToken` task waiting for a person. */
export interface ApprovalRequest {
  readonly executionArn: string;
  readonly executionName: string;
  readonly playbook?: string;
  /** The waiting state. */
  readonly state: string;
  readonly taskToken: string;
  /** What the state sent its function (the approval-request alert input). */
  readonly payload: unknown;
  /** The state's TimeoutSeconds (how long Step Functions waits), when set. */
  readonly timeoutSeconds?: number;
  /**
   * What the approval function answered the previous answer when it refused it (a caller that is
   * not one of the deployment's approvers, a principal the incident names): nothing was recorded or
   * sent and the request still waits, so the desk is asked again whether someone else answers it.
   */
  readonly refused?: ApprovalResponse;
}

/**
 * An answer `by` forges by invoking the approval function directly (lambda:InvokeFunction), naming
 * `as` as the caller: with no caller proof, a proof of their own credentials, or a proof `as` made
 * for another request (captured and replayed).
 */
export interface ForgedAnswer {
  readonly as: string;
  readonly proof: 'none' | 'own' | 'replayed';
}

export type ApprovalDecision =
  | { readonly answer: 'approve'; readonly by: string; readonly output?: Json; readonly afterSeconds?: number; readonly forged?: ForgedAnswer }
  | { readonly answer: 'reject'; readonly by: string; readonly reason?: string; readonly afterSeconds?: number; readonly forged?: ForgedAnswer }
  | { readonly answer: 'timeout' };

/**
 * An answer held back: the request stays open (its execution RUNNING, waiting on its token) until
 * `held` resolves, while other executions run; `settle()` does not wait for it. A game day holds an
 * approval across later injections this way (`answerAfterInjection`).
 */
export interface HeldApproval {
  readonly held: Promise<ApprovalDecision>;
}

/** Answers approval requests (a scenario's `approvals:` list, a test, a person at a prompt). */
export type ApprovalDesk = (request: ApprovalRequest) => ApprovalDecision | HeldApproval | Promise<ApprovalDecision>;

/** Nobody answers: every request times out, as an unattended request would. */
export const NOBODY_ANSWERS: ApprovalDesk = () => ({ answer: 'timeout' });

// ---------------------------------------------------------------------------------------------
// records

export type ExecutionKind = 'dispatcher' | 'playbook';
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** One state-machine event, stamped with both clocks. */
export interface ExecutionEvent {
  readonly type: string;
  readonly state?: string;
  readonly stateType?: string;
  readonly wallMs: number;
  readonly simAt: Date;
  readonly error?: string;
  readonly cause?: string;
  /** For StateRetried: the retry number (1 for the first retry). */
  readonly retry?: number;
}

/** One invocation of a Task state (each retry is another invocation). */
export interface TaskInvocation {
  readonly state: string;
  readonly resource: string;
  /** The responder, for Lambda tasks. */
  readonly responder?: string;
  /** The role whose calls belong to this task. */
  readonly role: string;
  readonly attempt: number;
  readonly startWallMs: number;
  readonly startSim: Date;
  endWallMs?: number;
  endSim?: Date;
  /** Call-log sequence numbers [from, to) spanning the invocation (other tasks' calls may interleave). */
  readonly fromSeq: number;
  toSeq?: number;
  /** The function's return value (Lambda) or the integration's answer. */
  result?: unknown;
  error?: { readonly name: string; readonly message: string };
  /** For approval tasks: how it was answered. */
  approval?: ApprovalDecision;
  /** For approval tasks answered by a person: what the approval function said (it may refuse). */
  approvalResponse?: ApprovalResponse;
  /** For approval tasks: the answers the approval function refused while the request still waited, in order. */
  refusedAnswers?: { readonly decision: Exclude<ApprovalDecision, { answer: 'timeout' }>; readonly response: ApprovalResponse }[];
  /** For Lambda tasks of an engine that traces calls: the function's SDK calls and their order (for the latency model). */
  trace?: CallTrace;
}

/**
 * The task payload with `receivedAt` (the dispatcher's `$$.Execution.StartTime`) on the simulated
 * clock, as every other time of the run. aws-local-stepfunctions sets StartTime from the wall clock
 * whatever context it is given (its execute()); triage makes it the incident's receipt time, which
 * the incident record measures every phase from.
 */
function atSimulatedStart(parameters: Json, record: { readonly startSim: Date }): Json {
  const payload = isRecord(parameters) ? parameters.Payload : undefined;
  if (!isRecord(payload) || typeof payload.receivedAt !== 'string') return parameters;
  return { ...(parameters as Record<string, Json>), Payload: { ...(payload as Record<string, Json>), receivedAt: record.startSim.toISOString() } };
}

/**
 * A task's Resource as its TaskScheduled event names it: `arn:aws:states:::lambda:invoke` is
 * resourceType `lambda`, resource `invoke` (https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskScheduledEventDetails.html).
 */
function integrationOf(resource: string): { readonly resourceType: string; readonly resource: string } {
  const service = resource.startsWith('arn:') ? resource.split(':').slice(5).join(':') : resource;
  const colon = service.indexOf(':');
  return colon < 0 ? { resourceType: service, resource: '' } : { resourceType: service.slice(0, colon), resource: service.slice(colon + 1) };
}

export interface ExecutionRecord {
  readonly kind: ExecutionKind;
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly playbook?: string;
  readonly input: unknown;
  /** The dispatcher execution that started it. */
  readonly parentArn?: string;
  readonly startWallMs: number;
  readonly startSim: Date;
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  endWallMs?: number;
  endSim?: Date;
  /** States entered, in order (always kept). */
  readonly path: string[];
  /** Every state-machine event (when the engine records events). */
  readonly events: ExecutionEvent[];
  readonly tasks: TaskInvocation[];
  /** Playbook executions this dispatcher execution started. */
  readonly started: string[];
  readonly done: Promise<void>;
}

interface Deployed {
  readonly arn: string;
  readonly name: string;
  readonly kind: ExecutionKind;
  readonly playbook?: string;
  readonly definition: AslDefinition;
  readonly machine: StateMachine;
  readonly tasks: ReadonlyMap<string, AslState>;
  /** The Parallel states each state of a branch runs inside (innermost last); states outside every Parallel are absent. */
  readonly enclosingParallels: ReadonlyMap<string, readonly string[]>;
  readonly retryable: readonly string[];
  /** No real sleep before a retry (the engine moves the simulated clock instead): 0 ms for every state with a Retry. */
  readonly retryIntervalOverrides: Readonly<Record<string, number>>;
}

export interface LocalEngineOptions {
  readonly backend: GameDayBackend;
  /** From `synthesizeDefinitions`: exactly what the CDK app deploys. */
  readonly definitions: SynthesizedDefinitions;
  readonly environment: ResolvedEnvironment;
  readonly settings: SettingsDocument;
  /** Answers approval requests; default: nobody answers (timeout). */
  readonly approvals?: ApprovalDesk;
  /** Keep every state-machine event for the timeline (default true; a storm turns it off). */
  readonly recordEvents?: boolean;
  /** Keep finished executions in `executions()` (default true; a storm counts them instead). */
  readonly retainExecutions?: boolean;
  /** Called when an execution ends. */
  readonly onExecutionEnd?: (record: ExecutionRecord) => void;
  /**
   * Validate each definition with aws-local-stepfunctions' ASL validator first (default false: the
   * compiler's tests and Step Functions at deploy time validate the same definitions; a bad path
   * still fails at run time, as it would in the service).
   */
  readonly validateDefinitions?: boolean;
  /**
   * Record each Lambda task's SDK calls and the order they waited for each other (default false),
   * so that the latency model can time the run (lib/gameday/latency/predict.ts).
   */
  readonly traceCalls?: boolean;
  /**
   * Move the simulated clock by each hop's deterministic figure (lib/gameday/latency/pace.ts), so
   * that recorded times are those of a deployment at the model's medians. Default: off (time
   * moves only on retries, backoffs and approval timeouts).
   */
  readonly pace?: Pace;
  /**
   * Responder functions that run out of time at a call (a scenario's `functionTimeouts`,
   * lib/gameday/function-timeouts.ts): the invocation fails with Sandbox.Timedout at the function's
   * deployed timeout, and nothing it would have done after that call happens. Default: none.
   */
  readonly functionTimeouts?: readonly FunctionTimeoutRule[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * An error of a state as Step Functions reports it: a name and a cause, nothing else. It carries no
 * JavaScript stack, which would only show the engine's own frames, and capturing one cost a storm
 * about a third of a second (each of its 9,000 duplicate deliveries fails StartExecution with one).
 */
function namedError(name: string, message: string): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const error = new Error(message);
    error.name = name;
    return error;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * `States.DataLimitExceeded` when `value` (`what`: a task's input, a state's output…) is over
 * Step Functions' payload limit, else undefined. aws-local-stepfunctions reads `isRetryable` and
 * `isCatchable` off an error before matching a Retry or Catch (as it does for States.Runtime): false
 * for both, so no `States.ALL` handles it, as AWS documents for this terminal error.
 */
function overPayloadLimit(what: string, value: unknown, bounds: PayloadBounds): Error | undefined {
  // Most payloads are far under: a bound taken without writing the JSON spares the exact count, and
  // the execution's large objects already measured are not walked again.
  const bytes = bounds.bytesOver(value, STATES_PAYLOAD_LIMIT_BYTES);
  if (bytes === undefined) return undefined;
  const error = namedError(DATA_LIMIT_EXCEEDED_ERROR, `${what} is ${bytes} bytes, over the ${STATES_PAYLOAD_LIMIT_BYTES}-byte Step Functions payload limit`);
  return Object.assign(error, { isRetryable: false, isCatchable: false });
}

/** StartExecution's refusal of an input over the limit (its length constraint, in UTF-8 bytes). */
function inputTooLarge(bytes: number): Error {
  return namedError(
    ENGINE_ERRORS.inputTooLarge,
    `1 validation error detected: the execution input of ${bytes} bytes is over StartExecution's ${STATES_PAYLOAD_LIMIT_BYTES}-byte limit`,
  );
}

/** How many times Lambda runs an asynchronous invocation that fails: once, and two retries. */
const ASYNC_INVOKE_ATTEMPTS = 3;

/** A service-integration error as Step Functions names it: `SQS.QueueDoesNotExistException`. */
function integrationError(service: string, error: unknown): Error {
  const code = error instanceof Error ? error.name : 'UnknownError';
  const name = `${service}.${code.endsWith('Exception') ? code : `${code}Exception`}`;
  return namedError(name, error instanceof Error ? error.message : String(error));
}

/** A Lambda function error as the optimized integration reports it: the type as name, a JSON cause. */
function lambdaFunctionError(error: unknown): Error {
  const errorType = error instanceof Error ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  const trace = error instanceof Error && error.stack ? error.stack.split('\n').slice(1, 6).map((line) => line.trim()) : [];
  return namedError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

/**
 * What a function receives: Lambda carries the payload as JSON, so the handler gets its own copy,
 * exactly what a JSON round trip gives (Lambda's own semantics), made directly for plain JSON data
 * (lib/gameday/json-copy.ts: several times faster than the round trip on a triage payload).
 */
function lambdaPayload(payload: unknown): unknown {
  return payload === undefined ? undefined : jsonCopy(payload);
}

/** Nominal wait of a retrier before its `count`-th retry (1-based), as Step Functions computes it before jitter. */
export function nominalRetryDelayMs(retrier: Record<string, unknown>, count: number): number {
  const interval = typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1;
  const rate = typeof retrier.BackoffRate === 'number' ? retrier.BackoffRate : 2;
  const max = typeof retrier.MaxDelaySeconds === 'number' ? retrier.MaxDelaySeconds : Number.POSITIVE_INFINITY;
  return Math.min(interval * rate ** Math.max(0, count - 1), max) * 1000;
}

/** The index of the retrier of `state` that handles `errorName` (-1: none). */
export function retrierFor(state: AslState, errorName: string): number {
  const retriers = (state.Retry as Record<string, unknown>[] | undefined) ?? [];
  return retriers.findIndex((retrier) =>
    ((retrier.ErrorEquals as string[] | undefined) ?? []).some((name) => name === errorName || name === 'States.ALL' || name === 'States.TaskFailed'),
  );
}

/** The Parallel states around each state of `definition`'s branches (state names are unique across a definition). */
export function enclosingParallels(definition: AslDefinition, around: readonly string[] = []): Map<string, readonly string[]> {
  const enclosing = new Map<string, readonly string[]>();
  for (const [name, state] of Object.entries(definition.States)) {
    if (around.length > 0) enclosing.set(name, around);
    if (state.Type !== 'Parallel') continue;
    for (const branch of state.Branches as AslDefinition[]) {
      for (const [inner, parallels] of enclosingParallels(branch, [...around, name])) enclosing.set(inner, parallels);
    }
  }
  return enclosing;
}

function allStates(definition: AslDefinition): [string, AslState][] {
  return Object.entries(definition.States).flatMap(([name, state]): [string, AslState][] => [
    [name, state],
    ...(state.Type === 'Parallel' ? (state.Branches as AslDefinition[]).flatMap(allStates) : []),
    ...(state.Type === 'Map' ? allStates(state.ItemProcessor as AslDefinition) : []),
  ]);
}

/** The longest delay a Node timer takes (a longer one fires at once), in seconds. */
const LONGEST_TIMER_SECONDS = Math.floor(2_147_483_647 / 1000);

/**
 * The definition as aws-local-stepfunctions runs it locally: aws-local-stepfunctions races every
 * Task against a real timer (the state's TimeoutSeconds, else 60 s of wall time), so on a loaded
 * machine a storm's tasks failed with States.Timeout that no deployment would raise. Step Functions
 * gives a Lambda task no timeout of its own unless the definition sets one, and the engine plays the
 * timeouts the definitions do set (approvals) on the simulated clock, so the library's timer is set
 * beyond reach. The engine keeps reading the deployed definition itself.
 */
export function withoutWallClockTimeouts(definition: AslDefinition): AslDefinition {
  const states = Object.fromEntries(
    Object.entries(definition.States).map(([name, state]): [string, AslState] => {
      if (state.Type === 'Task') return [name, { ...state, TimeoutSeconds: LONGEST_TIMER_SECONDS }];
      if (state.Type === 'Parallel') return [name, { ...state, Branches: (state.Branches as AslDefinition[]).map(withoutWallClockTimeouts) }];
      if (state.Type === 'Map') return [name, { ...state, ItemProcessor: withoutWallClockTimeouts(state.ItemProcessor as AslDefinition) }];
      return [name, state];
    }),
  );
  return { ...definition, States: states };
}

// Validating a definition compiles aws-local-stepfunctions' JSON schemas (about half a second per
// machine): each distinct definition is built once per process and reused (runs are independent).
const machines = new Map<string, StateMachine>();
function machineFor(text: string, definition: AslDefinition, validate: boolean): StateMachine {
  const key = `${validate ? 'validated' : 'plain'}:${text}`;
  let machine = machines.get(key);
  if (!machine) {
    machine = new StateMachine(
      withoutWallClockTimeouts(definition) as never,
      { validationOptions: validate ? { checkArn: true, checkPaths: true } : { noValidate: true } },
    );
    machines.set(key, machine);
  }
  return machine;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * Lets the execution's event log catch up: aws-local-stepfunctions queues each event when it happens,
 * and the engine's reader stamps it with the simulated time a few microtasks later. A paced task
 * moves the clock as it starts, so it first yields that many microtasks (no timer: the order stays
 * deterministic) and the events before it keep the time they happened at.
 */
async function eventLogCatchUp(): Promise<void> {
  for (let tick = 0; tick < EVENT_LOG_TICKS; tick += 1) await Promise.resolve();
}
const EVENT_LOG_TICKS = 8;

/** Runs the deployed state machines locally. One engine per scenario. */
export class LocalEngine {
  private readonly backend: GameDayBackend;
  private readonly deployed = new Map<string, Deployed>();
  private readonly functions = new Map<string, string>();
  private readonly handlers = new Map<string, LocalHandler>();
  private readonly usedNames = new Map<string, Set<string>>();
  private readonly records: ExecutionRecord[] = [];
  private readonly running = new Set<Promise<void>>();
  /** Executions waiting on a held approval (HeldApproval). */
  private parked = 0;
  /** Tasks run, executions ended and approvals held so far: what settle() watches while an answer is held. */
  private progress = 0;
  /** Wakes settle() when an execution parks. */
  private parkedChanged: { promise: Promise<void>; resolve: () => void } = signal();
  /** Resolved by stop(): every approval still held is then given up. */
  private readonly stopping = signal();
  private stopped = false;
  /** Set by abort(): no task runs any more, and each one still running is given up. */
  private aborted = false;
  /** Fails each task still running when abort() is called (one entry per running task, removed as it ends). */
  private readonly abortListeners = new Set<(error: Error) => void>();
  /** aws-local-stepfunctions' abort of each execution still running. */
  private readonly executionAborts = new Set<() => void>();
  private readonly lambdaEnvironment: Record<string, string>;
  /** The approval function's synthesized environment (its approvers, the denied role prefixes). */
  private readonly approvalEnvironment: Readonly<Record<string, string>>;
  private proofs: LocalCallerProofs | undefined;
  private readonly approvals: ApprovalDesk;
  /** Whether the emergency-pause function has run in this game day (its first call is a cold start). */
  private pauseControlWarm = false;
  /** The last request each pause action sent the emergency-pause function, whole: what a `tamper: { replayPauseRequest }` sends again. */
  private readonly pauseRequestsSent = new Map<PauseControlRequest['action'], Record<string, unknown>>();
  private readonly recordEvents: boolean;
  private readonly retain: boolean;
  private readonly onExecutionEnd?: (record: ExecutionRecord) => void;
  private deliveries = 0;
  private readonly validate: boolean;
  private readonly traceCalls: boolean;
  private readonly pace?: Pace;
  private readonly functionTimeouts: FunctionTimeouts;
  /** Each role's clients, paced when the engine paces. */
  private readonly roleClients = new Map<string, ReturnType<GameDayBackend['clients']>>();
  /** Every execution by ARN (the approval function describes them). */
  private readonly byArn = new Map<string, ExecutionRecord>();
  private readonly templateEnvironments: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Task tokens of approval states waiting now, and the answer the approval function sent each. */
  /**
   * The tasks each execution scheduled, as its history's TaskScheduled events show them (the
   * parameters after paths were applied): publish-alert finds the task that invoked it there.
   */
  private readonly scheduledTasks = new Map<string, ScheduledTask[]>();
  private readonly waitingTokens = new Map<string, { kind: 'success'; output: string } | { kind: 'failure'; error: string; cause: string } | undefined>();
  /**
   * Task tokens a `.waitForTaskToken` task waits on now, from the moment the task starts (before its
   * function is invoked: the function may heartbeat it), by how many tasks wait on each; and those
   * whose task timed out. SendTaskHeartbeat answers from these (publish-alert proves a token waits).
   */
  private readonly liveTokens = new Map<string, number>();
  private readonly timedOutTokens = new Set<string>();
  /** The playbooks that can wait for approval (a WaitForApproval state): FIREBREAK_APPROVAL_STATE_MACHINES, as the stack sets it. */
  private readonly approvalStateMachineArns: readonly string[];
  readonly dispatcherArn: string;

  constructor(options: LocalEngineOptions) {
    const { environment, definitions, settings } = options;
    this.backend = options.backend;
    this.approvals = options.approvals ?? NOBODY_ANSWERS;
    this.recordEvents = options.recordEvents ?? true;
    this.retain = options.retainExecutions ?? true;
    this.validate = options.validateDefinitions ?? false;
    this.traceCalls = options.traceCalls ?? false;
    if (options.pace) this.pace = options.pace;
    if (options.onExecutionEnd) this.onExecutionEnd = options.onExecutionEnd;
    const { account, region } = environment.deployment;
    const timeouts = options.functionTimeouts ?? [];
    for (const rule of timeouts) deployedTimeoutSeconds(definitions, rule.responder);
    this.functionTimeouts = new FunctionTimeouts(timeouts, (responder) => deployedTimeoutSeconds(definitions, responder), {
      now: () => this.backend.now(),
      advance: (ms) => this.backend.advance(ms),
    });

    const substitutions: Record<string, string> = {
      [INVALID_EVENT_QUEUE_PLACEHOLDER]: environment.deployment.unprocessableEventsQueueUrl,
      [STATE_TABLE_PLACEHOLDER]: environment.deployment.stateTableName,
    };
    for (const responder of LOCAL_RESPONDERS) {
      const arn = localFunctionArn(region, account, responder);
      substitutions[functionPlaceholder(responder)] = arn;
      this.functions.set(arn, responder);
    }
    const machineArn = (name: string) => localStateMachineArn(region, account, name);
    const playbookMachines = Object.keys(definitions.playbooks).map((playbook) => ({ playbook, name: playbookMachineName(playbook) }));
    for (const { playbook, name } of playbookMachines) {
      substitutions[stateMachinePlaceholder(playbook)] = machineArn(name);
      substitutions[executionArnPrefixPlaceholder(playbook)] = machineArn(name).replace(':stateMachine:', ':execution:');
    }
    this.dispatcherArn = machineArn(DISPATCHER_MACHINE);
    this.templateEnvironments = definitions.environments ?? {};
    this.approvalEnvironment = definitions.approvalEnvironment ?? {};

    // What the stack gives every responder (lib/stack/responders.ts), with the prepared resources.
    const protectedIds = settings.protectedInstances.map((name) => environment.instances[name]?.instanceId ?? name);
    this.lambdaEnvironment = {
      POWERTOOLS_SERVICE_NAME: 'firebreak',
      AWS_REGION: region,
      // The deployment's mode ceiling, as the stack writes it (forceDryRun or mode dry-run: dry-run).
      [SECURITY_ENV.mode]: settings.forceDryRun || settings.mode === 'dry-run' ? 'dry-run' : 'enforce',
      // The local state machines are named `<stack>-<playbook>` like the deployed ones.
      [SECURITY_ENV.stackName]: LOCAL_STACK_NAME,
      [DEPLOYMENT_ENV.alertTopicArn]: environment.deployment.alertTopicArn,
      // The backup channel, as the stack gives publish-alert (lib/stack/alerting.ts useOperationsAsBackupFor).
      ...(environment.deployment.backupTopicArn !== undefined ? { [DEPLOYMENT_ENV.backupTopicArn]: environment.deployment.backupTopicArn } : {}),
      [DEPLOYMENT_ENV.stateTable]: environment.deployment.stateTableName,
      // The oversized-event intake starts the dispatcher (the stack gives it the dispatcher's ARN).
      [DEPLOYMENT_ENV.dispatcherArn]: this.dispatcherArn,
      [SECURITY_ENV.securityAccountId]: account,
      [SECURITY_ENV.recordKey]: environment.deployment.recordKeyArn,
      [DEPLOYMENT_ENV.protectedInstanceIds]: protectedIds.join(','),
      ...(settings.protectedTagKey ? { [DEPLOYMENT_ENV.protectedTagKey]: settings.protectedTagKey } : {}),
      // Where role-holders looks for protected holders (the stack sets it on the two responders that deny role sessions).
      ...(settings.instanceRegions ? { [INSTANCE_REGIONS_ENV]: settings.instanceRegions.join(',') } : {}),
      ...(settings.blastRadiusMax !== undefined ? { [DEPLOYMENT_ENV.blastRadiusMax]: String(settings.blastRadiusMax) } : {}),
      ...(settings.blastRadiusWindowSeconds !== undefined ? { [DEPLOYMENT_ENV.blastRadiusWindowSeconds]: String(settings.blastRadiusWindowSeconds) } : {}),
    };

    this.deploy(this.dispatcherArn, DISPATCHER_MACHINE, 'dispatcher', definitions.dispatcher.definition, substitutions);
    // The containment guard verifies the executions it clears: DescribeExecution answers from these.
    options.backend.serveExecutions?.((executionArn) => this.describeExecution(executionArn));
    // The oversized-event intake starts the dispatcher with its clipped copies (StartExecution).
    options.backend.serveExecutionStarts?.((stateMachineArn, input) => this.startFromApi(stateMachineArn, input));
    // publish-alert proves an approval request's token waits (SendTaskHeartbeat): the engine's tasks answer.
    options.backend.serveTaskTokens?.((answer) => this.answerTaskToken(answer));
    for (const { playbook, name } of playbookMachines) {
      this.deploy(machineArn(name), name, 'playbook', (definitions.playbooks[playbook] as { definition: string }).definition, substitutions, playbook);
    }
    // The guarded playbooks, as the stack names them to publish-alert and the approval function
    // (lib/stack/approvals.ts): the playbooks that can wait for a person's answer.
    this.approvalStateMachineArns = [...this.deployed.values()]
      .filter((deployed) => deployed.kind === 'playbook' && taskStates(deployed.definition).some((task) => task.resource === WAIT_FOR_TASK_TOKEN_RESOURCE))
      .map((deployed) => deployed.arn);
    this.lambdaEnvironment[DEPLOYMENT_ENV.approvalStateMachines] = this.approvalStateMachineArns.join(',');
  }

  /** The environment variables every local responder gets (as the stack sets them). */
  get responderEnvironment(): Readonly<Record<string, string>> {
    return this.lambdaEnvironment;
  }

  /**
   * The environment of one responder: the literal variables the synthesized stack gives its
   * function (FIREBREAK_PLAYBOOK_RAILS on the guard, FIREBREAK_MODE…), with the game day's own
   * resources and settings over them.
   */
  environmentOf(responder: string): Readonly<Record<string, string>> {
    // The Lambda runtime's own variable: publish-alert matches the task that invoked it by its name.
    const functionName = localFunctionArn(this.region(), this.lambdaEnvironment[SECURITY_ENV.securityAccountId] ?? '', responder).split(':')[6] ?? '';
    return { ...this.templateEnvironments[responder], ...this.lambdaEnvironment, [LAMBDA_FUNCTION_NAME_ENV]: functionName };
  }

  /** One execution as DescribeExecution reports it, if the engine started it. */
  describeExecution(executionArn: string): DescribedExecution | undefined {
    const record = this.byArn.get(executionArn);
    if (!record) return undefined;
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      input: JSON.stringify(record.input ?? {}),
      startDate: record.startSim,
      ...(record.endSim !== undefined ? { stopDate: record.endSim } : {}),
      ...(record.status === 'SUCCEEDED' ? { output: JSON.stringify(record.output ?? null) } : {}),
      scheduledTasks: [...(this.scheduledTasks.get(executionArn) ?? [])],
    };
  }

  /**
   * Step Functions' answer to SendTaskHeartbeat / SendTaskSuccess / SendTaskFailure with a token of
   * this engine: a heartbeat is accepted while a task waits on the token; an answer only by an
   * approval state whose person has answered (the approval function delivers it; nobody else holds
   * SendTaskSuccess). A token whose task timed out says so, any other is unknown (TaskDoesNotExist).
   */
  answerTaskToken(answer: TaskTokenAnswer): TaskTokenVerdict {
    const { taskToken } = answer;
    if (answer.kind === 'heartbeat') {
      // A task that timed out no longer waits, though its state has not ended yet.
      if ((this.liveTokens.get(taskToken) ?? 0) > 0 && !this.timedOutTokens.has(taskToken)) return 'accepted';
      return this.timedOutTokens.has(taskToken) ? 'timed-out' : 'unknown';
    }
    if (!this.waitingTokens.has(taskToken) || this.waitingTokens.get(taskToken) !== undefined) {
      return this.timedOutTokens.has(taskToken) ? 'timed-out' : 'unknown';
    }
    this.waitingTokens.set(
      taskToken,
      answer.kind === 'success' ? { kind: 'success', output: answer.output } : { kind: 'failure', error: answer.error ?? '', cause: answer.cause ?? '' },
    );
    return 'accepted';
  }

  /**
   * Invokes a responder's Lambda directly, as anyone with lambda:InvokeFunction could (no state
   * machine around it): the attack the rails at the point of action must withstand.
   */
  async invokeDirectly(responder: string, payload: unknown): Promise<{ readonly result?: unknown; readonly error?: { readonly name: string; readonly message: string } }> {
    try {
      return { result: await this.handler(responder)(lambdaPayload(payload)) };
    } catch (error) {
      return { error: { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) } };
    }
  }

  private deploy(arn: string, name: string, kind: ExecutionKind, definitionString: string, substitutions: Record<string, string>, playbook?: string): void {
    const text = applySubstitutions(definitionString, substitutions);
    const leftover = /\$\{([A-Za-z0-9_]+)\}/.exec(text);
    if (leftover) throw new LocalDeploymentError(`state machine ${name}: no local value for the definition substitution \${${leftover[1]}}`);
    const definition = JSON.parse(text) as AslDefinition;
    const states = allStates(definition);
    const tasks = new Map(states.filter(([, state]) => state.Type === 'Task'));
    for (const reference of taskStates(definition)) {
      if (reference.resource !== LAMBDA_INVOKE_RESOURCE && reference.resource !== WAIT_FOR_TASK_TOKEN_RESOURCE) continue;
      const functionName = (tasks.get(reference.state)?.Parameters as Record<string, unknown> | undefined)?.FunctionName;
      if (typeof functionName !== 'string' || !this.functions.has(functionName)) {
        throw new LocalDeploymentError(`state machine ${name}: state ${reference.state} invokes ${String(functionName)}, which no local responder answers`);
      }
    }
    const machine = machineFor(text, definition, this.validate);
    const retryable = states.filter(([, state]) => Array.isArray(state.Retry)).map(([stateName]) => stateName);
    this.deployed.set(arn, {
      arn,
      name,
      kind,
      ...(playbook !== undefined ? { playbook } : {}),
      definition,
      machine,
      tasks,
      enclosingParallels: enclosingParallels(definition),
      retryable,
      retryIntervalOverrides: Object.fromEntries(retryable.map((state) => [state, 0])),
    });
    this.usedNames.set(arn, new Set());
  }

  /** Calls a function's handler with its own copy of the payload, tracing its SDK calls when the engine traces. */
  private async invokeHandler(handler: LocalHandler, payload: unknown, invocation: TaskInvocation): Promise<unknown> {
    const { responder } = invocation;
    // A function rehearsed to run out of time (functionTimeouts) runs under its deadline.
    const invoke = responder !== undefined && this.functionTimeouts.names(responder)
      ? () => this.functionTimeouts.run(responder, invocation.startSim, () => handler(lambdaPayload(payload)))
      : () => handler(lambdaPayload(payload));
    if (!this.traceCalls) return invoke();
    const { trace, result } = await traceCalls(invoke);
    invocation.trace = trace;
    return result;
  }

  /** The clients of a role, paced when the engine paces (every call a state machine or function makes goes through them). */
  private clientsOf(role: string): ReturnType<GameDayBackend['clients']> {
    let clients = this.roleClients.get(role);
    if (!clients) {
      const backend = this.backend;
      clients = this.pace ? pacedClientFactory(backend.clients(role), this.pace, (ms) => backend.advance(ms)) : backend.clients(role);
      this.roleClients.set(role, clients);
    }
    return clients;
  }

  /** Moves the simulated clock by a paced hop (nothing when the engine does not pace). */
  private paceBy(ms: ((pace: Pace) => number)): void {
    if (this.pace) this.backend.advance(ms(this.pace));
  }

  private handler(responder: string): LocalHandler {
    let handler = this.handlers.get(responder);
    if (!handler) {
      // The function's first invocation in the run: a cold start (an incident after quiet).
      this.paceBy((pace) => pace.coldStartMs(responder));
      const role = responderRole(responder, this.region());
      // A function rehearsed to run out of time: its calls go through the middleware that cuts them.
      const timeouts = this.functionTimeouts;
      const cutOff = <F extends object>(factory: F): F => (timeouts.names(responder) ? decoratedClientFactory(factory, (client) => timeouts.cutOff(client)) : factory);
      const clients = cutOff(this.clientsOf(role));
      const backend = this.backend;
      handler = buildLocalResponder(responder, {
        clients: this.traceCalls ? tracedClientFactory(clients) : clients,
        environment: this.environmentOf(responder),
        now: () => this.backend.now(),
        ...(backend.clientsThroughRole
          ? {
              throughRole: (roleName: string, sessionName: string, externalId?: string) => {
                const through = backend.clientsThroughRole!(role, roleName, sessionName, externalId);
                return cutOff(this.pace ? pacedClientFactory(through, this.pace, (ms) => backend.advance(ms)) : through);
              },
            }
          : {}),
      });
      this.handlers.set(responder, handler);
    }
    return handler;
  }

  /** The approval function's handler over the game day's state table and this engine's executions. */
  private async answerThroughApprovalFunction(executionArn: string, decision: Exclude<ApprovalDecision, { answer: 'timeout' }>): Promise<ApprovalResponse> {
    const account = this.lambdaEnvironment[SECURITY_ENV.securityAccountId] ?? '111122223333';
    const executions: ApprovalExecutions = {
      describe: async (arn) => {
        const found = this.byArn.get(arn);
        return found ? { status: found.status, stateMachineArn: found.stateMachineArn, input: JSON.stringify(found.input) } : undefined;
      },
      // As the deployed function asks the history: the approval wait's TaskScheduled, scheduled with the token.
      scheduled: async (arn, taskToken) =>
        (this.scheduledTasks.get(arn) ?? []).some((task) => carriesToken({ resourceType: task.resourceType, resource: task.resource, parameters: JSON.stringify(task.parameters) }, taskToken)),
      heartbeat: async (taskToken) => (this.answerTaskToken({ kind: 'heartbeat', taskToken }) === 'accepted' ? 'live' : 'closed'),
      sendSuccess: async (taskToken, output) => (this.answerTaskToken({ kind: 'success', taskToken, output }) === 'accepted' ? 'sent' : 'closed'),
      sendFailure: async (taskToken, error, cause) => (this.answerTaskToken({ kind: 'failure', taskToken, error, cause }) === 'accepted' ? 'sent' : 'closed'),
    };
    // The person takes their time to answer (the model's median), then the approval function runs.
    this.paceBy((pace) => pace.approvalMs);
    const clients = this.clientsOf(APPROVAL_ROLE);
    // The approver signs with credentials of their own, and proves who they are as `firebreak approve` does.
    const approverArn = gameDayApproverArn(decision.by, account);
    const callers = this.callerProofs();
    const credentials = callers.credentialsOf(approverArn);
    const forged = decision.forged;
    // A forged answer: `by` invokes the function directly, naming `forged.as` as the caller in a
    // request context of their own writing, with the best proof they can make (caller-proof.ts).
    const claimedArn = forged !== undefined ? gameDayApproverArn(forged.as, account) : approverArn;
    const proofOf = async (text: string): Promise<Record<string, string>> => {
      if (forged === undefined) return { [CALLER_PROOF_HEADER]: await callerProof('approval', text, callers.region, credentials, this.backend.now()) };
      if (forged.proof === 'none') return {};
      // `replayed`: a proof the claimed approver really made, for another request (a `show` of this execution), captured and sent again.
      const [signer, signed] = forged.proof === 'own' ? [credentials, text] : [callers.credentialsOf(claimedArn), JSON.stringify({ executionArn, show: true })];
      return { [CALLER_PROOF_HEADER]: await callerProof('approval', signed, callers.region, signer, this.backend.now()) };
    };
    const store = new DynamoDbApprovalStore(clients.dynamodb(), this.lambdaEnvironment[DEPLOYMENT_ENV.stateTable] ?? '');
    const call = async (body: Record<string, unknown>) => {
      const text = JSON.stringify(body);
      return answerApproval(
        {
          version: '2.0',
          headers: { 'content-type': 'application/json', ...(await proofOf(text)) },
          requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn: claimedArn, accessKey: callers.credentialsOf(claimedArn).accessKeyId } } },
          body: text,
          isBase64Encoded: false,
        },
        {
          store,
          executions,
          callers,
          // As deployed: the synthesized function's approvers and denied role prefixes (hand-made
          // definitions carry none: the responders' prefix then), over the local state machines.
          config: readApprovalConfig({
            [DEPLOYMENT_ENV.deniedApproverRolePrefixes]: 'firebreak-responder-',
            ...this.approvalEnvironment,
            [DEPLOYMENT_ENV.approvalStateMachines]: this.approvalStateMachineArns.join(','),
          }),
          logger: silentLogger,
          now: () => this.backend.now(),
        },
      );
    };
    const answerOf = (requestId: string | undefined) => ({
      executionArn,
      decision: decision.answer,
      ...(requestId !== undefined ? { requestId } : {}),
      ...(decision.answer === 'reject' && decision.reason !== undefined ? { reason: decision.reason } : {}),
    });
    if (forged !== undefined) {
      // The forger answers the request stored (as if they had read the state table), with no `show` first.
      const stored = await store.get(executionArn);
      return call(answerOf(stored !== undefined ? approvalRequestId(stored.taskToken) : undefined));
    }
    // As `firebreak approve` does: look at the request first, then answer the request shown (its
    // requestId); a refusal to show (the instance's own role, an unknown request) sends nothing.
    const shown = await call({ executionArn, show: true });
    if (shown.outcome !== 'shown') return shown;
    return call(answerOf(shown.request?.requestId));
  }

  /** The game day's STS for the approvers' caller proofs (one per engine: a person keeps their credentials for the run). */
  callerProofs(): LocalCallerProofs {
    this.proofs ??= new LocalCallerProofs(this.region(), () => this.backend.now());
    return this.proofs;
  }

  /**
   * Pauses or resumes the deployment as `firebreak pause` / `resume` do: the emergency-pause
   * function's handler (the code the Lambda runs) over the state table and the operations topic,
   * signed as its own role (PAUSE_CONTROL_ROLE, whose deployed policy the backend enforces), with the
   * caller in the Function URL's authorizer context as AWS fills it in and the caller proof the CLI
   * sends (signed with the pauser's own credentials). Answers what the function said.
   */
  async controlPause(request: PauseControlRequest): Promise<PauseResponse> {
    const account = this.lambdaEnvironment[SECURITY_ENV.securityAccountId] ?? '111122223333';
    const callers = this.callerProofs();
    const { action, reason } = request;
    // The pauser signs with credentials of their own and proves who they are, as `firebreak pause` does.
    const pauserArn = gameDayPauserArn(request.by, account);
    const credentials = callers.credentialsOf(pauserArn);
    const body = JSON.stringify(reason !== undefined ? { action, reason } : { action });
    const event = {
      version: '2.0',
      headers: { 'content-type': 'application/json', [CALLER_PROOF_HEADER]: await callerProof('pause', body, callers.region, credentials, this.backend.now()) },
      requestContext: { http: { method: 'POST' }, authorizer: { iam: { userArn: pauserArn, accessKey: credentials.accessKeyId } } },
      body,
      isBase64Encoded: false,
    };
    this.pauseRequestsSent.set(action, event);
    return this.invokePauseControl(event);
  }

  /**
   * Sends the last `action` request again, whole (body, caller proof and request context), as
   * someone allowed lambda:InvokeFunction on the function who captured it would (docs/security.md
   * row 5k). Answers what the function said; throws when no such request was sent in this run.
   */
  async replayPauseRequest(action: PauseControlRequest['action']): Promise<PauseResponse> {
    const captured = this.pauseRequestsSent.get(action);
    if (captured === undefined) throw new Error(`no ${action} request was sent to the emergency-pause function before: a replay needs one to capture`);
    return this.invokePauseControl(captured);
  }

  /** The emergency-pause function's handler (its Lambda code) on one Function URL event. */
  private async invokePauseControl(event: Record<string, unknown>): Promise<PauseResponse> {
    // The function's first call in the run is a cold start (it runs only for pause, resume and status).
    if (!this.pauseControlWarm) this.paceBy((pace) => pace.coldStartMs(RESPONDER_NAMES.emergencyPause));
    this.pauseControlWarm = true;
    const clients = this.clientsOf(PAUSE_CONTROL_ROLE);
    const handler = createPauseControlHandler({
      store: new DynamoDbPauseSwitch(clients.dynamodb(), this.lambdaEnvironment[DEPLOYMENT_ENV.stateTable] ?? ''),
      announcer: new SnsPauseAnnouncer(clients.sns(), operationsTopicArnFromEnv(this.lambdaEnvironment)),
      callers: this.callerProofs(),
      logger: silentLogger,
      now: () => this.backend.now(),
    });
    const answer = await handler(event);
    return { ...(JSON.parse(answer.body) as Omit<PauseResponse, 'statusCode'>), statusCode: answer.statusCode as PauseResponse['statusCode'] };
  }

  /** The role a state machine runs as: its service integrations and Lambda invocations are authorized as it. */
  private machineRole(deployed: Deployed): string {
    return deployed.kind === 'dispatcher' || deployed.playbook === undefined ? DISPATCHER_ROLE : playbookRole(deployed.playbook);
  }

  /** Throws the integration's access-denied error when the state machine's role may not make this call. */
  private authorizeIntegration(deployed: Deployed, iamAction: string, resourceArn: string, errorName: string, input?: Record<string, unknown>): void {
    const denial = this.backend.authorizeServiceCall?.(this.machineRole(deployed), iamAction, resourceArn, input);
    if (denial !== undefined) throw namedError(errorName, denial);
  }

  private region(): string {
    return this.lambdaEnvironment[DEPLOYMENT_ENV.alertTopicArn]?.split(':')[3] ?? 'us-east-1';
  }

  /**
   * StartExecution called through the SDK (the oversized-event intake): Step Functions names the
   * execution; the input is JSON text, refused over 256 KiB as the service refuses it.
   */
  startFromApi(stateMachineArn: string, inputText: string): { readonly executionArn: string; readonly startDate: Date } {
    const bytes = Buffer.byteLength(inputText, 'utf8');
    if (bytes > STATES_PAYLOAD_LIMIT_BYTES) throw inputTooLarge(bytes);
    let input: unknown;
    try {
      input = JSON.parse(inputText);
    } catch {
      throw namedError('InvalidExecutionInput', 'The provided JSON input data is invalid.');
    }
    this.deliveries += 1;
    const name = `api-${this.deliveries}-${shortHash(`api:${this.deliveries}`)}`;
    const record = this.start(stateMachineArn, name, input);
    return { executionArn: record.executionArn, startDate: record.startSim };
  }

  /** An execution the engine started, by ARN. */
  executionByArn(executionArn: string): ExecutionRecord | undefined {
    return this.byArn.get(executionArn);
  }

  /**
   * Invokes a function asynchronously, as EventBridge invokes a Lambda target: Lambda retries a
   * failed invocation twice (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html);
   * answers the result, or the last error once every attempt failed.
   */
  async invokeAsync(responder: string, payload: unknown): Promise<{ readonly result?: unknown; readonly error?: { readonly code: string; readonly message: string }; readonly attempts: number }> {
    let last: { code: string; message: string } = { code: 'Error', message: '' };
    for (let attempt = 1; attempt <= ASYNC_INVOKE_ATTEMPTS; attempt += 1) {
      try {
        return { result: await this.handler(responder)(lambdaPayload(payload)), attempts: attempt };
      } catch (error) {
        last = { code: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) };
      }
    }
    return { error: last, attempts: ASYNC_INVOKE_ATTEMPTS };
  }

  /** Delivers one event to the dispatcher, as an EventBridge rule target would; resolves when the dispatcher execution ends. */
  async deliver(event: unknown): Promise<ExecutionRecord> {
    this.deliveries += 1;
    // EventBridge names the execution itself (an id nobody chooses): a fresh, unique name per delivery.
    const name = `delivery-${this.deliveries}-${shortHash(`delivery:${this.deliveries}`)}`;
    this.paceBy((pace) => pace.eventDeliveryMs);
    const record = this.start(this.dispatcherArn, name, event);
    await record.done;
    return record;
  }

  /**
   * Resolves when every execution started so far (and every one they start) has ended, except those
   * waiting on a held approval (HeldApproval), which go on once it is answered.
   */
  async settle(): Promise<void> {
    while (this.running.size > 0) {
      // With an answer held, what still runs may wait on it through another execution (a parent's
      // .sync on the waiting child): settled once nothing moves any more.
      if (this.parked > 0) {
        if (await this.quiescent()) return;
        continue;
      }
      await Promise.race([...this.running, this.parkedChanged.promise]);
    }
  }

  /**
   * True when no task ran, no execution ended and no approval was held over a few turns of the event
   * loop: every execution still running waits on a held answer, directly or through a child. The
   * engine's executions move by promises alone (the simulated clock, no wall-clock timers), so a
   * turn of the loop drains everything that can move.
   */
  private async quiescent(): Promise<boolean> {
    const before = this.progress;
    for (let turn = 0; turn < 3; turn += 1) await new Promise<void>((resolve) => setImmediate(resolve));
    return this.progress === before;
  }

  /** Waits on a held approval without holding settle() up. */
  private async parkedOn(held: Promise<ApprovalDecision>): Promise<ApprovalDecision> {
    this.parked += 1;
    this.progress += 1;
    const changed = this.parkedChanged;
    this.parkedChanged = signal();
    changed.resolve();
    try {
      return await Promise.race([
        held,
        this.stopping.promise.then((): never => {
          throw namedError(ENGINE_ERRORS.stopped, 'The game day stopped before this approval was answered');
        }),
      ]);
    } finally {
      this.parked -= 1;
    }
  }

  /**
   * Ends a run cut short (a scenario that could not run to its end): every approval still held for
   * a later injection, which will never come, is given up, so that its task ends. A task still
   * waiting keeps aws-local-stepfunctions' own timer (set beyond reach, withoutWallClockTimeouts)
   * and with it the process alive for weeks after the game day printed its result. Executions then
   * end as they would (their Catch, or failed); nothing is answered on anyone's behalf.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopping.resolve();
  }

  /**
   * Ends every execution now, for a scenario past its wall-time bound: stop(), and each task still
   * running fails with Firebreak.GameDayStopped without waiting for its call (which may never
   * answer), no task starts any more, and every execution is aborted. A task left waiting would
   * keep aws-local-stepfunctions' timer, and with it the process, alive (see stop()).
   */
  abort(): void {
    this.stop();
    if (this.aborted) return;
    this.aborted = true;
    for (const fail of [...this.abortListeners]) fail(abortedTaskError());
    for (const abortExecution of [...this.executionAborts]) abortExecution();
  }

  /** The task's result, unless abort() comes first: then it fails at once. */
  private unlessAborted<T>(task: Promise<T>): Promise<T> {
    if (this.aborted) return Promise.reject(abortedTaskError());
    // A listener per running task rather than a race with one shared promise: a race would keep
    // every task's result reachable until the engine is gone (thousands in a finding storm).
    return new Promise<T>((resolve, reject) => {
      this.abortListeners.add(reject);
      task.then(resolve, reject).finally(() => this.abortListeners.delete(reject));
    });
  }

  /** The local ARN of a playbook's state machine, if that playbook is deployed. */
  stateMachineArnOf(playbook: string): string | undefined {
    return [...this.deployed.values()].find((deployed) => deployed.playbook === playbook)?.arn;
  }

  /** The deployed definition of a state machine (for the latency model: which states run in parallel). */
  definitionOf(stateMachineArn: string): { readonly kind: ExecutionKind; readonly definition: AslDefinition } | undefined {
    const deployed = this.deployed.get(stateMachineArn);
    return deployed ? { kind: deployed.kind, definition: deployed.definition } : undefined;
  }

  /** Every execution, in start order (unless retention is off). */
  executions(): readonly ExecutionRecord[] {
    return this.records;
  }

  /**
   * Starts an execution under `name`, as StartExecution does
   * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html): a name
   * the machine already used throws ExecutionAlreadyExists, except that a Standard machine's call
   * with the same name and the same input as an execution still running is idempotent and answers
   * that execution (nothing new runs). Express machines are never idempotent.
   */
  start(stateMachineArn: string, name: string, input: unknown, parentArn?: string): ExecutionRecord {
    const deployed = this.deployed.get(stateMachineArn);
    if (!deployed) throw namedError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    // StartExecution's input is at most 256 KiB of UTF-8: over it, nothing starts (an EventBridge
    // delivery of a larger event goes to the rule target's dead-letter queue).
    const bytes = payloadBytesOver(input, STATES_PAYLOAD_LIMIT_BYTES);
    if (bytes !== undefined) throw inputTooLarge(bytes);
    const used = this.usedNames.get(stateMachineArn) as Set<string>;
    if (used.has(name)) {
      const open = deployed.kind === 'dispatcher' ? undefined : this.byArn.get(this.executionArn(deployed, name));
      if (open?.status === 'RUNNING' && sameJsonText(open.input, input)) return open;
      throw namedError('ExecutionAlreadyExists', `Execution Already Exists: '${this.executionArn(deployed, name)}'`);
    }
    used.add(name);
    const executionArn = this.executionArn(deployed, name);
    let finish!: () => void;
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const record: ExecutionRecord = {
      kind: deployed.kind,
      executionArn,
      name,
      stateMachineArn,
      stateMachineName: deployed.name,
      ...(deployed.playbook !== undefined ? { playbook: deployed.playbook } : {}),
      input,
      ...(parentArn !== undefined ? { parentArn } : {}),
      startWallMs: wallClockMs(),
      startSim: this.backend.now(),
      status: 'RUNNING',
      path: [],
      events: [],
      tasks: [],
      started: [],
      done,
    };
    if (this.retain) this.records.push(record);
    this.byArn.set(executionArn, record);
    const running = this.run(deployed, record).finally(() => {
      this.progress += 1;
      finish();
      if (!this.retain) {
        this.byArn.delete(executionArn);
        this.scheduledTasks.delete(executionArn);
      }
      this.onExecutionEnd?.(record);
    });
    const tracked = running.then(() => undefined);
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
    return record;
  }

  private executionArn(deployed: Deployed, name: string): string {
    const [, partition, , region, account] = deployed.arn.split(':');
    // Express executions carry a run id; Standard executions are addressed by name.
    return deployed.kind === 'dispatcher'
      ? `arn:${partition}:states:${region}:${account}:express:${deployed.name}:${name}:${shortHash(name)}`
      : `arn:${partition}:states:${region}:${account}:execution:${deployed.name}:${name}`;
  }

  private async run(deployed: Deployed, record: ExecutionRecord): Promise<void> {
    const attempts = new Map<string, number>();
    const lastError = new Map<string, string>();
    const retrierCounts = new Map<string, number[]>();
    const taskHandlers: Record<string, (input: Json) => Promise<Json>> = {};
    // The payload over the limit that failed this execution, once the event log has shown one (its
    // input is never: start() refused an input over the limit, as StartExecution does).
    let dataLimit: Error | undefined;
    // The bounds of this execution's state data already measured (each large object walked once).
    const bounds = new PayloadBounds();
    // The Parallel states of this execution stopped by a failed branch (seen on the event log).
    const stoppedParallels = new Set<string>();
    const inStoppedBranch = (stateName: string): boolean =>
      (deployed.enclosingParallels.get(stateName) ?? []).some((parallel) => stoppedParallels.has(parallel));
    for (const [stateName, state] of deployed.tasks) {
      taskHandlers[stateName] = async (parameters) => {
        // A state's output over the limit, or a failed branch, shows on the event log a few
        // microtasks after it happened: let it catch up, so that no task runs once the execution
        // (or the branch) has been stopped.
        await eventLogCatchUp();
        const overLimit = dataLimit ?? overPayloadLimit(`the input of task ${stateName}`, parameters, bounds);
        if (overLimit) throw overLimit;
        if (this.aborted) throw abortedTaskError();
        if (inStoppedBranch(stateName)) {
          throw namedError(ENGINE_ERRORS.branchStopped, `${stateName} did not run: another branch of its Parallel state failed, which stops every branch`);
        }
        const attempt = (attempts.get(stateName) ?? 0) + 1;
        attempts.set(stateName, attempt);
        const previous = lastError.get(stateName);
        if (attempt > 1 && previous !== undefined) {
          // The library does not sleep (override 0): move the backend's clock as the real retry would.
          const index = retrierFor(state, previous);
          const counts = retrierCounts.get(stateName) ?? [];
          counts[index] = (counts[index] ?? 0) + 1;
          retrierCounts.set(stateName, counts);
          const retrier = (state.Retry as Record<string, unknown>[] | undefined)?.[index];
          if (retrier) this.backend.advance(nominalRetryDelayMs(retrier, counts[index] as number));
        }
        // The transition into the Task state (each attempt is entered again), once the event log has
        // stamped the states entered so far with the time before it.
        if (this.pace) {
          this.paceBy((pace) => (deployed.kind === 'dispatcher' ? pace.expressTransitionMs : pace.standardTransitionMs));
        }
        try {
          const result = await this.unlessAborted(this.runTask(deployed, record, stateName, state, atSimulatedStart(parameters, record), attempt));
          lastError.delete(stateName);
          const resultOverLimit = overPayloadLimit(`the result of task ${stateName}`, result, bounds);
          if (resultOverLimit) throw resultOverLimit;
          return result;
        } catch (error) {
          lastError.set(stateName, error instanceof Error ? error.name : 'Error');
          throw error;
        }
      };
    }
    const execution = deployed.machine.run(record.input as Json, {
      overrides: {
        taskResourceLocalHandlers: taskHandlers,
        retryIntervalOverrides: deployed.retryIntervalOverrides,
      },
      context: {
        Execution: { Id: record.executionArn, Name: record.name, RoleArn: `arn:aws:iam::${deployed.arn.split(':')[4]}:role/firebreak-states` },
        StateMachine: { Id: deployed.arn, Name: deployed.name },
        Task: { Token: `${shortHash(record.executionArn)}.${Buffer.from(record.executionArn).toString('base64url')}` },
      },
    });
    // Aborted with the engine (abort()); one started after it is aborted at once.
    this.executionAborts.add(execution.abort);
    if (this.aborted) execution.abort();
    const collect = (async () => {
      for await (const event of execution.eventLogs) {
        const state = 'state' in event ? event.state : undefined;
        if (event.type === 'ParallelBranchFailed') stoppedParallels.add(event.parentState.name);
        if (event.type === 'StateEntered' && state?.type === 'Parallel') stoppedParallels.delete(state.name);
        // What the library still runs in a stopped branch never happened in Step Functions.
        // (A task already running when its branch was stopped still ends, and its end is kept.)
        if (state && inStoppedBranch(state.name)) {
          const ranToItsEnd = event.type === 'StateExited' || (event.type === 'StateFailed' && String(event.Error) !== ENGINE_ERRORS.branchStopped);
          if (!ranToItsEnd) continue;
        }
        if (event.type === 'StateEntered' && state) record.path.push(state.name);
        // A state whose output is its input (Choice, Succeed, a Pass without Parameters) was measured as the state before's output.
        if (event.type === 'StateExited' && state && state.output !== state.input && dataLimit === undefined) {
          dataLimit = overPayloadLimit(`the output of state ${state.name}`, state.output, bounds);
          if (dataLimit) execution.abort();
        }
        if (!this.recordEvents) continue;
        record.events.push({
          type: event.type,
          ...(state ? { state: state.name, stateType: state.type } : {}),
          wallMs: event.timestamp,
          simAt: this.backend.now(),
          ...('Error' in event ? { error: String(event.Error) } : {}),
          ...('Cause' in event ? { cause: typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause) } : {}),
          ...('retry' in event ? { retry: event.retry.attempt + 1 } : {}),
        });
      }
    })();
    try {
      record.output = await execution.result;
      record.status = 'SUCCEEDED';
    } catch (error) {
      record.status = 'FAILED';
      const cause = (error as { cause?: unknown }).cause;
      const failure = dataLimit ?? (cause instanceof Error ? cause : error instanceof Error ? error : new Error(String(error)));
      record.error = failure.name;
      record.cause = failure.message;
    }
    await collect;
    this.executionAborts.delete(execution.abort);
    record.endWallMs = wallClockMs();
    record.endSim = this.backend.now();
  }

  private async runTask(
    deployed: Deployed,
    record: ExecutionRecord,
    stateName: string,
    state: AslState,
    parameters: Json,
    attempt: number,
  ): Promise<Json> {
    this.progress += 1;
    const resource = String(state.Resource);
    const params = isRecord(parameters) ? parameters : {};
    const responder = typeof params.FunctionName === 'string' ? this.functions.get(params.FunctionName) : undefined;
    const role = responder !== undefined ? responderRole(responder, this.region()) : this.machineRole(deployed);
    const invocation: TaskInvocation = {
      state: stateName,
      resource,
      ...(responder !== undefined ? { responder } : {}),
      role,
      attempt,
      startWallMs: wallClockMs(),
      startSim: this.backend.now(),
      // Call attribution is for the timeline; a storm (no events recorded) skips it.
      fromSeq: this.recordEvents ? this.backend.callCount() + 1 : 0,
    };
    record.tasks.push(invocation);
    // Step Functions writes TaskScheduled, with the parameters, before it calls the integration.
    const scheduled = this.scheduledTasks.get(record.executionArn) ?? [];
    scheduled.push({ ...integrationOf(resource), parameters: params });
    this.scheduledTasks.set(record.executionArn, scheduled);
    const end = () => {
      invocation.endWallMs = wallClockMs();
      invocation.endSim = this.backend.now();
      if (this.recordEvents) invocation.toSeq = this.backend.callCount() + 1;
    };
    try {
      const result = await this.dispatchTask(deployed, record, stateName, state, resource, params, responder, invocation);
      invocation.result = result;
      end();
      return result;
    } catch (error) {
      invocation.error = { name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) };
      end();
      throw error;
    }
  }

  /**
   * A `.waitForTaskToken` task: its function is invoked (publish-alert stores and sends the approval
   * request), then the task waits for the token's answer, which a person gives through the approval
   * function, or for its timeout.
   */
  private async waitForTaskToken(
    deployed: Deployed,
    record: ExecutionRecord,
    stateName: string,
    state: AslState,
    responder: string,
    payload: unknown,
    token: string,
    invocation: TaskInvocation,
  ): Promise<Json> {
    const handler = this.handler(responder);
    try {
      await this.invokeHandler(handler, payload, invocation);
    } catch (error) {
      throw lambdaFunctionError(error);
    }
    const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
    const askedAt = this.backend.now().getTime();
    const request: ApprovalRequest = {
      executionArn: record.executionArn,
      executionName: record.name,
      ...(deployed.playbook !== undefined ? { playbook: deployed.playbook } : {}),
      state: stateName,
      taskToken: token,
      payload,
      ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    };
    let asked = await this.approvals(request);
    for (let first = true; ; first = false) {
      const decision = 'held' in asked ? await this.parkedOn(asked.held) : asked;
      // After a refusal, nobody else answering leaves the refused answer as the task's. A desk that
      // does not read `refused` gives the same person again, whom the function refuses again.
      if (!first && (decision.answer === 'timeout' || invocation.refusedAnswers?.some((refused) => refused.decision.by === decision.by) === true)) break;
      invocation.approval = decision;
      if (decision.answer === 'timeout') break;
      // The person takes this long to answer (a scenario's answerAfterSeconds).
      if (decision.afterSeconds !== undefined) this.backend.advance(decision.afterSeconds * 1000);
      // An answer held while the simulated clock ran past the state's timeout comes too late:
      // Step Functions has already failed the task with States.Timeout. The person answers anyway,
      // through the approval function, while the execution runs its timeout path: the answer must
      // change nothing (the function refuses it; the steps of the timeout path ignore it).
      const waitedMs = this.backend.now().getTime() - askedAt;
      if (timeoutSeconds !== undefined && waitedMs > timeoutSeconds * 1000) {
        this.timedOutTokens.add(token);
        invocation.approvalResponse = await this.answerThroughApprovalFunction(record.executionArn, decision);
        throw namedError(ENGINE_ERRORS.timeout, `The approval request of ${stateName} was answered after ${Math.round(waitedMs / 1000)} seconds, past its ${timeoutSeconds}-second timeout`);
      }
      // A person answers through the approval function, as deployed: it records who answered
      // (the identity AWS would authenticate) and sends the token back, or refuses.
      this.waitingTokens.set(token, undefined);
      let response: ApprovalResponse;
      try {
        response = await this.answerThroughApprovalFunction(record.executionArn, decision);
        invocation.approvalResponse = response;
        const sent = this.waitingTokens.get(token);
        if (sent?.kind === 'success') return JSON.parse(sent.output) as Json;
        if (sent?.kind === 'failure') throw namedError(sent.error, sent.cause);
      } finally {
        this.waitingTokens.delete(token);
      }
      // Refused, nothing sent: the request still waits, and someone else may answer it.
      (invocation.refusedAnswers ??= []).push({ decision, response });
      asked = await this.approvals({ ...request, refused: response });
    }
    // Nobody answered (or the approval function refused every answer): the clock runs to the
    // state's timeout (a year, Step Functions' maximum, when unset).
    this.backend.advance((timeoutSeconds ?? 31_536_000) * 1000);
    this.timedOutTokens.add(token);
    throw namedError(ENGINE_ERRORS.timeout, `Nobody answered the approval request of ${stateName} within ${timeoutSeconds ?? 31_536_000} seconds`);
  }

  private async dispatchTask(
    deployed: Deployed,
    record: ExecutionRecord,
    stateName: string,
    state: AslState,
    resource: string,
    params: Record<string, unknown>,
    responder: string | undefined,
    invocation: TaskInvocation,
  ): Promise<Json> {
    switch (resource) {
      case LAMBDA_INVOKE_RESOURCE: {
        // https://docs.aws.amazon.com/step-functions/latest/dg/lambda-iam.html: the state machine's role needs lambda:InvokeFunction.
        this.authorizeIntegration(deployed, 'lambda:InvokeFunction', String(params.FunctionName), 'Lambda.AWSLambdaException');
        this.paceBy((pace) => pace.lambdaInvokeMs);
        const handler = this.handler(responder as string);
        let payload: unknown;
        try {
          payload = await this.invokeHandler(handler, params.Payload, invocation);
        } catch (error) {
          throw lambdaFunctionError(error);
        }
        return { ExecutedVersion: '$LATEST', Payload: (payload ?? null) as Json, StatusCode: 200 };
      }
      case WAIT_FOR_TASK_TOKEN_RESOURCE: {
        // The function is invoked (it sends the approval request), then the task waits for the token.
        this.authorizeIntegration(deployed, 'lambda:InvokeFunction', String(params.FunctionName), 'Lambda.AWSLambdaException');
        this.paceBy((pace) => pace.lambdaInvokeMs);
        const payload = params.Payload;
        // The token travels in the payload (`taskToken.$: $$.Task.Token`, at the top or in `approval`).
        const approval = isRecord(payload) && isRecord(payload.approval) ? payload.approval : undefined;
        const token =
          isRecord(payload) && typeof payload.taskToken === 'string'
            ? payload.taskToken
            : typeof approval?.taskToken === 'string'
              ? approval.taskToken
              : `${record.executionArn}#${stateName}`;
        // The token waits from the moment the task starts, while its function runs too.
        this.liveTokens.set(token, (this.liveTokens.get(token) ?? 0) + 1);
        this.timedOutTokens.delete(token);
        try {
          return await this.waitForTaskToken(deployed, record, stateName, state, responder as string, payload, token, invocation);
        } finally {
          const left = (this.liveTokens.get(token) ?? 1) - 1;
          if (left > 0) this.liveTokens.set(token, left);
          else this.liveTokens.delete(token);
        }
      }
      case START_EXECUTION_RESOURCE: {
        const stateMachineArn = String(params.StateMachineArn);
        const name = typeof params.Name === 'string' ? params.Name : `${record.name}-${record.started.length + 1}`;
        const input = typeof params.Input === 'string' ? (JSON.parse(params.Input) as unknown) : (params.Input ?? {});
        this.authorizeIntegration(deployed, 'states:StartExecution', stateMachineArn, 'StepFunctions.AccessDeniedException', { StateMachineArn: stateMachineArn });
        this.paceBy((pace) => pace.apiMs('states:StartExecution'));
        try {
          const started = this.start(stateMachineArn, name, input, record.executionArn);
          record.started.push(started.executionArn);
          return { ExecutionArn: started.executionArn, StartDate: started.startSim.toISOString() };
        } catch (error) {
          throw integrationError('StepFunctions', error);
        }
      }
      case START_EXECUTION_SYNC_RESOURCE: {
        // startExecution.sync:2: start the execution, wait for it to end, answer its output as JSON;
        // an execution that does not succeed fails the task with States.TaskFailed, as Step Functions does.
        const stateMachineArn = String(params.StateMachineArn);
        const name = String(params.Name);
        const input = typeof params.Input === 'string' ? (JSON.parse(params.Input) as unknown) : (params.Input ?? {});
        this.authorizeIntegration(deployed, 'states:StartExecution', stateMachineArn, 'StepFunctions.AccessDeniedException', { StateMachineArn: stateMachineArn });
        this.paceBy((pace) => pace.apiMs('states:StartExecution'));
        let started: ExecutionRecord;
        try {
          started = this.start(stateMachineArn, name, input, record.executionArn);
        } catch (error) {
          throw integrationError('StepFunctions', error);
        }
        record.started.push(started.executionArn);
        await started.done;
        if (started.status !== 'SUCCEEDED') {
          throw namedError('States.TaskFailed', `Execution ${started.executionArn} ended ${started.status}: ${started.error ?? ''} ${started.cause ?? ''}`.trim());
        }
        return {
          ExecutionArn: started.executionArn,
          Name: started.name,
          StateMachineArn: stateMachineArn,
          Status: started.status,
          Input: (input ?? null) as Json,
          Output: (started.output ?? null) as Json,
          StartDate: started.startSim.getTime(),
          StopDate: (started.endSim ?? started.startSim).getTime(),
        };
      }
      case DESCRIBE_EXECUTION_RESOURCE: {
        // The AWS SDK integration's DescribeExecution of an execution this engine started (an
        // earlier revision's): its fields as the API names them, Output a JSON string once it succeeded.
        const executionArn = String(params.ExecutionArn);
        this.authorizeIntegration(deployed, 'states:DescribeExecution', executionArn, 'Sfn.AccessDeniedException', { executionArn });
        this.paceBy((pace) => pace.apiMs('states:DescribeExecution'));
        const found = this.describeExecution(executionArn);
        if (!found) throw namedError('Sfn.ExecutionDoesNotExistException', `Execution Does Not Exist: '${executionArn}'`);
        return {
          ExecutionArn: found.executionArn,
          StateMachineArn: found.stateMachineArn,
          Name: found.name,
          Status: found.status,
          StartDate: found.startDate.toISOString(),
          Input: found.input,
          ...(found.stopDate !== undefined ? { StopDate: found.stopDate.toISOString() } : {}),
          ...(found.output !== undefined ? { Output: found.output } : {}),
        };
      }
      case SQS_SEND_MESSAGE_RESOURCE: {
        const body = typeof params.MessageBody === 'string' ? params.MessageBody : JSON.stringify(params.MessageBody);
        try {
          const answer = await this.clientsOf(this.machineRole(deployed)).sqs().send(new SendMessageCommand({ QueueUrl: String(params.QueueUrl), MessageBody: body }));
          return { MessageId: answer.MessageId ?? null, MD5OfMessageBody: answer.MD5OfMessageBody ?? null };
        } catch (error) {
          throw integrationError('SQS', error);
        }
      }
      case DYNAMODB_UPDATE_ITEM_RESOURCE: {
        // The dispatcher's RecordTriage: the parameters are UpdateItem's own, as the integration passes them.
        // https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html
        try {
          const answer = await this.clientsOf(this.machineRole(deployed)).dynamodb().send(new UpdateItemCommand(params as unknown as UpdateItemCommandInput));
          return answer.Attributes ? { Attributes: answer.Attributes as unknown as Json } : {};
        } catch (error) {
          throw integrationError('DynamoDB', error);
        }
      }
      case SNS_PUBLISH_RESOURCE: {
        const message = typeof params.Message === 'string' ? params.Message : JSON.stringify(params.Message);
        try {
          const answer = await this
            .clientsOf(this.machineRole(deployed))
            .sns()
            .send(new PublishCommand({ TopicArn: String(params.TopicArn), Message: message, ...(typeof params.Subject === 'string' ? { Subject: params.Subject } : {}) }));
          return { MessageId: answer.MessageId ?? null };
        } catch (error) {
          throw integrationError('SNS', error);
        }
      }
      default:
        throw namedError(ENGINE_ERRORS.unsupportedTask, `the local engine cannot run ${resource} (state ${stateName})`);
    }
  }
}

/**
 * A responder function's timeout as the synthesized template deploys it (Properties.Timeout of its
 * AWS::Lambda::Function), in seconds: the deadline of a rehearsed function timeout.
 */
function deployedTimeoutSeconds(definitions: SynthesizedDefinitions, responder: string): number {
  const deployment = definitions.deployment;
  const logicalId = deployment?.logicalIds.responders[responder]?.function;
  const timeout = logicalId !== undefined ? deployment?.template.Resources[logicalId]?.Properties?.Timeout : undefined;
  if (typeof timeout !== 'number') {
    throw new LocalDeploymentError(`functionTimeouts: the deployment has no function ${responder} with a literal Timeout`);
  }
  return timeout;
}

/** The error of a task given up by LocalEngine.abort. */
function abortedTaskError(): Error {
  return namedError(ENGINE_ERRORS.stopped, 'The game day stopped this task before it ended: the scenario ran past its wall-time bound');
}

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
