/**
 * The simulated Auto Scaling launch lifecycle hooks (pending-wait): a member held in Pending:Wait
 * keeps its wait's deadline, the hook's default result applies once the clock passes it (ABANDON
 * terminates, CONTINUE puts it in service), RecordLifecycleActionHeartbeat moves the deadline to
 * now plus the hook's timeout within min(48 h, 100 x the timeout) of the wait's start, answers
 * ValidationError as AWS does when no action is active, and is authorized by IAM on the group.
 */
import type {
  AutoScalingClient} from '@aws-sdk/client-auto-scaling';
import {
  AttachInstancesCommand,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingInstancesCommand,
  DescribeLifecycleHooksCommand,
  PutLifecycleHookCommand,
  RecordLifecycleActionHeartbeatCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import type { IamCatalog } from '../../../lib/gameday/sim/iam-catalog';
import { SeededSimulatedAws } from '../../support/sim-builder';
import { ACCOUNT, REGION, rejectionOf } from './fixtures';

const GROUP = 'web-asg';
const SECOND = 1000;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/firebreak-responder-${REGION}-quarantine-instance`;

let catalog: IamCatalog;
beforeAll(async () => {
  catalog = await loadIamCatalog();
});

/** A group of one instance, with one launch hook, holding the instance in Pending:Wait for `elapsedSeconds` already. */
async function heldInstance(hook: { timeout: number; defaultResult?: 'ABANDON' | 'CONTINUE' }, elapsedSeconds = 0) {
  const sim = new SeededSimulatedAws({ seed: 'autoscaling-lifecycle', defaultAccount: ACCOUNT, defaultRegion: REGION });
  const { instanceId } = sim.addInstance();
  const autoScaling = await sim.clientFactory().autoScaling({ account: ACCOUNT, region: REGION });
  await autoScaling.send(new CreateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP, InstanceId: instanceId, MinSize: 0, MaxSize: 2, DesiredCapacity: 0 }));
  await autoScaling.send(
    new PutLifecycleHookCommand({
      AutoScalingGroupName: GROUP,
      LifecycleHookName: 'warm-cache',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      HeartbeatTimeout: hook.timeout,
      ...(hook.defaultResult ? { DefaultResult: hook.defaultResult } : {}),
    }),
  );
  await autoScaling.send(new AttachInstancesCommand({ AutoScalingGroupName: GROUP, InstanceIds: [instanceId] }));
  // The group launches nothing of its own: the test watches one instance.
  await autoScaling.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: GROUP, MinSize: 0, MaxSize: 1, DesiredCapacity: 1 }));
  sim.holdInPendingWait(ACCOUNT, REGION, GROUP, [instanceId], elapsedSeconds * SECOND);
  return { sim, autoScaling, instanceId };
}

async function stateOf(autoScaling: AutoScalingClient, instanceId: string): Promise<string | undefined> {
  const answer = await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
  return answer.AutoScalingInstances?.[0]?.LifecycleState;
}

const heartbeat = (instanceId: string, hook = 'warm-cache') => new RecordLifecycleActionHeartbeatCommand({ AutoScalingGroupName: GROUP, LifecycleHookName: hook, InstanceId: instanceId });

describe('simulated Auto Scaling launch lifecycle hooks', () => {
  it('ATTACK (pending-wait): without a heartbeat, ABANDON terminates the instance at the hook timeout', async () => {
    const { sim, autoScaling, instanceId } = await heldInstance({ timeout: 600 }, 300);
    expect(await stateOf(autoScaling, instanceId)).toBe('Pending:Wait');
    // AWS's default result, and the cap, as DescribeLifecycleHooks says them.
    expect((await autoScaling.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: GROUP }))).LifecycleHooks?.[0]).toMatchObject({
      DefaultResult: 'ABANDON',
      HeartbeatTimeout: 600,
      GlobalTimeout: 60_000,
    });
    sim.advance(299 * SECOND);
    expect(await stateOf(autoScaling, instanceId)).toBe('Pending:Wait');
    sim.advance(2 * SECOND);
    expect(await stateOf(autoScaling, instanceId)).toBeUndefined();
    const ec2 = await sim.clientFactory().ec2({ account: ACCOUNT, region: REGION });
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    expect(described.Reservations?.[0]?.Instances?.[0]?.State?.Name).toMatch(/shutting-down|terminated/);
  });

  it('a heartbeat restarts the wait at the hook timeout from now', async () => {
    const { sim, autoScaling, instanceId } = await heldInstance({ timeout: 600 }, 300);
    sim.advance(200 * SECOND);
    await autoScaling.send(heartbeat(instanceId));
    // Past the first deadline (100 s away then), within the new one (600 s from the heartbeat).
    sim.advance(599 * SECOND);
    expect(await stateOf(autoScaling, instanceId)).toBe('Pending:Wait');
    sim.advance(2 * SECOND);
    expect(await stateOf(autoScaling, instanceId)).toBeUndefined();
  });

  it('never extends a wait past min(48 h, 100 x the timeout) from its start, however many heartbeats', async () => {
    const { sim, autoScaling, instanceId } = await heldInstance({ timeout: 60 });
    // 100 x 60 s = 6,000 s (under 48 h): heartbeats every 50 s keep it until then, not after.
    for (let elapsed = 50; elapsed <= 5_950; elapsed += 50) {
      sim.advance(50 * SECOND);
      await autoScaling.send(heartbeat(instanceId));
    }
    sim.advance(49 * SECOND);
    expect(await stateOf(autoScaling, instanceId)).toBe('Pending:Wait');
    sim.advance(2 * SECOND);
    expect(await stateOf(autoScaling, instanceId)).toBeUndefined();
  });

  it('answers ValidationError when no action is active: another hook, an instance in service, a wait already ended', async () => {
    const { sim, autoScaling, instanceId } = await heldInstance({ timeout: 600, defaultResult: 'CONTINUE' });
    const unknownHook = await rejectionOf(autoScaling.send(heartbeat(instanceId, 'no-such-hook')));
    expect(unknownHook.name).toBe('ValidationError');
    expect(unknownHook.message).toBe(`No active Lifecycle Action found with instance ID ${instanceId}`);
    // CONTINUE: at the timeout the instance goes in service, and no action is active any more.
    sim.advance(601 * SECOND);
    expect(await stateOf(autoScaling, instanceId)).toBe('InService');
    const ended = await rejectionOf(autoScaling.send(heartbeat(instanceId)));
    expect(ended.name).toBe('ValidationError');
    expect(ended.message).toContain('No active Lifecycle Action found');
  });

  it('authorizes the heartbeat on the group as IAM does: refused without the action, allowed on the group ARN', async () => {
    const { sim, instanceId } = await heldInstance({ timeout: 600 });
    const groupArn = `arn:aws:autoscaling:*:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/*`;
    const policy = (actions: string[]) => [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow' as const, Action: actions, Resource: groupArn }] }];
    sim.enforceIdentityPolicies(ROLE, policy(['autoscaling:SetInstanceProtection']), catalog);
    const responder = await sim.clientFactory({ principal: ROLE }).autoScaling({ account: ACCOUNT, region: REGION });
    const denied = await rejectionOf(responder.send(heartbeat(instanceId)));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.message).toContain('autoscaling:RecordLifecycleActionHeartbeat');
    sim.enforceIdentityPolicies(ROLE, policy(['autoscaling:RecordLifecycleActionHeartbeat']), catalog);
    await expect(responder.send(heartbeat(instanceId))).resolves.toBeDefined();
  });
});
