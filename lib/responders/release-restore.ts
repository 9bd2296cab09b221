/**
 * The changes release-instance makes, each only where the instance differs from its record: the
 * recorded groups per ENI, the protections, the instance profile, Firebreak's tags.
 */
import {
  AssociateIamInstanceProfileCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ResponderMode } from '../contracts/responder-mode';
import type { PendingAction } from './pending-actions';
import { mutateEc2, mutateUnprobed, settleAll } from './pending-actions';
import type { ReleasePlan } from './release-plan';

/** Puts one ENI back into its recorded security groups (ec2:ModifyNetworkInterfaceAttribute). */
export async function restoreGroups(
  ec2: EC2Client,
  mode: ResponderMode,
  eni: ReleasePlan['networkInterfaces'][number],
): Promise<PendingAction> {
  const moved = await mutateEc2(
    mode,
    'ec2:ModifyNetworkInterfaceAttribute',
    eni.id,
    `move ${eni.id} from ${eni.from.join(', ') || 'no group'} back to its recorded groups ${eni.to.join(', ')}`,
    (dryRun) =>
      ec2.send(
        new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni.id, Groups: [...eni.to], ...(dryRun ? { DryRun: true } : {}) }),
      ),
  );
  return moved.action;
}

/** Sets termination protection, shutdown behaviour and DeleteOnTermination back where the plan says they differ. */
export async function restoreProtections(ec2: EC2Client, mode: ResponderMode, instanceId: string, plan: ReleasePlan): Promise<PendingAction[]> {
  const api = 'ec2:ModifyInstanceAttribute';
  const modify = (what: string, attribute: Omit<ConstructorParameters<typeof ModifyInstanceAttributeCommand>[0], 'InstanceId'>) =>
    mutateEc2(mode, api, instanceId, what, (dryRun) =>
      ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, ...attribute, ...(dryRun ? { DryRun: true } : {}) })),
    ).then((r) => r.action);
  const calls: Promise<PendingAction>[] = [];
  if (plan.disableApiTermination !== undefined) {
    calls.push(
      modify(`set termination protection back to ${plan.disableApiTermination ? 'on' : 'off'}`, {
        DisableApiTermination: { Value: plan.disableApiTermination },
      }),
    );
  }
  if (plan.shutdownBehavior !== undefined) {
    calls.push(
      modify(`set the instance-initiated shutdown behaviour back to ${plan.shutdownBehavior}`, {
        InstanceInitiatedShutdownBehavior: { Value: plan.shutdownBehavior },
      }),
    );
  }
  if (plan.deleteOnTermination.length > 0) {
    calls.push(
      modify(
        `set DeleteOnTermination back to ${plan.deleteOnTermination.map((d) => `${d.deleteOnTermination} on ${d.deviceName}`).join(', ')}`,
        {
          BlockDeviceMappings: plan.deleteOnTermination.map((d) => ({
            DeviceName: d.deviceName,
            Ebs: { DeleteOnTermination: d.deleteOnTermination },
          })),
        },
      ),
    );
  }
  const actions = await settleAll(calls);
  return actions.length > 0
    ? actions
    : [{ api, target: instanceId, outcome: 'already-done', detail: 'Protections already as recorded' }];
}

/** Re-associates the recorded instance profile, or says why it is left as it is. */
export async function restoreProfile(ec2: EC2Client, mode: ResponderMode, instanceId: string, plan: ReleasePlan): Promise<PendingAction> {
  const api = 'ec2:AssociateIamInstanceProfile';
  if (plan.profile.action === 'none') {
    return { api, target: instanceId, outcome: plan.profile.outcome, detail: plan.profile.why };
  }
  const arn = plan.profile.arn;
  const associated = await mutateUnprobed(mode, api, instanceId, `re-associate instance profile ${arn}`, () =>
    ec2.send(new AssociateIamInstanceProfileCommand({ IamInstanceProfile: { Arn: arn }, InstanceId: instanceId })),
  );
  return associated.action;
}

/** Sets the release tags and the recorded values of Firebreak's tags; removes those absent before quarantine. */
export async function restoreTags(ec2: EC2Client, mode: ResponderMode, instanceId: string, plan: ReleasePlan): Promise<PendingAction[]> {
  const calls: Promise<PendingAction>[] = [
    mutateEc2(
      mode,
      'ec2:CreateTags',
      instanceId,
      `tag the instance ${Object.entries(plan.setTags)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
      (dryRun) =>
        ec2.send(
          new CreateTagsCommand({
            Resources: [instanceId],
            Tags: Object.entries(plan.setTags).map(([Key, Value]) => ({ Key, Value })),
            ...(dryRun ? { DryRun: true } : {}),
          }),
        ),
    ).then((r) => r.action),
  ];
  if (plan.removeTags.length > 0) {
    calls.push(
      mutateEc2(mode, 'ec2:DeleteTags', instanceId, `remove ${plan.removeTags.join(', ')} (absent before quarantine)`, (dryRun) =>
        ec2.send(
          new DeleteTagsCommand({
            Resources: [instanceId],
            Tags: plan.removeTags.map((Key) => ({ Key })),
            ...(dryRun ? { DryRun: true } : {}),
          }),
        ),
      ).then((r) => r.action),
    );
  }
  return settleAll(calls);
}
