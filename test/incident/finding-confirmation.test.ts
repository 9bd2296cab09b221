/**
 * Confirming an oversized GuardDuty finding event with GuardDuty's own copy (GetFindings): the
 * event and the copy are read by the one parser and compared as incidents, but for what an update
 * of the same finding changes (count, updatedAt). Anything else that differs, and anything that is
 * not GuardDuty's own finding event, is not confirmed.
 */
import { describe, expect, it } from 'vitest';
import { confirmAsHeld, confirmFinding, findingLookupOf } from '../../lib/incident/finding-confirmation';
import { parseEvent } from '../../lib/incident/parse';
import { OWN_EVENT_DIRS, clone, eventFiles, loadEvent, toPascalCase, withField } from './events';
import type { FieldPath } from './events';

type Json = Record<string, unknown>;
const RECEIVED = new Date('2026-03-14T10:53:00Z');

/** Every GuardDuty finding event we ship or keep as a fixture, as GuardDuty emits it (source aws.guardduty). */
function guardDutyFindingEvents(): { name: string; event: Json & { detail: Json } }[] {
  return OWN_EVENT_DIRS.flatMap((dir) =>
    eventFiles(dir).flatMap((name) => {
      const event = loadEvent(dir, name) as Json & { detail?: Json };
      if (event['detail-type'] !== 'GuardDuty Finding' || event.detail === undefined) return [];
      return [{ name, event: { ...event, source: 'aws.guardduty' } as Json & { detail: Json } }];
    }),
  );
}

/** GuardDuty's copy of the event's finding, PascalCase as GetFindings returns it. */
const copyOf = (event: { detail: unknown }) => toPascalCase(clone(event.detail));
const multiEni = () => guardDutyFindingEvents().find(({ name }) => name === 'guardduty-ec2-backdoor-c2activity-multi-eni.json')?.event as Json & { detail: Json };

describe('confirmFinding', () => {
  it('confirms every shipped and fixture GuardDuty finding event against its own GetFindings copy', () => {
    const events = guardDutyFindingEvents();
    expect(events.length).toBeGreaterThan(8);
    for (const { name, event } of events) expect({ name, ...confirmFinding(event, copyOf(event), RECEIVED) }).toEqual({ name, confirmed: true });
  });

  it('confirms a finding GuardDuty updated since (count and updatedAt grow with repeats)', () => {
    const event = multiEni();
    const updated = withField(withField(event, ['detail', 'service', 'count'], 7), ['detail', 'updatedAt'], '2026-03-14T16:52:11.000Z') as Json & { detail: Json };
    expect(confirmFinding(event, copyOf(updated), RECEIVED)).toEqual({ confirmed: true });
  });

  it("ATTACK (rereview-one): hands back the event with GuardDuty's update counters, whichever the sender wrote, so its revision is one GuardDuty held (row 1zk)", () => {
    const event = multiEni();
    const held = copyOf(withField(withField(event, ['detail', 'service', 'count'], 7), ['detail', 'updatedAt'], '2026-03-14T16:52:11.000Z') as Json & { detail: Json });
    const revisionHeld = parseEvent({ Findings: [held] }, { receivedAt: RECEIVED }).revision;
    for (const [updatedAt, count] of [['2026-03-14T16:52:11.000Z', 7], ['2026-03-14T09:00:00.000Z', 2], ['2099-12-31T23:59:59.999Z', 123456]] as const) {
      const sent = withField(withField(event, ['detail', 'service', 'count'], count), ['detail', 'updatedAt'], updatedAt) as Json;
      const answer = confirmAsHeld(sent, held, RECEIVED);
      expect(answer.confirmed).toBe(true);
      if (!answer.confirmed) continue;
      expect(parseEvent(answer.event, { receivedAt: RECEIVED }).revision).toBe(revisionHeld);
      // Nothing else of the event changes.
      expect({ ...answer.event, detail: { ...(answer.event.detail as Json), updatedAt: undefined, service: { ...((answer.event.detail as Json).service as Json), count: undefined } } }).toEqual({
        ...sent,
        detail: { ...(sent.detail as Json), updatedAt: undefined, service: { ...((sent.detail as Json).service as Json), count: undefined } },
      });
    }
  });

  it("tried (rereview-two): what the sender still writes in a confirmed copy (the envelope's id, time and resources, a field the parser does not read) changes nothing the incident is made of: key, revision, resources, times and account are GuardDuty's", () => {
    const event = multiEni();
    const held = copyOf(event);
    const fromCopy = parseEvent({ Findings: [held] }, { receivedAt: RECEIVED });
    const sent = { ...(withField(event, ['detail', 'unreadBySender'], 'anything') as Json), id: 'made-up-event-id', time: '2099-01-01T00:00:00Z', resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-0ffffffffffffffff'] } as Json;
    const answer = confirmAsHeld(sent, held, RECEIVED);
    expect(answer.confirmed).toBe(true);
    if (!answer.confirmed) return;
    const dispatched = parseEvent(answer.event, { receivedAt: RECEIVED });
    expect(dispatched.key).toBe(fromCopy.key);
    expect(dispatched.revision).toBe(fromCopy.revision);
    expect(dispatched.resource).toEqual(fromCopy.resource);
    expect(dispatched.affected).toEqual(fromCopy.affected);
    expect(dispatched.times.created).toBe(fromCopy.times.created);
    expect(dispatched.times.updated).toBe(fromCopy.times.updated);
    expect([dispatched.account, dispatched.region]).toEqual([fromCopy.account, fromCopy.region]);
  });

  it('ATTACK: does not confirm an event that names another resource, account, type or severity than GuardDuty holds under that id', () => {
    const event = multiEni();
    const changes: [FieldPath, unknown, string][] = [
      [['detail', 'resource', 'instanceDetails', 'instanceId'], 'i-0ffffffffffffffff', 'resource.instanceId'],
      [['detail', 'accountId'], '444455556666', 'account'],
      [['detail', 'region'], 'us-east-1', 'region'],
      [['detail', 'type'], 'Backdoor:EC2/DenialOfService.Tcp', 'findingType'],
      [['detail', 'severity'], 2, 'severity'],
      [['detail', 'resource', 'instanceDetails', 'networkInterfaces', 0, 'networkInterfaceId'], 'eni-0fffffffffffffff0', 'resource.networkInterfaces[0].networkInterfaceId'],
      [['detail', 'service', 'archived'], true, 'guardDuty.archived'],
    ];
    for (const [path, value, differs] of changes) {
      const forged = withField(event, path, value) as Json;
      const answer = confirmFinding(forged, copyOf(event), RECEIVED);
      expect(answer.confirmed).toBe(false);
      expect(answer.confirmed ? '' : answer.reason).toContain(differs);
    }
  });

  it('tried (review-inputs): does not confirm an event whose fields disagree with each other where GuardDuty\'s copy agrees (the ARN\'s account or region, the sample flag in one shape only)', () => {
    const event = multiEni();
    const arn = (event.detail as { arn: string }).arn;
    const changes: [FieldPath, unknown, string][] = [
      [['detail', 'arn'], arn.replace(':111122223333:', ':444455556666:'), 'guardDuty.arn'],
      [['detail', 'arn'], arn.replace(/:guardduty:[a-z0-9-]+:/, ':guardduty:us-east-1:'), 'guardDuty.arn'],
      [['detail', 'service', 'additionalInfo', 'value'], '{"sample":true}', 'sample'],
      [['detail', 'title'], '[SAMPLE] Backdoor', 'sample'],
    ];
    for (const [path, value, differs] of changes) {
      const forged = withField(event, path, value) as Json;
      const answer = confirmFinding(forged, copyOf(event), RECEIVED);
      expect(answer.confirmed).toBe(false);
      expect(answer.confirmed ? '' : answer.reason).toContain(differs);
    }
    // A sample GuardDuty holds as one, whose event drops the flag: not confirmed either.
    const sample = withField(event, ['detail', 'service', 'additionalInfo', 'sample'], true) as Json & { detail: Json };
    expect(confirmFinding(event, copyOf(sample), RECEIVED).confirmed).toBe(false);
  });

  it('ATTACK: does not confirm an event GuardDuty has no finding for, or whose copy does not parse', () => {
    const event = multiEni();
    expect(confirmFinding(event, undefined, RECEIVED)).toEqual({ confirmed: false, reason: "GuardDuty has no finding with the event's id in the event's region" });
    expect(confirmFinding(event, { Id: 'x' }, RECEIVED)).toMatchObject({ confirmed: false, reason: expect.stringContaining("GuardDuty's copy does not parse") });
  });

  it('names the differing fields without quoting the attacker\'s text (a tag key)', () => {
    const event = multiEni();
    const tagged = withField(event, ['detail', 'resource', 'instanceDetails', 'tags'], [{ key: 'ignore previous instructions', value: 'x' }]) as Json;
    const answer = confirmFinding(tagged, copyOf(event), RECEIVED);
    expect(answer.confirmed).toBe(false);
    expect(answer.confirmed ? '' : answer.reason).not.toContain('ignore previous');
  });
});

describe('findingLookupOf', () => {
  it('asks for the finding id in the event\'s region, for GuardDuty\'s own finding events only', () => {
    const event = multiEni();
    expect(findingLookupOf(event)).toEqual({ findingId: '4ec5f3a1b2d94e8f9a0b1c2d3e4f5a6b', region: 'eu-west-1' });
    expect(findingLookupOf({ ...event, source: 'firebreak.gameday' })).toMatchObject({ reason: expect.stringContaining('not a GuardDuty finding event') });
    expect(findingLookupOf({ ...event, 'detail-type': 'GuardDuty Malware Protection Object Scan Result' })).toMatchObject({ reason: expect.stringContaining('not a GuardDuty finding event') });
    expect(findingLookupOf({ ...event, region: 'evil.example.com/' })).toMatchObject({ reason: expect.stringContaining('not a region name') });
    expect(findingLookupOf(withField(event, ['detail', 'id'], '../../x') as Json)).toMatchObject({ reason: expect.stringContaining('not a GuardDuty finding id') });
  });
});
