import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { Output } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { GetObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WATCH_INTERVAL_MS, createReleaseCommand } from '../../lib/cli/release';
import type { ReleaseDependencies } from '../../lib/cli/release';
import { awsError, captureOutput, deployedStackAnswer, fakeClock, runCommand } from '../support/cli';
import { buildS3ObjectReleaseRequest, formatS3ObjectReleaseOutcome, s3ObjectReleaseExecutionName } from '../../lib/operator/release/s3-object';
import { scannedObjectOf, malwareObjectGrantTarget } from '../../lib/responders/s3-malware-object';
import { incidentSchema } from '../../lib/responders/incident-schema';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const SECURITY_ACCOUNT = '999988887777';
const CALLER = `arn:aws:sts::${ACCOUNT}:assumed-role/IncidentResponder/alice`;
const BUCKET = 'acme-customer-uploads';
const KEY = 'incoming/2026/03/invoice 4471.pdf';
const VERSION = 'Rb4kBsH0hZ6bB.7Yx_3yEXAMPLE';
const INCIDENT = 's3scan-f6ecd886502471c3a9cb38370a88c3ce';
const NOW = new Date('2026-11-27T16:30:05.250Z');
const EXECUTION_NAME = s3ObjectReleaseExecutionName(ACCOUNT, { bucketName: BUCKET, key: KEY, versionId: VERSION }, new Date('2026-11-27T16:30:05Z'));
const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-release-s3-object`;
const EXECUTION_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:execution:Firebreak-release-s3-object:${EXECUTION_NAME}`;

const OUTPUTS: Output[] = [
  { OutputKey: 'DispatcherArn', OutputValue: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Firebreak-dispatcher` },
  { OutputKey: 'PlaybookReleaseS3ObjectArn', OutputValue: STATE_MACHINE, Description: 'Playbook release-s3-object' },
  { OutputKey: 'Mode', OutputValue: 'enforce' },
];

const sts = mockClient(STSClient);
const cloudFormation = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const mocks = [sts, cloudFormation, s3, sfn];

function stackWith(outputs: Output[]): void {
  cloudFormation.on(DescribeStacksCommand).resolves(deployedStackAnswer(outputs));
}

beforeEach(() => {
  mocks.forEach((mock) => mock.reset());
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: CALLER, UserId: 'AROA:alice' });
  stackWith(OUTPUTS);
  s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'uploaded-by', Value: 'portal' }, { Key: 'firebreak:malware-scan', Value: 'threats-found' }, { Key: 'firebreak:incident', Value: INCIDENT }] });
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: NOW });
});
afterEach(() => mocks.forEach((mock) => mock.reset()));

async function run(args: string[], overrides: Partial<ReleaseDependencies> = {}) {
  const output = captureOutput();
  const clock = fakeClock(NOW);
  const deps: Partial<ReleaseDependencies> = {
    makeClients: (region) => {
      const config = { region: region ?? REGION };
      return { sts: new STSClient(config), cloudFormation: new CloudFormationClient(config), ec2: new EC2Client(config), sfn: new SFNClient(config), s3: new S3Client(config) };
    },
    now: clock.now,
    sleep: clock.sleep,
    ...output.deps,
    ...overrides,
  };
  const code = await runCommand(createReleaseCommand(deps), ['release', ...args], output);
  return { code, out: output.out.join('\n'), err: output.err.join('\n'), sleeps: clock.sleeps };
}

const startInputs = () => sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
const startedInput = () => JSON.parse(startInputs()[0]?.input ?? '{}') as Record<string, unknown>;
const awsCallCount = () => mocks.reduce((n, mock) => n + mock.calls().length, 0);
const OBJECT_ARGS = ['--bucket', BUCKET, '--key', KEY, '--version-id', VERSION, '--region', REGION];

function expectedIncident(account = ACCOUNT, description?: string) {
  const time = '2026-11-27T16:30:05.000Z';
  return {
    key: INCIDENT,
    revision: EXECUTION_NAME,
    source: 'firebreak',
    findingType: 'Firebreak:Release',
    title: `Release of s3://${BUCKET}/${KEY} (version ${VERSION}) requested by ${CALLER}`,
    ...(description ? { description } : {}),
    severity: { score: 0, label: 'Informational' },
    account,
    region: REGION,
    resource: { kind: 'other', type: 'S3Bucket', id: `arn:aws:s3:::${BUCKET}` },
    sample: false,
    gameDay: false,
    times: { created: time, updated: time, received: time },
    affected: [{ kind: 's3-object', from: 'firebreak release --bucket --key', account, region: REGION, bucketName: BUCKET, key: { untrusted: KEY }, versionId: VERSION }],
    malwareScan: { kind: 's3-object', scanStatus: 'COMPLETED', resultStatus: 'THREATS_FOUND', threats: [], statusReasons: [] },
  };
}

describe('firebreak release --bucket --key: starting the release-s3-object playbook', () => {
  it("reads the incident key from the object's tag and starts the playbook with the exact name and input", async () => {
    const result = await run([...OBJECT_ARGS, '--reason', 'INC-4712: EICAR test file from QA']);

    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(s3.commandCalls(GetObjectTaggingCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: BUCKET, Key: KEY, VersionId: VERSION, ExpectedBucketOwner: ACCOUNT }]);
    expect(cloudFormation.commandCalls(DescribeStacksCommand).map((call) => call.args[0].input)).toEqual([{ StackName: 'Firebreak' }]);
    expect(startInputs()).toEqual([
      {
        stateMachineArn: STATE_MACHINE,
        name: EXECUTION_NAME,
        input: JSON.stringify({ incident: expectedIncident(ACCOUNT, 'INC-4712: EICAR test file from QA'), mode: 'enforce', playbook: 'release-s3-object', requestedBy: CALLER, reason: 'INC-4712: EICAR test file from QA' }),
      },
    ]);
    expect(result.out).toContain(`Started: ${EXECUTION_ARN}`);
    expect(result.out).toContain(`npx firebreak approve --execution ${EXECUTION_ARN}`);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('builds an incident the release step reads as the same object, and the guard grants for that object only', () => {
    const { input } = buildS3ObjectReleaseRequest({ bucketName: BUCKET, key: KEY, versionId: VERSION, account: ACCOUNT, region: REGION, incidentKey: INCIDENT, mode: 'enforce', requestedBy: CALLER, at: NOW });
    // It passes the responders' incident schema as it rides in the Lambda input.
    const incident = incidentSchema.parse(JSON.parse(JSON.stringify(input.incident)));
    expect(scannedObjectOf(incident)).toEqual({ object: { account: ACCOUNT, region: REGION, bucketName: BUCKET, key: KEY, versionId: VERSION, resultStatus: 'THREATS_FOUND', threatNames: [] } });
    expect(malwareObjectGrantTarget(incident)).toBe(`s3://${ACCOUNT}/${BUCKET}/${VERSION}/${KEY}`);
  });

  it('takes the incident key from --incident and reads nothing from S3 (the bucket may be in a member account)', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: SECURITY_ACCOUNT, Arn: CALLER, UserId: 'AROA:alice' });
    const result = await run([...OBJECT_ARGS, '--account', ACCOUNT, '--incident', INCIDENT, '--state-machine-arn', STATE_MACHINE]);

    expect(result.code).toBe(0);
    expect(s3.calls()).toHaveLength(0);
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(startedInput()).toEqual({ incident: expectedIncident(ACCOUNT), mode: 'enforce', playbook: 'release-s3-object', requestedBy: CALLER, reason: null });
  });

  it('refuses a bucket in another account without --incident, before any S3 or Step Functions call (exit 2)', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: SECURITY_ACCOUNT, Arn: CALLER, UserId: 'AROA:alice' });
    const result = await run([...OBJECT_ARGS, '--account', ACCOUNT]);

    expect(result.code).toBe(2);
    expect(result.err).toContain(`the bucket is in account ${ACCOUNT}, but your credentials are for ${SECURITY_ACCOUNT}`);
    expect(s3.calls()).toHaveLength(0);
    expect(startInputs()).toEqual([]);
  });

  it('names the version S3 read the tags from when --version-id is not given (a versioned bucket): release-s3-object refuses a release that names none', async () => {
    s3.on(GetObjectTaggingCommand).resolves({ VersionId: VERSION, TagSet: [{ Key: 'firebreak:malware-scan', Value: 'threats-found' }, { Key: 'firebreak:incident', Value: INCIDENT }] });
    const result = await run(['--bucket', BUCKET, '--key', KEY, '--region', REGION]);

    expect(result.code).toBe(0);
    expect(s3.commandCalls(GetObjectTaggingCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: BUCKET, Key: KEY, ExpectedBucketOwner: ACCOUNT }]);
    expect(result.err).toContain(`releasing the current version, ${VERSION}, whose firebreak:incident tag names the incident`);
    expect(startInputs().map((input) => input.name)).toEqual([EXECUTION_NAME]);
    expect(startedInput()).toMatchObject({ incident: { affected: [expect.objectContaining({ versionId: VERSION })] } });

    // A bucket without versioning: S3 names no version (or `null` once versioning was suspended), and none is named.
    for (const answer of [{}, { VersionId: 'null' }]) {
      sfn.reset();
      sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: NOW });
      s3.on(GetObjectTaggingCommand).resolves({ ...answer, TagSet: [{ Key: 'firebreak:incident', Value: INCIDENT }] });
      const unversioned = await run(['--bucket', BUCKET, '--key', KEY, '--region', REGION]);
      expect(unversioned.err).toBe('');
      expect((startedInput() as { incident: { affected: Record<string, unknown>[] } }).incident.affected[0]).not.toHaveProperty('versionId');
    }
  });

  it('refuses an object Firebreak did not tag (no firebreak:incident tag), exit 2, nothing started', async () => {
    s3.on(GetObjectTaggingCommand).resolves({ TagSet: [{ Key: 'uploaded-by', Value: 'portal' }] });
    const result = await run(OBJECT_ARGS);

    expect(result.code).toBe(2);
    expect(result.err).toContain('has no firebreak:incident tag: Firebreak did not tag it infected, or it was released already');
    expect(startInputs()).toEqual([]);
  });

  it('says which object is missing, and asks for --incident when S3 denies the tag read', async () => {
    s3.on(GetObjectTaggingCommand).rejects(awsError('NoSuchKey'));
    const missing = await run(OBJECT_ARGS);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`s3://${BUCKET}/${KEY} (version ${VERSION}) not found in account ${ACCOUNT} (NoSuchKey)`);

    s3.on(GetObjectTaggingCommand).rejects(awsError('AccessDenied'));
    const denied = await run(OBJECT_ARGS);
    expect(denied.code).toBe(2);
    expect(denied.err).toContain('not allowed to call s3:GetObjectTagging');
    expect(denied.err).toContain('pass --incident KEY');
    expect(denied.err).toContain('or the object is not there (without s3:ListBucket on the bucket S3 answers a missing object with AccessDenied too)');
    expect(startInputs()).toEqual([]);
  });

  it('starts in dry-run with --dry-run, and when the stack is deployed in dry-run (saying so)', async () => {
    await run([...OBJECT_ARGS, '--dry-run']);
    expect(startedInput().mode).toBe('dry-run');
    sfn.reset();
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN });
    stackWith([...OUTPUTS.filter((output) => output.OutputKey !== 'Mode'), { OutputKey: 'Mode', OutputValue: 'dry-run' }]);
    const result = await run(OBJECT_ARGS);
    expect(startedInput().mode).toBe('dry-run');
    expect(result.err).toContain('so the release runs in dry-run too');
  });

  it('names the missing playbook when the stack has no release-s3-object output (exit 2)', async () => {
    stackWith(OUTPUTS.filter((output) => output.OutputKey !== 'PlaybookReleaseS3ObjectArn'));
    const result = await run(OBJECT_ARGS);
    expect(result.code).toBe(2);
    expect(result.err).toContain('has no release-s3-object playbook: deploy playbooks/release-s3-object.yaml');
    expect(startInputs()).toEqual([]);
  });

  it('prints one JSON document with --json', async () => {
    const result = await run([...OBJECT_ARGS, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual({
      bucket: BUCKET,
      key: KEY,
      versionId: VERSION,
      account: ACCOUNT,
      region: REGION,
      incidentKey: INCIDENT,
      mode: 'enforce',
      requestedBy: CALLER,
      executionName: EXECUTION_NAME,
      executionArn: EXECUTION_ARN,
      approve: `npx firebreak approve --execution ${EXECUTION_ARN}`,
    });
  });

  it('checks every flag before any AWS call, naming it (exit 2)', async () => {
    for (const [args, message] of [
      [['--bucket', 'Bad_Bucket', '--key', KEY], '--bucket: expected an S3 bucket name'],
      [['--bucket', BUCKET], '--key: expected the object key'],
      [['--key', KEY], '--bucket: expected an S3 bucket name'],
      [['--bucket', BUCKET, '--key', 'x'.repeat(1025)], '--key: expected an S3 object key of 1 to 1024 bytes'],
      [['--bucket', BUCKET, '--key', KEY, '--version-id', 'bad version'], '--version-id: expected an S3 version id'],
      [['--bucket', BUCKET, '--key', KEY, '--instance', 'i-0123456789abcdef0'], '--instance: expected no --instance with --bucket/--key'],
      [['--bucket', BUCKET, '--key', KEY, '--incident', 'no spaces'], '--incident: expected an incident key'],
    ] as const) {
      const result = await run([...args, '--region', REGION]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err).toContain(message);
    }
    expect(awsCallCount()).toBe(0);
  });

  it('keeps a key with spaces, quotes and line breaks exact in the request (no trimming)', async () => {
    const key = ' odd "key"\nwith a newline ';
    await run(['--bucket', BUCKET, '--key', key, '--region', REGION, '--incident', INCIDENT]);
    const incident = startedInput().incident as { affected: { key: { untrusted: string } }[]; title: string };
    expect(incident.affected[0]!.key.untrusted).toBe(key);
    expect(incident.title).toContain('s3://acme-customer-uploads/ odd \\"key\\"\\nwith a newline  requested by');
  });
});

describe('firebreak release --bucket --key --watch', () => {
  const output = (result: Record<string, unknown>) => JSON.stringify({ results: { release: { result: { responder: 'release-s3-object', ...result } } } });

  it('follows the execution to its end and prints what the step did (exit 0 when untagged)', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING', executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE, startDate: NOW })
      .resolves({ status: 'SUCCEEDED', executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE, startDate: NOW, output: output({ status: 'untagged', mode: 'enforce', actions: [{ api: 's3:PutObjectTagging', outcome: 'done', detail: 'Took the infected tags off' }] }) });
    const result = await run([...OBJECT_ARGS, '--watch']);

    expect(result.code).toBe(0);
    expect(sfn.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toEqual([{ executionArn: EXECUTION_ARN }, { executionArn: EXECUTION_ARN }]);
    expect(result.sleeps).toEqual([WATCH_INTERVAL_MS]);
    expect(result.out).toContain('The release execution ended SUCCEEDED.');
    expect(result.out).toContain("Step release: untagged (enforce): the infected tags are off, the owner's tags kept");
    expect(result.out).toContain('  s3:PutObjectTagging done: Took the infected tags off');
  });

  it('exits 0 when the object stays tagged for another incident holding it (held), and names it', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'SUCCEEDED',
      executionArn: EXECUTION_ARN,
      stateMachineArn: STATE_MACHINE,
      startDate: NOW,
      output: output({ status: 'held', mode: 'enforce', holders: ['s3scan-other'], actions: [] }),
    });
    const result = await run([...OBJECT_ARGS, '--watch']);
    expect(result.code).toBe(0);
    expect(result.out).toContain("Step release: held (enforce): this incident's claim on the object version is taken back; the object stays tagged infected while other incidents hold it");
    expect(result.out).toContain("  held by: s3scan-other (their releases take the tags off, the last one's for good)");
  });

  it('exits 1 when the step refused (tags of another incident), and says why', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'SUCCEEDED',
      executionArn: EXECUTION_ARN,
      stateMachineArn: STATE_MACHINE,
      startDate: NOW,
      output: output({ status: 'refused', refusal: { code: 'tagged-by-another-incident', reason: 'the tag names incident s3scan-other' } }),
    });
    const result = await run([...OBJECT_ARGS, '--watch']);
    expect(result.code).toBe(1);
    expect(result.out).toContain('Step release: refused: REFUSED: the infected tags are not taken off (the reason below says why, and what the step did)');
    expect(result.out).not.toContain('nothing changed');
    expect(result.out).toContain('  tagged-by-another-incident: the tag names incident s3scan-other');
  });

  it('exits 1 when the execution fails, times out, or holds no result (rejected)', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE, startDate: NOW, error: 'ResponderFailedError' });
    expect((await run([...OBJECT_ARGS, '--watch'])).code).toBe(1);

    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE, startDate: NOW, output: JSON.stringify({ results: {} }) });
    const rejected = await run([...OBJECT_ARGS, '--watch', '--json']);
    expect(rejected.code).toBe(1);
    expect(JSON.parse(rejected.out)).toEqual({ executionArn: EXECUTION_ARN, status: 'SUCCEEDED', outcomes: [], released: false });

    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', executionArn: EXECUTION_ARN, stateMachineArn: STATE_MACHINE, startDate: NOW });
    const timedOut = await run([...OBJECT_ARGS, '--watch', '--timeout', '5']);
    expect(timedOut.code).toBe(1);
    expect(timedOut.err).toContain('Timed out after 5 s');
  });
});

describe('formatS3ObjectReleaseOutcome', () => {
  it('ATTACK: an object key with line feeds, quoted in an action, prints no line of its own (a forged "untagged" step)', () => {
    // Whoever uploads the object names it: S3 keys may hold any character, line feeds included.
    const key = 'invoice.pdf\nStep release-s3-object: untagged: the infected tags are off';
    const { lines } = formatS3ObjectReleaseOutcome({
      step: 'release-s3-object',
      responder: 'release-s3-object',
      status: 'refused',
      refusal: { code: 'changed', reason: `s3://acme-uploads/${key} was replaced\r\nsince the scan` },
      actions: [{ api: 's3:GetObjectTagging', outcome: 'observed', detail: `s3://acme-uploads/${key}` }],
    });
    for (const line of lines) expect(line).not.toMatch(/[\n\r]/);
    expect(lines.filter((line) => line.startsWith('Step '))).toHaveLength(1);
  });
});

describe('firebreak release without a target', () => {
  it('names both ways of saying what to release (exit 2, no AWS call)', async () => {
    const result = await run(['--region', REGION]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('--instance: expected what to release: --instance i-… (or --bucket NAME --key KEY for an S3 object)');
    expect(awsCallCount()).toBe(0);
  });

  it('says --json is for an object release when it comes with --instance, not that --bucket is missing', async () => {
    const result = await run(['--instance', 'i-0123456789abcdef0', '--json', '--region', REGION]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('--json: expected no --json with --instance: --json prints an object release (--bucket NAME --key KEY) as one JSON document');
    expect(result.err).not.toContain('--bucket:');
    expect(awsCallCount()).toBe(0);
  });
});
