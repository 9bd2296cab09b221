/**
 * The oversized-event intake: EventBridge hands it every event a rule matches, beside the
 * dispatcher. It does nothing for an event the dispatcher handles alone, and starts the dispatcher
 * with its clipped copy of any larger one, the only call it makes.
 */
import { GetFindingsCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EVENTBRIDGE_EVENT_LIMIT_BYTES, OVERSIZED_EVENT_THRESHOLD_BYTES, payloadBytes } from '../../lib/contracts/payload-size';
import { DEPLOYMENT_ENV } from '../../lib/contracts/environment';
import { CLIPPED_EVENT_MARKER, clipOversizedEvent } from '../../lib/incident/clip-event';
import { parseEvent } from '../../lib/incident/parse';
import type { IncidentLogger } from '../../lib/responders/logging';
import {
  DispatcherNotConfiguredError,
  GameDayEventAtIntakeError,
  OversizedEventInputError,
  SfnDispatcherStarts,
  createOversizedEventHandler,
  dispatcherArnFromEnv,
} from '../../lib/responders/oversized-event';
import { GuardDutyFindingSource } from '../../lib/responders/finding-confirmation';
import { homeGuardDutyClients } from '../../lib/aws/clients/guardduty';
import { clone, fixtureEvent, toPascalCase } from '../incident/events';
import { containmentTargets } from '../../lib/playbooks/per-instance';

const DISPATCHER = 'arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-dispatcher';
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:express:Firebreak-dispatcher:0a1b:2c3d';

type Json = Record<string, unknown>;
const finding = () => clone(fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json')) as Json & { detail: Json };

function padded(bytes: number, event: Json = finding()): Json {
  (event.detail as { service: Json }).service.additionalInfo = { observed: [] as string[] };
  const observed = ((event.detail as { service: { additionalInfo: { observed: string[] } } }).service.additionalInfo.observed);
  let size = payloadBytes(event);
  while (size < bytes) {
    const chunk = 'attacker-chosen-'.repeat(Math.min(64, Math.max(1, Math.ceil((bytes - size) / 16))));
    observed.push(chunk);
    size += chunk.length + 3;
  }
  return event;
}

function recordingLogger(): IncidentLogger & { lines: { level: string; message: string; extra: Json }[] } {
  const lines: { level: string; message: string; extra: Json }[] = [];
  const at = (level: string) => (message: string, ...extra: Json[]) => void lines.push({ level, message, extra: Object.assign({}, ...extra) as Json });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const DETECTOR = '12abc34d567e8fa901bc2d34e56789f0';

describe('the oversized-event intake', () => {
  const sfn = mockClient(SFNClient);
  const guardduty = mockClient(GuardDutyClient);
  beforeEach(() => {
    sfn.reset();
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date('2026-03-14T10:53:00Z') });
    guardduty.reset();
    guardduty.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
    guardduty.on(GetFindingsCommand).resolves({ Findings: [] });
  });
  const handler = (logger: IncidentLogger = recordingLogger()) =>
    createOversizedEventHandler({
      dispatcher: new SfnDispatcherStarts(new SFNClient({ region: 'eu-west-1' }), DISPATCHER),
      findings: new GuardDutyFindingSource(homeGuardDutyClients()),
      logger,
    });

  it('does nothing for an event the dispatcher target handles alone, up to the threshold, and says so at debug', async () => {
    const logger = recordingLogger();
    const event = finding();
    await expect(handler(logger)(event)).resolves.toEqual({ action: 'none', bytes: payloadBytes(event) });
    const atThreshold = padded(OVERSIZED_EVENT_THRESHOLD_BYTES - 40);
    expect(payloadBytes(atThreshold)).toBeLessThanOrEqual(OVERSIZED_EVENT_THRESHOLD_BYTES);
    await expect(handler(logger)(atThreshold)).resolves.toMatchObject({ action: 'none' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(logger.lines.map((line) => line.level)).toEqual(['debug', 'debug']);
  });

  it('starts the dispatcher with its clipped copy of an event over the threshold, and nothing else', async () => {
    const logger = recordingLogger();
    const event = padded(400 * 1024);
    const expected = clipOversizedEvent(event);
    await expect(handler(logger)(event)).resolves.toEqual({
      action: 'dispatched',
      originalBytes: expected.originalBytes,
      bytes: expected.bytes,
      executionArn: EXECUTION,
      confirmed: false,
      unconfirmed: "GuardDuty has no finding with the event's id in the event's region",
    });
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({ stateMachineArn: DISPATCHER, input: JSON.stringify(expected.event) });
    expect(JSON.parse(calls[0]?.args[0].input.input ?? '{}')[CLIPPED_EVENT_MARKER]).toEqual({ originalBytes: payloadBytes(event), by: 'oversized-event' });
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', extra: expect.objectContaining({ eventId: event.id, originalBytes: expected.originalBytes, executionArn: EXECUTION }) }));
  });

  it('dispatches the clipped copy of an event in the band the dispatcher cannot triage, just under 256 KiB', async () => {
    const event = padded(262_144 - 100);
    expect(payloadBytes(event)).toBeGreaterThan(OVERSIZED_EVENT_THRESHOLD_BYTES);
    await expect(handler()(event)).resolves.toMatchObject({ action: 'dispatched' });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('refuses an oversized input that is not an EventBridge event, starting nothing', async () => {
    const big = 'x'.repeat(300_000);
    for (const input of [[big], { detail: { big } }, { id: 'e', source: 's', 'detail-type': 't', detail: big }, big]) {
      await expect(handler()(input)).rejects.toBeInstanceOf(OversizedEventInputError);
    }
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('ATTACK: refuses an input larger than EventBridge delivers (only a direct invocation can send one), starting nothing', async () => {
    // Lambda takes 6 MB from a synchronous Invoke; EventBridge delivers at most 1 MB. A copy of a
    // larger input would carry a marker triage does not honour, and so lose the containment guard's
    // approval rail for events from the intake.
    const event = padded(EVENTBRIDGE_EVENT_LIMIT_BYTES + 1024);
    await expect(handler()(event)).rejects.toThrow(OversizedEventInputError);
    await expect(handler()(event)).rejects.toThrow(/more than EventBridge delivers/);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('dispatches only copies whose incident says it came through the intake (clipped.event), which the guard holds for approval', async () => {
    for (const bytes of [262_144 - 100, 400 * 1024, EVENTBRIDGE_EVENT_LIMIT_BYTES - 64]) {
      sfn.resetHistory();
      const event = padded(bytes);
      await handler()(event);
      const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}';
      expect(parseEvent(JSON.parse(input)).clipped?.event).toEqual({ originalBytes: payloadBytes(event) });
    }
  });

  it('lets a failed StartExecution fail the invocation, so that Lambda retries it and then keeps the event', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(handler()(padded(300 * 1024))).rejects.toThrow(/Rate exceeded/);
  });

  describe('a game-day event (source firebreak.gameday)', () => {
    const drill = (bytes: number): Json => ({ ...padded(bytes), source: 'firebreak.gameday' });

    it('ATTACK: refuses one over the threshold (a direct invocation with a drill), dispatching nothing, and says so at error level', async () => {
      // `firebreak gameday inject` puts catalogue drills of a few KB on the game-day bus: no drill
      // needs the intake, and an incident from it would be a drill nobody injected.
      for (const bytes of [262_144 - 100, 400 * 1024, EVENTBRIDGE_EVENT_LIMIT_BYTES - 64]) {
        const logger = recordingLogger();
        const event = drill(bytes);
        await expect(handler(logger)(event)).rejects.toThrow(GameDayEventAtIntakeError);
        expect(logger.lines).toContainEqual({
          level: 'error',
          message: expect.stringContaining('game-day event at the intake: refused'),
          extra: expect.objectContaining({ eventId: event.id, source: 'firebreak.gameday', detailType: 'GuardDuty Finding', bytes: payloadBytes(event) }),
        });
      }
      await expect(handler()(drill(400 * 1024))).rejects.toThrow(/no drill needs the intake \(`firebreak gameday inject` puts drills of a few KB on the game-day bus\); refused, nothing is dispatched/);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
      expect(guardduty.commandCalls(GetFindingsCommand)).toHaveLength(0);
    });

    it('does nothing for one within the threshold, as for any event (the game-day rule delivers every drill here too)', async () => {
      const logger = recordingLogger();
      await expect(handler(logger)(drill(10 * 1024))).resolves.toMatchObject({ action: 'none' });
      expect(logger.lines.map((line) => line.level)).toEqual(['debug']);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    });

    it('still dispatches an oversized event of any other source, a look-alike of the game-day source included (the parser reads only the exact source as a drill)', async () => {
      for (const source of ['aws.guardduty', 'Firebreak.GameDay', 'firebreak.gameday ']) {
        sfn.resetHistory();
        await expect(handler()({ ...padded(300 * 1024), source })).resolves.toMatchObject({ action: 'dispatched' });
        expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
      }
    });
  });

  it('reads the dispatcher from its environment, failing at cold start without it', () => {
    expect(dispatcherArnFromEnv({ [DEPLOYMENT_ENV.dispatcherArn]: DISPATCHER })).toBe(DISPATCHER);
    expect(() => dispatcherArnFromEnv({})).toThrow(DispatcherNotConfiguredError);
    expect(() => dispatcherArnFromEnv({ [DEPLOYMENT_ENV.dispatcherArn]: 'not-an-arn' })).toThrow(DispatcherNotConfiguredError);
  });
});

describe('the oversized-event intake: confirming a GuardDuty finding with GetFindings', () => {
  const sfn = mockClient(SFNClient);
  const guardduty = mockClient(GuardDutyClient);
  const FINDING_ID = '4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b';
  /** GuardDuty's copy of the event's finding, as GetFindings returns it (PascalCase). */
  const copyOf = (event: Json) => toPascalCase(clone(event.detail)) as Record<string, unknown>;
  const dispatchedMarker = () => JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}')[CLIPPED_EVENT_MARKER] as Json;
  const dispatchedIncident = () => parseEvent(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}'));
  beforeEach(() => {
    sfn.reset();
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date('2026-03-14T10:53:00Z') });
    guardduty.reset();
    guardduty.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
  });
  const handlerWith = (logger: IncidentLogger = recordingLogger(), findings = new GuardDutyFindingSource(homeGuardDutyClients())) =>
    createOversizedEventHandler({ dispatcher: new SfnDispatcherStarts(new SFNClient({ region: 'eu-west-1' }), DISPATCHER), findings, logger });

  it("marks the copy confirmed when GuardDuty's own copy of the finding matches the event, asking exactly ListDetectors then GetFindings by id", async () => {
    const logger = recordingLogger();
    const event = padded(400 * 1024);
    guardduty.on(GetFindingsCommand).resolves({ Findings: [copyOf(event) as never] });

    await expect(handlerWith(logger)(event)).resolves.toMatchObject({ action: 'dispatched', confirmed: true });

    expect(guardduty.commandCalls(ListDetectorsCommand).map((call) => call.args[0].input)).toEqual([{}]);
    expect(guardduty.commandCalls(GetFindingsCommand).map((call) => call.args[0].input)).toEqual([{ DetectorId: DETECTOR, FindingIds: [FINDING_ID] }]);
    expect(dispatchedMarker()).toEqual({ originalBytes: payloadBytes(event), by: 'oversized-event', confirmedBy: 'guardduty:GetFindings' });
    expect(dispatchedIncident().clipped?.event).toEqual({ originalBytes: payloadBytes(event), confirmed: true });
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', extra: expect.objectContaining({ confirmed: true }) }));
  });

  it("asks GuardDuty in the event's region, and lists each region's detector once per container", async () => {
    const regions: string[] = [];
    const clients = homeGuardDutyClients((region) => {
      regions.push(region);
      return new GuardDutyClient({ region });
    });
    const intake = handlerWith(recordingLogger(), new GuardDutyFindingSource(clients));
    const event = padded(300 * 1024);
    guardduty.on(GetFindingsCommand).resolves({ Findings: [copyOf(event) as never] });
    await intake(event);
    await intake(event);
    const elsewhere = { ...event, region: 'us-east-1', detail: { ...(event.detail as Json), region: 'us-east-1' } };
    guardduty.on(GetFindingsCommand).resolves({ Findings: [copyOf(elsewhere) as never] });
    await expect(intake(elsewhere)).resolves.toMatchObject({ confirmed: true });

    expect(regions).toEqual(['eu-west-1', 'us-east-1']);
    expect(guardduty.commandCalls(ListDetectorsCommand)).toHaveLength(2);
    expect(guardduty.commandCalls(GetFindingsCommand)).toHaveLength(3);
  });

  it('ATTACK: a forged event that reuses a real finding id but names another instance is dispatched unconfirmed, and the log says which field differs', async () => {
    const logger = recordingLogger();
    const real = padded(400 * 1024);
    guardduty.on(GetFindingsCommand).resolves({ Findings: [copyOf(real) as never] });
    const forged = clone(real);
    ((forged.detail as { resource: { instanceDetails: Json } }).resource.instanceDetails).instanceId = 'i-0ffffffffffffffff';

    await expect(handlerWith(logger)(forged)).resolves.toMatchObject({ action: 'dispatched', confirmed: false, unconfirmed: expect.stringContaining('resource.instanceId') });

    expect(dispatchedMarker()).toEqual({ originalBytes: payloadBytes(forged), by: 'oversized-event' });
    expect(dispatchedIncident().clipped?.event).toEqual({ originalBytes: payloadBytes(forged) });
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', extra: expect.objectContaining({ confirmed: false, unconfirmed: expect.stringContaining('resource.instanceId') }) }));
  });

  it('ATTACK: a forged finding GuardDuty does not hold is dispatched unconfirmed', async () => {
    guardduty.on(GetFindingsCommand).resolves({ Findings: [] });
    await expect(handlerWith()(padded(400 * 1024))).resolves.toMatchObject({ confirmed: false, unconfirmed: "GuardDuty has no finding with the event's id in the event's region" });
    expect(dispatchedMarker()).not.toHaveProperty('confirmedBy');
  });

  it('never drops the event: GetFindings or ListDetectors refused or failing, or no detector, dispatch it unconfirmed with the reason', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: guardduty:GetFindings'), { name: 'AccessDeniedException' });
    const cases: [() => void, string][] = [
      [() => guardduty.on(GetFindingsCommand).rejects(denied), 'AccessDeniedException'],
      [() => guardduty.on(ListDetectorsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' })), 'TooManyRequestsException'],
      [() => guardduty.on(ListDetectorsCommand).resolves({ DetectorIds: [] }), 'GuardDutyDetectorError'],
    ];
    for (const [arrange, named] of cases) {
      sfn.resetHistory();
      guardduty.reset();
      guardduty.on(ListDetectorsCommand).resolves({ DetectorIds: [DETECTOR] });
      arrange();
      const logger = recordingLogger();
      await expect(handlerWith(logger)(padded(300 * 1024))).resolves.toMatchObject({ action: 'dispatched', confirmed: false, unconfirmed: expect.stringContaining(named) });
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
      expect(dispatchedMarker()).not.toHaveProperty('confirmedBy');
    }
  });

  it('does not keep a failed detector lookup: the next event asks again', async () => {
    const findings = new GuardDutyFindingSource(homeGuardDutyClients());
    guardduty.on(ListDetectorsCommand).rejectsOnce(Object.assign(new Error('Internal'), { name: 'InternalServerErrorException' })).resolves({ DetectorIds: [DETECTOR] });
    const event = padded(300 * 1024);
    guardduty.on(GetFindingsCommand).resolves({ Findings: [copyOf(event) as never] });
    await expect(handlerWith(recordingLogger(), findings)(event)).resolves.toMatchObject({ confirmed: false });
    await expect(handlerWith(recordingLogger(), findings)(event)).resolves.toMatchObject({ confirmed: true });
  });

  it('asks GuardDuty nothing for an event GuardDuty did not emit (an alarm), and dispatches it unconfirmed', async () => {
    // A game-day injection is refused before (above: a drill never needs the intake).
    const injected = { ...padded(300 * 1024), source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change' };
    await expect(handlerWith()(injected)).resolves.toMatchObject({ confirmed: false, unconfirmed: expect.stringContaining('not a GuardDuty finding event') });
    expect(guardduty.commandCalls(ListDetectorsCommand)).toHaveLength(0);
    expect(guardduty.commandCalls(GetFindingsCommand)).toHaveLength(0);
  });

  it("ATTACK (rereview-one): a confirmed copy carries the update counters GuardDuty holds, not the sender's, so copies of a real sequence sent with made-up counters start no new per-instance execution (row 1zk)", async () => {
    // Someone allowed lambda:InvokeFunction on the intake and guardduty:GetFindings (row 8i) pads a
    // real attack sequence past the threshold and sends it again and again, each time with another
    // `updatedAt` and `service.count`: confirmation ignores the counters (an update changes them), so
    // each copy was confirmed under a revision of the sender's making, and every instance's execution
    // is named per revision since row 1zj: each copy started every instance's execution again (a
    // guard, an approval request while one waits, an alert), as many times as the sender liked.
    const sequence = padded(400 * 1024, clone(fixtureEvent('guardduty-attack-sequence-ec2-compromised-instance-group.json')) as Json);
    const held = copyOf(sequence);
    guardduty.on(GetFindingsCommand).resolves({ Findings: [held as never] });
    const genuine = parseEvent({ Findings: [held] });
    const names = new Set<string>();
    const made = [
      ['2025-01-09T10:47:12.312Z', 1],
      ['2025-01-09T10:50:00.000Z', 7],
      ['2031-01-01T00:00:00.000Z', 9999],
    ] as const;
    for (const [updatedAt, count] of made) {
      sfn.resetHistory();
      const copy = clone(sequence) as Json & { detail: Json & { service: Json } };
      copy.detail.updatedAt = updatedAt;
      copy.detail.service.count = count;
      await expect(handlerWith()(copy)).resolves.toMatchObject({ action: 'dispatched', confirmed: true });
      const incident = dispatchedIncident();
      expect(incident.revision).toBe(genuine.revision);
      for (const target of containmentTargets(incident, { maxInstances: 50 }).targets) names.add(target.executionName);
    }
    // One revision, GuardDuty's: each instance's execution name once, whatever the copies said.
    expect(names.size).toBe(containmentTargets(dispatchedIncident(), { maxInstances: 50 }).targets.length);
  });

  it('asks nothing for an event within the threshold', async () => {
    await handlerWith()(finding());
    expect(guardduty.calls()).toHaveLength(0);
  });
});
