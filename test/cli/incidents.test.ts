import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import type { IncidentCliDependencies } from '../../lib/cli/incidents';
import { createIncidentCommands, incidentFilter, timeFlag } from '../../lib/cli/incidents';
import { childIncidentKey, sha256Hex } from '../../lib/incident/keys';
import type { IncidentRecordEntry } from '../../lib/responders/incident-record';
import { LiveSetupError } from '../../lib/operator/errors';

const sts = mockClient(STSClient);
const cloudFormation = mockClient(CloudFormationClient);
const dynamodb = mockClient(DynamoDBClient);
const kms = mockClient(KMSClient);
const NOW = new Date('2026-11-21T12:00:00.000Z');
const TABLE = 'Firebreak-StateTable-1A2B3C';

function entry(step: string, status: string, seconds: number, extra: Partial<IncidentRecordEntry> = {}): IncidentRecordEntry {
  const at = new Date(Date.parse('2026-11-20T10:00:00.000Z') + seconds * 1000).toISOString();
  return { step, startedAt: at, endedAt: at, outcome: 'succeeded', status, mode: 'enforce', actions: [], ...extra };
}

function item(key: string, account: string, entries: IncidentRecordEntry[]) {
  return {
    pk: { S: `incident#${key}` },
    account: { S: account },
    region: { S: 'eu-west-1' },
    findingType: { S: 'Backdoor:EC2/C&CActivity.B' },
    severityLabel: { S: 'High' },
    resource: { S: 'i-0abc1234def567890' },
    receivedAt: { S: '2026-11-20T10:00:00.000Z' },
    entries: { L: entries.map((one) => ({ S: JSON.stringify(one) })) },
  };
}

interface Run {
  code: number;
  out: string[];
  err: string[];
  files: Map<string, string>;
}

async function run(argv: string[], overrides: Partial<IncidentCliDependencies> = {}): Promise<Run> {
  const result: Run = { code: 0, out: [], err: [], files: new Map() };
  const program = new Command().exitOverride();
  createIncidentCommands({
    makeClients: (region) => ({
      sts: new STSClient({ region: region ?? 'eu-west-1' }),
      cloudFormation: new CloudFormationClient({ region: region ?? 'eu-west-1' }),
      dynamodb: new DynamoDBClient({ region: region ?? 'eu-west-1' }),
      kms: new KMSClient({ region: region ?? 'eu-west-1' }),
    }),
    out: (text) => result.out.push(text),
    err: (text) => result.err.push(text),
    writeFile: async (path, text) => {
      result.files.set(path, text);
    },
    now: () => NOW,
    ...overrides,
  })(program, (code) => {
    result.code = Math.max(result.code, code);
  });
  await program.parseAsync(['node', 'firebreak', ...argv]);
  return result;
}

beforeEach(() => {
  sts.reset();
  cloudFormation.reset();
  dynamodb.reset();
  kms.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333', Arn: 'arn:aws:sts::111122223333:assumed-role/oncall/alice' });
  cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Firebreak', StackStatus: 'UPDATE_COMPLETE', CreationTime: NOW, Outputs: [{ OutputKey: 'StateTableName', OutputValue: TABLE }] }] });
});

describe('firebreak incidents', () => {
  it("reads the state table from the stack output and scans the incident# items with the filters DynamoDB can apply", async () => {
    dynamodb.on(ScanCommand).resolvesOnce({ Items: [item('gd-1', '111122223333', [entry('quarantine-instance', 'quarantined', 3)])], LastEvaluatedKey: { pk: { S: 'incident#gd-1' } } }).resolvesOnce({
      Items: [item('gd-2', '111122223333', [entry('containment-guard', 'proceed', 1)])],
    });
    const result = await run(['incidents', '--account', '111122223333', '--since', '24h', '--json']);
    expect(result.code).toBe(0);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]!.args[0].input).toEqual({ StackName: 'Firebreak' });
    const scans = dynamodb.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(scans).toEqual([
      {
        TableName: TABLE,
        FilterExpression:
          'begins_with(pk, :prefix) AND (triageFacts.account = :account OR (attribute_not_exists(triageFacts) AND account = :account)) ' +
          'AND (triageFacts.receivedAt >= :since OR (attribute_not_exists(triageFacts) AND receivedAt >= :since))',
        ExpressionAttributeValues: { ':prefix': { S: 'incident#' }, ':account': { S: '111122223333' }, ':since': { S: '2026-11-20T12:00:00.000Z' } },
      },
      {
        TableName: TABLE,
        FilterExpression:
          'begins_with(pk, :prefix) AND (triageFacts.account = :account OR (attribute_not_exists(triageFacts) AND account = :account)) ' +
          'AND (triageFacts.receivedAt >= :since OR (attribute_not_exists(triageFacts) AND receivedAt >= :since))',
        ExpressionAttributeValues: { ':prefix': { S: 'incident#' }, ':account': { S: '111122223333' }, ':since': { S: '2026-11-20T12:00:00.000Z' } },
        ExclusiveStartKey: { pk: { S: 'incident#gd-1' } },
      },
    ]);
    const listed = JSON.parse(result.out.join('\n')) as { incidents: { key: string; status: string }[] };
    expect(listed.incidents.map((incident) => [incident.key, incident.status])).toEqual([
      ['gd-1', 'contained'],
      ['gd-2', 'open'],
    ]);
  });

  it('filters by status after reading (the status is what the entries say), and takes the table from --table without the stack', async () => {
    dynamodb.on(ScanCommand).resolves({ Items: [item('gd-1', '111122223333', [entry('quarantine-instance', 'quarantined', 3)]), item('gd-2', '111122223333', [])] });
    const result = await run(['incidents', '--status', 'contained', '--table', TABLE]);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(0);
    expect(result.out.at(-1)).toBe(`1 incident(s) in ${TABLE}`);
    expect(result.out[0]).toContain('contained');
    expect(result.out[0]).toContain('gd-1');
  });

  it("lists a sequence once, its per-instance incidents under it, and filters on the sequence's status", async () => {
    dynamodb.on(ScanCommand).resolves({
      Items: [
        item('gd-seq', '111122223333', [entry('publish-alert', 'published', 9)]),
        item('gd-seq-i-0abc1234def567890', '111122223333', [entry('quarantine-instance', 'quarantined', 3)]),
        item('gd-seq-i-0fff1234def567890', '111122223333', [entry('containment-guard', 'evidence-only', 2)]),
      ],
    });
    const text = await run(['incidents', '--table', TABLE, '--status', 'contained']);
    expect(text.out[0]).toMatch(/contained .*gd-seq$/);
    expect(text.out.slice(1, 3)).toEqual([expect.stringMatching(/^ {2}└ .*gd-seq-i-0abc1234def567890$/), expect.stringMatching(/^ {2}└ .*open .*gd-seq-i-0fff1234def567890$/)]);
    expect(text.out.at(-1)).toBe(`1 incident(s) in ${TABLE}`);
    const json = JSON.parse((await run(['incidents', '--table', TABLE, '--json'])).out.join('\n')) as { incidents: { key: string; children?: { key: string }[] }[] };
    expect(json.incidents.map((incident) => [incident.key, incident.children?.map((child) => child.key)])).toEqual([['gd-seq', ['gd-seq-i-0abc1234def567890', 'gd-seq-i-0fff1234def567890']]]);
  });

  it('exits 2 on a bad flag, naming it, before any AWS call', async () => {
    const result = await run(['incidents', '--status', 'closed']);
    expect(result.code).toBe(2);
    expect(result.err[0]).toMatch(/--status must be one of open, contained, released, failed/);
    expect(sts.calls()).toHaveLength(0);
    expect(() => incidentFilter({ since: 'last week' }, NOW)).toThrow(/--since must be an ISO 8601 date or time/);
    expect(() => incidentFilter({ account: '1234' }, NOW)).toThrow(/--account must be a 12-digit account id/);
  });

  it('reads --since/--until as an age N[mhd] or a strict ISO 8601 date or time, and nothing else', () => {
    expect(timeFlag('--since', '24h', NOW)).toBe(new Date(NOW.getTime() - 86_400_000).toISOString());
    expect(timeFlag('--since', '30m', NOW)).toBe(new Date(NOW.getTime() - 1_800_000).toISOString());
    expect(timeFlag('--since', '3650d', NOW)).toBe(new Date(NOW.getTime() - 3650 * 86_400_000).toISOString());
    expect(timeFlag('--until', '2026-12-03', NOW)).toBe('2026-12-03T00:00:00.000Z');
    expect(timeFlag('--until', '2026-12-03T10:00:00Z', NOW)).toBe('2026-12-03T10:00:00.000Z');
    expect(timeFlag('--until', '2026-12-03T10:00Z', NOW)).toBe('2026-12-03T10:00:00.000Z');
    expect(timeFlag('--until', '2026-12-03T10:00:00.250+02:00', NOW)).toBe('2026-12-03T08:00:00.250Z');
    // A bare number is no date: V8's legacy parser reads "7" as 2001-07-01, so an operator meaning 7 days got 2001.
    for (const value of ['7', '1', '2025', '30', '7 d', 'last week', 'Dec 3 2026', '2026-12-03 10:00', '2026-12-03T10:00:00', '2026-02-30', '2026-13-01', '2026-12-03T24:00Z', '']) {
      expect(() => timeFlag('--since', value, NOW), value).toThrow(LiveSetupError);
      expect(() => timeFlag('--since', value, NOW), value).toThrow(/^--since must be /);
    }
    expect(() => timeFlag('--since', '7', NOW)).toThrow('--since must be an ISO 8601 date or time (2026-12-03, 2026-12-03T10:00:00Z) or an age such as 30m, 24h, 7d; got "7" (an age needs its unit: 7d?)');
  });

  it('refuses an age beyond ten years, naming the flag, rather than failing to build the date', () => {
    for (const value of ['3651d', '87601h', '9999999999999999999999d']) {
      expect(() => timeFlag('--until', value, NOW), value).toThrow(LiveSetupError);
      expect(() => timeFlag('--until', value, NOW), value).toThrow(/^--until: an age of at most 3650d \(ten years\)/);
    }
  });

  it('refuses a range that starts after it ends, rather than listing nothing', async () => {
    expect(() => incidentFilter({ since: '1d', until: '7d' }, NOW)).toThrow(/^--since \(.*\) is after --until \(.*\): no incident can be in this range$/);
    expect(incidentFilter({ since: '7d', until: '1d' }, NOW)).toMatchObject({ since: expect.any(String), until: expect.any(String) });
    const result = await run(['incidents', '--since', '1d', '--until', '7d']);
    expect(result.code).toBe(2);
    expect(result.err[0]).toMatch(/--since .* is after --until/);
    expect(sts.calls()).toHaveLength(0);
  });

  it('exits 2 with a plain message when DynamoDB refuses', async () => {
    dynamodb.on(ScanCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException', $metadata: {} }));
    const result = await run(['incidents', '--table', TABLE]);
    expect(result.code).toBe(2);
    expect(result.err[0]).toMatch(/not allowed to call dynamodb:Scan/);
  });
});

describe('firebreak incident <key> and report <key>', () => {
  // The child incidents (a sequence's per-instance records): none here, found by a prefix Scan.
  beforeEach(() => {
    dynamodb.on(ScanCommand).resolves({ Items: [] });
  });

  it("reads one record with a consistent GetItem and the approval of each execution that asked for one", async () => {
    const execution = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-compromised-ec2-instance:gd-1';
    dynamodb.on(GetItemCommand, { Key: { pk: { S: 'incident#gd-1' } } }).resolves({
      Item: item('gd-1', '111122223333', [entry('containment-guard', 'needs-approval', 1), entry('publish-alert', 'published', 2, { alertKind: 'approval-request', executionArn: execution })]),
    });
    dynamodb.on(GetItemCommand, { Key: { pk: { S: `approval#${execution}` } } }).resolves({
      Item: {
        pk: { S: `approval#${execution}` },
        executionArn: { S: execution },
        incidentKey: { S: 'gd-1' },
        requestedAt: { S: '2026-11-20T10:00:02.000Z' },
        decision: { S: 'approved' },
        decidedBy: { S: 'arn:aws:sts::111122223333:assumed-role/oncall/alice' },
        decidedAt: { S: '2026-11-20T10:05:02.000Z' },
        taskToken: { S: 'token' },
        playbook: { S: 'compromised-ec2-instance' },
        account: { S: '111122223333' },
        region: { S: 'eu-west-1' },
        waitingSteps: { L: [] },
        timeoutSeconds: { N: '900' },
      },
    });
    const result = await run(['incident', 'gd-1']);
    expect(result.code).toBe(0);
    expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: { pk: { S: 'incident#gd-1' } }, ConsistentRead: true },
      { TableName: TABLE, Key: { pk: { S: `approval#${execution}` } }, ConsistentRead: true },
    ]);
    expect(result.out.join('\n')).toContain('phase approval: 5 min 2 s from receipt (approved by arn:aws:sts::111122223333:assumed-role/oncall/alice)');
    expect(dynamodb.commandCalls(ScanCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, FilterExpression: 'begins_with(pk, :prefix)', ExpressionAttributeValues: { ':prefix': { S: 'incident#gd-1-' } }, ProjectionExpression: 'pk' },
    ]);
  });

  it('exits 1 when the table holds no record for the key, 2 for a key that cannot be one', async () => {
    dynamodb.on(GetItemCommand).resolves({});
    const missing = await run(['report', 'gd-unknown']);
    expect(missing.code).toBe(1);
    expect(missing.err[0]).toMatch(/no incident record gd-unknown/);
    const bad = await run(['report', 'incident#gd-1']);
    expect(bad.code).toBe(2);
  });

  it('writes the report as <out>/<key>.md and <out>/<key>.html', async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: item('gd-1', '111122223333', [entry('quarantine-instance', 'quarantined', 3)]) });
    const result = await run(['report', 'gd-1', '--out', 'reports', '--containment-target', '2']);
    expect(result.code).toBe(0);
    expect([...result.files.keys()]).toEqual(['reports/gd-1.md', 'reports/gd-1.html']);
    expect(result.files.get('reports/gd-1.md')).toContain('took 3.0 s from receipt, over the target of 2.0 s');
    expect(result.files.get('reports/gd-1.html')).toContain('<!DOCTYPE html>');
  });

  it("measures containment against the deployed stack's ContainmentTargetSeconds output (the alarm's target)", async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'Firebreak', StackStatus: 'UPDATE_COMPLETE', CreationTime: NOW, Outputs: [{ OutputKey: 'StateTableName', OutputValue: TABLE }, { OutputKey: 'ContainmentTargetSeconds', OutputValue: '2' }] }],
    });
    dynamodb.on(GetItemCommand).resolves({ Item: item('gd-1', '111122223333', [entry('quarantine-instance', 'quarantined', 3)]) });
    const result = await run(['report', 'gd-1', '--out', 'reports']);
    expect(result.code).toBe(0);
    expect(result.files.get('reports/gd-1.md')).toContain('took 3.0 s from receipt, over the target of 2.0 s');
    expect(result.out.join('\n')).toContain('containment target 2.0 s from stack Firebreak (ContainmentTargetSeconds)');
    // --containment-target overrides the stack's.
    const overridden = await run(['report', 'gd-1', '--out', 'reports', '--containment-target', '10', '--json']);
    const json = JSON.parse(overridden.out.join('\n')) as { containmentTarget: { ms: number; source: string }; report: { lessons: string[] } };
    expect(json.containmentTarget).toEqual({ ms: 10_000, source: '--containment-target' });
    expect(json.report.lessons.join(' ')).not.toContain('over the target');
  });

  it('falls back to the deployment default (120 s) and says so when the stack has no target output, or with --table', async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: item('gd-1', '111122223333', [entry('quarantine-instance', 'quarantined', 130)]) });
    const fromStack = await run(['report', 'gd-1', '--out', 'reports']);
    expect(fromStack.out.join('\n')).toContain('containment target 2 min 0 s from the deployment default (stack Firebreak has no ContainmentTargetSeconds output; pass --containment-target)');
    expect(fromStack.files.get('reports/gd-1.md')).toContain('over the target of 2 min 0 s');
    const fromTable = await run(['report', 'gd-1', '--out', 'reports', '--table', TABLE]);
    expect(fromTable.out.join('\n')).toContain('from the deployment default (--table reads no stack; pass --containment-target)');
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });

  describe('the custody record of each evidence snapshot (copy-evidence)', () => {
    const RECORD_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
    const SOURCE = 'snap-0123456789abcdef0';
    const COPY = 'snap-0fedcba9876543210';
    const CUSTODY = `custody#gd-1#${SOURCE}`;
    const MAC = Buffer.alloc(32, 7).toString('base64');
    const custody = (status: string) => ({
      incidentKey: 'gd-1',
      instanceId: 'i-0abc1234def567890',
      sourceAccount: '111122223333',
      region: 'eu-west-1',
      sourceVolumeId: 'vol-1',
      sourceSnapshotId: SOURCE,
      source: { json: '{}', sha256: sha256Hex('{}') },
      forensicAccount: '999988887777',
      copySnapshotId: COPY,
      kmsKeyId: 'arn:aws:kms:eu-west-1:999988887777:key/forensic',
      copiedBy: { responder: 'copy-evidence', forensicRoleArn: 'arn:aws:iam::999988887777:role/Forensic' },
      status,
      unshare: { removed: true, at: '2026-11-20T10:01:00.000Z', detail: 'removed', reason: 'drill-refused' },
      seal: { scheme: 'firebreak-evidence-custody/v1', algorithm: 'HMAC_SHA_256', keyId: RECORD_KEY, mac: MAC },
    });
    const stored = (status: string) => ({ Item: { pk: { S: CUSTODY }, status: { S: status }, revision: { N: '3' }, record: { S: JSON.stringify(custody(status)) } } });

    beforeEach(() => {
      cloudFormation.on(DescribeStacksCommand).resolves({
        Stacks: [{ StackName: 'Firebreak', StackStatus: 'UPDATE_COMPLETE', CreationTime: NOW, Outputs: [{ OutputKey: 'StateTableName', OutputValue: TABLE }, { OutputKey: 'RecordKeyArn', OutputValue: RECORD_KEY }] }],
      });
      dynamodb.on(GetItemCommand, { Key: { pk: { S: 'incident#gd-1' } } }).resolves({
        Item: item('gd-1', '111122223333', [entry('snapshot-volumes', 'snapshotted', 5, { actions: [{ api: 'ec2:CreateSnapshots', target: 'vol-1', outcome: 'done', detail: `Started ${SOURCE} of vol-1` }] })]),
      });
      kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256' });
    });

    it("ATTACK (report-custody): reads it with a consistent GetItem, checks its seal under the stack's RecordKeyArn, and names a drill's kept copy for deletion", async () => {
      dynamodb.on(GetItemCommand, { Key: { pk: { S: CUSTODY } } }).resolves(stored('refused-copy-kept'));
      const result = await run(['report', 'gd-1', '--out', 'reports']);
      expect(result.code).toBe(0);
      expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toContainEqual({ TableName: TABLE, Key: { pk: { S: CUSTODY } }, ConsistentRead: true });
      expect(kms.commandCalls(VerifyMacCommand).map((call) => call.args[0].input)).toEqual([expect.objectContaining({ KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256', Mac: Buffer.from(MAC, 'base64') })]);
      expect(result.files.get('reports/gd-1.md')).toContain(`- The drill's forensic copy ${COPY} of ${SOURCE} is kept in the forensic account 999988887777`);
    });

    it('ATTACK (report-custody): a record whose status the report does not know is named as such, never dropped as "no record" nor read as completed', async () => {
      dynamodb.on(GetItemCommand, { Key: { pk: { S: CUSTODY } } }).resolves(stored('archived'));
      const result = await run(['report', 'gd-1', '--out', 'reports', '--json']);
      const { report } = JSON.parse(result.out.join('\n')) as { report: { followUps: string[] } };
      expect(report.followUps).toEqual([
        `The custody record of ${SOURCE} could not be read and checked (its status "archived" is not one the report knows, so the stored record does not validate): check by hand whether ${SOURCE} is shared with the forensic account (its createVolumePermission) and whether a copy of it was made there.`,
      ]);
      // The same item with no record: nothing to say (copy-evidence writes the record before it shares anything).
      dynamodb.on(GetItemCommand, { Key: { pk: { S: CUSTODY } } }).resolves({});
      const none = await run(['report', 'gd-1', '--out', 'reports', '--json']);
      expect((JSON.parse(none.out.join('\n')) as { report: { followUps: string[] } }).report.followUps).toEqual([]);
    });
  });

  describe("a key a rerun found already Inactive, set so by an attempt that wrote no entry (its Lambda timed out)", () => {
    const KEY = 'AKIAQ3EGRW6JCEXAMPLE';
    const RECORD_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
    const CREDENTIAL = `credential#111122223333#access-key#${KEY}`;
    const MAC = Buffer.alloc(32, 9).toString('base64');
    const sealed = {
      kind: 'access-key',
      account: '111122223333',
      accessKeyId: KEY,
      userName: 'ci-deployer',
      incidentKey: 'gd-1',
      capturedAt: '2026-11-20T10:00:02.000Z',
      previousStatus: 'Active',
      deactivated: true,
      denyAllAttached: false,
      recordedBy: { responder: 'disable-access-key', executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-iam-user-key-compromise:gd-1-a' },
      seal: { scheme: 'firebreak-credential-record/v1', algorithm: 'HMAC_SHA_256', keyId: RECORD_KEY, mac: MAC },
    };

    beforeEach(() => {
      cloudFormation.on(DescribeStacksCommand).resolves({
        Stacks: [{ StackName: 'Firebreak', StackStatus: 'UPDATE_COMPLETE', CreationTime: NOW, Outputs: [{ OutputKey: 'StateTableName', OutputValue: TABLE }, { OutputKey: 'RecordKeyArn', OutputValue: RECORD_KEY }] }],
      });
      dynamodb.on(GetItemCommand, { Key: { pk: { S: 'incident#gd-1' } } }).resolves({
        Item: item('gd-1', '111122223333', [
          entry('publish-alert', 'published', 61, { alertKind: 'failure', failure: { step: 'disable-access-key', error: 'Sandbox.Timedout' } }),
          entry('disable-access-key', 'already-inactive', 70, { actions: [{ api: 'iam:UpdateAccessKey', target: KEY, outcome: 'already-done', detail: `${KEY} of user ci-deployer is already Inactive: nothing to change` }] }),
        ]),
      });
      dynamodb.on(GetItemCommand, { Key: { pk: { S: CREDENTIAL } } }).resolves({
        Item: { pk: { S: CREDENTIAL }, kind: { S: 'access-key' }, account: { S: '111122223333' }, incidentKey: { S: 'gd-1' }, released: { BOOL: false }, record: { S: JSON.stringify(sealed) } },
      });
    });

    it("reads its credential record and checks the seal under the stack's RecordKeyArn: verified, the key is this incident's containment, its time not recorded", async () => {
      kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256' });
      const result = await run(['report', 'gd-1', '--out', 'reports']);
      expect(result.code).toBe(0);
      expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toContainEqual({ TableName: TABLE, Key: { pk: { S: CREDENTIAL } }, ConsistentRead: true });
      expect(kms.commandCalls(VerifyMacCommand).map((call) => call.args[0].input)).toEqual([expect.objectContaining({ KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256', Mac: Buffer.from(MAC, 'base64') })]);
      const markdown = result.files.get('reports/gd-1.md') ?? '';
      expect(markdown).toContain('Status: contained.');
      expect(markdown).toMatch(/\| Containment \(access key disabled\) \| 2026-11-20T10:01:10\.000Z at the latest \(time not recorded\) \| at most 1 min 10 s \|/);
      expect(markdown).toContain(`${KEY} is still disabled`);
      const shown = await run(['incident', 'gd-1']);
      expect(shown.out.join('\n')).toContain('phase containment: at most 1 min 10 s from receipt (disable-access-key: already-inactive (set Inactive by this incident');
    });

    it('the record key refusing this identity VerifyMac (the deployment does not name it): not claimed, said to be not confirmed', async () => {
      kms.on(VerifyMacCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
      const result = await run(['report', 'gd-1', '--out', 'reports', '--json']);
      const { report } = JSON.parse(result.out.join('\n')) as { report: { status: string; followUps: string[] } };
      expect(report.status).toBe('failed');
      expect(report.followUps).toContainEqual(expect.stringContaining('is not confirmed: its credential record could not be read and checked (kms:VerifyMac AccessDeniedException on the record key'));
    });

    it('with --table (no stack, so no record key known): no KMS call, not claimed, said to be not confirmed', async () => {
      const result = await run(['report', 'gd-1', '--out', 'reports', '--table', TABLE]);
      expect(kms.calls()).toEqual([]);
      expect(result.files.get('reports/gd-1.md')).toContain('Status: failed.');
      expect(result.files.get('reports/gd-1.md')).toContain('no record key is known to check its seal with (--table reads no stack, whose RecordKeyArn output names it)');
    });

    describe('firebreak incidents: the same status as the report, from the same records', () => {
      const listedItem = () => item('gd-1', '111122223333', [
        entry('publish-alert', 'published', 61, { alertKind: 'failure', failure: { step: 'disable-access-key', error: 'Sandbox.Timedout' } }),
        entry('disable-access-key', 'already-inactive', 70, { actions: [{ api: 'iam:UpdateAccessKey', target: KEY, outcome: 'already-done', detail: `${KEY} of user ci-deployer is already Inactive: nothing to change` }] }),
      ]);
      beforeEach(() => {
        dynamodb.on(ScanCommand).resolves({ Items: [listedItem(), item('gd-2', '111122223333', [entry('quarantine-instance', 'quarantined', 3)])] });
      });

      it("verified under the stack's RecordKeyArn: listed contained, as the report says, with the report's GetItem and VerifyMac", async () => {
        kms.on(VerifyMacCommand).resolves({ MacValid: true, KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256' });
        const json = await run(['incidents', '--json']);
        expect(json.code).toBe(0);
        expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([{ TableName: TABLE, Key: { pk: { S: CREDENTIAL } }, ConsistentRead: true }]);
        expect(kms.commandCalls(VerifyMacCommand).map((call) => call.args[0].input)).toEqual([expect.objectContaining({ KeyId: RECORD_KEY, MacAlgorithm: 'HMAC_SHA_256', Mac: Buffer.from(MAC, 'base64') })]);
        const listed = JSON.parse(json.out.join('\n')) as { incidents: { key: string; status: string; keyRecords?: unknown }[]; keyRecords: unknown };
        expect(listed.incidents.find((incident) => incident.key === 'gd-1')).toMatchObject({ status: 'contained', keyRecords: { verified: true, confirmed: [KEY], notConfirmed: [] } });
        expect(listed.keyRecords).toEqual({ limit: 25, verified: 1, unverified: 0 });
        const text = await run(['incidents']);
        expect(text.out.find((line) => line.endsWith('gd-1'))).toMatch(/ contained /);
        const report = await run(['report', 'gd-1', '--out', 'reports', '--json']);
        expect((JSON.parse(report.out.join('\n')) as { report: { status: string } }).report.status).toBe('contained');
      });

      it('VerifyMac refused: listed as the entries say (failed), and the line says the containment is not confirmed', async () => {
        kms.on(VerifyMacCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
        const text = await run(['incidents']);
        expect(text.out.find((line) => line.includes('gd-1'))).toMatch(new RegExp(` failed .*gd-1  \\(containment of ${KEY} not confirmed: firebreak report gd-1 says why\\)$`));
        expect(text.out).toContainEqual(expect.stringContaining('1 incident(s) name a key found already Inactive whose credential record could not be read or verified'));
        expect(text.out.at(-1)).toBe(`2 incident(s) in ${TABLE}`);
        const listed = JSON.parse((await run(['incidents', '--json'])).out.join('\n')) as { incidents: { key: string; status: string; keyRecords?: unknown }[] };
        expect(listed.incidents.find((incident) => incident.key === 'gd-1')).toMatchObject({
          status: 'failed',
          keyRecords: { verified: true, confirmed: [], notConfirmed: [{ accessKeyId: KEY, reason: expect.stringContaining('kms:VerifyMac AccessDeniedException on the record key') }] },
        });
      });

      it('with --table: no KMS call, not confirmed, and why', async () => {
        const listed = JSON.parse((await run(['incidents', '--table', TABLE, '--json'])).out.join('\n')) as { incidents: { key: string; status: string; keyRecords?: unknown }[] };
        expect(kms.calls()).toEqual([]);
        expect(listed.incidents.find((incident) => incident.key === 'gd-1')).toMatchObject({ status: 'failed', keyRecords: { notConfirmed: [{ reason: expect.stringContaining('--table reads no stack') }] } });
      });

      it('--verify-limit bounds the reads: beyond it the incident is listed as its entries say, marked unverified, and the output says it stopped', async () => {
        const text = await run(['incidents', '--verify-limit', '0']);
        expect(dynamodb.commandCalls(GetItemCommand)).toEqual([]);
        expect(kms.calls()).toEqual([]);
        expect(text.out.find((line) => line.includes('gd-1'))).toMatch(new RegExp(` failed .*gd-1  \\(unverified: failed by its entries, could be contained once the credential record of ${KEY} is verified; not read past --verify-limit\\)$`));
        expect(text.out).toContainEqual(expect.stringContaining('Stopped verifying credential records after 0 incident(s) (--verify-limit 0): 1 incident(s) marked "unverified"'));
        const listed = JSON.parse((await run(['incidents', '--verify-limit', '0', '--json'])).out.join('\n')) as { incidents: { key: string; keyRecords?: unknown }[]; keyRecords: unknown };
        expect(listed.incidents.find((incident) => incident.key === 'gd-1')).toMatchObject({ status: 'failed', possibleStatuses: ['failed', 'contained'], keyRecords: { verified: false, accessKeyIds: [KEY] } });
        expect(listed.keyRecords).toEqual({ limit: 0, verified: 0, unverified: 1 });
        const bad = await run(['incidents', '--verify-limit', 'lots']);
        expect(bad.code).toBe(2);
        expect(bad.err.join('\n')).toContain('--verify-limit');
      });

      it('--status contained past --verify-limit lists the unverified incident a verified record could make contained, marked with what its entries say', async () => {
        const filtered = await run(['incidents', '--verify-limit', '0', '--status', 'contained']);
        expect(filtered.code).toBe(0);
        expect(filtered.out.filter((line) => line.includes('gd-'))).toEqual([
          expect.stringMatching(new RegExp(`^2026-11-20T10:00:00.000Z  failed     111122223333  High      i-0abc1234def567890  Backdoor:EC2/C&CActivity.B  gd-1  \\(unverified: failed by its entries, could be contained once the credential record of ${KEY} is verified; not read past --verify-limit\\)$`)),
          expect.stringMatching(/ {2}contained {2}.* {2}gd-2$/),
        ]);
        expect(filtered.out).toContainEqual(
          'Stopped verifying credential records after 0 incident(s) (--verify-limit 0): 1 incident(s) marked "unverified" show what their entries say, which a verified record could change to contained; --status contained also lists those whose status is not settled and could be contained, marked (1 listed here); firebreak report <key> verifies one, or narrow the list (--since, --account) or raise --verify-limit.',
        );
        expect(filtered.out.at(-1)).toBe(`2 incident(s) in ${TABLE}`);
        const json = JSON.parse((await run(['incidents', '--verify-limit', '0', '--status', 'contained', '--json'])).out.join('\n')) as { incidents: { key: string; status: string; possibleStatuses?: string[] }[] };
        expect(json.incidents.map((incident) => [incident.key, incident.status, incident.possibleStatuses])).toEqual([
          ['gd-1', 'failed', ['failed', 'contained']],
          ['gd-2', 'contained', undefined],
        ]);
      });

      it("a sequence whose child's record was not read: the parent's line says what it could be, and points to the child's", async () => {
        const parent = 'gd-c3e5a7c9e1b3d5f7a9c1e3b5d7f9a1c3';
        const child = childIncidentKey(parent, `-${KEY}`);
        const childItem = { ...listedItem(), pk: { S: `incident#${child}` } };
        dynamodb.on(ScanCommand).resolves({ Items: [item(parent, '111122223333', [entry('triage', 'start-playbook', 0.3, { children: [child] })]), childItem] });
        const text = await run(['incidents', '--verify-limit', '0', '--status', 'contained']);
        expect(text.out.filter((line) => line.includes('gd-'))).toEqual([
          expect.stringMatching(new RegExp(` failed .*  ${parent}  \\(unverified: failed by its entries, could be contained once its child incidents' credential records \\(below\\) are verified; not read past --verify-limit\\)$`)),
          expect.stringMatching(new RegExp(`^  └ .* failed .*  ${child}  \\(unverified: failed by its entries, could be contained once the credential record of ${KEY} is verified; not read past --verify-limit\\)$`)),
        ]);
      });

      it('--status failed past --verify-limit lists it marked as possibly contained, not as certainly failed; --status open leaves it out', async () => {
        const failed = await run(['incidents', '--verify-limit', '0', '--status', 'failed']);
        expect(failed.out.filter((line) => line.includes('gd-'))).toEqual([
          expect.stringMatching(new RegExp(` failed .*gd-1  \\(unverified: failed by its entries, could be contained once the credential record of ${KEY} is verified; not read past --verify-limit\\)$`)),
        ]);
        expect(failed.out).toContainEqual(expect.stringContaining('; --status failed also lists those whose status is not settled and could be failed, marked (1 listed here);'));
        const open = await run(['incidents', '--verify-limit', '0', '--status', 'open']);
        expect(open.out.some((line) => line.includes('gd-'))).toBe(false);
        expect(open.out.at(-1)).toBe(`0 incident(s) in ${TABLE}`);
      });
    });
  });
});

describe('stored text that writes terminal escape sequences', () => {
  // An instance id as a forged game-day event or a direct invocation can store it: it retitles the
  // window (OSC 0), rings the bell and clears the screen; the finding type reverses what follows it.
  const RESOURCE = 'i-\u001b]0;pwned\u0007\u001b[2J';
  const FINDING_TYPE = 'CryptoCurrency:EC2/BitcoinTool.B!DNS\u202Egnp.exe';
  const UNSAFE = /[^\P{Cc}\n]|[\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

  function storedItem(text: string, findingType = text) {
    return {
      ...item('gameday-gd-abc', '111122223333', [
        entry('triage', 'alert-only', 0, { reasons: [`Refused at the boundary: ${text}`] }),
        entry('quarantine-instance', 'quarantined', 3, { actions: [{ api: 'ec2:ModifyNetworkInterfaceAttribute', target: `${text}\u009b2J`, outcome: 'done', detail: text, at: '2026-11-20T10:00:03.000Z' }] }),
      ]),
      findingType: { S: findingType },
      resource: { S: text },
    };
  }

  async function listAndShow(stored: ReturnType<typeof storedItem>, json = false): Promise<{ list: Run; show: Run }> {
    dynamodb.on(ScanCommand).resolves({ Items: [stored] });
    const list = await run(['incidents', ...(json ? ['--json'] : [])]);
    dynamodb.on(ScanCommand).resolves({ Items: [] });
    dynamodb.on(GetItemCommand).resolves({ Item: stored });
    const show = await run(['incident', 'gameday-gd-abc', ...(json ? ['--json'] : [])]);
    return { list, show };
  }

  it('prints each control and format character of a record as its \\u escape, in the list and in the timeline', async () => {
    const { list, show } = await listAndShow(storedItem(RESOURCE, FINDING_TYPE));
    expect(list.code).toBe(0);
    expect(show.code).toBe(0);
    expect(list.out[0]).toBe('2026-11-20T10:00:00.000Z  contained  111122223333  High      i-\\u001b]0;pwned\\u0007\\u001b[2J     CryptoCurrency:EC2/BitcoinTool.B!DNS\\u202egnp.exe  gameday-gd-abc');
    expect(show.out[0]).toBe('gameday-gd-abc  contained  CryptoCurrency:EC2/BitcoinTool.B!DNS\\u202egnp.exe (High) on i-\\u001b]0;pwned\\u0007\\u001b[2J in 111122223333/eu-west-1');
    expect(show.out).toContain('      Refused at the boundary: i-\\u001b]0;pwned\\u0007\\u001b[2J');
    expect(show.out).toContain('      done            ec2:ModifyNetworkInterfaceAttribute i-\\u001b]0;pwned\\u0007\\u001b[2J\\u009b2J');
    for (const line of [...list.out, ...list.err, ...show.out, ...show.err]) expect(line).not.toMatch(UNSAFE);
  });

  it('ATTACK: a line feed in a record prints no line of its own (a forged "released" row in the list, a forged step in the timeline)', async () => {
    // The terminal does not run a line feed, but it starts a new line that reads as Firebreak's own:
    // here a second incident, released, under the real one; and a step that never ran.
    const forgedRow = 'i-0abc\n2026-11-20T10:00:00.000Z  released   111122223333  High      i-0abc               Recon:EC2/PortProbeUnprotectedPort  gameday-gd-abc';
    const { list, show } = await listAndShow(storedItem(forgedRow, 'Recon:EC2/PortProbeUnprotectedPort\r\n  2026-11-20T10:00:09.000Z  +9s        release-instance     released'));
    for (const line of [...list.out, ...show.out]) expect(line).not.toMatch(/[\n\r]/);
    expect(list.out.filter((line) => line.includes('released'))).toEqual([expect.stringContaining('i-0abc\\u000a2026-11-20T10:00:00.000Z released')]); // its runs of spaces one (row 14i)
    expect(show.out.some((line) => line.trimStart().startsWith('2026-11-20T10:00:09.000Z'))).toBe(false);
  });

  // Row 14g. A blank that is no ASCII space (U+3000 IDEOGRAPHIC SPACE, two columns wide; U+3164
  // HANGUL FILLER; U+2800 BRAILLE PATTERN BLANK; U+00A0) is neither a control nor a format character,
  // so terminalLine printed it as it is: 200 of them in a record's resource (a step invoked directly
  // writes the header of a record no triage wrote, row 17b) pad the row to the width of the screen, and
  // the finding type after them prints as a row of its own at the start of a screen line.
  it('ATTACK (review-operator): blanks that are no ASCII space print escaped, so a record cannot pad a row of its own onto the screen', async () => {
    for (const blank of ['\u3000', '\u3164', '\u2800', '\u00a0', '\u2003']) {
      const forgedRow = '2026-11-20T10:00:00.000Z released 111122223333 High i-0abc Recon:EC2/PortProbeUnprotectedPort gameday-gd-abc';
      const { list, show } = await listAndShow(storedItem(`i-0abc${blank.repeat(190)}`, forgedRow));
      for (const line of [...list.out, ...show.out]) expect(line).not.toMatch(/[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u115f\u1160\u3164\uffa0\u2800]/u);
      expect(list.out.join('\n')).toContain(`i-0abc${`\\u${blank.codePointAt(0)!.toString(16).padStart(4, '0')}`.repeat(3)}`);
    }
  });

  // Row 14i. Row 14g left ASCII spaces as they were, a record's facts being at most 200 characters:
  // 200 columns are enough. The list's row has 61 columns before the resource, so `i-0abc` and 91
  // spaces put the finding type at column 160 (the start of a screen line at 80 and 160 columns), 171
  // spaces at column 240 (80, 120, 240): the finding type printed as a forged row of its own.
  it('ATTACK (rereview-operator): ASCII spaces in a record cannot pad a row of its own onto the screen either', async () => {
    const forgedRow = '2026-11-20T10:00:00.000Z released 111122223333 High i-0abc Recon:EC2/PortProbeUnprotectedPort gameday-gd-abc';
    for (const spaces of [91, 171]) {
      const { list, show } = await listAndShow(storedItem(`i-0abc${' '.repeat(spaces)}x`, `${' '.repeat(100)}${forgedRow}`));
      // The list's own columns are at most 19 wide: no run of 20 spaces is the list's.
      for (const line of [...list.out, ...show.out]) expect(line).not.toMatch(/ {20,}/);
      expect(list.out.join('\n')).toMatch(/High {6}i-0abc x {13}2026-11-20T10:00:00\.000Z released 111122223333 High i-0abc Recon/);
    }
  });

  it('keeps --json the same JSON: the escape stands for the character inside a string', async () => {
    const { list, show } = await listAndShow(storedItem(RESOURCE, FINDING_TYPE), true);
    for (const line of [...list.out, ...show.out]) expect(line).not.toMatch(UNSAFE);
    expect((JSON.parse(list.out.join('\n')) as { incidents: { resource: string; findingType: string }[] }).incidents[0]).toMatchObject({ resource: RESOURCE, findingType: FINDING_TYPE });
    expect((JSON.parse(show.out.join('\n')) as { header: { resource: string } }).header.resource).toBe(RESOURCE);
  });

  it('property: whatever a record holds, neither command prints a control or format character but the line feed', async () => {
    const fragment = fc.constantFrom('i-', 'x', ' ', '\u001b', ']0;', '[2J', '\u0007', '\u009b', '\u0085', '\r', '\n', '\t', '\u0000', '\u007f', '\u202E', '\u2066', '\u200B', '\u2028', '\uFEFF', '\u{E0041}', '\uD83D', '\u{1F600}', 'é');
    const text = fc.oneof(fc.array(fragment, { minLength: 1, maxLength: 20 }).map((parts) => parts.join('')), fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }));
    await fc.assert(
      fc.asyncProperty(text, fc.boolean(), async (stored, json) => {
        const { list, show } = await listAndShow(storedItem(stored), json);
        for (const line of [...list.out, ...list.err, ...show.out, ...show.err]) expect(line).not.toMatch(UNSAFE);
        if (json) expect((JSON.parse(list.out.join('\n')) as { incidents: { resource: string }[] }).incidents[0]!.resource).toBe(stored);
      }),
      { numRuns: 100 },
    );
  });
});
