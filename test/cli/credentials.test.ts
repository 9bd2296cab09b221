/**
 * `firebreak credentials release`: reads the credential's record item from the state table (exact
 * GetItem), refuses early what the playbook's step would refuse (nothing started, exit 2), and
 * otherwise starts the release-credentials playbook with the record's incident and the caller's
 * identity (exact StartExecution input). It never calls IAM.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CredentialReleaseFlags } from '../../lib/cli/credentials';
import { runCredentialRelease } from '../../lib/cli/credentials';
import { credentialReleaseExecutionName } from '../../lib/operator/credential-release';
import { deployedStackAnswer, startedExecutions } from '../support/cli';

const sts = mockClient(STSClient);
const cloudFormation = mockClient(CloudFormationClient);
const dynamodb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const REGION = 'eu-west-1';
const MEMBER = '444455556666';
const TABLE = 'Firebreak-StateTable-ABC';
const CALLER = 'arn:aws:sts::111122223333:assumed-role/oncall/alice';
const MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-release-credentials';
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:111122223333:execution:Firebreak-release-credentials:x';
const NOW = new Date('2026-11-20T10:15:30.123Z');
const KEY = 'AKIAQ3EGRW6JCEXAMPLE';

type Item = { incidentKey: string; released?: boolean; claims?: string[]; releasedClaims?: string[] } | null;

function run(flags: Partial<CredentialReleaseFlags>, item: Item = { incidentKey: 'gd-one' }, options: { mode?: string; startError?: Error } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  cloudFormation.on(DescribeStacksCommand).resolves(
    deployedStackAnswer([
      { OutputKey: 'StateTableName', OutputValue: TABLE },
      { OutputKey: 'PlaybookReleaseCredentialsArn', OutputValue: MACHINE, Description: 'Playbook release-credentials' },
      ...(options.mode ? [{ OutputKey: 'Mode', OutputValue: options.mode }] : []),
    ]),
  );
  dynamodb.on(GetItemCommand).resolves(
    item
      ? {
          Item: {
            incidentKey: { S: item.incidentKey },
            released: { BOOL: item.released ?? false },
            ...(item.claims !== undefined ? { claims: { SS: item.claims } } : {}),
            ...(item.releasedClaims !== undefined ? { releasedClaims: { SS: item.releasedClaims } } : {}),
          },
        }
      : {},
  );
  if (options.startError) sfn.on(StartExecutionCommand).rejects(options.startError);
  else sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: NOW });
  return runCredentialRelease(
    { account: MEMBER, region: REGION, reason: 'INC-4711: key rotated', stack: 'Firebreak', ...flags },
    {
      makeClients: () => ({ sts: new STSClient({ region: REGION }), cloudFormation: new CloudFormationClient({ region: REGION }), dynamodb: new DynamoDBClient({ region: REGION }), sfn: new SFNClient({ region: REGION }) }),
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      now: () => NOW,
    },
  ).then((exit) => ({ exit, out, err }));
}

beforeEach(() => {
  for (const mock of [sts, cloudFormation, dynamodb, sfn]) mock.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333', Arn: CALLER });
});

const startInputs = () => startedExecutions(sfn);
const TIMES = { created: '2026-11-20T10:15:30.000Z', updated: '2026-11-20T10:15:30.000Z', received: '2026-11-20T10:15:30.000Z' };

describe('firebreak credentials release', () => {
  it('reads the key\'s record and starts release-credentials for its incident, with the caller as requester', async () => {
    const { exit, out } = await run({ accessKey: KEY, user: 'ci-deployer' });
    expect(exit).toBe(0);
    expect(dynamodb.commandCalls(GetItemCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Key: { pk: { S: `credential#${MEMBER}#access-key#${KEY}` } }, ConsistentRead: true, ProjectionExpression: 'incidentKey, released, claims, releasedClaims' },
    ]);
    const name = `release-key-${KEY}-20261120T101530Z`;
    expect(startInputs()).toEqual([
      {
        stateMachineArn: MACHINE,
        name,
        input: {
          incident: {
            key: 'gd-one',
            revision: name,
            source: 'firebreak',
            findingType: 'Firebreak:CredentialRelease',
            title: `Release of access key ${KEY} of user ci-deployer requested by ${CALLER}`,
            description: 'INC-4711: key rotated',
            severity: { score: 0, label: 'Informational' },
            account: MEMBER,
            region: REGION,
            resource: { kind: 'access-key', accessKeyId: KEY, userName: 'ci-deployer', userType: 'IAMUser' },
            affected: [{ kind: 'access-key', from: 'firebreak credentials release', account: MEMBER, region: REGION, accessKeyId: KEY, temporary: false, userName: 'ci-deployer', userType: 'IAMUser' }],
            sample: false,
            gameDay: false,
            times: TIMES,
          },
          mode: 'enforce',
          playbook: 'release-credentials',
          requestedBy: CALLER,
          reason: 'INC-4711: key rotated',
        },
      },
    ]);
    expect(out.join('\n')).toContain(`npx firebreak approve --execution ${EXECUTION_ARN}`);
  });

  it('names a role release with a name Step Functions accepts (at most 80 characters), and prints JSON', async () => {
    const role = 'a-very-long-role-name.with+chars=that,step@functions-refuses-xxx';
    const { exit, out } = await run({ role, json: true, dryRun: true });
    expect(exit).toBe(0);
    expect(dynamodb.commandCalls(GetItemCommand)[0]!.args[0].input.Key).toEqual({ pk: { S: `credential#${MEMBER}#role#${role}` } });
    const [start] = startInputs();
    expect(start!.name).toBe(credentialReleaseExecutionName({ kind: 'role-sessions', roleName: role }, new Date('2026-11-20T10:15:30Z')));
    expect(start!.name!.length).toBeLessThanOrEqual(80);
    expect(start!.name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(start!.input.mode).toBe('dry-run');
    expect(start!.input.incident.affected).toEqual([{ kind: 'iam-role', from: 'firebreak credentials release', account: MEMBER, region: REGION, roleName: role }]);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ credential: { kind: 'role-sessions', roleName: role }, incidentKey: 'gd-one', mode: 'dry-run', executionArn: EXECUTION_ARN });
  });

  it('refuses a credential Firebreak changed nothing on (no record: a key someone else deactivated): exit 2, nothing started', async () => {
    const { exit, err } = await run({ accessKey: KEY, user: 'ci-deployer' }, null);
    expect(exit).toBe(2);
    expect(err.join('\n')).toContain('Firebreak keeps no record of a change to access key AKIAQ3EGRW6JCEXAMPLE of user ci-deployer in 444455556666/eu-west-1');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses a released record, and an --incident that is not the record\'s', async () => {
    const released = await run({ accessKey: KEY, user: 'ci-deployer' }, { incidentKey: 'gd-one', released: true });
    expect(released.exit).toBe(2);
    expect(released.err.join('\n')).toContain('already released');
    const other = await run({ accessKey: KEY, user: 'ci-deployer', incident: 'gd-two' });
    expect(other.exit).toBe(2);
    expect(other.err.join('\n')).toContain('was changed by incident gd-one, not gd-two');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('releases a key several incidents hold for the --incident named, one of them; without it, names them and starts nothing (review s20)', async () => {
    const held = { incidentKey: 'gd-one', claims: ['gd-two'] };
    const second = await run({ accessKey: KEY, user: 'ci-deployer', incident: 'gd-two', json: true }, held);
    expect(second.exit).toBe(0);
    expect(JSON.parse(second.out.join('\n'))).toMatchObject({ incidentKey: 'gd-two' });
    sfn.resetHistory();
    const unnamed = await run({ accessKey: KEY, user: 'ci-deployer' }, held);
    expect(unnamed.exit).toBe(2);
    expect(unnamed.err.join('\n')).toContain('held contained by incidents gd-one, gd-two: pass --incident');
    expect(sfn.calls()).toHaveLength(0);
    // The record's own incident, its hold taken back: the one left holds it, and is the one released.
    const left = await run({ accessKey: KEY, user: 'ci-deployer', json: true }, { incidentKey: 'gd-one', claims: ['gd-two'], releasedClaims: ['gd-one'] });
    expect(JSON.parse(left.out.join('\n'))).toMatchObject({ incidentKey: 'gd-two' });
    sfn.resetHistory();
    const taken = await run({ accessKey: KEY, user: 'ci-deployer', incident: 'gd-one' }, { incidentKey: 'gd-one', claims: ['gd-two'], releasedClaims: ['gd-one'] });
    expect(taken.exit).toBe(2);
    expect(taken.err.join('\n')).toContain("incident gd-one's hold on access key");
    expect(sfn.calls()).toHaveLength(0);
  });

  it('checks its flags before any call, naming each', async () => {
    const both = await run({ accessKey: KEY, user: 'u', role: 'r' });
    expect(both.exit).toBe(2);
    expect(both.err.join('\n')).toContain('release one credential at a time');
    const neither = await run({ accessKey: KEY });
    expect(neither.err.join('\n')).toContain('--access-key AKIA… --user NAME');
    const temporary = await run({ accessKey: 'ASIAQ3EGRW6JCEXAMPLE', user: 'u', account: '12' });
    expect(temporary.exit).toBe(2);
    expect(temporary.err.join('\n')).toMatch(/--access-key: expected an IAM user's long-term access key id.*--account: expected a 12-digit AWS account id/);
    expect(sts.calls()).toHaveLength(0);
  });

  it('runs in dry-run when the stack does, and says so', async () => {
    const { exit, err } = await run({ accessKey: KEY, user: 'ci-deployer' }, { incidentKey: 'gd-one' }, { mode: 'dry-run' });
    expect(exit).toBe(0);
    expect(startInputs()[0]!.input.mode).toBe('dry-run');
    expect(err.join('\n')).toContain('runs in dry-run');
  });

  it('names a credential release when Step Functions already has an execution of that name: exit 1', async () => {
    const taken = Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' });
    const { exit, err } = await run({ accessKey: KEY, user: 'ci-deployer' }, { incidentKey: 'gd-one' }, { startError: taken });
    expect(exit).toBe(1);
    expect(err.join('\n')).toMatch(/a credential release execution named \S+ already exists/);
  });
});
