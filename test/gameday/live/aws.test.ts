import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateSampleFindingsCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { DescribeStateMachineCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSampleFindings, describeTargetInstance, findDetector, putGameDayEntry, putGameDayEvent } from '../../../lib/gameday/live/aws';
import {
  MAX_LIST_PAGES,
  callerIdentity,
  describeStack,
  dispatcherLogGroup,
  listExecutionsSince,
  readExecutionHistory,
  resolveRegion,
} from '../../../lib/operator/aws';
import { InjectionRejectedError, LiveSetupError, WatchFailedError } from '../../../lib/operator/errors';
import type { GameDayEntry } from '../../../lib/gameday/live/injection';
import { at, containedHistory } from './histories';

const REGION = 'eu-west-1';
const WHERE = { region: REGION, account: '111122223333' };
const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });

const sts = mockClient(STSClient);
const cloudFormation = mockClient(CloudFormationClient);
const eventBridge = mockClient(EventBridgeClient);
const guardDuty = mockClient(GuardDutyClient);
const sfn = mockClient(SFNClient);
const ec2 = mockClient(EC2Client);
const mocks = [sts, cloudFormation, eventBridge, guardDuty, sfn, ec2];

beforeEach(() => mocks.forEach((mock) => mock.reset()));
afterEach(() => mocks.forEach((mock) => mock.reset()));

const ENTRY: GameDayEntry = {
  Source: 'firebreak.gameday',
  DetailType: 'GuardDuty Finding',
  Detail: '{"id":"9f8e7d6c5b4a39281706f5e4d3c2b1a0"}',
  Resources: [],
  Time: new Date('2026-11-20T10:15:30.000Z'),
  EventBusName: 'Firebreak-gameday',
};

describe('resolveRegion', () => {
  it("answers the client's region", async () => {
    expect(await resolveRegion(new STSClient({ region: 'eu-central-1' }))).toBe('eu-central-1');
  });

  it('names --region and AWS_REGION when the SDK has no region', async () => {
    const noRegion = { config: { region: () => Promise.reject(new Error('Region is missing')) } };

    await expect(resolveRegion(noRegion)).rejects.toThrow(
      new LiveSetupError('no AWS region: pass --region (the region the Firebreak stack is deployed in) or set AWS_REGION'),
    );
  });
});

describe('callerIdentity', () => {
  it('reads the account and the partition of the caller', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333', Arn: 'arn:aws-cn:sts::111122223333:assumed-role/IR/alice', UserId: 'AROA:alice' });

    expect(await callerIdentity(new STSClient({ region: REGION }))).toEqual({
      account: '111122223333',
      arn: 'arn:aws-cn:sts::111122223333:assumed-role/IR/alice',
      partition: 'aws-cn',
    });
    expect(sts.commandCalls(GetCallerIdentityCommand)[0]?.args[0].input).toEqual({});
  });

  it('says no credentials were found, and how to give them', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));

    const error = await callerIdentity(new STSClient({ region: REGION })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LiveSetupError);
    expect((error as Error).message).toMatch(/^no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/);
  });

  it('says the credentials have expired', async () => {
    sts.on(GetCallerIdentityCommand).rejects(awsError('ExpiredToken'));

    await expect(callerIdentity(new STSClient({ region: REGION }))).rejects.toThrow(/the AWS credentials have expired \(ExpiredToken\)/);
  });
});

describe('describeStack', () => {
  it('asks CloudFormation for the named stack and reads its outputs', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'Firebreak',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [
            { OutputKey: 'GameDayEventBusName', OutputValue: 'Firebreak-gameday' },
            { OutputKey: 'Mode', OutputValue: 'dry-run' },
            { OutputKey: 'PlaybookEc2ReconnaissanceArn', OutputValue: 'arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-ec2-reconnaissance', Description: 'Playbook ec2-reconnaissance' },
          ],
        },
      ],
    });

    const stack = await describeStack(new CloudFormationClient({ region: REGION }), 'Firebreak', WHERE);

    expect(cloudFormation.commandCalls(DescribeStacksCommand).map((call) => call.args[0].input)).toEqual([{ StackName: 'Firebreak' }]);
    expect(stack).toMatchObject({ stackName: 'Firebreak', eventBusName: 'Firebreak-gameday', mode: 'dry-run', playbooks: [{ name: 'ec2-reconnaissance' }] });
  });

  it('says the stack is not deployed there, where it looked, and how to deploy it', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id Firebreak does not exist'));

    await expect(describeStack(new CloudFormationClient({ region: REGION }), 'Firebreak', WHERE)).rejects.toThrow(
      new LiveSetupError(
        'stack Firebreak not found in eu-west-1/111122223333: deploy it with `npx cdk deploy Firebreak` or pass --stack NAME (and --region) of the deployed one',
      ),
    );
  });

  it('names the permission when DescribeStacks is denied', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(awsError('AccessDenied', 'not authorized'));

    await expect(describeStack(new CloudFormationClient({ region: REGION }), 'Firebreak', WHERE)).rejects.toThrow(
      'not allowed to call cloudformation:DescribeStacks (AccessDenied): your role needs cloudformation:DescribeStacks',
    );
  });
});

describe('describeTargetInstance', () => {
  it('describes the one instance and returns its ENIs in device order, with groups, public IP, profile and tags', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-0123456789abcdef0',
              InstanceType: 't3.small',
              ImageId: 'ami-0a8e758f5e873d1c1',
              State: { Name: 'running', Code: 16 },
              Placement: { AvailabilityZone: 'eu-west-1a' },
              IamInstanceProfile: { Arn: 'arn:aws:iam::111122223333:instance-profile/web', Id: 'AIPAEXAMPLE' },
              Tags: [{ Key: 'Name', Value: 'web-1' }],
              NetworkInterfaces: [
                { NetworkInterfaceId: 'eni-second', Attachment: { DeviceIndex: 1 }, PrivateIpAddress: '10.0.2.9', SubnetId: 'subnet-b', VpcId: 'vpc-1', Groups: [{ GroupId: 'sg-b', GroupName: 'replication' }] },
                {
                  NetworkInterfaceId: 'eni-primary',
                  Attachment: { DeviceIndex: 0 },
                  PrivateIpAddress: '10.0.1.5',
                  Association: { PublicIp: '203.0.113.10' },
                  SubnetId: 'subnet-a',
                  VpcId: 'vpc-1',
                  Groups: [{ GroupId: 'sg-a', GroupName: 'web' }],
                },
              ],
            },
          ],
        },
      ],
    });

    const described = await describeTargetInstance(new EC2Client({ region: REGION }), 'i-0123456789abcdef0', WHERE);

    expect(ec2.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input)).toEqual([{ InstanceIds: ['i-0123456789abcdef0'] }]);
    expect(described).toEqual({
      instanceType: 't3.small',
      availabilityZone: 'eu-west-1a',
      imageId: 'ami-0a8e758f5e873d1c1',
      state: 'running',
      instanceProfile: { arn: 'arn:aws:iam::111122223333:instance-profile/web', id: 'AIPAEXAMPLE' },
      networkInterfaces: [
        { networkInterfaceId: 'eni-primary', privateIpAddress: '10.0.1.5', publicIp: '203.0.113.10', subnetId: 'subnet-a', vpcId: 'vpc-1', securityGroups: [{ groupId: 'sg-a', groupName: 'web' }] },
        { networkInterfaceId: 'eni-second', privateIpAddress: '10.0.2.9', subnetId: 'subnet-b', vpcId: 'vpc-1', securityGroups: [{ groupId: 'sg-b', groupName: 'replication' }] },
      ],
      tags: { Name: 'web-1' },
    });
  });

  it('says the instance is not in that account and region', async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError('InvalidInstanceID.NotFound', "The instance ID 'i-0123456789abcdef0' does not exist"));

    await expect(describeTargetInstance(new EC2Client({ region: REGION }), 'i-0123456789abcdef0', WHERE)).rejects.toThrow(
      new LiveSetupError('--describe: instance i-0123456789abcdef0 not found in eu-west-1/111122223333 (check --instance and --region)'),
    );
  });

  it("never copies another account's instance into the finding: an answer another account owns is no instance of that account (review-member2)", async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ OwnerId: '999988887777', Instances: [{ InstanceId: 'i-0123456789abcdef0' }] }] });

    await expect(describeTargetInstance(new EC2Client({ region: REGION }), 'i-0123456789abcdef0', WHERE)).rejects.toThrow(
      new LiveSetupError('--describe: instance i-0123456789abcdef0 not found in eu-west-1/111122223333 (check --instance and --region)'),
    );
  });
});

describe('putGameDayEvent', () => {
  it('puts exactly the one entry and answers its event id', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '11111111-2222-3333-4444-555555555555' }] });

    expect(await putGameDayEvent(new EventBridgeClient({ region: REGION }), ENTRY)).toBe('11111111-2222-3333-4444-555555555555');
    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      {
        Entries: [
          {
            Source: 'firebreak.gameday',
            DetailType: 'GuardDuty Finding',
            Detail: '{"id":"9f8e7d6c5b4a39281706f5e4d3c2b1a0"}',
            Resources: [],
            Time: new Date('2026-11-20T10:15:30.000Z'),
            EventBusName: 'Firebreak-gameday',
          },
        ],
      },
    ]);
  });

  it('reports an entry refused without an exception (NotAuthorizedForSourceException), with its code, message and why', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' }],
    });

    await expect(putGameDayEvent(new EventBridgeClient({ region: REGION }), { ...ENTRY, Source: 'aws.guardduty' })).rejects.toThrow(
      new InjectionRejectedError(
        'EventBridge refused the game-day event on bus Firebreak-gameday: NotAuthorizedForSourceException: Not authorized for the source. (EventBridge refuses custom events whose source starts with "aws."; game-day events use firebreak.gameday); nothing was injected (FailedEntryCount 1)',
      ),
    );
  });

  it('reports any other failed entry, even when FailedEntryCount is missing', async () => {
    eventBridge.on(PutEventsCommand).resolves({ Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });

    await expect(putGameDayEvent(new EventBridgeClient({ region: REGION }), ENTRY)).rejects.toThrow(
      'EventBridge refused the game-day event on bus Firebreak-gameday: InternalFailure: try again; nothing was injected (FailedEntryCount 0)',
    );
  });

  it('putGameDayEntry answers a refused entry as an outcome (code, message, the refusal in words) instead of throwing', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });

    expect(await putGameDayEntry(new EventBridgeClient({ region: REGION }), ENTRY)).toEqual({
      ok: false,
      errorCode: 'InternalFailure',
      errorMessage: 'try again',
      message: 'EventBridge refused the game-day event on bus Firebreak-gameday: InternalFailure: try again; nothing was injected (FailedEntryCount 1)',
    });
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    expect(await putGameDayEntry(new EventBridgeClient({ region: REGION }), ENTRY)).toEqual({ ok: true, eventId: 'e-1' });
    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries)).toEqual([[{ ...ENTRY, Resources: [] }], [{ ...ENTRY, Resources: [] }]]);
  });

  it('reports a thrown refusal (a bus that does not exist) as a rejected injection', async () => {
    eventBridge.on(PutEventsCommand).rejects(awsError('ResourceNotFoundException', 'Event bus security does not exist.'));

    const error = await putGameDayEvent(new EventBridgeClient({ region: REGION }), { ...ENTRY, EventBusName: 'security' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InjectionRejectedError);
    expect((error as Error).message).toBe('events:PutEvents failed (ResourceNotFoundException): Event bus security does not exist.');
  });
});

describe('findDetector and createSampleFindings', () => {
  it("lists the region's detector, then asks it for samples of exactly the given types", async () => {
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: ['12abc34d567e8fa901bc2d34e56789f0'] });
    guardDuty.on(CreateSampleFindingsCommand).resolves({});
    const client = new GuardDutyClient({ region: REGION });

    const detectorId = await findDetector(client, WHERE);
    await createSampleFindings(client, detectorId, ['Backdoor:EC2/C&CActivity.B', 'Recon:EC2/PortProbeUnprotectedPort']);

    expect(guardDuty.commandCalls(ListDetectorsCommand).map((call) => call.args[0].input)).toEqual([{}]);
    expect(guardDuty.commandCalls(CreateSampleFindingsCommand).map((call) => call.args[0].input)).toEqual([
      { DetectorId: '12abc34d567e8fa901bc2d34e56789f0', FindingTypes: ['Backdoor:EC2/C&CActivity.B', 'Recon:EC2/PortProbeUnprotectedPort'] },
    ]);
  });

  it('says GuardDuty is not enabled when the region has no detector', async () => {
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [] });

    await expect(findDetector(new GuardDutyClient({ region: REGION }), WHERE)).rejects.toThrow(
      new LiveSetupError(
        'GuardDuty is not enabled in eu-west-1/111122223333 (ListDetectors returned no detector): enable it (`aws guardduty create-detector --enable --region eu-west-1`) or inject a template finding instead of --guardduty-samples',
      ),
    );
  });

  it("reports GuardDuty's refusal of the samples", async () => {
    guardDuty.on(CreateSampleFindingsCommand).rejects(awsError('BadRequestException', 'The request is rejected because an invalid or out-of-range value is specified'));

    await expect(createSampleFindings(new GuardDutyClient({ region: REGION }), 'd', ['Backdoor:EC2/Spambot'])).rejects.toThrow(InjectionRejectedError);
  });
});

const MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-compromised-ec2-instance';
const execution = (name: string, startMs: number) => ({
  executionArn: `arn:aws:states:eu-west-1:111122223333:execution:Firebreak-compromised-ec2-instance:${name}`,
  stateMachineArn: MACHINE,
  name,
  status: 'RUNNING' as const,
  startDate: at(startMs),
});

describe('listExecutionsSince', () => {
  it('pages newest first and stops at the first page that reaches back before the time asked', async () => {
    sfn
      .on(ListExecutionsCommand, { stateMachineArn: MACHINE, maxResults: 100 })
      .resolves({ executions: [execution('e5', 5_000), execution('e4', 4_000)], nextToken: 'page-2' })
      .on(ListExecutionsCommand, { stateMachineArn: MACHINE, maxResults: 100, nextToken: 'page-2' })
      .resolves({ executions: [execution('e3', 3_000), execution('e-old', -600_000)], nextToken: 'page-3' });

    const found = await listExecutionsSince(new SFNClient({ region: REGION }), MACHINE, at(0));

    expect(found.map((item) => item.name)).toEqual(['e5', 'e4', 'e3']);
    expect(sfn.commandCalls(ListExecutionsCommand).map((call) => call.args[0].input)).toEqual([
      { stateMachineArn: MACHINE, maxResults: 100 },
      { stateMachineArn: MACHINE, maxResults: 100, nextToken: 'page-2' },
    ]);
  });

  it(`reads at most ${MAX_LIST_PAGES} pages of a busy state machine per poll`, async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [execution('busy', 1_000)], nextToken: 'more' });

    await listExecutionsSince(new SFNClient({ region: REGION }), MACHINE, at(0));

    expect(sfn.commandCalls(ListExecutionsCommand)).toHaveLength(MAX_LIST_PAGES);
  });

  it('reports a denied ListExecutions as a failed watch naming the permission', async () => {
    sfn.on(ListExecutionsCommand).rejects(awsError('AccessDeniedException'));

    const error = await listExecutionsSince(new SFNClient({ region: REGION }), MACHINE, at(0)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WatchFailedError);
    expect((error as Error).message).toBe('not allowed to call states:ListExecutions (AccessDeniedException): your role needs states:ListExecutions');
  });
});

describe('readExecutionHistory', () => {
  it('reads every page, with the execution data, oldest first', async () => {
    const events = containedHistory();
    const arn = execution('e1', 0).executionArn;
    sfn
      .on(GetExecutionHistoryCommand, { executionArn: arn, maxResults: 1000, includeExecutionData: true })
      .resolves({ events: events.slice(0, 10), nextToken: 'next' })
      .on(GetExecutionHistoryCommand, { executionArn: arn, maxResults: 1000, includeExecutionData: true, nextToken: 'next' })
      .resolves({ events: events.slice(10) });

    expect(await readExecutionHistory(new SFNClient({ region: REGION }), arn)).toEqual(events);
    expect(sfn.commandCalls(GetExecutionHistoryCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: arn, maxResults: 1000, includeExecutionData: true },
      { executionArn: arn, maxResults: 1000, includeExecutionData: true, nextToken: 'next' },
    ]);
  });
});

describe('dispatcherLogGroup', () => {
  const DISPATCHER = 'arn:aws:states:eu-west-1:111122223333:stateMachine:Firebreak-dispatcher';

  it("reads the log group from the dispatcher's logging configuration", async () => {
    sfn.on(DescribeStateMachineCommand).resolves({
      stateMachineArn: DISPATCHER,
      name: 'Firebreak-dispatcher',
      definition: '{}',
      roleArn: 'arn:aws:iam::111122223333:role/r',
      type: 'EXPRESS',
      creationDate: new Date(),
      loggingConfiguration: {
        level: 'ALL',
        includeExecutionData: true,
        destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: 'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/vendedlogs/states/custom-group:*' } }],
      },
    });

    expect(await dispatcherLogGroup(new SFNClient({ region: REGION }), DISPATCHER)).toBe('/aws/vendedlogs/states/custom-group');
    expect(sfn.commandCalls(DescribeStateMachineCommand)[0]?.args[0].input).toEqual({ stateMachineArn: DISPATCHER });
  });

  it('falls back to the name the stack gives the group when DescribeStateMachine is denied', async () => {
    sfn.on(DescribeStateMachineCommand).rejects(awsError('AccessDeniedException'));

    expect(await dispatcherLogGroup(new SFNClient({ region: REGION }), DISPATCHER)).toBe('/aws/vendedlogs/states/Firebreak-dispatcher');
  });
});
