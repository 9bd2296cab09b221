import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../lib/incident/model';
import type { AslDefinition } from '../../lib/playbooks/compile';
import { applySubstitutions, taskStates } from '../../lib/playbooks/compile';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { routingTableFor } from '../../lib/playbooks/routing';
import { playbookDecisionOf, triage } from '../../lib/playbooks/triage';
import { readIncidentRecord } from '../../lib/operator/incidents';
import { triageRecordWrite } from '../../lib/responders/triage-record';
import { SeededSimulatedAws } from '../support/sim-builder';
import { createTriageHandler } from '../../lib/responders/triage-handler';
import { silentLogger } from '../../lib/responders/logging';
import { ALERT_FAILED_ERROR, INVALID_EVENT_ERROR } from '../../lib/contracts/errors';
import { compileDispatcher, DISPATCHER_STATES as S, DYNAMODB_UPDATE_ITEM_RESOURCE, stateMachinePlaceholder } from '../../lib/playbooks/dispatcher';
import { routingEnvironment } from '../../lib/playbooks/routing';
import { ec2Incident } from '../support/incidents';
import type { TaskStub } from './local-execution';
import { EXECUTION_ARN, namedError, runLocally } from './local-execution';

const { definition, substitutions } = compileDispatcher({ routedPlaybooks: ['compromised-ec2'], alertMode: 'dry-run' });

const event = {
  version: '0',
  id: 'c8a1e7f4-0000-4000-8000-000000000001',
  'detail-type': 'GuardDuty Finding',
  source: 'aws.guardduty',
  account: '111122223333',
  time: '2026-11-20T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: { type: 'Backdoor:EC2/C&CActivity.B!DNS', severity: 8 },
};
const incident = ec2Incident();
const PLAYBOOK_ARN = 'arn:aws:states:eu-west-1:999988887777:stateMachine:firebreak-compromised-ec2';
/** The definition as Step Functions runs it: the playbook's placeholder replaced by its ARN (CloudFormation's DefinitionSubstitutions). */
const runnable = JSON.parse(applySubstitutions(JSON.stringify(definition), { Sm_compromised_ec2: PLAYBOOK_ARN })) as AslDefinition;

/** What a playbook receives of the decision below: the same fields, without the incident and the error. */
const PLAYBOOK_DECISION = {
  outcome: 'start-playbook',
  playbook: 'compromised-ec2',
  playbookIndex: 0,
  executionName: 'gd-7ab9d1b3-2026-11-20T10-00-00-1',
  mode: 'enforce',
  steps: ['quarantine-instance', 'snapshot-volumes', 'notify'],
  reasons: ['matched compromised-ec2 (priority 100)'],
};

/** What the dispatcher keeps of `event` when triage did not answer: its envelope (no detail), and why. */
const ENVELOPE_ONLY = {
  id: event.id,
  source: event.source,
  'detail-type': event['detail-type'],
  account: event.account,
  region: event.region,
  time: event.time,
  note: 'Triage did not answer with a bounded copy of the event: only its envelope is kept here, not its detail or resources.',
};

/** Triage's answer, with its bounded copy of the event; a start-playbook one carries the playbook's part of the decision, as the handler answers it. */
function decision(overrides: Record<string, unknown> = {}) {
  const answer: Record<string, unknown> = { ...PLAYBOOK_DECISION, incident, error: null, kept: event, ...overrides };
  return answer.outcome === 'start-playbook' ? { playbookDecision: PLAYBOOK_DECISION, ...answer } : answer;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const alertOk = () => ({ messageId: 'm-1' });
const kept: TaskStub = () => ({ MessageId: 'sqs-1' });

/** StartExecution as Step Functions answers it: a name already started is ExecutionAlreadyExists. */
function startingOncePerName(): { startedNames: Set<string>; startExecution: TaskStub } {
  const startedNames = new Set<string>();
  const startExecution: TaskStub = (parameters) => {
    const name = String(parameters.Name);
    if (startedNames.has(name)) throw namedError('StepFunctions.ExecutionAlreadyExistsException', 'Execution Already Exists');
    startedNames.add(name);
    return { ExecutionArn: `${PLAYBOOK_ARN}:${name}` };
  };
  return { startedNames, startExecution };
}

describe('compileDispatcher', () => {
  it('hands triage the raw event and the receive time, nothing else: the routing table is in its environment', () => {
    expect(definition.StartAt).toBe(S.triage);
    expect(definition.States[S.triage]).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: '${Fn_triage}',
        Payload: { 'event.$': '$', 'receivedAt.$': '$$.Execution.StartTime' },
      },
      // Replaces the input rather than writing into it: the input may be a string, a number, an array.
      ResultSelector: { triage: { 'decision.$': '$.Payload' } },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: S.triageFailed }],
    });
    // Step Functions fails a task whose input is over 256 KiB past every Catch: the Triage state's
    // input is the event and, besides, the function's ARN, the keys and a timestamp (about 200 bytes).
    expect(Object.keys((definition.States[S.triage]!.Parameters as { Payload: object }).Payload)).toEqual(['event.$', 'receivedAt.$']);
    expect(definition.States[S.triage]).not.toHaveProperty('ResultPath');
    expect((definition.States[S.triage]!.Catch as object[])[0]).not.toHaveProperty('ResultPath');
  });

  it('reads the event from the context object only, never from the state data, and never whole after Triage', () => {
    const text = JSON.stringify(definition);
    expect(text).not.toMatch(/"\$\.event/);
    // The kept messages and the alerts carry triage's bounded copy, or the envelope's fields by path.
    expect(text).not.toMatch(/"\$\$\.Execution\.Input"/);
    expect(text.match(/"\$\.triage\.decision\.kept"/g)).toHaveLength(8);
  });

  it('starts the playbook request-response (Express cannot .sync) under the decided execution name', () => {
    expect(definition.States[S.startPlaybook]).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: {
        // The ARN at the decided index of the list the definition holds: never one triage answers.
        'StateMachineArn.$': "States.ArrayGetItem(States.Array('${Sm_compromised_ec2}'), $.triage.decision.playbookIndex)",
        'Name.$': '$.triage.decision.executionName',
      },
      Catch: [
        // Triage's entry and facts are still recorded, once per revision (row 17c).
        { ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], Next: S.duplicateRecordReady },
        { ErrorEquals: ['States.ALL'], Next: S.keptEventReady },
      ],
    });
  });

  it('lists the substitutions the stack must provide', () => {
    expect(substitutions).toEqual(['Fn_publish_alert', 'Fn_triage', 'InvalidEventQueueUrl', 'StateTableName', 'Sm_compromised_ec2']);
    expect(stateMachinePlaceholder('brute-force.v2')).toBe('Sm_brute_force_v2');
  });
});

describe('the dispatcher executed with aws-local-stepfunctions', () => {
  async function dispatch(
    triage: (payload: Record<string, unknown>) => unknown,
    tasks: Record<string, TaskStub> = {},
    alert: (payload: Record<string, unknown>) => unknown = alertOk,
  ) {
    return runLocally(runnable, event, {
      responders: { triage, 'publish-alert': alert },
      tasks: { [S.keepInvalidEvent]: kept, [S.keepUndispatchedEvent]: kept, [S.keepUnalertedEvent]: kept, ...tasks },
    });
  }

  it('starts the chosen playbook once with { incident, mode, playbook, decision }, the incident only once', async () => {
    const started: TaskStub = () => ({ ExecutionArn: `${PLAYBOOK_ARN}:x`, StartDate: '2026-11-20T10:01:01Z' });
    const run = await dispatch(() => decision(), { [S.startPlaybook]: started });
    expect(run.status).toBe('SUCCEEDED');
    // A decision without a record write (an older triage) skips RecordTriage.
    expect(run.path).toEqual([S.triage, S.route, S.deployedPlaybook, S.startPlaybook, S.triageRecordReady, S.dispatched]);
    expect(run.calls.triage).toEqual([{ event, receivedAt: expect.stringMatching(ISO_TIME) as unknown }]);
    expect(run.taskCalls[S.startPlaybook]).toEqual([
      {
        StateMachineArn: PLAYBOOK_ARN,
        Name: 'gd-7ab9d1b3-2026-11-20T10-00-00-1',
        Input: {
          incident,
          mode: 'enforce',
          playbook: 'compromised-ec2',
          decision: PLAYBOOK_DECISION,
          AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: EXECUTION_ARN,
        },
      },
    ]);
    expect(run.calls['publish-alert']).toBeUndefined();
  });

  it('a duplicate delivery (ExecutionAlreadyExists) succeeds without a second start, alert or kept event', async () => {
    const { startedNames, startExecution } = startingOncePerName();
    const first = await dispatch(() => decision(), { [S.startPlaybook]: startExecution });
    const second = await dispatch(() => decision(), { [S.startPlaybook]: startExecution });
    expect(first.status).toBe('SUCCEEDED');
    expect(second.status).toBe('SUCCEEDED');
    // Without a record write in triage's answer, nothing to record either.
    expect(second.path).toEqual([S.triage, S.route, S.deployedPlaybook, S.startPlaybook, S.duplicateRecordReady, S.duplicateDelivery]);
    expect(startedNames.size).toBe(1);
    expect(second.calls['publish-alert']).toBeUndefined();
    expect(second.taskCalls[S.keepUndispatchedEvent]).toBeUndefined();
  });

  it('alert-only: publishes a triage-only alert and starts nothing', async () => {
    const run = await dispatch(() =>
      decision({ outcome: 'alert-only', playbook: null, playbookIndex: null, executionName: null, reasons: ['below every playbook'] }),
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.taskCalls[S.startPlaybook]).toBeUndefined();
    expect(run.calls['publish-alert']).toEqual([
      {
        kind: 'triage-only',
        incident,
        mode: 'enforce',
        playbook: null,
        options: {},
        reasons: ['below every playbook'],
      },
    ]);
  });

  it('alert-only whose alert fails for good: keeps the event with the reasons and the alert error, and ends FAILED (never a silent success)', async () => {
    const run = await dispatch(
      () => decision({ outcome: 'alert-only', playbook: null, playbookIndex: null, executionName: null, reasons: ['account 444455556666 is not served'] }),
      {},
      () => {
        throw namedError('KMS.DisabledException', 'The alert topic key is disabled');
      },
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ALERT_FAILED_ERROR);
    expect(run.path).toEqual([S.triage, S.route, S.alertOnlyRecordReady, S.alertOnly, S.alertOnlyUnalerted, S.keepUnalertedEvent, S.alertFailed]);
    expect(run.taskCalls[S.keepUnalertedEvent]).toEqual([
      {
        QueueUrl: '${InvalidEventQueueUrl}',
        MessageBody: {
          reason: 'alert-failed',
          reasons: ['account 444455556666 is not served'],
          error: { Error: 'KMS.DisabledException', Cause: 'The alert topic key is disabled' },
          event,
          receivedAt: run.calls.triage![0]!.receivedAt,
        },
      },
    ]);
    expect(run.taskCalls[S.startPlaybook]).toBeUndefined();
  });

  it('alert-only whose alert fails and whose queue refuses too still ends FAILED', async () => {
    const run = await dispatch(
      () => decision({ outcome: 'alert-only', playbook: null, playbookIndex: null, executionName: null }),
      {
        [S.keepUnalertedEvent]: () => {
          throw namedError('SQS.AmazonSQSException', 'Access to the resource is denied');
        },
      },
      () => {
        throw namedError('Lambda.Unknown', 'Unhandled');
      },
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ALERT_FAILED_ERROR);
  });

  it('invalid event whose alert fails: the event was kept first, and the execution still ends FAILED', async () => {
    const run = await dispatch(
      () => decision({ outcome: 'invalid', incident: null, playbook: null, error: 'detail.severity: expected a number' }),
      {},
      () => {
        throw namedError('Lambda.Unknown', 'Unhandled');
      },
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(INVALID_EVENT_ERROR);
    expect(run.path).toEqual([S.triage, S.route, S.keepInvalidEvent, S.alertInvalidEvent, S.invalidEvent]);
    expect(run.taskCalls[S.keepInvalidEvent]).toHaveLength(1);
  });

  it('ignore (e.g. an alarm returning to OK): ends without starting or alerting anything', async () => {
    const run = await dispatch(() => decision({ outcome: 'ignore', playbook: null, playbookIndex: null }));
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([S.triage, S.route, S.ignored]);
    expect(run.calls['publish-alert']).toBeUndefined();
  });

  it('invalid: keeps the raw event with the reason in the queue, alerts it, and ends FAILED', async () => {
    const run = await dispatch(() =>
      decision({ outcome: 'invalid', incident: null, playbook: null, error: 'detail.severity: expected a number' }),
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(INVALID_EVENT_ERROR);
    expect(run.taskCalls[S.keepInvalidEvent]).toEqual([
      {
        QueueUrl: '${InvalidEventQueueUrl}',
        MessageBody: {
          reason: 'invalid-event',
          error: 'detail.severity: expected a number',
          event,
          receivedAt: run.calls.triage![0]!.receivedAt,
        },
      },
    ]);
    expect(run.calls['publish-alert']).toEqual([
      { kind: 'invalid-event', mode: 'enforce', options: {}, rawEvent: event, reason: 'detail.severity: expected a number' },
    ]);
    expect(run.taskCalls[S.startPlaybook]).toBeUndefined();
  });

  it('a triage crash keeps the event with the error, alerts the failure and ends FAILED with the error', async () => {
    const run = await dispatch(() => {
      throw namedError('TypeError', "Cannot read properties of undefined (reading 'type')");
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('TypeError');
    expect(run.path).toEqual([S.triage, S.triageFailed, S.keptEventReady, S.keepEventEnvelope, S.keepUndispatchedEvent, S.alertDispatchFailure, S.dispatchFailed]);
    expect(run.taskCalls[S.keepUndispatchedEvent]).toEqual([
      {
        QueueUrl: '${InvalidEventQueueUrl}',
        MessageBody: {
          reason: 'dispatch-failed',
          error: { Error: 'TypeError', Cause: "Cannot read properties of undefined (reading 'type')" },
          event: ENVELOPE_ONLY,
          receivedAt: run.calls.triage![0]!.receivedAt,
        },
      },
    ]);
    expect(run.calls['publish-alert']).toEqual([
      {
        kind: 'failure',
        mode: 'dry-run',
        options: {},
        rawEvent: ENVELOPE_ONLY,
        failure: { step: 'dispatch', error: 'TypeError', cause: "Cannot read properties of undefined (reading 'type')" },
      },
    ]);
  });

  it("a triage crash on a GuardDuty finding keeps its envelope with the finding's id, type and severity, never its detail", async () => {
    const finding = { ...event, detail: { ...event.detail, id: '7ab9d1b3', padding: 'x'.repeat(1_000) } };
    const run = await runLocally(runnable, finding, {
      responders: {
        triage: () => {
          throw namedError('Lambda.Unknown', 'Unhandled');
        },
        'publish-alert': alertOk,
      },
      tasks: { [S.keepUndispatchedEvent]: kept },
    });
    expect(run.path).toEqual([S.triage, S.triageFailed, S.keptEventReady, S.keepFindingEnvelope, S.keepUndispatchedEvent, S.alertDispatchFailure, S.dispatchFailed]);
    const envelope = { ...ENVELOPE_ONLY, finding: { id: '7ab9d1b3', type: 'Backdoor:EC2/C&CActivity.B!DNS', severity: 8 } };
    expect(run.taskCalls[S.keepUndispatchedEvent]).toEqual([
      { QueueUrl: '${InvalidEventQueueUrl}', MessageBody: { reason: 'dispatch-failed', error: { Error: 'Lambda.Unknown', Cause: 'Unhandled' }, event: envelope, receivedAt: expect.stringMatching(ISO_TIME) as unknown } },
    ]);
    expect(run.calls['publish-alert']).toEqual([expect.objectContaining({ kind: 'failure', rawEvent: envelope })]);
  });

  it("keeps and alerts triage's bounded copy of the event, not the execution input, when triage answered", async () => {
    const clipped = { id: event.id, source: event.source, clipped: '250000 bytes', note: 'only its envelope is kept' };
    const run = await dispatch(
      () => decision({ outcome: 'invalid', incident: null, playbook: null, error: 'detail.severity: expected a number', kept: clipped }),
      {},
    );
    expect(run.taskCalls[S.keepInvalidEvent]).toEqual([expect.objectContaining({ MessageBody: expect.objectContaining({ event: clipped }) as unknown })]);
    expect(run.calls['publish-alert']).toEqual([expect.objectContaining({ kind: 'invalid-event', rawEvent: clipped })]);
  });

  it('an alert-only or invalid answer without a kept copy (an older triage) is kept and alerted as an unknown outcome, with the envelope', async () => {
    for (const outcome of ['alert-only', 'invalid']) {
      const { kept: _kept, ...older } = decision({ outcome, playbook: null, playbookIndex: null, executionName: null }) as Record<string, unknown>;
      const run = await dispatch(() => older);
      expect(run.error).toBe('Firebreak.UnknownTriageOutcome');
      expect(run.path).toEqual([S.triage, S.route, S.unknownOutcome, S.keptEventReady, S.keepEventEnvelope, S.keepUndispatchedEvent, S.alertDispatchFailure, S.dispatchFailed]);
    }
  });

  it('a transient triage error is retried, then the playbook starts', async () => {
    let attempts = 0;
    const run = await dispatch(
      () => {
        attempts += 1;
        if (attempts === 1) throw namedError('Lambda.TooManyRequestsException', 'Rate exceeded');
        return decision();
      },
      { [S.startPlaybook]: () => ({ ExecutionArn: 'arn' }) },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(attempts).toBe(2);
  });

  it('a StartExecution failure other than a duplicate is kept and alerted, never dropped', async () => {
    const run = await dispatch(() => decision(), {
      [S.startPlaybook]: () => {
        throw namedError('StepFunctions.StateMachineDoesNotExistException', 'State Machine Does Not Exist');
      },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('StepFunctions.StateMachineDoesNotExistException');
    expect(run.taskCalls[S.keepUndispatchedEvent]).toHaveLength(1);
    expect(run.calls['publish-alert']).toHaveLength(1);
  });

  it('a start-playbook answer without the playbook decision (an older triage) is kept and alerted, never started', async () => {
    const { playbookDecision: _playbookDecision, ...older } = decision() as Record<string, unknown>;
    const run = await dispatch(() => older);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Firebreak.UnknownTriageOutcome');
    expect(run.path).toEqual([S.triage, S.route, S.unknownOutcome, S.keptEventReady, S.keepUndispatchedEvent, S.alertDispatchFailure, S.dispatchFailed]);
    expect(run.taskCalls[S.startPlaybook]).toBeUndefined();
  });

  it('an outcome the dispatcher does not know is handled as a dispatch failure', async () => {
    const run = await dispatch(() => ({ surprise: true }));
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Firebreak.UnknownTriageOutcome');
    // No bounded copy from triage: the envelope only.
    expect(run.path).toEqual([S.triage, S.route, S.unknownOutcome, S.keptEventReady, S.keepEventEnvelope, S.keepUndispatchedEvent, S.alertDispatchFailure, S.dispatchFailed]);
    expect(run.taskCalls[S.keepUndispatchedEvent]).toEqual([expect.objectContaining({ MessageBody: expect.objectContaining({ event: ENVELOPE_ONLY }) as unknown })]);
  });

  it('still alerts when the queue refuses the event, with the event in the alert', async () => {
    const run = await dispatch(
      () => decision({ outcome: 'invalid', incident: null, error: 'not JSON' }),
      {
        [S.keepInvalidEvent]: () => {
          throw namedError('SQS.AmazonSQSException', 'Access to the resource is denied');
        },
      },
    );
    expect(run.status).toBe('FAILED');
    expect(run.calls['publish-alert']).toEqual([expect.objectContaining({ kind: 'invalid-event', rawEvent: event })]);
  });
});

describe('the dispatcher starts only a routed playbook, by the ARN its definition lists at the decided index', () => {
  const routed = ['compromised-ec2', 'default-alert'];
  const arnOf = (name: string) => `arn:aws:states:eu-west-1:999988887777:stateMachine:firebreak-${name}`;
  const compiled = compileDispatcher({ routedPlaybooks: routed, alertMode: 'dry-run' });
  const twoPlaybooks = JSON.parse(applySubstitutions(JSON.stringify(compiled.definition), Object.fromEntries(routed.map((name) => [stateMachinePlaceholder(name), arnOf(name)])))) as AslDefinition;
  const started: TaskStub = () => ({ ExecutionArn: 'arn:execution', StartDate: '2026-11-20T10:01:01Z' });
  const dispatchAs = (playbook: unknown, playbookIndex: unknown) => {
    const chosen = { ...PLAYBOOK_DECISION, playbook, playbookIndex };
    return runLocally(twoPlaybooks, event, {
      responders: { triage: () => ({ ...chosen, incident, error: null, kept: event, playbookDecision: chosen }), 'publish-alert': alertOk },
      tasks: { [S.startPlaybook]: started, [S.keepUndispatchedEvent]: kept },
    });
  };

  it('starts the state machine at the index triage answered, when the name there is the playbook triage chose', async () => {
    const first = await dispatchAs('compromised-ec2', 0);
    const second = await dispatchAs('default-alert', 1);
    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(first.taskCalls[S.startPlaybook]?.map((call) => call.StateMachineArn)).toEqual([arnOf('compromised-ec2')]);
    expect(second.taskCalls[S.startPlaybook]?.map((call) => call.StateMachineArn)).toEqual([arnOf('default-alert')]);
  });

  it.each([
    ['a name and an index that disagree', 'compromised-ec2', 1],
    ['an index past the list', 'compromised-ec2', 2],
    ['a negative index', 'compromised-ec2', -1],
    ['an index that is not a whole number', 'compromised-ec2', 0.5],
    ['an index that is a string', 'compromised-ec2', '0'],
    ['a manual playbook (release), which the list does not hold', 'release-instance', 0],
    ['a playbook the deployment does not have', 'forged', 0],
    ['no playbook at all', null, 0],
  ])('never starts anything for %s: the event is kept and alerted as a dispatch failure', async (_, playbook, playbookIndex) => {
    const run = await dispatchAs(playbook, playbookIndex);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Firebreak.UnknownTriageOutcome');
    expect(run.path).toEqual([S.triage, S.route, S.deployedPlaybook, S.unknownPlaybook, S.keptEventReady, S.keepUndispatchedEvent, S.alertDispatchFailure, S.dispatchFailed]);
    expect(run.taskCalls[S.startPlaybook]).toBeUndefined();
    expect(run.taskCalls[S.keepUndispatchedEvent]).toHaveLength(1);
    expect(run.calls['publish-alert']).toHaveLength(1);
  });

  it('a start-playbook answer without an index (an older triage) is kept and alerted, never started', async () => {
    const { playbookIndex: _index, ...older } = decision() as Record<string, unknown>;
    const run = await runLocally(twoPlaybooks, event, { responders: { triage: () => older, 'publish-alert': alertOk }, tasks: { [S.keepUndispatchedEvent]: kept } });
    expect(run.status).toBe('FAILED');
    expect(run.path.slice(0, 3)).toEqual([S.triage, S.route, S.unknownOutcome]);
    expect(run.taskCalls[S.startPlaybook]).toBeUndefined();
  });

  it('without a routed playbook, holds no StartPlaybook state: a start-playbook answer is kept and alerted', async () => {
    const none = compileDispatcher({ routedPlaybooks: [], alertMode: 'dry-run' }).definition;
    expect(none.States).not.toHaveProperty(S.startPlaybook);
    const run = await runLocally(none, event, { responders: { triage: () => decision(), 'publish-alert': alertOk }, tasks: { [S.keepUndispatchedEvent]: kept } });
    expect(run.status).toBe('FAILED');
    expect(run.path.slice(0, 3)).toEqual([S.triage, S.route, S.unknownPlaybook]);
  });
});

describe('the dispatcher on an execution input that is not a JSON object', () => {
  // An input transformer or a manual StartExecution can hand the dispatcher any JSON value.
  const triageHandler = createTriageHandler({
    logger: silentLogger,
    environment: { FIREBREAK_SECURITY_ACCOUNT_ID: '111122223333', ...routingEnvironment({ playbooks: [], settings: { forceDryRun: false } }) },
  });
  const compiled = compileDispatcher({ routedPlaybooks: [], alertMode: 'dry-run' });

  const inputs: [string, unknown][] = [
    ['a JSON string', 'GuardDuty finding 9f8e7d6c (forwarded as text)'],
    ['a JSON number', 42],
    ['a JSON array', [event]],
  ];

  it.each(inputs)('%s is parsed by triage, kept with the reason, alerted, and the execution ends FAILED', async (_, input) => {
    const run = await runLocally(compiled.definition, input, {
      responders: { triage: (payload) => triageHandler(payload), 'publish-alert': alertOk },
      tasks: { [S.keepInvalidEvent]: kept, [S.keepUndispatchedEvent]: kept },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(INVALID_EVENT_ERROR);
    expect(run.path).toEqual([S.triage, S.route, S.keepInvalidEvent, S.alertInvalidEvent, S.invalidEvent]);
    expect(run.calls.triage).toEqual([{ event: input, receivedAt: expect.stringMatching(ISO_TIME) as unknown }]);
    const error = { message: expect.any(String) as unknown, issues: expect.arrayContaining([expect.objectContaining({ path: '(root)' })]) as unknown };
    expect(run.taskCalls[S.keepInvalidEvent]).toEqual([
      {
        QueueUrl: '${InvalidEventQueueUrl}',
        MessageBody: { reason: 'invalid-event', error, event: input, receivedAt: run.calls.triage![0]!.receivedAt },
      },
    ]);
    expect(run.calls['publish-alert']).toEqual([{ kind: 'invalid-event', mode: 'dry-run', options: {}, rawEvent: input, reason: error }]);
  });

  const NOTHING_KEPT = {
    note: 'Triage did not answer with a bounded copy of the event, and the execution input is not an EventBridge event: none of it is kept here.',
  };

  it.each(inputs)('%s is alerted as a dispatch failure, its envelope-less input not kept, when triage crashes on it', async (_, input) => {
    const run = await runLocally(compiled.definition, input, {
      responders: {
        triage: () => {
          throw namedError('Lambda.Unknown', 'Unhandled');
        },
        'publish-alert': alertOk,
      },
      tasks: { [S.keepInvalidEvent]: kept, [S.keepUndispatchedEvent]: kept },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Lambda.Unknown');
    expect(run.taskCalls[S.keepUndispatchedEvent]).toEqual([
      {
        QueueUrl: '${InvalidEventQueueUrl}',
        MessageBody: {
          reason: 'dispatch-failed',
          error: { Error: 'Lambda.Unknown', Cause: 'Unhandled' },
          event: NOTHING_KEPT,
          receivedAt: expect.stringMatching(ISO_TIME) as unknown,
        },
      },
    ]);
    expect(run.calls['publish-alert']).toEqual([
      { kind: 'failure', mode: 'dry-run', options: {}, rawEvent: NOTHING_KEPT, failure: { step: 'dispatch', error: 'Lambda.Unknown', cause: 'Unhandled' } },
    ]);
  });
});

describe("the dispatcher writes triage's entry in the incident record after dispatch", () => {
  const record = {
    pk: 'incident#gd-7ab9d1b3',
    revision: 'gd-7ab9d1b3-2026-11-20T10-00-00-1',
    updateExpression: 'SET #entries = list_append(if_not_exists(#entries, :none), :entry) ADD #triaged :revisions',
    names: { '#entries': 'entries', '#triaged': 'triaged' },
    values: { ':entry': { L: [{ S: '{"step":"triage"}' }] }, ':none': { L: [] }, ':revision': { S: 'gd-7ab9d1b3-2026-11-20T10-00-00-1' }, ':revisions': { SS: ['gd-7ab9d1b3-2026-11-20T10-00-00-1'] } },
  };
  const started: TaskStub = () => ({ ExecutionArn: `${PLAYBOOK_ARN}:x` });
  // The UpdateItem both RecordTriage (after a start) and RecordTriageOnly (before an alert-only alert) send.
  const recordWrite = {
    TableName: '${StateTableName}',
    Key: { pk: { S: 'incident#gd-7ab9d1b3' } },
    UpdateExpression: record.updateExpression,
    ConditionExpression: 'attribute_not_exists(#triaged) OR NOT contains(#triaged, :revision)',
    ExpressionAttributeNames: record.names,
    ExpressionAttributeValues: record.values,
  };
  const alertOnlyDecision = () => decision({ outcome: 'alert-only', playbook: null, playbookIndex: null, executionName: null, record });
  const run = (recordTask: TaskStub, overrides: Record<string, unknown> = {}) =>
    runLocally(runnable, event, {
      responders: { triage: () => decision({ record, ...overrides }), 'publish-alert': alertOk },
      tasks: { [S.startPlaybook]: started, [S.recordTriage]: recordTask, [S.keepUndispatchedEvent]: kept, [S.keepUnalertedEvent]: kept },
    });

  it('starts the playbook first, then appends the entry with UpdateItem on the state table under the revision condition', async () => {
    const order: string[] = [];
    const outcome = await runLocally(runnable, event, {
      responders: { triage: () => decision({ record }), 'publish-alert': alertOk },
      tasks: {
        [S.startPlaybook]: (parameters) => (order.push('start'), started(parameters)),
        [S.recordTriage]: () => (order.push('record'), {}),
      },
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(order).toEqual(['start', 'record']);
    expect(outcome.path).toEqual([S.triage, S.route, S.deployedPlaybook, S.startPlaybook, S.triageRecordReady, S.recordTriage, S.dispatched]);
    expect(outcome.taskCalls[S.recordTriage]).toEqual([recordWrite]);
  });

  it('a denied write neither stops nor fails dispatch: the playbook started, the execution succeeds, nothing is kept or alerted', async () => {
    const outcome = await run(() => {
      throw namedError('DynamoDB.AccessDeniedException', 'not authorized to perform dynamodb:UpdateItem');
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.taskCalls[S.startPlaybook]).toHaveLength(1);
    expect(outcome.path.slice(-2)).toEqual([S.recordTriage, S.triageNotRecorded]);
    expect(outcome.calls['publish-alert']).toBeUndefined();
    expect(outcome.taskCalls[S.keepUndispatchedEvent]).toBeUndefined();
  });

  it('a throttled write is retried, and the entry is appended once', async () => {
    let attempts = 0;
    const outcome = await run(() => {
      attempts += 1;
      if (attempts === 1) throw namedError('DynamoDB.ProvisionedThroughputExceededException', 'slow down');
      return {};
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(attempts).toBe(2);
    expect(outcome.path.at(-1)).toBe(S.dispatched);
  });

  it("a revision already triaged (the condition fails) is not a failure: the entry is not appended twice", async () => {
    const outcome = await run(() => {
      throw namedError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.path.slice(-2)).toEqual([S.recordTriage, S.dispatched]);
  });

  it('alert-only: the entry is written first, under the same revision condition, then the alert goes out', async () => {
    const order: string[] = [];
    const outcome = await runLocally(runnable, event, {
      responders: {
        triage: alertOnlyDecision,
        'publish-alert': () => (order.push('alert'), alertOk()),
      },
      tasks: { [S.recordTriageOnly]: () => (order.push('record'), {}) },
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(order).toEqual(['record', 'alert']);
    expect(outcome.path).toEqual([S.triage, S.route, S.alertOnlyRecordReady, S.recordTriageOnly, S.alertOnly, S.alertOnlyDone, S.dispatched]);
    expect(outcome.taskCalls[S.recordTriageOnly]).toEqual([recordWrite]);
  });

  it('alert-only delivered again (this revision already recorded): alerts nothing and succeeds', async () => {
    const outcome = await runLocally(runnable, event, {
      responders: { triage: alertOnlyDecision, 'publish-alert': alertOk },
      tasks: {
        [S.recordTriageOnly]: () => {
          throw namedError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
        },
        [S.keepUnalertedEvent]: kept,
      },
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.path.slice(-2)).toEqual([S.recordTriageOnly, S.duplicateAlertOnly]);
    expect(outcome.calls['publish-alert']).toBeUndefined();
    expect(outcome.taskCalls[S.keepUnalertedEvent]).toBeUndefined();
  });

  it('alert-only whose entry cannot be written (denied, or throttled past the retries) is alerted all the same, and ends TriageNotRecorded', async () => {
    let attempts = 0;
    const outcome = await runLocally(runnable, event, {
      responders: { triage: alertOnlyDecision, 'publish-alert': alertOk },
      tasks: {
        [S.recordTriageOnly]: () => {
          attempts += 1;
          throw namedError('DynamoDB.AccessDeniedException', 'not authorized to perform dynamodb:UpdateItem');
        },
      },
    });
    expect(attempts).toBe(1);
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.calls['publish-alert']).toHaveLength(1);
    expect(outcome.path.slice(-4)).toEqual([S.recordTriageOnly, S.alertOnly, S.alertOnlyDone, S.triageNotRecorded]);
  });

  it('alert-only whose alert fails for good after the entry was written: takes the revision back out of the triaged set, so a replay alerts it, and keeps the event', async () => {
    const outcome = await runLocally(runnable, event, {
      responders: {
        triage: alertOnlyDecision,
        'publish-alert': () => {
          throw namedError('KMS.DisabledException', 'The alert topic key is disabled');
        },
      },
      tasks: { [S.recordTriageOnly]: () => ({}), [S.forgetTriageOnly]: () => ({}), [S.keepUnalertedEvent]: kept },
    });
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe(ALERT_FAILED_ERROR);
    expect(outcome.path.slice(-4)).toEqual([S.alertOnlyUnalerted, S.forgetTriageOnly, S.keepUnalertedEvent, S.alertFailed]);
    expect(outcome.taskCalls[S.forgetTriageOnly]).toEqual([
      {
        TableName: '${StateTableName}',
        Key: { pk: { S: 'incident#gd-7ab9d1b3' } },
        UpdateExpression: 'DELETE #triaged :revisions',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#triaged': 'triaged' },
        ExpressionAttributeValues: { ':revisions': { SS: ['gd-7ab9d1b3-2026-11-20T10-00-00-1'] } },
      },
    ]);
    expect(outcome.taskCalls[S.keepUnalertedEvent]).toHaveLength(1);
  });

  it('alert-only whose alert and take-back both fail still keeps the event and ends FAILED', async () => {
    const outcome = await runLocally(runnable, event, {
      responders: {
        triage: alertOnlyDecision,
        'publish-alert': () => {
          throw namedError('KMS.DisabledException', 'The alert topic key is disabled');
        },
      },
      tasks: {
        [S.recordTriageOnly]: () => ({}),
        [S.forgetTriageOnly]: () => {
          throw namedError('DynamoDB.AccessDeniedException', 'not authorized');
        },
        [S.keepUnalertedEvent]: kept,
      },
    });
    expect(outcome.status).toBe('FAILED');
    expect(outcome.path.slice(-3)).toEqual([S.forgetTriageOnly, S.keepUnalertedEvent, S.alertFailed]);
  });

  it('ATTACK (review s25): alert-only whose write DynamoDB applied but answered with an error is alerted, never taken for a duplicate of itself', async () => {
    // DynamoDB applied the write, then the answer was lost (a 500, a client timeout): retried, the
    // write meets its own revision and fails its condition. Before: DuplicateAlertOnly, a silent
    // success with no alert and nothing kept.
    for (const lost of ['DynamoDB.InternalServerErrorException', 'DynamoDB.SdkClientException']) {
      let attempts = 0;
      const outcome = await runLocally(runnable, event, {
        responders: { triage: alertOnlyDecision, 'publish-alert': alertOk },
        tasks: {
          [S.recordTriageOnly]: () => {
            attempts += 1;
            throw attempts === 1 ? namedError(lost, 'the write may or may not have been applied') : namedError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
          },
        },
      });
      expect(attempts).toBe(1);
      expect(outcome.status).toBe('SUCCEEDED');
      expect(outcome.calls['publish-alert']).toHaveLength(1);
      expect(outcome.path.slice(-4)).toEqual([S.recordTriageOnly, S.alertOnly, S.alertOnlyDone, S.triageNotRecorded]);
    }
  });

  it('alert-only whose write may have been applied and whose alert fails: takes the revision back out (only from a record that exists), so a replay alerts it', async () => {
    const outcome = await runLocally(runnable, event, {
      responders: {
        triage: alertOnlyDecision,
        'publish-alert': () => {
          throw namedError('KMS.DisabledException', 'The alert topic key is disabled');
        },
      },
      tasks: {
        [S.recordTriageOnly]: () => {
          throw namedError('DynamoDB.InternalServerErrorException', 'the write may or may not have been applied');
        },
        [S.forgetTriageOnly]: () => ({}),
        [S.keepUnalertedEvent]: kept,
      },
    });
    expect(outcome.status).toBe('FAILED');
    expect(outcome.path.slice(-4)).toEqual([S.alertOnlyUnalerted, S.forgetTriageOnly, S.keepUnalertedEvent, S.alertFailed]);
    expect(outcome.taskCalls[S.forgetTriageOnly]).toEqual([expect.objectContaining({ ConditionExpression: 'attribute_exists(pk)' })]);
  });

  it('alert-only whose alert published but timed out (its answer lost): taken back and kept, so a replay alerts again: a duplicate, never a lost alert', async () => {
    let published = 0;
    const outcome = await runLocally(runnable, event, {
      responders: {
        triage: alertOnlyDecision,
        'publish-alert': () => {
          published += 1;
          throw namedError('Sandbox.Timedout', 'Task timed out after 30.00 seconds');
        },
      },
      tasks: { [S.recordTriageOnly]: () => ({}), [S.forgetTriageOnly]: () => ({}), [S.keepUnalertedEvent]: kept },
    });
    expect(published).toBe(1);
    expect(outcome.status).toBe('FAILED');
    expect(outcome.path.slice(-4)).toEqual([S.alertOnlyUnalerted, S.forgetTriageOnly, S.keepUnalertedEvent, S.alertFailed]);
  });

  it('alert-only whose write was refused outright and whose alert fails: nothing to take back, the event is kept', async () => {
    const outcome = await runLocally(runnable, event, {
      responders: {
        triage: alertOnlyDecision,
        'publish-alert': () => {
          throw namedError('KMS.DisabledException', 'The alert topic key is disabled');
        },
      },
      tasks: {
        [S.recordTriageOnly]: () => {
          throw namedError('DynamoDB.AccessDeniedException', 'not authorized');
        },
        [S.keepUnalertedEvent]: kept,
      },
    });
    expect(outcome.status).toBe('FAILED');
    expect(outcome.taskCalls[S.forgetTriageOnly]).toBeUndefined();
    expect(outcome.path.slice(-3)).toEqual([S.alertOnlyUnalerted, S.keepUnalertedEvent, S.alertFailed]);
  });

  it('alert-only without a complete write (an older triage) is alerted without one', async () => {
    const { values: _values, ...partial } = record;
    const outcome = await runLocally(runnable, event, {
      responders: { triage: () => decision({ outcome: 'alert-only', playbook: null, playbookIndex: null, executionName: null, record: partial }), 'publish-alert': alertOk },
    });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.taskCalls[S.recordTriageOnly]).toBeUndefined();
    expect(outcome.path.slice(-4)).toEqual([S.alertOnlyRecordReady, S.alertOnly, S.alertOnlyDone, S.dispatched]);
  });

  it('a write with a missing part is skipped (a missing path would be a States.Runtime error no Catch handles)', async () => {
    const { values: _values, ...partial } = record;
    const outcome = await run(() => ({}), { record: partial });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.taskCalls[S.recordTriage]).toBeUndefined();
    expect(outcome.path.slice(-2)).toEqual([S.triageRecordReady, S.dispatched]);
  });

  it('a duplicate delivery (ExecutionAlreadyExists) still makes the write, under the same revision condition, and ends at DuplicateDelivery whatever it answers', async () => {
    for (const answer of [() => ({}), () => {
      throw namedError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
    }, () => {
      throw namedError('DynamoDB.AccessDeniedException', 'not authorized to perform dynamodb:UpdateItem');
    }]) {
      const outcome = await runLocally(runnable, event, {
        responders: { triage: () => decision({ record }), 'publish-alert': alertOk },
        tasks: {
          [S.startPlaybook]: () => {
            throw namedError('StepFunctions.ExecutionAlreadyExistsException', 'Execution Already Exists');
          },
          [S.recordDuplicateTriage]: answer,
        },
      });
      expect(outcome.status).toBe('SUCCEEDED');
      expect(outcome.path.slice(-3)).toEqual([S.duplicateRecordReady, S.recordDuplicateTriage, S.duplicateDelivery]);
      expect(outcome.taskCalls[S.recordDuplicateTriage]).toEqual([recordWrite]);
      expect(outcome.taskCalls[S.recordTriage]).toBeUndefined();
      expect(outcome.calls['publish-alert']).toBeUndefined();
    }
  });
});

// Row 17c (review-17): triage's facts (row 17b) are written by its record write, which a duplicate
// delivery skipped (ExecutionAlreadyExists ended it before the write). The playbook's execution name
// comes from the finding and its revision, and anyone allowed to invoke the oversized-event intake
// can send it a forged event with a real finding's id and the revision GuardDuty's next delivery
// will have (row 8f): its unconfirmed copy is dispatched first, takes the name, and records no
// facts (its contents are its sender's). GuardDuty's own delivery then ended at DuplicateDelivery,
// and no triage ever wrote the record's facts: the first writer's (a step invoked directly with a
// payload of anyone's choosing, or the forged copy's own) stood. Run against the simulated table.
describe("ATTACK (review-17): a revision whose execution a forged intake copy started first", () => {
  const TABLE = 'firebreak-state';
  const times = { startedAt: new Date('2026-11-20T10:00:00.300Z'), endedAt: new Date('2026-11-20T10:00:00.340Z') };
  const genuine = ec2Incident();
  const forgedCopy = { ...genuine, account: '444455556666', sample: true, clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [], event: { originalBytes: 400_000 } } };
  const routing = routingTableFor(loadPlaybookDirectorySync('playbooks'), { forceDryRun: false });

  /** Applies the dispatcher's UpdateItem tasks to the simulated table, as the DynamoDB service integration does. */
  function updateItemTasks(ddb: DynamoDBClient): Record<string, TaskStub> {
    const apply: TaskStub = async (parameters) => {
      try {
        return await ddb.send(new UpdateItemCommand({ ...(parameters as unknown as ConstructorParameters<typeof UpdateItemCommand>[0]), TableName: TABLE }));
      } catch (error) {
        throw namedError(`DynamoDB.${(error as Error).name}`, (error as Error).message);
      }
    };
    return Object.fromEntries(taskStates(definition).filter((task) => task.resource === DYNAMODB_UPDATE_ITEM_RESOURCE).map((task) => [task.state, apply]));
  }

  it("records the genuine delivery's triage, and its facts, when the copy took the execution name", async () => {
    const sim = new SeededSimulatedAws({ seed: 'dispatcher-duplicate-facts' });
    sim.addTable({ name: TABLE, partitionKey: 'pk' });
    const ddb = sim.clientFactory().dynamodb();
    const tasks = updateItemTasks(ddb);
    const { startedNames, startExecution } = startingOncePerName();
    // Triage's answer on the genuine finding, as the dispatcher below knows its one playbook; the
    // copy's carries the copy (its execution name is the finding's and its revision's, the same).
    const dispatchOf = (incident: Incident) => {
      const decided = { ...triage(genuine, routing), incident, playbook: 'compromised-ec2', playbookIndex: 0 };
      const answer = { ...decided, kept: event, record: triageRecordWrite(decided, times, 30), playbookDecision: playbookDecisionOf(decided) };
      return runLocally(runnable, event, { responders: { triage: () => answer, 'publish-alert': alertOk }, tasks: { ...tasks, [S.startPlaybook]: startExecution } });
    };
    const copy = await dispatchOf(forgedCopy as Incident);
    expect(copy.path).toContain(S.startPlaybook);
    const delivered = await dispatchOf(genuine);
    expect(delivered.status).toBe('SUCCEEDED');
    expect(startedNames.size).toBe(1);
    const record = await readIncidentRecord(ddb, TABLE, genuine.key);
    expect(record?.header).toMatchObject({ account: genuine.account, sample: false });
    // A true duplicate (the same revision delivered again) records nothing more.
    const again = await dispatchOf(genuine);
    expect(again.path.at(-1)).toBe(S.duplicateDelivery);
    expect((await readIncidentRecord(ddb, TABLE, genuine.key))?.entries).toHaveLength(record!.entries.length);
  });
});
