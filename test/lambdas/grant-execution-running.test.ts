/**
 * Every Lambda that acts under a containment grant asks Step Functions, at its module scope's
 * wiring, whether the grant's execution runs: one states:DescribeExecution of exactly the execution
 * its input names, read beside the grant, and no change under the valid grant of an execution that
 * was stopped (grants.ts checkContainmentGrant). Through the deployed handlers themselves
 * (lambdas/<name>/index.ts), with aws-sdk-client-mock in place of every client.
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CREDENTIALS_GRANT_SUBJECT } from '../../lib/contracts/security';
import { parseEvent } from '../../lib/incident';
import type { Incident } from '../../lib/incident/model';
import { incidentSchema } from '../../lib/responders/incident-schema';
import { grantItem } from '../../lib/responders/grants';
import { EXECUTION, EXECUTION_ARN, grantFor } from '../support/grants';
import { ec2Incident } from '../support/incidents';

const NOW = new Date();
const dynamodb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const ec2 = mockClient(EC2Client);
const iam = mockClient(IAMClient);
const s3 = mockClient(S3Client);
const securityhub = mockClient(SecurityHubClient);
const TARGET_ACCOUNT_CLIENTS = [ec2, iam, s3, securityhub];

const fixture = (file: string): Incident => parseEvent(JSON.parse(readFileSync(new URL(file, import.meta.url), 'utf8')), { receivedAt: NOW });
const USER_KEY = () => fixture('../fixtures/events/guardduty-iam-user-tor-ipcaller.json');
const ROLE_SESSION = () => fixture('../fixtures/events/guardduty-iam-role-session-maliciousipcaller.json');
const S3_OBJECT = () => fixture('../../playbooks/events/guardduty-malware-protection-s3-threats-found.json');
const DNS = (): Incident => {
  const base = ec2Incident();
  return { ...base, guardDuty: { ...base.guardDuty!, dnsDomain: 'c2.evil-domain.com' } };
};

/**
 * The responders that check grants, each with an incident it acts on. release-instance and
 * release-credentials read their sealed records before the grant, and refuse without one: their
 * grant check is releaseGrantCheck's (grants.test.ts), over the same reader their modules build.
 */
const GRANTED: ReadonlyArray<readonly [string, () => Incident]> = [
  ['quarantine-instance', () => ec2Incident()],
  ['block-dns-domain', DNS],
  ['unblock-dns-domains', DNS],
  ['quarantine-s3-object', S3_OBJECT],
  ['release-s3-object', S3_OBJECT],
  ['disable-access-key', USER_KEY],
  ['revoke-role-sessions', ROLE_SESSION],
  ['update-security-hub-finding', () => ec2Incident()],
];


const step = (incident: Incident, options: Record<string, unknown> = {}) =>
  JSON.parse(JSON.stringify({ incident: incidentSchema.parse(incident), mode: 'enforce', options, execution: EXECUTION })) as unknown;

async function handlerOf(lambda: string): Promise<(event: unknown) => Promise<unknown>> {
  const loaded = (await import(`../../lambdas/${lambda}/index.ts`)) as { handler: (event: unknown, context?: unknown) => Promise<unknown> };
  return (event) => loaded.handler(event, { functionName: lambda, awsRequestId: 'test', getRemainingTimeInMillis: () => 60_000 });
}

const PLAYBOOK_STEPS = process.env.FIREBREAK_PLAYBOOK_STEPS;
beforeEach(() => {
  for (const mock of [dynamodb, sfn, ...TARGET_ACCOUNT_CLIENTS]) mock.reset();
  dynamodb.on(GetItemCommand).resolves({});
  dynamodb.on(PutItemCommand).resolves({});
  dynamodb.on(UpdateItemCommand).resolves({});
  sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED', executionArn: EXECUTION_ARN, stateMachineArn: EXECUTION.stateMachineArn, startDate: NOW, input: '{}' });
});
afterAll(() => {
  if (PLAYBOOK_STEPS === undefined) delete process.env.FIREBREAK_PLAYBOOK_STEPS;
  else process.env.FIREBREAK_PLAYBOOK_STEPS = PLAYBOOK_STEPS;
});

describe('the Lambdas that act under a containment grant ask whether its execution runs', () => {
  it.each(GRANTED)('%s sends one DescribeExecution of exactly the execution its input names, and changes nothing in the served account', async (lambda, incident) => {
    const handle = await handlerOf(lambda);
    await handle(step(incident())).catch(() => undefined);
    expect(sfn.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toEqual([{ executionArn: EXECUTION_ARN }]);
    expect(sfn.calls()).toHaveLength(1);
    for (const mock of TARGET_ACCOUNT_CLIENTS) expect(mock.calls()).toHaveLength(0);
  });

  it('ATTACK: quarantine-instance under the valid grant of a stopped execution changes nothing and says why', async () => {
    process.env.FIREBREAK_PLAYBOOK_STEPS = JSON.stringify({ 'compromised-ec2-instance': [{}] });
    const incident = ec2Incident();
    dynamodb.on(GetItemCommand, { Key: { pk: { S: `grant#${EXECUTION_ARN}` } } }).resolves({ Item: grantItem(grantFor(incident, NOW)) });
    const handle = await handlerOf('quarantine-instance');
    const result = await handle(step(incident));
    expect(result).toMatchObject({ status: 'refused', refusal: { code: 'execution-not-running', reason: expect.stringContaining(`execution ${EXECUTION_ARN} is ABORTED, not RUNNING`) } });
    expect(ec2.calls()).toHaveLength(0);
  });

  it('ATTACK: disable-access-key under the valid grant of a stopped execution changes nothing and says why', async () => {
    process.env.FIREBREAK_PLAYBOOK_STEPS = JSON.stringify({ 'compromised-ec2-instance': [{ denyAll: false }] });
    const incident = USER_KEY();
    dynamodb.on(GetItemCommand, { Key: { pk: { S: `grant#${EXECUTION_ARN}` } } }).resolves({ Item: grantItem(grantFor(incident, NOW, { instanceId: CREDENTIALS_GRANT_SUBJECT })) });
    const handle = await handlerOf('disable-access-key');
    const result = await handle(step(incident, { denyAll: false }));
    expect(result).toMatchObject({ status: 'refused', refusal: expect.stringContaining('is ABORTED, not RUNNING') });
    expect(iam.calls()).toHaveLength(0);
  });
});
