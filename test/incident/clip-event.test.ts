/**
 * The oversized-event intake's clipping: an event over Step Functions' limit becomes a copy well
 * under it that still says the same thing to the parser (same incident key, revision, resource,
 * sample flag), deterministically, with nothing added but Firebreak's marker.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLIPPED_EVENT_TARGET_BYTES, EVENTBRIDGE_EVENT_LIMIT_BYTES, OVERSIZED_EVENT_THRESHOLD_BYTES, payloadBytes } from '../../lib/contracts/payload-size';
import { CLIPPED_EVENT_MARKER, EventClippingError, FINDING_CONFIRMED_BY, clipOversizedEvent, isOversizedEvent } from '../../lib/incident/clip-event';
import { parseEvent } from '../../lib/incident/parse';
import { describeClipping } from '../../lib/incident/budget';
import { routingTableFor } from '../../lib/playbooks/routing';
import { triage } from '../../lib/playbooks/triage';
import { loadPlaybookDirectorySync } from '../../lib/playbooks/loader';
import { SHIPPED_PLAYBOOKS_DIR } from '../../lib/stack/package-root';
import type { Incident } from '../../lib/incident/model';
import { clone, fixtureEvent } from './events';

type Json = Record<string, unknown>;

const RECEIVED = new Date('2026-03-14T10:53:00Z');
const multiEni = () => clone(fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json')) as Json & { detail: Json };

/** What the parser makes of an event that the clipping must not change. */
function identity(incident: Incident) {
  const resource = incident.resource as { kind: string; instanceId?: string; networkInterfaces?: { networkInterfaceId: string }[] };
  return {
    key: incident.key,
    revision: incident.revision,
    findingType: incident.findingType,
    severity: incident.severity,
    account: incident.account,
    region: incident.region,
    sample: incident.sample,
    gameDay: incident.gameDay,
    kind: resource.kind,
    instanceId: resource.instanceId,
    firstInterface: resource.networkInterfaces?.[0]?.networkInterfaceId,
    created: incident.times.created,
    updated: incident.times.updated,
  };
}

/** The finding grown as an attacker grows it: what GuardDuty observed, tags, interfaces with many addresses. */
function grown(bytes: number): Json & { detail: Json } {
  const event = multiEni();
  const detail = event.detail as { service: Json; resource: { instanceDetails: Json & { networkInterfaces: Json[] } } };
  const details = detail.resource.instanceDetails;
  details.tags = Array.from({ length: 50 }, (_, index) => ({ key: `${String(index).padStart(2, '0')}${'😀'.repeat(126)}`, value: '😀'.repeat(256) }));
  const first = details.networkInterfaces[0] as Json;
  details.networkInterfaces = Array.from({ length: 40 }, (_, index) => ({
    ...first,
    networkInterfaceId: `eni-${index.toString(16).padStart(17, '0')}`,
    privateIpAddresses: Array.from({ length: 50 }, (__, address) => ({ privateIpAddress: `10.0.${index}.${address}`, privateDnsName: `ip-10-0-${index}-${address}.eu-west-1.compute.internal` })),
  }));
  const additionalInfo = (detail.service.additionalInfo ?? {}) as Json;
  detail.service.additionalInfo = { ...additionalInfo, observed: [] };
  const observed = (detail.service.additionalInfo as { observed: string[] }).observed;
  while (payloadBytes(event) < bytes) observed.push('attacker-chosen-'.repeat(64));
  return event;
}

describe('isOversizedEvent', () => {
  it('is true only above the threshold, 1 KiB under the 256 KiB limit', () => {
    expect(OVERSIZED_EVENT_THRESHOLD_BYTES).toBe(262_144 - 1024);
    const event = multiEni();
    expect(isOversizedEvent(event)).toBe(false);
    const padded = { ...event, detail: { ...event.detail, padding: '' } };
    const padding = OVERSIZED_EVENT_THRESHOLD_BYTES - payloadBytes(padded);
    expect(isOversizedEvent({ ...padded, detail: { ...padded.detail, padding: 'x'.repeat(padding) } })).toBe(false);
    expect(isOversizedEvent({ ...padded, detail: { ...padded.detail, padding: 'x'.repeat(padding + 1) } })).toBe(true);
  });
});

describe('clipOversizedEvent', () => {
  it('clips a 400 KiB finding to within 192 KiB, keeping what the parser makes of it', () => {
    const event = grown(400 * 1024);
    const originalBytes = payloadBytes(event);
    const clipped = clipOversizedEvent(event);
    expect(clipped.originalBytes).toBe(originalBytes);
    expect(payloadBytes(clipped.event)).toBeLessThanOrEqual(CLIPPED_EVENT_TARGET_BYTES);
    expect(clipped.bytes).toBe(payloadBytes(clipped.event));
    expect(identity(parseEvent(clipped.event, { receivedAt: RECEIVED }))).toEqual(identity(parseEvent(event, { receivedAt: RECEIVED })));
  });

  it('keeps the envelope whole and adds nothing but its marker, at the top level', () => {
    const event = grown(300 * 1024);
    const { event: clipped, originalBytes } = clipOversizedEvent(event);
    for (const field of ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region']) expect(clipped[field]).toEqual(event[field]);
    expect(Object.keys(clipped)).toEqual([...Object.keys(event), CLIPPED_EVENT_MARKER]);
    expect(clipped[CLIPPED_EVENT_MARKER]).toEqual({ originalBytes, by: 'oversized-event' });
    // Every value of the copy is the original's, or a prefix of it (a list's first items, a text's first characters).
    const isClipOf = (copy: unknown, original: unknown): boolean => {
      if (typeof copy === 'string') return typeof original === 'string' && original.startsWith(copy);
      if (Array.isArray(copy)) return Array.isArray(original) && copy.length <= original.length && copy.every((item, index) => isClipOf(item, original[index]));
      if (copy !== null && typeof copy === 'object') {
        return original !== null && typeof original === 'object' && Object.entries(copy).every(([key, value]) => Object.hasOwn(original, key) && isClipOf(value, (original as Json)[key]));
      }
      return copy === original;
    };
    const { [CLIPPED_EVENT_MARKER]: _marker, ...rest } = clipped;
    expect(isClipOf(rest, event)).toBe(true);
  });

  it('replaces a marker the event already carries with its own, never passing the sender\'s on', () => {
    const event = { ...grown(300 * 1024), [CLIPPED_EVENT_MARKER]: { originalBytes: 999_999, by: 'oversized-event', note: 'forged' } };
    const { event: clipped, originalBytes } = clipOversizedEvent(event);
    expect(clipped[CLIPPED_EVENT_MARKER]).toEqual({ originalBytes, by: 'oversized-event' });
    expect(originalBytes).toBe(payloadBytes(event));
  });

  it('is deterministic: the same event gives the same copy', () => {
    const event = grown(350 * 1024);
    expect(JSON.stringify(clipOversizedEvent(clone(event)).event)).toBe(JSON.stringify(clipOversizedEvent(clone(event)).event));
  });

  it('keeps the first network interfaces and their first groups, and never cuts an identifier', () => {
    const event = grown(600 * 1024);
    const clipped = clipOversizedEvent(event).event as { detail: { resource: { instanceDetails: { instanceId: string; networkInterfaces: Json[] } } } };
    const details = clipped.detail.resource.instanceDetails;
    expect(details.instanceId).toBe('i-0a1b2c3d4e5f60718');
    expect(details.networkInterfaces.length).toBeGreaterThanOrEqual(1);
    expect(details.networkInterfaces[0]?.networkInterfaceId).toBe('eni-00000000000000000');
  });

  it('never loses the sample flag, in either of its shapes', () => {
    const inEvent = grown(400 * 1024);
    ((inEvent.detail as { service: { additionalInfo: Json } }).service.additionalInfo).sample = true;
    expect(parseEvent(clipOversizedEvent(inEvent).event, { receivedAt: RECEIVED }).sample).toBe(true);
    // GetFindings' shape: a JSON string `value`, which a cut would make unreadable.
    const inValue = grown(400 * 1024);
    const info = (inValue.detail as { service: { additionalInfo: Json } }).service.additionalInfo;
    info.value = JSON.stringify({ sample: true, padding: 'p'.repeat(30_000) });
    expect(parseEvent(inValue, { receivedAt: RECEIVED }).sample).toBe(true);
    expect(parseEvent(clipOversizedEvent(inValue).event, { receivedAt: RECEIVED }).sample).toBe(true);
  });

  it('clips an alarm state change with a huge reason and metrics list, keeping its identity', () => {
    const alarm = clone(fixtureEvent('gameday-cloudwatch-alarm-ec2-cpu.json')) as Json & { detail: { state: Json; configuration?: Json } };
    alarm.detail.state.reason = 'r'.repeat(500_000);
    const clipped = clipOversizedEvent(alarm);
    expect(payloadBytes(clipped.event)).toBeLessThanOrEqual(CLIPPED_EVENT_TARGET_BYTES);
    expect(identity(parseEvent(clipped.event, { receivedAt: RECEIVED }))).toEqual(identity(parseEvent(alarm, { receivedAt: RECEIVED })));
  });

  it('fits an event grown in breadth (an object of many small members) by leaving out members no reader needs', () => {
    const event = multiEni();
    const detail = event.detail as { service: { additionalInfo?: Json } };
    detail.service.additionalInfo = Object.fromEntries(Array.from({ length: 40_000 }, (_, index) => [`k${index}`, `v${index}`]));
    const clipped = clipOversizedEvent(event);
    expect(payloadBytes(clipped.event)).toBeLessThanOrEqual(CLIPPED_EVENT_TARGET_BYTES);
    expect(identity(parseEvent(clipped.event, { receivedAt: RECEIVED }))).toEqual(identity(parseEvent(event, { receivedAt: RECEIVED })));
  });

  it('fits any event grown in its free-form parts, up to EventBridge\'s 1 MB, keeping its identity', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ minLength: 500, maxLength: 3000 }), fc.array(fc.string({ minLength: 20, maxLength: 200 }), { minLength: 10, maxLength: 200 })), { minLength: 1, maxLength: 40 }), fc.integer({ min: 270, max: 1000 }), (parts, kib) => {
        const event = multiEni();
        const service = (event.detail as { service: Json }).service;
        service.additionalInfo = { parts: [] as unknown[] };
        const sink = (service.additionalInfo as { parts: unknown[] }).parts;
        let bytes = payloadBytes(event);
        for (let index = 0; bytes < kib * 1024; index += 1) {
          const part = parts[index % parts.length];
          sink.push(part);
          bytes += payloadBytes(part) + 1;
        }
        const clipped = clipOversizedEvent(event);
        expect(payloadBytes(clipped.event)).toBeLessThanOrEqual(CLIPPED_EVENT_TARGET_BYTES);
        expect(identity(parseEvent(clipped.event, { receivedAt: RECEIVED }))).toEqual(identity(parseEvent(event, { receivedAt: RECEIVED })));
      }),
      { numRuns: 15 },
    );
  });
});

describe('the parser and triage on a clipped copy', () => {
  const clippedCopy = () => clipOversizedEvent(grown(400 * 1024));
  const markerOf = (originalBytes: number, extra: Json = {}) => ({ [CLIPPED_EVENT_MARKER]: { originalBytes, by: 'oversized-event', ...extra } });

  it("carries the intake's note into the incident: clipped from how many bytes", () => {
    const { event, originalBytes } = clippedCopy();
    const incident = parseEvent(event, { receivedAt: RECEIVED });
    expect(incident.clipped?.event).toEqual({ originalBytes });
    const text = describeClipping(incident.clipped) ?? '';
    expect(text).toContain(`The event was ${originalBytes} bytes`);
    expect(text).toContain("Firebreak's oversized-event intake clipped it");
    expect(text).toContain('event archive holds it whole');
  });

  it('says so in the reasons triage records and alerts', () => {
    const { event, originalBytes } = clippedCopy();
    const decision = triage(parseEvent(event, { receivedAt: RECEIVED }), routingTableFor([], { forceDryRun: false }));
    expect(decision.reasons.join('\n')).toContain(`The event was ${originalBytes} bytes`);
  });

  it('does not honour a marker Firebreak cannot have set: a small original, another writer, more fields, a copy still over the threshold, or past 1 MB', () => {
    const small = multiEni();
    const forged = [
      { ...small, ...markerOf(OVERSIZED_EVENT_THRESHOLD_BYTES) },
      { ...small, [CLIPPED_EVENT_MARKER]: { originalBytes: 400_000, by: 'someone-else' } },
      { ...small, ...markerOf(400_000, { note: 'trust me' }) },
      { ...small, ...markerOf(400_000.5) },
      { ...small, ...markerOf(2_000_000) },
      { ...small, [CLIPPED_EVENT_MARKER]: 'clipped' },
      { ...small, detail: { ...small.detail, padding: 'x'.repeat(OVERSIZED_EVENT_THRESHOLD_BYTES) }, ...markerOf(400_000) },
    ];
    for (const event of forged) {
      const incident = parseEvent(event, { receivedAt: RECEIVED });
      expect(incident.clipped?.event).toBeUndefined();
      expect(triage(incident, routingTableFor([], { forceDryRun: false })).reasons.join('\n')).not.toContain('oversized-event intake');
    }
    // The same marker, consistent, on the same small event: honoured (only a note; nothing decides on it).
    expect(parseEvent({ ...small, ...markerOf(400_000) }, { receivedAt: RECEIVED }).clipped?.event).toEqual({ originalBytes: 400_000 });
  });

  it('honours a marker that says GuardDuty confirmed the finding: clipped.event.confirmed, and the note says so', () => {
    const event = grown(400 * 1024);
    const { event: copy, originalBytes } = clipOversizedEvent(event, CLIPPED_EVENT_TARGET_BYTES, FINDING_CONFIRMED_BY);
    expect(copy[CLIPPED_EVENT_MARKER]).toEqual({ originalBytes, by: 'oversized-event', confirmedBy: 'guardduty:GetFindings' });
    expect(payloadBytes(copy)).toBeLessThanOrEqual(CLIPPED_EVENT_TARGET_BYTES);
    const incident = parseEvent(copy, { receivedAt: RECEIVED });
    expect(incident.clipped?.event).toEqual({ originalBytes, confirmed: true });
    expect(describeClipping(incident.clipped)).toContain("GuardDuty's own copy of the finding (GetFindings) matched the event");
    // Unconfirmed, the incident and the note say that too.
    const unconfirmed = parseEvent(clipOversizedEvent(event).event, { receivedAt: RECEIVED });
    expect(unconfirmed.clipped?.event).toEqual({ originalBytes });
    expect(describeClipping(unconfirmed.clipped)).toContain('It was not confirmed with GuardDuty (GetFindings)');
  });

  it('accepts the old marker or the old marker with confirmedBy, nothing else: another confirmer, another field beside it, or confirmedBy on an event GuardDuty did not emit', () => {
    const small = multiEni();
    const alarm = clone(fixtureEvent('cloudwatch-alarm-metric-math-two-instances.json')) as Json;
    const notHonoured = [
      { ...small, ...markerOf(400_000, { confirmedBy: 'guardduty:ListFindings' }) },
      { ...small, ...markerOf(400_000, { confirmedBy: true }) },
      { ...small, ...markerOf(400_000, { confirmedBy: 'guardduty:GetFindings', note: 'trust me' }) },
      { ...small, ...markerOf(400_000, { confirmed: true }) },
      { ...small, source: 'firebreak.gameday', ...markerOf(400_000, { confirmedBy: 'guardduty:GetFindings' }) },
      { ...alarm, ...markerOf(400_000, { confirmedBy: 'guardduty:GetFindings' }) },
    ];
    for (const event of notHonoured) expect(parseEvent(event, { receivedAt: RECEIVED }).clipped?.event).toBeUndefined();
    expect(parseEvent({ ...small, ...markerOf(400_000, { confirmedBy: 'guardduty:GetFindings' }) }, { receivedAt: RECEIVED }).clipped?.event).toEqual({ originalBytes: 400_000, confirmed: true });
  });

  it('changes no decision: the clipped copy is triaged as the event would be', () => {
    const event = grown(300 * 1024);
    const table = routingTableFor(loadPlaybookDirectorySync(SHIPPED_PLAYBOOKS_DIR), { forceDryRun: false });
    const decide = (input: Json) => {
      const { outcome, playbook, mode, executionName, steps } = triage(parseEvent(input, { receivedAt: RECEIVED }), table);
      return { outcome, playbook, mode, executionName, steps };
    };
    expect(decide(event).outcome).toBe('start-playbook');
    // A copy GuardDuty confirmed runs under a name of its own (row 8i): its clip is not GuardDuty's delivery.
    const confirmed = decide(clipOversizedEvent(event, CLIPPED_EVENT_TARGET_BYTES, FINDING_CONFIRMED_BY).event);
    expect({ ...confirmed, executionName: null }).toEqual({ ...decide(event), executionName: null });
    expect(confirmed.executionName).not.toBe(decide(event).executionName);
    // An unconfirmed copy runs under a name of its own, so that it never takes GuardDuty's own delivery's (row 8g).
    const unconfirmed = decide(clipOversizedEvent(event).event);
    expect({ ...unconfirmed, executionName: null }).toEqual({ ...decide(event), executionName: null });
    expect(unconfirmed.executionName).not.toBe(decide(event).executionName);
  });
});

describe('a confirmed copy the intake clipped: its execution name (row 8i)', () => {
  it('ATTACK (review-8g): a small real finding padded in breadth is confirmed, yet its clip (lists cut) took the name of GuardDuty\'s own delivery', async () => {
    const { confirmFinding } = await import('../../lib/incident/finding-confirmation');
    const { toPascalCase } = await import('./events');
    const { executionNameFor } = await import('../../lib/incident/parse');
    const table = routingTableFor(loadPlaybookDirectorySync(SHIPPED_PLAYBOOKS_DIR), { forceDryRun: false });
    // GuardDuty's own event: small, delivered to the dispatcher whole.
    const real = multiEni();
    const genuine = parseEvent(real, { receivedAt: RECEIVED });
    // The forger (guardduty:GetFindings, lambda:InvokeFunction on the intake) sends the same finding
    // grown in breadth by members no parser reads: GuardDuty's copy matches it, so it is confirmed.
    const forged = clone(real) as Json & { detail: Json & { service: Json } };
    forged.detail.service.additionalInfo = Object.fromEntries(Array.from({ length: 40_000 }, (_, index) => [`k${index}`, `v${index}`]));
    expect(isOversizedEvent(forged)).toBe(true);
    expect(confirmFinding(forged, toPascalCase(clone(real.detail)), RECEIVED)).toEqual({ confirmed: true });
    const copy = clipOversizedEvent(forged, CLIPPED_EVENT_TARGET_BYTES, FINDING_CONFIRMED_BY).event;
    const clipped = parseEvent(copy, { receivedAt: RECEIVED });
    expect(clipped.clipped?.event?.confirmed).toBe(true);
    // The clip cut the finding's lists (largest first, before leaving out members): not GuardDuty's incident.
    const { clipped: _c, times: _t, ...clippedFacts } = clipped;
    const { clipped: _g, times: _u, ...genuineFacts } = genuine;
    expect(clippedFacts).not.toEqual(genuineFacts);
    const forgedName = triage(clipped, table).executionName;
    const genuineName = triage(genuine, table).executionName;
    expect(genuineName).toBe(executionNameFor(genuine));
    // Under GuardDuty's name, the real delivery would end at DuplicateDelivery and only the clip would act.
    expect(forgedName).not.toBe(genuineName);
  });
});

describe('the clip never shortens a list a decision reads (row 8j)', () => {
  const table = () => routingTableFor(loadPlaybookDirectorySync(SHIPPED_PLAYBOOKS_DIR), { forceDryRun: false });
  /** 50 tags of EC2's longest keys and values in 4-byte characters (about 77 KB): what ec2:CreateTags on one's own instance allows. */
  const maximalTags = () => Array.from({ length: 50 }, (_, index) => ({ key: `${String(index).padStart(2, '0')}${'😀'.repeat(126)}`, value: '😀'.repeat(256) }));
  /**
   * What decides which instances and credentials are acted on: triage's targets and the incident's
   * resources. Not the tags the finding reports: they are shown in the alert only (the guard and the
   * steps read an instance's tags from EC2 as they act), and the clip cuts them first.
   */
  const decisionOf = (event: Json) => {
    const incident = parseEvent(event, { receivedAt: RECEIVED });
    const decision = triage(incident, table());
    const { tags: _tags, ...resource } = incident.resource as unknown as Json;
    return {
      outcome: decision.outcome,
      playbook: decision.playbook,
      targets: (decision.targets ?? []).map((target) => ('instanceId' in target ? target.instanceId : target.id)),
      resource,
      affected: incident.affected,
    };
  };
  /**
   * A genuine attack sequence over 255 KiB: the attacker, on web-1 and web-3 (which GuardDuty lists
   * after the group, the profile, the session key and the interface), tags every instance they reach
   * with EC2's maximal tags, as the finding reports them. Only the intake can dispatch it; GuardDuty
   * confirms it (it is GuardDuty's own finding).
   */
  const grownSequence = () => {
    const event = clone(fixtureEvent('guardduty-attack-sequence-ec2-compromised-instance-group.json')) as Json & { detail: Json };
    const detail = event.detail as { resource: { instanceDetails: Json }; service: { detection: { sequence: { resources: Json[] } } } };
    const resources = detail.service.detection.sequence.resources;
    const [web3] = resources.splice(2, 1);
    resources.push(web3 as Json);
    for (const resource of resources) if (resource.resourceType === 'EC2_INSTANCE') resource.tags = maximalTags();
    detail.resource.instanceDetails.tags = maximalTags();
    return event;
  };

  it('ATTACK (review-inputs): an attack sequence grown by its instances\' tags lost the instance GuardDuty lists last from its clip: never contained, never named', () => {
    const event = grownSequence();
    expect(isOversizedEvent(event)).toBe(true);
    const whole = decisionOf(event);
    expect(whole.outcome).toBe('start-playbook');
    expect(whole.targets).toContain('i-0c1d2e3f4a5b60719');
    const copy = clipOversizedEvent(event, CLIPPED_EVENT_TARGET_BYTES, FINDING_CONFIRMED_BY);
    expect(copy.bytes).toBeLessThanOrEqual(CLIPPED_EVENT_TARGET_BYTES);
    // Before the fix: the resources list was halved, and web-3, the session key and the interface were gone.
    expect(decisionOf(copy.event)).toEqual(whole);
  });

  it('ATTACK (review-inputs): an IAM attack sequence grown by one key\'s resource lost the credentials after it', () => {
    const event = clone(fixtureEvent('guardduty-attack-sequence-iam-compromised-credentials.json')) as Json & { detail: Json };
    const resources = (event.detail as { service: { detection: { sequence: { resources: Json[] } } } }).service.detection.sequence.resources;
    // Each key's user or role carries its principal's tags as the finding reports them (iam:TagUser,
    // iam:TagRole on itself), and the sessions sent a long user agent (sequenceIndicators).
    for (const resource of resources) resource.tags = maximalTags();
    const sequence = (event.detail as { service: { detection: { sequence: { sequenceIndicators?: Json[] } } } }).service.detection.sequence;
    sequence.sequenceIndicators = [{ key: 'USER_AGENT', title: 'User agent', values: [`aws-cli/2.15 ${'x'.repeat(30_000)}`] }, ...(sequence.sequenceIndicators ?? [])];
    expect(isOversizedEvent(event)).toBe(true);
    const whole = decisionOf(event);
    expect(whole.targets.length).toBeGreaterThan(1);
    const copy = clipOversizedEvent(event, CLIPPED_EVENT_TARGET_BYTES, FINDING_CONFIRMED_BY);
    expect(decisionOf(copy.event)).toEqual(whole);
  });

  it('ATTACK (review-8j): a sequence grown by long-named groups listed first was refused at the intake, so none of its instances was contained', () => {
    const event = clone(fixtureEvent('guardduty-attack-sequence-ec2-compromised-instance-group.json')) as Json & { detail: Json };
    const resources = (event.detail as { service: { detection: { sequence: { resources: Json[] } } } }).service.detection.sequence.resources;
    const [web3] = resources.splice(2, 1);
    const group = resources.find((resource) => resource.resourceType === 'AUTOSCALING_AUTO_SCALING_GROUP')!;
    // 150 Auto Scaling groups the attacker created, named with 255 four-byte characters
    // (CreateAutoScalingGroup allows them), each listing an instance the attacker holds: their uid
    // (the group's ARN) and name are each over 1 KB, and the clip never cut a text below 1,024
    // characters, so no copy fit within 192 KiB (an event of about 375 KB).
    const groups = Array.from({ length: 150 }, (_, index) => {
      const name = `${String(index).padStart(3, '0')}${'😀'.repeat(252)}`;
      return { ...clone(group), name, uid: `arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:6d2a0b1c-3e4f-4a5b-8c9d-0e1f2a3b4c5d:autoScalingGroupName/${name}`, tags: [] };
    });
    resources.unshift(...groups);
    resources.push(web3 as Json);
    expect(isOversizedEvent(event)).toBe(true);
    const whole = decisionOf(event);
    expect(whole.targets).toContain('i-0c1d2e3f4a5b60719');
    // Before: EventClippingError (the intake's invocation failed, the event kept, nothing contained).
    const copy = clipOversizedEvent(event, CLIPPED_EVENT_TARGET_BYTES, FINDING_CONFIRMED_BY);
    expect(copy.bytes).toBeLessThanOrEqual(CLIPPED_EVENT_TARGET_BYTES);
    const clipped = decisionOf(copy.event);
    expect(clipped.outcome).toBe(whole.outcome);
    expect(clipped.targets).toEqual(whole.targets);
  });

  it('ATTACK (review-8k): the last phase cut a bucket\'s or a cluster\'s ARN to 64 characters, and the copy named another bucket and cluster', () => {
    // The padding of row 8l (150 long-named groups) takes the clip to its last phase, which cut every
    // sequence resource's uid but an instance's, a key's and an object's to 64 characters: a bucket's
    // ARN of a 63-character name became the ARN of a bucket named by its first 51 (the parser prefers
    // the ARN to the name), a cluster's the ARN of another cluster; two buckets alike in their first
    // 51 characters became one. The alert named a bucket and a cluster the event does not name.
    const event = clone(fixtureEvent('guardduty-attack-sequence-ec2-compromised-instance-group.json')) as Json & { detail: Json };
    const resources = (event.detail as { service: { detection: { sequence: { resources: Json[] } } } }).service.detection.sequence.resources;
    const group = resources.find((resource) => resource.resourceType === 'AUTOSCALING_AUTO_SCALING_GROUP')!;
    const groups = Array.from({ length: 150 }, (_, index) => {
      const name = `${String(index).padStart(3, '0')}${'😀'.repeat(252)}`;
      return { ...clone(group), name, uid: `arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:6d2a0b1c-3e4f-4a5b-8c9d-0e1f2a3b4c5d:autoScalingGroupName/${name}`, tags: [] };
    });
    const bucketNames = ['acme-customer-exports-production-eu-west-1-0001-archive-primary', 'acme-customer-exports-production-eu-west-1-0001-archive-replica'];
    const buckets = bucketNames.map((name) => ({ uid: `arn:aws:s3:::${name}`, name, resourceType: 'S3_BUCKET', accountId: '111122223333', region: 'eu-west-1', data: {} }));
    const clusterName = 'payments-production-eu-west-1-cluster-0001';
    const cluster = { uid: `arn:aws:eks:eu-west-1:111122223333:cluster/${clusterName}`, name: clusterName, resourceType: 'EKS_CLUSTER', accountId: '111122223333', region: 'eu-west-1', data: {} };
    // Listed first: after them, the groups take the 150 text entries of the incident's list.
    resources.unshift(...buckets, cluster, ...groups);
    expect(isOversizedEvent(event)).toBe(true);
    const named = (incident: Incident) =>
      (incident.affected ?? []).flatMap((resource) => (resource.kind === 's3-bucket' ? [resource.bucketName] : resource.kind === 'eks-cluster' ? [resource.clusterName] : []));
    expect(named(parseEvent(event, { receivedAt: RECEIVED }))).toEqual([...bucketNames, clusterName]);
    const copy = clipOversizedEvent(event, CLIPPED_EVENT_TARGET_BYTES, FINDING_CONFIRMED_BY);
    expect(copy.bytes).toBeLessThanOrEqual(CLIPPED_EVENT_TARGET_BYTES);
    // Before: ['acme-customer-exports-production-eu-west-1-0001-arc', 'payments-production-e'] (one bucket).
    expect(named(parseEvent(copy.event, { receivedAt: RECEIVED }))).toEqual([...bucketNames, clusterName]);
  });

  it('keeps every metric of an alarm: a clip never turns an alarm that names no instance into one that names the first metric\'s', () => {
    // Larger than PutMetricAlarm allows (30 dimensions a metric): only a forged event at the intake is
    // this large, and its containment waits for a person (rows 8d, 10c). Defensive: the same floor.
    const alarm = clone(fixtureEvent('gameday-cloudwatch-alarm-ec2-cpu.json')) as Json & { source: string; detail: { configuration: { metrics: Json[] } } };
    alarm.source = 'aws.cloudwatch';
    const [cpu] = alarm.detail.configuration.metrics;
    const dimensions = { InstanceId: 'i-0fedcba9876543210', ...Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`d${index}`, 'v'.repeat(1000)])) };
    alarm.detail.configuration.metrics = [cpu as Json, { id: 'm2', metricStat: { metric: { namespace: 'CWAgent', name: 'mem_used_percent', dimensions }, period: 300, stat: 'Average' }, returnData: false }];
    expect(isOversizedEvent(alarm)).toBe(true);
    const whole = decisionOf(alarm);
    expect(whole.resource).toEqual({ kind: 'none' });
    // Its metrics hold what the parser reads and cannot be cut: no copy, so the intake's invocation
    // fails, Lambda keeps the event in the undelivered-events queue and its alarm pages. Before: a copy
    // with the first metric only, naming i-0fedcba9876543210.
    expect(() => clipOversizedEvent(alarm)).toThrow(EventClippingError);
  });

  it('ATTACK (review-8j): a refused event paged with its sizes only, not which alarm or finding was never contained', () => {
    const alarm = clone(fixtureEvent('gameday-cloudwatch-alarm-ec2-cpu.json')) as Json & { source: string; detail: { alarmName: string; configuration: { metrics: Json[] } } };
    alarm.source = 'aws.cloudwatch';
    const [cpu] = alarm.detail.configuration.metrics;
    const dimensions = { InstanceId: 'i-0fedcba9876543210', ...Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`d${index}`, 'v'.repeat(1000)])) };
    alarm.detail.configuration.metrics = [cpu as Json, { id: 'm2', metricStat: { metric: { namespace: 'CWAgent', name: 'mem_used_percent', dimensions }, period: 300, stat: 'Average' }, returnData: false }];
    // The error is the undelivered-events queue's ErrorMessage attribute and the intake's log line.
    expect(() => clipOversizedEvent(alarm)).toThrow(new RegExp(`alarm ${JSON.stringify(alarm.detail.alarmName).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(() => clipOversizedEvent(alarm)).toThrow(/source "aws\.cloudwatch", detail-type "CloudWatch Alarm State Change", event id "/);
  });

  it('ATTACK (review-inputs): a malformed id in an instance\'s last interface is refused at the boundary in the copy as in the event', () => {
    // A forged event at the intake (unconfirmed): the boundary refuses an incident whose ids cannot
    // name real resources; the clip halved the interfaces and took the malformed one away.
    const event = multiEni();
    const details = (event.detail as { resource: { instanceDetails: { networkInterfaces: Json[] } } }).resource.instanceDetails;
    const last = clone(details.networkInterfaces[0] as Json);
    last.networkInterfaceId = 'eni-0123456789abcdef0';
    last.vpcId = 'vpc-0123; curl evil.example';
    last.securityGroups = Array.from({ length: 5000 }, (_, index) => ({ groupId: `sg-${index.toString(16).padStart(17, '0')}`, groupName: `g${index}` }));
    details.networkInterfaces.push(last);
    expect(isOversizedEvent(event)).toBe(true);
    const whole = decisionOf(event);
    expect(whole.outcome).toBe('alert-only');
    expect(decisionOf(clipOversizedEvent(event).event).outcome).toBe('alert-only');
  });

  it('tried (review-inputs): an S3 scan result grown by its threats keeps the object its uploader named, key at S3\'s 1024 bytes, exactly', () => {
    const scan = clone(fixtureEvent('guardduty-malware-protection-s3-threats-found.json')) as Json & { detail: { s3ObjectDetails: Json; scanResultDetails: { threats: Json[] } } };
    scan.detail.s3ObjectDetails.objectKey = `incoming/${'k'.repeat(1015)}`;
    // An archive of thousands of infected files, each a threat with the path the uploader chose.
    scan.detail.scanResultDetails.threats = Array.from({ length: 3000 }, (_, index) => ({ name: `EICAR-Test-File ${index} ${'x'.repeat(80)}`, source: 'AMAZON' }));
    expect(isOversizedEvent(scan)).toBe(true);
    const whole = parseEvent(scan, { receivedAt: RECEIVED });
    const copy = parseEvent(clipOversizedEvent(scan, CLIPPED_EVENT_TARGET_BYTES).event, { receivedAt: RECEIVED });
    expect(copy.affected).toEqual(whole.affected);
    expect(triage(copy, table()).playbook).toBe(triage(whole, table()).playbook);
  });

  it('keeps a sequence\'s resources beyond those the parser reads to one more, so that the copy still says some were left out, leaving out their tags to fit', () => {
    const event = clone(fixtureEvent('guardduty-attack-sequence-ec2-compromised-instance-group.json')) as Json & { detail: Json };
    const sequence = (event.detail as { service: { detection: { sequence: { resources: Json[] } } } }).service.detection.sequence;
    const instance = sequence.resources.find((resource) => resource.resourceType === 'EC2_INSTANCE') as Json;
    const tags = Array.from({ length: 4 }, (_, index) => ({ key: `team-${index}`, value: 'w'.repeat(256) }));
    for (let index = 0; index < 390; index += 1) sequence.resources.push({ ...clone(instance), uid: `i-0${index.toString(16).padStart(16, '0')}`, name: `web-${index}`, tags });
    expect(isOversizedEvent(event)).toBe(true);
    const copy = clipOversizedEvent(event, CLIPPED_EVENT_TARGET_BYTES, FINDING_CONFIRMED_BY).event as { detail: { service: { detection: { sequence: { resources: Json[] } } } } };
    expect(copy.detail.service.detection.sequence.resources).toHaveLength(251);
    expect(parseEvent(copy, { receivedAt: RECEIVED }).sequence?.omitted.resources).toBeGreaterThan(0);
    expect(decisionOf(copy as unknown as Json)).toEqual(decisionOf(event));
  });

  it('still fits a sequence whose every resource carries maximal tags: the tags are cut, never the resources', () => {
    const event = grownSequence();
    const resources = (event.detail as { service: { detection: { sequence: { resources: Json[] } } } }).service.detection.sequence.resources;
    const instance = resources.find((resource) => resource.resourceType === 'EC2_INSTANCE') as Json;
    for (let index = 0; index < 9; index += 1) resources.push({ ...clone(instance), uid: `i-0${index.toString(16).padStart(16, '0')}`, tags: maximalTags() });
    expect(payloadBytes(event)).toBeGreaterThan(900_000);
    expect(payloadBytes(event)).toBeLessThanOrEqual(EVENTBRIDGE_EVENT_LIMIT_BYTES);
    const copy = clipOversizedEvent(event, CLIPPED_EVENT_TARGET_BYTES, FINDING_CONFIRMED_BY);
    expect(copy.bytes).toBeLessThanOrEqual(CLIPPED_EVENT_TARGET_BYTES);
    expect(decisionOf(copy.event)).toEqual(decisionOf(event));
  });
});
