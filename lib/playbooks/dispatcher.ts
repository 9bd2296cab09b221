/**
 * The dispatcher: an Express state machine that every EventBridge rule targets. It runs triage
 * (Lambda) on the raw event, then starts the chosen playbook's Standard state machine under a
 * deterministic execution name, alerts, or ends. Pure ASL generation, like the playbook compiler.
 *
 * The Triage state's input is the event and its receive time, nothing else: Step Functions fails a
 * task whose input passes 256 KiB with States.DataLimitExceeded, which no Catch handles. An
 * EventBridge event may be up to 1 MB (since January 2026), but StartExecution refuses an input over
 * 256 KiB, so the dispatcher's input is at most that; an event within about 200 bytes of it still
 * fails here. The oversized-event intake, every rule's second target, dispatches a clipped copy of
 * any event over 255 KiB (lib/responders/oversized-event.ts), so neither is lost. Triage reads the routing table from its own
 * environment (lib/playbooks/routing.ts) and answers the chosen playbook's name and index; the
 * dispatcher's definition lists the routed playbooks' state machine ARNs in the same order, and
 * starts the one at that index only when the name listed there is the one triage answered. A
 * manual playbook (release) is in neither list, nor in the dispatcher's IAM policy.
 *
 * Why Express: EventBridge delivers at least once and findings can arrive in storms; Express is
 * billed by duration rather than per transition and accepts 100,000 starts per second. It cannot
 * `.sync` or `.waitForTaskToken` (https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html),
 * so StartExecution is request-response: the dispatcher ends as soon as the playbook has started.
 *
 * Exactly once: the execution name is derived from the finding and its update, and Step Functions
 * refuses a name already used by the state machine in the last 90 days
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html). A
 * duplicate delivery therefore ends in `ExecutionAlreadyExists`, which the dispatcher treats as done,
 * once it has made triage's record write under its once-per-revision condition (row 17c): a true
 * duplicate's write fails its condition and adds nothing. An unconfirmed copy from the
 * oversized-event intake runs under a name of its own (`playbookExecutionName`, row 8g), so a
 * forged copy never takes the name of GuardDuty's own delivery.
 * The one exception, a Standard machine answering the same name AND the same input as a running
 * execution with that execution, never applies: the input carries this dispatcher execution's own id
 * (`AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID`), so two deliveries never send the same input.
 *
 * Nothing is dropped silently: an event triage finds invalid, and any event the dispatcher fails
 * to handle (triage crash, StartExecution refused), is sent with its reason to the unprocessable
 * events queue and alerted, and the execution ends FAILED so that the dispatcher's
 * `ExecutionsFailed` metric counts it. When the alert of an alert-only decision cannot be published,
 * the event and triage's reasons are kept in the same queue with the alert's error and the
 * execution ends FAILED too: a decision nobody was told of is never a success. That holds for an execution input that is not a JSON object
 * too (a string or number from an input transformer, an array from a manual StartExecution):
 * triage finds it invalid, and no state writes into the input. What is kept and alerted is
 * triage's bounded copy of the event, or its envelope when triage did not answer, never the event
 * whole: with the error beside it, that could exceed Step Functions' 256 KiB past every Catch
 * (lib/incident/kept-event.ts).
 *
 * Triage's entry in the incident record (its decision, reasons and times: lib/responders/triage-record.ts)
 * is written by the dispatcher itself, with the DynamoDB service integration, AFTER the playbook has
 * started: the write never delays or blocks the playbook, and a write that fails (throttled, denied)
 * is caught and the execution still succeeds (the event was handled; the record misses triage's
 * entry, the Express log keeps the error). An alert-only decision is written BEFORE its alert, under
 * the same once-per-revision condition: no execution name refuses a second delivery of it, so the
 * condition does (`DuplicateAlertOnly`: one alert per revision). A failed write never costs the
 * alert (alerted all the same, `TriageNotRecorded`), and an alert that fails for good takes the
 * revision back out of the triaged set (`ForgetTriageOnly`) before the event is kept, so that a
 * replay of the event is alerted, not taken for a duplicate. A decision without a complete
 * write (an older triage, an ignored or invalid event) skips it: a Choice checks every path the Task
 * reads, since a missing path is a States.Runtime error no Catch can handle.
 */
import { ALERT_FAILED_ERROR, INVALID_EVENT_ERROR, UNKNOWN_TRIAGE_OUTCOME_ERROR } from '../contracts/errors';
import type { ResponderMode } from '../contracts/responder-mode';
import type { AslDefinition, AslState, CompiledStateMachine } from './compile';
import { ALERT_RESPONDER, functionPlaceholder, LAMBDA_INVOKE_RESOURCE } from './compile';
import { RESPONDER_NAMES } from '../contracts/responders';
import { TRIAGE_RECORD_CONDITION, TRIAGED_REVISIONS_ATTRIBUTE } from '../contracts/incident-record';
import { KEPT_ENVELOPE_FIELDS } from '../incident/kept-event';

/** The responder that triages an event into a decision. */
export const TRIAGE_RESPONDER = RESPONDER_NAMES.triage;

/** Substitution name of the unprocessable-events queue URL. */
export const INVALID_EVENT_QUEUE_PLACEHOLDER = 'InvalidEventQueueUrl';

/** Substitution name of the state table (the incident record's table). */
export const STATE_TABLE_PLACEHOLDER = 'StateTableName';

/** The Step Functions DynamoDB integration's UpdateItem (request-response). */
export const DYNAMODB_UPDATE_ITEM_RESOURCE = 'arn:aws:states:::dynamodb:updateItem';

import { stateMachinePlaceholder } from './compile-per-instance';
export { stateMachinePlaceholder };

/** State names of the dispatcher, for tests and the local engine's task overrides. */
export const DISPATCHER_STATES = {
  triage: 'Triage',
  triageFailed: 'TriageFailed',
  route: 'RouteDecision',
  deployedPlaybook: 'DeployedPlaybook',
  unknownPlaybook: 'UnknownPlaybook',
  startPlaybook: 'StartPlaybook',
  duplicateDelivery: 'DuplicateDelivery',
  duplicateRecordReady: 'DuplicateRecordReady',
  recordDuplicateTriage: 'RecordDuplicateTriage',
  alertOnlyRecordReady: 'AlertOnlyRecordReady',
  recordTriageOnly: 'RecordTriageOnly',
  duplicateAlertOnly: 'DuplicateAlertOnly',
  alertOnly: 'AlertTriageOnly',
  alertOnlyDone: 'AlertOnlyDone',
  alertOnlyUnalerted: 'AlertOnlyUnalerted',
  forgetTriageOnly: 'ForgetTriageOnly',
  keepUnalertedEvent: 'KeepUnalertedEvent',
  alertFailed: 'AlertFailed',
  ignored: 'Ignored',
  keepInvalidEvent: 'KeepInvalidEvent',
  alertInvalidEvent: 'AlertInvalidEvent',
  invalidEvent: 'InvalidEvent',
  unknownOutcome: 'UnknownTriageOutcome',
  keptEventReady: 'KeptEventReady',
  keepFindingEnvelope: 'KeepFindingEnvelope',
  keepEventEnvelope: 'KeepEventEnvelope',
  keepNoEvent: 'KeepNoEvent',
  keepUndispatchedEvent: 'KeepUndispatchedEvent',
  alertDispatchFailure: 'AlertDispatchFailure',
  dispatchFailed: 'DispatchFailed',
  triageRecordReady: 'TriageRecordReady',
  recordTriage: 'RecordTriage',
  dispatched: 'Dispatched',
  triageNotRecorded: 'TriageNotRecorded',
} as const;

/** What `compileDispatcher` needs to know. */
export interface DispatcherOptions {
  /**
   * The routed (automatic) playbooks' names in the order of triage's routing table, a playbook's
   * index being its position (`routedPlaybookNames` in lib/playbooks/routing.ts). Their state
   * machine ARNs are written in the same order, each as its `${Sm_<name>}` placeholder.
   */
  readonly routedPlaybooks: readonly string[];
  /** Mode shown on alerts that have no triage decision (dispatch failures); the deployment's mode. */
  readonly alertMode: ResponderMode;
}

const STATES = DISPATCHER_STATES;
const DECISION = '$.triage.decision';
const RECORD = `${DECISION}.record`;
/** The event as triage bounded it for the kept message and the alert (lib/incident/kept-event.ts). */
const KEPT = `${DECISION}.kept`;
// After Triage, states read the event from the context object, never from the state data: the
// execution input may be any JSON value (a string or a number from an input transformer or a manual
// StartExecution), and only an object can take a `ResultPath` below `$`. None reads it whole: the
// kept message and the alerts carry triage's bounded copy (`kept`), or the event's envelope.
const RAW_EVENT = '$$.Execution.Input';

/** Lambda's own transient errors, and StartExecution throttling; everything else is final. */
const LAMBDA_TRANSIENT = [
  'TransientResponderError',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];
const quickRetry = (errors: readonly string[]) => ({
  ErrorEquals: [...errors],
  IntervalSeconds: 1,
  BackoffRate: 2,
  MaxAttempts: 3,
  JitterStrategy: 'FULL',
});

/** A publish-alert Task; `next` is where it goes when the alert succeeds, `onFailure` (default: `next` too) when it fails for good. */
function alertTask(comment: string, payload: Record<string, unknown>, next: string, onFailure = next): AslState {
  return {
    Type: 'Task',
    Comment: comment,
    Resource: LAMBDA_INVOKE_RESOURCE,
    Parameters: { FunctionName: `\${${functionPlaceholder(ALERT_RESPONDER)}}`, Payload: payload },
    ResultPath: null,
    Retry: [quickRetry(LAMBDA_TRANSIENT)],
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.alertFailure', Next: onFailure }],
    Next: next,
  };
}

/** An SQS SendMessage Task to the unprocessable-events queue. */
function keepEventTask(comment: string, body: Record<string, unknown>, next: string): AslState {
  return {
    Type: 'Task',
    Comment: comment,
    Resource: 'arn:aws:states:::sqs:sendMessage',
    Parameters: { QueueUrl: `\${${INVALID_EVENT_QUEUE_PLACEHOLDER}}`, MessageBody: body },
    ResultPath: null,
    Retry: [quickRetry(['SQS.SdkClientException', 'SQS.AmazonSQSException', 'SQS.KmsThrottledException'])],
    // Keeping failed too: alert anyway, with the event in the alert itself.
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.keepFailure', Next: next }],
    Next: next,
  };
}

// EventBridge's envelope fields: it sets id, account, region and time itself, and every rule matches source and detail-type exactly.
const envelopePath = (field: string) => `${RAW_EVENT}['${field}']`;

/**
 * The states that give a dispatch failure without triage's bounded copy of the event (triage failed,
 * or answered without one) a copy bounded by construction: the event's envelope, and for a
 * GuardDuty finding its id, type and severity, read by path from the execution input. The detail
 * is left out, whatever its size: it could be up to StartExecution's 256 KiB, and with the error beside
 * it the kept message would exceed Step Functions' payload limit past every Catch. A Choice checks
 * every path a Pass reads (a missing one is a States.Runtime error no Catch handles).
 */
function envelopeStates(): Record<string, AslState> {
  const envelope = Object.fromEntries(KEPT_ENVELOPE_FIELDS.map((field) => [`${field}.$`, envelopePath(field)]));
  const detailLeftOut = 'Triage did not answer with a bounded copy of the event: only its envelope is kept here, not its detail or resources.';
  const keep = (kept: Record<string, unknown>): AslState => ({
    Type: 'Pass',
    Parameters: { 'dispatchError.$': '$.dispatchError', triage: { decision: { kept } } },
    Next: STATES.keepUndispatchedEvent,
  });
  return {
    [STATES.keptEventReady]: {
      Type: 'Choice',
      Comment: "Keep triage's bounded copy of the event; without one, the envelope only.",
      Choices: [
        { Variable: KEPT, IsPresent: true, Next: STATES.keepUndispatchedEvent },
        { Or: KEPT_ENVELOPE_FIELDS.map((field) => ({ Not: { Variable: envelopePath(field), IsPresent: true } })), Next: STATES.keepNoEvent },
        { Or: KEPT_ENVELOPE_FIELDS.map((field) => ({ Not: { Variable: envelopePath(field), IsString: true } })), Next: STATES.keepNoEvent },
        {
          // Only GuardDuty can send source aws.guardduty (EventBridge refuses it from anyone else), so these are GuardDuty's own.
          And: [
            { Variable: envelopePath('source'), StringEquals: 'aws.guardduty' },
            ...['id', 'type', 'severity'].map((field) => ({ Variable: `${RAW_EVENT}.detail.${field}`, IsPresent: true })),
          ],
          Next: STATES.keepFindingEnvelope,
        },
      ],
      Default: STATES.keepEventEnvelope,
    },
    [STATES.keepFindingEnvelope]: keep({
      ...envelope,
      finding: { 'id.$': `${RAW_EVENT}.detail.id`, 'type.$': `${RAW_EVENT}.detail.type`, 'severity.$': `${RAW_EVENT}.detail.severity` },
      note: detailLeftOut,
    }),
    [STATES.keepEventEnvelope]: keep({ ...envelope, note: detailLeftOut }),
    [STATES.keepNoEvent]: keep({
      note: 'Triage did not answer with a bounded copy of the event, and the execution input is not an EventBridge event: none of it is kept here.',
    }),
  };
}

/**
 * The states that start the chosen playbook (none without a routed playbook). `DeployedPlaybook`
 * lets through only a decision whose index and name are those of one routed playbook: the ARN list
 * and triage's routing table are written from one list, so they agree, and a triage that disagrees
 * is a dispatch failure, kept and alerted, never the start of another playbook. It also keeps every
 * index `States.ArrayGetItem` would fail on (out of range, not a whole number) out of
 * StartPlaybook's Parameters; a comparison with a value of another type is false, never an error.
 * `StartPlaybook` then takes the ARN at that index of the list written here: the dispatcher starts
 * only the state machines of its definition, which are those its role may start.
 */
function playbookStates(routed: readonly string[], dispatchFailureCatch: readonly Record<string, unknown>[]): Record<string, AslState> {
  // The placeholders are replaced before Step Functions reads the definition (CloudFormation's
  // DefinitionSubstitutions; the game day's applySubstitutions): the ARNs are what the function
  // parses, and an ARN has none of the characters an intrinsic string escapes.
  const arns = routed.map((name) => `'\${${stateMachinePlaceholder(name)}}'`).join(', ');
  return {
    [STATES.deployedPlaybook]: {
      Type: 'Choice',
      Comment: 'Start only a playbook of the routing table, at its own index: the ARN is taken by that index.',
      Choices: routed.map((name, index) => ({
        And: [
          { Variable: `${DECISION}.playbookIndex`, NumericEquals: index },
          { Variable: `${DECISION}.playbook`, StringEquals: name },
        ],
        Next: STATES.startPlaybook,
      })),
      Default: STATES.unknownPlaybook,
    },
    [STATES.startPlaybook]: {
      Type: 'Task',
      Comment: 'Start the playbook under the deterministic execution name: a duplicate delivery is refused by name.',
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: {
        'StateMachineArn.$': `States.ArrayGetItem(States.Array(${arns}), ${DECISION}.playbookIndex)`,
        'Name.$': `${DECISION}.executionName`,
        Input: {
          'incident.$': `${DECISION}.incident`,
          'mode.$': `${DECISION}.mode`,
          'playbook.$': `${DECISION}.playbook`,
          // Triage's decision without the incident (a per-instance playbook reads its targets
          // there: compile-per-instance.ts). The incident travels once: a second copy could push the
          // input past Step Functions' 256 KiB, which fails this state past its Catch.
          'decision.$': `${DECISION}.playbookDecision`,
          // Links the playbook execution to this one in the console
          // (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-nested-workflows.html).
          'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id',
        },
      },
      ResultPath: '$.started',
      Retry: [
        quickRetry([
          'StepFunctions.SdkClientException',
          'StepFunctions.ThrottlingException',
          'StepFunctions.KmsThrottlingException',
        ]),
      ],
      Catch: [
        { ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], ResultPath: '$.duplicate', Next: STATES.duplicateRecordReady },
        ...dispatchFailureCatch,
      ],
      Next: STATES.triageRecordReady,
    },
    // The execution name is the finding's and its revision's, so the delivery that takes it need not
    // be this one (an unconfirmed copy from the oversized-event intake took it until row 8g gave such
    // copies a name of their own). Ended before the write, GuardDuty's own delivery left the record's
    // facts to whoever wrote first (row 17c); a true duplicate (this revision's triage recorded
    // already) fails the write's condition and adds nothing.
    [STATES.duplicateRecordReady]: {
      Type: 'Choice',
      Comment: "The revision's execution exists: record triage's entry and facts unless this revision's triage is recorded already (the write's condition).",
      Choices: [{ And: recordPathsPresent(), Next: STATES.recordDuplicateTriage }],
      Default: STATES.duplicateDelivery,
    },
    [STATES.recordDuplicateTriage]: recordTriageTask("Append triage's entry (and its facts) to the incident record, once per revision: the execution was started by another delivery or copy.", STATES.duplicateDelivery, [
      // This revision's triage is already recorded: a duplicate delivery.
      { ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: null, Next: STATES.duplicateDelivery },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.recordFailure', Next: STATES.duplicateDelivery },
    ]),
    [STATES.duplicateDelivery]: {
      Type: 'Succeed',
      Comment: 'This incident revision already has its playbook execution: a duplicate delivery starts nothing new.',
    },
  };
}

/** DynamoDB's refusals before any change (throttling): retrying them never applies a write twice. */
const DYNAMODB_THROTTLED = ['DynamoDB.ProvisionedThroughputExceededException', 'DynamoDB.ThrottlingException', 'DynamoDB.RequestLimitExceeded'];

/**
 * DynamoDB's errors after which a write may or may not have been applied (a server error, a client
 * timeout or lost connection: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
 */
const DYNAMODB_UNKNOWN_OUTCOME = ['DynamoDB.InternalServerErrorException', 'DynamoDB.SdkClientException'];

/** DynamoDB's transient errors as the service integration names them; everything else is final. */
const DYNAMODB_TRANSIENT = [...DYNAMODB_THROTTLED, ...DYNAMODB_UNKNOWN_OUTCOME];

/** Where an alert-only decision's successful record write leaves its (empty) result: the alert's failure path reads whether it was written. */
const RECORDED_TRIAGE_ONLY = '$.recordedTriage';

/** Every path triage's record write reads is present (a missing path is a States.Runtime error no Catch handles). */
function recordPathsPresent(): Record<string, unknown>[] {
  return ['pk', 'updateExpression', 'names', 'values'].map((field) => ({ Variable: `${RECORD}.${field}`, IsPresent: true }));
}

/**
 * The UpdateItem that appends triage's entry to the incident record, once per revision
 * (TRIAGE_RECORD_CONDITION). `retried`: the errors retried (default: every transient one).
 */
function recordTriageTask(
  comment: string,
  next: string,
  catches: readonly Record<string, unknown>[],
  resultPath: string | null = null,
  retried: readonly string[] = DYNAMODB_TRANSIENT,
): AslState {
  return {
    Type: 'Task',
    Comment: comment,
    Resource: DYNAMODB_UPDATE_ITEM_RESOURCE,
    Parameters: {
      TableName: `\${${STATE_TABLE_PLACEHOLDER}}`,
      Key: { pk: { 'S.$': `${RECORD}.pk` } },
      'UpdateExpression.$': `${RECORD}.updateExpression`,
      ConditionExpression: TRIAGE_RECORD_CONDITION,
      'ExpressionAttributeNames.$': `${RECORD}.names`,
      'ExpressionAttributeValues.$': `${RECORD}.values`,
    },
    ResultPath: resultPath,
    Retry: [quickRetry(retried)],
    Catch: catches,
    Next: next,
  };
}

/** Compiles the dispatcher's Express state machine definition. */
export function compileDispatcher(options: DispatcherOptions): CompiledStateMachine {
  const routed = options.routedPlaybooks;
  const dispatchFailureCatch = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.dispatchError', Next: STATES.keptEventReady }];
  const states: Record<string, AslState> = {
    [STATES.triage]: {
      Type: 'Task',
      Comment: 'Parse the event into an incident, pick the playbook, apply the gates, name the execution.',
      Resource: LAMBDA_INVOKE_RESOURCE,
      Parameters: {
        FunctionName: `\${${functionPlaceholder(TRIAGE_RESPONDER)}}`,
        // The task's input is the event and about 200 bytes (the function's ARN, the keys, a
        // 24-character timestamp): only an event within that of Step Functions' 256 KiB still fails
        // here. The routing table is triage's own (its environment).
        Payload: { 'event.$': '$', 'receivedAt.$': '$$.Execution.StartTime' },
      },
      // No ResultPath, here and in the Catch: the result replaces the input (the default, `$`)
      // rather than being written into it. A ResultPath below `$` on an input that is not an object
      // fails with States.ResultPathMatchFailure, and so would the Catch's
      // (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultpath.html).
      // From here on the state data is always an object, at no extra transition. (An explicit
      // `ResultPath: '$'` would mean the same, but aws-local-stepfunctions 3.0 mishandles it.)
      ResultSelector: { triage: { 'decision.$': '$.Payload' } },
      Retry: [quickRetry(LAMBDA_TRANSIENT)],
      Catch: [{ ErrorEquals: ['States.ALL'], Next: STATES.triageFailed }],
      Next: STATES.route,
    },
    [STATES.triageFailed]: {
      Type: 'Pass',
      Comment: 'Triage failed: put its error where every dispatch failure has it, then keep and alert the event.',
      Parameters: { 'dispatchError.$': '$' },
      Next: STATES.keptEventReady,
    },
    [STATES.route]: {
      Type: 'Choice',
      Choices: [
        // A Choice rule on a missing path is a runtime error that would end the execution unhandled.
        // (`Not IsPresent` rather than `IsPresent: false`, which aws-local-stepfunctions 3.0 never matches.)
        { Not: { Variable: `${DECISION}.outcome`, IsPresent: true }, Next: STATES.unknownOutcome },
        // StartPlaybook reads the playbook's part of the decision, its name and index: without them
        // (an older triage), the event is kept and alerted as an unknown outcome.
        {
          And: [
            { Variable: `${DECISION}.outcome`, StringEquals: 'start-playbook' },
            ...['playbookDecision', 'playbook', 'playbookIndex'].map((field) => ({ Variable: `${DECISION}.${field}`, IsPresent: true })),
          ],
          Next: routed.length > 0 ? STATES.deployedPlaybook : STATES.unknownPlaybook,
        },
        // Alert-only and invalid keep the event (triage's bounded copy) when their alert or the event
        // fails: without it (an older triage), the event is kept and alerted as an unknown outcome.
        { And: [{ Variable: `${DECISION}.outcome`, StringEquals: 'alert-only' }, { Variable: KEPT, IsPresent: true }], Next: STATES.alertOnlyRecordReady },
        { Variable: `${DECISION}.outcome`, StringEquals: 'ignore', Next: STATES.ignored },
        { And: [{ Variable: `${DECISION}.outcome`, StringEquals: 'invalid' }, { Variable: KEPT, IsPresent: true }], Next: STATES.keepInvalidEvent },
      ],
      Default: STATES.unknownOutcome,
    },
    ...(routed.length > 0 ? playbookStates(routed, dispatchFailureCatch) : {}),
    [STATES.unknownPlaybook]: {
      Type: 'Pass',
      Comment: 'Triage chose a playbook this dispatcher does not start: handle it as a dispatch failure.',
      Parameters: {
        Error: UNKNOWN_TRIAGE_OUTCOME_ERROR,
        Cause: 'Triage chose a playbook that is not among the automatic playbooks this dispatcher starts, or not at the index it answered; the decision is in the execution history.',
      },
      ResultPath: '$.dispatchError',
      Next: STATES.keptEventReady,
    },
    [STATES.alertOnlyRecordReady]: {
      Type: 'Choice',
      Comment: "Alert-only: record triage's entry first when triage computed its write, so that a second delivery of this revision finds it and alerts nothing.",
      Choices: [{ And: recordPathsPresent(), Next: STATES.recordTriageOnly }],
      Default: STATES.alertOnly,
    },
    [STATES.recordTriageOnly]: recordTriageTask(
      "Append triage's entry to the incident record before the alert: the condition (this revision not triaged yet) is what keeps a duplicate delivery from alerting twice.",
      STATES.alertOnly,
      [
        // This revision is already recorded: an earlier delivery alerted it (or kept its event and failed, which the failed-executions alarm pages).
        { ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.duplicate', Next: STATES.duplicateAlertOnly },
        // Any other failure never costs the alert: alert anyway, and end as TriageNotRecorded.
        { ErrorEquals: ['States.ALL'], ResultPath: '$.recordFailure', Next: STATES.alertOnly },
      ],
      RECORDED_TRIAGE_ONLY,
      // Only throttling is retried. After a server error or a client timeout the write may have been
      // applied: retried, it would meet its own revision, fail its condition and end at
      // DuplicateAlertOnly, a success with no alert and nothing kept (review s25). Such a write is
      // alerted at once instead, and taken back when that alert fails (AlertOnlyUnalerted).
      DYNAMODB_THROTTLED,
    ),
    [STATES.duplicateAlertOnly]: {
      Type: 'Succeed',
      Comment: "This revision's triage is already recorded, so an earlier delivery handled it: a duplicate delivery of an alert-only incident alerts nothing.",
    },
    [STATES.alertOnly]: alertTask(
      'No playbook acts on this incident (or a gate held it back): tell people, change nothing.',
      {
        kind: 'triage-only',
        'incident.$': `${DECISION}.incident`,
        'mode.$': `${DECISION}.mode`,
        'playbook.$': `${DECISION}.playbook`,
        options: {},
        'reasons.$': `${DECISION}.reasons`,
      },
      STATES.alertOnlyDone,
      STATES.alertOnlyUnalerted,
    ),
    [STATES.alertOnlyUnalerted]: {
      Type: 'Choice',
      Comment: 'The alert failed for good: when this revision was recorded as triaged, take it back first, so that a replay of the event (or a redelivery) alerts it.',
      Choices: [
        // Written, or perhaps written (an error after which DynamoDB may have applied it).
        {
          And: [
            { Variable: `${RECORD}.revision`, IsPresent: true },
            {
              Or: [
                { Variable: RECORDED_TRIAGE_ONLY, IsPresent: true },
                // IsPresent first: a comparison on a missing path is a States.Runtime error.
                {
                  And: [
                    { Variable: '$.recordFailure.Error', IsPresent: true },
                    { Or: DYNAMODB_UNKNOWN_OUTCOME.map((error) => ({ Variable: '$.recordFailure.Error', StringEquals: error })) },
                  ],
                },
              ],
            },
          ],
          Next: STATES.forgetTriageOnly,
        },
      ],
      Default: STATES.keepUnalertedEvent,
    },
    [STATES.forgetTriageOnly]: {
      Type: 'Task',
      Comment: "Remove this revision from the set of revisions triaged (the entry itself stays: triage ran); best effort, the event is kept either way.",
      Resource: DYNAMODB_UPDATE_ITEM_RESOURCE,
      Parameters: {
        TableName: `\${${STATE_TABLE_PLACEHOLDER}}`,
        Key: { pk: { 'S.$': `${RECORD}.pk` } },
        UpdateExpression: 'DELETE #triaged :revisions',
        // A write that was perhaps applied may not have been: never create a bare record to delete from.
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#triaged': TRIAGED_REVISIONS_ATTRIBUTE },
        ExpressionAttributeValues: { ':revisions': { 'SS.$': `States.Array(${RECORD}.revision)` } },
      },
      ResultPath: null,
      Retry: [quickRetry(DYNAMODB_TRANSIENT)],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.forgetFailure', Next: STATES.keepUnalertedEvent }],
      Next: STATES.keepUnalertedEvent,
    },
    [STATES.alertOnlyDone]: {
      Type: 'Choice',
      Comment: "Alerted: a success, noted as TriageNotRecorded when triage's entry could not be written before it.",
      Choices: [{ Variable: '$.recordFailure', IsPresent: true, Next: STATES.triageNotRecorded }],
      Default: STATES.dispatched,
    },
    // After a started playbook only (an alert-only decision records before its alert, above).
    ...(routed.length > 0
      ? {
          [STATES.triageRecordReady]: {
            Type: 'Choice',
            Comment: "Dispatched: record triage's entry when triage computed its write (every path the write reads is present).",
            Choices: [{ And: recordPathsPresent(), Next: STATES.recordTriage }],
            Default: STATES.dispatched,
          },
          [STATES.recordTriage]: recordTriageTask("Append triage's entry to the incident record, once per revision; after dispatch, so it never delays or blocks it.", STATES.dispatched, [
            // This revision's triage is already recorded (a retried write).
            { ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: null, Next: STATES.dispatched },
            { ErrorEquals: ['States.ALL'], ResultPath: '$.recordFailure', Next: STATES.triageNotRecorded },
          ]),
        }
      : {}),
    [STATES.dispatched]: { Type: 'Succeed', Comment: 'The playbook started (or the alert-only alert was sent).' },
    [STATES.triageNotRecorded]: {
      Type: 'Succeed',
      Comment: "Dispatched, but triage's entry could not be written: the event was handled, so a success; the error is in $.recordFailure (the Express log).",
    },
    [STATES.keepUnalertedEvent]: keepEventTask(
      'The alert of an alert-only decision failed: keep the event with the reasons nobody was told, and the alert error.',
      {
        reason: 'alert-failed',
        'reasons.$': `${DECISION}.reasons`,
        'error.$': '$.alertFailure',
        'event.$': KEPT,
        'receivedAt.$': '$$.Execution.StartTime',
      },
      STATES.alertFailed,
    ),
    [STATES.alertFailed]: {
      Type: 'Fail',
      Comment: 'Nobody was told: FAILED, so the dispatcher ExecutionsFailed alarm fires; the event is in the unprocessable-events queue.',
      Error: ALERT_FAILED_ERROR,
      Cause: 'The alert of an alert-only decision could not be published; the event and the reasons were kept in the unprocessable-events queue.',
    },
    [STATES.ignored]: { Type: 'Succeed', Comment: 'Nothing to do for this event (e.g. an alarm returning to OK).' },
    [STATES.keepInvalidEvent]: keepEventTask(
      'Keep the event that cannot be parsed, with the reason, for a person to look at.',
      { reason: 'invalid-event', 'error.$': `${DECISION}.error`, 'event.$': KEPT, 'receivedAt.$': '$$.Execution.StartTime' },
      STATES.alertInvalidEvent,
    ),
    [STATES.alertInvalidEvent]: alertTask(
      'Tell people an event could not be parsed and where it is kept.',
      {
        kind: 'invalid-event',
        'mode.$': `${DECISION}.mode`,
        options: {},
        'rawEvent.$': KEPT,
        'reason.$': `${DECISION}.error`,
      },
      STATES.invalidEvent,
    ),
    [STATES.invalidEvent]: {
      Type: 'Fail',
      Comment: 'Kept in the unprocessable-events queue and alerted; FAILED so the dispatcher metrics count it.',
      Error: INVALID_EVENT_ERROR,
      Cause: 'The event could not be parsed into an incident; it was kept in the unprocessable-events queue and alerted.',
    },
    [STATES.unknownOutcome]: {
      Type: 'Pass',
      Comment: 'Triage answered an outcome this dispatcher does not know: handle it as a dispatch failure.',
      Parameters: {
        Error: UNKNOWN_TRIAGE_OUTCOME_ERROR,
        Cause: 'Triage answered no outcome this dispatcher handles; the decision is in the execution history.',
      },
      ResultPath: '$.dispatchError',
      Next: STATES.keptEventReady,
    },
    ...envelopeStates(),
    [STATES.keepUndispatchedEvent]: keepEventTask(
      'The dispatcher failed on this event: keep it with the error so that it can be replayed.',
      { reason: 'dispatch-failed', 'error.$': '$.dispatchError', 'event.$': KEPT, 'receivedAt.$': '$$.Execution.StartTime' },
      STATES.alertDispatchFailure,
    ),
    [STATES.alertDispatchFailure]: alertTask(
      'Tell people the dispatcher failed on an event, with the error; the event is kept in the queue.',
      {
        kind: 'failure',
        mode: options.alertMode,
        options: {},
        'rawEvent.$': KEPT,
        failure: { step: 'dispatch', 'error.$': '$.dispatchError.Error', 'cause.$': '$.dispatchError.Cause' },
      },
      STATES.dispatchFailed,
    ),
    [STATES.dispatchFailed]: {
      Type: 'Fail',
      Comment: 'Kept and alerted; FAILED with the original error.',
      ErrorPath: '$.dispatchError.Error',
      CausePath: '$.dispatchError.Cause',
    },
  };

  const definition: AslDefinition = {
    Comment: 'Firebreak dispatcher: triage every event, start its playbook once, keep and alert what cannot be handled.',
    StartAt: STATES.triage,
    States: states,
  };
  return {
    definition,
    substitutions: [
      functionPlaceholder(ALERT_RESPONDER),
      functionPlaceholder(TRIAGE_RESPONDER),
      INVALID_EVENT_QUEUE_PLACEHOLDER,
      STATE_TABLE_PLACEHOLDER,
      ...[...routed].sort().map(stateMachinePlaceholder),
    ],
  };
}
