import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../lib/incident/parse';
import { buildAlertMessage } from '../../lib/responders/alert-message';
import { describeOutcome, perInstanceOutcomes, sectionInstances, sectionSequenceStory } from '../../lib/responders/alert-sequence';
import { alertInputSchema } from '../../lib/responders/alert-model';
import { alertSubject } from '../../lib/responders/alert-subject';
import { MAX_MESSAGE_BYTES } from '../../lib/responders/alert-model';
import { PER_INSTANCE_ACTION } from '../../lib/playbooks/fan-out-names';
import { containmentTargets } from '../../lib/playbooks/per-instance';

const raw = JSON.parse(readFileSync('playbooks/events/guardduty-attack-sequence-ec2-compromised-instance-group.json', 'utf8')) as {
  detail: { service: { detection: { sequence: { signals: { name: string; firstSeenAt?: string }[]; description: string } } } };
};
const incident = parseEvent(raw, { receivedAt: new Date('2026-03-21T11:00:00Z') });
const EXECUTION = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-attack-sequence-ec2-instance';

const outcomes = [
  { instanceId: 'i-0a1b2c3d4e5f60718', account: '111122223333', region: 'eu-west-1', executionName: 'a', executionArn: `${EXECUTION}:a`, status: 'SUCCEEDED', guard: 'proceed', reasons: ['Blast radius: containment 1 of 5.'] },
  { instanceId: 'i-0b7c6d5e4f3a21908', account: '111122223333', region: 'eu-west-1', executionName: 'b', executionArn: `${EXECUTION}:b`, status: 'SUCCEEDED', guard: 'evidence-only', reasons: ['Instance i-0b7c6d5e4f3a21908 is protected: it is in the deploy-time list.'] },
  { instanceId: 'i-0c1d2e3f4a5b60719', account: '111122223333', region: 'eu-west-1', executionName: 'c', status: 'ALREADY_STARTED' },
];

function alertFor(instances: unknown[]) {
  return buildAlertMessage(
    alertInputSchema.parse({
      kind: 'report',
      incident,
      mode: 'enforce',
      playbook: 'attack-sequence-ec2',
      results: { 'contain-each': { responder: PER_INSTANCE_ACTION, status: 'done', playbook: 'attack-sequence-ec2-instance', instances, actions: [] } },
    }),
    { now: new Date('2026-03-21T11:05:00Z') },
  );
}

describe('sectionSequenceStory', () => {
  it('tells the signals earliest first, with the actors and endpoints, quoted as claims', () => {
    const lines = sectionSequenceStory(incident);
    expect(lines[0]).toMatch(/^ATTACK SEQUENCE/);
    const signalLines = lines.filter((line) => /^ {4}\d+\. /.test(line));
    expect(signalLines).toHaveLength(4);
    const times = signalLines.map((line) => line.split(' ').filter(Boolean)[1]!);
    expect([...times].sort()).toEqual(times);
    expect(lines).toContain('  Actors:');
    expect(lines).toContain('  Endpoints:');
    // Every dot of an endpoint's IP and domain is defanged, whatever the top-level domain.
    expect(lines.join('\n')).toContain('IP 198[.]51[.]100[.]23');
    expect(lines.join('\n')).toContain(`domain "c2[.]example[.]net"`);
  });

  it('is empty for an incident without a sequence', () => {
    const single = parseEvent(JSON.parse(readFileSync('playbooks/events/guardduty-ec2-backdoor-c2activity-multi-eni.json', 'utf8')));
    expect(sectionSequenceStory(single)).toEqual([]);
    expect(sectionInstances(single, [])).toEqual([]);
  });

  it('cannot be given a fake section by a signal name (attacker text stays on one quoted line)', () => {
    const forged = structuredClone(raw);
    forged.detail.service.detection.sequence.signals[0]!.name = 'GetCallerIdentity\n\nWHAT FIREBREAK DID\n  nothing to worry about';
    const lines = sectionSequenceStory(parseEvent(forged));
    expect(lines.some((line) => line.startsWith('WHAT FIREBREAK DID'))).toBe(false);
  });
});

describe('the alert of an attack sequence', () => {
  it('says what happened to each instance and links each instance and execution', () => {
    const { message } = alertFor(outcomes);
    expect(message).toContain('INSTANCES (3 per-instance execution(s)');
    expect(message).toContain('i-0a1b2c3d4e5f60718 (account 111122223333, eu-west-1): CONTAINED');
    expect(message).toContain('i-0b7c6d5e4f3a21908 (account 111122223333, eu-west-1): NOT contained, evidence only: Instance i-0b7c6d5e4f3a21908 is protected');
    expect(message).toContain('i-0c1d2e3f4a5b60719 (account 111122223333, eu-west-1): already handled by another run of this revision');
    expect(message).toContain('#InstanceDetails:instanceId=i-0a1b2c3d4e5f60718');
    expect(message).toContain(`#/v2/executions/details/${EXECUTION}:a`);
    // The Auto Scaling group names a fourth instance that got no execution.
    expect(message).toContain('NOT contained by Firebreak (no execution started');
    expect(message).toContain('i-0d4e5f6a7b8c90123');
  });

  it('says what another run of the revision did, read again, and counts what it left uncontained', () => {
    const earlier = (status: string, guard?: string, reasons?: string[]) => ({
      instanceId: 'i-0c1d2e3f4a5b60719',
      account: '111122223333',
      region: 'eu-west-1',
      executionName: 'c',
      status: 'ALREADY_STARTED',
      earlier: { status, executionArn: `${EXECUTION}:c`, ...(guard !== undefined ? { guard } : {}), ...(reasons !== undefined ? { reasons } : {}) },
    });
    const contained = alertFor([earlier('SUCCEEDED', 'proceed', ['Blast radius: containment 1 of 5.'])]).message;
    expect(contained).toContain('handled by another run of this revision of the incident, not started again: CONTAINED: the containment guard cleared it');
    // Every instance's name carries the revision (row 1zj): a taken name is another run of this same
    // revision (a confirmed copy from the intake), whose outcome is said to be as that run left it.
    expect(contained).toContain('its steps ran (isolation, evidence) (as that run left it)');
    expect(contained).not.toContain('were NOT contained automatically');

    const waiting = alertFor([earlier('RUNNING')]).message;
    expect(waiting).toContain('not started again: its execution is still RUNNING (waiting for an approval or a retry): NOT contained yet');
    expect(waiting).toContain('1 instance(s) of this incident were NOT contained automatically');

    const refused = alertFor([earlier('SUCCEEDED', 'evidence-only', ['Instance i-0c1d2e3f4a5b60719 is protected.'])]).message;
    expect(refused).toContain('not started again: NOT contained, evidence only: Instance i-0c1d2e3f4a5b60719 is protected.');
    expect(refused).toContain('1 instance(s) of this incident were NOT contained automatically');

    for (const status of ['FAILED', 'TIMED_OUT', 'ABORTED']) {
      expect(describeOutcome(earlier(status) as never)).toMatch(/not started again: (FAILED|its execution ended (TIMED_OUT|ABORTED)): .*check the instance now|not started again: FAILED/);
      expect(alertFor([earlier(status)]).message).toContain('1 instance(s) of this incident were NOT contained automatically');
    }
    // Read nothing (the describe failed): the name alone, and not counted (its own alert said).
    expect(alertFor([outcomes[2]]).message).not.toContain('were NOT contained automatically');
  });

  it('counts the instances in the subject instead of naming only the top-level one', () => {
    const { subject } = alertFor(outcomes);
    const instances = incident.affected?.filter((resource) => resource.kind === 'ec2-instance') ?? [];
    expect(instances.length).toBeGreaterThan(1);
    expect(subject).toContain(`Critical: AttackSequence:EC2/CompromisedInstanceGroup on ${instances.length} instances - `);
  });

  it('names the resource of a sequence that names only one instance, counting no other kind and no unverified id', () => {
    const one = { ...incident, affected: incident.affected?.filter((resource) => resource.kind === 'ec2-instance').slice(0, 1) };
    const single = buildAlertMessage(alertInputSchema.parse({ kind: 'report', incident: one, mode: 'enforce', playbook: 'attack-sequence-ec2' }), { now: new Date('2026-03-21T11:05:00Z') });
    expect(single.subject).toMatch(/CompromisedInstanceGroup on i-[0-9a-f]+ - /);
    const mixed = {
      ...incident,
      affected: [
        ...(incident.affected?.filter((resource) => resource.kind === 'ec2-instance').slice(0, 2) ?? []),
        { kind: 'access-key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', from: 'service.detection.sequence.resources[9]' },
        { kind: 'unverified', claimedKind: 'ec2-instance', value: { untrusted: 'i-nope' }, from: 'service.detection.sequence.resources[10]' },
      ],
    };
    const parsed = alertInputSchema.safeParse({ kind: 'report', incident: mixed, mode: 'enforce', playbook: 'attack-sequence-ec2' });
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(buildAlertMessage(parsed.data!, { now: new Date('2026-03-21T11:05:00Z') }).subject).toContain(' on 2 instances - ');
  });

  it('stays within the alert budget with 50 instances and long reasons', () => {
    const many = Array.from({ length: 60 }, (_, index) => ({ ...outcomes[1]!, instanceId: `i-${index.toString(16).padStart(17, '0')}`, reasons: ['x'.repeat(600)] }));
    const { message } = alertFor(many);
    expect(Buffer.byteLength(message, 'utf8')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(message).toContain('... and 10 more');
  });

  it('reads a result it does not know as far as it can, never failing the alert', () => {
    expect(perInstanceOutcomes([{ stepId: 'x', result: { responder: PER_INSTANCE_ACTION, actions: [], instances: [{ nonsense: true }, outcomes[0]] } as never }])).toHaveLength(1);
    expect(describeOutcome({ instanceId: 'i-0a1b2c3d4e5f60718', status: 'FAILED', error: 'States.TaskFailed' })).toMatch(/^FAILED \(States.TaskFailed\)/);
  });
});

describe("resources after an attacker's padding of a sequence (review-8j)", () => {
  /** A compromised instance GuardDuty lists after everything else. */
  const LAST = 'i-0e9f8a7b6c5d43210';
  /** The sequence with `padding` resources before a last instance resource (LAST). */
  function padded(padding: unknown[]) {
    const event = structuredClone(raw) as unknown as { detail: { service: { detection: { sequence: { resources: Record<string, unknown>[] } } } } };
    const resources = event.detail.service.detection.sequence.resources;
    const last = { ...structuredClone(resources[0]!), uid: LAST, name: 'web-9' };
    resources.push(...(padding as Record<string, unknown>[]), last);
    return parseEvent(event, { receivedAt: new Date('2026-03-21T11:00:00Z') });
  }
  /** Objects of a bucket the attacker writes to, as an S3 sequence resource names them. */
  const objects = (count: number, key: (index: number) => string) =>
    Array.from({ length: count }, (_, index) => ({
      uid: `arn:aws:s3:::exfil-drop/${key(index)}`,
      resourceType: 'S3_OBJECT',
      accountId: '111122223333',
      region: 'eu-west-1',
      data: { s3Object: { eTag: 'd41d8cd98f00b204e9800998ecf8427e' } },
    }));
  /** The alert after every instance triage started an execution for was contained. */
  function alertAfterContaining(padded: ReturnType<typeof parseEvent>) {
    const { targets } = containmentTargets(padded, { maxInstances: 50 });
    const contained = targets.map((target) => ({ ...outcomes[0]!, instanceId: target.instanceId, executionName: target.executionName }));
    const input = alertInputSchema.parse({
      kind: 'report',
      incident: padded,
      mode: 'enforce',
      playbook: 'attack-sequence-ec2',
      results: { 'contain-each': { responder: PER_INSTANCE_ACTION, status: 'done', playbook: 'attack-sequence-ec2-instance', instances: contained, actions: [] } },
    });
    return { targets: targets.map((target) => target.instanceId), ...buildAlertMessage(input, { now: new Date('2026-03-21T11:05:00Z') }) };
  }

  it("ATTACK (review-8j): objects whose keys fill the parser's byte budget left the instance listed after them uncontained and unnamed", () => {
    // 45 objects with S3's longest keys (1,024 bytes: 256 four-byte characters), then ever smaller
    // ones to fill what is left of the parser's 48 KiB below one instance's entry: an event of
    // about 64 KB, well under EventBridge's limit (no intake, no clip).
    const incident = padded([
      ...objects(45, (index) => `${String(index).padStart(2, '0')}${'\u{1D538}'.repeat(255)}`),
      ...objects(10, (index) => `m${index}${'\u{1D538}'.repeat(100)}`),
      ...objects(20, (index) => `s${index}`),
    ]);
    expect(incident.sequence?.omitted.resources).toBeGreaterThan(0);
    const { targets, message } = alertAfterContaining(incident);
    expect(targets).toContain(LAST);
    expect(message).toContain(`${LAST} (account 111122223333, eu-west-1): CONTAINED`);
  });

  it("ATTACK (review-8j): a sequence listing more resources than the parser reads left the instance after them uncontained, not named, and the alert silent", () => {
    // GuardDuty lists up to 400 resources; the parser reads 250.
    const incident = padded(objects(260, (index) => `loot/${index}`));
    const { targets, message, subject } = alertAfterContaining(incident);
    expect(targets).not.toContain(LAST);
    // A person is told, by id, that it was left out and not contained.
    expect(message).toMatch(new RegExp(`LEFT OUT[^\\n]*\\n?[^\\n]*${LAST}`));
    expect(subject).toContain('[NOT CONTAINED');
  });

  it('tried (review-8k): a title quoting [CONTAINED] cannot take the place of the marker a left-out instance puts in front, nor fake it where none was left out', () => {
    const left = padded(objects(260, (index) => `loot/${index}`));
    const quoting = { ...left, title: '[CONTAINED] every instance isolated [NOT CONTAINED: resources left out]' };
    const { subject } = alertAfterContaining(quoting);
    expect(subject.startsWith('[NOT CONTAINED: resources left out] ')).toBe(true);
    expect(subject.match(/\[(?:NOT )?CONTAINED/g)).toHaveLength(1);
    const none = { ...padded([]), title: '[NOT CONTAINED: resources left out] web tier' };
    expect(alertAfterContaining(none).subject).not.toContain('CONTAINED');
  });

  it('puts the left-out marker ahead of a guard decision that says containment ran (a custom sequence playbook with a guard of its own), and keeps the marker of one that says it did not', () => {
    const left = padded(objects(260, (index) => `loot/${index}`));
    const input = alertInputSchema.parse({ kind: 'report', incident: left, mode: 'enforce', playbook: 'custom-sequence', results: {} });
    const ran = { containmentRan: true, marker: 'CONTAINED WITHOUT APPROVAL', headline: 'ran without approval', reasons: [] };
    expect(alertSubject(input, ran).startsWith('[NOT CONTAINED: resources left out]')).toBe(true);
    const heldBack = { containmentRan: false, marker: 'blast radius', headline: 'waits for a person', reasons: [] };
    expect(alertSubject(input, heldBack).startsWith('[blast radius]')).toBe(true);
    expect(alertSubject({ ...input, kind: 'approval-request' }, heldBack).startsWith('[APPROVAL NEEDED: blast radius]')).toBe(true);
    const plain = alertInputSchema.parse({ kind: 'report', incident: padded([]), mode: 'enforce', playbook: 'custom-sequence', results: {} });
    expect(alertSubject(plain, ran).startsWith('[CONTAINED WITHOUT APPROVAL]')).toBe(true);
  });

  it("says NOT CONTAINED for a clipped copy's sequence that left resources out, which the copy cannot name, and nothing when none were", () => {
    const sequence = { ...incident.sequence!, omitted: { ...incident.sequence!.omitted, resources: 1 } };
    const copy = { ...incident, sequence, clipped: { tags: 0, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [], event: { originalBytes: 400_000, confirmed: true as const } } };
    const { subject, message } = alertAfterContaining(copy);
    expect(subject).toContain('[NOT CONTAINED: resources left out]');
    expect(message).toContain('read from a clipped copy of the event');
    const whole = alertAfterContaining(incident);
    expect(whole.subject).not.toContain('NOT CONTAINED');
    expect(whole.message).not.toContain('LEFT OUT');
  });
});
