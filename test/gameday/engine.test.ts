/**
 * The local engine plays Step Functions around the synthesized definitions: exactly-once starts by
 * execution name, the Lambda integration's error shape, retries that move the simulated clock, and
 * approval tasks answered from the scenario.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { definitionsFor } from '../../lib/gameday/definitions';
import type { ApprovalDecision, ApprovalRequest } from '../../lib/gameday/engine';
import { ENGINE_ERRORS, LocalEngine, gameDayApproverArn, nominalRetryDelayMs, withoutWallClockTimeouts } from '../../lib/gameday/engine';
import { LocalBackend, OPERATOR_ROLE } from '../../lib/gameday/local-backend';
import { readIncidentRecord } from '../../lib/operator/incidents';
import { environmentSchema, settingsSchema } from '../../lib/gameday/scenario';
import { aimEventAt, loadTemplate } from '../../lib/gameday/templates';
import type { Playbook } from '../../lib/playbooks/model';
import { loadPlaybookDirectory } from '../../lib/playbooks/loader';
import type { SynthesizedDefinitions } from '../../lib/stack/app';
import { ec2Incident } from '../support/incidents';
import { ALERT_FAILED_ERROR, INVALID_EVENT_ERROR } from '../../lib/contracts/errors';
import { payloadBytes, STATES_PAYLOAD_LIMIT_BYTES } from '../../lib/contracts/payload-size';

const ROOT = resolve(import.meta.dirname, '../..');
const settings = settingsSchema.parse({});
let playbooks: Playbook[];
let definitions: SynthesizedDefinitions;

beforeAll(async () => {
  playbooks = await loadPlaybookDirectory(resolve(ROOT, 'playbooks'));
  definitions = await definitionsFor(settings, playbooks);
});

async function webServer(faults: unknown[] = []) {
  const backend = new LocalBackend({ seed: 'engine-test' });
  const environment = await backend.prepare(
    environmentSchema.parse({ securityGroups: { 'web-tier': {} }, instances: { web: { enis: [{ groups: ['web-tier'] }] } }, faults }),
    settings,
  );
  return { backend, environment };
}

describe('LocalEngine', () => {
  it('starts one playbook execution for two deliveries of the same finding: the second ends in DuplicateDelivery', async () => {
    const { backend, environment } = await webServer();
    const engine = new LocalEngine({ backend, definitions, environment, settings });
    const event = aimEventAt(await loadTemplate('guardduty-ec2-backdoor-c2activity-multi-eni'), environment.instances.web!);
    const first = await engine.deliver(event);
    await engine.settle();
    const second = await engine.deliver(structuredClone(event));
    await engine.settle();

    const playbookRuns = engine.executions().filter((record) => record.kind === 'playbook');
    expect(playbookRuns.map((record) => [record.playbook, record.status])).toEqual([['compromised-ec2-instance', 'SUCCEEDED']]);
    expect(first.started).toEqual([playbookRuns[0]!.executionArn]);
    // Started, then triage's entry written (after dispatch); the duplicate's write (row 17c) fails
    // its once-per-revision condition, and it ends there.
    expect(first.path.slice(-4)).toEqual(['StartPlaybook', 'TriageRecordReady', 'RecordTriage', 'Dispatched']);
    expect(second.path.slice(-4)).toEqual(['StartPlaybook', 'DuplicateRecordReady', 'RecordDuplicateTriage', 'DuplicateDelivery']);
    expect(second.tasks.find((task) => task.state === 'RecordDuplicateTriage')?.error?.name).toBe('DynamoDB.ConditionalCheckFailedException');
    expect(second.status).toBe('SUCCEEDED');
    const refused = second.tasks.find((task) => task.state === 'StartPlaybook');
    expect(refused?.error?.name).toBe(ENGINE_ERRORS.executionAlreadyExists);
    expect(backend.callLog().filter((call) => call.api === 'ec2:CreateSnapshots')).toHaveLength(1);
  });

  it("appends triage's entry once per revision through the dispatcher's role, before the alert: an alert-only finding delivered twice leaves one entry and one alert", async () => {
    const { backend, environment } = await webServer();
    const engine = new LocalEngine({ backend, definitions, environment, settings });
    // A placeholder instance id on a finding not marked as a sample: alert-only.
    const event = aimEventAt(await loadTemplate('guardduty-ec2-backdoor-c2activity-multi-eni'), environment.instances.web!) as { detail: { resource: { instanceDetails: { instanceId: string } } } };
    event.detail.resource.instanceDetails.instanceId = 'i-99999999';
    const first = await engine.deliver(event);
    const second = await engine.deliver(structuredClone(event));
    await engine.settle();
    expect(first.path.slice(-5)).toEqual(['AlertOnlyRecordReady', 'RecordTriageOnly', 'AlertTriageOnly', 'AlertOnlyDone', 'Dispatched']);
    // The second delivery finds this revision recorded: it was alerted (or its failed alert kept and alarmed), so it alerts nothing.
    expect(second.path.slice(-2)).toEqual(['RecordTriageOnly', 'DuplicateAlertOnly']);
    expect(second.tasks.find((task) => task.state === 'RecordTriageOnly')?.error?.name).toBe('DynamoDB.ConditionalCheckFailedException');
    expect(second.tasks.some((task) => task.state === 'AlertTriageOnly')).toBe(false);
    expect(second.status).toBe('SUCCEEDED');
    expect(backend.callLog().filter((call) => call.api === 'sns:Publish')).toHaveLength(1);
    const key = (first.tasks.find((task) => task.state === 'Triage')?.result as { Payload: { incident: { key: string } } }).Payload.incident.key;
    const record = await readIncidentRecord(backend.clients(OPERATOR_ROLE).dynamodb(), environment.deployment.stateTableName, key);
    expect(record?.entries.filter((entry) => entry.step === 'triage').map((entry) => entry.status)).toEqual(['alert-only']);
    // The call went out as the dispatcher's role, on the incident's item.
    expect(backend.callLog().filter((call) => call.api === 'dynamodb:UpdateItem' && call.caller.includes('/firebreak-dispatcher/')).length).toBe(2);
  });

  it('refuses duplicates racing the running playbook too: each delivery starts it with its own dispatcher execution id, so the input differs', async () => {
    const { backend, environment } = await webServer();
    const engine = new LocalEngine({ backend, definitions, environment, settings });
    const event = aimEventAt(await loadTemplate('guardduty-ec2-backdoor-c2activity-multi-eni'), environment.instances.web!);
    // Three deliveries at once: the later two reach StartPlaybook while the first's playbook still runs,
    // where a Standard machine would answer an identical input with the running execution.
    const deliveries = await Promise.all([engine.deliver(event), engine.deliver(structuredClone(event)), engine.deliver(structuredClone(event))]);
    await engine.settle();
    expect(engine.executions().filter((record) => record.kind === 'playbook')).toHaveLength(1);
    expect(deliveries.map((delivery) => delivery.path.at(-1))).toEqual(['Dispatched', 'DuplicateDelivery', 'DuplicateDelivery']);
    expect(deliveries.map((delivery) => delivery.started.length)).toEqual([1, 0, 0]);
  });

  it("answers a Standard machine's StartExecution with the same name and input as a running execution with that execution, as Step Functions does", async () => {
    const { backend, environment } = await webServer();
    const engine = new LocalEngine({ backend, definitions, environment, settings });
    const machine = engine.stateMachineArnOf('compromised-ec2-instance')!;
    const input = { incident: ec2Incident(), mode: 'dry-run', playbook: 'compromised-ec2-instance' };
    const first = engine.start(machine, 'same-name', input);
    expect(first.status).toBe('RUNNING');
    // Same name, same input, still running: idempotent, nothing new runs.
    expect(engine.start(machine, 'same-name', structuredClone(input))).toBe(first);
    // Same name, another input: refused.
    expect(() => engine.start(machine, 'same-name', { ...input, mode: 'enforce' })).toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }));
    await engine.settle();
    // Closed: refused whatever the input.
    expect(() => engine.start(machine, 'same-name', input)).toThrow(expect.objectContaining({ name: 'ExecutionAlreadyExists' }));
    expect(engine.executions().filter((record) => record.kind === 'playbook')).toHaveLength(1);
  });

  it('names the playbook execution deterministically (execution name from triage) and fills the context object', async () => {
    const { backend, environment } = await webServer();
    const engine = new LocalEngine({ backend, definitions, environment, settings });
    await engine.deliver(aimEventAt(await loadTemplate('guardduty-ec2-backdoor-c2activity-multi-eni'), environment.instances.web!));
    await engine.settle();
    const run = engine.executions().find((record) => record.kind === 'playbook')!;
    expect(run.name).toMatch(/^gd-4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b-[0-9a-f]+$/);
    expect(run.executionArn).toBe(`arn:aws:states:eu-west-1:111122223333:execution:Firebreak-compromised-ec2-instance:${run.name}`);
    // The responders got $$.Execution.Id and $$.StateMachine.Id through their payload.
    const alert = run.tasks.find((task) => task.state === 'alert');
    expect(alert?.result).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    const published = (await backend.inspect()).alerts[0]!;
    expect(published.message).toContain(run.name);
  });

  it('retries a transient responder failure through the state machine, recording each retry and moving the simulated clock', async () => {
    // Five throttles: the SDK's three attempts fail, the responder raises a transient error, the
    // state machine retries the step; the second invocation's SDK attempts absorb the rest.
    const { backend, environment } = await webServer([{ api: 'ec2:DescribeInstances', error: 'RequestLimitExceeded', times: 5 }]);
    const engine = new LocalEngine({ backend, definitions, environment, settings });
    const before = backend.now().getTime();
    await engine.deliver(aimEventAt(await loadTemplate('guardduty-ec2-backdoor-c2activity-multi-eni'), environment.instances.web!));
    await engine.settle();
    const run = engine.executions().find((record) => record.kind === 'playbook')!;
    expect(run.status).toBe('SUCCEEDED');
    const retried = run.events.filter((event) => event.type === 'StateRetried').map((event) => event.state);
    expect(retried.length).toBeGreaterThan(0);
    const attempts = run.tasks.filter((task) => retried.includes(task.state)).map((task) => task.attempt);
    expect(Math.max(...attempts)).toBe(2);
    // The retrier's nominal 2 s interval (before jitter) passed on the simulated clock, plus the SDK backoffs.
    expect(backend.now().getTime() - before).toBeGreaterThanOrEqual(2000);
  });

  it('computes a retrier wait as IntervalSeconds × BackoffRate^(n-1), capped by MaxDelaySeconds', () => {
    expect(nominalRetryDelayMs({ IntervalSeconds: 2, BackoffRate: 2 }, 1)).toBe(2000);
    expect(nominalRetryDelayMs({ IntervalSeconds: 2, BackoffRate: 2 }, 3)).toBe(8000);
    expect(nominalRetryDelayMs({ IntervalSeconds: 2, BackoffRate: 2, MaxDelaySeconds: 5 }, 3)).toBe(5000);
    expect(nominalRetryDelayMs({}, 1)).toBe(1000);
  });
});

describe('LocalEngine approvals (.waitForTaskToken)', () => {
  const approvalPlaybook = JSON.stringify({
    StartAt: 'approve-containment',
    States: {
      'approve-containment': {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        TimeoutSeconds: 3600,
        Parameters: {
          FunctionName: '${Fn_publish_alert}',
          Payload: {
            kind: 'approval-request',
            'incident.$': '$.incident',
            mode: 'enforce',
            playbook: 'approval-test',
            options: {},
            execution: { 'executionArn.$': '$$.Execution.Id' },
            approval: { 'taskToken.$': '$$.Task.Token', waitingSteps: ['contain'], timeoutSeconds: 3600 },
          },
        },
        ResultPath: '$.approval',
        Catch: [
          { ErrorEquals: ['Firebreak.ApprovalRejected'], ResultPath: '$.rejected', Next: 'rejected' },
          { ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'timed-out' },
        ],
        Next: 'approved',
      },
      approved: { Type: 'Succeed' },
      rejected: { Type: 'Succeed' },
      'timed-out': { Type: 'Succeed' },
    },
  });

  async function heldApproval() {
    const { backend, environment } = await webServer();
    let release!: (decision: ApprovalDecision) => void;
    const held = new Promise<ApprovalDecision>((resolve) => {
      release = resolve;
    });
    const engine = new LocalEngine({
      backend,
      definitions: { ...definitions, playbooks: { ...definitions.playbooks, 'approval-test': { definition: approvalPlaybook, substitutions: {} } } },
      environment,
      settings,
      approvals: (request) => {
        tokens.push(request.taskToken);
        return { held };
      },
    });
    const tokens: string[] = [];
    const record = engine.start('arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-approval-test', 'approval-1', { incident: ec2Incident() });
    return { engine, record, backend, release, tokens };
  }

  it('holds an answer: settle() returns with the execution still waiting on its token, which goes on once the answer is given', async () => {
    const { engine, record, release } = await heldApproval();
    await engine.settle();
    expect(record.status).toBe('RUNNING');
    release({ answer: 'approve', by: 'alice' });
    await engine.settle();
    expect(record.status).toBe('SUCCEEDED');
    expect(record.path).toEqual(['approve-containment', 'approved']);
  });

  it('answers SendTaskHeartbeat for a token while its task waits, and TaskDoesNotExist / TaskTimedOut after (publish-alert proves a request with it)', async () => {
    const { engine, backend, release, tokens } = await heldApproval();
    await engine.settle();
    const token = tokens[0]!;
    expect(engine.answerTaskToken({ kind: 'heartbeat', taskToken: token })).toBe('accepted');
    expect(engine.answerTaskToken({ kind: 'heartbeat', taskToken: 'made-up' })).toBe('unknown');
    // Only the approval function delivers an answer, once a person has given one.
    expect(engine.answerTaskToken({ kind: 'success', taskToken: token, output: '{"approved":true}' })).toBe('unknown');
    backend.advance(3_601_000);
    release({ answer: 'approve', by: 'alice' });
    await engine.settle();
    expect(engine.answerTaskToken({ kind: 'heartbeat', taskToken: token })).toBe('timed-out');
  });

  it('an answer held past the state timeout on the simulated clock comes too late: States.Timeout, as Step Functions fails the task', async () => {
    const { engine, record, backend, release } = await heldApproval();
    await engine.settle();
    backend.advance(3_601_000);
    release({ answer: 'approve', by: 'alice' });
    await engine.settle();
    expect(record.path).toEqual(['approve-containment', 'timed-out']);
    expect(record.output).toMatchObject({ timedOut: { Error: 'States.Timeout' } });
  });

  async function runApproval(decision: ApprovalDecision) {
    const { backend, environment } = await webServer();
    const requests: ApprovalRequest[] = [];
    const engine = new LocalEngine({
      backend,
      definitions: { ...definitions, playbooks: { ...definitions.playbooks, 'approval-test': { definition: approvalPlaybook, substitutions: {} } } },
      environment,
      settings,
      validateDefinitions: true,
      approvals: (request) => {
        requests.push(request);
        return decision;
      },
    });
    const before = backend.now().getTime();
    const record = engine.start('arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-approval-test', 'approval-1', { incident: ec2Incident() });
    await record.done;
    return { record, requests, backend, elapsed: backend.now().getTime() - before };
  }

  it('sends the approval request (the function runs), then continues with the approval the approval function sent when approved', async () => {
    const { record, requests, backend } = await runApproval({ answer: 'approve', by: 'alice' });
    expect(record.path).toEqual(['approve-containment', 'approved']);
    const alice = gameDayApproverArn('alice', '111122223333');
    expect(record.output).toMatchObject({ approval: { approved: true, approvedBy: alice, by: alice } });
    expect(requests).toEqual([expect.objectContaining({ state: 'approve-containment', playbook: 'approval-test', timeoutSeconds: 3600 })]);
    expect(requests[0]!.taskToken).not.toBe('');
    expect((await backend.inspect()).alerts.map((alert) => alert.subject)).toEqual([expect.stringContaining('APPROVAL')]);
  });

  it("fails the task with Firebreak.ApprovalRejected when rejected, so the playbook's Catch decides", async () => {
    const { record } = await runApproval({ answer: 'reject', by: 'bob', reason: 'production freeze' });
    expect(record.path).toEqual(['approve-containment', 'rejected']);
    expect(record.output).toMatchObject({ rejected: { Error: 'Firebreak.ApprovalRejected' } });
    expect(JSON.parse((record.output as { rejected: { Cause: string } }).rejected.Cause)).toMatchObject({
      by: gameDayApproverArn('bob', '111122223333'),
      reason: 'production freeze',
    });
  });

  it('fails the task with States.Timeout when nobody answers, after the state timeout on the simulated clock', async () => {
    const { record, elapsed } = await runApproval({ answer: 'timeout' });
    expect(record.path).toEqual(['approve-containment', 'timed-out']);
    expect(record.output).toMatchObject({ timedOut: { Error: 'States.Timeout' } });
    expect(elapsed).toBeGreaterThanOrEqual(3_600_000);
  });
});

describe('LocalEngine: the 256 KiB payload limit', () => {
  /** The dispatcher with `change` applied to its definition (states by name). */
  function withDispatcher(change: (states: Record<string, Record<string, unknown>>, definition: Record<string, unknown>) => void): SynthesizedDefinitions {
    const definition = JSON.parse(definitions.dispatcher.definition) as Record<string, unknown>;
    change(definition.States as Record<string, Record<string, unknown>>, definition);
    return { ...definitions, dispatcher: { ...definitions.dispatcher, definition: JSON.stringify(definition) } };
  }

  /** A finding padded to about 70 KB (four copies of it are over the limit, one is not). */
  async function paddedEvent(environment: Awaited<ReturnType<typeof webServer>>['environment']) {
    const event = aimEventAt(await loadTemplate('guardduty-ec2-backdoor-c2activity-multi-eni'), environment.instances.web!) as { detail: Record<string, unknown> };
    event.detail.padding = 'x'.repeat(70_000);
    return event;
  }

  it("fails the execution with States.DataLimitExceeded when a task's input is over it, past the Catch on States.ALL", async () => {
    const { backend, environment } = await webServer();
    const fourCopies = withDispatcher((states) => {
      const payload = (states.Triage!.Parameters as { Payload: Record<string, unknown> }).Payload;
      Object.assign(payload, { 'copy1.$': '$', 'copy2.$': '$', 'copy3.$': '$' });
    });
    const engine = new LocalEngine({ backend, definitions: fourCopies, environment, settings });
    const run = await engine.deliver(await paddedEvent(environment));
    await engine.settle();

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ENGINE_ERRORS.dataLimitExceeded);
    expect(run.cause).toMatch(/^the input of task Triage is \d+ bytes, over the 262144-byte Step Functions payload limit$/);
    // Triage's Catch (States.ALL → keep and alert the event) never ran: the event is lost, as in AWS.
    expect(run.path).toEqual(['Triage']);
    expect(backend.callLog().filter((call) => call.api === 'sqs:SendMessage' || call.api === 'sns:Publish')).toEqual([]);
  });

  it('refuses StartExecution of an input over 262,144 bytes, as the service does: nothing starts', async () => {
    // EventBridge events may be 1 MB (since January 2026): a rule's delivery of a larger event to the
    // dispatcher is refused here, and the runner keeps it in the undelivered-events queue.
    const { backend, environment } = await webServer();
    const event = (await paddedEvent(environment)) as { detail: Record<string, unknown> };
    event.detail.padding = 'x'.repeat(300_000);
    const engine = new LocalEngine({ backend, definitions, environment, settings });
    await expect(engine.deliver(event)).rejects.toMatchObject({ name: ENGINE_ERRORS.inputTooLarge, message: expect.stringMatching(/over StartExecution's 262144-byte limit/) });
    await engine.settle();
    expect(engine.executions()).toEqual([]);
    expect(() => engine.startFromApi(engine.dispatcherArn, JSON.stringify(event))).toThrow(expect.objectContaining({ name: 'ValidationException' }));
    expect(engine.executions()).toEqual([]);
  });

  it("fails the execution when a state's output is over it, and runs no task after that state", async () => {
    const { backend, environment } = await webServer();
    const inflated = withDispatcher((states, definition) => {
      states.Inflate = { Type: 'Pass', Parameters: { 'a.$': '$', 'b.$': '$', 'c.$': '$', 'd.$': '$' }, Next: 'Triage' };
      definition.StartAt = 'Inflate';
    });
    const engine = new LocalEngine({ backend, definitions: inflated, environment, settings });
    const run = await engine.deliver(await paddedEvent(environment));
    await engine.settle();

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ENGINE_ERRORS.dataLimitExceeded);
    expect(run.cause).toMatch(/^the output of state Inflate is \d+ bytes/);
    expect(run.tasks).toEqual([]);
  });

  it('keeps an event near the limit whose alert fails, clipped to its envelope with a note, where the whole event would exceed it', async () => {
    // An alert-only finding (a placeholder instance id) padded in a field triage ignores to 254,000
    // bytes: Triage's input (the event and the routing table) is within the limit, but the kept
    // message with the event whole and the alert's error beside it would not be.
    const { backend, environment } = await webServer([{ api: 'sns:Publish', error: 'KMSDisabled', times: 20, message: `The key is disabled. ${'k'.repeat(8_000)}` }]);
    const event = aimEventAt(await loadTemplate('guardduty-ec2-backdoor-c2activity-multi-eni'), environment.instances.web!) as {
      id: string;
      detail: { id: string; padding?: string; resource: { instanceDetails: { instanceId: string } } };
    };
    event.detail.resource.instanceDetails.instanceId = 'i-99999999';
    event.detail.padding = '';
    event.detail.padding = 'x'.repeat(254_000 - payloadBytes(event));
    const engine = new LocalEngine({ backend, definitions, environment, settings });
    const run = await engine.deliver(event);
    await engine.settle();

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(ALERT_FAILED_ERROR);
    const kept = (await backend.inspect()).keptEvents;
    expect(kept).toHaveLength(1);
    const body = JSON.parse(kept[0]!.body) as { reason: string; event: Record<string, unknown> };
    expect(body.reason).toBe('alert-failed');
    expect(body.event).toMatchObject({ id: event.id, source: 'aws.guardduty', finding: { id: event.detail.id }, clipped: '254000 bytes' });
    expect(body.event).not.toHaveProperty('detail');
  });

  it('keeps and alerts an event with thousands of refused fields: triage answers the first issues, not every one', async () => {
    // 10 KB of JSON: 4,000 network interfaces that are not objects. Triage answered all 4,000 issues
    // (440 KB), past the limit: States.DataLimitExceeded at Triage, past its Catch, so the event was
    // neither kept nor alerted.
    const { backend, environment } = await webServer();
    const event = aimEventAt(await loadTemplate('guardduty-ec2-backdoor-c2activity-multi-eni'), environment.instances.web!) as {
      detail: { resource: { instanceDetails: { networkInterfaces: unknown[] } } };
    };
    event.detail.resource.instanceDetails.networkInterfaces = Array.from({ length: 4000 }, () => 1);
    const engine = new LocalEngine({ backend, definitions, environment, settings });
    const run = await engine.deliver(event);
    await engine.settle();

    expect(run.error).toBe(INVALID_EVENT_ERROR);
    expect(run.path).toEqual(['Triage', 'RouteDecision', 'KeepInvalidEvent', 'AlertInvalidEvent', 'InvalidEvent']);
    const kept = (await backend.inspect()).keptEvents;
    expect(kept).toHaveLength(1);
    const body = JSON.parse(kept[0]!.body) as { reason: string; error: { issues: unknown[]; omittedIssues: number } };
    expect(body.reason).toBe('invalid-event');
    expect(body.error.issues.length + body.error.omittedIssues).toBe(4000);
    expect(backend.callLog().filter((call) => call.api === 'sns:Publish').length).toBeGreaterThan(0);
  });

  it("triages and dispatches an event a few hundred bytes under the limit: the Triage task adds only the function's ARN and the receive time to it", async () => {
    // An event EventBridge accepts can be up to 1 MB; StartExecution takes up to 256 KiB. With the routing table in the Triage
    // state's input (5.4 KB for the shipped playbooks), this one failed there with
    // States.DataLimitExceeded, past every Catch: neither kept nor alerted, nor contained.
    const { backend, environment } = await webServer();
    const event = (await paddedEvent(environment)) as { detail: Record<string, unknown> };
    event.detail.padding = '';
    event.detail.padding = 'x'.repeat(STATES_PAYLOAD_LIMIT_BYTES - 300 - payloadBytes(event));
    expect(payloadBytes(event)).toBe(STATES_PAYLOAD_LIMIT_BYTES - 300);
    const engine = new LocalEngine({ backend, definitions, environment, settings });
    const run = await engine.deliver(event);
    await engine.settle();

    expect(run.error).toBeUndefined();
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toContain('StartPlaybook');
    const playbookRuns = engine.executions().filter((record) => record.kind === 'playbook');
    expect(playbookRuns.map((record) => [record.playbook, record.status])).toEqual([['compromised-ec2-instance', 'SUCCEEDED']]);
  });

  it('lets the same event through the shipped dispatcher: every payload stays under the limit', async () => {
    const { backend, environment } = await webServer();
    const engine = new LocalEngine({ backend, definitions, environment, settings });
    const run = await engine.deliver(await paddedEvent(environment));
    await engine.settle();
    expect(run.status).toBe('SUCCEEDED');
  });
});

describe('LocalEngine: a failed Parallel branch stops the others, as in Step Functions', () => {
  /**
   * A tiny compromised-ec2-instance: the guard, then a Parallel of the shipped `contain` Task (its
   * Retry, no Catch) beside a branch that fails at once.
   */
  function tinyParallel(): SynthesizedDefinitions {
    const shipped = definitions.playbooks['compromised-ec2-instance']!;
    const states = (JSON.parse(shipped.definition) as { States: Record<string, Record<string, unknown>> }).States;
    const parallel = Object.values(states).find((state) => state.Type === 'Parallel')!;
    const contain = (parallel.Branches as { States: Record<string, Record<string, unknown>> }[]).find((branch) => branch.States.contain)!.States.contain!;
    const definition = {
      StartAt: 'Guard',
      States: {
        Guard: { ...states.Guard, Catch: undefined, Next: 'Both' },
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'contain', States: { contain: { ...contain, Catch: undefined, Next: undefined, End: true } } },
            { StartAt: 'Broken', States: { Broken: { Type: 'Fail', Error: 'EvidenceFailed', Cause: 'the evidence branch failed' } } },
          ],
          End: true,
        },
      },
    };
    return { ...definitions, playbooks: { ...definitions.playbooks, 'compromised-ec2-instance': { ...shipped, definition: JSON.stringify(definition) } } };
  }

  it('runs no Retry of a task whose sibling branch failed: the task that was running ends, and nothing after it runs', async () => {
    // The quarantine's first read, its grant (beside whether its execution runs, which the failed
    // branch has already ended), is throttled past the SDK's three attempts: its state's Retry would
    // contain. (A grant clears nothing once its execution has ended, so a fault further on, in the
    // EC2 calls, is never reached here.) Only the grant's reads: the guard reads the emergency pause
    // before it, and the quarantine reads the pause beside its grant.
    const { backend, environment } = await webServer();
    backend.sim.injectFault({
      api: 'dynamodb:GetItem',
      error: 'ProvisionedThroughputExceededException',
      times: 3,
      when: (input) => JSON.stringify(input.Key ?? {}).includes('"grant#'),
    });
    const engine = new LocalEngine({ backend, definitions: tinyParallel(), environment, settings });
    await engine.deliver(aimEventAt(await loadTemplate('guardduty-ec2-backdoor-c2activity-multi-eni'), environment.instances.web!));
    await engine.settle();

    const run = engine.executions().find((record) => record.kind === 'playbook')!;
    expect([run.status, run.error]).toEqual(['FAILED', 'EvidenceFailed']);
    // The first attempt was already running when the other branch failed: it ends on its own
    // (TransientResponderError, after the execution did, as a Lambda invocation is not interrupted)…
    const contain = () => run.tasks.filter((task) => task.state === 'contain');
    await vi.waitFor(() => expect(contain()[0]?.error?.name).toBe('TransientResponderError'));
    await new Promise((resolve) => setImmediate(resolve));
    // …and its state's Retry never runs: the branch was stopped.
    expect(contain().map((task) => task.attempt)).toEqual([1]);
    expect(run.events.filter((event) => event.type === 'StateRetried')).toEqual([]);
    expect(run.path).toEqual(['Guard', 'Both', 'contain', 'Broken']);
    expect(backend.callLog().filter((call) => call.api === 'ec2:ModifyNetworkInterfaceAttribute' && call.outcome === 'ok')).toEqual([]);
  });

  it('retries the same task when no branch fails (the stop is the failed branch, not the Parallel)', async () => {
    const { backend, environment } = await webServer([{ api: 'ec2:ModifyNetworkInterfaceAttribute', error: 'RequestLimitExceeded', times: 3 }]);
    const healthy = tinyParallel();
    const definition = JSON.parse(healthy.playbooks['compromised-ec2-instance']!.definition) as { States: { Both: { Branches: unknown[] } } };
    definition.States.Both.Branches[1] = { StartAt: 'Fine', States: { Fine: { Type: 'Pass', Result: {}, End: true } } };
    const playbooks = { ...healthy.playbooks, 'compromised-ec2-instance': { ...healthy.playbooks['compromised-ec2-instance']!, definition: JSON.stringify(definition) } };
    const engine = new LocalEngine({ backend, definitions: { ...healthy, playbooks }, environment, settings });
    await engine.deliver(aimEventAt(await loadTemplate('guardduty-ec2-backdoor-c2activity-multi-eni'), environment.instances.web!));
    await engine.settle();

    const run = engine.executions().find((record) => record.kind === 'playbook')!;
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks.filter((task) => task.state === 'contain').map((task) => task.attempt)).toEqual([1, 2]);
  });
});

describe('withoutWallClockTimeouts', () => {
  it("puts every Task (in Parallel branches too) beyond the library's wall-clock timer, and changes nothing else", () => {
    const definition = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'Contain', States: { Contain: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } }],
          Next: 'Approve',
        },
        Approve: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', TimeoutSeconds: 3600, Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };
    const before = structuredClone(definition);
    const local = withoutWallClockTimeouts(definition);
    // 2^31-1 ms is the longest delay a Node timer takes; the library's default would be 60 s of wall time.
    expect((local.States.Approve as unknown as { TimeoutSeconds?: number }).TimeoutSeconds).toBe(2_147_483);
    const branch = (local.States.Both as unknown as { Branches: { States: Record<string, { TimeoutSeconds?: number }> }[] }).Branches[0];
    expect(branch?.States.Contain?.TimeoutSeconds).toBe(2_147_483);
    expect(local.States.Done).toEqual({ Type: 'Succeed' });
    expect(definition).toEqual(before);
  });
});
