/**
 * `firebreak dns unblock DOMAIN`: reads who claims the domain from the state table (exact GetItem),
 * refuses early what the playbook's step would refuse (nothing started, exit 2), and otherwise
 * starts the unblock-dns-domain playbook with the claim's incident, the domain, force and the
 * caller's identity (exact StartExecution input). It never calls Route 53 Resolver.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DnsUnblockFlags } from '../../lib/cli/dns';
import { runDnsUnblock } from '../../lib/cli/dns';
import { WATCH_INTERVAL_MS } from '../../lib/cli/release';
import { deployedStackAnswer, startedExecutions } from '../support/cli';

const sts = mockClient(STSClient);
const cloudFormation = mockClient(CloudFormationClient);
const dynamodb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const REGION = 'eu-west-1';
const MEMBER = '444455556666';
const TABLE = 'Firebreak-StateTable-ABC';
const CALLER = 'arn:aws:sts::111122223333:assumed-role/oncall/alice';
const MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-unblock-dns-domain';
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-unblock-dns-domain:x';
const NOW = new Date('2026-11-20T10:15:30.123Z');
const FIRST = 'i-0123456789abcdef0 gd-one';
const SECOND = 'i-0fedcba9876543210 gd-two';

let sleeps: number[] = [];
let clock = NOW.getTime();

function run(domain: string, flags: Partial<DnsUnblockFlags> = {}, claims: string[] | null = [FIRST], startError?: Error) {
  const out: string[] = [];
  const err: string[] = [];
  sleeps = [];
  clock = NOW.getTime();
  cloudFormation.on(DescribeStacksCommand).resolves(
    deployedStackAnswer([
      { OutputKey: 'StateTableName', OutputValue: TABLE },
      { OutputKey: 'PlaybookUnblockDnsDomainArn', OutputValue: MACHINE, Description: 'Playbook unblock-dns-domain' },
    ]),
  );
  dynamodb.on(GetItemCommand).resolves(claims ? { Item: { pk: { S: 'x' }, claims: { SS: claims } } } : {});
  if (startError) sfn.on(StartExecutionCommand).rejects(startError);
  else sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: NOW });
  const code = runDnsUnblock(
    domain,
    { account: MEMBER, region: REGION, reason: 'false positive: our CDN', stack: 'Firebreak', ...flags },
    {
      makeClients: () => ({
        sts: new STSClient({ region: REGION }),
        cloudFormation: new CloudFormationClient({ region: REGION }),
        dynamodb: new DynamoDBClient({ region: REGION }),
        sfn: new SFNClient({ region: REGION }),
      }),
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      // A fake clock the fake sleep moves: the watch never waits for real.
      now: () => new Date(clock),
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    },
  );
  return code.then((exit) => ({ exit, out, err }));
}

beforeEach(() => {
  for (const mock of [sts, cloudFormation, dynamodb, sfn]) mock.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333', Arn: CALLER });
});

const startInputs = () => startedExecutions(sfn);

describe('firebreak dns unblock', () => {
  it('reads the claims of the canonical domain and starts the unblock playbook for its only claim, with the caller as requester', async () => {
    const { exit, out } = await run('C2.Example.NET.');
    expect(exit).toBe(0);
    expect(sts.commandCalls(GetCallerIdentityCommand).map((call) => call.args[0].input)).toEqual([{}]);
    expect(cloudFormation.commandCalls(DescribeStacksCommand).map((call) => call.args[0].input)).toEqual([{ StackName: 'Firebreak' }]);
    expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: { pk: { S: `dnsblock#${MEMBER}#${REGION}#c2.example.net` } }, ConsistentRead: true },
    ]);
    expect(startInputs()).toEqual([
      {
        stateMachineArn: MACHINE,
        name: 'unblock-dns-i-0123456789abcdef0-20261120T101530Z',
        input: {
          incident: {
            key: 'gd-one',
            revision: 'unblock-dns-i-0123456789abcdef0-20261120T101530Z',
            source: 'firebreak',
            findingType: 'Firebreak:DnsUnblock',
            title: `Unblock of c2.example.net requested by ${CALLER}`,
            description: 'false positive: our CDN',
            severity: { score: 0, label: 'Informational' },
            account: MEMBER,
            region: REGION,
            resource: { kind: 'ec2-instance', instanceId: 'i-0123456789abcdef0', networkInterfaces: [], tags: {} },
            sample: false,
            gameDay: false,
            times: { created: '2026-11-20T10:15:30.000Z', updated: '2026-11-20T10:15:30.000Z', received: '2026-11-20T10:15:30.000Z' },
          },
          mode: 'enforce',
          playbook: 'unblock-dns-domain',
          requestedBy: CALLER,
          reason: 'false positive: our CDN',
          dnsUnblock: { domain: 'c2.example.net', force: false },
        },
      },
    ]);
    expect(out.join('\n')).toContain(`npx firebreak approve --execution ${EXECUTION_ARN}`);
  });

  it('names an unblock, not a release, when Step Functions already has an execution of that name: exit 1', async () => {
    const taken = Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' });
    const { exit, err } = await run('c2.example.net', {}, [FIRST], taken);
    expect(exit).toBe(1);
    expect(err.join('\n')).toMatch(/a DNS unblock execution named \S+ already exists: an unblock of this domain was asked for in the same second/);
    expect(startInputs()).toHaveLength(1);
  });

  it('refuses a domain no incident blocked: exit 2, nothing started', async () => {
    const { exit, err } = await run('cdn.example.com', {}, null);
    expect(exit).toBe(2);
    expect(err.join('\n')).toContain('cdn.example.com is not blocked by any incident in 444455556666/eu-west-1');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses a domain two open incidents claim without --force, and names them', async () => {
    const { exit, err } = await run('c2.example.net', { incident: 'gd-one' }, [FIRST, SECOND]);
    expect(exit).toBe(2);
    expect(err.join('\n')).toContain('incident gd-one on i-0123456789abcdef0, incident gd-two on i-0fedcba9876543210');
    expect(err.join('\n')).toContain('--force');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('with --incident and --force, starts for that claim with force recorded, and prints JSON', async () => {
    const { exit, out } = await run('c2.example.net', { incident: 'gd-two', force: true, json: true }, [FIRST, SECOND]);
    expect(exit).toBe(0);
    const [start] = startInputs();
    expect(start?.input.incident.key).toBe('gd-two');
    expect(start?.input.incident.resource.instanceId).toBe('i-0fedcba9876543210');
    expect(start?.input.dnsUnblock).toEqual({ domain: 'c2.example.net', force: true });
    expect(JSON.parse(out.join('\n'))).toMatchObject({
      domain: 'c2.example.net',
      claim: { instanceId: 'i-0fedcba9876543210', incidentKey: 'gd-two' },
      forcedPast: [{ instanceId: 'i-0123456789abcdef0', incidentKey: 'gd-one' }],
      requestedBy: CALLER,
      executionArn: EXECUTION_ARN,
    });
  });

  it('refuses an incident that holds no claim on the domain', async () => {
    const { exit, err } = await run('c2.example.net', { incident: 'gd-nine' });
    expect(exit).toBe(2);
    expect(err.join('\n')).toContain('incident gd-nine does not block c2.example.net');
    expect(sfn.calls()).toHaveLength(0);
  });

  it.each([
    ['not a domain', {}, 'DOMAIN: expected a domain name'],
    ['c2.example.net', { account: '12345' }, '--account: expected a 12-digit AWS account id'],
    ['c2.example.net', { reason: '  ' }, '--reason: expected some text'],
  ])('checks %s %j before any AWS call (exit 2)', async (domain, flags, message) => {
    const { exit, err } = await run(domain, flags as Partial<DnsUnblockFlags>);
    expect(exit).toBe(2);
    expect(err.join('\n')).toContain(message);
    expect(sts.calls()).toHaveLength(0);
  });
});

describe('firebreak dns unblock --watch', () => {
  const unblocked = {
    responder: 'unblock-dns-domains',
    incidentKey: 'gd-one',
    mode: 'enforce',
    status: 'unblocked',
    idempotentReplay: false,
    actions: [],
    instanceId: 'i-0123456789abcdef0',
    domains: [{ domain: 'c2.example.net', incidentKey: 'gd-one', outcome: 'unblocked' }],
  };
  const running = { executionArn: EXECUTION_ARN, status: 'RUNNING' as const };

  it('follows the started execution with DescribeExecution (exact input) until it ends, then prints what was unblocked; exit 0', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(running)
      .resolvesOnce(running)
      .resolves({ executionArn: EXECUTION_ARN, status: 'SUCCEEDED', output: JSON.stringify({ results: { 'unblock-dns': { result: unblocked } } }) });
    const { exit, out } = await run('c2.example.net', { watch: true });
    expect(exit).toBe(0);
    expect(sfn.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toEqual([{ executionArn: EXECUTION_ARN }, { executionArn: EXECUTION_ARN }, { executionArn: EXECUTION_ARN }]);
    expect(sleeps).toEqual([WATCH_INTERVAL_MS, WATCH_INTERVAL_MS]);
    expect(out).toContain('The DNS unblock execution ended SUCCEEDED.');
    expect(out).toContain('Unblock (step unblock-dns): status unblocked');
    expect(out).toContain('  unblocked      c2.example.net (incident gd-one)');
  });

  it('exits 1 and says why when the step refused (another incident claimed the domain meanwhile)', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION_ARN,
      status: 'SUCCEEDED',
      output: JSON.stringify({ results: { 'unblock-dns': { result: { ...unblocked, status: 'refused', domains: [], refusal: 'incident gd-two on i-0fedcba9876543210 still blocks c2.example.net' } } } }),
    });
    const { exit, out } = await run('c2.example.net', { watch: true });
    expect(exit).toBe(1);
    expect(out).toContain('Unblock (step unblock-dns): status refused: incident gd-two on i-0fedcba9876543210 still blocks c2.example.net');
  });

  it("ATTACK (session 38, row 14i's left item): a refusal or a domain's incident padded with spaces cannot push a forged line to the start of a screen line", async () => {
    const forged = `${' '.repeat(200)}Unblock (step unblock-dns): status unblocked`;
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION_ARN,
      status: 'SUCCEEDED',
      output: JSON.stringify({ results: { 'unblock-dns': { result: { ...unblocked, status: 'refused', domains: [{ domain: 'c2.example.net', incidentKey: `gd-one${forged}`, outcome: 'kept' }], refusal: `held${forged}` } } } }),
    });
    const refused = await run('c2.example.net', { watch: true });
    expect(refused.out).toContain('Unblock (step unblock-dns): status refused: held Unblock (step unblock-dns): status unblocked');
    // The forged text follows one space, never a run of them (the outcome column's own padding aside).
    for (const line of refused.out) expect(line).not.toMatch(/ {2,}Unblock \(step/);
    expect(refused.out).toContain('  kept           c2.example.net (incident gd-one Unblock (step unblock-dns): status unblocked)');
  });

  it("ATTACK: a refusal, a domain's incident or a failure's cause with line feeds prints on one line", async () => {
    const forged = '\nUnblock (step unblock-dns): status unblocked';
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION_ARN,
      status: 'SUCCEEDED',
      output: JSON.stringify({ results: { 'unblock-dns': { result: { ...unblocked, status: 'refused', domains: [{ domain: 'c2.example.net', incidentKey: `gd-one${forged}`, outcome: 'kept' }], refusal: `held${forged}` } } } }),
    });
    const refused = await run('c2.example.net', { watch: true });
    expect(refused.out.filter((line) => line.startsWith('Unblock (step unblock-dns): status unblocked'))).toEqual([]);
    for (const line of refused.out) expect(line).not.toMatch(/[\n\r]/);
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, status: 'FAILED', error: 'ResponderAccessDeniedError', cause: `denied${forged}` });
    const failed = await run('c2.example.net', { watch: true });
    for (const line of failed.err) expect(line).not.toMatch(/[\n\r]/);
  });

  it('exits 1 with the error and cause when the execution fails', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, status: 'FAILED', error: 'ResponderAccessDeniedError', cause: 'route53resolver:UpdateFirewallDomains denied' });
    const { exit, out, err } = await run('c2.example.net', { watch: true });
    expect(exit).toBe(1);
    expect(out).toContain('The DNS unblock execution ended FAILED.');
    expect(err).toContain('The DNS unblock did not succeed (FAILED, ResponderAccessDeniedError): route53resolver:UpdateFirewallDomains denied. The playbook alerted its failure; see the execution for which step failed.');
  });

  it('gives up after --timeout (the approval may still be waiting) without waiting for real; exit 1', async () => {
    sfn.on(DescribeExecutionCommand).resolves(running);
    const { exit, err } = await run('c2.example.net', { watch: true, timeout: '6' });
    expect(exit).toBe(1);
    expect(sleeps).toEqual([2000, 2000, 2000]);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(4);
    expect(err).toContain(`Timed out after 6 s; the DNS unblock is still running in AWS (approved yet?): \`aws stepfunctions describe-execution --execution-arn ${EXECUTION_ARN} --region ${REGION}\`.`);
  });

  it('names a DNS unblock, not a release, when DescribeExecution is refused', async () => {
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    const { exit, err } = await run('c2.example.net', { watch: true });
    expect(exit).toBe(1);
    expect(err.join('\n')).toContain('not allowed to call states:DescribeExecution (AccessDeniedException): your role needs it on the DNS unblock executions; the DNS unblock goes on without the watch');
  });

  it('with --json, prints one document: the start and how the execution ended', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION_ARN, status: 'SUCCEEDED', output: JSON.stringify({ results: { 'unblock-dns': { result: unblocked } } }) });
    const { exit, out } = await run('c2.example.net', { watch: true, json: true });
    expect(exit).toBe(0);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toMatchObject({
      domain: 'c2.example.net',
      executionArn: EXECUTION_ARN,
      watched: { status: 'SUCCEEDED', unblocks: [{ step: 'unblock-dns', status: 'unblocked', domains: [{ domain: 'c2.example.net', incidentKey: 'gd-one', outcome: 'unblocked' }] }] },
    });
  });

  it('checks --timeout before any AWS call', async () => {
    const { exit, err } = await run('c2.example.net', { watch: true, timeout: 'soon' });
    expect(exit).toBe(2);
    expect(err.join('\n')).toContain('--timeout: expected a whole number of seconds');
    expect(sts.calls()).toHaveLength(0);
  });

  it('does not watch without --watch', async () => {
    const { exit } = await run('c2.example.net');
    expect(exit).toBe(0);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });
});
