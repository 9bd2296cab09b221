/**
 * The pure decisions of quarantine-instance: which evidence protections are missing, how far an ENI
 * is from isolation, whether an instance is fully quarantined, which VPCs a finding names. Plain
 * data in and out, tested without any SDK mock (test/responders/quarantine-plan.test.ts).
 */
import type { Ec2InstanceResource } from '../incident/model';
import { isWellFormedVpcId } from '../incident/identifiers';
import type { ObservedInstance, ObservedNetworkInterface, ObservedVolume } from './instance-state';
import { FIREBREAK_TAGS } from './instance-state';
import type { VpcGroups } from './isolation-groups';
import { groupsReady } from './isolation-groups';
import type * as z from '../contracts/zod-mini';
import type { ACTIONS } from '../playbooks/actions';

/** The step's options (`quarantineOptionsSchema`: defaults live in the playbook action registry, in one place). */
export type QuarantineOptions = z.output<(typeof ACTIONS)['quarantine-instance']['options']>;

/** The evidence protections still to switch on. */
export interface EvidencePlan {
  readonly enableTerminationProtection: boolean;
  readonly setShutdownToStop: boolean;
  /** EBS volumes that would be deleted with the instance. */
  readonly keepVolumes: readonly ObservedVolume[];
}

/** Which protections are missing (pure). */
export function planEvidence(instance: ObservedInstance): EvidencePlan {
  return {
    enableTerminationProtection: !instance.disableApiTermination,
    // An instance-store-backed instance cannot stop, so EC2 refuses `stop` as its shutdown behaviour.
    setShutdownToStop: instance.shutdownBehavior !== 'stop' && instance.rootDeviceType !== 'instance-store',
    keepVolumes: instance.ebsVolumes.filter((v) => v.deleteOnTermination),
  };
}

/** How far an ENI is from isolation (pure). */
export function eniIsolationStep(
  eni: ObservedNetworkInterface,
  groups: { readonly untrackGroupId?: string; readonly isolationGroupId?: string },
): 'isolated' | 'isolate-only' | 'untrack-then-isolate' {
  const only = (id: string | undefined) => id !== undefined && eni.groupIds.length === 1 && eni.groupIds[0] === id;
  if (only(groups.isolationGroupId)) return 'isolated';
  // Already moved to the untrack group by an interrupted run: its flows are untracked already.
  if (only(groups.untrackGroupId)) return 'isolate-only';
  return 'untrack-then-isolate';
}

/**
 * True when the instance is fully quarantined: tagged, every ENI only in its VPC's (ready)
 * isolation group, no instance profile (when the step takes it) and every protection on.
 */
export function isFullyQuarantined(
  instance: ObservedInstance,
  vpcGroups: ReadonlyMap<string, VpcGroups>,
  options: Pick<QuarantineOptions, 'detachInstanceProfile'>,
): boolean {
  const evidence = planEvidence(instance);
  const isolated = instance.networkInterfaces.every((eni) => {
    const groups = eni.vpcId ? vpcGroups.get(eni.vpcId) : undefined;
    return (
      groups !== undefined &&
      groupsReady(groups) &&
      eniIsolationStep(eni, { isolationGroupId: groups.isolation?.groupId }) === 'isolated'
    );
  });
  return (
    instance.tags[FIREBREAK_TAGS.status] === 'quarantined' &&
    isolated &&
    (!options.detachInstanceProfile || instance.profileAssociation === undefined) &&
    !evidence.enableTerminationProtection &&
    !evidence.setShutdownToStop &&
    evidence.keepVolumes.length === 0
  );
}

/** The well-formed VPC ids the finding names for the instance's ENIs: claims, used only to look up early. */
export function findingVpcIds(resource: Ec2InstanceResource): string[] {
  return [...new Set(resource.networkInterfaces.flatMap((eni) => (eni.vpcId !== undefined && isWellFormedVpcId(eni.vpcId) ? [eni.vpcId] : [])))];
}
