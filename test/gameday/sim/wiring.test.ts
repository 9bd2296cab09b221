import { describe, expect, it } from 'vitest';
import {
  CreateTagsCommand,
  DescribeKeyPairsCommand,
  DescribeInstancesCommand,
  EC2ServiceException,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { ConditionalCheckFailedException, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { SimulatedServiceError, SimulatorUnsupportedApiError, inputOf } from '../../../lib/gameday/sim';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { ACCOUNT, REGION, rejectionOf } from './fixtures';

function scenario(seed: string) {
  const sim = new SeededSimulatedAws({ seed });
  const vpc = sim.addVpc();
  const web = sim.addSecurityGroup({ vpcId: vpc.id, name: 'web' });
  const box = sim.addInstance({ vpcId: vpc.id, enis: [{ groupIds: [web] }, { groupIds: [web] }], instanceProfile: 'web-role', tags: { Name: 'web-1' } });
  return { sim, vpc, web, box };
}

describe('simulated account wiring', () => {
  it('fails loudly, naming the API and the command, for an API the simulated account does not implement', async () => {
    const { sim } = scenario('unsupported');
    const ec2 = await sim.clientFactory().ec2({ account: ACCOUNT, region: REGION });

    const error = await rejectionOf(ec2.send(new DescribeKeyPairsCommand({})));

    expect(error).toBeInstanceOf(SimulatorUnsupportedApiError);
    expect(error.message).toContain('ec2:DescribeKeyPairs (DescribeKeyPairsCommand)');
    expect(sim.calls()).toEqual([expect.objectContaining({ api: 'ec2:DescribeKeyPairs', outcome: 'error', errorCode: 'SimulatorUnsupportedApiError' })]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html — EC2 errors reach SDK v3 as
  // EC2ServiceException named after the AWS code; modeled errors (DynamoDB) as their own class.
  it("throws the SDK's own exception classes, deserialized from the service's own error response", async () => {
    const { sim } = scenario('exceptions');
    sim.addTable({ name: 't', partitionKey: 'pk' });
    const clients = sim.clientFactory();
    const ec2 = await clients.ec2({ account: ACCOUNT, region: REGION });
    await clients.dynamodb().send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'a' } } }));

    const ec2Error = await rejectionOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })));
    const ddbError = await rejectionOf(
      clients.dynamodb().send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'a' } }, ConditionExpression: 'attribute_not_exists(pk)' })),
    );

    expect(ec2Error).toBeInstanceOf(EC2ServiceException);
    expect(ec2Error).toMatchObject({ name: 'InvalidInstanceID.NotFound', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    expect(ddbError).toBeInstanceOf(ConditionalCheckFailedException);
    expect(ddbError.message).toBe('The conditional request failed');
  });

  // The clients resolve their middleware once per command class (the SDK's cacheMiddleware), so
  // concurrent sends of one command share one handler context: each must still get its own answer,
  // an error answer must reach only its own send, and no send may be answered twice.
  it('answers concurrent sends of one command on one client each with its own answer, errors and DryRun included, once per send', async () => {
    const { sim, box } = scenario('concurrent');
    sim.addTable({ name: 't', partitionKey: 'pk' });
    const clients = sim.clientFactory();
    const ddb = clients.dynamodb();
    const ec2 = await clients.ec2({ account: ACCOUNT, region: REGION });
    await ddb.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'taken' } } }));
    const before = sim.calls().length;

    const puts = await Promise.allSettled(
      ['a', 'taken', 'b', 'taken', 'c'].map((pk) => ddb.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: pk } }, ConditionExpression: 'attribute_not_exists(pk)' }))),
    );
    const describes = await Promise.allSettled([
      ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId] })),
      ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
      ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId], DryRun: true })),
      ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId] })),
    ]);

    expect(puts.map((result) => (result.status === 'fulfilled' ? 'ok' : (result.reason as Error).name))).toEqual([
      'ok',
      'ConditionalCheckFailedException',
      'ok',
      'ConditionalCheckFailedException',
      'ok',
    ]);
    expect(describes.map((result) => (result.status === 'fulfilled' ? result.value.Reservations?.[0]?.Instances?.[0]?.InstanceId : (result.reason as Error).name))).toEqual([
      box.instanceId,
      'InvalidInstanceID.NotFound',
      'DryRunOperation',
      box.instanceId,
    ]);
    // One answer per send: no error answer crossed to another send and retried.
    expect(sim.calls().length - before).toBe(9);
  });

  it('gives the same ids, answers and digest to the same scenario built twice with the same seed, and other ids with another seed', async () => {
    const runs = await Promise.all(
      ['same', 'same', 'other'].map(async (seed) => {
        const { sim, box } = scenario(seed);
        const ec2 = await sim.clientFactory().ec2({ account: ACCOUNT, region: REGION });
        const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId] }));
        return { box, answer: JSON.stringify(Reservations), digest: sim.stateDigest() };
      }),
    );

    expect(runs[0]).toEqual(runs[1]);
    expect(runs[2]?.box.instanceId).not.toBe(runs[0]?.box.instanceId);
    expect(runs[0]?.box.instanceId).toMatch(/^i-[0-9a-f]{17}$/);
  });

  it('changes the state digest when a call changes a resource, and not when a call only reads', async () => {
    const { sim, box } = scenario('digest');
    const ec2 = await sim.clientFactory().ec2({ account: ACCOUNT, region: REGION });
    const initial = sim.stateDigest();

    await ec2.send(new DescribeInstancesCommand({}));
    const afterRead = sim.stateDigest();
    await ec2.send(new CreateTagsCommand({ Resources: [box.instanceId], Tags: [{ Key: 'firebreak:status', Value: 'quarantined' }] }));

    expect(afterRead).toBe(initial);
    expect(sim.stateDigest()).not.toBe(initial);
    expect(sim.tagsOf(box.instanceId)).toEqual({ Name: 'web-1', 'firebreak:status': 'quarantined' });
  });

  it("does not count the roles it creates for callers (the deployment's own roles) as a change of the account", async () => {
    const { sim } = scenario('callers');
    const initial = sim.stateDigest();

    const ec2 = await sim.clientFactory({ principal: `arn:aws:iam::${ACCOUNT}:role/firebreak-snapshot-volumes` }).ec2({ account: ACCOUNT, region: REGION });
    await ec2.send(new DescribeInstancesCommand({}));

    expect(sim.stateDigest()).toBe(initial);
  });

  it('answers the same through the full SDK pipeline (serialized and signed) as through the fast path', async () => {
    const answers = await Promise.all(
      (['fast', 'full'] as const).map(async (wire) => {
        const { sim, box, vpc } = scenario('pipelines');
        const isolation = sim.addSecurityGroup({ vpcId: vpc.id, name: 'isolation' });
        const ec2 = await sim.clientFactory({ wire }).ec2({ account: ACCOUNT, region: REGION });
        await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: box.networkInterfaceIds[1], Groups: [isolation] }));
        const { Reservations } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId] }));
        const missing = await rejectionOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })));
        return { reservations: JSON.stringify(Reservations), digest: sim.stateDigest(), error: [missing.name, missing.message] };
      }),
    );

    expect(answers[0]).toEqual(answers[1]);
  });

  it('lets the engine answer one more API with defineApi, behind the same faults and permissions', async () => {
    const sim = new SeededSimulatedAws();
    sim.defineApi('states:StartExecution', (call) => {
      const input = inputOf<{ name?: string }>(call);
      if (input.name === 'taken') throw new SimulatedServiceError('ExecutionAlreadyExists', 'Execution Already Exists: taken');
      return { executionArn: `arn:aws:states:${call.region}:${call.account}:execution:playbook:${input.name}`, startDate: sim.now() };
    });
    const sfn: SFNClient = sim.clientFactory().sfn();

    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:playbook', name: 'inc-1' }));
    const duplicate = await rejectionOf(sfn.send(new StartExecutionCommand({ stateMachineArn: 'arn:x', name: 'taken' })));

    expect(started.executionArn).toBe('arn:aws:states:us-east-1:111111111111:execution:playbook:inc-1');
    expect(duplicate.name).toBe('ExecutionAlreadyExists');
  });
});
