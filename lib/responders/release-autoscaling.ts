/**
 * release-instance and Amazon EC2 Auto Scaling: the instance goes back into the group the record
 * names, the way it left (AttachInstances after a detach, ExitStandby after standby), and its
 * scale-in protection is set back to what it was. Both calls increment the group's desired
 * capacity, so the replacement launched at quarantine stays: release reports the capacity then
 * and now and leaves the choice of scaling in to a person (a lower desired capacity makes the
 * group terminate an instance of its own choosing).
 *
 * It leaves the instance out, and says why, when the group has moved on: deleted, deleted and
 * created again under the same name (another ARN, or created after the capture: row 3j), at its
 * maximum size ("If the number of instances being attached plus the desired capacity exceeds the
 * maximum size of the group, the operation fails"), the instance now in another group, or the option off.
 */
import { AttachInstancesCommand, ExitStandbyCommand, SetInstanceProtectionCommand } from '@aws-sdk/client-auto-scaling';
import type { AutoScalingClients } from '../aws/clients/autoscaling';
import type { ResponderMode } from '../contracts/responder-mode';
import type { AutoScalingRecord } from './fleet-records';
import { createdSinceCapture } from './fleet-records';
import { mutateFleet, requiredClient } from './fleet-calls';
import type { PendingAction } from './pending-actions';
import type { AutoScalingObservation, ObservedGroup } from './quarantine-autoscaling';
import { describeGroup, observeMembership } from './quarantine-autoscaling';

const SERVICE = 'Amazon EC2 Auto Scaling';

/** How release returns the instance to its group (pure). */
export type AutoScalingReturn =
  | { readonly action: 'attach' | 'exit-standby' | 'already'; readonly protect?: boolean; readonly notes: readonly string[] }
  | {
      readonly action: 'leave-out';
      readonly outcome: 'skipped' | 'already-done';
      readonly why: string;
      /** The call left out (AttachInstances unless said otherwise). */
      readonly api?: 'autoscaling:ExitStandby';
    };

/**
 * Why the group of the recorded name is not the group the instance was taken out of, if it is not
 * (pure). Group names are reusable: once the group is deleted, whoever may create groups in the
 * account can create one of the same name (its own target groups, its own scale-in), and an
 * AttachInstances by name would hand it the instance (row 3j). The ARN's id part is new for every
 * group; a record written before the ARN was recorded has only the capture time, and a group
 * created after it is another one (no two groups hold a name at once).
 */
export function anotherGroupOfTheName(record: AutoScalingRecord, group: ObservedGroup, capturedAt: string): string | undefined {
  if (record.groupArn !== undefined) {
    return group.groupArn === record.groupArn
      ? undefined
      : `The group named ${record.groupName} is not the one the instance was taken out of: its ARN is ${group.groupArn ?? '(not given)'}, the record's ${record.groupArn} (deleted and created again under the same name since quarantine?): the instance stays out of it`;
  }
  if (group.createdTime === undefined) {
    return `The group named ${record.groupName} gives no creation time and the record no ARN: it cannot be told from a group created again under the same name, so the instance stays out of it`;
  }
  return createdSinceCapture(group.createdTime, capturedAt)
    ? `The group named ${record.groupName} was created after the capture (or in its second: ${group.createdTime}, the record ${capturedAt}): it is not the one the instance was taken out of, so the instance stays out of it`
    : undefined;
}

/** Compares the record with the instance's membership now and the recorded group (pure). */
export function planAutoScalingReturn(
  record: AutoScalingRecord,
  now: Exclude<AutoScalingObservation, { kind: 'off' }>,
  recordedGroup: ObservedGroup | undefined,
  capturedAt: string,
): AutoScalingReturn {
  const protectBack = (current: boolean) => (current !== record.protectedFromScaleIn ? { protect: record.protectedFromScaleIn } : {});
  const capacity = (group: ObservedGroup, after: number) =>
    `the group's desired capacity will be ${after} (it was ${record.desiredCapacity} before quarantine, min ${group.minSize}, max ${group.maxSize}): the replacement stays; lower the desired capacity if the extra instance is not wanted`;
  const hooks = (group: ObservedGroup) => {
    const launching = group.lifecycleHooks.filter((h) => h.transition === 'autoscaling:EC2_INSTANCE_LAUNCHING').map((h) => h.name);
    return launching.length > 0 ? [`the instance passes through Pending:Wait until launch lifecycle hook(s) ${launching.join(', ')} complete`] : [];
  };
  if (now.kind === 'member') {
    if (now.groupName !== record.groupName) {
      return { action: 'leave-out', outcome: 'skipped', why: `The instance is in group ${now.groupName} now, not ${record.groupName}: left where it is` };
    }
    // A group Auto Scaling does not describe (not listed yet, or deleted in between) cannot be told
    // from one created again under the name: ExitStandby and SetInstanceProtection by name are not
    // sent to it (row 3o).
    const another = now.group
      ? anotherGroupOfTheName(record, now.group, capturedAt)
      : `The instance is in a group named ${record.groupName}, but Auto Scaling does not describe that group now (not listed yet, or deleted in between): it could not be described, so it cannot be told from a group created again under the name, and the instance is left as it is (${now.lifecycleState}); check the group, then return it by hand`;
    if (another !== undefined) return { action: 'leave-out', outcome: 'skipped', why: another, ...(now.lifecycleState === 'Standby' ? { api: 'autoscaling:ExitStandby' as const } : {}) };
    if (now.lifecycleState === 'Standby') {
      const group = now.group;
      // ExitStandby increments the desired capacity; past the maximum, Auto Scaling refuses it.
      // Said and left as it is (still on standby, still protected), as for an attach, rather than
      // failing the release after the network was put back.
      if (group && group.desiredCapacity + 1 > group.maxSize) {
        return {
          action: 'leave-out',
          outcome: 'skipped',
          api: 'autoscaling:ExitStandby',
          why: `The group ${record.groupName} is at its maximum size (desired ${group.desiredCapacity}, max ${group.maxSize}): returning the instance to service would exceed it, so it stays on standby in the group; raise the maximum or scale in, then take it out of standby`,
        };
      }
      return {
        action: 'exit-standby',
        ...protectBack(now.protectedFromScaleIn),
        notes: group ? [capacity(group, group.desiredCapacity + 1), ...hooks(group)] : [],
      };
    }
    return { action: 'already', ...protectBack(now.protectedFromScaleIn), notes: [`Already in group ${record.groupName} (${now.lifecycleState})`] };
  }
  if (!recordedGroup) {
    return { action: 'leave-out', outcome: 'skipped', why: `The group ${record.groupName} no longer exists: the instance stays out of any group` };
  }
  const another = anotherGroupOfTheName(record, recordedGroup, capturedAt);
  if (another !== undefined) return { action: 'leave-out', outcome: 'skipped', why: another };
  if (recordedGroup.desiredCapacity + 1 > recordedGroup.maxSize) {
    return {
      action: 'leave-out',
      outcome: 'skipped',
      why: `The group ${record.groupName} is at its maximum size (desired ${recordedGroup.desiredCapacity}, max ${recordedGroup.maxSize}): attaching would exceed it, so the instance stays out; raise the maximum or scale in, then attach it`,
    };
  }
  // AttachInstances puts the instance through Pending; its protection is set back explicitly after.
  return { action: 'attach', protect: record.protectedFromScaleIn, notes: [capacity(recordedGroup, recordedGroup.desiredCapacity + 1), ...hooks(recordedGroup)] };
}

/** Puts the instance back into its recorded group, or says why not. */
export async function restoreAutoScaling(
  clients: Partial<AutoScalingClients>,
  target: { readonly account: string; readonly region: string },
  mode: ResponderMode,
  instanceId: string,
  record: AutoScalingRecord | undefined,
  enabled: boolean,
  capturedAt: string,
): Promise<{ readonly actions: PendingAction[]; readonly returned: boolean; readonly summary?: string }> {
  if (!record) return { actions: [], returned: false };
  if (record.lifecycleState === 'Pending:Wait') {
    // Quarantine could not take it out (a launch hook held it) and only extended the hook's wait:
    // nothing of the group to undo, and no call (the option's role may hold none).
    const why = `Quarantine never took ${instanceId} out of group ${record.groupName} (it was in Pending:Wait under a launch hook, whose wait it only extended): nothing to restore to the group`;
    return { actions: [{ api: 'autoscaling:AttachInstances', target: instanceId, outcome: 'skipped', detail: why }], returned: false, summary: why };
  }
  if (!enabled) {
    return {
      actions: [{ api: 'autoscaling:AttachInstances', target: instanceId, outcome: 'skipped', detail: `Option restoreAutoScaling is off: the instance stays out of group ${record.groupName}` }],
      returned: false,
      summary: `left out of group ${record.groupName} (restoreAutoScaling off)`,
    };
  }
  const autoScaling = await requiredClient(clients.autoScaling, target, 'Auto Scaling');
  const now = await observeMembership(autoScaling, instanceId);
  const recordedGroup = now.kind === 'member' && now.groupName === record.groupName ? now.group : await describeGroup(autoScaling, record.groupName);
  const plan = planAutoScalingReturn(record, now, recordedGroup, capturedAt);
  const actions: PendingAction[] = [
    {
      api: 'autoscaling:DescribeAutoScalingInstances',
      target: instanceId,
      outcome: 'observed',
      detail: now.kind === 'member' ? `In group ${now.groupName} (${now.lifecycleState})` : `In no Auto Scaling group; recorded group ${record.groupName} (${record.mode})`,
    },
  ];
  if (plan.action === 'leave-out') {
    actions.push({ api: plan.api ?? 'autoscaling:AttachInstances', target: record.groupName, outcome: plan.outcome, detail: plan.why });
    return { actions, returned: false, summary: plan.why };
  }
  const group = record.groupName;
  if (plan.action === 'attach') {
    const attached = await mutateFleet(mode, SERVICE, 'autoscaling:AttachInstances', instanceId, `attach ${instanceId} to group ${group} again; ${plan.notes.join('; ')}`, () =>
      autoScaling.send(new AttachInstancesCommand({ AutoScalingGroupName: group, InstanceIds: [instanceId] })),
    );
    actions.push(attached.action);
  } else if (plan.action === 'exit-standby') {
    const exited = await mutateFleet(mode, SERVICE, 'autoscaling:ExitStandby', instanceId, `return ${instanceId} from standby to service in group ${group}${plan.notes.length > 0 ? `; ${plan.notes.join('; ')}` : ''}`, () =>
      autoScaling.send(new ExitStandbyCommand({ AutoScalingGroupName: group, InstanceIds: [instanceId] })),
    );
    actions.push(exited.action);
  } else {
    actions.push({ api: 'autoscaling:AttachInstances', target: instanceId, outcome: 'already-done', detail: plan.notes.join('; ') });
  }
  if (plan.protect !== undefined) {
    const value = plan.protect;
    const protectedBack = await mutateFleet(mode, SERVICE, 'autoscaling:SetInstanceProtection', instanceId, `set ${instanceId}'s scale-in protection back to ${value ? 'on' : 'off'} in group ${group}`, () =>
      autoScaling.send(new SetInstanceProtectionCommand({ AutoScalingGroupName: group, InstanceIds: [instanceId], ProtectedFromScaleIn: value })),
    );
    actions.push(protectedBack.action);
  }
  return { actions, returned: true, summary: `back in group ${group}` };
}
