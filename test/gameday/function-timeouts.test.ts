/**
 * A responder's Lambda function that runs out of time, as a game day rehearses it: the call it hangs
 * at never reaches the account, nor does anything after it; the invocation fails with
 * Sandbox.Timedout at the function's deadline on the simulated clock; other invocations go on.
 */
import { DescribeInstancesCommand, EC2Client, ModifyNetworkInterfaceAttributeCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { FUNCTION_TIMEOUT_ERROR, FunctionTimeouts } from '../../lib/gameday/function-timeouts';

/** An EC2 client whose calls are answered by the test (no network), counting what reaches it. */
function answeringClient(reached: string[]): EC2Client {
  const client = new EC2Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
  client.middlewareStack.add(
    (_next, context) => async () => {
      reached.push(String(context.commandName));
      return { output: { $metadata: {} }, response: {} };
    },
    { step: 'initialize', priority: 'low', name: 'answerInTest' },
  );
  return client;
}

function clock(start = Date.parse('2026-11-20T10:00:00.000Z')) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
}

describe('FunctionTimeouts', () => {
  it('stops the invocation at its call: nothing from then on reaches the account, and it fails with Sandbox.Timedout at the deadline', async () => {
    const reached: string[] = [];
    const time = clock();
    const startedAt = time.now();
    const timeouts = new FunctionTimeouts([{ responder: 'release-instance', hangsAt: 'ec2:ModifyNetworkInterfaceAttribute' }], () => 120, time);
    const ec2 = timeouts.cutOff(answeringClient(reached));
    let after = false;
    const run = timeouts.run('release-instance', startedAt, async () => {
      await ec2.send(new DescribeInstancesCommand({}));
      await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: 'eni-0aaa1111bbbb2222c', Groups: ['sg-0app000000000000a'] }));
      after = true;
      return 'done';
    });
    await expect(run).rejects.toMatchObject({ name: FUNCTION_TIMEOUT_ERROR, message: expect.stringMatching(/^Task timed out after 120\.00 seconds/) });
    expect(reached).toEqual(['DescribeInstancesCommand']);
    expect(after).toBe(false);
    expect(time.now().getTime() - startedAt.getTime()).toBe(120_000);
  });

  it('cuts only the invocations it names, as many as `times` says, and leaves other functions alone', async () => {
    const reached: string[] = [];
    const time = clock();
    const timeouts = new FunctionTimeouts([{ responder: 'release-instance', hangsAt: 'ec2:Modify*' }], () => 120, time);
    const ec2 = timeouts.cutOff(answeringClient(reached));
    const modify = () => ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: 'eni-0aaa1111bbbb2222c', Groups: ['sg-0app000000000000a'] }));
    expect(timeouts.names('release-instance')).toBe(true);
    expect(timeouts.names('quarantine-instance')).toBe(false);
    // Another function's invocation is not cut.
    await expect(timeouts.run('quarantine-instance', time.now(), async () => (await modify(), 'ok'))).resolves.toBe('ok');
    await expect(timeouts.run('release-instance', time.now(), async () => (await modify(), 'ok'))).rejects.toMatchObject({ name: FUNCTION_TIMEOUT_ERROR });
    // times: 1 (the default): the next invocation, a rerun, runs to the end.
    await expect(timeouts.run('release-instance', time.now(), async () => (await modify(), 'ok'))).resolves.toBe('ok');
    expect(reached).toEqual(['ModifyNetworkInterfaceAttributeCommand', 'ModifyNetworkInterfaceAttributeCommand']);
  });

  it('passes a handler error through unchanged when the invocation never reached its call', async () => {
    const timeouts = new FunctionTimeouts([{ responder: 'release-instance', hangsAt: 'ec2:AssociateIamInstanceProfile' }], () => 120, clock());
    const failure = Object.assign(new Error('throttled'), { name: 'TransientResponderError' });
    await expect(
      timeouts.run('release-instance', new Date(), async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
  });
});
