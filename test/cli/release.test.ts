import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Output } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../lib/cli/main';
import { WATCH_INTERVAL_MS, createReleaseCommand } from '../../lib/cli/release';
import type { ReleaseDependencies } from '../../lib/cli/release';
import type { ReleaseResult } from '../../lib/responders/release';
import { awsError, captureOutput, deployedStackAnswer, fakeClock, runCommand } from '../support/cli';

const REGION = 'eu-west-1';
const SECURITY_ACCOUNT = '999988887777';
const MEMBER_ACCOUNT = '111122223333';
const CALLER = `arn:aws:sts::${SECURITY_ACCOUNT}:assumed-role/IncidentResponder/alice`;
const INSTANCE = 'i-0123456789abcdef0';
const INCIDENT = 'gd-6ac3f0e9a1b2c3d4';
const NOW = new Date('2026-11-27T16:30:05.250Z');
// The incident key's digest keeps two incidents' releases of one instance apart (releaseExecutionName).
const EXECUTION_NAME = 'release-i-0123456789abcdef0-20261127T163005Z-1b704897';
const RELEASE_ARN = `arn:aws:states:${REGION}:${SECURITY_ACCOUNT}:stateMachine:Firebreak-release-instance`;
const EXECUTION_ARN = `arn:aws:states:${REGION}:${SECURITY_ACCOUNT}:execution:Firebreak-release-instance:${EXECUTION_NAME}`;
const CONSOLE = `https://${REGION}.console.aws.amazon.com/states/home?region=${REGION}#/v2/executions/details/${EXECUTION_ARN}`;

const OUTPUTS: Output[] = [
  { OutputKey: 'DispatcherArn', OutputValue: `arn:aws:states:${REGION}:${SECURITY_ACCOUNT}:stateMachine:Firebreak-dispatcher` },
  { OutputKey: 'PlaybookReleaseInstanceArn', OutputValue: RELEASE_ARN, Description: 'Playbook release-instance' },
  { OutputKey: 'Mode', OutputValue: 'enforce' },
];

const TAGS = { Name: 'web-1', 'firebreak:incident': INCIDENT, 'firebreak:status': 'quarantined' };

const sts = mockClient(STSClient);
const cloudFormation = mockClient(CloudFormationClient);
const ec2 = mockClient(EC2Client);
const sfn = mockClient(SFNClient);
const dynamodb = mockClient(DynamoDBClient);
const mocks = [sts, cloudFormation, ec2, sfn, dynamodb];

function stackWith(outputs: Output[]): void {
  cloudFormation.on(DescribeStacksCommand).resolves(deployedStackAnswer(outputs));
}

function instanceTagged(tags: Record<string, string>, state = 'running'): void {
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: [{ InstanceId: INSTANCE, State: { Name: state as 'running' }, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] }],
  });
}

beforeEach(() => {
  mocks.forEach((mock) => mock.reset());
  sts.on(GetCallerIdentityCommand).resolves({ Account: SECURITY_ACCOUNT, Arn: CALLER, UserId: 'AROA:alice' });
  stackWith(OUTPUTS);
  instanceTagged(TAGS);
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: NOW });
});
afterEach(() => mocks.forEach((mock) => mock.reset()));

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** The region each set of clients was made for (undefined: the SDK's default chain). */
  readonly regions: (string | undefined)[];
  readonly sleeps: number[];
}

/** Runs `firebreak release ARGS` through commander as lib/cli/main.ts would, with mocked clients and a fake clock. */
async function run(args: string[], overrides: Partial<ReleaseDependencies> = {}): Promise<Run> {
  const output = captureOutput();
  const regions: (string | undefined)[] = [];
  const clock = fakeClock(NOW);
  const deps: Partial<ReleaseDependencies> = {
    makeClients: (region) => {
      regions.push(region);
      const config = { region: region ?? REGION };
      return { sts: new STSClient(config), cloudFormation: new CloudFormationClient(config), ec2: new EC2Client(config), sfn: new SFNClient(config) };
    },
    now: clock.now,
    sleep: clock.sleep,
    ...output.deps,
    ...overrides,
  };
  const code = await runCommand(createReleaseCommand(deps), ['release', ...args], output);
  return { code, out: output.out.join('\n'), err: output.err.join('\n'), regions, sleeps: clock.sleeps };
}

const startInputs = () => sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
const startedInput = () => JSON.parse(startInputs()[0]?.input ?? '{}') as Record<string, unknown>;
const awsCallCount = () => mocks.reduce((n, mock) => n + mock.calls().length, 0);

/** The incident the command builds for INSTANCE in `account` at NOW. */
function releaseIncident(account: string, tags: Record<string, string> = {}, description?: string) {
  return {
    key: INCIDENT,
    revision: EXECUTION_NAME,
    source: 'firebreak',
    findingType: 'Firebreak:Release',
    title: `Release of ${INSTANCE} requested by ${CALLER}`,
    ...(description ? { description } : {}),
    severity: { score: 0, label: 'Informational' },
    account,
    region: REGION,
    resource: { kind: 'ec2-instance', instanceId: INSTANCE, networkInterfaces: [], tags },
    sample: false,
    gameDay: false,
    times: { created: '2026-11-27T16:30:05.000Z', updated: '2026-11-27T16:30:05.000Z', received: '2026-11-27T16:30:05.000Z' },
  };
}

describe('firebreak release: starting the release playbook', () => {
  it("reads the incident key from the instance's tag and starts the release state machine with the exact name and input", async () => {
    const result = await run(['--instance', INSTANCE, '--region', REGION, '--reason', 'INC-4711: image rebuilt, keys rotated']);

    expect(result.code).toBe(0);
    expect(sts.commandCalls(GetCallerIdentityCommand).map((call) => call.args[0].input)).toEqual([{}]);
    expect(cloudFormation.commandCalls(DescribeStacksCommand).map((call) => call.args[0].input)).toEqual([{ StackName: 'Firebreak' }]);
    expect(ec2.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input)).toEqual([{ InstanceIds: [INSTANCE] }]);
    expect(startInputs()).toEqual([
      {
        stateMachineArn: RELEASE_ARN,
        name: EXECUTION_NAME,
        input: JSON.stringify({
          incident: releaseIncident(SECURITY_ACCOUNT, TAGS, 'INC-4711: image rebuilt, keys rotated'),
          mode: 'enforce',
          playbook: 'release-instance',
          requestedBy: CALLER,
          reason: 'INC-4711: image rebuilt, keys rotated',
        }),
      },
    ]);
    // The parsed input too: the release-instance responder and the alert read these fields.
    expect(startedInput()).toEqual({
      incident: releaseIncident(SECURITY_ACCOUNT, TAGS, 'INC-4711: image rebuilt, keys rotated'),
      mode: 'enforce',
      playbook: 'release-instance',
      requestedBy: CALLER,
      reason: 'INC-4711: image rebuilt, keys rotated',
    });
  });

  it('prints the execution ARN and its console link, and does not watch without --watch', async () => {
    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(result.out).toContain(`Started: ${EXECUTION_ARN}`);
    expect(result.out).toContain(`Console: ${CONSOLE}`);
    expect(result.out).toContain(`starting ${RELEASE_ARN} (from output PlaybookReleaseInstanceArn) as ${EXECUTION_NAME}`);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
    expect(result.sleeps).toEqual([]);
  });

  it('takes the incident key from --incident and then reads nothing from EC2 (the instance may be in a member account)', async () => {
    const result = await run(['--instance', INSTANCE, '--account', MEMBER_ACCOUNT, '--region', REGION, '--incident', INCIDENT]);

    expect(result.code).toBe(0);
    expect(ec2.calls()).toHaveLength(0);
    expect(startedInput()).toEqual({ incident: releaseIncident(MEMBER_ACCOUNT), mode: 'enforce', playbook: 'release-instance', requestedBy: CALLER, reason: null });
  });

  it('starts the release in dry-run with --dry-run', async () => {
    const result = await run(['--instance', INSTANCE, '--region', REGION, '--dry-run']);

    expect(result.code).toBe(0);
    expect(startedInput().mode).toBe('dry-run');
  });

  it('runs in dry-run when the stack is deployed in dry-run, and says so', async () => {
    stackWith([...OUTPUTS.filter((output) => output.OutputKey !== 'Mode'), { OutputKey: 'Mode', OutputValue: 'dry-run' }]);

    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(startedInput().mode).toBe('dry-run');
    expect(result.err).toContain('Stack Firebreak runs in dry-run (its Mode output), so the release runs in dry-run too');
  });

  it('prefers the ReleaseStateMachineArn output to the per-playbook one', async () => {
    const other = `${RELEASE_ARN}-v2`;
    stackWith([...OUTPUTS, { OutputKey: 'ReleaseStateMachineArn', OutputValue: other }]);

    await run(['--instance', INSTANCE, '--region', REGION]);

    expect(startInputs()[0]?.stateMachineArn).toBe(other);
  });

  it('skips CloudFormation with --state-machine-arn and starts it in the region of the ARN (a central Firebreak region)', async () => {
    const central = `arn:aws:states:us-east-1:${SECURITY_ACCOUNT}:stateMachine:Firebreak-release-instance`;

    const result = await run(['--instance', INSTANCE, '--region', REGION, '--state-machine-arn', central]);

    expect(result.code).toBe(0);
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(startInputs()[0]?.stateMachineArn).toBe(central);
    expect(result.regions).toEqual([REGION, 'us-east-1']);
    expect((startedInput().incident as { region: string }).region).toBe(REGION);
  });

  it('reads the stack in --stack-region when Firebreak is deployed in another region than the instance', async () => {
    const result = await run(['--instance', INSTANCE, '--region', REGION, '--stack-region', 'us-east-1', '--stack', 'FirebreakCentral']);

    expect(result.code).toBe(0);
    expect(cloudFormation.commandCalls(DescribeStacksCommand).map((call) => call.args[0].input)).toEqual([{ StackName: 'FirebreakCentral' }]);
    // Instance region for STS and EC2, the stack's region for CloudFormation; the state machine ARN (eu-west-1 here) decides Step Functions.
    expect(result.regions).toEqual([REGION, 'us-east-1']);
  });

  it("uses the SDK's region when --region is not given", async () => {
    const result = await run(['--instance', INSTANCE]);

    expect(result.code).toBe(0);
    expect(result.regions[0]).toBeUndefined();
    expect((startedInput().incident as { region: string }).region).toBe(REGION);
  });
});

describe("firebreak release: the incident is the pre-quarantine record's, not the tag's", () => {
  const TABLE = 'Firebreak-StateTable';
  const RETAGGED = 'gd-0ther000000000000';
  const recordGets = () => dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input);

  beforeEach(() => {
    stackWith([...OUTPUTS, { OutputKey: 'StateTableName', OutputValue: TABLE }]);
    dynamodb.on(GetItemCommand).resolves({ Item: { incidentKey: { S: INCIDENT }, released: { BOOL: false } } });
  });

  it("reads the record's incident from the state table and releases under it, though the instance was retagged with another incident's key", async () => {
    instanceTagged({ ...TAGS, 'firebreak:incident': RETAGGED });

    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(result.code).toBe(0);
    expect(recordGets()).toEqual([
      { TableName: TABLE, Key: { pk: { S: `quarantine#${SECURITY_ACCOUNT}#${REGION}#${INSTANCE}` } }, ConsistentRead: true, ProjectionExpression: 'incidentKey, released, claims' },
    ]);
    expect(ec2.calls()).toHaveLength(0);
    expect(startedInput()).toEqual({ incident: releaseIncident(SECURITY_ACCOUNT), mode: 'enforce', playbook: 'release-instance', requestedBy: CALLER, reason: null });
  });

  it("refuses --incident naming an incident that holds no claim on the instance, and starts nothing (exit 2)", async () => {
    const result = await run(['--instance', INSTANCE, '--region', REGION, '--incident', RETAGGED]);

    expect(result.code).toBe(2);
    expect(result.err).toContain(`${INSTANCE} is held quarantined by incident ${INCIDENT} (its pre-quarantine record), not ${RETAGGED}`);
    expect(startInputs()).toEqual([]);
  });

  it('tells the requester which other incidents still hold the instance: the release takes back only its own claim (review r3 F1)', async () => {
    const LATER = 'gd-2b2b2b2b2b2b2b2b';
    dynamodb.on(GetItemCommand).resolves({ Item: { incidentKey: { S: INCIDENT }, released: { BOOL: false }, claims: { SS: [INCIDENT, LATER] } } });

    const result = await run(['--instance', INSTANCE, '--region', REGION, '--incident', LATER]);

    expect(result.code).toBe(0);
    expect(startedInput().incident).toMatchObject({ key: LATER });
    expect(result.out).toContain(`${INSTANCE} stays quarantined after this release: incident ${INCIDENT} also holds it. The release takes back only incident ${LATER}'s claim`);
  });

  it('releases an instance of a member account without --incident: the record names the incident', async () => {
    const result = await run(['--instance', INSTANCE, '--account', MEMBER_ACCOUNT, '--region', REGION]);

    expect(result.code).toBe(0);
    expect(recordGets()[0]?.Key).toEqual({ pk: { S: `quarantine#${MEMBER_ACCOUNT}#${REGION}#${INSTANCE}` } });
    expect(ec2.calls()).toHaveLength(0);
    expect(startedInput().incident).toEqual(releaseIncident(MEMBER_ACCOUNT));
  });

  it('falls back to the tag when the caller may not read the record, and says the step checks it', async () => {
    dynamodb.on(GetItemCommand).rejects(awsError('AccessDeniedException'));

    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(result.code).toBe(0);
    expect(result.err).toContain(`Not allowed to read the pre-quarantine record of ${INSTANCE} in table ${TABLE} (dynamodb:GetItem AccessDeniedException)`);
    expect(result.err).toContain("the release step refuses it if it is not the record's");
    expect(startedInput().incident).toEqual(releaseIncident(SECURITY_ACCOUNT, TAGS));
  });
});

describe('firebreak release --watch', () => {
  const release: ReleaseResult = {
    responder: 'release-instance',
    incidentKey: INCIDENT,
    mode: 'enforce',
    status: 'released',
    idempotentReplay: false,
    instanceId: INSTANCE,
    actions: [
      { api: 'ec2:ModifyNetworkInterfaceAttribute', target: 'eni-0aaa', outcome: 'done', detail: 'move eni-0aaa from sg-iso back to its recorded groups sg-app', at: NOW.toISOString() },
      { api: 'firebreak:mark-released', target: INSTANCE, outcome: 'done', detail: 'Marked the pre-quarantine record released', at: NOW.toISOString() },
    ],
    networkInterfaces: [{ id: 'eni-0aaa', groupsRestored: ['sg-app'] }],
  };
  const running: Partial<DescribeExecutionCommandOutput> = { executionArn: EXECUTION_ARN, status: 'RUNNING' };

  it('polls DescribeExecution with the injected sleep until the execution ends, then prints what was restored; exit 0', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce(running)
      .resolvesOnce(running)
      .resolves({ executionArn: EXECUTION_ARN, status: 'SUCCEEDED', output: JSON.stringify({ results: { release: { result: release } } }) });

    const result = await run(['--instance', INSTANCE, '--region', REGION, '--watch']);

    expect(result.code).toBe(0);
    expect(sfn.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: EXECUTION_ARN },
      { executionArn: EXECUTION_ARN },
      { executionArn: EXECUTION_ARN },
    ]);
    expect(result.sleeps).toEqual([WATCH_INTERVAL_MS, WATCH_INTERVAL_MS]);
    expect(result.out).toContain('The release execution ended SUCCEEDED.');
    expect(result.out).toContain('Release (step release): status released, mode enforce');
    expect(result.out).toContain('  done  ec2:ModifyNetworkInterfaceAttribute  eni-0aaa             move eni-0aaa from sg-iso back to its recorded groups sg-app');
    expect(result.out).toContain(`Released: ${INSTANCE} is back to its pre-quarantine state (eni-0aaa → sg-app; protections and tags as above); the record is marked released.`);
  });

  it('exits 1 with the error and cause when the release execution fails', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION_ARN,
      status: 'FAILED',
      error: 'ResponderAccessDeniedError',
      cause: '{"errorMessage":"ec2:ModifyNetworkInterfaceAttribute denied"}',
    });

    const result = await run(['--instance', INSTANCE, '--region', REGION, '--watch']);

    expect(result.code).toBe(1);
    expect(result.out).toContain('The release execution ended FAILED.');
    expect(result.err).toContain('The release did not succeed (FAILED, ResponderAccessDeniedError): {"errorMessage":"ec2:ModifyNetworkInterfaceAttribute denied"}');
  });

  it("ATTACK: a failure's cause with line feeds prints on one line (it can quote a tag or an error text)", async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION_ARN,
      status: 'FAILED',
      error: 'ResponderAccessDeniedError',
      cause: 'denied for tag Name=web\nReleased: i-0123456789abcdef0 is back to its pre-quarantine state',
    });
    const result = await run(['--instance', INSTANCE, '--region', REGION, '--watch']);
    expect(result.code).toBe(1);
    // Each printed line is one element joined by a line feed: none starts with the forged text.
    expect([...result.out.split('\n'), ...result.err.split('\n')].filter((line) => line.startsWith('Released:'))).toEqual([]);
    expect(result.err).toContain('denied for tag Name=web\\u000aReleased: i-0123456789abcdef0');
  });

  it('gives up after --timeout without waiting for real, exit 1, naming how to follow the execution', async () => {
    sfn.on(DescribeExecutionCommand).resolves(running);

    const result = await run(['--instance', INSTANCE, '--region', REGION, '--watch', '--timeout', '10']);

    expect(result.code).toBe(1);
    // 10 s at one poll every 2 s: polls at 0, 2, 4, 6, 8 and 10 s; one more sleep would pass the deadline.
    expect(result.sleeps).toEqual([2000, 2000, 2000, 2000, 2000]);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(6);
    expect(result.err).toContain(`Timed out after 10 s; the release is still running in AWS: \`aws stepfunctions describe-execution --execution-arn ${EXECUTION_ARN} --region ${REGION}\``);
  });

  it('exits 1 when DescribeExecution is refused, saying the release goes on', async () => {
    sfn.on(DescribeExecutionCommand).rejects(awsError('AccessDeniedException'));

    const result = await run(['--instance', INSTANCE, '--region', REGION, '--watch']);

    expect(result.code).toBe(1);
    expect(result.err).toContain('not allowed to call states:DescribeExecution (AccessDeniedException)');
    expect(result.err).toContain('the release goes on without the watch');
  });
});

describe('firebreak release: what stops it before anything starts (exit 2)', () => {
  it('refuses a malformed instance id before any AWS call', async () => {
    const made: (string | undefined)[] = [];
    const result = await run(['--instance', 'i-12345', '--region', REGION], {
      makeClients: (region) => {
        made.push(region);
        throw new Error('no client may be made');
      },
    });

    expect(result.code).toBe(2);
    expect(result.err).toContain('--instance: expected an EC2 instance id such as i-0123456789abcdef0');
    expect(made).toEqual([]);
    expect(awsCallCount()).toBe(0);
  });

  it("refuses a GuardDuty sample's placeholder instance id", async () => {
    const result = await run(['--instance', 'i-99999999', '--region', REGION]);

    expect(result.code).toBe(2);
    expect(result.err).toContain('--instance i-99999999 is a placeholder id of GuardDuty sample findings');
    expect(awsCallCount()).toBe(0);
  });

  it('names each malformed flag at once', async () => {
    const result = await run(['--instance', INSTANCE, '--region', 'Ireland', '--account', '1234', '--incident', 'gd 1', '--state-machine-arn', 'release-instance']);

    expect(result.code).toBe(2);
    expect(result.err).toContain('--account: expected a 12-digit AWS account id');
    expect(result.err).toContain('--region: expected a region such as eu-west-1');
    expect(result.err).toContain('--incident: expected an incident key');
    expect(result.err).toContain('--state-machine-arn: expected a state machine ARN');
    expect(awsCallCount()).toBe(0);
  });

  it('exits 2 on a typo in a flag, naming it and the flag meant', async () => {
    const result = await run(['--instance', INSTANCE, '--dryrun']);

    expect(result.code).toBe(2);
    expect(result.err).toContain("error: unknown option '--dryrun' (did you mean --dry-run?)");
    expect(awsCallCount()).toBe(0);
  });

  it('names the missing credentials and starts nothing', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));

    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(result.code).toBe(2);
    expect(result.err).toContain('no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    expect(startInputs()).toEqual([]);
  });

  it('names the expired credentials', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('ExpiredToken', 'The security token included in the request is expired'));

    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(result.code).toBe(2);
    expect(result.err).toContain('the AWS credentials have expired (ExpiredToken)');
  });

  it('names the missing region', async () => {
    const result = await run(['--instance', INSTANCE], {
      makeClients: (region) => {
        const config = region ? { region } : { region: () => Promise.reject(new Error('Region is missing')) };
        return { sts: new STSClient(config), cloudFormation: new CloudFormationClient(config), ec2: new EC2Client(config), sfn: new SFNClient(config) };
      },
    });

    expect(result.code).toBe(2);
    expect(result.err).toContain("no AWS region: pass --region (the instance's region) or set AWS_REGION");
    expect(awsCallCount()).toBe(0);
  });

  it('names the missing stack and suggests --state-machine-arn', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id Firebreak does not exist'));

    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(result.code).toBe(2);
    expect(result.err).toContain(`stack Firebreak not found in ${REGION}/${SECURITY_ACCOUNT}`);
    expect(result.err).toContain('pass --stack-region when Firebreak is deployed in another region than the instance');
    expect(result.err).toContain('or pass --state-machine-arn ARN of the release state machine');
    expect(startInputs()).toEqual([]);
  });

  it('names the missing output and suggests --state-machine-arn', async () => {
    stackWith(OUTPUTS.filter((output) => output.OutputKey !== 'PlaybookReleaseInstanceArn'));

    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(result.code).toBe(2);
    expect(result.err).toContain('has no release playbook: no output ReleaseStateMachineArn nor Playbook<Name>Arn of release-instance (its outputs: DispatcherArn, Mode)');
    expect(result.err).toContain('or pass --state-machine-arn ARN');
    expect(ec2.calls()).toHaveLength(0);
    expect(startInputs()).toEqual([]);
  });

  it('asks for --incident (or credentials that can describe it) for an instance in another account than the caller', async () => {
    const result = await run(['--instance', INSTANCE, '--account', MEMBER_ACCOUNT, '--region', REGION]);

    expect(result.code).toBe(2);
    expect(result.err).toContain(`${INSTANCE} is in account ${MEMBER_ACCOUNT}, but your credentials are for ${SECURITY_ACCOUNT}`);
    expect(result.err).toContain('needs credentials that can describe the instance; pass --incident KEY');
    expect(ec2.calls()).toHaveLength(0);
    expect(startInputs()).toEqual([]);
  });

  it('asks for --incident when the instance carries no incident tag', async () => {
    instanceTagged({ Name: 'web-1' });

    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(result.code).toBe(2);
    expect(result.err).toContain(`${INSTANCE} has no firebreak:incident tag`);
    expect(startInputs()).toEqual([]);
  });

  it('says the instance is not found where it was looked for', async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound', `The instance ID '${INSTANCE}' does not exist`));

    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(result.code).toBe(2);
    expect(result.err).toContain(`instance ${INSTANCE} not found in ${REGION}/${SECURITY_ACCOUNT}: check --instance, --region and --account`);
    expect(startInputs()).toEqual([]);
  });

  it('suggests --incident when ec2:DescribeInstances is denied', async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError('UnauthorizedOperation'));

    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(result.code).toBe(2);
    expect(result.err).toContain('not allowed to call ec2:DescribeInstances');
    expect(result.err).toContain('pass --incident KEY');
  });

  it('exits 2 when the state machine does not exist', async () => {
    sfn.on(StartExecutionCommand).rejects(awsError('StateMachineDoesNotExist', 'State Machine Does Not Exist'));

    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(result.code).toBe(2);
    expect(result.err).toContain(`the release state machine ${RELEASE_ARN} cannot be started (StateMachineDoesNotExist)`);
  });
});

describe('firebreak release: what AWS refuses (exit 1)', () => {
  it('names states:StartExecution when the start is denied', async () => {
    sfn.on(StartExecutionCommand).rejects(awsError('AccessDeniedException'));

    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(result.code).toBe(1);
    expect(result.err).toContain(`not allowed to start the release (AccessDeniedException): your role needs states:StartExecution on ${RELEASE_ARN}`);
  });

  it('explains a name already used within the same second', async () => {
    sfn.on(StartExecutionCommand).rejects(awsError('ExecutionAlreadyExists'));

    const result = await run(['--instance', INSTANCE, '--region', REGION]);

    expect(result.code).toBe(1);
    expect(result.err).toContain(`a release execution named ${EXECUTION_NAME} already exists`);
  });
});

describe('firebreak release through runCli', () => {
  beforeEach(() => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => vi.restoreAllMocks());

  it('is registered in the firebreak program and exits 2 on a malformed instance id', async () => {
    expect(await runCli(['node', 'firebreak', 'release', '--instance', 'i-xyz'])).toBe(2);
    expect(awsCallCount()).toBe(0);
  });

  it('exits 2 when --instance is missing', async () => {
    expect(await runCli(['node', 'firebreak', 'release', '--region', REGION])).toBe(2);
  });
});
