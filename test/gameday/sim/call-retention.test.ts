/**
 * `retainCalls: false` (the storm bench): every call is still made, answered, counted and reported
 * to listeners, but not kept; asking for the kept calls says so instead of answering an empty log.
 */
import { describe, expect, it } from 'vitest';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { LocalBackend } from '../../../lib/gameday/local-backend';
import { environmentSchema, settingsSchema } from '../../../lib/gameday/scenario';
import { ec2World } from './fixtures';

describe('call retention', () => {
  it('keeps every call by default, numbered in order', async () => {
    const { sim, ec2 } = await ec2World();
    await ec2.send(new DescribeInstancesCommand({}));
    await ec2.send(new DescribeInstancesCommand({}));
    expect(sim.calls().map((call) => [call.seq, call.api])).toEqual([
      [1, 'ec2:DescribeInstances'],
      [2, 'ec2:DescribeInstances'],
    ]);
    expect(sim.callCount()).toBe(2);
  });

  it('with retainCalls false, counts and reports every call to listeners but keeps none', async () => {
    const { sim, ec2 } = await ec2World({ retainCalls: false });
    const heard: number[] = [];
    sim.onCall((call) => heard.push(call.seq));
    const answer = await ec2.send(new DescribeInstancesCommand({}));
    await ec2.send(new DescribeInstancesCommand({}));
    expect(answer.Reservations).toEqual([]);
    expect(sim.callCount()).toBe(2);
    expect(heard).toEqual([1, 2]);
    expect(() => sim.calls()).toThrow('does not keep its calls (retainCalls: false)');
  });

  it('the local backend counts the calls it does not keep, and refuses to answer a call log it does not have', async () => {
    const settings = settingsSchema.parse({});
    const made = async (backend: LocalBackend) => {
      await backend.prepare(environmentSchema.parse({ securityGroups: { web: {} }, instances: { web: { enis: [{ groups: ['web'] }] } } }), settings);
      const before = backend.callCount();
      const ec2 = await backend.clients('firebreak-retention-test').ec2({ account: backend.sim.defaultAccount, region: backend.sim.defaultRegion });
      await ec2.send(new DescribeInstancesCommand({}));
      return backend.callCount() - before;
    };
    const kept = new LocalBackend({ seed: 'retention' });
    const counted = new LocalBackend({ seed: 'retention', retainCalls: false });
    expect(await made(kept)).toBe(1);
    expect(kept.callLog().at(-1)?.api).toBe('ec2:DescribeInstances');
    expect(await made(counted)).toBe(1);
    expect(counted.callCount()).toBe(kept.callCount());
    expect(() => counted.callLog()).toThrow('does not keep its calls (retainCalls: false)');
  });
});
