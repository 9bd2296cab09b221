/**
 * What quarantine-instance changes on the instance itself: the protections that keep it as
 * evidence (ModifyInstanceAttribute) and Firebreak's tags (CreateTags).
 */
import { CreateTagsCommand, ModifyInstanceAttributeCommand } from '@aws-sdk/client-ec2';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ObservedInstance } from './instance-state';
import { FIREBREAK_TAGS } from './instance-state';
import type { ResponderMode } from '../contracts/responder-mode';
import type { PendingAction } from './pending-actions';
import { mutateEc2, settleAll } from './pending-actions';
import { planEvidence } from './quarantine-plan';

/**
 * Termination protection, shutdown behaviour `stop`, and EBS volumes kept on termination. One
 * attribute per ModifyInstanceAttribute call, as the API requires
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html).
 */
export async function protectEvidence(ec2: EC2Client, mode: ResponderMode, instance: ObservedInstance): Promise<PendingAction[]> {
  const plan = planEvidence(instance);
  const id = instance.instanceId;
  const api = 'ec2:ModifyInstanceAttribute';
  const modify = (what: string, attribute: Omit<ConstructorParameters<typeof ModifyInstanceAttributeCommand>[0], 'InstanceId'>) =>
    mutateEc2(mode, api, id, what, (dryRun) =>
      ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, ...attribute, ...(dryRun ? { DryRun: true } : {}) })),
    ).then((r) => r.action);
  const calls: Promise<PendingAction>[] = [];
  const already: PendingAction[] = [];
  if (plan.enableTerminationProtection) {
    calls.push(modify('turn termination protection on, so the evidence cannot be terminated through the API', { DisableApiTermination: { Value: true } }));
  } else {
    already.push({ api, target: id, outcome: 'already-done', detail: 'Termination protection was already on' });
  }
  if (plan.setShutdownToStop) {
    calls.push(
      modify('set the instance-initiated shutdown behaviour to stop, so a shutdown from inside does not terminate it', {
        InstanceInitiatedShutdownBehavior: { Value: 'stop' },
      }),
    );
  } else if (instance.shutdownBehavior === 'stop') {
    already.push({ api, target: id, outcome: 'already-done', detail: 'Instance-initiated shutdown behaviour was already stop' });
  } else {
    already.push({
      api,
      target: id,
      outcome: 'skipped',
      detail: 'Instance-store-backed instance: it cannot stop, so its shutdown behaviour stays terminate (termination protection does not cover a shutdown from inside)',
    });
  }
  if (plan.keepVolumes.length > 0) {
    calls.push(
      modify(
        `keep EBS volume(s) ${plan.keepVolumes.map((v) => `${v.deviceName}${v.volumeId ? ` (${v.volumeId})` : ''}`).join(', ')} when the instance terminates`,
        { BlockDeviceMappings: plan.keepVolumes.map((v) => ({ DeviceName: v.deviceName, Ebs: { DeleteOnTermination: false } })) },
      ),
    );
  } else {
    already.push({
      api,
      target: id,
      outcome: 'already-done',
      detail: instance.ebsVolumes.length === 0 ? 'No EBS volume to keep' : 'Every EBS volume was already kept on termination',
    });
  }
  return [...(await settleAll(calls)), ...already];
}

export async function tagInstance(
  ec2: EC2Client,
  mode: ResponderMode,
  instance: ObservedInstance,
  incidentKey: string,
  at: string,
): Promise<PendingAction> {
  const id = instance.instanceId;
  if (instance.tags[FIREBREAK_TAGS.status] === 'quarantined') {
    // Keep the tags of the quarantine that is in force (and the incident that started it).
    return {
      api: 'ec2:CreateTags',
      target: id,
      outcome: 'already-done',
      detail: `Already tagged firebreak:status=quarantined (incident ${instance.tags[FIREBREAK_TAGS.incident] ?? 'unknown'})`,
    };
  }
  const tagged = await mutateEc2(mode, 'ec2:CreateTags', id, `tag the instance firebreak:status=quarantined for incident ${incidentKey}`, (dryRun) =>
    ec2.send(
      new CreateTagsCommand({
        Resources: [id],
        Tags: [
          { Key: FIREBREAK_TAGS.incident, Value: incidentKey },
          { Key: FIREBREAK_TAGS.status, Value: 'quarantined' },
          { Key: FIREBREAK_TAGS.quarantinedAt, Value: at },
        ],
        ...(dryRun ? { DryRun: true } : {}),
      }),
    ),
  );
  return tagged.action;
}
