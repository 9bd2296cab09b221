/**
 * The triage handler hands on what the dispatcher can carry: the incident once (the playbook gets
 * the decision without it), and an answer over its budget becomes an alert with a lean incident,
 * never a payload that fails Step Functions past its Catch.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { payloadBytes } from '../../lib/contracts/payload-size';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { routingEnvironment, routingTableFor } from '../../lib/playbooks/routing';
import { INVALID_EVENT_ISSUES_MAX, INVALID_EVENT_TEXT_MAX, TRIAGE_ANSWER_BUDGET_BYTES } from '../../lib/playbooks/triage';
import { silentLogger } from '../../lib/responders/logging';
import { createTriageHandler } from '../../lib/responders/triage-handler';

const playbooks = loadPlaybookDirectorySync('playbooks').filter((playbook) => playbook.trigger !== 'manual');
const environment = {
  FIREBREAK_SECURITY_ACCOUNT_ID: '111122223333',
  FIREBREAK_SERVED_ACCOUNT_IDS: '111122223333',
  ...routingEnvironment(routingTableFor(playbooks, { forceDryRun: false })),
};
const EMOJI = '\u{1F600}';

/** The multi-ENI C2 finding on an instance its owner tagged with 50 tags of EC2's longest key and value, in 4-byte characters. */
function emojiTaggedFinding(): unknown {
  const event = JSON.parse(readFileSync('playbooks/events/guardduty-ec2-backdoor-c2activity-multi-eni.json', 'utf8')) as {
    detail: { resource: { instanceDetails: { tags: unknown[] } } };
  };
  event.detail.resource.instanceDetails.tags = Array.from({ length: 50 }, (_, i) => ({ key: `${String(i).padStart(2, '0')}${EMOJI.repeat(126)}`, value: EMOJI.repeat(256) }));
  return event;
}

async function triageOf(event: unknown, answerBudgetBytes?: number) {
  const handler = createTriageHandler({ logger: silentLogger, environment, ...(answerBudgetBytes === undefined ? {} : { answerBudgetBytes }) });
  return handler({ event, receivedAt: '2026-11-20T10:00:00Z' });
}

describe('createTriageHandler', () => {
  it("answers a playbook start with the playbook's part of the decision: everything but the incident", async () => {
    const answer = await triageOf(emojiTaggedFinding());
    expect(answer.outcome).toBe('start-playbook');
    const { incident: _incident, error: _error, record: _record, kept: _kept, playbookDecision, ...rest } = answer;
    expect(playbookDecision).toEqual(rest);
    // The tags are the incident's only: they travel once.
    expect(JSON.stringify(playbookDecision)).not.toContain(EMOJI);
  });

  it('keeps the answer for 50 maximal emoji tags far within its budget', async () => {
    const answer = await triageOf(emojiTaggedFinding());
    expect(payloadBytes({ triage: { decision: answer } })).toBeLessThan(TRIAGE_ANSWER_BUDGET_BYTES / 4);
  });

  it('starts the playbook with the incident fitted smaller (alert-only sections left out, named) when the whole answer would be over its budget (row 1zi)', async () => {
    const budget = 16 * 1024;
    const whole = await triageOf(emojiTaggedFinding());
    const answer = await triageOf(emojiTaggedFinding(), budget);
    expect(answer).toMatchObject({ outcome: 'start-playbook', playbook: 'compromised-ec2-instance', executionName: whole.executionName, mode: 'enforce' });
    expect(answer.incident?.clipped?.sections).toEqual(['tags']);
    expect(answer.incident?.resource).toMatchObject({ kind: 'ec2-instance', instanceId: (whole.incident?.resource as { instanceId: string }).instanceId, tags: {} });
    expect(answer.incident?.resource).toEqual({ ...whole.incident?.resource, tags: {} });
    expect(payloadBytes({ triage: { decision: answer } })).toBeLessThanOrEqual(budget);
  });

  it('answers alert-only, in dry-run, with a lean incident, when even the incident fitted smaller leaves the answer over its budget', async () => {
    // A budget between the alert-only answer (about 6.2 KB) and the smallest playbook start (about 6.4 KB).
    const budget = 6300;
    const answer = await triageOf(emojiTaggedFinding(), budget);
    expect(answer).toMatchObject({ outcome: 'alert-only', playbook: null, playbookIndex: null, executionName: null, mode: 'dry-run', steps: [], error: null });
    expect(answer.playbookDecision).toBeUndefined();
    expect(answer.targets).toBeUndefined();
    expect(answer.reasons.at(-1)).toMatch(
      /^Triage's answer would be \d+ bytes, over the 6300 it may hand on within Step Functions' 256 KiB payload limit: nothing is started; playbook compromised-ec2-instance would have run\./,
    );
    expect(answer.incident?.resource).toMatchObject({ kind: 'ec2-instance', tags: {}, networkInterfaces: [] });
    expect(answer.incident?.clipped?.sections).toEqual(['tags', 'networkInterfaces']);
    // The alert-only answer is recorded as such, and is itself within the budget.
    expect(answer.record).toBeDefined();
    expect(payloadBytes({ triage: { decision: answer } })).toBeLessThanOrEqual(budget);
  });

  it("ATTACK (review-triggers): an attack sequence naming hundreds of instances, with many signals, still starts its playbook for the first 50 rather than only an alert (row 1zi)", async () => {
    const event = JSON.parse(readFileSync('playbooks/events/guardduty-attack-sequence-ec2-compromised-instance-group.json', 'utf8')) as {
      detail: { service: { detection: { sequence: { resources: unknown[]; signals: Record<string, unknown>[] } } } };
    };
    const sequence = event.detail.service.detection.sequence;
    // A fleet sharing one launch template and profile (GuardDuty's CompromisedInstanceGroup), each instance of it named.
    for (let i = 0; i < 400; i += 1) {
      const instanceId = `i-${(0x10000000000000000n + BigInt(i * 7919)).toString(16).slice(-17)}`;
      sequence.resources.push({ uid: instanceId, resourceType: 'EC2_INSTANCE', accountId: '111122223333', region: 'eu-west-1', name: `web-${i}`, service: 'EC2', tags: [{ key: 'Name', value: `web-${i}` }], data: { ec2Instance: { instanceState: 'running' } } });
    }
    // And what GuardDuty correlated: as many signals as the parser keeps, each described at length.
    const signal = sequence.signals[0]!;
    for (let i = 0; i < 100; i += 1) sequence.signals.push({ ...signal, uid: `s-${i}`, name: `Recon:EC2/PortProbeUnprotectedPort${i}`, description: 'd'.repeat(500) });
    expect(payloadBytes(event)).toBeLessThan(200 * 1024);
    const answer = await triageOf(event);
    // Before: alert-only, "Triage's answer would be 2… bytes, over the 196608…: nothing is started".
    expect(answer).toMatchObject({ outcome: 'start-playbook', playbook: 'attack-sequence-ec2', mode: 'enforce' });
    expect(answer.targets).toHaveLength(50);
    expect(answer.reasons.filter((reason) => reason.startsWith('Not contained: '))).toHaveLength(20);
    expect(answer.reasons).toContain("Not contained either: 177 more instance(s) the incident names, for reasons of the same kinds; the incident's affected resources list each: a person must contain them.");
    expect(payloadBytes({ triage: { decision: answer } })).toBeLessThanOrEqual(TRIAGE_ANSWER_BUDGET_BYTES);
    // The sequence is kept, with the instances the parser's limits left out of the affected resources
    // (row 8k), which the alert says were NOT contained.
    expect(answer.incident?.clipped?.sections ?? []).not.toContain('sequence');
    expect(answer.incident?.sequence?.leftOut?.length).toBeGreaterThan(0);
    // Over a budget its signals make it pass, the incident is fitted by its signals, never its sequence.
    const tighter = await triageOf(event, payloadBytes({ triage: { decision: answer } }) - 20_000);
    expect(tighter).toMatchObject({ outcome: 'start-playbook', playbook: 'attack-sequence-ec2', executionName: answer.executionName });
    expect(tighter.incident?.clipped?.sections).toContain('signals');
    expect(tighter.incident?.clipped?.sections).not.toContain('sequence');
    expect(tighter.incident?.sequence).toEqual(answer.incident?.sequence);
    expect(tighter.incident?.affected).toEqual(answer.incident?.affected);
    expect((tighter.targets ?? []).map((target) => target.executionName)).toEqual((answer.targets ?? []).map((target) => target.executionName));
  });

  it('answers with the event whole as its kept copy when it is within the kept budget', async () => {
    const event = JSON.parse(readFileSync('playbooks/events/guardduty-ec2-backdoor-c2activity-multi-eni.json', 'utf8')) as unknown;
    expect((await triageOf(event)).kept).toEqual(event);
  });

  it('answers with the envelope as its kept copy, and the event within the budget of its answer, for an event of 250 KB', async () => {
    const event = emojiTaggedFinding() as { id: string; detail: Record<string, unknown> };
    event.detail.padding = '';
    event.detail.padding = 'x'.repeat(250_000 - payloadBytes(event));
    const answer = await triageOf(event);
    expect(answer.outcome).toBe('start-playbook');
    expect(answer.kept).toMatchObject({ id: event.id, source: 'aws.guardduty', clipped: '250000 bytes' });
    expect(payloadBytes(answer.kept)).toBeLessThan(4 * 1024);
    expect(payloadBytes({ triage: { decision: answer } })).toBeLessThanOrEqual(TRIAGE_ANSWER_BUDGET_BYTES);
  });

  it('answers an event it cannot parse with its kept copy too', async () => {
    expect(await triageOf('GuardDuty finding 9f8e7d6c (forwarded as text)')).toMatchObject({ outcome: 'invalid', kept: 'GuardDuty finding 9f8e7d6c (forwarded as text)' });
  });

  it('starts no instance playbook for an alarm on a custom metric: its data is whatever a PutMetricData caller wrote', async () => {
    // web-2's own memory alarm (CWAgent namespace), driven to ALARM by data an attacker on another
    // instance pushed with the CloudWatch agent's PutMetricData: before, cloudwatch-instance-alarm
    // started on web-2 (a snapshot; an instance quarantine where a team added it, as the playbook
    // suggests).
    const event = JSON.parse(readFileSync('test/fixtures/events/cloudwatch-alarm-metric-math-two-instances.json', 'utf8')) as {
      detail: { configuration: { metrics: unknown[] } };
    };
    event.detail.configuration.metrics = [
      { id: 'm1', metricStat: { metric: { namespace: 'CWAgent', name: 'mem_used_percent', dimensions: { InstanceId: 'i-0aaaa1111bbbb2222' } }, period: 60, stat: 'Average' }, returnData: true },
    ];
    const answer = await triageOf(event);
    expect(answer).toMatchObject({ outcome: 'alert-only', playbook: null, executionName: null });
    expect(answer.incident?.resource).toEqual({ kind: 'none' });
  });

  it('answers an event with thousands of refused fields within its budget: the first issues and a count of the rest', async () => {
    // 10 KB of JSON: 4,000 network interfaces that are not objects, each its own parse issue. Every
    // issue in the answer made it 440 KB, past Step Functions' 256 KiB: States.DataLimitExceeded at
    // Triage, which no Catch handles, so the event was neither kept nor alerted.
    const event = JSON.parse(readFileSync('playbooks/events/guardduty-ec2-backdoor-c2activity-multi-eni.json', 'utf8')) as {
      detail: { resource: { instanceDetails: { networkInterfaces: unknown[] } } };
    };
    event.detail.resource.instanceDetails.networkInterfaces = Array.from({ length: 4000 }, () => 1);
    expect(payloadBytes(event)).toBeLessThan(12 * 1024);
    const answer = await triageOf(event);
    expect(answer.outcome).toBe('invalid');
    expect(payloadBytes({ triage: { decision: answer } })).toBeLessThanOrEqual(TRIAGE_ANSWER_BUDGET_BYTES);
    expect(answer.error?.issues).toHaveLength(INVALID_EVENT_ISSUES_MAX);
    expect(answer.error?.issues[0]).toEqual({ path: 'detail.resource.instanceDetails.networkInterfaces[0]', expected: 'a network interface object' });
    expect(answer.error?.omittedIssues).toBe(4000 - INVALID_EVENT_ISSUES_MAX);
    expect(answer.reasons[0]).toContain('and 3995 more');
  });

  it('cuts the path of a refused field named by the event itself (an alarm dimension of any length)', async () => {
    const key = `Instance${'I'.repeat(100_000)}`;
    const event = {
      version: '0',
      id: 'a1b2c3d4-0000-4000-8000-000000000001',
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '111122223333',
      time: '2026-11-20T10:00:00Z',
      region: 'eu-west-1',
      resources: [],
      detail: {
        alarmName: 'cpu',
        state: { value: 'ALARM', timestamp: '2026-11-20T10:00:00.000+0000' },
        configuration: { metrics: [{ id: 'm1', metricStat: { metric: { namespace: 'AWS/EC2', name: 'CPUUtilization', dimensions: { [key]: 1 } } } }] },
      },
    };
    const answer = await triageOf(event);
    expect(answer.outcome).toBe('invalid');
    expect(payloadBytes({ triage: { decision: answer } })).toBeLessThanOrEqual(TRIAGE_ANSWER_BUDGET_BYTES);
    expect(answer.error?.issues).toHaveLength(1);
    expect(answer.error!.issues[0]!.path.length).toBeLessThanOrEqual(INVALID_EVENT_TEXT_MAX);
    expect(answer.error!.message.length).toBeLessThanOrEqual(INVALID_EVENT_TEXT_MAX);
  });
});
