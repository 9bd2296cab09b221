/**
 * The incident stays within its share of a Step Functions payload whatever the event lists: the
 * instance's tags, network interfaces and security groups are capped and cut as EC2 allows them,
 * alert-only sections are left out past the incident's budget, and the incident says what was.
 */
import { describe, expect, it } from 'vitest';
import { payloadBytes } from '../../lib/contracts/payload-size';
import { INCIDENT_BUDGET_BYTES, describeClipping, leanIncident, withinIncidentBudget } from '../../lib/incident/budget';
import type { Ec2InstanceResource, Incident } from '../../lib/incident/model';
import { parseEvent } from '../../lib/incident/parse';
import { clone, fixtureEvent } from './events';

const receivedAt = new Date('2026-04-01T12:00:00.000Z');
const EMOJI = '\u{1F600}';

type Finding = { detail: { resource: { instanceDetails: { tags?: unknown[]; networkInterfaces: Record<string, unknown>[] } } } };

/** The multi-ENI C2 finding, with `change` applied to its instance details. */
function finding(change: (details: Finding['detail']['resource']['instanceDetails']) => void): Finding {
  const event = clone(fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json')) as Finding;
  change(event.detail.resource.instanceDetails);
  return event;
}

function ec2(incident: Incident): Ec2InstanceResource {
  if (incident.resource.kind !== 'ec2-instance') throw new Error(`expected an ec2-instance resource, got ${incident.resource.kind}`);
  return incident.resource;
}

/** 50 tags of EC2's longest key and value, in 4-byte characters (an attacker tagging their own instance). */
const maxEmojiTags = Array.from({ length: 50 }, (_, i) => ({ key: `${String(i).padStart(2, '0')}${EMOJI.repeat(126)}`, value: EMOJI.repeat(256) }));

describe('findingToIncident: the instance lists an attacker controls', () => {
  it('keeps 50 maximal emoji tags within the tags budget, counting those left out', () => {
    const incident = parseEvent(finding((details) => (details.tags = maxEmojiTags)), { receivedAt });
    const tags = ec2(incident).tags;
    expect(payloadBytes(tags)).toBeLessThanOrEqual(16 * 1024);
    expect(Object.keys(tags).length).toBeGreaterThan(0);
    expect(incident.clipped).toEqual({ tags: 50 - Object.keys(tags).length, networkInterfaces: 0, securityGroups: 0, texts: 0, sections: [] });
  });

  it('cuts a tag key or value past the length EC2 allows, counting characters as EC2 does', () => {
    const incident = parseEvent(
      finding((details) => (details.tags = [{ key: 'k'.repeat(200), value: 'v'.repeat(300) }, { key: EMOJI.repeat(128), value: EMOJI.repeat(256) }])),
      { receivedAt },
    );
    const tags = ec2(incident).tags;
    // Code points, not UTF-16 units: 128 emoji are a key EC2 allows, kept whole.
    expect(tags[EMOJI.repeat(128)]).toBe(EMOJI.repeat(256));
    expect(tags[`${'k'.repeat(127)}…`]).toBe(`${'v'.repeat(255)}…`);
    expect(incident.clipped).toMatchObject({ tags: 0, texts: 2 });
  });

  it('caps network interfaces and their security groups', () => {
    const incident = parseEvent(
      finding((details) => {
        const eni = details.networkInterfaces[0]!;
        details.networkInterfaces = Array.from({ length: 500 }, (_, i) => ({
          ...eni,
          networkInterfaceId: `eni-0${i.toString(16).padStart(16, '0')}`,
          securityGroups: Array.from({ length: 20 }, (_, g) => ({ groupId: `sg-0${g.toString(16).padStart(16, '0')}`, groupName: 'g'.repeat(300) })),
        }));
      }),
      { receivedAt },
    );
    const interfaces = ec2(incident).networkInterfaces;
    expect(payloadBytes(interfaces)).toBeLessThanOrEqual(16 * 1024);
    expect(interfaces.every((eni) => eni.securityGroups.length === 16)).toBe(true);
    expect(interfaces[0]!.securityGroups[0]!.groupName).toBe(`${'g'.repeat(254)}…`);
    expect(incident.clipped).toMatchObject({ networkInterfaces: 500 - interfaces.length, securityGroups: 64 * 4 });
  });

  it('marks nothing on an ordinary finding', () => {
    expect(parseEvent(finding(() => undefined), { receivedAt }).clipped).toBeUndefined();
  });
});

describe('withinIncidentBudget', () => {
  const base = parseEvent(finding((details) => (details.tags = [{ key: 'Name', value: 'web-1' }])), { receivedAt });

  it('leaves an incident within its budget as it is', () => {
    expect(withinIncidentBudget(base)).toBe(base);
  });

  it('leaves out alert-only sections, in order, until the incident fits, and names them', () => {
    const signal = { type: 'FINDING', name: { untrusted: 'x' }, description: { untrusted: '說'.repeat(2000) }, resourceUids: [], actorIds: [], endpointIds: [] };
    const large: Incident = { ...base, description: '說'.repeat(8000), signals: Array.from({ length: 20 }, () => signal) };
    const fitted = withinIncidentBudget(large);
    expect(payloadBytes(large)).toBeGreaterThan(INCIDENT_BUDGET_BYTES);
    expect(payloadBytes(fitted)).toBeLessThanOrEqual(INCIDENT_BUDGET_BYTES);
    // The tags go first (they were tried), then the signals; the description fitted and stays.
    expect(fitted.clipped?.sections).toEqual(['tags', 'networkInterfaces', 'signals']);
    expect(fitted.description).toBe(large.description);
    expect(fitted.resource).toMatchObject({ kind: 'ec2-instance', instanceId: ec2(base).instanceId, tags: {}, networkInterfaces: [] });
  });

  it('is deterministic: the same event gives the same incident, byte for byte', () => {
    const event = finding((details) => (details.tags = maxEmojiTags));
    expect(JSON.stringify(parseEvent(event, { receivedAt }))).toBe(JSON.stringify(parseEvent(clone(event), { receivedAt })));
  });
});

describe('leanIncident', () => {
  const base = parseEvent(clone(fixtureEvent('guardduty-ec2-backdoor-c2activity-multi-eni.json')), { receivedAt });

  it('leaves out every section that can be large and the affected resources, in order, keeping the description', () => {
    const signal = { type: 'FINDING', name: { untrusted: 'x' }, description: { untrusted: 'y' }, resourceUids: [], actorIds: [], endpointIds: [] };
    const full: Incident = { ...base, signals: [signal], affected: [{ kind: 'ec2-instance', from: 'resource', instanceId: ec2(base).instanceId }] };
    const lean = leanIncident(full);
    expect(ec2(base).networkInterfaces.length).toBeGreaterThan(0);
    expect(lean.clipped?.sections).toEqual([...(Object.keys(ec2(base).tags).length > 0 ? ['tags'] : []), 'networkInterfaces', 'signals', 'affected']);
    expect(lean.description).toBe(full.description);
    expect(lean.signals).toBeUndefined();
    expect(lean.affected).toBeUndefined();
    expect(lean.resource).toMatchObject({ kind: 'ec2-instance', instanceId: ec2(base).instanceId, tags: {}, networkInterfaces: [] });
  });
});

describe('describeClipping', () => {
  it('says what was left out, for the alert', () => {
    expect(describeClipping({ tags: 3, networkInterfaces: 0, securityGroups: 2, texts: 1, sections: ['signals'] })).toBe(
      "Shortened to fit a Step Functions payload (256 KiB): 3 tag(s) left out; 2 security group(s) left out; 1 tag or group name(s) cut to EC2's length; left out whole: signals. The finding itself (GuardDuty console) has everything.",
    );
    expect(describeClipping(undefined)).toBeUndefined();
  });
});
