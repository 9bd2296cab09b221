import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { describeInstance, tagRecord } from '../../lib/aws/describe-instance';
import { ResponderAccessDeniedError, TransientResponderError } from '../../lib/contracts/responder-errors';

const ec2Mock = mockClient(EC2Client);
const ec2 = new EC2Client({ region: 'eu-west-1' });
const ID = 'i-0123456789abcdef0';
const ACCOUNT = '111122223333';
const sdkError = (name: string, httpStatusCode = 400) => Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode } });

afterEach(() => ec2Mock.reset());

describe('describeInstance', () => {
  it('asks for exactly the one instance and returns it, matched by id rather than taken first', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-0aaaaaaaaaaaaaaaa' }] }, { Instances: [{ InstanceId: ID, Tags: [{ Key: 'team', Value: 'web' }] }] }],
    });
    const lookup = await describeInstance(ec2, ID, { notFound: 'not-found', account: ACCOUNT });
    expect(ec2Mock.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input)).toEqual([{ InstanceIds: [ID] }]);
    expect(lookup).toEqual({ found: true, instance: { InstanceId: ID, Tags: [{ Key: 'team', Value: 'web' }] } });
  });

  it('reads an answer without the instance as NoSuchInstance under either policy', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    await expect(describeInstance(ec2, ID, { notFound: 'not-found', account: ACCOUNT })).resolves.toEqual({ found: false, code: 'NoSuchInstance' });
    await expect(describeInstance(ec2, ID, { notFound: 'not-found-or-malformed', account: ACCOUNT })).resolves.toEqual({ found: false, code: 'NoSuchInstance' });
  });

  it('returns InvalidInstanceID.NotFound as not found under either policy', async () => {
    ec2Mock.on(DescribeInstancesCommand).rejects(sdkError('InvalidInstanceID.NotFound'));
    await expect(describeInstance(ec2, ID, { notFound: 'not-found', account: ACCOUNT })).resolves.toEqual({ found: false, code: 'InvalidInstanceID.NotFound' });
    await expect(describeInstance(ec2, ID, { notFound: 'not-found-or-malformed', account: ACCOUNT })).resolves.toEqual({ found: false, code: 'InvalidInstanceID.NotFound' });
  });

  it('treats InvalidInstanceID.Malformed as not found only when the caller says so', async () => {
    ec2Mock.on(DescribeInstancesCommand).rejects(sdkError('InvalidInstanceID.Malformed'));
    await expect(describeInstance(ec2, 'i-bad', { notFound: 'not-found-or-malformed', account: ACCOUNT })).resolves.toEqual({ found: false, code: 'InvalidInstanceID.Malformed' });
    await expect(describeInstance(ec2, 'i-bad', { notFound: 'not-found', account: ACCOUNT })).rejects.toThrow(/ec2:DescribeInstances failed \(InvalidInstanceID\.Malformed\)/);
  });

  it('classifies other failures as responder errors by default, or as the caller maps them', async () => {
    ec2Mock.on(DescribeInstancesCommand).rejects(sdkError('RequestLimitExceeded', 503));
    await expect(describeInstance(ec2, ID, { notFound: 'not-found', account: ACCOUNT })).rejects.toBeInstanceOf(TransientResponderError);
    ec2Mock.on(DescribeInstancesCommand).rejects(sdkError('UnauthorizedOperation', 403));
    await expect(describeInstance(ec2, ID, { notFound: 'not-found', account: ACCOUNT })).rejects.toBeInstanceOf(ResponderAccessDeniedError);
    const mapped = new Error('mapped');
    await expect(describeInstance(ec2, ID, { notFound: 'not-found', account: ACCOUNT, onError: () => mapped })).rejects.toBe(mapped);
  });
});

describe('tagRecord', () => {
  it('reads tags as a record, a missing value as empty', () => {
    expect(tagRecord([{ Key: 'a', Value: '1' }, { Key: 'b' }, { Value: 'orphan' }])).toEqual({ a: '1', b: '' });
    expect(tagRecord(undefined)).toEqual({});
  });
});

describe('describeInstance: the answer is a claim about one account', () => {
  it("ATTACK (review-member): takes an answer whose reservation another account owns as no such instance of the target's account", async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ OwnerId: '999988887777', Instances: [{ InstanceId: ID }] }] });
    await expect(describeInstance(ec2, ID, { notFound: 'not-found', account: '111122223333' })).resolves.toEqual({ found: false, code: 'InstanceOfAnotherAccount' });
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ OwnerId: '111122223333', Instances: [{ InstanceId: ID }] }] });
    await expect(describeInstance(ec2, ID, { notFound: 'not-found', account: '111122223333' })).resolves.toEqual({ found: true, instance: { InstanceId: ID } });
  });
});
