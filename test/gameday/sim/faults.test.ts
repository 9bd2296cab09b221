import { describe, expect, it } from 'vitest';
import { DescribeInstancesCommand, EC2ServiceException, ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import { ec2World, rejectionOf } from './fixtures';

describe('simulated faults and the call log', () => {
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html (RequestLimitExceeded) and
  // https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html (standard mode: 3 attempts)
  it('answers RequestLimitExceeded twice, then lets the SDK succeed on its third attempt, each attempt in the call log', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const isolation = sim.addSecurityGroup({ vpcId: vpc.id, name: 'isolation' });
    const box = sim.addInstance({ vpcId: vpc.id });
    const fault = sim.injectFault({ api: 'ec2:ModifyNetworkInterfaceAttribute', error: 'RequestLimitExceeded', times: 2 });
    const start = sim.now().getTime();

    const answer = await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: box.networkInterfaceIds[0], Groups: [isolation] }));

    expect(answer.$metadata.attempts).toBe(3);
    expect(fault.consumed).toBe(2);
    expect(fault.remaining).toBe(0);
    expect(sim.networkInterface(box.networkInterfaceIds[0] as string)?.groupIds).toEqual([isolation]);
    expect(sim.calls({ api: 'ec2:ModifyNetworkInterfaceAttribute' }).map((c) => [c.attempt, c.outcome, c.errorCode, c.injected])).toEqual([
      [1, 'error', 'RequestLimitExceeded', true],
      [2, 'error', 'RequestLimitExceeded', true],
      [3, 'ok', undefined, false],
    ]);
    // The SDK's backoff is taken on the simulated clock, not in real time.
    expect(sim.now().getTime() - start).toBeGreaterThan(0);
  });

  it('surfaces a fault that outlasts the SDK retries as EC2ServiceException RequestLimitExceeded, a 503 server fault', async () => {
    const { sim, ec2 } = await ec2World();
    sim.injectFault({ api: 'ec2:DescribeInstances', error: 'RequestLimitExceeded', times: 3 });

    const error = await rejectionOf(ec2.send(new DescribeInstancesCommand({})));
    const next = await ec2.send(new DescribeInstancesCommand({}));

    expect(error).toBeInstanceOf(EC2ServiceException);
    expect([error.name, error.message, error.$fault, error.$metadata?.httpStatusCode, error.$metadata?.attempts]).toEqual([
      'RequestLimitExceeded',
      'Request limit exceeded.',
      'server',
      503,
      3,
    ]);
    expect(next.Reservations).toEqual([]);
  });

  it('loses the answer of a call that took effect (takesEffect): the change is made, the caller sees only the fault', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const isolation = sim.addSecurityGroup({ vpcId: vpc.id, name: 'isolation' });
    const box = sim.addInstance({ vpcId: vpc.id });
    sim.injectFault({ api: 'ec2:ModifyNetworkInterfaceAttribute', error: 'InternalError', times: 3, takesEffect: true });

    const error = await rejectionOf(ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: box.networkInterfaceIds[0], Groups: [isolation] })));

    // Every attempt failed as far as the SDK knows, yet the first one moved the ENI.
    expect([error.name, error.$metadata?.attempts]).toEqual(['InternalError', 3]);
    expect(sim.networkInterface(box.networkInterfaceIds[0] as string)?.groupIds).toEqual([isolation]);
    expect(sim.calls({ api: 'ec2:ModifyNetworkInterfaceAttribute' }).map((c) => [c.attempt, c.outcome, c.errorCode, c.injected])).toEqual([
      [1, 'error', 'InternalError', true],
      [2, 'error', 'InternalError', true],
      [3, 'error', 'InternalError', true],
    ]);
  });

  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (InternalError: HTTP 500, server error)
  it('answers InternalError as a 500 server fault, which the SDK retries', async () => {
    const { sim, ec2 } = await ec2World();
    sim.injectFault({ api: 'ec2:DescribeInstances', error: 'InternalError' });

    const answer = await ec2.send(new DescribeInstancesCommand({}));

    expect(answer.$metadata.attempts).toBe(2);
    expect(sim.calls().map((c) => [c.errorCode, c.outcome])).toEqual([
      ['InternalError', 'error'],
      [undefined, 'ok'],
    ]);
  });

  it('carries out a call before answering a fault that takes effect (the change made, its answer lost), and refuses one that does not', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const isolation = sim.addSecurityGroup({ vpcId: vpc.id, name: 'isolation' });
    const [lost, refused] = [sim.addInstance({ vpcId: vpc.id }), sim.addInstance({ vpcId: vpc.id })];
    const eni = (box: typeof lost) => box.networkInterfaceIds[0] as string;
    sim.injectFault({ api: 'ec2:ModifyNetworkInterfaceAttribute', error: 'Drill.AnswerLost', takesEffect: true, when: (input) => input.NetworkInterfaceId === eni(lost) });
    sim.injectFault({ api: 'ec2:ModifyNetworkInterfaceAttribute', error: 'Drill.Refused', when: (input) => input.NetworkInterfaceId === eni(refused) });
    const before = sim.networkInterface(eni(refused))?.groupIds;

    const lostAnswer = await rejectionOf(ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni(lost), Groups: [isolation] })));
    const refusedAnswer = await rejectionOf(ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni(refused), Groups: [isolation] })));

    expect([lostAnswer.name, refusedAnswer.name]).toEqual(['Drill.AnswerLost', 'Drill.Refused']);
    expect(sim.networkInterface(eni(lost))?.groupIds).toEqual([isolation]);
    expect(sim.networkInterface(eni(refused))?.groupIds).toEqual(before);
    expect(sim.calls({ api: 'ec2:ModifyNetworkInterfaceAttribute' }).map((c) => [c.outcome, c.errorCode, c.injected])).toEqual([
      ['error', 'Drill.AnswerLost', true],
      ['error', 'Drill.Refused', true],
    ]);
  });

  it('answers a custom error code once as a client fault, which the SDK does not retry', async () => {
    const { sim, ec2 } = await ec2World();
    sim.injectFault({ api: 'ec2:Describe*', error: 'Blackhole.Drill', message: 'game-day drill' });

    const error = await rejectionOf(ec2.send(new DescribeInstancesCommand({})));

    expect([error.name, error.message, error.$fault, error.$metadata?.attempts]).toEqual(['Blackhole.Drill', 'game-day drill', 'client', 1]);
    expect(sim.pendingFaults()).toEqual([]);
  });

  it('only answers the calls a fault matches (API, account and input predicate), in the order faults were injected', async () => {
    const { sim, ec2 } = await ec2World();
    const vpc = sim.addVpc();
    const isolation = sim.addSecurityGroup({ vpcId: vpc.id, name: 'isolation' });
    const box = sim.addInstance({ vpcId: vpc.id, enis: [{}, {}] });
    const [first, second] = box.networkInterfaceIds as [string, string];
    sim.injectFault({ api: 'ec2:ModifyNetworkInterfaceAttribute', error: 'Drill.One', when: (input) => input.NetworkInterfaceId === second });
    sim.injectFault({ api: 'ec2:ModifyNetworkInterfaceAttribute', error: 'Drill.Two', when: (input) => input.NetworkInterfaceId === second });
    sim.injectFault({ api: 'ec2:ModifyNetworkInterfaceAttribute', error: 'Drill.Elsewhere', account: '222222222222' });

    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: first, Groups: [isolation] }));
    const one = await rejectionOf(ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: second, Groups: [isolation] })));
    const two = await rejectionOf(ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: second, Groups: [isolation] })));
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: second, Groups: [isolation] }));

    expect([one.name, two.name]).toEqual(['Drill.One', 'Drill.Two']);
    expect(sim.pendingFaults().map((f) => f.spec.error)).toEqual(['Drill.Elsewhere']);
  });

  it('records every call with its simulated time, caller, account, region, input and outcome', async () => {
    const { sim, ec2 } = await ec2World();
    const box = sim.addInstance();
    sim.advance(5_000);

    await ec2.send(new DescribeInstancesCommand({ InstanceIds: [box.instanceId] }));
    await rejectionOf(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })));

    expect(sim.calls()).toEqual([
      expect.objectContaining({
        seq: 1,
        at: new Date('2025-01-15T09:00:05.000Z'),
        service: 'ec2',
        api: 'ec2:DescribeInstances',
        account: '111111111111',
        region: 'us-east-1',
        caller: 'arn:aws:sts::111111111111:assumed-role/firebreak-responder/firebreak-gameday',
        input: { InstanceIds: [box.instanceId] },
        outcome: 'ok',
        dryRun: false,
      }),
      expect.objectContaining({ seq: 2, outcome: 'error', errorCode: 'InvalidInstanceID.NotFound' }),
    ]);
  });
});
