import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { executionNameFor, incidentKey, playbookExecutionName } from '../../lib/incident/keys';
import { parseEvent } from '../../lib/incident/parse';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { routingEnvironment, routingTableFor } from '../../lib/playbooks/routing';
import { triage } from '../../lib/playbooks/triage';
import { parseRecordEntries } from '../../lib/operator/incident-report';
import { createTriageHandler } from '../../lib/responders/triage-handler';
import { silentLogger } from '../../lib/responders/logging';
import { childKeysOf, TRIAGE_RECORD_CONDITION, triageRecordEntry, triageRecordWrite } from '../../lib/responders/triage-record';
import { ec2Incident } from '../support/incidents';

const playbooks = loadPlaybookDirectorySync('playbooks');
const routing = routingTableFor(playbooks, { forceDryRun: false });
const routingEnv = routingEnvironment(routing);
const times = { startedAt: new Date('2026-11-20T10:00:00.300Z'), endedAt: new Date('2026-11-20T10:00:00.340Z') };
const sequence = () => parseEvent(JSON.parse(readFileSync('playbooks/events/guardduty-attack-sequence-ec2-compromised-instance-group.json', 'utf8')), { receivedAt: new Date('2026-11-20T10:00:00Z') });

describe('triageRecordEntry', () => {
  it("records the decision, playbook, mode, reasons and triage's own times", () => {
    const incident = ec2Incident();
    const decision = triage(incident, routing);
    expect(decision.outcome).toBe('start-playbook');
    expect(triageRecordEntry(decision, times)).toEqual({
      step: 'triage',
      startedAt: '2026-11-20T10:00:00.300Z',
      endedAt: '2026-11-20T10:00:00.340Z',
      outcome: 'succeeded',
      status: 'start-playbook',
      mode: decision.mode,
      playbook: decision.playbook,
      executionName: decision.executionName,
      reasons: decision.reasons,
      actions: [],
    });
  });

  it("lists a sequence's child incidents (one per instance), by the keys their executions record under", () => {
    const decision = triage(sequence(), routing);
    const entry = triageRecordEntry(decision, times);
    expect(entry?.children).toEqual(decision.targets?.map((target) => target.incident.key));
    expect(entry?.children).toHaveLength(4);
    expect(childKeysOf(decision)).toEqual(entry?.children);
  });

  it('records an alert-only decision under its revision, and nothing for an ignored or unparseable event', () => {
    const incident = ec2Incident();
    const alertOnly = { ...triage(incident, routing), outcome: 'alert-only' as const, playbook: null, playbookIndex: null, executionName: null };
    expect(triageRecordEntry(alertOnly, times)).toMatchObject({ status: 'alert-only', executionName: executionNameFor(incident) });
    expect(triageRecordEntry({ ...alertOnly, outcome: 'ignore' }, times)).toBeUndefined();
    expect(triageRecordEntry({ ...alertOnly, outcome: 'invalid', incident: null }, times)).toBeUndefined();
  });

  it('is an entry the operator reader accepts', () => {
    const entry = triageRecordEntry(triage(sequence(), routing), times);
    expect(parseRecordEntries([JSON.stringify(entry)])).toEqual({ entries: [entry], invalid: 0 });
  });
});

describe('triageRecordWrite', () => {
  it("appends the entry to incident#<key> with the incident's facts (if_not_exists) and adds the revision to the triaged set", () => {
    const incident = ec2Incident();
    const decision = triage(incident, routing);
    const write = triageRecordWrite(decision, times, 400)!;
    expect(write.pk).toBe(`incident#${incident.key}`);
    expect(write.revision).toBe(decision.executionName);
    expect(write.updateExpression).toMatch(/^SET #entries = list_append\(if_not_exists\(#entries, :none\), :entry\), #updatedAt = :updatedAt, #ttl = :ttl, #account = if_not_exists\(#account, :account\).* ADD #triaged :revisions$/);
    expect(write.names).toMatchObject({ '#entries': 'entries', '#triaged': 'triaged', '#account': 'account', '#receivedAt': 'receivedAt' });
    expect(write.values).toMatchObject({
      ':entry': { L: [{ S: JSON.stringify(triageRecordEntry(decision, times)) }] },
      ':ttl': { N: String(Math.floor(times.endedAt.getTime() / 1000) + 400 * 86_400) },
      ':account': { S: incident.account },
      ':revision': { S: decision.executionName },
      ':revisions': { SS: [decision.executionName] },
    });
    // Every placeholder of the dispatcher's condition is defined by the write (DynamoDB refuses an undefined one).
    for (const placeholder of TRIAGE_RECORD_CONDITION.match(/[#:][A-Za-z]+/g) ?? []) expect({ ...write.names, ...write.values }).toHaveProperty([placeholder]);
  });

  // Row 17b: the facts the operator's list and report believe are triage's, kept from its first write.
  it("keeps the incident's facts as triage read them in triageFacts, from the first triage only (if_not_exists)", () => {
    const incident = ec2Incident();
    const write = triageRecordWrite(triage(incident, routing), times, 400)!;
    expect(write.updateExpression).toContain(', #triageFacts = if_not_exists(#triageFacts, :triageFacts) ADD #triaged :revisions');
    expect(write.names['#triageFacts']).toBe('triageFacts');
    expect(write.values[':triageFacts']).toEqual({
      M: {
        account: { S: incident.account },
        region: { S: incident.region },
        source: { S: incident.source },
        findingType: { S: incident.findingType },
        severityLabel: { S: incident.severity.label },
        severityScore: { N: String(incident.severity.score) },
        resource: { S: 'i-0abc1234def567890' },
        gameDay: { BOOL: false },
        sample: { BOOL: false },
        createdAt: { S: incident.times.created },
        receivedAt: { S: incident.times.received },
      },
    });
  });
});

describe('triageRecordWrite of a copy the oversized-event intake dispatched', () => {
  const clipped = (confirmed: boolean) => {
    const incident = ec2Incident();
    return { ...incident, clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [], event: { originalBytes: 400_000, ...(confirmed ? { confirmed: true as const } : {}) } } };
  };
  const alertOnlyOf = (incident: ReturnType<typeof ec2Incident>) => ({ ...triage(incident, routing), outcome: 'alert-only' as const, playbook: null, playbookIndex: null, executionName: null });

  it('ATTACK (review s25): an unconfirmed copy (a forgery invoked at the intake with a real finding id and revision) never takes the revision a genuine delivery will record', () => {
    const genuine = triageRecordWrite(alertOnlyOf(ec2Incident()), times, 400)!;
    const forged = triageRecordWrite(alertOnlyOf(clipped(false)), times, 400)!;
    // Same incident record (the entry is appended to it), another member of the triaged set: the
    // genuine delivery's condition still holds, so it is alerted (before: DuplicateAlertOnly, no alert).
    expect(forged.pk).toBe(genuine.pk);
    expect(forged.revision).not.toBe(genuine.revision);
    expect(forged.values[':revision']).toEqual({ S: forged.revision });
    expect(forged.values[':revisions']).toEqual({ SS: [forged.revision] });
    // An execution name is [A-Za-z0-9_-] only: the marked revision can be no revision of any delivery.
    expect(forged.revision).toBe(`${playbookExecutionName(clipped(false))}#unconfirmed-intake-copy`);
    // Nor does it keep its facts as triage's (row 17b): they are its sender's choice.
    expect(forged.updateExpression).not.toContain('triageFacts');
    expect(forged.values).not.toHaveProperty([':triageFacts']);
    expect(genuine.values).toHaveProperty([':triageFacts']);
    // Its entry still names the execution name the revision has.
    expect(JSON.parse((forged.values[':entry'] as { L: { S: string }[] }).L[0]!.S)).toMatchObject({ executionName: playbookExecutionName(clipped(false)) });
  });

  it('ATTACK (review-intake): a forged unconfirmed copy never takes the revision of the genuine copy the intake could not confirm (row 8g)', () => {
    // GuardDuty's finding grown past 256 KiB: its original delivery is refused and kept, and the
    // intake's copy is the only one triaged. When GetFindings cannot confirm it (refused, or the
    // finding updated in between), a forgery of the same revision sent to the intake first took its
    // revision, and the genuine copy ended at DuplicateAlertOnly: its alert never sent.
    const genuineCopy = clipped(false);
    const forgedCopy = { ...genuineCopy, resource: { ...genuineCopy.resource, instanceId: 'i-0123456789abcdef0' } } as typeof genuineCopy;
    const genuine = triageRecordWrite(alertOnlyOf(genuineCopy), times, 400)!;
    const forged = triageRecordWrite(alertOnlyOf(forgedCopy), times, 400)!;
    expect(forged.pk).toBe(genuine.pk);
    expect(forged.revision).not.toBe(genuine.revision);
    // Two deliveries of one copy still record one revision: alerted once.
    const again = { ...genuineCopy, times: { ...genuineCopy.times, received: '2026-11-20T10:05:00.000Z' } };
    expect(triageRecordWrite(alertOnlyOf(again), times, 400)!.revision).toBe(genuine.revision);
  });

  it('ATTACK (review s25): a game-day copy of a real finding (same id and revision) records in its own record, under its own revision (docs/security.md D2)', () => {
    const real = ec2Incident();
    const genuine = triageRecordWrite(alertOnlyOf(real), times, 400)!;
    const gameDay = triageRecordWrite(alertOnlyOf({ ...real, key: incidentKey(real.key, true) }), times, 400)!;
    expect(gameDay.pk).not.toBe(genuine.pk);
    expect(gameDay.revision).not.toBe(genuine.revision);
  });

  it('a copy GuardDuty confirmed records a revision of its own, unmarked (row 8i): its clip may differ from GuardDuty\'s delivery, which it never refuses', () => {
    const genuine = triageRecordWrite(alertOnlyOf(ec2Incident()), times, 400)!;
    const copy = triageRecordWrite(alertOnlyOf(clipped(true)), times, 400)!;
    expect(copy.revision).not.toBe(genuine.revision);
    expect(copy.revision).toMatch(/-v[0-9a-f]{12}$/);
  });
});

describe('the triage handler', () => {
  it('returns the decision with its record write, timed by its clock', async () => {
    const ticks = [times.startedAt, times.endedAt];
    const handler = createTriageHandler({ logger: silentLogger, environment: { ...routingEnv }, now: () => ticks.shift() ?? times.endedAt });
    const event = JSON.parse(readFileSync('playbooks/events/guardduty-ec2-backdoor-c2activity-multi-eni.json', 'utf8')) as unknown;
    const decision = await handler({ event, receivedAt: '2026-11-20T10:00:00.000Z' });
    // No served accounts in this environment: alert-only, which is recorded too.
    expect(decision.outcome).toBe('alert-only');
    const { record, ...rest } = decision;
    expect(record).toEqual(triageRecordWrite(rest, times, 400));
  });

  it('keeps triaging with the default retention when the retention variable cannot be read, and logs why', async () => {
    const errors: string[] = [];
    const logger = { ...silentLogger, error: (message: string) => errors.push(message) };
    const ticks = [times.startedAt, times.endedAt];
    const handler = createTriageHandler({ logger, environment: { FIREBREAK_INCIDENT_RECORD_RETENTION_DAYS: 'forever', ...routingEnv }, now: () => ticks.shift() ?? times.endedAt });
    const event = JSON.parse(readFileSync('playbooks/events/guardduty-ec2-backdoor-c2activity-multi-eni.json', 'utf8')) as unknown;
    const { record, ...rest } = await handler({ event, receivedAt: '2026-11-20T10:00:00.000Z' });
    expect(rest.outcome).toBe('alert-only');
    expect(record).toEqual(triageRecordWrite(rest, times, 400));
    expect(errors).toEqual([expect.stringContaining('FIREBREAK_INCIDENT_RECORD_RETENTION_DAYS must be a whole number of days')]);
  });

  it('adds no write to an event it cannot parse', async () => {
    const handler = createTriageHandler({ logger: silentLogger, environment: { ...routingEnv } });
    const decision = await handler({ event: { nonsense: true } });
    expect(decision.outcome).toBe('invalid');
    expect(decision.record).toBeUndefined();
  });
});
