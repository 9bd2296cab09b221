import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { childIncidentKey, childKeySuffix, placementHash } from '../../lib/incident/keys';
import { perInstanceKey } from '../../lib/playbooks/per-instance';
import type { IncidentRecord } from '../../lib/operator/incident-report';
import { buildIncidentReport, reportConsistencyProblems } from '../../lib/operator/incident-report';
import { renderIncidentReportMarkdown } from '../../lib/operator/incident-report-render';
import type { IncidentSummary } from '../../lib/operator/incidents';
import { childRefusal, childScanInput, nestChildren, readGatheredIncident } from '../../lib/operator/incidents';
import type { IncidentRecordEntry, IncidentRecordHeader } from '../../lib/responders/incident-record';

const PARENT = 'gd-c3e5a7c9e1b3d5f7a9c1e3b5d7f9a1c3';
const HOME = { account: '111122223333', region: 'eu-west-1' };
const RECEIVED = '2026-11-20T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(RECEIVED) + seconds * 1000).toISOString();

function entry(step: string, from: number, to: number, status: string, extra: Partial<IncidentRecordEntry> = {}): IncidentRecordEntry {
  return { step, startedAt: at(from), endedAt: at(to), outcome: 'succeeded', status, mode: 'enforce', actions: [], ...extra };
}

function header(key: string, extra: Partial<IncidentRecordHeader> = {}): IncidentRecordHeader {
  return { incidentKey: key, ...HOME, receivedAt: RECEIVED, findingType: 'AttackSequence:EC2/CompromisedInstanceGroup', ...extra };
}

function record(key: string, entries: IncidentRecordEntry[], extra: Partial<IncidentRecordHeader> = {}): IncidentRecord {
  return { header: header(key, extra), entries, invalidEntries: 0, approvals: [] };
}

const web1 = perInstanceKey(PARENT, 'i-0a1b2c3d4e5f60718', HOME, HOME);
const web2 = perInstanceKey(PARENT, 'i-0b7c6d5e4f3a21908', HOME, HOME);
const parent = record(PARENT, [
  entry('triage', 0.3, 0.35, 'start-playbook', { playbook: 'attack-sequence-ec2', children: [web1, web2] }),
  entry('publish-alert', 9, 9.1, 'published', { alertKind: 'report' }),
]);
const child = (key: string, resource: string, containedAt: number) =>
  record(
    key,
    [
      entry('containment-guard', 1, 1.5, 'proceed'),
      entry('quarantine-instance', 2, containedAt, 'quarantined', { actions: [{ api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-1', outcome: 'done', detail: 'isolated' }] }),
    ],
    { resource },
  );

describe('child incident keys', () => {
  it('finds the suffix of a child key, the plain form and the shortened one, and refuses a look-alike', () => {
    expect(childKeySuffix(PARENT, web1)).toBe('-i-0a1b2c3d4e5f60718');
    const long = `gameday-gd-${'b'.repeat(40)}`;
    const foreign = perInstanceKey(long, 'i-0123456789abcdef0', { account: '444455556666', region: 'us-east-1' }, HOME);
    expect(foreign.length).toBe(64);
    expect(foreign.startsWith(long)).toBe(false);
    expect(childKeySuffix(long, foreign)).toBe(`-i-0123456789abcdef0-${placementHash('444455556666', 'us-east-1')}`);
    // Any suffix built the same way (a credential child) is recognised too.
    expect(childKeySuffix(PARENT, childIncidentKey(PARENT, '-AKIAEXAMPLEKEY12345'))).toBe('-AKIAEXAMPLEKEY12345');
    // A key that only looks like a shortened child (wrong hash), another incident's key, the key itself.
    expect(childKeySuffix(long, `${foreign.slice(0, -30)}${'0'.repeat(8)}${foreign.slice(-22)}`)).toBeUndefined();
    expect(childKeySuffix(PARENT, 'gd-ffffffffffffffffffffffffffffffff-i-0a1b2c3d4e5f60718')).toBeUndefined();
    expect(childKeySuffix(PARENT, PARENT)).toBeUndefined();
  });

  it('ATTACK: refuses a key that only starts with the parent key (a game-day finding id chosen to look like a child)', () => {
    expect(childKeySuffix(PARENT, `${PARENT}-role-0123456789ab`)).toBe('-role-0123456789ab');
    const suffix = `-key-0123456789abcdef-${placementHash('444455556666', 'us-east-1')}`;
    expect(childKeySuffix(PARENT, childIncidentKey(PARENT, suffix))).toBe(suffix);
    for (const lookAlike of [`${PARENT}-abc`, `${PARENT}-AKIAFAKE`, `${PARENT}-i-0a1b2c3d4e5f60718-extra`, `${PARENT}-role-XYZ`, `${PARENT}--i-0a1b2c3d4e5f60718`]) {
      expect(childKeySuffix(PARENT, lookAlike), lookAlike).toBeUndefined();
    }
    const parent = { incidentKey: PARENT, account: '111122223333', region: 'eu-west-1' };
    expect(childRefusal(parent, { incidentKey: `${PARENT}-AKIAFAKE`, account: '111122223333', region: 'eu-west-1' })).toMatch(/not derived/);
  });
});

describe('childRefusal (a child record is a claim)', () => {
  it("gathers a child of the parent's account and Region, and one elsewhere whose key binds that placement", () => {
    expect(childRefusal(header(PARENT), header(web1))).toBeUndefined();
    const elsewhere = perInstanceKey(PARENT, 'i-0c1d2e3f4a5b60719', { account: '444455556666', region: 'us-east-1' }, HOME);
    expect(childRefusal(header(PARENT), header(elsewhere, { account: '444455556666', region: 'us-east-1' }))).toBeUndefined();
  });

  it('refuses a child whose header names another account than its key binds, or whose key is not derived from the parent', () => {
    expect(childRefusal(header(PARENT), header(web1, { account: '999988887777' }))).toMatch(/names account 999988887777/);
    const elsewhere = perInstanceKey(PARENT, 'i-0c1d2e3f4a5b60719', { account: '444455556666', region: 'us-east-1' }, HOME);
    expect(childRefusal(header(PARENT), header(elsewhere, { account: '999988887777', region: 'us-east-1' }))).toMatch(/does not bind/);
    expect(childRefusal(header(PARENT), header('gd-other-i-0a1b2c3d4e5f60718'))).toMatch(/not derived/);
  });
});

describe('the gathered report of a sequence', () => {
  const children = [child(web1, 'i-0a1b2c3d4e5f60718', 4), child(web2, 'i-0b7c6d5e4f3a21908', 6)];
  const report = buildIncidentReport(parent, undefined, { children });

  it("holds every child's steps, marked with the child key, and measures containment to the last resource isolated", () => {
    expect(report.timeline.map((row) => [row.incidentKey ?? PARENT, row.step])).toEqual([
      [PARENT, 'triage'],
      [web1, 'containment-guard'],
      [web2, 'containment-guard'],
      [web1, 'quarantine-instance'],
      [web2, 'quarantine-instance'],
      [PARENT, 'publish-alert'],
    ]);
    expect(report.phases.find((phase) => phase.name === 'containment')).toMatchObject({ at: at(6), sinceReceivedMs: 6000, by: 'quarantine-instance: quarantined (the first at +4.0 s)' });
    expect(report.phases.find((phase) => phase.name === 'triage')).toMatchObject({ sinceReceivedMs: 350, by: 'triage: start-playbook' });
    expect(report.status).toBe('contained');
    expect(report.children?.map((item) => [item.key, item.status, item.containedSinceReceivedMs])).toEqual([
      [web1, 'contained', 4000],
      [web2, 'contained', 6000],
    ]);
    expect(report.done.map((action) => action.incidentKey)).toEqual([web1, web2]);
    expect(report.followUps.filter((text) => text.includes('still quarantined'))).toHaveLength(2);
    expect(reportConsistencyProblems(report)).toEqual([]);
  });

  it('renders one section per resource and the child key on every row', () => {
    const markdown = renderIncidentReportMarkdown(report);
    expect(markdown).toContain('## Resources (one child incident each)');
    expect(markdown).toContain(`| ${web2} | i-0b7c6d5e4f3a21908 | 111122223333 | eu-west-1 | contained | 6.0 s | 2 |`);
    expect(markdown).toContain('| Incident | Started | From receipt |');
  });

  it('is unchanged for an incident without children', () => {
    const single = buildIncidentReport(parent);
    expect(single.children).toBeUndefined();
    expect(renderIncidentReportMarkdown(single)).not.toContain('| Incident |');
  });
});

const ddb = mockClient(DynamoDBClient);
beforeEach(() => ddb.reset());

function item(value: IncidentRecord): Record<string, unknown> {
  return {
    pk: { S: `incident#${value.header.incidentKey}` },
    account: { S: value.header.account },
    region: { S: value.header.region },
    ...(value.header.resource ? { resource: { S: value.header.resource } } : {}),
    receivedAt: { S: RECEIVED },
    entries: { L: value.entries.map((one) => ({ S: JSON.stringify(one) })) },
  };
}

describe('readGatheredIncident', () => {
  it('reads the children triage claims and those found by prefix, and leaves out a child of another account', async () => {
    const forged = record(web2, [entry('quarantine-instance', 2, 3, 'quarantined')], { account: '999988887777', resource: 'i-0b7c6d5e4f3a21908' });
    const records = new Map([PARENT, web1, web2].map((key) => [`incident#${key}`, key === PARENT ? parent : key === web1 ? child(web1, 'i-0a1b2c3d4e5f60718', 4) : forged]));
    ddb.on(GetItemCommand).callsFake((input: { Key: { pk: { S: string } } }) => {
      const found = records.get(input.Key.pk.S);
      return found ? { Item: item(found) } : {};
    });
    // The prefix Scan finds a look-alike too: a key under the prefix that is not a child (no such item).
    ddb.on(ScanCommand).resolves({ Items: [{ pk: { S: `incident#${web1}` } }, { pk: { S: `incident#${PARENT}-x` } }] });
    const gathered = await readGatheredIncident(new DynamoDBClient({}), 'state', PARENT);
    expect(ddb.commandCalls(ScanCommand)[0]!.args[0].input).toEqual(childScanInput('state', PARENT));
    expect(childScanInput('state', PARENT)).toEqual({ TableName: 'state', FilterExpression: 'begins_with(pk, :prefix)', ExpressionAttributeValues: { ':prefix': { S: `incident#${PARENT}-` } }, ProjectionExpression: 'pk' });
    expect(gathered?.children.map((one) => one.header.incidentKey)).toEqual([web1]);
    // A key the Scan found under the prefix that is no child key is listed as refused, with why.
    expect(gathered?.refused).toEqual([
      { key: web2, reason: expect.stringMatching(/names account 999988887777/) as unknown },
      { key: `${PARENT}-x`, reason: expect.stringMatching(/not derived from/) as unknown },
    ]);
    const report = buildIncidentReport(gathered!.record, undefined, gathered!);
    expect(report.refusedChildren).toHaveLength(2);
    expect(renderIncidentReportMarkdown(report)).toContain(`Child record ${web2} is left out: its header names account 999988887777`);
    expect(report.timeline.some((row) => row.incidentKey === web2)).toBe(false);
  });
});

describe('nestChildren', () => {
  const summary = (key: string, status: IncidentSummary['status'], extra: Partial<IncidentSummary> = {}): IncidentSummary => ({ key, status, ...HOME, steps: 1, gameDay: false, ...extra });
  it('lists a sequence once with its children under it, and its status over the whole', () => {
    const nested = nestChildren([summary(PARENT, 'open'), summary(web1, 'contained'), summary(web2, 'open'), summary('gd-other', 'open')]);
    expect(nested.map((incident) => [incident.key, incident.status, incident.children?.map((one) => one.key)])).toEqual([
      [PARENT, 'contained', [web1, web2]],
      ['gd-other', 'open', undefined],
    ]);
  });
  it('keeps a child of another account on its own, and nests a shortened child its parent claims', () => {
    const long = `gameday-gd-${'b'.repeat(40)}`;
    const foreign = perInstanceKey(long, 'i-0123456789abcdef0', { account: '444455556666', region: 'us-east-1' }, HOME);
    const nested = nestChildren(
      [summary(PARENT, 'open'), summary(web1, 'contained', { account: '999988887777' }), summary(long, 'open'), summary(foreign, 'contained', { account: '444455556666', region: 'us-east-1' })],
      new Map([[long, [foreign]]]),
    );
    expect(nested.map((incident) => [incident.key, incident.children?.map((one) => one.key)])).toEqual([
      [PARENT, undefined],
      [web1, undefined],
      [long, [foreign]],
    ]);
  });
});
