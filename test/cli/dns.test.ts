/**
 * `firebreak dns list`: the blocks Firebreak holds, read from the state table named by the stack's
 * StateTableName output, with exact inputs, every page, and nothing but `dnsblock#` items shown.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { runDnsList } from '../../lib/cli/dns';
import { dnsBlockScanInput, formatDnsBlocks } from '../../lib/operator/dns-blocks';
import { dnsBlockEntryOf } from '../../lib/responders/dns-block-records';
import { deployedStackAnswer } from '../support/cli';

const sts = mockClient(STSClient);
const cloudFormation = mockClient(CloudFormationClient);
const dynamodb = mockClient(DynamoDBClient);
const REGION = 'eu-west-1';
const TABLE = 'Firebreak-StateTable-ABC';

function run(flags: { json?: boolean; outputs?: { OutputKey: string; OutputValue: string }[] } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  cloudFormation.on(DescribeStacksCommand).resolves(deployedStackAnswer(flags.outputs ?? [{ OutputKey: 'StateTableName', OutputValue: TABLE }]));
  const code = runDnsList(
    { stack: 'Firebreak', region: REGION, ...(flags.json ? { json: true } : {}) },
    {
      makeClients: () => ({ sts: new STSClient({ region: REGION }), cloudFormation: new CloudFormationClient({ region: REGION }), dynamodb: new DynamoDBClient({ region: REGION }), sfn: new SFNClient({ region: REGION }) }),
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      now: () => new Date(),
    },
  );
  return code.then((exit) => ({ exit, out, err }));
}

beforeEach(() => {
  for (const mock of [sts, cloudFormation, dynamodb]) mock.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333', Arn: 'arn:aws:sts::111122223333:assumed-role/oncall/alice' });
});

describe('firebreak dns list', () => {
  it('scans the state table for dnsblock# items only, every page, and lists each domain with the incidents that claim it', async () => {
    dynamodb
      .on(ScanCommand)
      .resolvesOnce({
        Items: [{ pk: { S: 'dnsblock#444455556666#eu-west-1#c2.example.net' }, claims: { SS: ['i-0123456789abcdef0 gd-one', 'i-0fedcba9876543210 gd-two'] } }],
        LastEvaluatedKey: { pk: { S: 'dnsblock#444455556666#eu-west-1#c2.example.net' } },
      })
      .resolvesOnce({
        Items: [
          { pk: { S: 'dnsblock#111122223333#eu-west-1#exfil.example.org' }, claims: { SS: ['i-0aaaaaaaaaaaaaaa0 gd-three'] } },
          // Every claim dropped (released): no longer blocked, not listed.
          { pk: { S: 'dnsblock#111122223333#eu-west-1#gone.example.com' } },
        ],
      });
    const { exit, out } = await run();
    expect(exit).toBe(0);
    expect(dynamodb.commandCalls(ScanCommand).map((call) => call.args[0].input)).toEqual([
      dnsBlockScanInput(TABLE),
      dnsBlockScanInput(TABLE, { pk: { S: 'dnsblock#444455556666#eu-west-1#c2.example.net' } }),
    ]);
    expect(dnsBlockScanInput(TABLE)).toEqual({
      TableName: TABLE,
      FilterExpression: 'begins_with(pk, :prefix)',
      ProjectionExpression: 'pk, claims',
      ExpressionAttributeValues: { ':prefix': { S: 'dnsblock#' } },
      ConsistentRead: true,
    });
    expect(out.slice(0, 2)).toEqual([
      'exfil.example.org (and its subdomains) in 111122223333/eu-west-1: claimed by incident gd-three on i-0aaaaaaaaaaaaaaa0',
      'c2.example.net (and its subdomains) in 444455556666/eu-west-1: claimed by incident gd-one on i-0123456789abcdef0, incident gd-two on i-0fedcba9876543210',
    ]);
    expect(out.join('\n')).toContain('firebreak release --instance');
  });

  it('ATTACK: prints one line per block, whatever line feeds a stored claim carries', () => {
    const lines = formatDnsBlocks([{ account: '111122223333', region: REGION, domain: 'c2.example.net', claims: [{ instanceId: 'i-0aaa', incidentKey: 'gd-1\nc2.example.org (and its subdomains) in 111122223333/eu-west-1: claimed by incident gd-2 on i-0bbb' }] }], 'Firebreak');
    for (const line of lines) expect(line).not.toMatch(/[\n\r]/);
    expect(lines[0]).toContain('gd-1\\u000ac2.example.org');
  });

  it('prints JSON with --json, and says when nothing is blocked', async () => {
    dynamodb.on(ScanCommand).resolves({ Items: [] });
    const { out } = await run({ json: true });
    expect(JSON.parse(out.join('\n'))).toEqual({ stack: 'Firebreak', region: REGION, blocks: [] });
    expect(formatDnsBlocks([], 'Firebreak')).toEqual(["No domain is blocked by Firebreak's DNS Firewall rule groups."]);
  });

  it('names the missing StateTableName output (exit 2) and a failed Scan (exit 2, the call named)', async () => {
    const missing = await run({ outputs: [] });
    expect(missing.exit).toBe(2);
    expect(missing.err.join('\n')).toContain('has no StateTableName output');
    dynamodb.on(ScanCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const denied = await run();
    expect(denied.exit).toBe(2);
    expect(denied.err.join('\n')).toContain('dynamodb:Scan');
  });
});

describe('dnsBlockEntryOf', () => {
  it('reads account, region and domain from the key and ignores other items and malformed claims', () => {
    expect(dnsBlockEntryOf('dnsblock#111122223333#eu-west-1#c2.example.net', ['i-0123456789abcdef0 gd-one', 'not a claim at all'])).toEqual({
      account: '111122223333',
      region: 'eu-west-1',
      domain: 'c2.example.net',
      claims: [{ instanceId: 'i-0123456789abcdef0', incidentKey: 'gd-one' }],
    });
    expect(dnsBlockEntryOf('dnsblock-instance#111122223333#eu-west-1#i-0123456789abcdef0', ['c2.example.net gd-one'])).toBeUndefined();
    expect(dnsBlockEntryOf('quarantine#111122223333#eu-west-1#i-0123456789abcdef0', undefined)).toBeUndefined();
    expect(dnsBlockEntryOf('dnsblock#111122223333#eu-west-1', ['i-0123456789abcdef0 gd-one'])).toBeUndefined();
  });
});
